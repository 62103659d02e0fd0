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
"""The Iceberg REST catalog (S3 Tables) against the real gateway process.

Stock PyIceberg 0.12 with ``rest.sigv4-enabled`` (no patched signer) writes
and reads tables; pyarrow reads the data files through the S3 API; raw
botocore-signed requests probe each route's bad input.
"""

from __future__ import annotations

import json
import uuid

import pyarrow as pa
import pytest
import requests
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from pyiceberg import exceptions as ice_exc
from pyiceberg.catalog.rest import RestCatalog
from pyiceberg.types import StringType

from exordos_paas_s3.tests.functional.test_authorization import Admin

SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])


def _signed(gateway, method, path, body=None, *, service="s3tables", key=None):
    access, secret = key or (gateway.access_key, gateway.secret_key)
    url = gateway.endpoint + path
    data = body if body is None or isinstance(body, bytes) else json.dumps(body)
    request = AWSRequest(method=method, url=url, data=data, headers={})
    SigV4Auth(Credentials(access, secret), service, gateway.region).add_auth(request)
    return requests.request(
        method, url, data=data, headers=dict(request.headers), timeout=30
    )


def _catalog(gateway, bucket, *, uri_path="/iceberg", service="s3tables", key=None):
    access, secret = key or (gateway.access_key, gateway.secret_key)
    return RestCatalog(
        "gw-" + uuid.uuid4().hex[:6],
        **{
            "uri": gateway.endpoint + uri_path,
            "warehouse": bucket,
            "rest.sigv4-enabled": "true",
            "rest.signing-name": service,
            "rest.signing-region": gateway.region,
            "client.access-key-id": access,
            "client.secret-access-key": secret,
            "client.region": gateway.region,
        },
    )


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert err["code"] == response.status_code, body
    assert err["message"] and err["type"], body
    return err


@pytest.fixture
def table_bucket(gateway, bucket):
    r = _signed(gateway, "PUT", f"/iceberg/v1/buckets/{bucket}")
    assert r.status_code == 200, r.text
    return bucket


@pytest.fixture
def catalog(gateway, table_bucket):
    return _catalog(gateway, table_bucket)


# --- table buckets and config -------------------------------------------------


def test_enabling_a_table_bucket_is_idempotent(gateway, bucket):
    r = _signed(gateway, "GET", f"/iceberg/v1/buckets/{bucket}")
    assert r.status_code == 404 and _error(r)["type"] == "NotFoundException"
    for _ in range(2):
        r = _signed(gateway, "PUT", f"/iceberg/v1/buckets/{bucket}")
        assert r.status_code == 200, r.text
        assert r.json()["name"] == bucket and r.json()["table-bucket"] is True
    r = _signed(gateway, "GET", f"/_iceberg/v1/buckets/{bucket}")
    assert r.status_code == 200 and r.json()["name"] == bucket
    missing = "nope-" + uuid.uuid4().hex[:10]
    r = _signed(gateway, "PUT", f"/iceberg/v1/buckets/{missing}")
    assert r.status_code == 404, r.text
    _error(r)


def test_catalog_calls_on_a_plain_bucket_are_refused(gateway, bucket):
    r = _signed(gateway, "GET", f"/iceberg/v1/config?warehouse={bucket}")
    assert r.status_code == 400
    assert "not a table bucket" in _error(r)["message"]
    r = _signed(gateway, "GET", f"/iceberg/v1/{bucket}/namespaces")
    assert r.status_code == 400
    with pytest.raises(ice_exc.BadRequestError):
        _catalog(gateway, bucket)


def test_config_names_the_prefix_and_exactly_the_served_routes(gateway, table_bucket):
    r = _signed(gateway, "GET", f"/iceberg/v1/config?warehouse={table_bucket}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["defaults"]["prefix"] == table_bucket
    assert body["defaults"]["s3.endpoint"] == gateway.endpoint
    ns = "/v1/{prefix}/namespaces"
    assert sorted(body["endpoints"]) == sorted(
        [
            f"GET {ns}",
            f"POST {ns}",
            f"GET {ns}/{{namespace}}",
            f"HEAD {ns}/{{namespace}}",
            f"DELETE {ns}/{{namespace}}",
            f"POST {ns}/{{namespace}}/properties",
            f"GET {ns}/{{namespace}}/tables",
            f"POST {ns}/{{namespace}}/tables",
            f"POST {ns}/{{namespace}}/register",
            f"GET {ns}/{{namespace}}/tables/{{table}}",
            f"HEAD {ns}/{{namespace}}/tables/{{table}}",
            f"POST {ns}/{{namespace}}/tables/{{table}}",
            f"DELETE {ns}/{{namespace}}/tables/{{table}}",
            "POST /v1/{prefix}/tables/rename",
            f"GET {ns}/{{namespace}}/views",
            f"POST {ns}/{{namespace}}/views",
            f"GET {ns}/{{namespace}}/views/{{view}}",
            f"HEAD {ns}/{{namespace}}/views/{{view}}",
            f"POST {ns}/{{namespace}}/views/{{view}}",
            f"DELETE {ns}/{{namespace}}/views/{{view}}",
            "POST /v1/oauth/tokens",
        ]
    )
    # Not a route: not listed.
    r = _signed(gateway, "PUT", f"/iceberg/v1/{table_bucket}/namespaces/x/views/y")
    assert r.status_code == 405
    r = _signed(gateway, "GET", "/iceberg/v1/config")
    assert r.status_code == 400 and "warehouse" in _error(r)["message"]


# --- PyIceberg end to end -------------------------------------------------------


def test_pyiceberg_create_append_reload_scan_evolve_drop(gateway, s3, catalog):
    catalog.create_namespace("db", {"owner": "tests"})
    assert ("db",) in catalog.list_namespaces()
    assert catalog.load_namespace_properties("db") == {"owner": "tests"}
    table = catalog.create_table("db.events", schema=SCHEMA)
    table.append(pa.table({"id": [1, 2], "name": ["a", "b"]}, schema=SCHEMA))
    table.append(pa.table({"id": [3], "name": ["c"]}, schema=SCHEMA))

    reloaded = catalog.load_table("db.events")
    assert len(reloaded.metadata.snapshots) == 2
    rows = reloaded.scan().to_arrow().sort_by("id").to_pydict()
    assert rows == {"id": [1, 2, 3], "name": ["a", "b", "c"]}

    with reloaded.update_schema() as update:
        update.add_column("note", StringType())
    evolved = catalog.load_table("db.events")
    assert [f.name for f in evolved.schema().fields] == ["id", "name", "note"]
    assert evolved.metadata.current_schema_id == 1
    evolved.append(
        pa.table(
            {"id": [4], "name": ["d"], "note": ["new"]},
            schema=evolved.schema().as_arrow(),
        )
    )
    rows = catalog.load_table("db.events").scan().to_arrow().sort_by("id")
    assert rows.column("note").to_pylist() == [None, None, None, "new"]

    # Metadata JSON lives under the table's own location, numbered.
    location = evolved.metadata.location
    prefix = location.split("/", 3)[3] + "/metadata/"
    keys = [
        o["Key"]
        for o in s3.list_objects_v2(
            Bucket=catalog.properties["warehouse"], Prefix=prefix
        )["Contents"]
    ]
    assert len([k for k in keys if k.endswith(".metadata.json")]) == 5
    assert catalog.load_table("db.events").metadata_location.startswith(location)

    assert catalog.list_tables("db") == [("db", "events")]
    assert catalog.table_exists("db.events")
    catalog.drop_table("db.events")
    assert not catalog.table_exists("db.events")
    with pytest.raises(ice_exc.NoSuchTableError):
        catalog.load_table("db.events")
    # Drop without purge keeps the files (the documented behaviour).
    after = s3.list_objects_v2(Bucket=catalog.properties["warehouse"], Prefix=prefix)
    assert after["KeyCount"] == len(keys)
    catalog.drop_namespace("db")
    assert catalog.list_namespaces() == []


def test_purge_deletes_the_table_files(gateway, s3, catalog, table_bucket):
    catalog.create_namespace("p")
    table = catalog.create_table("p.t", schema=SCHEMA)
    table.append(pa.table({"id": [1], "name": ["x"]}, schema=SCHEMA))
    prefix = table.metadata.location.split("/", 3)[3] + "/"
    assert s3.list_objects_v2(Bucket=table_bucket, Prefix=prefix)["KeyCount"] > 2
    catalog.purge_table("p.t")
    assert s3.list_objects_v2(Bucket=table_bucket, Prefix=prefix)["KeyCount"] == 0
    with pytest.raises(ice_exc.NoSuchTableError):
        catalog.load_table("p.t")


def test_stale_commit_is_a_409(gateway, catalog, table_bucket, caplog):
    catalog.create_namespace("c")
    catalog.create_table("c.t", schema=SCHEMA)
    first = catalog.load_table("c.t")
    stale = catalog.load_table("c.t")
    first.append(pa.table({"id": [1], "name": ["a"]}, schema=SCHEMA))
    # The stale append's commit gets a 409; PyIceberg 0.12 refreshes and
    # retries it itself, so no snapshot is lost.
    with caplog.at_level("WARNING", logger="pyiceberg.table"):
        stale.append(pa.table({"id": [2], "name": ["b"]}, schema=SCHEMA))
    assert "concurrent update" in caplog.text
    current = catalog.load_table("c.t")
    assert len(current.metadata.snapshots) == 2
    assert sorted(current.scan().to_arrow().column("id").to_pylist()) == [1, 2]
    # The raw protocol: a requirement naming the old main is a 409, and
    # nothing of that commit lands.
    path = f"/iceberg/v1/{table_bucket}/namespaces/c/tables/t"
    old_snapshot = first.metadata.current_snapshot_id
    body = {
        "requirements": [
            {
                "type": "assert-ref-snapshot-id",
                "ref": "main",
                "snapshot-id": old_snapshot,
            }
        ],
        "updates": [{"action": "set-properties", "updates": {"stale": "yes"}}],
    }
    r = _signed(gateway, "POST", path, body)
    assert r.status_code == 409 and _error(r)["type"] == "CommitFailedException"
    assert "stale" not in catalog.load_table("c.t").properties
    body["requirements"][0]["snapshot-id"] = current.metadata.current_snapshot_id
    r = _signed(gateway, "POST", path, body)
    assert r.status_code == 200, r.text
    assert catalog.load_table("c.t").properties["stale"] == "yes"


def test_create_table_transaction_stages_then_commits(gateway, catalog):
    catalog.create_namespace("tx")
    txn = catalog.create_table_transaction("tx.t", schema=SCHEMA)
    rival = catalog.create_table_transaction("tx.t", schema=SCHEMA)
    # Staged: nothing registered until the commit.
    assert not catalog.table_exists("tx.t")
    txn.append(pa.table({"id": [1, 2], "name": ["a", "b"]}, schema=SCHEMA))
    txn.commit_transaction()
    table = catalog.load_table("tx.t")
    assert len(table.metadata.snapshots) == 1
    assert table.metadata_location.split("/")[-1].startswith("00000-")
    assert sorted(table.scan().to_arrow().column("id").to_pylist()) == [1, 2]
    # The rival staged before the table existed: its commit is a conflict.
    with pytest.raises(ice_exc.CommitFailedException):
        rival.commit_transaction()
    # Staging once the table exists is refused at once.
    with pytest.raises(ice_exc.TableAlreadyExistsError):
        catalog.create_table_transaction("tx.t", schema=SCHEMA)
    assert catalog.load_table("tx.t").metadata_location == table.metadata_location


def test_snapshot_outside_the_table_location_is_refused(gateway, catalog, table_bucket):
    catalog.create_namespace("out")
    table = catalog.create_table("out.t", schema=SCHEMA)
    snapshot = {
        "snapshot-id": 12345,
        "sequence-number": 1,
        "timestamp-ms": 1700000000000,
        "summary": {"operation": "append"},
        "schema-id": 0,
    }
    path = f"/iceberg/v1/{table_bucket}/namespaces/out/tables/t"
    for manifest_list in (
        "s3://another-bucket/x/snap.avro",
        f"s3://{table_bucket}/tables/other-table/metadata/snap.avro",
        table.metadata.location + "-sibling/metadata/snap.avro",
    ):
        body = {
            "updates": [
                {
                    "action": "add-snapshot",
                    "snapshot": {**snapshot, "manifest-list": manifest_list},
                }
            ]
        }
        r = _signed(gateway, "POST", path, body)
        assert r.status_code == 400, (manifest_list, r.text)
        assert "outside the table location" in _error(r)["message"]
    assert catalog.load_table("out.t").metadata.snapshots == []


def test_metadata_files_take_the_bucket_encryption_and_quota(gateway, s3, bucket):
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
    )
    assert _signed(gateway, "PUT", f"/iceberg/v1/buckets/{bucket}").status_code == 200
    catalog = _catalog(gateway, bucket)
    catalog.create_namespace("enc")
    table = catalog.create_table("enc.t", schema=SCHEMA)
    key = table.metadata_location.split("/", 3)[3]
    assert s3.head_object(Bucket=bucket, Key=key)["ServerSideEncryption"] == "AES256"
    # A quota smaller than what is stored: the next metadata file is refused.
    admin = Admin(gateway)
    admin.call("PUT", f"/v1/buckets/{bucket}", {"quota_bytes": 100})
    with pytest.raises(ice_exc.ForbiddenError, match="QuotaExceeded"):
        catalog.create_table("enc.t2", schema=SCHEMA)
    assert not catalog.table_exists("enc.t2")


def test_a_commit_adding_files_outside_the_table_is_refused(
    gateway, catalog, table_bucket
):
    from pyarrow import fs
    from pyarrow import parquet as pq

    s3fs = fs.S3FileSystem(
        access_key=gateway.access_key,
        secret_key=gateway.secret_key,
        endpoint_override=gateway.endpoint,
        region=gateway.region,
    )
    catalog.create_namespace("files")
    table = catalog.create_table("files.t", schema=SCHEMA)
    other = catalog.create_table("files.other", schema=SCHEMA)
    rows = pa.table({"id": [1], "name": ["x"]}, schema=SCHEMA)
    table.append(rows)
    outside = [
        f"{table_bucket}/elsewhere/x.parquet",
        other.metadata.location[len("s3://") :] + "/data/y.parquet",
        table.metadata.location[len("s3://") :] + "-sibling/data/z.parquet",
    ]
    for path in outside:
        pq.write_table(rows, path, filesystem=s3fs)
        # PyIceberg writes a manifest naming the file; the commit is refused.
        with pytest.raises(ice_exc.BadRequestError, match="outside the table"):
            catalog.load_table("files.t").add_files([f"s3://{path}"])
    # A file inside the table location is fine.
    inside = table.metadata.location[len("s3://") :] + "/data/ok.parquet"
    pq.write_table(rows, inside, filesystem=s3fs)
    catalog.load_table("files.t").add_files([f"s3://{inside}"])
    current = catalog.load_table("files.t")
    assert len(current.metadata.snapshots) == 2
    assert current.scan().to_arrow().num_rows == 2


def test_concurrent_appends_lose_no_snapshot(gateway, table_bucket):
    import concurrent.futures

    setup = _catalog(gateway, table_bucket)
    setup.create_namespace("conc")
    setup.create_table("conc.t", schema=SCHEMA)
    writers, rounds = 3, 2

    def writer(w: int) -> None:
        # Each writer its own catalog (its own HTTP session), as separate
        # processes would have.
        table = _catalog(gateway, table_bucket).load_table("conc.t")
        for r in range(rounds):
            row = {"id": [w * 100 + r], "name": [f"w{w}r{r}"]}
            table.append(pa.table(row, schema=SCHEMA))

    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        for future in [pool.submit(writer, w) for w in range(writers)]:
            future.result()
    table = setup.load_table("conc.t")
    assert len(table.metadata.snapshots) == writers * rounds
    ids = sorted(table.scan().to_arrow().column("id").to_pylist())
    assert ids == sorted(w * 100 + r for w in range(writers) for r in range(rounds))
    # The snapshots form one chain: each commit built on the one before.
    parents = [s.parent_snapshot_id for s in table.metadata.snapshots]
    assert parents[0] is None and len(set(parents)) == len(parents)


def test_pyarrow_reads_the_data_files_through_the_gateway(gateway, catalog):
    from pyarrow import fs
    from pyarrow import parquet as pq

    catalog.create_namespace("pa")
    table = catalog.create_table("pa.t", schema=SCHEMA)
    table.append(pa.table({"id": [7, 8], "name": ["x", "y"]}, schema=SCHEMA))
    files = [task.file.file_path for task in table.scan().plan_files()]
    assert len(files) == 1 and files[0].startswith("s3://")
    s3fs = fs.S3FileSystem(
        access_key=gateway.access_key,
        secret_key=gateway.secret_key,
        endpoint_override=gateway.endpoint,
        region=gateway.region,
    )
    data = pq.read_table(files[0][len("s3://") :], filesystem=s3fs)
    assert sorted(data.column("id").to_pylist()) == [7, 8]


def test_alias_path_and_s3_signing_name(gateway, table_bucket):
    alias = _catalog(gateway, table_bucket, uri_path="/_iceberg", service="s3")
    alias.create_namespace(("multi", "level"))
    table = alias.create_table(("multi", "level", "t"), schema=SCHEMA)
    table.append(pa.table({"id": [1], "name": ["a"]}, schema=SCHEMA))
    canonical = _catalog(gateway, table_bucket)
    assert canonical.list_namespaces() == [("multi",)]
    assert canonical.list_namespaces(("multi",)) == [("multi", "level")]
    assert len(canonical.load_table("multi.level.t").scan().to_arrow()) == 1


def test_namespace_listing_pages(gateway, catalog, table_bucket):
    for i in range(5):
        catalog.create_namespace(f"n{i}")
    seen, token = [], None
    for _ in range(10):
        path = f"/iceberg/v1/{table_bucket}/namespaces?pageSize=2"
        if token:
            path += f"&pageToken={token}"
        r = _signed(gateway, "GET", path)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["namespaces"]) <= 2
        seen += [ns[0] for ns in page["namespaces"]]
        token = page.get("next-page-token")
        if not token:
            break
    assert seen == [f"n{i}" for i in range(5)]
    assert sorted(n[0] for n in catalog.list_namespaces()) == seen


def test_namespace_properties_update(gateway, catalog):
    catalog.create_namespace("props", {"a": "1", "b": "2"})
    summary = catalog.update_namespace_properties(
        "props", removals={"a", "zz"}, updates={"c": "3"}
    )
    assert summary.removed == ["a"] and summary.missing == ["zz"]
    assert summary.updated == ["c"]
    assert catalog.load_namespace_properties("props") == {"b": "2", "c": "3"}


def test_rename_table(gateway, catalog):
    catalog.create_namespace("r1")
    catalog.create_namespace("r2")
    table = catalog.create_table("r1.old", schema=SCHEMA)
    table.append(pa.table({"id": [1], "name": ["a"]}, schema=SCHEMA))
    catalog.rename_table("r1.old", "r2.new")
    assert catalog.list_tables("r1") == []
    assert catalog.load_table("r2.new").scan().to_arrow().num_rows == 1
    with pytest.raises(ice_exc.NoSuchTableError):
        catalog.rename_table("r1.old", "r2.other")


def test_register_an_existing_metadata_file(gateway, catalog, table_bucket):
    catalog.create_namespace("reg")
    table = catalog.create_table("reg.src", schema=SCHEMA)
    table.append(pa.table({"id": [5], "name": ["e"]}, schema=SCHEMA))
    location = catalog.load_table("reg.src").metadata_location
    catalog.drop_table("reg.src")  # files stay
    registered = catalog.register_table("reg.back", location)
    assert registered.metadata_location == location
    assert catalog.load_table("reg.back").scan().to_arrow().num_rows == 1
    with pytest.raises(ice_exc.TableAlreadyExistsError):
        catalog.register_table("reg.back", location)
    path = f"/iceberg/v1/{table_bucket}/namespaces/reg/register"
    for body in (
        {"name": "x", "metadata-location": "s3://elsewhere/m/00000-a.metadata.json"},
        {
            "name": "x",
            "metadata-location": location.rsplit("/", 1)[0]
            + f"/09999-{uuid.uuid4()}.metadata.json",
        },
        {"name": "x"},
        {"name": "x", "metadata-location": location, "overwrite": "yes"},
    ):
        r = _signed(gateway, "POST", path, body)
        assert r.status_code == 400, (body, r.text)
        _error(r)
    assert catalog.list_tables("reg") == [("reg", "back")]


def test_refs_time_travel_and_the_pointer(gateway, catalog, table_bucket):
    catalog.create_namespace("refs")
    table = catalog.create_table("refs.t", schema=SCHEMA)
    table.append(pa.table({"id": [1], "name": ["a"]}, schema=SCHEMA))
    first = catalog.load_table("refs.t").metadata.current_snapshot_id
    table = catalog.load_table("refs.t")
    table.append(pa.table({"id": [2], "name": ["b"]}, schema=SCHEMA))
    table = catalog.load_table("refs.t")
    # Stock PyIceberg: a tag and a branch through the standard commit.
    table.manage_snapshots().create_tag(first, "v1").create_branch(
        first, "audit"
    ).commit()
    table = catalog.load_table("refs.t")
    assert table.refs()["v1"].snapshot_id == first
    assert table.scan(snapshot_id=first).to_arrow().column("id").to_pylist() == [1]
    assert sorted(table.scan().to_arrow().column("id").to_pylist()) == [1, 2]

    base = f"/iceberg/v1/{table_bucket}/namespaces/refs/tables/t"
    r = _signed(gateway, "GET", base + "/refs")
    assert r.status_code == 200, r.text
    refs = r.json()["refs"]
    assert set(refs) == {"main", "v1", "audit"}
    assert refs["v1"] == {"snapshot-id": first, "type": "tag"}

    r = _signed(gateway, "GET", base + "/metadata-location")
    pointer = r.json()
    assert pointer["metadata-location"] == table.metadata_location
    r = _signed(
        gateway, "PUT", base + "/refs/v0", {"snapshot-id": first, "type": "tag"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["snapshot-id"] == first and r.json()["type"] == "tag"
    after = _signed(gateway, "GET", base + "/metadata-location").json()
    assert after["version-token"] != pointer["version-token"]
    assert after["metadata-location"] == r.json()["metadata-location"]

    # A branch with explicit retention needs force to go; main never goes.
    r = _signed(
        gateway,
        "PUT",
        base + "/refs/keep",
        {"snapshot-id": first, "type": "branch", "max-ref-age-ms": 86400000},
    )
    assert r.status_code == 200, r.text
    r = _signed(gateway, "DELETE", base + "/refs/keep", {"force": False})
    assert r.status_code == 400 and "force" in _error(r)["message"]
    r = _signed(gateway, "DELETE", base + "/refs/keep", {"force": True})
    assert r.status_code == 204, r.text
    r = _signed(gateway, "DELETE", base + "/refs/main", {"force": True})
    assert r.status_code == 400 and "main" in _error(r)["message"]
    r = _signed(gateway, "DELETE", base + "/refs/v0")
    assert r.status_code == 204
    r = _signed(gateway, "DELETE", base + "/refs/v0")
    assert r.status_code == 404
    _error(r)
    for body in (
        {"snapshot-id": 424242, "type": "tag"},
        {"snapshot-id": first, "type": "twig"},
        {"snapshot-id": first, "colour": "red"},
        {"type": "tag"},
    ):
        r = _signed(gateway, "PUT", base + "/refs/bad", body)
        assert r.status_code == 400, (body, r.text)
        _error(r)
    r = _signed(gateway, "DELETE", base + "/refs/audit", {"force": "yes"})
    assert r.status_code == 400
    assert set(catalog.load_table("refs.t").refs()) == {"main", "v1", "audit"}


def test_views_create_list_load_drop(gateway, catalog, table_bucket):
    from pyiceberg.view.metadata import SQLViewRepresentation, ViewVersion

    catalog.create_namespace("v")
    catalog.create_table("v.t", schema=SCHEMA)
    version = ViewVersion(
        schema_id=0,
        representations=[
            SQLViewRepresentation(type="sql", sql="SELECT id FROM v.t", dialect="spark")
        ],
        default_namespace=["v"],
    )
    view = catalog.create_view(
        "v.recent", pa.schema([("id", pa.int64())]), version, properties={"a": "b"}
    )
    assert view.metadata.current_version_id == 1
    assert catalog.list_views("v") == [("v", "recent")]
    assert catalog.view_exists("v.recent")
    loaded = catalog.load_view("v.recent")
    assert loaded.metadata.properties == {"a": "b"}
    rep = loaded.metadata.versions[0].representations[0].root
    assert rep.sql == "SELECT id FROM v.t"
    assert loaded.metadata.location.startswith(f"s3://{table_bucket}/views/")
    # A view and a table cannot share a name; a view keeps its namespace.
    with pytest.raises(ice_exc.ViewAlreadyExistsError):
        catalog.create_view("v.recent", pa.schema([("id", pa.int64())]), version)
    with pytest.raises(ice_exc.ViewAlreadyExistsError):
        catalog.create_view("v.t", pa.schema([("id", pa.int64())]), version)
    with pytest.raises(ice_exc.TableAlreadyExistsError):
        catalog.create_table("v.recent", schema=SCHEMA)
    catalog.drop_table("v.t")
    with pytest.raises(ice_exc.NamespaceNotEmptyError):
        catalog.drop_namespace("v")
    catalog.drop_view("v.recent")
    assert not catalog.view_exists("v.recent")
    with pytest.raises(ice_exc.NoSuchViewError):
        catalog.drop_view("v.recent")
    base = f"/iceberg/v1/{table_bucket}/namespaces/v/views"
    r = _signed(gateway, "GET", base + "/recent")
    assert r.status_code == 404 and _error(r)["type"] == "NoSuchViewException"
    r = _signed(gateway, "POST", base, {"name": "bad", "schema": {"type": "struct"}})
    assert r.status_code == 400
    _error(r)
    catalog.drop_namespace("v")


# --- bad input --------------------------------------------------------------------


def test_unknown_namespace_and_table_are_404(gateway, catalog, table_bucket):
    with pytest.raises(ice_exc.NoSuchNamespaceError):
        catalog.load_namespace_properties("ghost")
    with pytest.raises(ice_exc.NoSuchNamespaceError):
        catalog.create_table("ghost.t", schema=SCHEMA)
    catalog.create_namespace("real")
    with pytest.raises(ice_exc.NoSuchTableError):
        catalog.load_table("real.ghost")
    r = _signed(gateway, "GET", f"/iceberg/v1/{table_bucket}/namespaces/ghost")
    assert r.status_code == 404
    assert _error(r)["type"] == "NoSuchNamespaceException"
    r = _signed(gateway, "GET", f"/iceberg/v1/{table_bucket}/namespaces/real/tables/x")
    assert r.status_code == 404 and _error(r)["type"] == "NoSuchTableException"
    r = _signed(gateway, "HEAD", f"/iceberg/v1/{table_bucket}/namespaces/real/tables/x")
    assert r.status_code == 404
    r = _signed(gateway, "GET", f"/iceberg/v1/{table_bucket}/nonsense")
    assert r.status_code == 404
    _error(r)


def test_duplicates_are_409(gateway, catalog, table_bucket):
    catalog.create_namespace("dup")
    with pytest.raises(ice_exc.NamespaceAlreadyExistsError):
        catalog.create_namespace("dup")
    catalog.create_table("dup.t", schema=SCHEMA)
    with pytest.raises(ice_exc.TableAlreadyExistsError):
        catalog.create_table("dup.t", schema=SCHEMA)
    with pytest.raises(ice_exc.NamespaceNotEmptyError):
        catalog.drop_namespace("dup")
    r = _signed(
        gateway,
        "POST",
        f"/iceberg/v1/{table_bucket}/namespaces",
        {"namespace": ["dup"]},
    )
    assert r.status_code == 409 and _error(r)["type"] == "AlreadyExistsException"


def test_malformed_requests_are_400(gateway, catalog, table_bucket):
    base = f"/iceberg/v1/{table_bucket}/namespaces"
    catalog.create_namespace("bad")
    catalog.create_table("bad.t", schema=SCHEMA)
    cases = [
        ("POST", base, b"{not json"),
        ("POST", base, b"[1, 2]"),
        ("POST", base, {"namespace": []}),
        ("POST", base, {"namespace": "flat"}),
        ("POST", base, {"namespace": ["x"], "properties": {"k": 1}}),
        ("POST", base + "/bad/tables", {"name": "t2"}),  # no schema
        ("POST", base + "/bad/tables", {"name": "t2", "schema": {"type": "nope"}}),
        (
            "POST",
            base + "/bad/tables",
            {
                "name": "t3",
                "location": "s3://some-other-bucket/t3",
                "schema": {"type": "struct", "fields": []},
            },
        ),
        ("POST", base + "/bad/tables/t", b"{"),
        ("POST", base + "/bad/tables/t", {"updates": [{"action": "no-such-update"}]}),
        (
            "POST",
            base + "/bad/tables/t",
            {"updates": [{"action": "set-location", "location": "s3://elsewhere/x"}]},
        ),
        (
            "POST",
            base + "/bad/tables/t",
            {"updates": [{"action": "set-current-schema", "schema-id": 99}]},
        ),
        (
            "POST",
            base + "/bad/tables/t",
            {"updates": [{"action": "set-default-spec", "spec-id": 42}]},
        ),
        (
            "POST",
            base + "/bad/tables/t",
            {"updates": [{"action": "set-default-sort-order", "sort-order-id": 7}]},
        ),
        (
            "POST",
            base + "/bad/tables/t",
            {"updates": [{"action": "upgrade-format-version", "format-version": 1}]},
        ),
        (
            "POST",
            base + "/bad/tables/t",
            {"updates": [{"action": "upgrade-format-version", "format-version": 99}]},
        ),
        (
            "POST",
            base + "/bad/tables/t",
            {
                "updates": [
                    {
                        "action": "set-snapshot-ref",
                        "ref-name": "main",
                        "type": "branch",
                        "snapshot-id": 424242,
                    }
                ]
            },
        ),
        (
            "POST",
            base + "/bad/tables/t",
            {
                "updates": [
                    {
                        "action": "add-schema",
                        "schema": {
                            "type": "struct",
                            "fields": [
                                {
                                    "id": 1,
                                    "name": "x",
                                    "type": "no-such-type",
                                    "required": False,
                                }
                            ],
                        },
                    }
                ]
            },
        ),
        ("POST", base + "/bad/tables/t", {"updates": "not a list"}),
        (
            "POST",
            base + "/bad/tables/t",
            {"requirements": [{"type": "assert-nothing"}]},
        ),
        (
            "POST",
            base + "/bad/tables/t",
            {"identifier": {"namespace": ["bad"], "name": "other"}},
        ),
        ("POST", base + "/bad/properties", {"removals": "a"}),
        ("GET", base + "?pageSize=abc", None),
        ("DELETE", base + "/bad/tables/t?purgeRequested=maybe", None),
    ]
    for method, path, body in cases:
        r = _signed(gateway, method, path, body)
        assert r.status_code == 400, (path, body, r.status_code, r.text)
        assert _error(r)["type"] == "BadRequestException", r.text
    # The table survived all of it.
    assert catalog.load_table("bad.t").metadata.location


def test_failed_requirement_is_409_and_unknown_route_method_405(
    gateway, catalog, table_bucket
):
    catalog.create_namespace("req")
    table = catalog.create_table("req.t", schema=SCHEMA)
    path = f"/iceberg/v1/{table_bucket}/namespaces/req/tables/t"
    body = {
        "requirements": [{"type": "assert-table-uuid", "uuid": str(uuid.uuid4())}],
        "updates": [{"action": "set-properties", "updates": {"k": "v"}}],
    }
    r = _signed(gateway, "POST", path, body)
    assert r.status_code == 409 and _error(r)["type"] == "CommitFailedException"
    body["requirements"][0]["uuid"] = str(table.metadata.table_uuid)
    r = _signed(gateway, "POST", path, body)
    assert r.status_code == 200, r.text
    assert r.json()["metadata"]["properties"]["k"] == "v"
    r = _signed(gateway, "PUT", path, {})
    assert r.status_code == 405
    _error(r)


def test_unsigned_and_badly_signed_requests(gateway, table_bucket):
    path = f"/iceberg/v1/{table_bucket}/namespaces"
    r = requests.get(gateway.endpoint + path, timeout=10)
    assert r.status_code == 401 and _error(r)["type"] == "NotAuthorizedException"
    r = _signed(gateway, "GET", path, key=(gateway.access_key, "wrong-secret"))
    assert r.status_code == 403 and _error(r)["type"] == "ForbiddenException"
    r = _signed(gateway, "GET", path, service="execute-api")
    assert r.status_code == 400
    _error(r)


def test_iam_policy_gates_catalog_actions(gateway, catalog, table_bucket):
    catalog.create_namespace("iam")
    catalog.create_table("iam.t", schema=SCHEMA)
    admin = Admin(gateway)
    name = "reader" + uuid.uuid4().hex[:8]
    admin.call("PUT", f"/v1/users/{name}", {"kind": "iam"})
    key = admin.call("POST", f"/v1/users/{name}/keys", {}).json()
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "s3tables:Get*",
                    "s3tables:List*",
                    "s3:GetObject",
                    "s3:ListBucket",
                ],
                "Resource": "*",
            }
        ],
    }
    admin.call("PUT", f"/v1/policies/{name}-policy", {"document": doc})
    admin.call("PUT", f"/v1/users/{name}/policies/{name}-policy", {})
    reader = _catalog(gateway, table_bucket, key=(key["access_key"], key["secret_key"]))
    assert ("iam",) in reader.list_namespaces()
    assert reader.load_table("iam.t").metadata.location
    with pytest.raises(ice_exc.ForbiddenError):
        reader.create_namespace("nope")
    with pytest.raises(ice_exc.ForbiddenError):
        reader.drop_table("iam.t")
    # Without any policy: nothing at all.
    other = "nobody" + uuid.uuid4().hex[:8]
    admin.call("PUT", f"/v1/users/{other}", {"kind": "iam"})
    k2 = admin.call("POST", f"/v1/users/{other}/keys", {}).json()
    r = _signed(
        gateway,
        "GET",
        f"/iceberg/v1/{table_bucket}/namespaces",
        key=(k2["access_key"], k2["secret_key"]),
    )
    assert r.status_code == 403 and _error(r)["type"] == "ForbiddenException"


def test_a_bucket_named_iceberg_keeps_its_keys_virtual_hosted(gateway, s3):
    """ "/iceberg/v1/..." path-style is the catalog; a bucket named "iceberg"
    still serves its "v1/..." keys virtual-hosted."""
    try:
        s3.create_bucket(Bucket="iceberg")
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    host = f"iceberg.s3.test:{gateway.port}"
    url = f"{gateway.endpoint}/v1/config"
    credentials = Credentials(gateway.access_key, gateway.secret_key)

    def virtual_hosted(method, data=b""):
        request = AWSRequest(method=method, url=url, data=data, headers={"host": host})
        request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
        S3SigV4Auth(credentials, "s3", gateway.region).add_auth(request)
        return requests.request(
            method, url, data=data, headers=dict(request.headers), timeout=10
        )

    assert virtual_hosted("PUT", b"plain object").status_code == 200
    r = virtual_hosted("GET")
    assert r.status_code == 200 and r.content == b"plain object"
    assert virtual_hosted("DELETE").status_code == 204
    s3.delete_bucket(Bucket="iceberg")


def test_no_vended_credentials_without_tables_vending(gateway, catalog, table_bucket):
    """This gateway runs without --tables-vending: loadTable carries no
    credentials and the credentials route (not listed) says why
    (test_iceberg_credentials.py runs one with it on)."""
    catalog.create_namespace("novend")
    catalog.create_table("novend.t", schema=SCHEMA)
    path = f"/iceberg/v1/{table_bucket}/namespaces/novend/tables/t"
    r = _signed(gateway, "GET", path)
    assert r.status_code == 200 and r.json()["config"] == {}
    assert "storage-credentials" not in r.json()
    r = _signed(gateway, "GET", path + "/credentials")
    assert r.status_code == 400 and "--tables-vending" in _error(r)["message"]
