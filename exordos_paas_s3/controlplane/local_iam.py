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
"""A gcl_iam auth driver for machines without Exordos IAM: the local stand
and the tests.

Tokens are HS256 JWTs signed with a secret the API process is given; the
driver verifies the signature and expiry (through gcl_iam's own
``IamEngine``) and takes the project id and the permissions from the claims,
where Exordos IAM would answer an introspection call. Nothing else changes:
the same middleware, controllers and enforcer run as in production.
"""

import logging
import time
import uuid as sys_uuid

from gcl_iam import algorithms, drivers

LOG = logging.getLogger(__name__)

AUDIENCE = "exordos-paas-s3-local"
ISSUER = "exordos-paas-s3-local"


class LocalTokenDriver(drivers.AbstractAuthDriver):
    def __init__(self, secret: str, audience: str = AUDIENCE):
        super().__init__()
        self._secret = secret
        self._audience = audience

    def get_algorithm(self, token_info):
        if token_info.audience_name != self._audience:
            raise ValueError("token issued for another audience")
        return algorithms.HS256(key=self._secret)

    def get_introspection_info(self, token_info, otp_code=None):
        claims = token_info.token_info or {}
        if claims.get("aud") == "anon":
            # No token at all: an anonymous caller has no permissions.
            return drivers.AnonDriver().get_introspection_info(token_info)
        return {
            "user_info": {
                "uuid": claims["sub"],
                "name": claims.get("name", claims["sub"]),
                "first_name": "",
                "last_name": "",
                "email": claims.get("email", ""),
                "type": "user",
            },
            "project_id": claims.get("project_id"),
            "otp_verified": True,
            "permissions": list(claims.get("permissions", ())),
        }


def issue_token(
    secret: str,
    permissions,
    project_id=None,
    user_id=None,
    name: str = "local",
    ttl: int = 24 * 3600,
    audience: str = AUDIENCE,
) -> str:
    """A token the :class:`LocalTokenDriver` with the same secret accepts."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "sub": str(user_id or sys_uuid.uuid4()),
        "jti": str(sys_uuid.uuid4()),
        "iat": now,
        "auth_time": now,
        "exp": now + ttl,
        "typ": "Bearer",
        "name": name,
        "project_id": str(project_id) if project_id else None,
        "permissions": list(permissions),
    }
    return algorithms.HS256(key=secret).encode(claims)
