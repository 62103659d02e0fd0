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
"""The sealed frame format, the keyring and SSE header parsing (gateway/sse.py)."""

import base64
import hashlib
import json
import os
import stat

import pytest

from exordos_paas_s3.gateway import errors, sse

F = sse.FRAME
SIZES = [0, 1, 13, F - 1, F, F + 1, 2 * F, 3 * F + 7]


@pytest.fixture
def key():
    return sse.new_data_key()


@pytest.mark.parametrize("size", SIZES)
def test_round_trip_and_sizes(key, size):
    plain = os.urandom(size)
    sealed = sse.seal(key, plain)
    assert len(sealed) == sse.sealed_size(size)
    assert sse.plain_size(len(sealed)) == size
    assert sse.open_segment(key, sealed) == plain
    if size >= 16:
        assert plain not in sealed


@pytest.mark.parametrize("size", SIZES)
def test_streaming_in_odd_chunks_equals_one_shot_size(key, size):
    plain = os.urandom(size)
    sealer = sse.SegmentSealer(key)
    out = b""
    for pos in range(0, size, 7777):
        out += sealer.feed(plain[pos : pos + 7777])
    out += sealer.finish()
    assert len(out) == sse.sealed_size(size)
    opener = sse.SegmentOpener(key, size)
    got = b"".join(opener.feed(out[p : p + 5000]) for p in range(0, len(out), 5000))
    opener.finish()
    assert got == plain


def test_same_plaintext_seals_differently(key):
    # A random per-segment prefix: re-uploading a part never reuses nonces.
    assert sse.seal(key, b"x" * 100) != sse.seal(key, b"x" * 100)


def test_tampered_byte_fails(key):
    sealed = bytearray(sse.seal(key, os.urandom(3 * F)))
    sealed[sse.HEADER_LEN + F + 100] ^= 1
    with pytest.raises(sse.FrameError):
        sse.open_segment(key, bytes(sealed))


def test_tampered_header_fails(key):
    sealed = bytearray(sse.seal(key, os.urandom(100)))
    sealed[5] ^= 1
    with pytest.raises(sse.FrameError):
        sse.open_segment(key, bytes(sealed))


def test_truncated_at_a_frame_boundary_fails(key):
    plain = os.urandom(3 * F)
    sealed = sse.seal(key, plain)
    cut = sealed[: sse.HEADER_LEN + 2 * sse.SEALED_FRAME]
    # The cut stream looks like a complete 2-frame segment, but its last
    # frame was sealed without the final flag.
    with pytest.raises(sse.FrameError):
        sse.open_segment(key, cut)


def test_truncated_mid_frame_fails(key):
    sealed = sse.seal(key, os.urandom(2 * F))
    opener = sse.SegmentOpener(key, 2 * F)
    opener.feed(sealed[:-10])
    with pytest.raises(sse.FrameError):
        opener.finish()


def test_reordered_frames_fail(key):
    plain = os.urandom(3 * F)
    sealed = sse.seal(key, plain)
    h, n = sse.HEADER_LEN, sse.SEALED_FRAME
    frames = [sealed[h + i * n : h + (i + 1) * n] for i in range(3)]
    swapped = sealed[:h] + frames[1] + frames[0] + frames[2]
    with pytest.raises(sse.FrameError):
        sse.open_segment(key, swapped)


def test_frames_of_another_segment_fail(key):
    a = sse.seal(key, os.urandom(2 * F))
    b = sse.seal(key, os.urandom(2 * F))
    mixed = a[: sse.HEADER_LEN] + b[sse.HEADER_LEN :]
    with pytest.raises(sse.FrameError):
        sse.open_segment(key, mixed)


def test_wrong_key_fails(key):
    sealed = sse.seal(key, b"secret data")
    with pytest.raises(sse.FrameError):
        sse.open_segment(sse.new_data_key(), sealed)


def test_opener_from_a_middle_frame(key):
    plain = os.urandom(4 * F + 5)
    sealed = sse.seal(key, plain)
    opener = sse.SegmentOpener(key, len(plain), first=2)
    opener.set_header(sealed[: sse.HEADER_LEN])
    start = sse.HEADER_LEN + 2 * sse.SEALED_FRAME
    got = opener.feed(sealed[start : start + sse.SEALED_FRAME])
    opener.finish(last=2)
    assert got == plain[2 * F : 3 * F]


def test_wrap_is_bound_to_its_aad(key):
    kek = sse.new_data_key()
    wrapped = sse.wrap(kek, key, b"a")
    assert sse.unwrap(kek, wrapped, b"a") == key
    with pytest.raises(sse.FrameError):
        sse.unwrap(kek, wrapped, b"b")
    with pytest.raises(sse.FrameError):
        sse.unwrap(sse.new_data_key(), wrapped, b"a")


def test_customer_kek_depends_on_salt():
    ck = os.urandom(32)
    assert sse.customer_kek(ck, b"1" * 16) != sse.customer_kek(ck, b"2" * 16)


# --- keyring -------------------------------------------------------------------


def test_keyring_files_are_private_and_persistent(tmp_path):
    ring = sse.Keyring(str(tmp_path), kms_keys=["testkey-1", "testkey-2"])
    for name in (sse.Keyring.MASTER_FILE, sse.Keyring.KMS_FILE):
        mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
        assert mode == 0o600
    again = sse.Keyring(str(tmp_path))
    assert again.master == ring.master
    assert again.kms_key("testkey-1") == ring.kms_key("testkey-1")
    assert ring.kms_key("testkey-1") != ring.kms_key("testkey-2")
    assert "testkey" not in repr(ring) and str(ring.master) not in repr(ring)


def test_unknown_kms_key_is_not_found_unless_auto_create(tmp_path):
    ring = sse.Keyring(str(tmp_path), kms_keys=["k1"])
    with pytest.raises(errors.S3Error) as exc:
        ring.kms_key("nope")
    assert exc.value.code == "KMS.NotFoundException" and exc.value.status == 400
    arn = "arn:aws:kms:us-east-1:123456789012:key/k1"
    assert ring.kms_key(arn) == ring.kms_key("k1")
    auto = sse.Keyring(str(tmp_path), auto_create=True)
    created = auto.kms_key("new-key")
    with open(tmp_path / sse.Keyring.KMS_FILE) as f:
        assert "new-key" in json.load(f)
    assert sse.Keyring(str(tmp_path)).kms_key("new-key") == created


# --- headers ---------------------------------------------------------------------

CK = base64.b64decode("pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=")
CK_HEADERS = {
    sse.H_C_ALG: "AES256",
    sse.H_C_KEY: base64.b64encode(CK).decode(),
    sse.H_C_MD5: base64.b64encode(hashlib.md5(CK).digest()).decode(),
}


def test_customer_key_parsed_and_validated():
    got = sse.customer_key(CK_HEADERS)
    assert got.key == CK and got.md5 == CK_HEADERS[sse.H_C_MD5]
    assert "pO3up" not in repr(got)
    for broken in (
        {**CK_HEADERS, sse.H_C_MD5: "AAAAAAAAAAAAAAAAAAAAAA=="},
        {k: v for k, v in CK_HEADERS.items() if k != sse.H_C_MD5},
        {k: v for k, v in CK_HEADERS.items() if k != sse.H_C_KEY},
        {k: v for k, v in CK_HEADERS.items() if k != sse.H_C_ALG},
        {**CK_HEADERS, sse.H_C_ALG: "AES128"},
        {**CK_HEADERS, sse.H_C_KEY: base64.b64encode(b"short").decode()},
    ):
        with pytest.raises(errors.S3Error) as exc:
            sse.customer_key(broken)
        assert exc.value.status == 400


def test_write_spec_kinds_and_conflicts(tmp_path):
    ring = sse.Keyring(str(tmp_path), kms_keys=["testkey-1"])
    assert sse.write_spec({}, ring) is None
    assert sse.write_spec({sse.H_SSE: "AES256"}, ring).kind == sse.KIND_S3
    kms = sse.write_spec({sse.H_SSE: "aws:kms", sse.H_KMS_KEY: "testkey-1"}, ring)
    assert kms.kind == sse.KIND_KMS and kms.kms_key_id == "testkey-1"
    assert sse.write_spec(CK_HEADERS, ring).kind == sse.KIND_C
    conflicts = (
        {**CK_HEADERS, sse.H_SSE: "AES256"},
        {**CK_HEADERS, sse.H_SSE: "aws:kms", sse.H_KMS_KEY: "testkey-1"},
        {sse.H_SSE: "AES256", sse.H_KMS_KEY: "testkey-1"},
        {sse.H_KMS_KEY: "testkey-1"},
        {sse.H_SSE: "aes256"},
        {sse.H_SSE: "aws:kms"},  # no key id and no default key
        {sse.H_SSE: "aws:kms", sse.H_KMS_KEY: "testkey-1", sse.H_CONTEXT: "!"},
    )
    for headers in conflicts:
        with pytest.raises(errors.S3Error) as exc:
            sse.write_spec(headers, ring)
        assert exc.value.status == 400 and exc.value.code == "InvalidArgument"
    with pytest.raises(errors.S3Error) as exc:
        sse.write_spec({sse.H_SSE: "aws:kms", sse.H_KMS_KEY: "missing"}, ring)
    assert exc.value.code == "KMS.NotFoundException"


def test_default_spec_from_stored_document(tmp_path):
    ring = sse.Keyring(str(tmp_path))
    ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
    s3_doc = (
        f"<ServerSideEncryptionConfiguration {ns}><Rule>"
        "<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
        "</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true"
        "</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"
    ).encode()
    spec = sse.default_spec(s3_doc, ring)
    assert spec.kind == sse.KIND_S3 and spec.bucket_key
    kms_doc = (
        b"<ServerSideEncryptionConfiguration><Rule>"
        b"<ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>"
        b"<KMSMasterKeyID>testkey-1</KMSMasterKeyID>"
        b"</ApplyServerSideEncryptionByDefault></Rule>"
        b"</ServerSideEncryptionConfiguration>"
    )
    spec = sse.default_spec(kms_doc, ring)
    assert spec.kind == sse.KIND_KMS and spec.kms_key_id == "testkey-1"
    assert sse.default_spec(None, ring) is None


def test_customer_key_checks():
    given = sse.customer_key(CK_HEADERS)
    meta = {sse.H_C_ALG: "AES256", sse.H_C_MD5: given.md5}
    sse.check_customer_key(meta, given)
    sse.check_customer_key({}, None)
    with pytest.raises(errors.S3Error):
        sse.check_customer_key(meta, None)
    with pytest.raises(errors.S3Error):
        sse.check_customer_key({}, given)
    other = sse.CustomerKey(os.urandom(32), "bm90IHRoZSBzYW1lIGtleQ==")
    with pytest.raises(errors.S3Error) as exc:
        sse.check_customer_key(meta, other)
    assert exc.value.status == 400


def test_transport_rule():
    sse.check_transport({"scheme": "https", "client": ("10.0.0.1", 1)}, True)
    sse.check_transport({"scheme": "http", "client": ("127.0.0.1", 1)}, True)
    sse.check_transport({"scheme": "http", "client": ("::1", 1)}, True)
    sse.check_transport({"scheme": "http", "client": ("10.0.0.1", 1)}, False)
    with pytest.raises(errors.S3Error) as exc:
        sse.check_transport({"scheme": "http", "client": ("10.0.0.1", 1)}, True)
    assert exc.value.status == 400


# --- the shared master key (decision 0020) -----------------------------------


def test_shared_key_opens_everywhere_and_keeps_the_old_file_keys(tmp_path):
    """A node's data directory keyring (file keys) wrote objects; the node
    then gets the instance's shared key: the old objects still open, new
    ones open through another data directory holding only the shared key,
    and nothing new is written to either directory."""
    import asyncio

    from exordos_paas_s3.gateway.storage import base, encrypting, local

    node, other = tmp_path / "node", tmp_path / "other"
    node.mkdir()
    other.mkdir()
    shared = sse.decode_master_key(base64.b64encode(b"k" * 32))
    spec_s3 = sse.Spec(sse.KIND_S3)
    spec_kms = sse.Spec(sse.KIND_KMS, kms_key_id="app")

    async def chunks(data):
        yield data

    async def put(st, key, spec):
        req = base.PutRequest("b", key, "owner", encryption=spec)
        await st.put_object(req, chunks(key.encode() * 100))

    async def read(st, key):
        reader = await st.open_object("b", key)
        return b"".join([c async for c in reader.stream()])

    async def main():
        inner = local.LocalStorage(str(tmp_path / "index"))
        await inner.start()
        try:
            await inner.create_bucket("b", "owner", "us-east-1")
            old = encrypting.EncryptingStorage(
                inner, sse.Keyring(str(node), kms_keys=["app"])
            )
            await put(old, "old-s3", spec_s3)
            await put(old, "old-kms", spec_kms)
            files = sorted(os.listdir(node))
            assert files == ["kms-keys.json", "sse-master.key"]
            ring = sse.Keyring(str(node), kms_keys=["app"], shared_master=shared)
            new = encrypting.EncryptingStorage(inner, ring)
            await put(new, "new-s3", spec_s3)
            await put(new, "new-kms", spec_kms)
            for key in ("old-s3", "old-kms", "new-s3", "new-kms"):
                assert await read(new, key) == key.encode() * 100
            assert sorted(os.listdir(node)) == files
            # Another gateway: the shared key alone, an empty data directory.
            peer_ring = sse.Keyring(str(other), kms_keys=["app"], shared_master=shared)
            peer = encrypting.EncryptingStorage(inner, peer_ring)
            for key in ("new-s3", "new-kms"):
                assert await read(peer, key) == key.encode() * 100
            assert os.listdir(other) == []
            assert peer_ring.fingerprint() == ring.fingerprint()
            # The old node's own-file objects are not the peer's to open.
            with pytest.raises(errors.S3Error) as exc:
                await read(peer, "old-s3")
            assert exc.value.status == 500
            # A KMS id nobody configured is still refused.
            with pytest.raises(errors.S3Error) as exc:
                peer_ring.kms_key("unknown")
            assert exc.value.code == "KMS.NotFoundException"
        finally:
            await inner.close()

    asyncio.run(main())


def test_master_key_forms():
    raw = bytes(range(32))
    assert sse.decode_master_key(raw) == raw
    assert sse.decode_master_key(base64.b64encode(raw) + b"\n") == raw
    for bad in (b"short", base64.b64encode(b"x" * 31)):
        with pytest.raises(ValueError):
            sse.decode_master_key(bad)
