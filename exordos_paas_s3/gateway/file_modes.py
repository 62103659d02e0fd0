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
"""The gateway's files are its own: 0600 files, 0700 directories.

The process runs with umask 077, so everything it creates is private
whatever the caller's umask. What existed before (a data directory made
0755 by hand or by an older gateway, its 0644 databases and object files)
is tightened once at start by ``tighten``. The object tree can hold
millions of files: after one complete pass a marker file records it, and
later starts only walk the top of the data directory.
"""

from __future__ import annotations

import logging
import os
import stat

LOG = logging.getLogger(__name__)

UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700
# Present once every file below the data directory was tightened.
MARKER = ".modes-tightened"
# Subdirectories walked on every start only until the marker exists.
_LARGE = frozenset(("objects",))


def _fix(path: str, st: os.stat_result) -> int:
    if stat.S_ISDIR(st.st_mode):
        want = DIR_MODE
    elif stat.S_ISREG(st.st_mode):
        want = FILE_MODE
    else:
        return 0  # symlinks, sockets: left alone
    if stat.S_IMODE(st.st_mode) == want:
        return 0
    os.chmod(path, want)
    return 1


def _walk(top: str) -> int:
    changed = 0
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(root, name)
            try:
                changed += _fix(path, os.lstat(path))
            except FileNotFoundError:
                pass
    return changed


def tighten(data_dir: str) -> int:
    """chmod the data directory and what it holds; the number changed."""
    changed = _fix(data_dir, os.lstat(data_dir))
    marker = os.path.join(data_dir, MARKER)
    done_before = os.path.exists(marker)
    for entry in os.scandir(data_dir):
        try:
            changed += _fix(entry.path, entry.stat(follow_symlinks=False))
        except FileNotFoundError:
            continue
        if entry.is_dir(follow_symlinks=False):
            if entry.name in _LARGE and done_before:
                continue
            changed += _walk(entry.path)
    if not done_before:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT, FILE_MODE)
        os.close(fd)
    if changed:
        LOG.warning(
            "data directory %s: %d file(s) and directories were readable by "
            "others: now 0600/0700",
            data_dir,
            changed,
        )
    return changed
