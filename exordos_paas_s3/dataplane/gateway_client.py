#    Copyright 2026 Genesis Corporation.
#
#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.
"""Client of the gateway's loopback admin API (docs/admin-api.md): transport only.

It knows paths, bodies and status codes; what to change is the driver's call.
Every method is one HTTP request. ``writes`` counts the PUT/DELETE requests
sent, which is what "quiet once converged" is measured in.
"""

from __future__ import annotations

import configparser
import dataclasses
import logging
import typing as tp
import urllib.parse

import requests

from exordos_paas_s3 import constants, node_seal

LOG = logging.getLogger(__name__)

API_PREFIX = "/v1"
DEFAULT_TIMEOUT = 10.0
# A gateway that is known down is probed with this first: a stopped process
# still accepts connections and would hold the state read its whole timeout.
PROBE_TIMEOUT = 2.0


class AdminError(Exception):
    """The admin API answered with an error document."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class AdminUnavailable(Exception):
    """The admin API could not be reached (gateway down, restarting ...)."""


@dataclasses.dataclass(frozen=True)
class AdminEndpoint:
    url: str
    access_key: str
    # Never part of repr(): endpoints end up in logs.
    secret_key: str = dataclasses.field(repr=False)

    @classmethod
    def from_gateway_config(
        cls, path: str, node_key_file: str = node_seal.NODE_KEY_PATH
    ) -> AdminEndpoint:
        """Read the admin listener and root credentials from gateway.conf.

        The same file the infra builder delivers to the node and the gateway
        reads (oslo.config, options in ``[DEFAULT]``). The infra builder seals
        the root secret to the node (``root_secret_key_sealed``, opened with
        the key in ``node_key_file``); a hand-written file may give it plain
        (``root_secret_key``).
        """
        parser = configparser.ConfigParser(interpolation=None)
        if not parser.read(path):
            raise FileNotFoundError(f"gateway config {path} is missing")
        defaults = parser.defaults()
        listen = defaults.get(
            "admin_listen", constants.GATEWAY_DEFAULT_ADMIN_LISTEN
        ).strip()
        access_key = defaults.get("root_access_key", "").strip()
        secret_key = defaults.get("root_secret_key", "").strip()
        sealed = defaults.get("root_secret_key_sealed", "").strip()
        if sealed:
            # Raises SealError (a ValueError) with a reason, never the value.
            secret_key = node_seal.open_sealed(
                node_seal.read_node_key(node_key_file),
                defaults.get("node_uuid", "").strip() or "0" * 32,
                node_seal.ROOT_SECRET_CONTEXT,
                sealed,
            )
        if not access_key or not secret_key:
            raise ValueError(f"gateway config {path} has no root credentials")
        return cls(url=f"http://{listen}", access_key=access_key, secret_key=secret_key)


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


class GatewayAdminClient:
    def __init__(
        self,
        endpoint: AdminEndpoint,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._base = endpoint.url.rstrip("/") + API_PREFIX
        self._timeout = timeout
        self._session = session or requests.Session()
        self._session.auth = (endpoint.access_key, endpoint.secret_key)
        self.writes = 0

    def close(self) -> None:
        self._session.close()

    # -- transport ----------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        body: tp.Any = None,
        params: dict[str, str] | None = None,
    ) -> tp.Any:
        if method != "GET":
            self.writes += 1
        try:
            resp = self._session.request(
                method,
                self._base + path,
                json=body,
                params=params,
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise AdminUnavailable(
                f"admin API at {self._endpoint.url} unreachable: {type(exc).__name__}"
            ) from None
        if resp.status_code >= 400:
            try:
                doc = resp.json()
                err = doc.get("error", doc) if isinstance(doc, dict) else {}
                code = str(err.get("code", "")) or resp.reason
                message = str(err.get("message", "")) or resp.text[:200]
            except ValueError:
                code, message = resp.reason, resp.text[:200]
            raise AdminError(resp.status_code, code, message)
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    # -- actual state -------------------------------------------------------

    def get_state(self) -> dict[str, tp.Any]:
        """Users, keys (no secrets), policies, attachments and buckets."""
        return self._request("GET", "/state")

    def probe(self, timeout: float = PROBE_TIMEOUT) -> None:
        """Raise AdminUnavailable unless ``GET /v1/health`` answers 200 in time."""
        try:
            resp = self._session.get(self._base + "/health", timeout=timeout)
        except requests.RequestException as exc:
            raise AdminUnavailable(
                f"admin API at {self._endpoint.url} unreachable: {type(exc).__name__}"
            ) from None
        if resp.status_code != 200:
            raise AdminUnavailable(
                f"admin API at {self._endpoint.url} health check answered "
                f"{resp.status_code}"
            )

    def get_ready(self) -> dict[str, tp.Any] | None:
        """``GET /v1/ready``: the gateway's readiness (200 ready, 503 not,
        both with the JSON report); None from a gateway without the route."""
        try:
            resp = self._session.get(self._base + "/ready", timeout=self._timeout)
        except requests.RequestException as exc:
            raise AdminUnavailable(
                f"admin API at {self._endpoint.url} unreachable: {type(exc).__name__}"
            ) from None
        if resp.status_code == 404:
            return None
        try:
            doc = resp.json()
        except ValueError:
            doc = None
        if resp.status_code not in (200, 503) or not isinstance(doc, dict):
            raise AdminError(resp.status_code, resp.reason, resp.text[:200])
        return doc

    # -- users and keys -----------------------------------------------------

    def put_user(
        self, name: str, user_id: str | None = None, kind: str | None = None
    ) -> tp.Any:
        body: dict[str, str] = {"user_id": user_id} if user_id else {}
        if kind is not None:
            body["kind"] = kind
        return self._request("PUT", f"/users/{_quote(name)}", body)

    def delete_user(self, name: str) -> None:
        self._request("DELETE", f"/users/{_quote(name)}")

    def put_access_key(
        self, user: str, access_key: str, secret_key: str, enabled: bool
    ) -> tp.Any:
        return self._request(
            "PUT",
            f"/users/{_quote(user)}/keys/{_quote(access_key)}",
            {"secret_key": secret_key, "enabled": enabled},
        )

    def delete_access_key(self, user: str, access_key: str) -> None:
        self._request("DELETE", f"/users/{_quote(user)}/keys/{_quote(access_key)}")

    # -- policies -----------------------------------------------------------

    def put_policy(self, name: str, document: dict[str, tp.Any]) -> tp.Any:
        return self._request("PUT", f"/policies/{_quote(name)}", {"document": document})

    def delete_policy(self, name: str) -> None:
        self._request("DELETE", f"/policies/{_quote(name)}")

    def put_attachment(self, user: str, policy: str) -> tp.Any:
        return self._request(
            "PUT", f"/users/{_quote(user)}/policies/{_quote(policy)}", {}
        )

    def delete_attachment(self, user: str, policy: str) -> None:
        self._request("DELETE", f"/users/{_quote(user)}/policies/{_quote(policy)}")

    # -- buckets ------------------------------------------------------------

    def put_bucket(self, name: str, settings: dict[str, tp.Any]) -> tp.Any:
        """Create the bucket or bring its settings to ``settings``.

        ``settings``: versioning (bool), object_lock (bool, create only),
        retention ({"mode", "days"} or None), quota_bytes (0: none),
        public (bool), encryption ("AES256"; absent or None: no default
        encryption of the operator's), table_bucket (true: the bucket serves
        an Iceberg catalog; absent or false never removes one).
        """
        return self._request("PUT", f"/buckets/{_quote(name)}", settings)

    def delete_bucket(self, name: str, force: bool = False) -> None:
        params = {"force": "true"} if force else None
        self._request("DELETE", f"/buckets/{_quote(name)}", params=params)
