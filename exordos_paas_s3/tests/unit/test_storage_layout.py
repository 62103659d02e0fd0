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
"""--blob-store / --index / --upstream-*: what parses, what is refused and
how, and which pairs build today (gateway/storage/layout.py)."""

import asyncio

import pytest

from exordos_paas_s3.gateway.storage import layout, local

S3 = {
    "blob_store": "s3",
    "upstream_endpoint": "http://rgw.example:7480/",
    "upstream_bucket": "exordos-blobs",
    "upstream_access_key": "AKUP",
    "upstream_secret_key": "upstream-secret-value",
}


def test_defaults_are_local_and_sqlite():
    chosen = layout.parse()
    assert (chosen.blob_store, chosen.index, chosen.upstream) == (
        "local",
        "sqlite",
        None,
    )
    assert chosen.describe() == "local blob store + sqlite index"


def test_s3_upstream_with_postgresql():
    chosen = layout.parse(index="postgresql://gw:pw-123@db.example:5432/s3", **S3)
    assert chosen.blob_store == "s3" and chosen.index == "postgresql"
    assert chosen.upstream is not None
    assert chosen.upstream.endpoint == "http://rgw.example:7480"
    assert chosen.upstream.region == "us-east-1"
    text = chosen.describe() + repr(chosen)
    assert "rgw.example:7480" in text and "exordos-blobs" in text
    assert "db.example:5432/s3" in text
    # Neither the upstream's secret nor the database password shows.
    assert "upstream-secret-value" not in text and "pw-123" not in text


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"upstream_endpoint": None}, "--upstream-endpoint"),
        ({"upstream_bucket": ""}, "--upstream-bucket"),
        ({"upstream_endpoint": "rgw.example:7480"}, "http:// or https://"),
        ({"upstream_endpoint": "ftp://rgw"}, "http:// or https://"),
        ({"upstream_bucket": "Not_A_Bucket"}, "not a valid S3 bucket name"),
        ({"upstream_access_key": None}, "EXORDOS_S3_UPSTREAM_ACCESS_KEY"),
        ({"upstream_secret_key": ""}, "EXORDOS_S3_UPSTREAM_SECRET_KEY"),
        ({"blob_store": "nfs"}, "--blob-store must be one of local, s3"),
    ],
)
def test_wrong_s3_settings_say_which_option(change, says):
    with pytest.raises(layout.LayoutError) as exc:
        layout.parse(**{**S3, **change})
    assert says in str(exc.value)
    assert "upstream-secret-value" not in str(exc.value)


def test_upstream_options_without_s3_are_refused():
    with pytest.raises(layout.LayoutError) as exc:
        layout.parse(upstream_endpoint="http://rgw:7480", upstream_bucket="b")
    assert "--upstream-endpoint, --upstream-bucket apply to --blob-store s3" in str(
        exc.value
    )


@pytest.mark.parametrize(
    "index", ["mysql://u:secretpw@h/db", "sqlite3", "postgresql://", ""]
)
def test_wrong_index_never_echoes_the_value(index):
    with pytest.raises(layout.LayoutError) as exc:
        layout.parse(index=index)
    assert "sqlite" in str(exc.value) or "postgresql" in str(exc.value)
    assert "secretpw" not in str(exc.value)


def test_local_blob_store_with_postgresql_index_is_refused():
    # The bytes would stay on one node's disk: a shared index cannot serve them.
    with pytest.raises(layout.LayoutError) as exc:
        layout.parse(index="postgresql://gw:pw-123@db/s3")
    assert "--blob-store local keeps object bytes on this node's disk" in str(exc.value)
    assert "pw-123" not in str(exc.value)


def test_build_local_sqlite_and_refuse_an_index_that_does_not_answer(tmp_path):
    async def t():
        storage = await layout.build(layout.parse(), str(tmp_path / "d"))
        try:
            assert isinstance(storage, local.LocalStorage)
        finally:
            await storage.close()
        # Nothing listens on port 9: the pair is built, its start fails.
        chosen = layout.parse(index="postgresql://gw:pw-123@127.0.0.1:9/s3", **S3)
        with pytest.raises(layout.LayoutError) as exc:
            await layout.build(chosen, str(tmp_path / "e"))
        assert "cannot start" in str(exc.value)
        assert "pw-123" not in str(exc.value)

    asyncio.run(t())


def test_build_s3_sqlite_refuses_an_upstream_that_does_not_answer(tmp_path):
    # Nothing listens on port 9 of 127.0.0.1: the blob store's start fails,
    # and the gateway is told why, without the upstream's secret, before the
    # index file exists.
    async def t():
        chosen = layout.parse(**{**S3, "upstream_endpoint": "http://127.0.0.1:9"})
        with pytest.raises(layout.LayoutError) as exc:
            await layout.build(chosen, str(tmp_path / "d"))
        assert "cannot start" in str(exc.value)
        assert "upstream-secret-value" not in str(exc.value)
        assert not (tmp_path / "d" / "upstream-index.sqlite").exists()

    asyncio.run(t())
