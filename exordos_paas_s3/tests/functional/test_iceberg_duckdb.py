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
"""DuckDB 1.5.5 with its iceberg extension against the catalog.

DuckDB cannot SigV4-sign catalog requests to a non-AWS host, so it attaches
with an OAuth2 bearer token (its iceberg secret: CLIENT_ID/CLIENT_SECRET and
OAUTH2_SERVER_URI, or a TOKEN fetched beforehand) and reads and writes the
data files with the credentials the catalog vends (``--tables-vending``).

The extensions come from PyPI wheels (``duckdb-extension-iceberg``,
``-httpfs``, ``-avro`` 1.5.5) and are INSTALLed from their files into a
temporary extension directory: no download at test time.
"""

from __future__ import annotations

import importlib.util
import os
import uuid

import boto3
import duckdb
import pyarrow as pa
import pytest
import requests

from exordos_paas_s3.tests.functional.conftest import new_gateway
from exordos_paas_s3.tests.functional.test_iceberg_catalog import (
    SCHEMA,
    _catalog,
    _signed,
)

EXTENSIONS = ("httpfs", "avro", "iceberg")


def _extension_file(name: str) -> str:
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    assert spec is not None and spec.origin, f"duckdb-extension-{name} missing"
    return os.path.join(
        os.path.dirname(spec.origin),
        "extensions",
        f"v{duckdb.__version__}",
        f"{name}.duckdb_extension",
    )


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    gw = new_gateway(str(tmp_path_factory.mktemp("duckdb")), "--tables-vending")
    gw.start()
    yield gw
    assert gw.stop() == 0, gw.log()


@pytest.fixture
def duck(tmp_path):
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false")
    con.execute(f"SET extension_directory = '{tmp_path}'")
    for name in EXTENSIONS:
        con.execute(f"INSTALL '{_extension_file(name)}'")
        con.execute(f"LOAD {name}")
    yield con
    con.close()


def _warehouse(gateway):
    name = "duck-" + uuid.uuid4().hex[:12]
    boto3.client(
        "s3",
        endpoint_url=gateway.endpoint,
        aws_access_key_id=gateway.access_key,
        aws_secret_access_key=gateway.secret_key,
        region_name=gateway.region,
    ).create_bucket(Bucket=name)
    assert _signed(gateway, "PUT", f"/iceberg/v1/buckets/{name}").status_code == 200
    cat = _catalog(gateway, name)
    cat.create_namespace("db")
    table = cat.create_table("db.t", schema=SCHEMA)
    table.append(pa.table({"id": [1, 2], "name": ["a", "b"]}, schema=SCHEMA))
    return name


@pytest.fixture
def warehouse(gateway):
    return _warehouse(gateway)


@pytest.fixture(scope="module")
def plain_gateway(tmp_path_factory):
    """A gateway without --tables-vending (as the stand runs it)."""
    gw = new_gateway(str(tmp_path_factory.mktemp("duckdb-plain")))
    gw.start()
    yield gw
    assert gw.stop() == 0, gw.log()


def test_duckdb_attaches_with_oauth2_client_credentials(gateway, duck, warehouse):
    duck.execute(
        f"""CREATE SECRET ice (
            TYPE iceberg,
            CLIENT_ID '{gateway.access_key}',
            CLIENT_SECRET '{gateway.secret_key}',
            OAUTH2_SERVER_URI '{gateway.endpoint}/iceberg/v1/oauth/tokens'
        )"""
    )
    duck.execute(
        f"ATTACH '{warehouse}' AS lake"
        f" (TYPE iceberg, ENDPOINT '{gateway.endpoint}/iceberg', SECRET ice)"
    )
    rows = duck.execute("SELECT id, name FROM lake.db.t ORDER BY id").fetchall()
    assert rows == [(1, "a"), (2, "b")]
    # DuckDB writes too, and PyIceberg reads what it wrote.
    duck.execute("INSERT INTO lake.db.t VALUES (3, 'c')")
    scanned = _catalog(gateway, warehouse).load_table("db.t").scan().to_arrow()
    assert sorted(scanned.column("id").to_pylist()) == [1, 2, 3]


def test_duckdb_attaches_with_a_bearer_token(gateway, duck, warehouse):
    r = requests.post(
        gateway.endpoint + "/iceberg/v1/oauth/tokens",
        data={
            "grant_type": "client_credentials",
            "client_id": gateway.access_key,
            "client_secret": gateway.secret_key,
        },
        timeout=10,
    )
    token = r.json()["access_token"]
    duck.execute(f"CREATE SECRET tok (TYPE iceberg, TOKEN '{token}')")
    duck.execute(
        f"ATTACH '{warehouse}' AS lake"
        f" (TYPE iceberg, ENDPOINT '{gateway.endpoint}/iceberg', SECRET tok)"
    )
    assert duck.execute("SELECT count(*) FROM lake.db.t").fetchall() == [(2,)]
    # A wrong token: the attach is refused.
    duck.execute("CREATE SECRET bad (TYPE iceberg, TOKEN 'not-a-token')")
    with pytest.raises(duckdb.Error):
        duck.execute(
            f"ATTACH '{warehouse}' AS nope"
            f" (TYPE iceberg, ENDPOINT '{gateway.endpoint}/iceberg', SECRET bad)"
        )


def test_duckdb_without_vending_reads_with_its_own_s3_secret(plain_gateway, duck):
    """README's DuckDB session: the catalog through a bearer token, the data
    files through an S3 secret of DuckDB's own (ACCESS_DELEGATION_MODE
    'none'), since this gateway vends nothing."""
    gw = plain_gateway
    warehouse = _warehouse(gw)
    duck.execute(
        f"""CREATE SECRET ice (TYPE iceberg,
            CLIENT_ID '{gw.access_key}', CLIENT_SECRET '{gw.secret_key}',
            OAUTH2_SERVER_URI '{gw.endpoint}/iceberg/v1/oauth/tokens')"""
    )
    duck.execute(
        f"""CREATE SECRET files (TYPE s3,
            KEY_ID '{gw.access_key}', SECRET '{gw.secret_key}', REGION '{gw.region}',
            ENDPOINT '127.0.0.1:{gw.port}', URL_STYLE 'path', USE_SSL false)"""
    )
    duck.execute(
        f"ATTACH '{warehouse}' AS lake (TYPE iceberg,"
        f" ENDPOINT '{gw.endpoint}/iceberg', SECRET ice,"
        " ACCESS_DELEGATION_MODE 'none')"
    )
    rows = duck.execute("SELECT id FROM lake.db.t ORDER BY id").fetchall()
    assert rows == [(1,), (2,)]
    duck.execute("INSERT INTO lake.db.t VALUES (3, 'c')")
    scanned = _catalog(gw, warehouse).load_table("db.t").scan().to_arrow()
    assert sorted(scanned.column("id").to_pylist()) == [1, 2, 3]
