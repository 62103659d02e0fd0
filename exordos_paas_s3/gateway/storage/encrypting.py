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
"""A storage wrapper that encrypts object data at rest (gateway/sse.py).

The backend below stores sealed segments and knows nothing of encryption;
everything above sees plaintext: sizes, part sizes, checksums and (for
SSE-S3) the ETag are those of the plaintext, and ``Expected`` is checked
against plaintext digests (here, when the plaintext body ends), so
Content-MD5 and x-amz-checksum-* still protect an upload. The object's
encryption record (kind, wrapped data key, KMS key id, SSE-C salt,
plaintext ETag and checksums) rides in ``system_meta`` under
``sse.RECORD_META`` and is stripped from every ObjectInfo/UploadInfo this
wrapper returns; the public ``x-amz-server-side-encryption*`` headers stay in
``system_meta``, so GET/HEAD echo them like any stored header.

It consumes the contract's encryption arguments (``PutRequest.encryption``,
None applying the bucket's default encryption, and ``customer_key`` on
open_object/upload_part for SSE-C objects); the backend below never sees
them. Every other operation passes through ``base.StorageWrapper``.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from exordos_paas_s3.gateway import errors, sse
from exordos_paas_s3.gateway.storage import base, local_ingest

LOG = logging.getLogger(__name__)

DEFAULT_TTL = 60.0
# Batches at least this big are hashed and sealed in a worker thread: hashlib
# releases the GIL, so hashing overlaps the network (AES-GCM does not, see
# docs/decisions/0005-sse.md).
THREAD_MIN = 256 * 1024
BATCH = 1 << 20
# A GET reads and opens this many sealed frames at a time (~512 KiB): the
# most a client that stops reading makes the gateway hold, besides the
# transport's buffer (docs/operations.md, "Timeouts and limits").
READ_FRAMES = 8
READ_BYTES = READ_FRAMES * sse.SEALED_FRAME


def _part_doc(upload_id: str, part_number: int) -> str:
    # Bucket document of an encrypted upload's part: its client-facing ETag
    # and checksums next to the stored bytes' ETag (Complete maps them back).
    return f"sse-part/{upload_id}/{part_number}"


def _part_etag(record: dict[str, Any], data_key: bytes, md5: bytes) -> str:
    """A part's ETag: the same for the same bytes (clients re-send parts and
    keep the first answer). SSE-S3: the plaintext MD5, as AWS; otherwise keyed
    by the upload's data key so the index does not hold plaintext hashes."""
    if record["k"] == sse.KIND_S3:
        return md5.hex()
    mac = hmac.new(data_key, b"exordos-s3 part etag" + md5, hashlib.sha256)
    return mac.digest()[:16].hex()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _record_of(meta: dict[str, str]) -> dict[str, Any] | None:
    raw = meta.get(sse.RECORD_META)
    if raw is None:
        return None
    return json.loads(raw)


class _Sealing:
    """Hashes plaintext and seals it; the digests for ``verify``."""

    def __init__(
        self, data_key: bytes, algorithms: Sequence[str], want_sha256: bool
    ) -> None:
        self.algorithms = tuple(algorithms)
        self.want_sha256 = want_sha256
        self._hashers = local_ingest.new_hashers(algorithms, want_sha256)
        self._sealer = sse.SegmentSealer(data_key)
        self.size = 0

    def _step(self, chunks: list[bytes]) -> bytes:
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        for hasher in self._hashers.values():
            hasher.update(data)
        return self._sealer.feed(data)

    async def stream(
        self, body: base.ByteStream, at_end: Callable[[], None]
    ) -> base.ByteStream:
        # ASGI delivers small chunks: gather up to BATCH bytes, then hash and
        # seal them in one worker-thread hop (hashlib releases the GIL, so
        # hashing overlaps receiving the next batch; bounded memory).
        # ``at_end`` runs once the plaintext is complete, before the last
        # sealed bytes reach the backend: it checks the plaintext digests and
        # completes the record the backend copies at its commit.
        batch: list[bytes] = []
        batched = 0
        async for chunk in body:
            if not chunk:
                continue
            self.size += len(chunk)
            batch.append(chunk)
            batched += len(chunk)
            if batched >= BATCH:
                out = await asyncio.to_thread(self._step, batch)
                batch, batched = [], 0
                if out:
                    yield out
        if batch:
            if batched >= THREAD_MIN:
                out = await asyncio.to_thread(self._step, batch)
            else:
                out = self._step(batch)
            if out:
                yield out
        at_end()
        yield self._sealer.finish()

    def digests(self) -> base.Digests:
        return local_ingest.make_digests(
            self._hashers, self.size, self.algorithms, self.want_sha256
        )

    def checksums(self) -> dict[str, str]:
        digests = self.digests()
        return {alg: _b64(raw) for alg, raw in digests.checksums.items()}


class EncryptingStorage(base.PresentingWrapper):
    """Encrypts on write, decrypts on read; delegates everything else."""

    def __init__(
        self,
        storage: base.Storage,
        keyring: sse.Keyring,
        *,
        c_require_tls: bool = True,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        super().__init__(storage)
        self._storage = storage
        self._keyring = keyring
        self._c_require_tls = c_require_tls
        self._ttl = ttl
        # bucket -> (default Spec or None, loaded at)
        self._defaults: dict[str, tuple[sse.Spec | None, float]] = {}

    @property
    def sse_keyring(self) -> sse.Keyring:
        return self._keyring

    @property
    def sse_c_require_tls(self) -> bool:
        return self._c_require_tls

    # --- bucket default encryption --------------------------------------

    async def default_spec(self, bucket: str) -> sse.Spec | None:
        entry = self._defaults.get(bucket)
        if entry is not None and time.monotonic() - entry[1] < self._ttl:
            return entry[0]
        raw = await self._storage.get_bucket_doc(bucket, sse.DOC_ENCRYPTION)
        spec = sse.default_spec(raw, self.sse_keyring)
        self._defaults[bucket] = (spec, time.monotonic())
        return spec

    async def create_bucket(
        self, name: str, owner_id: str, region: str, object_lock: bool = False
    ) -> base.BucketInfo:
        self._defaults.pop(name, None)
        return await self._storage.create_bucket(name, owner_id, region, object_lock)

    async def delete_bucket(self, name: str) -> None:
        try:
            await self._storage.delete_bucket(name)
        finally:
            self._defaults.pop(name, None)

    async def put_bucket_doc(self, bucket: str, name: str, value: bytes) -> None:
        try:
            await self._storage.put_bucket_doc(bucket, name, value)
        finally:
            if name == sse.DOC_ENCRYPTION:
                self._defaults.pop(bucket, None)

    async def delete_bucket_doc(self, bucket: str, name: str) -> None:
        try:
            await self._storage.delete_bucket_doc(bucket, name)
        finally:
            if name == sse.DOC_ENCRYPTION:
                self._defaults.pop(bucket, None)

    # --- records and keys ---------------------------------------------------

    def _new_record(self, spec: sse.Spec) -> tuple[dict[str, Any], bytes]:
        data_key = sse.new_data_key()
        record: dict[str, Any] = {"v": 1, "k": spec.kind}
        if spec.kind == sse.KIND_S3:
            kek = self.sse_keyring.master
        elif spec.kind == sse.KIND_KMS:
            assert spec.kms_key_id
            kek = self.sse_keyring.kms_key(spec.kms_key_id)
            record["id"] = spec.kms_key_id
            if spec.context:
                record["x"] = spec.context
        else:
            assert spec.customer is not None
            salt = sse.new_data_key()[:16]
            kek = sse.customer_kek(spec.customer.key, salt)
            record["s"] = _b64(salt)
        if spec.kind != sse.KIND_C and self.sse_keyring.shared:
            # Wrapped with the instance's shared key (decision 0020).
            record["m"] = 1
        aad = sse.record_aad(spec.kind, record.get("id"), record.get("x"))
        record["w"] = _b64(sse.wrap(kek, data_key, aad))
        return record, data_key

    def _data_key(
        self,
        record: dict[str, Any],
        meta: dict[str, str],
        customer: sse.CustomerKey | None,
    ) -> bytes:
        kind = record["k"]
        if kind == sse.KIND_C:
            sse.check_customer_key(meta, customer)
            assert customer is not None
            kek = sse.customer_kek(customer.key, base64.b64decode(record["s"]))
        else:
            kek = self.sse_keyring.record_kek(
                kind, record.get("id"), bool(record.get("m"))
            )
        aad = sse.record_aad(kind, record.get("id"), record.get("x"))
        try:
            return sse.unwrap(kek, base64.b64decode(record["w"]), aad)
        except sse.FrameError:
            if kind == sse.KIND_C:
                raise errors.InvalidArgument(
                    "The provided customer key does not match the key the "
                    "object was encrypted with.",
                    ArgumentName=sse.H_C_KEY,
                ) from None
            LOG.error("a stored data key does not unwrap (%s key)", kind)
            raise errors.InternalError() from None

    @staticmethod
    def _meta_with(
        meta: dict[str, str], spec: sse.Spec, record: dict[str, Any]
    ) -> dict[str, str]:
        out = sse.without_encryption(meta)
        out.update(spec.public_headers())
        out[sse.RECORD_META] = json.dumps(record, separators=(",", ":"))
        return out

    @staticmethod
    def present(info: base.ObjectInfo) -> base.ObjectInfo:
        """The plaintext view of a stored version (unchanged if plain)."""
        record = _record_of(info.system_meta)
        if record is None:
            return info
        meta = dict(info.system_meta)
        del meta[sse.RECORD_META]
        if info.part_sizes:
            parts = [sse.plain_size(p) for p in info.part_sizes]
            size = sum(parts)
        else:
            parts = []
            size = sse.plain_size(info.size)
        return dataclasses.replace(
            info,
            size=size,
            part_sizes=parts,
            etag=record.get("e") or info.etag,
            checksums=dict(record.get("c") or {}),
            system_meta=meta,
        )

    @staticmethod
    def _present_upload(upload: base.UploadInfo) -> base.UploadInfo:
        record = _record_of(upload.request.system_meta)
        if record is None:
            return upload
        meta = dict(upload.request.system_meta)
        del meta[sse.RECORD_META]
        request = dataclasses.replace(
            upload.request,
            system_meta=meta,
            checksum_algorithms=tuple(record.get("a") or ()),
        )
        return dataclasses.replace(upload, request=request)

    async def _stored_precondition(
        self, bucket: str, key: str, precondition: base.Precondition | None
    ) -> base.Precondition | None:
        """The precondition in the backend's terms.

        Clients name the ETags they were shown; the backend compares the ones
        it stored, which differ for SSE-S3 and encrypted multipart objects
        (the plaintext's). When the current object's shown ETag matches a
        list, its stored ETag joins the list. Should the object change before
        the commit, the new one's stored ETag is in no list (sealed bytes
        never repeat), so If-Match fails safe."""
        if precondition is None:
            return None
        try:
            current = await self._storage.head_object(bucket, key)
        except errors.NoSuchKey:
            return precondition
        shown = self.present(current).etag
        if current.is_delete_marker or shown == current.etag:
            return precondition

        def extend(header: str | None) -> str | None:
            if header is None or not base.etag_matches(header, shown):
                return header
            return f'{header}, "{current.etag}"'

        return base.Precondition(
            if_match=extend(precondition.if_match),
            if_none_match=extend(precondition.if_none_match),
        )

    # --- objects --------------------------------------------------------------

    async def put_object(
        self,
        req: base.PutRequest,
        body: base.ByteStream,
        expected: base.Expected | None = None,
        precondition: base.Precondition | None = None,
    ) -> base.ObjectInfo:
        precondition = await self._stored_precondition(
            req.bucket, req.key, precondition
        )
        spec = req.encryption or await self.default_spec(req.bucket)
        if spec is None:
            return await self._storage.put_object(req, body, expected, precondition)
        record, data_key = self._new_record(spec)
        sealing = _Sealing(data_key, req.checksum_algorithms, req.want_sha256)
        meta = self._meta_with(req.system_meta, spec, record)
        inner = dataclasses.replace(
            req,
            encryption=None,
            system_meta=meta,
            checksum_algorithms=(),
            want_sha256=False,
            expected_size=(
                None if req.expected_size is None else _sealed(req.expected_size)
            ),
        )

        def at_end() -> None:
            digests = sealing.digests()
            if expected is not None:
                expected.check(digests)
            # Completed here, before the commit copies system_meta: the
            # plaintext ETag (SSE-S3 only, as AWS) and checksums.
            if spec.kind == sse.KIND_S3:
                record["e"] = digests.md5.hex()
            checksums = sealing.checksums()
            if checksums:
                checksums["type"] = "FULL_OBJECT"
                record["c"] = checksums
            meta[sse.RECORD_META] = json.dumps(record, separators=(",", ":"))
            # What a wrapper above completed when its own body ended (the
            # compression record, storage/compressing.py) is in the
            # request's metadata only now.
            for name, value in req.system_meta.items():
                meta.setdefault(name, value)

        info = await self._storage.put_object(
            inner, sealing.stream(body, at_end), None, precondition
        )
        return self.present(info)

    async def update_object_meta(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        **fields: object,
    ) -> base.ObjectInfo:
        if "system_meta" in fields:
            current = await self._storage.head_object(bucket, key, version_id)
            if sse.RECORD_META in current.system_meta:
                # A metadata change keeps the object's encryption.
                new = sse.without_encryption(fields["system_meta"])  # type: ignore[arg-type]
                new.update(sse.public_headers(current.system_meta))
                new[sse.RECORD_META] = current.system_meta[sse.RECORD_META]
                fields["system_meta"] = new
        info = await self._storage.update_object_meta(bucket, key, version_id, **fields)
        return self.present(info)

    async def open_object(
        self,
        bucket: str,
        key: str,
        version_id: str | None = None,
        start: int = 0,
        length: int | None = None,
        customer_key: sse.CustomerKey | None = None,
    ) -> base.ObjectReader:
        reader = await self._storage.open_object(bucket, key, version_id, start, length)
        stored = reader.info
        record = _record_of(stored.system_meta)
        if record is None:
            if customer_key is not None:
                sse.check_customer_key(stored.system_meta, customer_key)
            return reader
        data_key = self._data_key(record, stored.system_meta, customer_key)
        info = self.present(stored)
        start = max(0, min(start, info.size))
        available = info.size - start
        length = available if length is None else max(0, min(length, available))
        # Read the very version opened, until its last byte: an overwrite or
        # delete meanwhile changes nothing for this reader.
        if reader.stored is not None:
            opened = reader.stored
        else:
            pinned = stored.version_id if stored.version_id != "null" else None

            def opened() -> base.StoredData:
                return _Reopened(self._storage, bucket, key, pinned, stored.etag)

        plain_parts = info.part_sizes or [info.size]
        sealed_parts = stored.part_sizes or [stored.size]

        def stream() -> base.ByteStream:
            return self._decrypt(
                bucket,
                key,
                opened(),
                data_key,
                plain_parts,
                sealed_parts,
                start,
                length,
            )

        return base.ObjectReader(info, start, length, stream)

    async def _decrypt(
        self,
        bucket: str,
        key: str,
        data: base.StoredData,
        data_key: bytes,
        plain_parts: list[int],
        sealed_parts: list[int],
        start: int,
        length: int,
    ) -> base.ByteStream:
        """Plaintext ``[start, start+length)`` from the sealed parts. Pulled:
        the next READ_FRAMES frames are read and opened only when the
        consumer (the server, once the transport has drained) asks for more,
        so a client that stops reading holds about one piece of memory."""
        try:
            end = start + length
            plain_off = sealed_off = 0
            for plain, sealed in zip(plain_parts, sealed_parts, strict=True):
                seg_start, seg_end = max(start, plain_off), min(end, plain_off + plain)
                if seg_start < seg_end:
                    a, b = seg_start - plain_off, seg_end - plain_off
                    try:
                        async for piece in _open_segment(
                            data, data_key, plain, sealed_off, sealed, a, b
                        ):
                            yield piece
                    except sse.FrameError as exc:
                        LOG.error(
                            "%s/%s: encrypted data is damaged: %s", bucket, key, exc
                        )
                        raise errors.InternalError(
                            "The stored object data failed authentication."
                        ) from None
                plain_off += plain
                sealed_off += sealed
        finally:
            data.close()

    # --- multipart -----------------------------------------------------------

    async def create_multipart_upload(self, req: base.PutRequest) -> base.UploadInfo:
        spec = req.encryption or await self.default_spec(req.bucket)
        if spec is None:
            return await self._storage.create_multipart_upload(req)
        record, _ = self._new_record(spec)
        if req.checksum_algorithms:
            record["a"] = list(req.checksum_algorithms)
        inner = dataclasses.replace(
            req,
            encryption=None,
            system_meta=self._meta_with(req.system_meta, spec, record),
            checksum_algorithms=(),
        )
        return self._present_upload(await self._storage.create_multipart_upload(inner))

    async def get_multipart_upload(
        self, bucket: str, key: str, upload_id: str
    ) -> base.UploadInfo:
        return self._present_upload(
            await self._storage.get_multipart_upload(bucket, key, upload_id)
        )

    async def list_multipart_uploads(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> base.UploadListResult:
        result = await self._storage.list_multipart_uploads(
            bucket, prefix, delimiter, key_marker, upload_id_marker, max_uploads
        )
        result.uploads = [self._present_upload(u) for u in result.uploads]
        return result

    async def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        body: base.ByteStream,
        checksum_algorithms: Sequence[str] = (),
        want_sha256: bool = False,
        expected: base.Expected | None = None,
        customer_key: sse.CustomerKey | None = None,
    ) -> base.PartInfo:
        upload = await self._storage.get_multipart_upload(bucket, key, upload_id)
        meta = upload.request.system_meta
        record = _record_of(meta)
        if record is None:
            if customer_key is not None:
                sse.check_customer_key(meta, customer_key)
            return await self._storage.upload_part(
                bucket,
                key,
                upload_id,
                part_number,
                body,
                checksum_algorithms,
                want_sha256,
                expected,
            )
        data_key = self._data_key(record, meta, customer_key)
        sealing = _Sealing(data_key, checksum_algorithms, want_sha256)

        def at_end() -> None:
            if expected is not None:
                expected.check(sealing.digests())

        part = await self._storage.upload_part(
            bucket,
            key,
            upload_id,
            part_number,
            sealing.stream(body, at_end),
        )
        digests = sealing.digests()
        etag = _part_etag(record, data_key, digests.md5)
        checksums = sealing.checksums()
        doc = {"p": etag, "c": part.etag, "k": checksums}
        await self._storage.put_bucket_doc(
            bucket, _part_doc(upload_id, part_number), json.dumps(doc).encode()
        )
        return dataclasses.replace(
            part, etag=etag, size=sealing.size, checksums=checksums
        )

    async def _part_docs(
        self, bucket: str, upload_id: str, parts: list[base.PartInfo]
    ) -> dict[int, dict[str, Any]]:
        docs = {}
        for part in parts:
            raw = await self._storage.get_bucket_doc(
                bucket, _part_doc(upload_id, part.part_number)
            )
            if raw is not None:
                doc = json.loads(raw)
                if doc.get("c") == part.etag:
                    docs[part.part_number] = doc
        return docs

    async def _all_parts(
        self, bucket: str, key: str, upload_id: str
    ) -> list[base.PartInfo]:
        out: list[base.PartInfo] = []
        marker = 0
        while True:
            page, truncated = await self._storage.list_parts(
                bucket, key, upload_id, marker, 1000
            )
            out.extend(page)
            if not truncated or not page:
                return out
            marker = page[-1].part_number

    async def _drop_part_docs(
        self, bucket: str, upload_id: str, parts: list[base.PartInfo]
    ) -> None:
        for part in parts:
            try:
                await self._storage.delete_bucket_doc(
                    bucket, _part_doc(upload_id, part.part_number)
                )
            except errors.S3Error:
                pass

    async def list_parts(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number_marker: int = 0,
        max_parts: int = 1000,
    ) -> tuple[list[base.PartInfo], bool]:
        parts, truncated = await self._storage.list_parts(
            bucket, key, upload_id, part_number_marker, max_parts
        )
        upload = await self._storage.get_multipart_upload(bucket, key, upload_id)
        if sse.RECORD_META in upload.request.system_meta:
            docs = await self._part_docs(bucket, upload_id, parts)
            parts = [self._present_part(p, docs.get(p.part_number)) for p in parts]
        return parts, truncated

    @staticmethod
    def _present_part(part: base.PartInfo, doc: dict[str, Any] | None) -> base.PartInfo:
        part = dataclasses.replace(part, size=sse.plain_size(part.size))
        if doc is None:
            return part
        return dataclasses.replace(part, etag=doc["p"], checksums=dict(doc["k"]))

    async def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Sequence[tuple[int, str]],
        precondition: base.Precondition | None = None,
    ) -> base.ObjectInfo:
        upload = await self._storage.get_multipart_upload(bucket, key, upload_id)
        precondition = await self._stored_precondition(bucket, key, precondition)
        record = _record_of(upload.request.system_meta)
        if record is None:
            return await self._storage.complete_multipart_upload(
                bucket, key, upload_id, parts, precondition
            )
        # The contract takes ETags quoted or not, in either case (as the
        # backend compares them).
        parts = [(n, etag.strip().strip('"').lower()) for n, etag in parts]
        stored = await self._all_parts(bucket, key, upload_id)
        docs = await self._part_docs(bucket, upload_id, stored)
        # The client lists the ETags it was given; the backend knows the
        # stored bytes' ones.
        mapped = []
        for number, etag in parts:
            doc = docs.get(number)
            mapped.append((number, doc["c"] if doc and doc["p"] == etag else etag))
        info = await self._storage.complete_multipart_upload(
            bucket, key, upload_id, mapped, precondition
        )
        await self._drop_part_docs(bucket, upload_id, stored)
        # The object's ETag from the client-facing part ETags (AWS's composite
        # rule) and its checksums from the parts' plaintext ones (the backend
        # saw neither); a crash before this update keeps the stored bytes'.
        raw = b"".join(bytes.fromhex(etag) for _, etag in parts)
        record["e"] = f"{hashlib.md5(raw).hexdigest()}-{len(parts)}"
        sizes = {p.part_number: sse.plain_size(p.size) for p in stored}
        part_sums = [(docs[n]["k"], sizes[n]) for n, _ in parts if n in docs]
        if record.get("a") and len(part_sums) == len(parts):
            checksums = local_ingest.composite_checksums(
                record["a"], part_sums, upload.request.checksum_type
            )
            if checksums:
                record["c"] = checksums
        meta = dict(info.system_meta)
        meta[sse.RECORD_META] = json.dumps(record, separators=(",", ":"))
        info = await self._storage.update_object_meta(
            bucket,
            key,
            info.version_id if info.version_id != "null" else None,
            system_meta=meta,
        )
        return self.present(info)

    async def abort_multipart_upload(
        self, bucket: str, key: str, upload_id: str
    ) -> None:
        upload = await self._storage.get_multipart_upload(bucket, key, upload_id)
        stored: list[base.PartInfo] = []
        if sse.RECORD_META in upload.request.system_meta:
            stored = await self._all_parts(bucket, key, upload_id)
        await self._storage.abort_multipart_upload(bucket, key, upload_id)
        await self._drop_part_docs(bucket, upload_id, stored)


async def _open_segment(
    data: base.StoredData,
    data_key: bytes,
    plain: int,
    sealed_off: int,
    sealed: int,
    a: int,
    b: int,
) -> base.ByteStream:
    """Plaintext ``[a, b)`` of the segment (a part, or the whole object)
    whose ``sealed`` bytes start at ``sealed_off``."""
    first, last = a // sse.FRAME, (b - 1) // sse.FRAME
    opener = sse.SegmentOpener(data_key, plain, first)
    if first > 0:
        opener.set_header(await _read_exactly(data, sealed_off, sse.HEADER_LEN))
        pos = sealed_off + sse.HEADER_LEN + first * sse.SEALED_FRAME
    else:
        pos = sealed_off
    raw_to = min(
        sealed_off + sse.HEADER_LEN + (last + 1) * sse.SEALED_FRAME,
        sealed_off + sealed,
    )
    skip = a - first * sse.FRAME
    left = b - a
    while pos < raw_to:
        # Whole frames per read (with the header on the first), so no
        # partial frame is carried over and copied.
        want = READ_BYTES + (sse.HEADER_LEN if pos == sealed_off else 0)
        chunk = await _read_exactly(data, pos, min(want, raw_to - pos))
        pos += len(chunk)
        piece = opener.feed(chunk)
        del chunk  # not held while the consumer is away
        if skip:
            cut = min(skip, len(piece))
            piece = piece[cut:]
            skip -= cut
        if piece:
            if len(piece) > left:
                piece = piece[:left]
            left -= len(piece)
            yield piece
            del piece
    opener.finish(last)


async def _read_exactly(data: base.StoredData, offset: int, size: int) -> bytes:
    chunk = await data.read(offset, size)
    if len(chunk) != size:
        raise errors.InternalError("Object data is shorter than its index")
    return chunk


class _Reopened(base.StoredData):
    """For a backend without ``ObjectReader.stored``: each read opens the
    version again by id (or the key, for a "null" version) and refuses to
    mix versions (the ETag must stay the one first resolved)."""

    def __init__(
        self,
        storage: base.Storage,
        bucket: str,
        key: str,
        version_id: str | None,
        etag: str,
    ) -> None:
        self._args = (storage, bucket, key, version_id, etag)

    async def read(self, offset: int, size: int) -> bytes:
        storage, bucket, key, version_id, etag = self._args
        reader = await storage.open_object(bucket, key, version_id, offset, size)
        if reader.info.etag != etag:
            raise errors.InternalError("The object changed while it was read.")
        return b"".join([chunk async for chunk in reader.stream()])


def _sealed(plain: int) -> int:
    return sse.sealed_size(plain)
