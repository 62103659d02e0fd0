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
"""The pure rules of the HTTP side: ranges, conditionals, bucket names, XML."""

from __future__ import annotations

import types

import pytest

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.handlers import bucket, integrity, multipart
from exordos_paas_s3.gateway.handlers import object as obj
from exordos_paas_s3.gateway.request import http_date
from exordos_paas_s3.gateway.storage.base import ObjectInfo

INFO = ObjectInfo(
    bucket="b", key="k", size=1000, etag="abc", last_modified=1_700_000_000.5
)


@pytest.mark.parametrize(
    "header,expected",
    [
        ("bytes=0-0", (0, 1)),
        ("bytes=0-999", (0, 1000)),
        ("bytes=10-", (10, 990)),
        ("bytes=-10", (990, 10)),
        ("bytes=-5000", (0, 1000)),
        ("bytes=990-5000", (990, 10)),
        # Ignored (served whole, 200), as AWS does:
        ("bytes=5-2", None),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        ("bytes=abc", None),
    ],
)
def test_parse_range(header, expected):
    assert obj.parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=2000-3000", "bytes=-0"])
def test_unsatisfiable_ranges_are_416_with_content_range(header):
    with pytest.raises(errors.InvalidRange) as e:
        obj.parse_range(header, 1000)
    assert e.value.status == 416
    assert e.value.headers["content-range"] == "bytes */1000"


def test_any_range_of_an_empty_object_is_unsatisfiable():
    with pytest.raises(errors.InvalidRange):
        obj.parse_range("bytes=0-", 0)


def _req(**headers):
    return types.SimpleNamespace(headers=headers)


LM = http_date(INFO.last_modified)
EARLIER = http_date(INFO.last_modified - 3600)


def test_if_match_beats_if_unmodified_since():
    req = _req(**{"if-match": '"abc"', "if-unmodified-since": EARLIER})
    assert obj.check_read_conditions(req, INFO) is None


def test_if_match_failing_is_412():
    with pytest.raises(errors.PreconditionFailed):
        obj.check_read_conditions(_req(**{"if-match": '"other"'}), INFO)


def test_if_unmodified_since_alone_is_412_when_modified():
    with pytest.raises(errors.PreconditionFailed):
        obj.check_read_conditions(_req(**{"if-unmodified-since": EARLIER}), INFO)


def test_if_none_match_match_is_304():
    resp = obj.check_read_conditions(_req(**{"if-none-match": '"abc"'}), INFO)
    assert resp.status == 304 and resp.headers["etag"] == '"abc"'


def test_if_none_match_miss_beats_if_modified_since():
    req = _req(**{"if-none-match": '"zzz"', "if-modified-since": LM})
    assert obj.check_read_conditions(req, INFO) is None


def test_if_modified_since_not_modified_is_304_and_bad_dates_are_ignored():
    assert obj.check_read_conditions(_req(**{"if-modified-since": LM}), INFO)
    assert (
        obj.check_read_conditions(_req(**{"if-modified-since": "junk"}), INFO) is None
    )


def test_etag_matching_lists_wildcards_and_weak_tags():
    assert obj.etag_matches('"x", "abc"', "abc")
    assert obj.etag_matches("*", "abc")
    assert obj.etag_matches('W/"abc"', "abc")
    assert not obj.etag_matches('"abcd"', "abc")


def test_write_precondition_semantics():
    def run(headers, current):
        check = obj.write_precondition(types.SimpleNamespace(headers=headers, key="k"))
        check.check(current, "k")

    run({"if-none-match": "*"}, None)
    with pytest.raises(errors.PreconditionFailed):
        run({"if-none-match": "*"}, INFO)
    run({"if-none-match": '"other"'}, INFO)
    with pytest.raises(errors.NoSuchKey):
        run({"if-match": "*"}, None)
    with pytest.raises(errors.PreconditionFailed):
        run({"if-match": '"other"'}, INFO)
    run({"if-match": '"abc"'}, INFO)
    assert obj.write_precondition(types.SimpleNamespace(headers={}, key="k")) is None


@pytest.mark.parametrize(
    "name",
    ["abc", "a" * 63, "my.bucket-1", "1bucket", "bucket1"],
)
def test_valid_bucket_names(name):
    bucket.check_bucket_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Bucket",
        "bucket_1",
        "-bucket",
        "bucket-",
        "my..bucket",
        "my.-bucket",
        "10.0.0.1",
        "xn--bucket",
        "bucket-s3alias",
        "bucket--ol-s3",
    ],
)
def test_invalid_bucket_names(name):
    with pytest.raises(errors.InvalidBucketName):
        bucket.check_bucket_name(name)


def test_copy_source_parsing():
    assert obj.parse_copy_source("/b/dir%2Fk%20x?versionId=v1") == (
        "b",
        "dir/k x",
        "v1",
    )
    assert obj.parse_copy_source("b/k") == ("b", "k", None)
    with pytest.raises(errors.InvalidArgument):
        obj.parse_copy_source("just-a-bucket")


def test_composite_etag_matches_aws_rule():
    # md5 of the concatenated raw part MD5s, then "-N".
    import hashlib

    parts = [(1, hashlib.md5(b"a").hexdigest()), (2, hashlib.md5(b"b").hexdigest())]
    raw = hashlib.md5(b"a").digest() + hashlib.md5(b"b").digest()
    assert multipart.composite_etag(parts) == hashlib.md5(raw).hexdigest() + "-2"
    assert multipart.composite_etag([(1, "not-hex")]) is None


def test_xml_serializer_escapes_and_replaces_invalid_characters():
    root = s3xml.Element("R", [])
    root.add("Key", 'a<b>&"c"\x01')
    data = s3xml.serialize(root)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<R xmlns=')
    assert b"<Key>a&lt;b&gt;&amp;&quot;c&quot;\xef\xbf\xbd</Key>" in data
    # What we write, we can read back.
    assert s3xml.parse(data).find("Key").text == 'a<b>&"c"\ufffd'


@pytest.mark.parametrize(
    "doc",
    [
        b"",
        b"<a>",
        b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
        b'<!DOCTYPE a SYSTEM "http://example.com/x.dtd"><a/>',
    ],
)
def test_xml_parse_refuses_malformed_and_dtd_documents(doc):
    with pytest.raises(errors.MalformedXML):
        s3xml.parse(doc)


def test_xml_parse_drops_namespaces_and_checks_the_root():
    doc = b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet></Delete>'
    assert s3xml.child_text(s3xml.parse(doc, "Delete"), "Quiet") == "true"
    with pytest.raises(errors.MalformedXML):
        s3xml.parse(doc, "CompleteMultipartUpload")


async def _chunks(*parts):
    for p in parts:
        yield p


def test_read_body_limit():
    import asyncio

    assert asyncio.run(s3xml.read_body(_chunks(b"ab", b"cd"), 4)) == b"abcd"
    with pytest.raises(errors.MalformedXML):
        asyncio.run(s3xml.read_body(_chunks(b"ab", b"cde"), 4))


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_crc_combine_equals_the_crc_of_the_concatenation(algorithm):
    import base64
    import os
    import zlib

    import google_crc32c
    from awscrt import checksums

    width = 8 if algorithm == "CRC64NVME" else 4

    def crc(data: bytes) -> int:
        if algorithm == "CRC32":
            return zlib.crc32(data)
        if algorithm == "CRC64NVME":
            return checksums.crc64nvme(data)
        return google_crc32c.value(data)

    pieces = [os.urandom(n) for n in (0, 1, 1000, 4096, 77)]
    combined = 0
    for piece in pieces:
        combined = integrity.crc_combine(algorithm, combined, crc(piece), len(piece))
    assert combined == crc(b"".join(pieces))
    composite, full = integrity.multipart_checksums(
        algorithm, [(crc(p).to_bytes(width, "big"), len(p)) for p in pieces]
    )
    whole = crc(b"".join(pieces)).to_bytes(width, "big")
    assert full == base64.b64encode(whole).decode()
    raw = b"".join(crc(p).to_bytes(width, "big") for p in pieces)
    assert composite == base64.b64encode(crc(raw).to_bytes(width, "big")).decode()


def test_crc64nvme_known_value():
    # AWS's CRC64NVME check value (the CRC of ASCII "123456789").
    assert integrity.compute("CRC64NVME", b"123456789").hex() == "ae8b14860a799888"


@pytest.mark.parametrize(
    ("algorithm", "requested", "chosen"),
    [
        ("CRC32", "", "COMPOSITE"),
        ("CRC32", "FULL_OBJECT", "FULL_OBJECT"),
        ("CRC32C", "COMPOSITE", "COMPOSITE"),
        ("CRC64NVME", "", "FULL_OBJECT"),
        ("SHA256", "", "COMPOSITE"),
        ("SHA1", "FULL_OBJECT", None),
        ("CRC64NVME", "COMPOSITE", None),
        ("CRC32", "WHOLE", None),
    ],
)
def test_multipart_checksum_type_rules(algorithm, requested, chosen):
    if chosen is None:
        with pytest.raises(errors.InvalidRequest):
            multipart._checksum_type(algorithm, requested)
    else:
        assert multipart._checksum_type(algorithm, requested) == chosen
