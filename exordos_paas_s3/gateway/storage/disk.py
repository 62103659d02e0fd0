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
"""A full data disk: recognising it, and the reserve that keeps deletes working.

A delete on a full disk still needs a few pages of WAL to commit, so the
data directory holds ``reserve``, a preallocated file of ``Reserve.size``
bytes. When an index commit that must succeed (a delete, an abort) finds
the disk full, the writer releases the reserve and retries it; from then on
the node counts as full and refuses writes before reading their bodies,
until enough space is free again (deletes freed it, or the operator did) to
preallocate the reserve anew. See docs/decisions/0015-disk-full.md.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import sqlite3

LOG = logging.getLogger(__name__)

RESERVE_FILE = "reserve"
DEFAULT_RESERVE = 8 << 20
# Less free than this is reported as full even while the reserve is held
# (writes then fail as they find no room).
FULL_BELOW = 1 << 20
_FULL_ERRNOS = frozenset((errno.ENOSPC, errno.EDQUOT))


def is_full(exc: BaseException) -> bool:
    """True for the errors a full disk (or quota) raises: ENOSPC/EDQUOT from
    the OS, SQLITE_FULL from the index."""
    if isinstance(exc, OSError):
        return exc.errno in _FULL_ERRNOS
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is not None and code & 0xFF == sqlite3.SQLITE_FULL
    return False


@dataclasses.dataclass
class DiskState:
    """What readiness checks and /health report about the data disk."""

    free_bytes: int
    total_bytes: int
    reserve_bytes: int
    full: bool

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def free_bytes(path: str) -> tuple[int, int]:
    """(bytes free to unprivileged writers, total bytes) of path's file system."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize


class Reserve:
    """The preallocated reserve file of a data directory.

    ``held`` is read from any thread (a plain attribute); only the index
    writer thread (and start, before it runs) acquires and releases."""

    def __init__(self, root: str, size: int = DEFAULT_RESERVE) -> None:
        self.root = root
        self.path = os.path.join(root, RESERVE_FILE)
        self.size = size
        self.held = size <= 0
        self._released = False

    def adopt(self) -> None:
        """At start: a reserve file left by the previous run is held."""
        if self.size <= 0:
            return
        try:
            self.held = os.stat(self.path).st_blocks * 512 >= self.size
        except FileNotFoundError:
            self.held = False

    def acquire(self) -> bool:
        """Preallocate the reserve when the disk has room for it and as much
        again (so one write does not fill it at once); True when held."""
        if self.held:
            return True
        free, _total = free_bytes(self.root)
        if free < 2 * self.size:
            return False
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.posix_fallocate(fd, 0, self.size)
        except OSError as exc:
            os.close(fd)
            _unlink(self.path)
            if is_full(exc):
                return False
            raise
        os.close(fd)
        self.held = True
        if self._released:
            LOG.warning("Disk space is back: the reserve is held, writes accepted")
        return True

    def release(self) -> bool:
        """Free the reserve's space; True when it was held."""
        if self.size <= 0 or not self.held:
            return False
        _unlink(self.path)
        self.held = False
        self._released = True
        LOG.warning(
            "The data disk is full: reserve released for deletes; writes are "
            "refused until %d bytes are free",
            2 * self.size,
        )
        return True

    def state(self) -> DiskState:
        free, total = free_bytes(self.root)
        return DiskState(
            free_bytes=free,
            total_bytes=total,
            reserve_bytes=self.size if self.held and self.size > 0 else 0,
            full=not self.held or free < FULL_BELOW,
        )


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
