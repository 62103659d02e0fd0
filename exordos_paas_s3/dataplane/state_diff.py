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
"""What differs between a node's desired state and its gateway: pure functions.

:func:`plan` turns (desired document, the gateway's actual state, the
previously applied document) into the admin calls that close the gap, and
:func:`judge` says for each desired item whether the gateway has it. Neither
does I/O, so both are tested on plain dicts; the driver runs the calls.

The actual state is what ``GET /v1/state`` returns (docs/admin-api.md).
"""

from __future__ import annotations

import dataclasses
import json
import typing as tp

from exordos_paas_s3 import node_state as ns

Call = tp.Callable[[tp.Any], tp.Any]

# The driver's users are AWS IAM users of the instance's account: only their
# policies give them rights, and the buckets the operator makes belong to the
# root (gateway/auth/identities.py KIND_IAM, decision 0004).
USER_KIND = "iam"


def _admin(method: str, *args: tp.Any, **kwargs: tp.Any) -> Call:
    """The call of ``client.<method>(*args, **kwargs)`` on the client given."""

    def call(client: tp.Any) -> tp.Any:
        return getattr(client, method)(*args, **kwargs)

    return call


@dataclasses.dataclass(frozen=True)
class Op:
    """One admin write. ``uid`` is the desired item it serves, or None when it
    removes something no desired item wants (then ``name`` says what)."""

    section: str
    uid: str | None
    name: str
    action: str  # "put" | "delete"
    call: Call = dataclasses.field(compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class Verdict:
    applied: bool
    # Why it is not applied and will not be by retrying the same call.
    problem: str = ""


def _canonical(doc: tp.Any) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def bucket_settings(spec: tp.Mapping[str, tp.Any]) -> dict[str, tp.Any]:
    """Desired bucket item -> the body of ``PUT /buckets/{name}``."""
    retention = None
    if spec.get("retention_mode") and spec.get("retention_days"):
        retention = {
            "mode": spec["retention_mode"],
            "days": int(spec["retention_days"]),
        }
    settings = {
        "versioning": bool(spec.get("versioning")),
        "object_lock": bool(spec.get("object_lock")),
        "retention": retention,
        "quota_bytes": int(spec.get("quota_bytes") or 0),
        "public": bool(spec.get("public")),
    }
    # Sent only when set: a gateway without default encryption support then
    # still takes every other bucket.
    if spec.get("encryption"):
        settings["encryption"] = spec["encryption"]
    # S3 Tables: sent only when set, like encryption.
    if spec.get("table_bucket"):
        settings["table_bucket"] = True
    if spec.get("compression"):
        settings["compression"] = spec["compression"]
    return settings


def _actual_bucket_settings(actual: tp.Mapping[str, tp.Any]) -> dict[str, tp.Any]:
    retention = actual.get("retention") or None
    if retention:
        retention = {"mode": retention["mode"], "days": int(retention["days"])}
    settings = {
        "versioning": actual.get("versioning") == "Enabled",
        "object_lock": bool(actual.get("object_lock")),
        "retention": retention,
        "quota_bytes": int(actual.get("quota_bytes") or 0),
        "public": bool(actual.get("public")),
    }
    if actual.get("encryption"):
        settings["encryption"] = actual["encryption"]
    if actual.get("table_bucket"):
        settings["table_bucket"] = True
    if actual.get("compression"):
        settings["compression"] = actual["compression"]
    return settings


class _Index:
    """The actual state, indexed the ways the comparisons need."""

    def __init__(self, actual: tp.Mapping[str, tp.Any]) -> None:
        self.users = {u["name"]: u for u in actual.get("users", ())}
        self.keys = {k["access_key"]: k for k in actual.get("access_keys", ())}
        self.policies = {p["name"]: p for p in actual.get("policies", ())}
        self.attachments = {
            (a["user"], a["policy"]) for a in actual.get("attachments", ())
        }
        self.buckets = {b["name"]: b for b in actual.get("buckets", ())}


def _user_name(desired: tp.Mapping[str, tp.Any], user_uid: str) -> str | None:
    user = (desired.get(ns.USERS) or {}).get(user_uid)
    return user["name"] if user else None


def _policy_name(desired: tp.Mapping[str, tp.Any], policy_uid: str) -> str | None:
    policy = (desired.get(ns.POLICIES) or {}).get(policy_uid)
    return policy["name"] if policy else None


def judge(
    desired: tp.Mapping[str, tp.Any], actual: tp.Mapping[str, tp.Any]
) -> dict[str, dict[str, Verdict]]:
    """For every desired item: is it applied, and if not, can it ever be?"""
    idx = _Index(actual)
    out: dict[str, dict[str, Verdict]] = {
        s: {} for s in (*ns.SECTIONS, ns.DELETED_BUCKETS)
    }

    for uid, spec in (desired.get(ns.USERS) or {}).items():
        user = idx.users.get(spec["name"])
        # A user made before kinds existed is "account": put again as "iam".
        out[ns.USERS][uid] = Verdict(
            user is not None
            and user.get("user_id") == uid
            and user.get("kind") == USER_KIND
        )

    for uid, spec in (desired.get(ns.POLICIES) or {}).items():
        policy = idx.policies.get(spec["name"])
        out[ns.POLICIES][uid] = Verdict(
            policy is not None
            and _canonical(policy.get("document")) == _canonical(spec["document"])
        )

    for uid, spec in (desired.get(ns.ACCESS_KEYS) or {}).items():
        user = _user_name(desired, spec["user"])
        if user is None:
            out[ns.ACCESS_KEYS][uid] = Verdict(False, "its user is not on this node")
            continue
        key = idx.keys.get(spec["access_key"])
        out[ns.ACCESS_KEYS][uid] = Verdict(
            key is not None
            and key.get("user") == user
            and bool(key.get("enabled")) == bool(spec.get("enabled", True))
        )

    for uid, spec in (desired.get(ns.ATTACHMENTS) or {}).items():
        user = _user_name(desired, spec["user"])
        policy = _policy_name(desired, spec["policy"])
        if user is None or policy is None:
            out[ns.ATTACHMENTS][uid] = Verdict(
                False, "its user or policy is not on this node"
            )
            continue
        out[ns.ATTACHMENTS][uid] = Verdict((user, policy) in idx.attachments)

    for uid, spec in (desired.get(ns.BUCKETS) or {}).items():
        bucket = idx.buckets.get(spec["name"])
        if bucket is None:
            out[ns.BUCKETS][uid] = Verdict(False)
            continue
        want = bucket_settings(spec)
        have = _actual_bucket_settings(bucket)
        if "table_bucket" not in want:
            # One way only: a catalog the operator does not ask for is left
            # alone (a tenant may have enabled it through the catalog API,
            # and removing it would lose the tables it names).
            have.pop("table_bucket", None)
        if want["object_lock"] != have["object_lock"]:
            # S3 has no way to turn object lock off, and turning it on for an
            # existing bucket is not something the control plane offers.
            out[ns.BUCKETS][uid] = Verdict(
                False,
                "object lock cannot change on an existing bucket "
                f"(the gateway has object_lock={have['object_lock']})",
            )
            continue
        out[ns.BUCKETS][uid] = Verdict(want == have)

    # A deleted bucket is done once the gateway no longer has it, or when a
    # bucket of the same name is wanted again (that one wins).
    wanted = {spec["name"] for spec in (desired.get(ns.BUCKETS) or {}).values()}
    for uid, spec in (desired.get(ns.DELETED_BUCKETS) or {}).items():
        out[ns.DELETED_BUCKETS][uid] = Verdict(
            spec["name"] not in idx.buckets or spec["name"] in wanted
        )
    return out


def plan(
    desired: tp.Mapping[str, tp.Any],
    actual: tp.Mapping[str, tp.Any],
    previous: tp.Mapping[str, tp.Any] | None = None,
) -> list[Op]:
    """The admin calls that bring the gateway to ``desired``, in a safe order.

    Everything IAM on the node belongs to the control plane, so users, keys,
    policies and attachments nobody wants are removed. Buckets are removed
    only when a previously applied document had them: a bucket a tenant made
    through S3 itself is their data, not drift.
    """
    idx = _Index(actual)
    verdicts = judge(desired, actual)
    users = desired.get(ns.USERS) or {}
    keys = desired.get(ns.ACCESS_KEYS) or {}
    policies = desired.get(ns.POLICIES) or {}
    attachments = desired.get(ns.ATTACHMENTS) or {}
    buckets = desired.get(ns.BUCKETS) or {}

    deletes: list[Op] = []
    puts: list[Op] = []

    # --- removals, dependents first ------------------------------------
    prev_buckets = {
        spec["name"]: spec for spec in ((previous or {}).get(ns.BUCKETS) or {}).values()
    }
    wanted_buckets = {spec["name"] for spec in buckets.values()}
    deleted = desired.get(ns.DELETED_BUCKETS) or {}
    # An explicit delete item says how (force or not) whatever the node saw
    # of the bucket before; see node_state.
    for uid, spec in sorted(deleted.items()):
        name = spec["name"]
        if name in idx.buckets and name not in wanted_buckets:
            deletes.append(
                Op(
                    ns.DELETED_BUCKETS,
                    uid,
                    name,
                    "delete",
                    _admin("delete_bucket", name, force=bool(spec.get("force"))),
                )
            )
    deleted_names = {spec["name"] for spec in deleted.values()}
    for name, spec in sorted(prev_buckets.items()):
        if name in deleted_names:
            continue
        if name in idx.buckets and name not in wanted_buckets:
            force = bool(spec.get("force_delete"))
            deletes.append(
                Op(
                    ns.BUCKETS,
                    None,
                    name,
                    "delete",
                    _admin("delete_bucket", name, force=force),
                )
            )

    wanted_pairs = set()
    for spec in attachments.values():
        user, policy = (
            _user_name(desired, spec["user"]),
            _policy_name(desired, spec["policy"]),
        )
        if user and policy:
            wanted_pairs.add((user, policy))
    for user, policy in sorted(idx.attachments - wanted_pairs):
        deletes.append(
            Op(
                ns.ATTACHMENTS,
                None,
                f"{user}:{policy}",
                "delete",
                _admin("delete_attachment", user, policy),
            )
        )

    wanted_keys = {
        spec["access_key"]: _user_name(desired, spec["user"]) for spec in keys.values()
    }
    for access_key, key in sorted(idx.keys.items()):
        if wanted_keys.get(access_key, None) != key.get("user"):
            deletes.append(
                Op(
                    ns.ACCESS_KEYS,
                    None,
                    access_key,
                    "delete",
                    _admin("delete_access_key", key.get("user"), access_key),
                )
            )

    wanted_users = {spec["name"]: uid for uid, spec in users.items()}
    for name, user in sorted(idx.users.items()):
        # A name re-used by a new control-plane user is a different user: its
        # keys and grants must not carry over, so it is recreated.
        if wanted_users.get(name) != user.get("user_id"):
            deletes.append(
                Op(
                    ns.USERS,
                    None,
                    name,
                    "delete",
                    _admin("delete_user", name),
                )
            )

    wanted_policies = {spec["name"] for spec in policies.values()}
    for name in sorted(set(idx.policies) - wanted_policies):
        deletes.append(
            Op(ns.POLICIES, None, name, "delete", _admin("delete_policy", name))
        )

    # --- puts, what is referenced first ---------------------------------
    for uid, spec in sorted(policies.items()):
        if not verdicts[ns.POLICIES][uid].applied:
            puts.append(
                Op(
                    ns.POLICIES,
                    uid,
                    spec["name"],
                    "put",
                    _admin("put_policy", spec["name"], spec["document"]),
                )
            )
    for uid, spec in sorted(users.items()):
        if not verdicts[ns.USERS][uid].applied:
            puts.append(
                Op(
                    ns.USERS,
                    uid,
                    spec["name"],
                    "put",
                    _admin("put_user", spec["name"], user_id=uid, kind=USER_KIND),
                )
            )
    for uid, spec in sorted(keys.items()):
        verdict = verdicts[ns.ACCESS_KEYS][uid]
        if not verdict.applied and not verdict.problem:
            user = _user_name(desired, spec["user"])
            puts.append(
                Op(
                    ns.ACCESS_KEYS,
                    uid,
                    spec["access_key"],
                    "put",
                    _admin(
                        "put_access_key",
                        user,
                        spec["access_key"],
                        # Absent from a stored document (never kept), and
                        # None when it did not open on this node.
                        spec.get("secret_key"),
                        bool(spec.get("enabled", True)),
                    ),
                )
            )
    for uid, spec in sorted(attachments.items()):
        verdict = verdicts[ns.ATTACHMENTS][uid]
        if not verdict.applied and not verdict.problem:
            user = _user_name(desired, spec["user"])
            policy = _policy_name(desired, spec["policy"])
            puts.append(
                Op(
                    ns.ATTACHMENTS,
                    uid,
                    f"{user}:{policy}",
                    "put",
                    _admin("put_attachment", user, policy),
                )
            )
    for uid, spec in sorted(buckets.items()):
        verdict = verdicts[ns.BUCKETS][uid]
        if not verdict.applied and not verdict.problem:
            puts.append(
                Op(
                    ns.BUCKETS,
                    uid,
                    spec["name"],
                    "put",
                    _admin("put_bucket", spec["name"], bucket_settings(spec)),
                )
            )

    # Removals go in reverse dependency order: buckets, attachments, keys,
    # users, policies (the order they were appended in).
    return deletes + puts
