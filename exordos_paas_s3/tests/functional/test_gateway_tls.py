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
"""TLS on the S3 listener (issue 13): a real gateway with the certificate the
image makes at first boot (exordos/images/tls-cert.sh), boto3 verifying it,
SSE-C from a non-loopback client, plain HTTP refused cleanly, and the
certificate's fingerprint where the driver reads it."""

import base64
import hashlib
import os
import pathlib
import shutil
import signal
import socket
import ssl
import subprocess
import time

import boto3
import pytest
import requests
from botocore import exceptions as boto_exc
from botocore.config import Config

from exordos_paas_s3.tests.functional.conftest import new_gateway

pytestmark = pytest.mark.functional

ROOT = pathlib.Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "exordos" / "images" / "tls-cert.sh"


def _own_address() -> str | None:
    """A non-loopback IPv4 address of this machine: a client connecting to
    it is not a loopback peer, as a remote client is not."""
    try:
        out = subprocess.run(
            ["hostname", "-I"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for address in out.split():
        if "." in address and not address.startswith("127."):
            return address
    return None


ADDRESS = _own_address()
needs_address = pytest.mark.skipif(ADDRESS is None, reason="no non-loopback IPv4")
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")


def _make_cert(tls_dir: pathlib.Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "TLS_DIR": str(tls_dir),
        "TLS_OWNER": str(os.getuid()),
        "TLS_HOSTNAME": "s3-node.test",
    }
    return subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, check=True
    )


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("no openssl")
    tls_dir = tmp_path_factory.mktemp("tls") / "tls"
    made = _make_cert(tls_dir)
    assert "made a self-signed certificate" in made.stderr
    return tls_dir / "cert.pem", tls_dir / "key.pem", made.stderr


@pytest.fixture(scope="module")
def gw(tmp_path_factory, cert):
    if ADDRESS is None:
        pytest.skip("no non-loopback IPv4")
    gateway = new_gateway(str(tmp_path_factory.mktemp("tlsgw")))
    gateway.tls = (str(cert[0]), str(cert[1]))
    gateway.host = ADDRESS
    gateway.start()
    yield gateway
    assert gateway.stop() == 0, gateway.log()


def _client(gw, verify):
    return boto3.client(
        "s3",
        endpoint_url=gw.endpoint,
        aws_access_key_id=gw.access_key,
        aws_secret_access_key=gw.secret_key,
        region_name=gw.region,
        verify=verify,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
        ),
    )


def _sse_c():
    key = os.urandom(32)
    return {
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": key,
    }, base64.b64encode(hashlib.md5(key).digest()).decode()


@needs_openssl
def test_the_image_script_makes_a_private_certificate_once(cert, tmp_path):
    cert_file, key_file, _ = cert
    assert os.stat(key_file).st_mode & 0o077 == 0
    assert os.stat(cert_file.parent).st_mode & 0o777 == 0o700
    text = subprocess.run(
        ["openssl", "x509", "-in", str(cert_file), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DNS:s3-node.test" in text and "IP Address:127.0.0.1" in text
    if ADDRESS:
        assert f"IP Address:{ADDRESS}" in text
    # Another boot: the certificate stays what it was.
    before = cert_file.read_bytes()
    again = _make_cert(cert_file.parent)
    assert "certificate present" in again.stderr
    assert cert_file.read_bytes() == before


@needs_address
def test_boto3_verifies_the_certificate_and_puts_and_gets(gw, cert):
    s3 = _client(gw, str(cert[0]))
    s3.create_bucket(Bucket="tls")
    s3.put_object(Bucket="tls", Key="small", Body=b"over tls")
    assert s3.get_object(Bucket="tls", Key="small")["Body"].read() == b"over tls"
    big = os.urandom(3 * 1024 * 1024)  # above the zero-copy threshold
    s3.put_object(Bucket="tls", Key="big", Body=big)
    assert s3.get_object(Bucket="tls", Key="big")["Body"].read() == big
    got = s3.get_object(Bucket="tls", Key="big", Range="bytes=1000-2999")
    assert got["Body"].read() == big[1000:3000]
    # Without the CA the client refuses the self-signed certificate.
    with pytest.raises(boto_exc.SSLError):
        _client(gw, True).list_buckets()


@needs_address
def test_sse_c_works_from_a_remote_client_over_tls(gw, cert):
    s3 = _client(gw, str(cert[0]))
    s3.create_bucket(Bucket="tls-ssec")
    params, key_md5 = _sse_c()
    s3.put_object(Bucket="tls-ssec", Key="secret", Body=b"customer key", **params)
    got = s3.get_object(Bucket="tls-ssec", Key="secret", **params)
    assert got["Body"].read() == b"customer key"
    assert got["SSECustomerKeyMD5"] == key_md5


@needs_address
def test_sse_c_is_refused_on_plain_http_from_the_same_client(tmp_path):
    # The control for the test above: the peer address is not loopback, so
    # without TLS the key is refused as AWS refuses it.
    gateway = new_gateway(str(tmp_path))
    gateway.host = ADDRESS
    gateway.start()
    try:
        s3 = _client(gateway, False)
        s3.create_bucket(Bucket="plain-ssec")
        params, _ = _sse_c()
        with pytest.raises(boto_exc.ClientError) as err:
            s3.put_object(Bucket="plain-ssec", Key="k", Body=b"x", **params)
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    finally:
        gateway.stop()


@needs_address
def test_plain_http_to_the_tls_port_fails_cleanly(gw, cert):
    with pytest.raises(requests.ConnectionError):
        requests.get(gw.endpoint.replace("https://", "http://") + "/health", timeout=10)
    # A raw request line gets no HTTP answer: the connection just ends.
    with socket.create_connection((gw.host, gw.port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    assert not data.startswith(b"HTTP/")
    # The gateway serves on, over TLS, and logged no traceback.
    got = requests.get(gw.endpoint + "/health", verify=str(cert[0]), timeout=10)
    assert got.json()["status"] == "ok"
    assert "Traceback" not in gw.log()


@needs_address
def test_the_fingerprint_is_reported_for_pinning(gw, cert):
    expected = cert[2].rsplit("SHA-256 ", 1)[1].strip()
    ready = requests.get(
        f"{gw.admin_endpoint}/v1/ready",
        auth=(gw.access_key, gw.secret_key),
        timeout=10,
    ).json()
    assert ready["tls_fingerprint"] == expected
    der = subprocess.run(
        ["openssl", "x509", "-in", str(cert[0]), "-outform", "DER"],
        capture_output=True,
        check=True,
    ).stdout
    assert expected.replace(":", "") == hashlib.sha256(der).hexdigest().upper()


@needs_address
def test_sigterm_with_an_idle_tls_connection_stops_at_once(tmp_path, cert):
    # A client idling in its pool never answers the TLS close_notify: the
    # graceful stop must not wait the TLS shutdown timeout (30 s) for it.
    gateway = new_gateway(str(tmp_path))
    gateway.tls = (str(cert[0]), str(cert[1]))
    gateway.host = ADDRESS
    gateway.start()
    try:
        context = ssl.create_default_context(cafile=str(cert[0]))
        raw = socket.create_connection((gateway.host, gateway.port), timeout=10)
        conn = context.wrap_socket(raw, server_hostname=gateway.host)
        conn.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        gateway.proc.send_signal(signal.SIGTERM)
        assert gateway.proc.wait(timeout=25) == 0, gateway.log()
        assert time.monotonic() - started < 10
        conn.close()
    finally:
        gateway.stop()
