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
"""Object and bucket tagging: Put/Get/DeleteObjectTagging, Put/Get/DeleteBucketTagging.

An object's tag set is stored as the object-version document ``tagging`` in
the Tagging XML form (authorization reads it for ``s3:ExistingObjectTag``);
a bucket's as the bucket document ``tagging``. The tag count is mirrored into
the version's system metadata as ``x-amz-tagging-count`` so GET and HEAD
return it without reading the document.

Limits follow the AWS "Categorizing your storage using tags" page: 10 tags per
object, 50 per bucket, keys of 1-128 and values of 0-256 Unicode characters,
unique keys, and the ``aws:`` prefix reserved.
"""

from __future__ import annotations

import logging
from urllib import parse as urlparse

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import xml as s3xml
from exordos_paas_s3.gateway.handlers import integrity
from exordos_paas_s3.gateway.operations import Operation
from exordos_paas_s3.gateway.request import Request, Response
from exordos_paas_s3.gateway.storage.base import ObjectInfo

LOG = logging.getLogger(__name__)

DOC = "tagging"
COUNT_HEADER = "x-amz-tagging-count"
MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 50
MAX_KEY_CHARS = 128
MAX_VALUE_CHARS = 256
MAX_DOCUMENT = 64 * 1024
# Besides Unicode letters, digits and spaces (AWS tag restrictions).
_ALLOWED_PUNCTUATION = frozenset("+-=._:/@")

Tags = list[tuple[str, str]]


def _valid_chars(text: str) -> bool:
    return all(c.isalnum() or c.isspace() or c in _ALLOWED_PUNCTUATION for c in text)


def validate(tags: Tags, limit: int) -> Tags:
    """Check AWS's rules; the tag set sorted by key (as S3 returns it)."""
    if len(tags) > limit:
        raise errors.InvalidTag(
            f"Object tags cannot be greater than {limit}"
            if limit == MAX_OBJECT_TAGS
            else f"Bucket tag count cannot be greater than {limit}"
        )
    seen: set[str] = set()
    for key, value in tags:
        if not 1 <= len(key) <= MAX_KEY_CHARS or not _valid_chars(key):
            raise errors.InvalidTag(
                "The TagKey you have provided is invalid", TagKey=key
            )
        if len(value) > MAX_VALUE_CHARS or not _valid_chars(value):
            raise errors.InvalidTag(
                "The TagValue you have provided is invalid", TagKey=key
            )
        if key.lower().startswith("aws:"):
            raise errors.InvalidTag(
                "Your TagKey cannot be prefixed with aws:", TagKey=key
            )
        if key in seen:
            raise errors.InvalidTag(
                "Cannot provide multiple Tags with the same key", TagKey=key
            )
        seen.add(key)
    return sorted(tags)


def parse_document(data: bytes) -> Tags:
    """A Tagging request document -> [(key, value)] (not yet validated)."""
    root = s3xml.parse(data, "Tagging")
    tag_set = root.find("TagSet")
    if tag_set is None:
        raise errors.MalformedXML()
    tags: Tags = []
    for tag in tag_set:
        if tag.tag != "Tag":
            raise errors.MalformedXML()
        key = s3xml.child_text(tag, "Key")
        value = s3xml.child_text(tag, "Value")
        if key is None or value is None:
            raise errors.MalformedXML()
        tags.append((key, value))
    return tags


def parse_header(value: str) -> Tags:
    """x-amz-tagging: a URL-encoded query string ("k1=v1&k2")."""
    pairs = urlparse.parse_qsl(value, keep_blank_values=True)
    return validate(pairs, MAX_OBJECT_TAGS)


def render(tags: Tags) -> s3xml.Element:
    root = s3xml.Element("Tagging", [])
    tag_set = root.add("TagSet", [])
    for key, value in tags:
        tag = tag_set.add("Tag", [])
        tag.add("Key", key)
        tag.add("Value", value)
    return root


def document(tags: Tags) -> bytes:
    """The stored form: the Tagging XML document."""
    return s3xml.serialize(render(tags))


def parse_stored(raw: bytes | None) -> Tags:
    if not raw:
        return []
    try:
        return parse_document(raw)
    except errors.S3Error:
        LOG.error("a stored tagging document does not parse")
        return []


def set_count(system_meta: dict[str, str], count: int) -> None:
    if count:
        system_meta[COUNT_HEADER] = str(count)
    else:
        system_meta.pop(COUNT_HEADER, None)


def version_header(info: ObjectInfo) -> dict[str, str]:
    if info.version_id and info.version_id != "null":
        return {"x-amz-version-id": info.version_id}
    return {}


async def lookup(req: Request) -> ObjectInfo:
    """The version the request addresses (``versionId``); delete markers
    answer as GetObject does. Every handler of one object version uses it."""
    version_id = req.query.get("versionId") or None
    info = await req.storage.head_object(req.bucket, req.key, version_id)
    if info.is_delete_marker:
        headers = {"x-amz-delete-marker": "true"}
        if info.version_id:
            headers["x-amz-version-id"] = info.version_id
        if version_id:
            raise errors.MethodNotAllowed(headers=headers, Method=req.method)
        raise errors.NoSuchKey(headers=headers, Key=req.key)
    return info


async def store_object_tags(req: Request, info: ObjectInfo, tags: Tags) -> None:
    """Keep ``tags`` on one version: the document, then the count mirror."""
    storage = req.storage
    if tags:
        await storage.put_object_doc(
            info.bucket, info.key, info.version_id, DOC, document(tags)
        )
    else:
        await storage.delete_object_doc(info.bucket, info.key, info.version_id, DOC)
    system = dict(info.system_meta)
    set_count(system, len(tags))
    if system != info.system_meta:
        await storage.update_object_meta(
            info.bucket, info.key, info.version_id, system_meta=system
        )


async def object_tags(req: Request, info: ObjectInfo) -> Tags:
    raw = await req.storage.get_object_doc(info.bucket, info.key, info.version_id, DOC)
    return parse_stored(raw)


# --- object tagging --------------------------------------------------------


async def put_object_tagging(req: Request) -> Response:
    data = await integrity.read_document(req, MAX_DOCUMENT)
    tags = validate(parse_document(data), MAX_OBJECT_TAGS)
    info = await lookup(req)
    await store_object_tags(req, info, tags)
    return Response(headers=version_header(info))


async def get_object_tagging(req: Request) -> Response:
    info = await lookup(req)
    return Response(
        headers=version_header(info), xml=render(await object_tags(req, info))
    )


async def delete_object_tagging(req: Request) -> Response:
    info = await lookup(req)
    await store_object_tags(req, info, [])
    return Response(status=204, headers=version_header(info))


# --- bucket tagging --------------------------------------------------------


async def put_bucket_tagging(req: Request) -> Response:
    data = await integrity.read_document(req, MAX_DOCUMENT)
    tags = validate(parse_document(data), MAX_BUCKET_TAGS)
    await req.storage.put_bucket_doc(req.bucket, DOC, document(tags))
    return Response(status=204)


async def get_bucket_tagging(req: Request) -> Response:
    raw = await req.storage.get_bucket_doc(req.bucket, DOC)
    if raw is None:
        raise errors.NoSuchTagSet(BucketName=req.bucket)
    return Response(xml=render(parse_stored(raw)))


async def delete_bucket_tagging(req: Request) -> Response:
    await req.storage.delete_bucket_doc(req.bucket, DOC)
    return Response(status=204)


HANDLERS = {
    Operation.PutObjectTagging: put_object_tagging,
    Operation.GetObjectTagging: get_object_tagging,
    Operation.DeleteObjectTagging: delete_object_tagging,
    Operation.PutBucketTagging: put_bucket_tagging,
    Operation.GetBucketTagging: get_bucket_tagging,
    Operation.DeleteBucketTagging: delete_bucket_tagging,
}
