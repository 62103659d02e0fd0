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
"""The identity store: the root principal, IAM users and their access keys.

Persisted in SQLite (WAL) at ``<data-dir>/iam.sqlite``; everything is also held
in memory so that :meth:`IdentityStore.lookup`, called for every signed
request, never touches the disk. Writes go to SQLite first and update the
in-memory maps only after the commit, so a crash never leaves the cache ahead of
the disk.

Tables: ``meta`` (the root user's stable id), ``users``, ``access_keys``; the
authorization work adds ``policies`` and ``attachments`` next to them.

The root principal comes from configuration (``cmd/`` passes it in) and is never
stored as an access key: changing the configured root key replaces it, while
the root's canonical id stays the same because it derives from a uuid kept in
``meta``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
import uuid

from exordos_paas_s3 import policy_grammar
from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway import policy as policy_lang
from exordos_paas_s3.gateway.auth import secret_seal

LOG = logging.getLogger(__name__)

IAM_DB_NAME = "iam.sqlite"
ROOT_USER_NAME = "root"

# What a user is (decision 0004, "User kinds"): an "account" owns the buckets
# it creates and has every right on them (Ceph RGW style, what s3-tests and
# the admin API default to); an "iam" user is an AWS IAM user of the
# instance's account: it may do only what policies and ACLs allow, and the
# buckets it creates belong to the account (the root).
KIND_ACCOUNT = "account"
KIND_IAM = "iam"
USER_KINDS = (KIND_ACCOUNT, KIND_IAM)

# IAM user names: letters, digits and "+=,.@_-", 1..64 characters (IAM API
# reference, CreateUser). Access key ids end up inside the SigV4 credential
# scope ("AKID/date/region/s3/aws4_request"), so "/" must never be allowed.
_USER_NAME_RE = re.compile(r"[A-Za-z0-9+=,.@_-]{1,64}\Z")
_USER_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_ACCESS_KEY_RE = re.compile(r"[A-Za-z0-9._-]{3,128}\Z")
_SECRET_RE = re.compile(r"[\x21-\x7e]{8,128}\Z")
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    canonical_id TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS access_keys (
    access_key TEXT PRIMARY KEY,
    secret_key TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS access_keys_user ON access_keys(user_id);
"""

# IAM identity policies (the JSON text as given, validated by gateway/policy.py)
# and which user has which attached. An attached policy cannot be deleted
# (IAM's DeleteConflict); a user's attachments go with the user.
_POLICY_SCHEMA = """
CREATE TABLE IF NOT EXISTS policies (
    name TEXT PRIMARY KEY,
    document TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS attachments (
    user_id TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    policy_name TEXT NOT NULL REFERENCES policies(name),
    PRIMARY KEY (user_id, policy_name)
);
"""
# IAM policy names: letters, digits and "+=,.@_-", 1..128 (CreatePolicy);
# the rule is shared with the control plane.
_POLICY_NAME_RE = policy_grammar.POLICY_NAME_RE


_USER_COLUMNS = "user_id, name, display_name, canonical_id, created_at, kind"


def _user_of(row: tuple) -> User:
    uid, name, display_name, canonical_id, created_at, kind = row
    return User(uid, name, display_name, canonical_id, created_at, kind=kind)


class IdentityError(Exception):
    """Base of the identity store's own errors (mapped to HTTP by admin.py)."""


class InvalidIdentityInput(IdentityError):
    pass


class IdentityNotFound(IdentityError):
    pass


class IdentityConflict(IdentityError):
    pass


def canonical_id_for(user_id: str) -> str:
    """The 64-hex S3 owner id of a user: stable for as long as the user id is."""
    return hashlib.sha256(f"exordos-s3-user:{user_id}".encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who signed a request. ``access_key`` is the key used, if any."""

    user_id: str
    name: str
    canonical_id: str
    display_name: str
    is_root: bool = False
    access_key: str | None = None
    kind: str = KIND_ACCOUNT

    @property
    def is_iam_user(self) -> bool:
        """An AWS IAM user: no implicit rights, not even on its own buckets."""
        return self.kind == KIND_IAM


@dataclasses.dataclass(frozen=True)
class User:
    user_id: str
    name: str
    display_name: str
    canonical_id: str
    created_at: float
    is_root: bool = False
    kind: str = KIND_ACCOUNT

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class AccessKey:
    access_key: str
    user_id: str
    enabled: bool
    created_at: float
    # Never part of repr(): these objects end up in logs and tracebacks.
    secret_key: str = dataclasses.field(repr=False, compare=False, default="")

    def to_dict(self, *, with_secret: bool = False) -> dict:
        doc = {
            "access_key": self.access_key,
            "user_id": self.user_id,
            "enabled": self.enabled,
            "created_at": self.created_at,
        }
        if with_secret:
            doc["secret_key"] = self.secret_key
        return doc


@dataclasses.dataclass(frozen=True)
class PolicyDoc:
    """A stored identity policy: its name and the JSON text as it was put."""

    name: str
    document: str
    created_at: float

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class _Secret(str):
    """A str whose repr never shows the value (keeps secrets out of logs)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


def generate_access_key() -> str:
    return "AK" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(18))


def generate_secret_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


class IdentityStore:
    """Users and access keys, in SQLite, with an in-memory read path.

    ``db_path`` may be ``":memory:"`` for tests that need no persistence.
    All methods are thread-safe; writers are serialised by one lock.
    """

    def __init__(
        self,
        db_path: str,
        *,
        root_access_key: str,
        root_secret_key: str,
        root_display_name: str = ROOT_USER_NAME,
        sealer: secret_seal.SecretSealer | None = None,
    ) -> None:
        if not root_access_key or "/" in root_access_key:
            raise InvalidIdentityInput("root access key must be non-empty, no '/'")
        if not root_secret_key:
            raise InvalidIdentityInput("root secret key must be non-empty")
        self._lock = threading.Lock()
        self._db_path = db_path
        # Secrets at rest: sealed with a key outside this file when given
        # (gateway/auth/secret_seal.py); opened into memory on load.
        self._sealer = sealer
        self._db = sqlite3.connect(
            db_path, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        # Key creation is rare and must survive power loss once acknowledged.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        # Overwritten rows (a secret sealed, a key deleted) leave no copy in
        # free pages.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        self._db.executescript(_POLICY_SCHEMA)
        self._migrate()
        self._seal_plaintext_secrets()
        root_user_id = self._root_user_id()
        self._root_access_key = root_access_key
        self._root_secret = _Secret(root_secret_key)
        self.root = Principal(
            user_id=root_user_id,
            name=ROOT_USER_NAME,
            canonical_id=canonical_id_for(root_user_id),
            display_name=root_display_name,
            is_root=True,
            access_key=root_access_key,
        )
        # access_key -> (secret, principal); only enabled keys are present.
        self._keys: dict[str, tuple[str, Principal]] = {}
        self._by_canonical: dict[str, Principal] = {}
        # policy name -> compiled policy; user_id -> attached policy names.
        self._policies: dict[str, policy_lang.Policy] = {}
        self._attached: dict[str, frozenset[str]] = {}
        self._reload()
        self._reload_policies()

    @classmethod
    def in_data_dir(cls, data_dir: str, **kwargs) -> IdentityStore:
        os.makedirs(data_dir, exist_ok=True)
        return cls(os.path.join(data_dir, IAM_DB_NAME), **kwargs)

    def __repr__(self) -> str:
        return f"<IdentityStore {self._db_path!r} root={self._root_access_key!r}>"

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- hot path ---------------------------------------------------------

    def lookup(self, access_key: str) -> tuple[str, Principal]:
        """Secret and principal of an enabled key; never touches the disk."""
        if access_key == self._root_access_key:
            return self._root_secret, self.root
        try:
            return self._keys[access_key]
        except KeyError:
            raise errors.InvalidAccessKeyId(AWSAccessKeyId=access_key) from None

    def principal_by_canonical_id(self, canonical_id: str) -> Principal | None:
        if canonical_id == self.root.canonical_id:
            return self.root
        return self._by_canonical.get(canonical_id)

    # -- users ------------------------------------------------------------

    def create_user(
        self,
        name: str,
        *,
        user_id: str | None = None,
        display_name: str | None = None,
        kind: str | None = None,
    ) -> tuple[User, bool]:
        """Create a user, or return the existing one with the same name.

        Returns ``(user, created)``. A name that exists with a different
        ``user_id`` (or display name, when given) is a conflict: PUT semantics,
        the caller's declaration must match what is stored. ``kind`` (default
        "account") may change on an existing user: the driver converts the
        users it made before kinds existed.
        """
        self._check_user_name(name)
        if kind is not None and kind not in USER_KINDS:
            raise InvalidIdentityInput(f"kind must be one of {', '.join(USER_KINDS)}")
        if user_id is not None and not _USER_ID_RE.match(user_id):
            raise InvalidIdentityInput(
                "user_id must be 1-64 characters of letters, digits, '_' or '-'"
            )
        if display_name is not None and not (0 < len(display_name) <= 256):
            raise InvalidIdentityInput("display_name must be 1-256 characters")
        with self._lock:
            existing = self._user_row(name=name)
            if existing is not None:
                if (user_id is not None and existing.user_id != user_id) or (
                    display_name is not None and existing.display_name != display_name
                ):
                    raise IdentityConflict(
                        f"user {name!r} exists with a different user_id or display_name"
                    )
                if kind is not None and existing.kind != kind:
                    existing = self._set_kind_locked(existing, kind)
                return existing, False
            uid = user_id or uuid.uuid4().hex
            if uid == self.root.user_id or self._user_row(user_id=uid) is not None:
                raise IdentityConflict(f"user_id {uid!r} is already taken")
            user = User(
                user_id=uid,
                name=name,
                display_name=display_name or name,
                canonical_id=canonical_id_for(uid),
                created_at=time.time(),
                kind=kind or KIND_ACCOUNT,
            )
            self._db.execute(
                "INSERT INTO users (user_id, name, display_name, canonical_id,"
                " created_at, kind) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    user.user_id,
                    user.name,
                    user.display_name,
                    user.canonical_id,
                    user.created_at,
                    user.kind,
                ),
            )
            self._by_canonical[user.canonical_id] = self._principal(user, None)
        LOG.info("created user %s (%s, kind %s)", name, uid, user.kind)
        return user, True

    def get_user(self, name: str) -> User:
        self._check_user_name(name)
        with self._lock:
            user = self._user_row(name=name)
        if user is None:
            raise IdentityNotFound(f"user {name!r} does not exist")
        return user

    def list_users(self) -> list[User]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_USER_COLUMNS} FROM users ORDER BY name"
            ).fetchall()
        return [_user_of(row) for row in rows]

    def delete_user(self, name: str) -> bool:
        """Delete a user and all its keys; False if there was no such user."""
        self._check_user_name(name)
        with self._lock:
            user = self._user_row(name=name)
            if user is None:
                return False
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "DELETE FROM access_keys WHERE user_id = ?", (user.user_id,)
                )
                self._db.execute("DELETE FROM users WHERE user_id = ?", (user.user_id,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            for key, (_, principal) in list(self._keys.items()):
                if principal.user_id == user.user_id:
                    del self._keys[key]
            self._by_canonical.pop(user.canonical_id, None)
            self._attached.pop(user.user_id, None)
        LOG.info("deleted user %s (%s)", name, user.user_id)
        return True

    # -- access keys ------------------------------------------------------

    def create_access_key(
        self,
        user_name: str,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        enabled: bool = True,
    ) -> tuple[AccessKey, bool]:
        """Create a key for a user; generated unless the caller supplies both.

        Returns ``(key, created)``. Re-declaring an existing key with the same
        user and secret is a no-op apart from ``enabled``; anything else that
        collides with an existing key id is a conflict.
        """
        if (access_key is None) != (secret_key is None):
            raise InvalidIdentityInput(
                "give both access_key and secret_key, or neither to generate them"
            )
        if access_key is not None and not _ACCESS_KEY_RE.match(access_key):
            raise InvalidIdentityInput(
                "access_key must be 3-128 characters of letters, digits, '.', '_'"
                " or '-'"
            )
        if secret_key is not None and not _SECRET_RE.match(secret_key):
            raise InvalidIdentityInput(
                "secret_key must be 8-128 printable ASCII characters, no spaces"
            )
        user = self.get_user(user_name)
        with self._lock:
            if access_key is None:
                access_key, secret_key = generate_access_key(), generate_secret_key()
                while self._key_row(access_key) or access_key == self._root_access_key:
                    access_key = generate_access_key()
            assert secret_key is not None
            if access_key == self._root_access_key:
                raise IdentityConflict("this access key is the root access key")
            existing = self._key_row(access_key)
            if (
                existing is not None
                and not existing.secret_key
                and existing.user_id == user.user_id
            ):
                # Its stored secret does not open with this secrets key (the
                # node key changed): the secret given again replaces it.
                self._db.execute(
                    "UPDATE access_keys SET secret_key = ? WHERE access_key = ?",
                    (self._stored_secret(access_key, secret_key), access_key),
                )
                existing = dataclasses.replace(existing, secret_key=secret_key)
                LOG.warning("access key %s: unreadable secret replaced", access_key)
                self._set_enabled_locked(existing, user, enabled)
                return dataclasses.replace(existing, enabled=enabled), False
            if existing is not None:
                if existing.user_id != user.user_id or not secrets.compare_digest(
                    existing.secret_key.encode(), secret_key.encode()
                ):
                    raise IdentityConflict(
                        f"access key {access_key!r} exists with a different user "
                        "or secret"
                    )
                if existing.enabled != enabled:
                    self._set_enabled_locked(existing, user, enabled)
                    existing = dataclasses.replace(existing, enabled=enabled)
                return existing, False
            key = AccessKey(
                access_key=access_key,
                user_id=user.user_id,
                enabled=enabled,
                created_at=time.time(),
                secret_key=secret_key,
            )
            self._db.execute(
                "INSERT INTO access_keys (access_key, secret_key, user_id, enabled,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (
                    access_key,
                    self._stored_secret(access_key, secret_key),
                    user.user_id,
                    int(enabled),
                    key.created_at,
                ),
            )
            if enabled:
                self._keys[access_key] = (
                    _Secret(secret_key),
                    self._principal(user, access_key),
                )
        LOG.info("created access key %s for user %s", access_key, user_name)
        return key, True

    def list_access_keys(self, user_name: str) -> list[AccessKey]:
        user = self.get_user(user_name)
        with self._lock:
            rows = self._db.execute(
                "SELECT access_key, user_id, enabled, created_at FROM access_keys"
                " WHERE user_id = ? ORDER BY created_at, access_key",
                (user.user_id,),
            ).fetchall()
        return [AccessKey(ak, uid, bool(en), ts) for ak, uid, en, ts in rows]

    def get_access_key(self, user_name: str, access_key: str) -> AccessKey:
        user = self.get_user(user_name)
        with self._lock:
            key = self._key_row(access_key)
        if key is None or key.user_id != user.user_id:
            raise IdentityNotFound(
                f"access key {access_key!r} of user {user_name!r} does not exist"
            )
        return dataclasses.replace(key, secret_key="")

    def set_access_key_enabled(
        self, user_name: str, access_key: str, enabled: bool
    ) -> AccessKey:
        user = self.get_user(user_name)
        with self._lock:
            key = self._key_row(access_key)
            if key is None or key.user_id != user.user_id:
                raise IdentityNotFound(
                    f"access key {access_key!r} of user {user_name!r} does not exist"
                )
            if key.enabled != enabled:
                self._set_enabled_locked(key, user, enabled)
        LOG.info("%s access key %s", "enabled" if enabled else "disabled", access_key)
        return dataclasses.replace(key, enabled=enabled, secret_key="")

    def delete_access_key(self, user_name: str, access_key: str) -> bool:
        user = self.get_user(user_name)
        with self._lock:
            key = self._key_row(access_key)
            if key is None or key.user_id != user.user_id:
                return False
            self._db.execute(
                "DELETE FROM access_keys WHERE access_key = ?", (access_key,)
            )
            self._keys.pop(access_key, None)
        LOG.info("deleted access key %s of user %s", access_key, user_name)
        return True

    # -- identity policies and attachments -------------------------------

    def identity_policies(
        self, principal: Principal | None
    ) -> list[policy_lang.Policy]:
        """The compiled policies attached to a principal; never touches the disk."""
        if principal is None or principal.is_root:
            return []
        names = self._attached.get(principal.user_id, frozenset())
        return [self._policies[n] for n in sorted(names) if n in self._policies]

    def put_policy(self, name: str, document: str) -> tuple[PolicyDoc, bool]:
        """Create or replace a policy; ``(policy, changed)``.

        Replacing takes effect for every attached user at once (IAM keeps
        versions; the control plane keeps one document per policy).
        """
        self._check_policy_name(name)
        try:
            compiled = policy_lang.parse_policy(document, kind="identity")
        except errors.S3Error as exc:
            raise InvalidIdentityInput(
                f"invalid policy document: {exc.message}"
            ) from None
        with self._lock:
            row = self._db.execute(
                "SELECT document, created_at FROM policies WHERE name = ?", (name,)
            ).fetchone()
            if row is not None and row[0] == document:
                return PolicyDoc(name, document, row[1]), False
            created_at = row[1] if row else time.time()
            self._db.execute(
                "INSERT INTO policies (name, document, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET document = excluded.document",
                (name, document, created_at),
            )
            self._policies[name] = compiled
        LOG.info("%s policy %s", "replaced" if row else "created", name)
        return PolicyDoc(name, document, created_at), True

    def get_policy(self, name: str) -> PolicyDoc:
        self._check_policy_name(name)
        with self._lock:
            row = self._db.execute(
                "SELECT name, document, created_at FROM policies WHERE name = ?",
                (name,),
            ).fetchone()
        if row is None:
            raise IdentityNotFound(f"policy {name!r} does not exist")
        return PolicyDoc(*row)

    def list_policies(self) -> list[PolicyDoc]:
        with self._lock:
            rows = self._db.execute(
                "SELECT name, document, created_at FROM policies ORDER BY name"
            ).fetchall()
        return [PolicyDoc(*row) for row in rows]

    def delete_policy(self, name: str) -> bool:
        """False if there was no such policy; IdentityConflict while attached."""
        self._check_policy_name(name)
        with self._lock:
            if not self._db.execute(
                "SELECT 1 FROM policies WHERE name = ?", (name,)
            ).fetchone():
                return False
            users = self._db.execute(
                "SELECT u.name FROM attachments a JOIN users u USING (user_id)"
                " WHERE a.policy_name = ? ORDER BY u.name",
                (name,),
            ).fetchall()
            if users:
                raise IdentityConflict(
                    f"policy {name!r} is attached to "
                    f"{', '.join(u for (u,) in users)}; detach it first"
                )
            self._db.execute("DELETE FROM policies WHERE name = ?", (name,))
            self._policies.pop(name, None)
        LOG.info("deleted policy %s", name)
        return True

    def attach_policy(self, user_name: str, policy_name: str) -> bool:
        """Attach a policy to a user; False if it already was."""
        self._check_policy_name(policy_name)
        user = self.get_user(user_name)
        with self._lock:
            if policy_name not in self._policies:
                raise IdentityNotFound(f"policy {policy_name!r} does not exist")
            names = self._attached.get(user.user_id, frozenset())
            if policy_name in names:
                return False
            self._db.execute(
                "INSERT OR IGNORE INTO attachments (user_id, policy_name)"
                " VALUES (?, ?)",
                (user.user_id, policy_name),
            )
            self._attached[user.user_id] = names | {policy_name}
        LOG.info("attached policy %s to user %s", policy_name, user_name)
        return True

    def detach_policy(self, user_name: str, policy_name: str) -> bool:
        """Detach a policy from a user; False if it was not attached."""
        self._check_policy_name(policy_name)
        user = self.get_user(user_name)
        with self._lock:
            names = self._attached.get(user.user_id, frozenset())
            if policy_name not in names:
                return False
            self._db.execute(
                "DELETE FROM attachments WHERE user_id = ? AND policy_name = ?",
                (user.user_id, policy_name),
            )
            self._attached[user.user_id] = names - {policy_name}
        LOG.info("detached policy %s from user %s", policy_name, user_name)
        return True

    def list_attachments(self) -> list[tuple[str, str]]:
        """Every (user name, policy name) pair, sorted."""
        with self._lock:
            rows = self._db.execute(
                "SELECT u.name, a.policy_name FROM attachments a"
                " JOIN users u USING (user_id) ORDER BY u.name, a.policy_name"
            ).fetchall()
        return [(u, p) for u, p in rows]

    def list_all_access_keys(self) -> list[tuple[str, AccessKey]]:
        """Every access key with its user's name (no secrets), sorted."""
        with self._lock:
            rows = self._db.execute(
                "SELECT u.name, k.access_key, k.user_id, k.enabled, k.created_at"
                " FROM access_keys k JOIN users u USING (user_id)"
                " ORDER BY u.name, k.access_key"
            ).fetchall()
        return [
            (name, AccessKey(ak, uid, bool(en), ts)) for name, ak, uid, en, ts in rows
        ]

    @staticmethod
    def _check_policy_name(name: str) -> None:
        if not isinstance(name, str) or not _POLICY_NAME_RE.match(name):
            raise InvalidIdentityInput(
                "policy name must be 1-128 characters of letters, digits or '+=,.@_-'"
            )

    def _reload_policies(self) -> None:
        with self._lock:
            policies = {}
            for name, document in self._db.execute(
                "SELECT name, document FROM policies"
            ):
                try:
                    policies[name] = policy_lang.parse_policy(document, kind="identity")
                except errors.S3Error as exc:
                    # Stored while valid; a stricter parser must not crash start.
                    LOG.error("stored policy %s no longer parses: %s", name, exc)
            attached: dict[str, set[str]] = {}
            for user_id, policy_name in self._db.execute(
                "SELECT user_id, policy_name FROM attachments"
            ):
                attached.setdefault(user_id, set()).add(policy_name)
            self._policies = policies
            self._attached = {u: frozenset(n) for u, n in attached.items()}

    # -- internals --------------------------------------------------------

    @staticmethod
    def _check_user_name(name: str) -> None:
        if not isinstance(name, str) or not _USER_NAME_RE.match(name):
            raise InvalidIdentityInput(
                "user name must be 1-64 characters of letters, digits or '+=,.@_-'"
            )
        if name == ROOT_USER_NAME:
            raise InvalidIdentityInput("the name 'root' is reserved")

    def _root_user_id(self) -> str:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM meta WHERE name = 'root_user_id'"
            ).fetchone()
            if row:
                return row[0]
            uid = uuid.uuid4().hex
            self._db.execute(
                "INSERT INTO meta (name, value) VALUES ('root_user_id', ?)", (uid,)
            )
            return uid

    def _principal(self, user: User, access_key: str | None) -> Principal:
        return Principal(
            user_id=user.user_id,
            name=user.name,
            canonical_id=user.canonical_id,
            display_name=user.display_name,
            is_root=False,
            access_key=access_key,
            kind=user.kind,
        )

    def _migrate(self) -> None:
        """Additive schema changes to a store made by an older gateway."""
        with self._lock:
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(users)")}
            if "kind" not in columns:
                # Users made before kinds existed keep what they had: "account".
                self._db.execute(
                    "ALTER TABLE users ADD COLUMN kind TEXT NOT NULL"
                    f" DEFAULT '{KIND_ACCOUNT}'"
                )
                LOG.info("identity store: added the users.kind column")

    def _stored_secret(self, access_key: str, secret: str) -> str:
        if self._sealer is None:
            return secret
        return self._sealer.seal(access_key, secret)

    def _open_secret(self, access_key: str, stored: str) -> str:
        if self._sealer is None:
            if stored.startswith(secret_seal.PREFIX):
                raise secret_seal.SecretSealError(
                    f"the secret of access key {access_key} is sealed and "
                    "this store has no secrets key"
                )
            return stored
        return self._sealer.open(access_key, stored)

    def _seal_plaintext_secrets(self) -> None:
        """Seal the secrets a gateway without sealing stored in plaintext."""
        if self._sealer is None:
            return
        with self._lock:
            rows = self._db.execute(
                "SELECT access_key, secret_key FROM access_keys"
                " WHERE secret_key NOT LIKE ?",
                (secret_seal.PREFIX + "%",),
            ).fetchall()
            if not rows:
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for ak, secret in rows:
                    self._db.execute(
                        "UPDATE access_keys SET secret_key = ? WHERE access_key = ?",
                        (self._sealer.seal(ak, secret), ak),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            # The plaintext may linger in free pages and the WAL: overwrite
            # them (secure_delete) and fold the WAL into the database.
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        LOG.info(
            "identity store: sealed %d plaintext secret(s) with the secrets key %s",
            len(rows),
            self._sealer.fingerprint,
        )

    def _set_kind_locked(self, user: User, kind: str) -> User:
        self._db.execute(
            "UPDATE users SET kind = ? WHERE user_id = ?", (kind, user.user_id)
        )
        user = dataclasses.replace(user, kind=kind)
        # Signed requests see the new kind at once: every cached principal of
        # this user is rebuilt.
        for key, (secret, principal) in list(self._keys.items()):
            if principal.user_id == user.user_id:
                self._keys[key] = (secret, self._principal(user, key))
        self._by_canonical[user.canonical_id] = self._principal(user, None)
        LOG.info("user %s is now of kind %s", user.name, kind)
        return user

    def _user_row(
        self, *, name: str | None = None, user_id: str | None = None
    ) -> User | None:
        column, value = ("name", name) if name is not None else ("user_id", user_id)
        row = self._db.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE {column} = ?",
            (value,),
        ).fetchone()
        return _user_of(row) if row else None

    def _key_row(self, access_key: str) -> AccessKey | None:
        row = self._db.execute(
            "SELECT access_key, user_id, enabled, created_at, secret_key"
            " FROM access_keys WHERE access_key = ?",
            (access_key,),
        ).fetchone()
        if not row:
            return None
        ak, uid, en, ts, stored = row
        try:
            secret = self._open_secret(ak, stored)
        except secret_seal.SecretSealError:
            secret = ""  # unreadable here: never a valid secret (8+ characters)
        return AccessKey(ak, uid, bool(en), ts, secret_key=secret)

    def _set_enabled_locked(self, key: AccessKey, user: User, enabled: bool) -> None:
        self._db.execute(
            "UPDATE access_keys SET enabled = ? WHERE access_key = ?",
            (int(enabled), key.access_key),
        )
        if enabled and key.secret_key:  # an unreadable secret never signs
            self._keys[key.access_key] = (
                _Secret(key.secret_key),
                self._principal(user, key.access_key),
            )
        else:
            self._keys.pop(key.access_key, None)

    def _reload(self) -> None:
        with self._lock:
            users = {
                row[0]: _user_of(row)
                for row in self._db.execute(f"SELECT {_USER_COLUMNS} FROM users")
            }
            keys: dict[str, tuple[str, Principal]] = {}
            for ak, stored, uid in self._db.execute(
                "SELECT access_key, secret_key, user_id FROM access_keys"
                " WHERE enabled = 1"
            ):
                try:
                    secret = self._open_secret(ak, stored)
                except secret_seal.SecretSealError as exc:
                    # The key cannot sign anything here; the others still can.
                    LOG.error("identity store: %s: key not loaded", exc)
                    continue
                keys[ak] = (_Secret(secret), self._principal(users[uid], ak))
            self._keys = keys
            self._by_canonical = {
                u.canonical_id: self._principal(u, None) for u in users.values()
            }
