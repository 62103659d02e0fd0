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
"""The authorize step: action mapping, condition keys, the cache of bucket
documents, and decisions over a real local storage and identity store."""

from __future__ import annotations

import asyncio
import json

import pytest

from exordos_paas_s3.gateway import acl as acl_rules
from exordos_paas_s3.gateway import authorization, bucket_access, errors
from exordos_paas_s3.gateway.auth import identities
from exordos_paas_s3.gateway.operations import Operation as Op
from exordos_paas_s3.gateway.request import Request, Services, Settings
from exordos_paas_s3.gateway.storage import base as storage_base
from exordos_paas_s3.gateway.storage import local


def test_actions_of_plain_operations_are_the_operation_actions():
    assert authorization.actions_for(Op.GetObject, {}, None) == ("s3:GetObject",)
    assert authorization.actions_for(Op.ListObjectsV2, {}, None) == ("s3:ListBucket",)
    assert authorization.actions_for(Op.ListObjectVersions, {}, None) == (
        "s3:ListBucketVersions",
    )
    assert authorization.actions_for(Op.ListMultipartUploads, {}, None) == (
        "s3:ListBucketMultipartUploads",
    )


def test_version_id_selects_the_version_actions():
    assert authorization.actions_for(Op.GetObject, {}, "v1") == ("s3:GetObjectVersion",)
    assert authorization.actions_for(Op.DeleteObject, {}, "v1") == (
        "s3:DeleteObjectVersion",
    )
    assert authorization.actions_for(Op.PutObjectAcl, {}, "v1") == (
        "s3:PutObjectVersionAcl",
    )
    # PutObject has no versioned action.
    assert authorization.actions_for(Op.PutObject, {}, "v1") == ("s3:PutObject",)


def test_writes_with_tags_acl_and_lock_need_the_extra_actions():
    headers = {
        "x-amz-tagging": "a=b",
        "x-amz-acl": "public-read",
        "x-amz-object-lock-mode": "GOVERNANCE",
        "x-amz-object-lock-legal-hold": "ON",
    }
    assert authorization.actions_for(Op.PutObject, headers, None) == (
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:PutObjectAcl",
        "s3:PutObjectRetention",
        "s3:PutObjectLegalHold",
    )
    assert "s3:PutObjectAcl" in authorization.actions_for(
        Op.CopyObject, {"x-amz-grant-read": 'id="x"'}, None
    )
    assert authorization.actions_for(
        Op.CreateBucket,
        {"x-amz-acl": "private", "x-amz-object-ownership": "ObjectWriter"},
        None,
    ) == ("s3:CreateBucket", "s3:PutBucketAcl", "s3:PutBucketOwnershipControls")


def test_account_id_is_twelve_stable_digits():
    a = authorization.account_id_for("a" * 64)
    assert len(a) == 12 and a.isdigit()
    assert a == authorization.account_id_for("a" * 64)
    assert a != authorization.account_id_for("b" * 64)


def test_object_tags_parse_from_the_tagging_document():
    raw = (
        b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>'
        b"<Tag><Key>team</Key><Value>blue</Value></Tag>"
        b"<Tag><Key>empty</Key><Value></Value></Tag></TagSet></Tagging>"
    )
    assert authorization.parse_object_tags(raw) == {"team": "blue", "empty": ""}
    assert authorization.parse_object_tags(b"<not xml") == {}
    assert authorization.parse_object_tags(None) == {}


# --- decisions over real components ------------------------------------------


class World:
    def __init__(self, tmp_path) -> None:
        self.tmp_path = tmp_path

    async def __aenter__(self) -> World:
        self.backend = local.LocalStorage(str(self.tmp_path), fsync=False)
        await self.backend.start()
        self.cache = bucket_access.AccessCache()
        self.storage = bucket_access.AccessTrackingStorage(self.backend, self.cache)
        self.ids = identities.IdentityStore(
            ":memory:", root_access_key="ROOTKEY", root_secret_key="rootsecret1"
        )
        self.authz = authorization.Authorizer(self.ids, self.cache)
        self.services = Services(
            storage=self.storage,
            settings=Settings(),
            authorize=self.authz,
            identities=self.ids,
        )
        self.info = await self.storage.create_bucket(
            "b1", self.ids.root.canonical_id, "us-east-1"
        )
        return self

    async def __aexit__(self, *exc) -> None:
        await self.backend.close()
        self.ids.close()

    def user(self, name: str, *statements, kind: str | None = None):
        self.ids.create_user(name, kind=kind)
        self.ids.create_access_key(name, access_key=f"K{name}", secret_key="s" * 10)
        if statements:
            doc = {"Version": "2012-10-17", "Statement": list(statements)}
            self.ids.put_policy(f"p-{name}", json.dumps(doc))
            self.ids.attach_policy(name, f"p-{name}")
        return self.ids.lookup(f"K{name}")[1]

    def request(self, op: Op, key: str = "", query=None, headers=None, ip="10.1.2.3"):
        req = Request(
            self.services,
            "GET",
            "/b1/" + key,
            "/b1/" + key,
            "",
            dict(query or {}),
            dict(headers or {}),
            None,
            "rid",
            {"client": (ip, 1234), "scheme": "http"},
        )
        req.operation, req.bucket, req.key = op, "b1", key
        return req

    async def allowed(self, op: Op, principal, key: str = "", **kw) -> bool:
        try:
            await self.authz(op, principal, self.info, self.request(op, key, **kw))
        except errors.AccessDenied:
            return False
        return True


def run(coro):
    return asyncio.run(coro)


def test_root_is_allowed_and_strangers_are_denied(tmp_path):
    async def scenario():
        async with World(tmp_path) as w:
            alice = w.user("alice")
            assert await w.allowed(Op.GetObject, w.ids.root, "k")
            assert not await w.allowed(Op.GetObject, alice, "k")
            assert not await w.allowed(Op.GetObject, None, "k")
            assert not await w.allowed(Op.PutBucketPolicy, alice)

    run(scenario())


def test_policy_changes_through_the_storage_invalidate_the_cache(tmp_path):
    async def scenario():
        async with World(tmp_path) as w:
            assert not await w.allowed(Op.GetObject, None, "k")
            doc = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::b1/*",
                        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                    }
                ],
            }
            await w.storage.put_bucket_doc("b1", "policy", json.dumps(doc).encode())
            assert await w.allowed(Op.GetObject, None, "k")
            assert not await w.allowed(Op.GetObject, None, "k", ip="192.0.2.1")
            # Cached: a second decision reads nothing from the backend.
            assert w.cache.peek("b1") is not None
            await w.storage.delete_bucket_doc("b1", "policy")
            assert w.cache.peek("b1") is None
            assert not await w.allowed(Op.GetObject, None, "k")

    run(scenario())


def test_list_condition_keys_and_username_variable(tmp_path):
    async def scenario():
        async with World(tmp_path) as w:
            bob = w.user(
                "bob",
                {
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": "arn:aws:s3:::b1",
                    "Condition": {
                        "StringEquals": {"s3:prefix": "home/${aws:username}/"},
                        "NumericLessThanEquals": {"s3:max-keys": "100"},
                    },
                },
            )
            ok = {"prefix": "home/bob/", "max-keys": "10"}
            assert await w.allowed(Op.ListObjectsV2, bob, query=ok)
            assert not await w.allowed(
                Op.ListObjectsV2, bob, query={**ok, "max-keys": "1000"}
            )
            assert not await w.allowed(
                Op.ListObjectsV2, bob, query={"prefix": "home/eve/", "max-keys": "1"}
            )

    run(scenario())


def test_request_object_tag_and_acl_header_conditions(tmp_path):
    async def scenario():
        async with World(tmp_path) as w:
            carol = w.user(
                "carol",
                {
                    "Effect": "Allow",
                    "Action": ["s3:PutObject", "s3:PutObjectTagging"],
                    "Resource": "arn:aws:s3:::b1/*",
                    "Condition": {"StringEquals": {"s3:RequestObjectTag/team": "blue"}},
                },
                {
                    "Effect": "Deny",
                    "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::b1/*",
                    "Condition": {"StringEquals": {"s3:x-amz-acl": "public-read"}},
                },
            )
            blue = {"x-amz-tagging": "team=blue"}
            assert await w.allowed(Op.PutObject, carol, "k", headers=blue)
            assert not await w.allowed(
                Op.PutObject, carol, "k", headers={"x-amz-tagging": "team=red"}
            )
            assert not await w.allowed(Op.PutObject, carol, "k")
            assert not await w.allowed(
                Op.PutObject, carol, "k", headers={**blue, "x-amz-acl": "public-read"}
            )

    run(scenario())


def test_existing_object_tag_is_read_only_when_referenced(tmp_path):
    async def scenario():
        async with World(tmp_path) as w:
            from exordos_paas_s3.gateway.storage.base import PutRequest

            async def body():
                yield b"data"

            await w.storage.put_object(
                PutRequest(bucket="b1", key="t", owner_id="x", expected_size=4),
                body(),
            )
            await w.storage.put_object_doc(
                "b1",
                "t",
                None,
                "tagging",
                b"<Tagging><TagSet><Tag><Key>class</Key><Value>public</Value></Tag>"
                b"</TagSet></Tagging>",
            )
            doc = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::b1/*",
                        "Condition": {
                            "StringEquals": {"s3:ExistingObjectTag/class": "public"}
                        },
                    }
                ],
            }
            await w.storage.put_bucket_doc("b1", "policy", json.dumps(doc).encode())
            assert await w.allowed(Op.GetObject, None, "t")
            assert (await w.cache.get(w.storage, w.info)).needs_object_tags

    run(scenario())


@pytest.mark.parametrize("owner_created", [True, False])
def test_bucket_owner_is_allowed_unless_explicitly_denied(tmp_path, owner_created):
    async def scenario():
        async with World(tmp_path) as w:
            dave = w.user("dave")
            info = await w.storage.create_bucket("d1", dave.canonical_id, "us-east-1")
            target = info if owner_created else w.info
            req = w.request(Op.PutBucketPolicy)
            req.bucket = target.name
            try:
                await w.authz(Op.PutBucketPolicy, dave, target, req)
                allowed = True
            except errors.AccessDenied:
                allowed = False
            assert allowed is owner_created

    run(scenario())


def test_list_all_buckets_needs_an_identity_allow(tmp_path):
    async def scenario():
        async with World(tmp_path) as w:
            plain = w.user("plain")
            lister = w.user(
                "lister",
                {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
            )
            denied = w.user(
                "denied",
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
            )
            req = w.request(Op.ListBuckets)
            assert w.authz.lists_all_buckets(w.ids.root, req)
            assert w.authz.lists_all_buckets(lister, req)
            assert not w.authz.lists_all_buckets(plain, req)
            assert not w.authz.lists_all_buckets(denied, req)
            assert not w.authz.lists_all_buckets(None, req)

    run(scenario())


def test_writer_may_set_acl_and_tags_of_what_it_writes(tmp_path):
    async def scenario():
        async with World(tmp_path) as w:
            writer = w.user(
                "writer",
                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
            )
            extras = {"x-amz-acl": "public-read", "x-amz-tagging": "a=b"}
            assert await w.allowed(Op.PutObject, writer, "k", headers=extras)
            # An explicit Deny on the extra action still wins.
            denier = w.user(
                "denier",
                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:PutObjectAcl", "Resource": "*"},
            )
            assert await w.allowed(Op.PutObject, denier, "k")
            assert not await w.allowed(Op.PutObject, denier, "k", headers=extras)
            # With ACLs disabled the extras need their own Allow.
            await w.storage.put_bucket_doc(
                "b1",
                bucket_access.DOC_OWNERSHIP,
                acl_rules.render_ownership_controls(
                    acl_rules.ObjectOwnership.BUCKET_OWNER_ENFORCED
                ),
            )
            tags = {"x-amz-tagging": "a=b"}
            assert not await w.allowed(Op.PutObject, writer, "k", headers=tags)

    run(scenario())


def test_missing_key_passes_to_404_only_with_list_rights(tmp_path):
    async def scenario():
        async with World(tmp_path) as w:
            alice = w.user("alice")
            lister = w.user(
                "lister",
                {
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": "arn:aws:s3:::b1",
                    "Condition": {"StringLike": {"s3:prefix": "pub/*"}},
                },
            )
            assert not await w.allowed(Op.GetObject, alice, "pub/missing")
            assert await w.allowed(Op.GetObject, lister, "pub/missing")
            assert await w.allowed(Op.HeadObject, lister, "pub/missing")
            assert not await w.allowed(Op.GetObject, lister, "priv/missing")
            # An object that exists is not readable through list rights.
            await w.storage.put_object(
                storage_base.PutRequest(
                    bucket="b1", key="pub/here", owner_id=w.ids.root.canonical_id
                ),
                _chunks(b"x"),
            )
            assert not await w.allowed(Op.GetObject, lister, "pub/here")

    run(scenario())


async def _chunks(data: bytes):
    yield data


# --- "iam" users: no implicit rights (decision 0004, "User kinds") ------------


async def _creates(w: World, principal, bucket: str, headers=None) -> bool:
    req = w.request(Op.CreateBucket, headers=headers)
    req.bucket = bucket
    try:
        await w.authz(Op.CreateBucket, principal, None, req)
    except errors.AccessDenied:
        return False
    return True


def test_iam_user_needs_an_allow_to_create_a_bucket(tmp_path):
    async def scenario():
        async with World(tmp_path) as w:
            bare = w.user("bare", kind="iam")
            reader = w.user(
                "reader",
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                kind="iam",
            )
            creator = w.user(
                "creator",
                {
                    "Effect": "Allow",
                    "Action": "s3:CreateBucket",
                    "Resource": "arn:aws:s3:::mine-*",
                },
                kind="iam",
            )
            denied = w.user(
                "denied",
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:CreateBucket", "Resource": "*"},
                kind="iam",
            )
            account = w.user("account")
            assert bare.is_iam_user and not account.is_iam_user
            assert not await _creates(w, bare, "mine-1")
            assert not await _creates(w, reader, "mine-1")
            assert await _creates(w, creator, "mine-1")
            assert not await _creates(w, creator, "other")
            # A canned ACL on the new bucket needs s3:PutBucketAcl too.
            assert not await _creates(w, creator, "mine-2", {"x-amz-acl": "private"})
            assert not await _creates(w, denied, "mine-1")
            # An "account" user keeps its implicit CreateBucket.
            assert await _creates(w, account, "mine-1")
            # ListBuckets itself passes; what it shows is lists_all_buckets'.
            req = w.request(Op.ListBuckets)
            await w.authz(Op.ListBuckets, bare, None, req)
            assert not w.authz.lists_all_buckets(bare, req)

    run(scenario())


def test_iam_user_has_no_owner_shortcut(tmp_path):
    async def scenario():
        async with World(tmp_path) as w:
            erin = w.user("erin", kind="iam")
            info = await w.storage.create_bucket("e1", erin.canonical_id, "us-east-1")
            req = w.request(Op.PutBucketPolicy)
            req.bucket = info.name
            with pytest.raises(errors.AccessDenied):
                await w.authz(Op.PutBucketPolicy, erin, info, req)
            # Nothing on the root's bucket either, until a policy allows it.
            assert not await w.allowed(Op.GetObject, erin, "k")
            assert not await w.allowed(Op.ListObjects, erin)
            ok = w.user(
                "ok",
                {
                    "Effect": "Allow",
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::b1", "arn:aws:s3:::b1/*"],
                },
                kind="iam",
            )
            assert await w.allowed(Op.ListObjects, ok)
            assert await w.allowed(Op.PutObject, ok, "k")
            assert await w.allowed(Op.PutBucketPolicy, ok)

    run(scenario())


def test_bucket_owner_of_an_iam_user_is_the_root(tmp_path):
    async def scenario():
        async with World(tmp_path) as w:
            iam = w.user("iam", kind="iam")
            account = w.user("acct")
            req = w.request(Op.CreateBucket)
            req.principal = iam
            assert authorization.owner_id_of(req) == w.ids.root.canonical_id
            req.principal = account
            assert authorization.owner_id_of(req) == account.canonical_id

    run(scenario())
