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
"""SigV2 verification against AWS's published examples and botocore's signer.

The examples are facts carried over from the S3 document "Signing and
authenticating REST requests (AWS signature version 2)", section
"Authentication examples" (bucket awsexamplebucket1, key AKIAIOSFODNN7EXAMPLE).
"""

import email.utils
import urllib.parse

import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode

from exordos_paas_s3.gateway import errors
from exordos_paas_s3.gateway.auth import identities, sigv2, sigv4
from exordos_paas_s3.gateway.router import Router

KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOMAIN = "s3.us-west-1.amazonaws.com"
BUCKET_HOST = "awsexamplebucket1." + DOMAIN

# (name, method, Host, path as sent, query, headers, StringToSign, signature)
EXAMPLES = [
    (
        "object-get",
        "GET",
        BUCKET_HOST,
        "/photos/puppy.jpg",
        "",
        {"date": "Tue, 27 Mar 2007 19:36:42 +0000"},
        "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg",
        "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
    ),
    (
        "object-put",
        "PUT",
        BUCKET_HOST,
        "/photos/puppy.jpg",
        "",
        {
            "content-type": "image/jpeg",
            "content-length": "94328",
            "date": "Tue, 27 Mar 2007 21:15:45 +0000",
        },
        "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n"
        "/awsexamplebucket1/photos/puppy.jpg",
        "iqRzw+ileNPu1fhspnRs8nOjjIA=",
    ),
    (
        "list",
        "GET",
        BUCKET_HOST,
        "/",
        "prefix=photos&max-keys=50&marker=puppy",
        {"user-agent": "Mozilla/5.0", "date": "Tue, 27 Mar 2007 19:42:41 +0000"},
        "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/awsexamplebucket1/",
        "m0WP8eCtspQl5Ahe6L1SozdX9YA=",
    ),
    (
        "fetch-acl",
        "GET",
        BUCKET_HOST,
        "/",
        "acl",
        {"date": "Tue, 27 Mar 2007 19:44:46 +0000"},
        "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/awsexamplebucket1/?acl",
        "82ZHiFIjc+WbcwFKGUVEQspPn+0=",
    ),
    (
        "upload-cname",
        "PUT",
        "static.example.com",
        "/db-backup.dat.gz",
        "",
        {
            "user-agent": "curl/7.15.5",
            "date": "Tue, 27 Mar 2007 21:06:08 +0000",
            "x-amz-acl": "public-read",
            "content-type": "application/x-download",
            "content-md5": "4gJE4saaMU4BqNR0kLY+lw==",
            # Two X-Amz-Meta-ReviewedBy headers, joined as the server does.
            "x-amz-meta-reviewedby": "joe@example.com,jane@example.com",
            "x-amz-meta-filechecksum": "0x02661779",
            "x-amz-meta-checksumalgorithm": "crc32",
            "content-disposition": "attachment; filename=database.dat",
            "content-encoding": "gzip",
            "content-length": "5913339",
        },
        "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\n"
        "Tue, 27 Mar 2007 21:06:08 +0000\nx-amz-acl:public-read\n"
        "x-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n"
        "x-amz-meta-reviewedby:joe@example.com,jane@example.com\n"
        "/static.example.com/db-backup.dat.gz",
        "jtBQa0Aq+DkULFI8qrpwIjGEx0E=",
    ),
    (
        "list-all-buckets",
        "GET",
        DOMAIN,
        "/",
        "",
        {"date": "Wed, 28 Mar 2007 01:29:59 +0000"},
        "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
        "qGdzdERIC03wnaRNKh6OqZehG9s=",
    ),
]
# The unicode-keys example: the document shows the request line with mixed
# case escapes; its published signature is that of the upper-case form.
UNICODE_PATH = "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re"
UNICODE_SIGNATURE = "81VEw/Bc3GDt/k65Xrrk3AdfI4c="
UNICODE_DATE = "Wed, 28 Mar 2007 01:49:49 +0000"


def doc_time(date: str) -> float:
    return float(email.utils.mktime_tz(email.utils.parsedate_tz(date)))


def bucket_from_host(host: str) -> str:
    # The document's examples: awsexamplebucket1 is virtual-hosted on the
    # regional endpoint, static.example.com is a CNAME (the whole Host).
    bucket = Router([DOMAIN]).bucket_from_host(host)
    if bucket or host == DOMAIN:
        return bucket
    return host


@pytest.fixture()
def store():
    store = identities.IdentityStore(
        ":memory:", root_access_key=KEY, root_secret_key=SECRET
    )
    yield store
    store.close()


def authenticator(store, now, **kw):
    kw.setdefault("bucket_from_host", bucket_from_host)
    return sigv4.Authenticator(store, "us-east-1", clock=lambda: now, **kw)


def view(method, host, path, query, headers, authorization=None):
    headers = dict(headers, host=host)
    if authorization is not None:
        headers["authorization"] = authorization
    return sigv4.RequestView(method, path, query, headers)


# -- the published examples ---------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=[example[0] for example in EXAMPLES])
def test_string_to_sign_and_signature_match_the_aws_example(example):
    _, method, host, path, query, headers, expected_sts, signature = example
    resource = sigv2.canonical_resource(path, query, bucket_from_host(host))
    sts = sigv2.string_to_sign(method, headers, headers["date"], resource)
    assert sts == expected_sts
    assert sigv2.sign(SECRET, sts) == signature


@pytest.mark.parametrize("example", EXAMPLES, ids=[example[0] for example in EXAMPLES])
def test_aws_example_request_is_authenticated(store, example):
    _, method, host, path, query, headers, _, signature = example
    auth = authenticator(store, doc_time(headers["date"]) + 60)
    result = auth.authenticate(
        view(method, host, path, query, headers, f"AWS {KEY}:{signature}")
    )
    assert result.principal is store.root
    assert result.access_key == KEY
    assert result.payload_hash == sigv4.UNSIGNED_PAYLOAD
    assert not result.presigned


def test_unicode_example_is_authenticated(store):
    auth = authenticator(store, doc_time(UNICODE_DATE))
    headers = {"date": UNICODE_DATE}
    result = auth.authenticate(
        view("GET", DOMAIN, UNICODE_PATH, "", headers, f"AWS {KEY}:{UNICODE_SIGNATURE}")
    )
    assert result.principal is store.root


@pytest.mark.parametrize(
    "tamper",
    ["method", "path", "date", "content-type", "amz-header", "sub-resource", "host"],
)
def test_tampered_aws_example_is_rejected(store, tamper):
    _, method, host, path, query, headers, _, signature = EXAMPLES[4]
    headers = dict(headers)
    if tamper == "method":
        method = "POST"
    elif tamper == "path":
        path = "/db-backup.dat.gz2"
    elif tamper == "date":
        headers["date"] = "Tue, 27 Mar 2007 21:06:09 +0000"
    elif tamper == "content-type":
        headers["content-type"] = "text/plain"
    elif tamper == "amz-header":
        headers["x-amz-acl"] = "public-read-write"
    elif tamper == "sub-resource":
        query = "acl"
    elif tamper == "host":
        host = "other.example.com"
    auth = authenticator(store, doc_time("Tue, 27 Mar 2007 21:06:08 +0000"))
    with pytest.raises(errors.SignatureDoesNotMatch) as info:
        auth.authenticate(
            view(method, host, path, query, headers, f"AWS {KEY}:{signature}")
        )
    assert info.value.status == 403
    assert info.value.extra["SignatureProvided"] == signature


def test_unsigned_extra_headers_do_not_matter_but_signed_ones_do(store):
    _, method, host, path, query, headers, _, signature = EXAMPLES[0]
    auth = authenticator(store, doc_time(headers["date"]))
    extra = dict(headers, **{"user-agent": "x", "range": "bytes=0-1"})
    auth.authenticate(view(method, host, path, query, extra, f"AWS {KEY}:{signature}"))
    with pytest.raises(errors.SignatureDoesNotMatch):
        amz = dict(headers, **{"x-amz-meta-added": "1"})
        auth.authenticate(
            view(method, host, path, query, amz, f"AWS {KEY}:{signature}")
        )


# -- canonicalisation details ---------------------------------------------------


def test_sub_resources_are_sorted_and_decoded_and_other_params_dropped():
    query = "uploadId=abc%2Fdef&partNumber=2&x-id=UploadPart&prefix=p"
    assert (
        sigv2.canonical_resource("/b/k", query) == "/b/k?partNumber=2&uploadId=abc/def"
    )
    assert sigv2.canonical_resource("/b", "versioning&delete=") == (
        "/b?delete=&versioning"
    )
    assert sigv2.canonical_resource("/", "", "bucket") == "/bucket/"


def test_response_overrides_are_signed():
    query = "response-content-type=text%2Fplain&response-expires=x&foo=1"
    assert sigv2.canonical_resource("/b/k", query) == (
        "/b/k?response-content-type=text/plain&response-expires=x"
    )


def test_amz_headers_are_sorted_trimmed_and_unfolded():
    headers = {
        "x-amz-meta-b": "  two   words \r\n  folded ",
        "x-amz-acl": "private",
        "content-type": "x",
        "x-amz-meta-a": "1,2",
    }
    assert sigv2.canonical_amz_headers(headers) == (
        "x-amz-acl:private\nx-amz-meta-a:1,2\nx-amz-meta-b:two   words folded\n"
    )


# -- dates and skew -------------------------------------------------------------


def signed_view(date_headers, now_headers_date=None):
    headers = dict(date_headers)
    date = headers.get("date", "") if "x-amz-date" not in headers else ""
    resource = "/b/k"
    sts = sigv2.string_to_sign("GET", headers, date, resource)
    return view(
        "GET", DOMAIN, "/b/k", "", headers, f"AWS {KEY}:{sigv2.sign(SECRET, sts)}"
    )


NOW = doc_time("Tue, 27 Mar 2007 19:36:42 +0000")


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, errors.AccessDenied),
        ({"x-amz-date": ""}, errors.AccessDenied),
        ({"x-amz-date": "Bad Date"}, errors.AccessDenied),
        ({"x-amz-date": "Tue, 07 Jul 1950 21:53:04 GMT"}, errors.AccessDenied),
        ({"x-amz-date": "Tue, 27 Mar 2007 19:52:43 GMT"}, errors.RequestTimeTooSkewed),
        ({"x-amz-date": "Tue, 27 Mar 2007 19:20:41 GMT"}, errors.RequestTimeTooSkewed),
        ({"x-amz-date": "Tue, 07 Jul 9999 21:53:04 GMT"}, errors.RequestTimeTooSkewed),
        ({"date": "Tue, 07 Jul 2010 21:53:04 GMT"}, errors.RequestTimeTooSkewed),
    ],
)
def test_bad_or_skewed_dates_are_refused(store, headers, error):
    auth = authenticator(store, NOW)
    with pytest.raises(error) as info:
        auth.authenticate(signed_view(headers))
    assert info.value.status == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"date": "Tue, 27 Mar 2007 19:50:00 +0000"},  # 13 min 18 s ahead
        {"x-amz-date": "Tue, 27 Mar 2007 19:24:00 GMT"},  # 12 min 42 s behind
        {"x-amz-date": "20070327T193642Z"},
        # x-amz-date wins over a stale Date, which then is not signed.
        {"date": "Tue, 07 Jul 2010 21:53:04 GMT", "x-amz-date": "20070327T193642Z"},
    ],
)
def test_dates_within_fifteen_minutes_are_accepted(store, headers):
    auth = authenticator(store, NOW)
    assert auth.authenticate(signed_view(headers)).principal is store.root


# -- malformed headers and unknown keys -------------------------------------------


@pytest.mark.parametrize(
    "authorization", ["AWS HAHAHA", "AWS :sig", f"AWS {KEY}:", "AWS "]
)
def test_malformed_v2_authorization_is_invalid_argument(store, authorization):
    auth = authenticator(store, NOW)
    headers = {"date": "Tue, 27 Mar 2007 19:36:42 +0000"}
    with pytest.raises(errors.InvalidArgument) as info:
        auth.authenticate(view("GET", DOMAIN, "/", "", headers, authorization))
    assert info.value.status == 400


def test_unknown_access_key_is_refused(store):
    auth = authenticator(store, NOW)
    headers = {"date": "Tue, 27 Mar 2007 19:36:42 +0000"}
    with pytest.raises(errors.InvalidAccessKeyId):
        auth.authenticate(view("GET", DOMAIN, "/", "", headers, "AWS NOSUCHKEY:abc="))


# -- presigned (query string) ------------------------------------------------------


def presigned_query(path, expires, *, extra="", secret=SECRET):
    sts = f"GET\n\n\n{expires}\n{path}"
    signature = urllib.parse.quote(sigv2.sign(secret, sts), safe="")
    return f"AWSAccessKeyId={KEY}&Expires={expires}&Signature={signature}{extra}"


def test_presigned_url_is_authenticated_until_it_expires(store):
    query = presigned_query("/b/photos/puppy.jpg", 1175139620)
    ok = authenticator(store, 1175139619).authenticate(
        view("GET", DOMAIN, "/b/photos/puppy.jpg", query, {})
    )
    assert ok.principal is store.root and ok.presigned
    assert ok.payload_hash == sigv4.UNSIGNED_PAYLOAD
    for now in (1175139620, 1175139621):
        with pytest.raises(errors.AccessDenied, match="expired") as info:
            authenticator(store, now).authenticate(
                view("GET", DOMAIN, "/b/photos/puppy.jpg", query, {})
            )
        assert info.value.status == 403


def test_presigned_url_with_tampered_path_or_expiry_is_rejected(store):
    query = presigned_query("/b/k", 1175139620)
    auth = authenticator(store, 1175139000)
    with pytest.raises(errors.SignatureDoesNotMatch):
        auth.authenticate(view("GET", DOMAIN, "/b/other", query, {}))
    with pytest.raises(errors.SignatureDoesNotMatch):
        auth.authenticate(
            view("GET", DOMAIN, "/b/k", query.replace("1175139620", "1175139999"), {})
        )
    with pytest.raises(errors.SignatureDoesNotMatch):
        auth.authenticate(view("PUT", DOMAIN, "/b/k", query, {}))


@pytest.mark.parametrize(
    "query",
    [
        f"AWSAccessKeyId={KEY}&Signature=abc",
        f"AWSAccessKeyId={KEY}&Expires=&Signature=abc",
        f"AWSAccessKeyId={KEY}&Expires=soon&Signature=abc",
        "AWSAccessKeyId=&Expires=1175139620&Signature=abc",
    ],
)
def test_presigned_url_with_missing_or_bad_parameters_is_denied(store, query):
    auth = authenticator(store, 1175139000)
    with pytest.raises(errors.AccessDenied):
        auth.authenticate(view("GET", DOMAIN, "/b/k", query, {}))


def test_presigned_url_and_authorization_header_together_are_refused(store):
    query = presigned_query("/b/k", 1175139620)
    auth = authenticator(store, 1175139000)
    headers = {"date": "Tue, 27 Mar 2007 19:36:42 +0000"}
    with pytest.raises(errors.InvalidArgument):
        auth.authenticate(view("GET", DOMAIN, "/b/k", query, headers, "AWS a:b"))


def test_sigv2_can_be_disabled(store):
    auth = authenticator(store, NOW, allow_sigv2=False)
    _, method, host, path, query, headers, _, signature = EXAMPLES[0]
    with pytest.raises(errors.InvalidRequest, match="AWS4-HMAC-SHA256"):
        auth.authenticate(
            view(method, host, path, query, headers, f"AWS {KEY}:{signature}")
        )
    with pytest.raises(errors.InvalidRequest, match="AWS4-HMAC-SHA256"):
        auth.authenticate(view("GET", DOMAIN, "/b/k", presigned_query("/b/k", 1), {}))


# -- round trips with botocore's own v2 signers -------------------------------------

AWKWARD_KEYS = [
    "plain.txt",
    "with space/and more  ",
    "unicode/\u043f\u0440\u0438\u0432\u0435\u0442/\U0001f600",
    "plus+sign+key",
    "equals=sign&amp",
    "special!$'()*,;:@[]",
    "//double//slashes//",
]


@pytest.fixture()
def live():
    store = identities.IdentityStore(
        ":memory:", root_access_key="ROOTACCESSKEY", root_secret_key="root/secret+k="
    )
    store.create_user("alice")
    key, _ = store.create_access_key("alice")
    yield sigv4.Authenticator(store, "us-east-1"), store, key
    store.close()


def to_view(request) -> sigv4.RequestView:
    url = urllib.parse.urlsplit(request.url)
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        name = name.lower()
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    headers.setdefault("host", url.netloc)
    return sigv4.RequestView(request.method, url.path or "/", url.query, headers)


def boto_v2(method, key, query="", *, creds, presign=False, headers=None):
    url = "http://127.0.0.1:9000/bucket/" + percent_encode(key, safe="/~")
    if query:
        url += "?" + query
    request = AWSRequest(method, url, headers=dict(headers or {}))
    signer = HmacV1QueryAuth(creds, expires=300) if presign else HmacV1Auth(creds)
    signer.add_auth(request)
    return request.prepare()


@pytest.mark.parametrize("presign", [False, True], ids=["header", "presigned"])
@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_botocore_v2_signed_request_is_accepted(live, key, presign):
    auth, store, user_key = live
    creds = Credentials(user_key.access_key, user_key.secret_key)
    headers = {
        "Content-Type": "text/plain",
        "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==",
        "x-amz-meta-note": "  a   b ",
        "x-amz-acl": "private",
    }
    query = "uploadId=a%2Fb&partNumber=3&prefix=x"
    request = boto_v2("PUT", key, query, creds=creds, presign=presign, headers=headers)
    result = auth.authenticate(to_view(request))
    assert result.principal.name == "alice"
    assert result.access_key == user_key.access_key
    assert result.presigned is presign


def test_botocore_v2_presigned_url_alone_carries_its_signed_headers(live):
    # HmacV1QueryAuth moves x-amz-*, Content-Type and Content-MD5 into the
    # query; the URL must work without the client resending them.
    auth, store, user_key = live
    creds = Credentials(user_key.access_key, user_key.secret_key)
    request = boto_v2(
        "PUT", "k", creds=creds, presign=True, headers={"x-amz-acl": "private"}
    )
    view_ = to_view(request)
    view_.headers.pop("x-amz-acl", None)
    assert "x-amz-acl=private" in view_.query
    assert auth.authenticate(view_).principal.name == "alice"


@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
def test_botocore_v2_bucket_request_signed_with_trailing_slash_is_accepted(
    live, method
):
    # botocore signs a path-style bucket operation as "/bucket/" and sends
    # "/bucket"; both name the same resource.
    auth, store, user_key = live
    creds = Credentials(user_key.access_key, user_key.secret_key)
    request = AWSRequest(method, "http://127.0.0.1:9000/bucket")
    request.auth_path = "/bucket/"
    HmacV1Auth(creds).add_auth(request)
    assert auth.authenticate(to_view(request.prepare())).principal.name == "alice"
    # ...but not a different bucket's.
    request = AWSRequest(method, "http://127.0.0.1:9000/bucket")
    request.auth_path = "/bucket2/"
    HmacV1Auth(creds).add_auth(request)
    with pytest.raises(errors.SignatureDoesNotMatch):
        auth.authenticate(to_view(request.prepare()))


def test_botocore_v2_signature_with_wrong_secret_is_rejected(live):
    auth, store, user_key = live
    creds = Credentials(user_key.access_key, user_key.secret_key + "x")
    for presign in (False, True):
        request = boto_v2("GET", "k", "acl", creds=creds, presign=presign)
        with pytest.raises(errors.SignatureDoesNotMatch):
            auth.authenticate(to_view(request))
