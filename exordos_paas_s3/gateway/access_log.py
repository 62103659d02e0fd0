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
"""The S3 access log: one JSON object per request, one per line.

Fields (docs/operations.md, "Access log"): ``time`` (UTC, when the response
was complete), ``request_id`` (the response's ``x-amz-request-id``),
``access_key`` and ``user`` (the principal; never a secret, never the
Authorization header), ``operation``, ``bucket``, ``key``, ``status``,
``error`` (the S3 error code, or null), ``bytes_in``, ``bytes_out``,
``duration_ms``, ``client``, ``user_agent``.

Written to a file (``--access-log FILE``, reopened on SIGHUP for logrotate)
or to standard output (``--access-log -``: journald on a node). Lines are
appended to one buffer and written together at most ``FLUSH_SECONDS``
after the first of them (or once ``FLUSH_BYTES`` are pending): a write per
request would cost more than the line's formatting (bench/app_probe.py
--access-log). The buffer is a bytearray, not a list of lines: orjson's
output objects, kept alive by the hundred, cost ten times their making in
the allocator. A crash loses at most that second of log, never a stored
object.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import typing

import orjson

LOG = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0
FLUSH_BYTES = 256 * 1024
STDOUT = "-"
# ".000Z" ... ".999Z": the milliseconds of a timestamp without formatting.
_MILLIS = tuple(".%03dZ" % ms for ms in range(1000))


class AccessLog:
    """A line-oriented JSON writer with deferred flushes and reopen."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._file: typing.BinaryIO = self._open()
        self._pending = bytearray()
        # time() -> "YYYY-MM-DDTHH:MM:SS" is cached per second.
        self._second = -1
        self._second_text = ""

    def _open(self) -> typing.BinaryIO:
        if self.target == STDOUT:
            return sys.stdout.buffer
        fd = os.open(self.target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "ab")

    def _timestamp(self, now: float) -> str:
        second = int(now)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return self._second_text + _MILLIS[int((now - second) * 1000.0)]

    def write(
        self,
        request_id: str,
        principal: typing.Any,
        operation: str | None,
        bucket: str | None,
        key: str | None,
        status: int,
        error: str | None,
        bytes_in: int,
        bytes_out: int,
        seconds: float,
        client: str | None,
        user_agent: str | None,
    ) -> None:
        line = orjson.dumps(
            {
                "time": self._timestamp(time.time()),
                "request_id": request_id,
                "access_key": principal.access_key if principal is not None else None,
                "user": principal.name if principal is not None else None,
                "operation": operation,
                "bucket": bucket or None,
                "key": key or None,
                "status": status,
                "error": error,
                "bytes_in": bytes_in,
                "bytes_out": bytes_out,
                # Whole microseconds: round() costs four times as much.
                "duration_ms": int(seconds * 1e6) / 1000.0,
                "client": client,
                "user_agent": user_agent,
            },
            option=orjson.OPT_APPEND_NEWLINE,
        )
        pending = self._pending
        first = not pending
        pending += line
        if first:
            try:
                asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
            except RuntimeError:
                self.flush()
        elif len(pending) >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write the pending lines (a full disk or a closed stdout must not
        fail requests: the lines are dropped and that is logged)."""
        pending = self._pending
        if not pending:
            return
        try:
            self._file.write(pending)
            self._file.flush()
        except (OSError, ValueError) as exc:
            LOG.warning(
                "access log %s: %d bytes lost: %s", self.target, len(pending), exc
            )
        pending.clear()

    def reopen(self) -> None:
        """After logrotate moved the file (SIGHUP): write to a new one."""
        if self.target == STDOUT:
            return
        self.flush()
        old = self._file
        try:
            self._file = self._open()
        except OSError as exc:
            LOG.error("access log %s: reopen failed: %s", self.target, exc)
            return
        old.close()
        LOG.info("access log %s reopened", self.target)

    def close(self) -> None:
        self.flush()
        if self.target != STDOUT:
            self._file.close()
