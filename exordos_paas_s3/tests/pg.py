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
"""A real PostgreSQL for the tests of the PostgreSQL index.

The server is ``$EXORDOS_TEST_PG`` (a libpq URL of a user that may create
databases; default postgresql://postgres@127.0.0.1:5432/postgres, as CI
and the developers' machines run it). Each user of it gets a database of
its own, dropped afterwards. Without a reachable server the tests that need
one skip and say so.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import socket
import threading
from collections.abc import Callable
from urllib import parse as urlparse

import psycopg
import pytest

DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


def server() -> str:
    return os.environ.get("EXORDOS_TEST_PG", DEFAULT)


@functools.cache
def _reachable() -> bool:
    try:
        with psycopg.connect(server(), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def require() -> None:
    if not _reachable():
        pytest.skip(
            "no PostgreSQL at $EXORDOS_TEST_PG (default "
            f"{DEFAULT}): start one to run the PostgreSQL index tests"
        )


def name_for(seed: str) -> str:
    return "s3idx_" + hashlib.sha256(seed.encode()).hexdigest()[:20]


def url_for(seed: str) -> str:
    """The URL of the database of ``seed`` (see ``database_for``)."""
    parts = urlparse.urlsplit(server())
    return urlparse.urlunsplit(parts._replace(path="/" + name_for(seed)))


def database_for(seed: str) -> Callable[[], None]:
    """Create the database of ``seed`` (skips without PostgreSQL); answers
    the function that drops it."""
    require()
    name = name_for(seed)
    with psycopg.connect(server(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")

    def drop() -> None:
        with psycopg.connect(server(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return drop


class Relay:
    """A TCP relay to PostgreSQL that the test can cut: closing it drops
    every connection and refuses new ones, as a lost database server does.
    It also counts round trips: ``flights`` grows each time a client sends
    after the server last answered it."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._server = socket.socket()
        self._socks: list[socket.socket] = []
        self._open = False
        self._lock = threading.Lock()
        self.flights = 0

    def start(self) -> None:
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", self.port))
        self._server.listen(64)
        self._open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            with self._lock:
                if not self._open:  # cut meanwhile
                    client.close()
                    upstream.close()
                    return
                self._socks += [client, upstream]
            turn = {"client": True}
            for src, dst, ask in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(
                    target=self._pipe, args=(src, dst, ask, turn), daemon=True
                ).start()

    def _pipe(
        self, src: socket.socket, dst: socket.socket, ask: bool, turn: dict
    ) -> None:
        try:
            while data := src.recv(65536):
                if ask and turn["client"]:
                    self.flights += 1
                turn["client"] = not ask
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self._lock:
            self._open = False
            self._server.close()
            for s in self._socks:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._socks.clear()


def through(relay: Relay, url: str) -> str:
    """``url`` with its host and port replaced by the relay's."""
    parts = urlparse.urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return urlparse.urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{relay.port}"))


def relay() -> Relay:
    """A started relay to the test server (see ``Relay``)."""
    parts = urlparse.urlsplit(server())
    found = Relay(parts.hostname or "127.0.0.1", parts.port or 5432)
    found.start()
    return found
