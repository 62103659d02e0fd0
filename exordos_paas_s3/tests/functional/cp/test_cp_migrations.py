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
"""Our migrations through RestAlchemy's own tools, on a database of their own."""

import pathlib

import psycopg
import pytest

from exordos_paas_s3 import definition
from exordos_paas_s3.controlplane import local_api
from exordos_paas_s3.tests.functional.cp import conftest

pytestmark = pytest.mark.functional

OUR_TABLES = {
    "s3_versions",
    "s3_instances",
    "s3_buckets",
    "s3_policies",
    "s3_users",
    "s3_access_keys",
    "s3_policy_attachments",
}


def _schema(url):
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema='public' "
            "ORDER BY 1, 2"
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname='public' "
            "ORDER BY 1"
        ).fetchall()
        applied = conn.execute("SELECT * FROM ra_migrations ORDER BY 1").fetchall()
    return columns, indexes, applied


def _tables(url):
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema='public'"
        ).fetchall()
    return {name for (name,) in rows}


def _our_migrations():
    path = pathlib.Path(definition.S3PaaSDefinition().get_migrations_path())
    return sorted(p.stem for p in path.glob("[0-9]*.py"))


def test_apply_twice_is_a_no_op_and_downgrade_removes_our_tables(cp_pg_server_url):
    with conftest.throwaway_database(cp_pg_server_url, "cp_mig_") as url:
        local_api.apply_migrations(url)
        assert OUR_TABLES <= _tables(url)
        first = _schema(url)
        local_api.apply_migrations(url)
        assert _schema(url) == first

        (first_migration, *_) = _our_migrations()
        local_api.rollback_migration(
            url, definition.S3PaaSDefinition().get_migrations_path(), first_migration
        )
        left = _tables(url)
        assert not OUR_TABLES & left
        # Other plugins' and MetaPaaS's own tables are left alone.
        assert "metapaas_paas_types" in left

        local_api.apply_migrations(url)
        assert OUR_TABLES <= _tables(url)
        columns, indexes, _ = _schema(url)
        assert (columns, indexes) == first[:2]
