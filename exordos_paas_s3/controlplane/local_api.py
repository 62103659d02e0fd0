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
"""Run the real MetaPaaS user API with this plugin on one machine.

Used by the functional tests and by the local stand: migrations are applied
by RestAlchemy's own ``ra-apply-migration``, the WSGI application is the one
``exordos-metapaas-user-api`` serves (``build_wsgi_application``), only the
gcl_iam driver is the local HS256 one (``local_iam``) instead of Exordos IAM.
"""

import logging
import os
import socketserver
import subprocess
import sys
import threading
from wsgiref import simple_server

from restalchemy.storage.sql import engines

from exordos_paas_s3 import definition

LOG = logging.getLogger(__name__)


def migration_paths() -> list[str]:
    """Every migrations directory the user API's database needs, in order."""
    import exordos_metapaas
    import gcl_sdk

    # gcl_sdk's universal-agent tables come first: the gservice runs on them,
    # and the API records bucket deletes there (controlplane.paas.models).
    sdk = os.path.join(os.path.dirname(gcl_sdk.__file__), "migrations")
    metapaas = os.path.join(os.path.dirname(exordos_metapaas.__file__), "migrations")
    return [sdk, metapaas, definition.S3PaaSDefinition().get_migrations_path()]


def _ra_tool(name: str) -> str:
    # The console script next to the running interpreter: the one installed
    # with restalchemy in this environment.
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    return candidate if os.path.exists(candidate) else name


def apply_migrations(db_url: str, migration: str | None = None) -> None:
    """Apply all migrations (HEAD), or up to ``migration`` for ours."""
    for path in migration_paths():
        command = [
            _ra_tool("ra-apply-migration"),
            "--config-file",
            os.devnull,
            "--db-connection_url",
            db_url,
            "--path",
            path,
        ]
        subprocess.run(command, check=True, capture_output=True, text=True)


def rollback_migration(db_url: str, path: str, migration: str) -> None:
    command = [
        _ra_tool("ra-rollback-migration"),
        "--config-file",
        os.devnull,
        "--db-connection_url",
        db_url,
        "--path",
        path,
        "--migration",
        migration,
    ]
    subprocess.run(command, check=True, capture_output=True, text=True)


def configure_database(db_url: str) -> None:
    """Point RestAlchemy's default engine (this process) at ``db_url``."""
    engines.engine_factory.configure_factory(db_url=db_url)


def build_application(iam_driver):
    from exordos_metapaas.user_api.api import app

    return app.build_wsgi_application(iam_driver)


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        LOG.debug("%s - %s", self.address_string(), format % args)


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True


class ApiServer:
    """The WSGI application on ``host:port`` (0: a free port) in a thread."""

    def __init__(self, application, host: str = "127.0.0.1", port: int = 0):
        self._server = simple_server.make_server(
            host,
            port,
            application,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="s3-cp-api", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://{host}:{port}"

    def start(self) -> "ApiServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
