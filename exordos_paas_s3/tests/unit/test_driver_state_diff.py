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
"""The driver's diff: desired node state vs the gateway's actual state."""

from exordos_paas_s3 import node_state as ns
from exordos_paas_s3.dataplane import state_diff

U1, K1, P1, A1, B1 = "u-1", "k-1", "p-1", "a-1", "b-1"
DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}


def desired(**overrides):
    doc = {
        "uuid": "n-1",
        "instance": "i-1",
        ns.USERS: {U1: {"name": "alice"}},
        ns.ACCESS_KEYS: {
            K1: {
                "user": U1,
                "access_key": "AKALICE",
                "secret_key": "s3cr3t-value",
                "enabled": True,
            }
        },
        ns.POLICIES: {P1: {"name": "rw", "document": DOC}},
        ns.ATTACHMENTS: {A1: {"user": U1, "policy": P1}},
        ns.BUCKETS: {
            B1: {
                "name": "photos",
                "versioning": True,
                "object_lock": False,
                "retention_mode": None,
                "retention_days": None,
                "quota_bytes": 0,
                "public": False,
                "force_delete": False,
            }
        },
    }
    doc.update(overrides)
    return doc


def converged_actual():
    return {
        "users": [{"name": "alice", "user_id": U1, "kind": "iam"}],
        "access_keys": [{"access_key": "AKALICE", "user": "alice", "enabled": True}],
        "policies": [{"name": "rw", "document": DOC}],
        "attachments": [{"user": "alice", "policy": "rw"}],
        "buckets": [
            {
                "name": "photos",
                "versioning": "Enabled",
                "object_lock": False,
                "retention": None,
                "quota_bytes": 0,
                "public": False,
                "empty": True,
            }
        ],
    }


def summary(ops):
    return [(op.action, op.section, op.name) for op in ops]


def test_empty_gateway_gets_everything_in_dependency_order():
    ops = state_diff.plan(desired(), {})
    assert summary(ops) == [
        ("put", ns.POLICIES, "rw"),
        ("put", ns.USERS, "alice"),
        ("put", ns.ACCESS_KEYS, "AKALICE"),
        ("put", ns.ATTACHMENTS, "alice:rw"),
        ("put", ns.BUCKETS, "photos"),
    ]


def test_converged_gateway_needs_no_call():
    assert state_diff.plan(desired(), converged_actual()) == []
    verdicts = state_diff.judge(desired(), converged_actual())
    assert all(v.applied for section in verdicts.values() for v in section.values())


class _Recorder:
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


def test_account_user_is_converted_to_iam_by_one_put():
    actual = converged_actual()
    actual["users"][0]["kind"] = "account"
    ops = state_diff.plan(desired(), actual)
    assert summary(ops) == [("put", ns.USERS, "alice")]
    verdicts = state_diff.judge(desired(), actual)
    assert not verdicts[ns.USERS][U1].applied
    recorder = _Recorder()
    ops[0].call(recorder)
    assert recorder.calls == [("put_user", ("alice",), {"user_id": U1, "kind": "iam"})]


def test_disabling_a_key_is_one_put():
    doc = desired()
    doc[ns.ACCESS_KEYS][K1]["enabled"] = False
    assert summary(state_diff.plan(doc, converged_actual())) == [
        ("put", ns.ACCESS_KEYS, "AKALICE")
    ]


def test_removed_key_and_attachment_are_deleted_before_puts():
    doc = desired(**{ns.ACCESS_KEYS: {}, ns.ATTACHMENTS: {}})
    assert summary(state_diff.plan(doc, converged_actual())) == [
        ("delete", ns.ATTACHMENTS, "alice:rw"),
        ("delete", ns.ACCESS_KEYS, "AKALICE"),
    ]


def test_user_name_reused_by_a_new_user_is_recreated():
    doc = desired()
    doc[ns.USERS] = {"u-2": {"name": "alice"}}
    doc[ns.ACCESS_KEYS][K1]["user"] = "u-2"
    doc[ns.ATTACHMENTS][A1]["user"] = "u-2"
    ops = summary(state_diff.plan(doc, converged_actual()))
    assert ops.index(("delete", ns.USERS, "alice")) < ops.index(
        ("put", ns.USERS, "alice")
    )


def test_changed_policy_document_is_put_again():
    doc = desired()
    doc[ns.POLICIES][P1]["document"] = {"Version": "2012-10-17", "Statement": []}
    assert summary(state_diff.plan(doc, converged_actual())) == [
        ("put", ns.POLICIES, "rw")
    ]


def test_bucket_settings_drift_is_one_put_with_all_settings():
    actual = converged_actual()
    actual["buckets"][0]["versioning"] = "Suspended"
    ops = state_diff.plan(desired(), actual)
    assert summary(ops) == [("put", ns.BUCKETS, "photos")]

    calls = []

    class Recorder:
        def put_bucket(self, name, settings):
            calls.append((name, settings))

    ops[0].call(Recorder())
    assert calls == [
        (
            "photos",
            {
                "versioning": True,
                "object_lock": False,
                "retention": None,
                "quota_bytes": 0,
                "public": False,
            },
        )
    ]


def test_object_lock_cannot_be_changed_and_is_not_retried():
    doc = desired()
    doc[ns.BUCKETS][B1]["object_lock"] = True
    assert state_diff.plan(doc, converged_actual()) == []
    verdict = state_diff.judge(doc, converged_actual())[ns.BUCKETS][B1]
    assert not verdict.applied
    assert "object lock" in verdict.problem


def test_unknown_bucket_is_tenant_data_and_is_left_alone():
    actual = converged_actual()
    actual["buckets"].append({"name": "made-through-s3", "versioning": ""})
    assert state_diff.plan(desired(), actual) == []


def test_bucket_removed_from_desired_state_is_deleted_with_its_force_flag():
    previous = {ns.BUCKETS: {"x": {"name": "photos", "force_delete": True}}}
    ops = state_diff.plan(desired(**{ns.BUCKETS: {}}), converged_actual(), previous)
    assert summary(ops) == [("delete", ns.BUCKETS, "photos")]

    calls = []

    class Recorder:
        def delete_bucket(self, name, force=False):
            calls.append((name, force))

    ops[0].call(Recorder())
    assert calls == [("photos", True)]


class _DeleteRecorder:
    def __init__(self):
        self.calls = []

    def delete_bucket(self, name, force=False):
        self.calls.append((name, force))


def test_delete_item_force_wins_over_what_the_node_saw_before():
    # The node last saw the bucket without force (the PUT of force_delete and
    # the DELETE came within one cycle); the delete item carries the force.
    previous = {ns.BUCKETS: {"x": {"name": "photos", "force_delete": False}}}
    doc = desired(
        **{
            ns.BUCKETS: {},
            ns.DELETED_BUCKETS: {B1: {"name": "photos", "force": True}},
        }
    )
    ops = state_diff.plan(doc, converged_actual(), previous)
    assert summary(ops) == [("delete", ns.DELETED_BUCKETS, "photos")]
    assert ops[0].uid == B1
    recorder = _DeleteRecorder()
    ops[0].call(recorder)
    assert recorder.calls == [("photos", True)]
    assert state_diff.judge(doc, converged_actual())[ns.DELETED_BUCKETS] == {
        B1: state_diff.Verdict(False)
    }


def test_delete_item_is_done_when_the_bucket_is_gone_or_wanted_again():
    gone = converged_actual()
    gone["buckets"] = []
    doc = desired(**{ns.BUCKETS: {}, ns.DELETED_BUCKETS: {"old": {"name": "photos"}}})
    assert state_diff.plan(doc, gone) == []
    assert state_diff.judge(doc, gone)[ns.DELETED_BUCKETS]["old"].applied

    # A new bucket of the same name is wanted: it wins, nothing is deleted.
    again = desired(**{ns.DELETED_BUCKETS: {"old": {"name": "photos"}}})
    assert state_diff.plan(again, converged_actual()) == []
    assert state_diff.judge(again, converged_actual())[ns.DELETED_BUCKETS][
        "old"
    ].applied


def test_iam_objects_nobody_wants_are_removed():
    actual = converged_actual()
    actual["users"].append({"name": "mallory", "user_id": "zzz"})
    actual["policies"].append({"name": "old", "document": DOC})
    assert summary(state_diff.plan(desired(), actual)) == [
        ("delete", ns.USERS, "mallory"),
        ("delete", ns.POLICIES, "old"),
    ]


def test_retention_and_quota_are_compared():
    doc = desired()
    doc[ns.BUCKETS][B1].update(
        object_lock=True, retention_mode="GOVERNANCE", retention_days=3, quota_bytes=9
    )
    actual = converged_actual()
    actual["buckets"][0].update(
        object_lock=True, retention={"mode": "GOVERNANCE", "days": 3}, quota_bytes=9
    )
    assert state_diff.plan(doc, actual) == []
    actual["buckets"][0]["retention"] = {"mode": "COMPLIANCE", "days": 3}
    assert summary(state_diff.plan(doc, actual)) == [("put", ns.BUCKETS, "photos")]


def test_digest_ignores_secrets_and_force_flag():
    key = desired()[ns.ACCESS_KEYS][K1]
    other = dict(key, secret_key="another-secret")
    assert ns.item_digest(key) == ns.item_digest(other)
    assert ns.item_digest(key) != ns.item_digest(dict(key, enabled=False))
    safe = ns.without_secrets(desired())
    assert "secret_key" not in safe[ns.ACCESS_KEYS][K1]
