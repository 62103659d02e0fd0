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
"""ACLs, Object Ownership and Block Public Access as pure rules.

Documents follow the S3 API reference examples (PutBucketAcl,
PutPublicAccessBlock, PutBucketOwnershipControls).
"""

import json

import pytest

from exordos_paas_s3.gateway import acl, errors, policy

OWNER = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
WRITER = "852b113e7a2f25102679df27bb0ae12b3f85be6f290b936c4393484be31bebcc"
P = acl.Permission


def perms(grants):
    out = set()
    for g in grants:
        who = g.grantee.id or g.grantee.uri
        out.add((who, g.permission.value))
    return out


# -- canned ACLs --


@pytest.mark.parametrize(
    "name, expected",
    [
        ("private", {(WRITER, "FULL_CONTROL")}),
        ("public-read", {(WRITER, "FULL_CONTROL"), (acl.ALL_USERS, "READ")}),
        (
            "public-read-write",
            {
                (WRITER, "FULL_CONTROL"),
                (acl.ALL_USERS, "READ"),
                (acl.ALL_USERS, "WRITE"),
            },
        ),
        (
            "authenticated-read",
            {(WRITER, "FULL_CONTROL"), (acl.AUTHENTICATED_USERS, "READ")},
        ),
        ("bucket-owner-read", {(WRITER, "FULL_CONTROL"), (OWNER, "READ")}),
        (
            "bucket-owner-full-control",
            {(WRITER, "FULL_CONTROL"), (OWNER, "FULL_CONTROL")},
        ),
        ("aws-exec-read", {(WRITER, "FULL_CONTROL")}),
        (
            "log-delivery-write",
            {
                (WRITER, "FULL_CONTROL"),
                (acl.LOG_DELIVERY, "WRITE"),
                (acl.LOG_DELIVERY, "READ_ACP"),
            },
        ),
    ],
)
def test_canned_acl_grants(name, expected):
    grants = acl.canned_acl_grants(name, owner_id=WRITER, bucket_owner_id=OWNER)
    assert perms(grants) == expected
    assert len(grants) == len(expected)


def test_bucket_owner_acls_collapse_when_writer_owns_the_bucket():
    grants = acl.canned_acl_grants(
        "bucket-owner-full-control", owner_id=OWNER, bucket_owner_id=OWNER
    )
    assert perms(grants) == {(OWNER, "FULL_CONTROL")}
    on_bucket = acl.canned_acl_grants("bucket-owner-read", owner_id=OWNER)
    assert perms(on_bucket) == {(OWNER, "FULL_CONTROL")}


def test_unknown_canned_acl_is_invalid_argument():
    with pytest.raises(errors.InvalidArgument) as info:
        acl.canned_acl_grants("public", owner_id=OWNER)
    assert info.value.extra["ArgumentName"] == "x-amz-acl"


# -- grant headers --


def test_grants_from_headers_all_forms():
    headers = {
        "x-amz-grant-read": f'id="{WRITER}", uri="{acl.ALL_USERS}"',
        "x-amz-grant-write-acp": f"id={OWNER}",
        "x-amz-grant-full-control": 'emailAddress="xyz@amazon.com"',
    }
    grants = acl.grants_from_headers(
        headers,
        resolve_email=lambda e: ("email-id", "xyz") if e == "xyz@amazon.com" else None,
    )
    assert perms(grants) == {
        (WRITER, "READ"),
        (acl.ALL_USERS, "READ"),
        (OWNER, "WRITE_ACP"),
        ("email-id", "FULL_CONTROL"),
    }
    assert acl.grants_from_headers({}) is None


@pytest.mark.parametrize(
    "value, error",
    [
        ('uid="x"', errors.InvalidArgument),
        ('id=""', errors.InvalidArgument),
        ('id="a" id="b"', errors.InvalidArgument),
        ("", errors.InvalidArgument),
        (
            'uri="http://acs.amazonaws.com/groups/global/Everyone"',
            errors.InvalidArgument,
        ),
        ('emailAddress="nobody@example.com"', errors.UnresolvableGrantByEmailAddress),
    ],
)
def test_bad_grant_headers(value, error):
    with pytest.raises(error):
        acl.grants_from_headers({"x-amz-grant-read": value})


def test_acl_from_request():
    canned, grants = acl.acl_from_request(
        {"x-amz-acl": "public-read"}, owner_id=WRITER, bucket_owner_id=OWNER
    )
    assert canned == "public-read"
    assert acl.is_public_acl(grants)
    assert acl.acl_from_request({}, owner_id=WRITER) == (None, None)
    canned, grants = acl.acl_from_request(
        {"x-amz-grant-read": f'id="{OWNER}"'}, owner_id=WRITER
    )
    # header grants are the whole ACL: no implicit grant to the writer
    assert canned is None and perms(grants) == {(OWNER, "READ")}
    with pytest.raises(errors.InvalidRequest, match="both"):
        acl.acl_from_request(
            {"x-amz-acl": "private", "x-amz-grant-read": f'id="{OWNER}"'},
            owner_id=WRITER,
        )


# -- AccessControlPolicy XML --

ACP_EXAMPLE = f"""<?xml version="1.0" encoding="UTF-8"?>
<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Owner>
    <ID>{OWNER}</ID>
    <DisplayName>OwnerDisplayName</DisplayName>
  </Owner>
  <AccessControlList>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
               xsi:type="CanonicalUser">
        <ID>{OWNER}</ID>
        <DisplayName>OwnerDisplayName</DisplayName>
      </Grantee>
      <Permission>FULL_CONTROL</Permission>
    </Grant>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">
        <URI>http://acs.amazonaws.com/groups/s3/LogDelivery</URI>
      </Grantee>
      <Permission>WRITE</Permission>
    </Grant>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
               xsi:type="AmazonCustomerByEmail">
        <EmailAddress>xyz@amazon.com</EmailAddress>
      </Grantee>
      <Permission>WRITE_ACP</Permission>
    </Grant>
    <Grant>
      <Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
        <ID>{WRITER}</ID>
      </Grantee>
      <Permission>READ</Permission>
    </Grant>
  </AccessControlList>
</AccessControlPolicy>"""


def test_parse_access_control_policy_example():
    acp = acl.parse_access_control_policy(
        ACP_EXAMPLE, resolve_email=lambda e: ("email-id", None)
    )
    assert acp.owner_id == OWNER
    assert acp.owner_display_name == "OwnerDisplayName"
    assert perms(acp.grants) == {
        (OWNER, "FULL_CONTROL"),
        (acl.LOG_DELIVERY, "WRITE"),
        ("email-id", "WRITE_ACP"),
        (WRITER, "READ"),  # no xsi:type: inferred from <ID>
    }


def test_render_then_parse_round_trips():
    grants = acl.canned_acl_grants("public-read-write", owner_id=OWNER) + (
        acl.Grant(acl.Grantee.user(WRITER, "writer"), P.READ_ACP),
    )
    acp = acl.AccessControlPolicy(OWNER, "owner", grants)
    body = acl.render_access_control_policy(acp)
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert b'xsi:type="Group"' in body
    assert acl.parse_access_control_policy(body) == acp


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<AccessControlPolicy>",
        b"<Other/>",
        b"<AccessControlPolicy><AccessControlList/></AccessControlPolicy>",  # no owner
        f"<AccessControlPolicy><Owner><ID>{OWNER}</ID></Owner><AccessControlList>"
        "<Grant><Grantee><ID>x</ID></Grantee><Permission>ALL</Permission></Grant>"
        "</AccessControlList></AccessControlPolicy>".encode(),
        f"<AccessControlPolicy><Owner><ID>{OWNER}</ID></Owner><AccessControlList>"
        "<Grant><Permission>READ</Permission></Grant>"
        "</AccessControlList></AccessControlPolicy>".encode(),
        f"<AccessControlPolicy><Owner><ID>{OWNER}</ID></Owner><AccessControlList>"
        "<Grant><Grantee/><Permission>READ</Permission></Grant>"
        "</AccessControlList></AccessControlPolicy>".encode(),
        f"<AccessControlPolicy><Owner><ID>{OWNER}</ID></Owner><AccessControlList>"
        "<Other/></AccessControlList></AccessControlPolicy>".encode(),
        b'<!DOCTYPE x [<!ENTITY e "boom">]>'
        b"<AccessControlPolicy>&e;</AccessControlPolicy>",
    ],
)
def test_malformed_acl_bodies(body):
    with pytest.raises(errors.MalformedACLError):
        acl.parse_access_control_policy(body)


def test_too_many_grants_is_malformed():
    grant = "<Grant><Grantee><ID>{}</ID></Grantee><Permission>READ</Permission></Grant>"
    body = (
        f"<AccessControlPolicy><Owner><ID>{OWNER}</ID></Owner><AccessControlList>"
        + "".join(grant.format(i) for i in range(101))
        + "</AccessControlList></AccessControlPolicy>"
    )
    with pytest.raises(errors.MalformedACLError):
        acl.parse_access_control_policy(body)


def test_put_acl_cannot_change_the_owner():
    acp = acl.parse_access_control_policy(
        ACP_EXAMPLE, resolve_email=lambda e: ("x", None)
    )
    acl.check_acl_owner(acp, OWNER)
    with pytest.raises(errors.AccessDenied):
        acl.check_acl_owner(acp, WRITER)


# -- acl_allows --


def allows(grants, who, permission, **kw):
    if who is None:
        return acl.acl_allows(
            grants, canonical_id=None, is_anonymous=True, permission=permission, **kw
        )
    return acl.acl_allows(
        grants, canonical_id=who, is_anonymous=False, permission=permission, **kw
    )


def test_acl_allows_users_and_groups():
    private = acl.canned_acl_grants("private", owner_id=OWNER)
    public = acl.canned_acl_grants("public-read", owner_id=OWNER)
    authenticated = acl.canned_acl_grants("authenticated-read", owner_id=OWNER)
    for permission in P:  # FULL_CONTROL implies every permission
        assert allows(private, OWNER, permission)
    assert not allows(private, WRITER, P.READ)
    assert not allows(private, None, P.READ)
    assert allows(public, None, P.READ)
    assert allows(public, WRITER, P.READ)
    assert not allows(public, None, P.WRITE)
    assert not allows(public, None, P.READ_ACP)
    assert allows(authenticated, WRITER, P.READ)
    assert not allows(authenticated, None, P.READ)
    # an anonymous caller never matches a canonical user grant
    assert not acl.acl_allows(
        private, canonical_id=OWNER, is_anonymous=True, permission=P.READ
    )
    assert not allows(public, None, P.READ, ignore_public=True)
    assert allows(public, OWNER, P.READ, ignore_public=True)


def test_action_permissions_cover_the_acl_actions():
    assert acl.ACTION_PERMISSIONS["s3:GetObject"] == ("object", P.READ)
    assert acl.ACTION_PERMISSIONS["s3:PutObject"] == ("bucket", P.WRITE)
    assert acl.ACTION_PERMISSIONS["s3:ListBucket"] == ("bucket", P.READ)
    for action in acl.ACTION_PERMISSIONS:
        assert action.lower() in policy.S3_ACTIONS, action


# -- Object Ownership --


def test_bucket_owner_enforced_accepts_only_bucket_owner_full_control():
    enforced = acl.ObjectOwnership.BUCKET_OWNER_ENFORCED
    check = acl.check_acl_allowed
    check(enforced, canned=None, grants=None, bucket_owner_id=OWNER)
    check(
        enforced, canned="bucket-owner-full-control", grants=None, bucket_owner_id=OWNER
    )
    owner_full = (acl.Grant(acl.Grantee.user(OWNER), P.FULL_CONTROL),)
    check(enforced, canned=None, grants=owner_full, bucket_owner_id=OWNER)
    for canned in ("private", "public-read", "authenticated-read"):
        with pytest.raises(errors.AccessControlListNotSupported) as info:
            check(enforced, canned=canned, grants=None, bucket_owner_id=OWNER)
        assert info.value.status == 400
    other = (acl.Grant(acl.Grantee.user(WRITER), P.FULL_CONTROL),)
    with pytest.raises(errors.AccessControlListNotSupported):
        check(enforced, canned=None, grants=other, bucket_owner_id=OWNER)
    # CreateBucket: private is fine, anything public is its own error code
    check(
        enforced,
        canned="private",
        grants=None,
        bucket_owner_id=OWNER,
        create_bucket=True,
    )
    with pytest.raises(errors.InvalidBucketAclWithObjectOwnership):
        check(
            enforced,
            canned="public-read",
            grants=None,
            bucket_owner_id=OWNER,
            create_bucket=True,
        )


def test_acls_are_accepted_when_enabled():
    for ownership in (
        acl.ObjectOwnership.OBJECT_WRITER,
        acl.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    ):
        assert acl.acls_enabled(ownership)
        acl.check_acl_allowed(
            ownership, canned="public-read", grants=None, bucket_owner_id=OWNER
        )
    # The default of buckets without OwnershipControls keeps ACLs on
    # (decision 0004); BucketOwnerEnforced turns them off.
    assert acl.acls_enabled(acl.DEFAULT_OBJECT_OWNERSHIP)
    assert not acl.acls_enabled(acl.ObjectOwnership.BUCKET_OWNER_ENFORCED)


def test_object_owner_by_ownership_setting():
    own = acl.ObjectOwnership
    kw = dict(writer_id=WRITER, bucket_owner_id=OWNER)
    assert acl.object_owner(own.BUCKET_OWNER_ENFORCED, canned=None, **kw) == OWNER
    assert (
        acl.object_owner(own.OBJECT_WRITER, canned="bucket-owner-full-control", **kw)
        == WRITER
    )
    assert (
        acl.object_owner(
            own.BUCKET_OWNER_PREFERRED, canned="bucket-owner-full-control", **kw
        )
        == OWNER
    )
    assert acl.object_owner(own.BUCKET_OWNER_PREFERRED, canned=None, **kw) == WRITER


def test_effective_grants_ignore_stored_acl_when_enforced():
    public = acl.canned_acl_grants("public-read", owner_id=WRITER)
    enforced = acl.effective_grants(
        acl.ObjectOwnership.BUCKET_OWNER_ENFORCED, public, bucket_owner_id=OWNER
    )
    assert perms(enforced) == {(OWNER, "FULL_CONTROL")}
    kept = acl.effective_grants(
        acl.ObjectOwnership.OBJECT_WRITER, public, bucket_owner_id=OWNER
    )
    assert kept == public


def test_ownership_controls_xml():
    body = (
        b'<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Rule><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></Rule>"
        b"</OwnershipControls>"
    )
    value = acl.parse_ownership_controls(body)
    assert value is acl.ObjectOwnership.BUCKET_OWNER_PREFERRED
    for ownership in acl.ObjectOwnership:
        rendered = acl.render_ownership_controls(ownership)
        assert acl.parse_ownership_controls(rendered) is ownership


@pytest.mark.parametrize(
    "body",
    [
        b"<OwnershipControls/>",
        b"<OwnershipControls><Rule><ObjectOwnership>Mine</ObjectOwnership></Rule>"
        b"</OwnershipControls>",
        b"<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership>"
        b"</Rule><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule>"
        b"</OwnershipControls>",
        b"<Other><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></Other>",
        b"<OwnershipControls><Rule>",
    ],
)
def test_bad_ownership_controls_are_malformed_xml(body):
    with pytest.raises(errors.MalformedXML):
        acl.parse_ownership_controls(body)


# -- Block Public Access --

PAB_EXAMPLE = b"""<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <BlockPublicAcls>TRUE</BlockPublicAcls>
  <IgnorePublicAcls>false</IgnorePublicAcls>
  <BlockPublicPolicy>true</BlockPublicPolicy>
</PublicAccessBlockConfiguration>"""


def test_public_access_block_xml():
    config = acl.parse_public_access_block(PAB_EXAMPLE)
    assert config == acl.PublicAccessBlock(
        block_public_acls=True, block_public_policy=True
    )
    rendered = acl.render_public_access_block(config)
    assert b"<RestrictPublicBuckets>false</RestrictPublicBuckets>" in rendered
    assert acl.parse_public_access_block(rendered) == config


@pytest.mark.parametrize(
    "body",
    [
        b"<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>"
        b"</PublicAccessBlockConfiguration>",
        b"<PublicAccessBlockConfiguration><BlockAll>true</BlockAll>"
        b"</PublicAccessBlockConfiguration>",
        b"<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>"
        b"<BlockPublicAcls>false</BlockPublicAcls></PublicAccessBlockConfiguration>",
        b"<PublicAccess/>",
        b"",
    ],
)
def test_bad_public_access_block_is_malformed_xml(body):
    with pytest.raises(errors.MalformedXML):
        acl.parse_public_access_block(body)


def test_merge_is_the_most_restrictive():
    a = acl.PublicAccessBlock(block_public_acls=True)
    b = acl.PublicAccessBlock(restrict_public_buckets=True)
    merged = acl.merge_public_access_blocks(a, None, b)
    assert merged == acl.PublicAccessBlock(
        block_public_acls=True, restrict_public_buckets=True
    )
    assert acl.merge_public_access_blocks() == acl.NO_PUBLIC_ACCESS_BLOCK


def test_block_public_acls_rejects_public_acls_on_put():
    block = acl.PublicAccessBlock(block_public_acls=True)
    for canned in acl.PUBLIC_CANNED_ACLS:
        with pytest.raises(errors.AccessDenied):
            acl.check_acl_put(block, canned=canned, grants=None)
    acl.check_acl_put(block, canned="private", grants=None)
    acl.check_acl_put(block, canned="bucket-owner-full-control", grants=None)
    public_grant = (acl.Grant(acl.Grantee.group(acl.AUTHENTICATED_USERS), P.READ),)
    with pytest.raises(errors.AccessDenied):
        acl.check_acl_put(block, canned=None, grants=public_grant)
    acl.check_acl_put(
        acl.NO_PUBLIC_ACCESS_BLOCK, canned="public-read-write", grants=None
    )


def test_ignore_public_acls_hides_public_grants():
    grants = acl.canned_acl_grants("public-read", owner_id=OWNER)
    ignore = acl.PublicAccessBlock(ignore_public_acls=True)
    visible = acl.visible_grants(ignore, grants)
    assert perms(visible) == {(OWNER, "FULL_CONTROL")}
    assert acl.visible_grants(acl.NO_PUBLIC_ACCESS_BLOCK, grants) == grants


def _bucket_policy(principal, **extra):
    statement = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
    }
    statement.update(extra)
    text = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    return policy.parse_policy(text, kind="bucket", bucket="b")


def test_block_public_policy_rejects_public_policies():
    block = acl.PublicAccessBlock(block_public_policy=True)
    with pytest.raises(errors.AccessDenied):
        acl.check_policy_put(block, _bucket_policy("*"))
    acl.check_policy_put(block, _bucket_policy({"AWS": "111122223333"}))
    restricted = _bucket_policy(
        "*", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}
    )
    acl.check_policy_put(block, restricted)
    acl.check_policy_put(acl.NO_PUBLIC_ACCESS_BLOCK, _bucket_policy("*"))


def test_restrict_public_buckets_limits_public_policy_to_the_account():
    restrict = acl.PublicAccessBlock(restrict_public_buckets=True)
    public = _bucket_policy("*")
    private = _bucket_policy({"AWS": "444455556666"})
    assert acl.policy_restriction(restrict, public, "111122223333") == "111122223333"
    assert acl.policy_restriction(restrict, private, "111122223333") is None
    assert acl.policy_restriction(restrict, None, "111122223333") is None
    assert acl.policy_restriction(acl.NO_PUBLIC_ACCESS_BLOCK, public, "1") is None
    anonymous = policy.RequestContext(
        "s3:GetObject", "arn:aws:s3:::b/k", is_anonymous=True
    )
    limit = acl.policy_restriction(restrict, public, "111122223333")
    assert policy.evaluate([], public, anonymous) is policy.Decision.ALLOW
    decision = policy.evaluate([], public, anonymous, restrict_to_account=limit)
    assert decision is policy.Decision.IMPLICIT_DENY
