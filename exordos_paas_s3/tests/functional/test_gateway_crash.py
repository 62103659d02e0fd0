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
"""kill -9 the real gateway process during a stream of PUTs, overwrites and
deletes from several client threads; after a restart every acknowledged
write reads back byte-identical and nothing half-written is listed."""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time

import boto3
import pytest
from botocore.config import Config

from exordos_paas_s3.tests.functional.conftest import new_gateway

pytestmark = [pytest.mark.functional, pytest.mark.slow]

ABSENT = "absent"
THREADS = 4
KEYS_PER_THREAD = 8
ROUNDS = 3


def _client(gw):
    return boto3.client(
        "s3",
        endpoint_url=gw.endpoint,
        aws_access_key_id=gw.access_key,
        aws_secret_access_key=gw.secret_key,
        region_name=gw.region,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=2,
            read_timeout=10,
        ),
    )


class Ledger:
    """Per key: the values a correct store may show after a crash.

    After an acknowledged write only that value is allowed; a write that was
    in flight at the crash may or may not have landed, so it adds to the set.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.allowed: dict[str, set[str]] = {}
        self.acked: dict[str, str] = {}

    def begin(self, key: str, value: str) -> None:
        with self.lock:
            self.allowed.setdefault(key, {ABSENT}).add(value)

    def ack(self, key: str, value: str) -> None:
        with self.lock:
            self.allowed[key] = {value}
            self.acked[key] = value


def _writer(gw, bucket: str, ledger: Ledger, worker: int, stop: threading.Event):
    client = _client(gw)
    rng = random.Random(worker)
    keys = [f"w{worker}/k{i}" for i in range(KEYS_PER_THREAD)]
    seq = 0
    while not stop.is_set():
        key = rng.choice(keys)
        seq += 1
        if rng.random() < 0.1:
            ledger.begin(key, ABSENT)
            try:
                client.delete_object(Bucket=bucket, Key=key)
            except Exception:  # noqa: BLE001 - the server was killed
                return
            ledger.ack(key, ABSENT)
            continue
        size = rng.choice((0, 100, 5000, 70_000, 300_000))
        body = (f"{key}:{seq}:".encode() + os.urandom(size))[: max(size, 1)]
        digest = hashlib.md5(body).hexdigest()
        ledger.begin(key, digest)
        try:
            client.put_object(Bucket=bucket, Key=key, Body=body)
        except Exception:  # noqa: BLE001 - the server was killed
            return
        ledger.ack(key, digest)


def _verify(gw, bucket: str, ledger: Ledger) -> int:
    client = _client(gw)
    listed = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            listed[obj["Key"]] = obj
    checked = 0
    for key, allowed in ledger.allowed.items():
        if key not in listed:
            assert ABSENT in allowed, f"{key}: acknowledged write lost"
            continue
        got = client.get_object(Bucket=bucket, Key=key)
        data = got["Body"].read()
        digest = hashlib.md5(data).hexdigest()
        assert digest in allowed, f"{key}: content is none of the written values"
        assert len(data) == listed[key]["Size"], f"{key}: listed size differs"
        assert listed[key]["ETag"].strip('"') == digest, f"{key}: torn ETag"
        checked += 1
    assert set(listed) <= set(ledger.allowed), "unknown keys listed"
    return checked


def test_kill_9_during_puts_loses_no_acknowledged_write(tmp_path):
    gw = new_gateway(str(tmp_path))
    gw.start()
    bucket = "crash-test"
    _client(gw).create_bucket(Bucket=bucket)
    ledger = Ledger()
    try:
        for round_no in range(ROUNDS):
            stop = threading.Event()
            threads = [
                threading.Thread(
                    target=_writer, args=(gw, bucket, ledger, round_no * 10 + w, stop)
                )
                for w in range(THREADS)
            ]
            for t in threads:
                t.start()
            time.sleep(random.uniform(0.8, 1.6))
            gw.kill()
            stop.set()
            for t in threads:
                t.join(timeout=30)
            assert ledger.acked, "no write was acknowledged before the kill"
            gw.start()
            checked = _verify(gw, bucket, ledger)
            assert checked > 0
    finally:
        gw.stop()
