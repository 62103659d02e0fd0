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
"""S3 errors: one class per AWS error code, raised anywhere, rendered in one place.

The code and HTTP status of each class follow the AWS S3 API reference
("Error responses" -> "List of error codes"). ``extra`` carries the additional
elements AWS puts into some error documents (e.g. ``<BucketName>``,
``<Key>``, ``<ArgumentName>``) and ``headers`` additional response headers.
"""

from __future__ import annotations


class S3Error(Exception):
    code = "InternalError"
    status = 500
    message = "We encountered an internal error. Please try again."

    def __init__(
        self,
        message: str | None = None,
        *,
        resource: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: str,
    ) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message
        self.resource = resource
        self.headers = dict(headers or {})
        self.extra = {k: str(v) for k, v in extra.items()}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _error(name: str, status: int, message: str) -> type[S3Error]:
    return type(name, (S3Error,), {"code": name, "status": status, "message": message})


# 400
AuthorizationHeaderMalformed = _error(
    "AuthorizationHeaderMalformed", 400, "The authorization header is malformed."
)
AuthorizationQueryParametersError = _error(
    "AuthorizationQueryParametersError",
    400,
    "Error parsing the X-Amz-Credential parameter.",
)
BadRequest = _error("BadRequest", 400, "Bad Request")
BadDigest = _error(
    "BadDigest", 400, "The Content-MD5 you specified did not match what we received."
)
BucketAlreadyOwnedByYou = _error(
    "BucketAlreadyOwnedByYou",
    409,
    "Your previous request to create the named bucket "
    "succeeded and you already own it.",
)
EntityTooLarge = _error(
    "EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed size."
)
EntityTooSmall = _error(
    "EntityTooSmall",
    400,
    "Your proposed upload is smaller than the minimum allowed object size.",
)
ExpiredToken = _error("ExpiredToken", 400, "The provided token has expired.")
IncompleteBody = _error(
    "IncompleteBody",
    400,
    "You did not provide the number of bytes specified "
    "by the Content-Length HTTP header.",
)
InvalidArgument = _error("InvalidArgument", 400, "Invalid Argument")
InvalidBucketName = _error(
    "InvalidBucketName", 400, "The specified bucket is not valid."
)
InvalidDigest = _error(
    "InvalidDigest", 400, "The Content-MD5 you specified is not valid."
)
InvalidLocationConstraint = _error(
    "InvalidLocationConstraint", 400, "The specified location constraint is not valid."
)
InvalidPart = _error(
    "InvalidPart",
    400,
    "One or more of the specified parts could not be found. The part might not "
    "have been uploaded, or the specified entity tag might not have matched the "
    "part's entity tag.",
)
InvalidPartOrder = _error(
    "InvalidPartOrder",
    400,
    "The list of parts was not in ascending order. "
    "Parts must be ordered by part number.",
)
InvalidRequest = _error("InvalidRequest", 400, "Invalid Request")
InvalidStorageClass = _error(
    "InvalidStorageClass", 400, "The storage class you specified is not valid."
)
InvalidTag = _error("InvalidTag", 400, "The tag provided was not a valid tag.")
InvalidRetentionPeriod = _error(
    "InvalidRetentionPeriod",
    400,
    "Default retention period must be a positive integer value.",
)
KeyTooLongError = _error("KeyTooLongError", 400, "Your key is too long.")
AccessControlListNotSupported = _error(
    "AccessControlListNotSupported", 400, "The bucket does not allow ACLs"
)
InvalidBucketAclWithObjectOwnership = _error(
    "InvalidBucketAclWithObjectOwnership",
    400,
    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
)
UnresolvableGrantByEmailAddress = _error(
    "UnresolvableGrantByEmailAddress",
    400,
    "The email address you provided does not match any account on record.",
)
UnexpectedContent = _error(
    "UnexpectedContent", 400, "This request does not support content."
)
MissingSecurityHeader = _error(
    "MissingSecurityHeader", 400, "Your request is missing a required header."
)
MalformedACLError = _error(
    "MalformedACLError",
    400,
    "The XML you provided was not well-formed or did not validate against our "
    "published schema.",
)
MalformedPolicy = _error("MalformedPolicy", 400, "Policy has invalid resource.")
InvalidPolicyDocument = _error(
    "InvalidPolicyDocument",
    400,
    "The content of the form does not meet the conditions specified in the "
    "policy document.",
)
MaxPostPreDataLengthExceeded = _error(
    "MaxPostPreDataLengthExceeded",
    400,
    "Your POST request fields preceeding the upload file was too large.",
)
MalformedXML = _error(
    "MalformedXML",
    400,
    "The XML you provided was not well-formed or did not validate against our "
    "published schema.",
)
MetadataTooLarge = _error(
    "MetadataTooLarge",
    400,
    "Your metadata headers exceed the maximum allowed metadata size.",
)
RequestHeaderSectionTooLarge = _error(
    "RequestHeaderSectionTooLarge",
    400,
    "Your request header section exceeds the maximum allowed size.",
)
RequestTimeout = _error(
    "RequestTimeout",
    400,
    "Your socket connection to the server was not read from or written to "
    "within the timeout period. Idle connections will be closed.",
)
RequestTimeTooSkewed = _error(
    "RequestTimeTooSkewed",
    403,
    "The difference between the request time and the current time is too large.",
)
TooManyBuckets = _error(
    "TooManyBuckets", 400, "You have attempted to create more buckets than allowed."
)
XAmzContentSHA256Mismatch = _error(
    "XAmzContentSHA256Mismatch",
    400,
    "The provided 'x-amz-content-sha256' header does not match what was computed.",
)
InvalidChunkSizeError = _error(
    "InvalidChunkSizeError",
    403,
    "Only the last chunk is allowed to have a size less than 8192 bytes",
)

InvalidURI = _error("InvalidURI", 400, "Couldn't parse the specified URI.")

# 403
AccessDenied = _error("AccessDenied", 403, "Access Denied")
AccessForbidden = _error(
    "AccessForbidden",
    403,
    "CORSResponse: This CORS request is not allowed. This is usually because the "
    "evalution of Origin, request method / Access-Control-Request-Method or "
    "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
)
InvalidToken = _error(
    "InvalidToken", 400, "The provided token is malformed or otherwise invalid."
)
InvalidAccessKeyId = _error(
    "InvalidAccessKeyId",
    403,
    "The AWS Access Key Id you provided does not exist in our records.",
)
SignatureDoesNotMatch = _error(
    "SignatureDoesNotMatch",
    403,
    "The request signature we calculated does not match the signature you "
    "provided. Check your key and signing method.",
)
InvalidObjectState = _error(
    "InvalidObjectState",
    403,
    "The operation is not valid for the current state of the object.",
)
# Not an AWS code (AWS has no bucket quotas): Ceph RGW's, which S3 clients of
# quota-enforcing engines already know.
QuotaExceeded = _error("QuotaExceeded", 403, "The bucket quota has been exceeded.")

# 404
NoSuchBucket = _error("NoSuchBucket", 404, "The specified bucket does not exist.")
NoSuchKey = _error("NoSuchKey", 404, "The specified key does not exist.")
NoSuchUpload = _error(
    "NoSuchUpload",
    404,
    "The specified multipart upload does not exist. The upload ID might be "
    "invalid, or the multipart upload might have been aborted or completed.",
)
NoSuchVersion = _error(
    "NoSuchVersion",
    404,
    "The version ID specified in the request does not match an existing version.",
)
NoSuchBucketPolicy = _error(
    "NoSuchBucketPolicy", 404, "The bucket policy does not exist."
)
NoSuchTagSet = _error("NoSuchTagSet", 404, "The TagSet does not exist.")
NoSuchCORSConfiguration = _error(
    "NoSuchCORSConfiguration", 404, "The CORS configuration does not exist."
)
NoSuchLifecycleConfiguration = _error(
    "NoSuchLifecycleConfiguration", 404, "The lifecycle configuration does not exist."
)
NoSuchPublicAccessBlockConfiguration = _error(
    "NoSuchPublicAccessBlockConfiguration",
    404,
    "The public access block configuration was not found.",
)
NoSuchObjectLockConfiguration = _error(
    "NoSuchObjectLockConfiguration",
    404,
    "The specified object does not have a ObjectLock configuration.",
)
ObjectLockConfigurationNotFoundError = _error(
    "ObjectLockConfigurationNotFoundError",
    404,
    "Object Lock configuration does not exist for this bucket.",
)
ServerSideEncryptionConfigurationNotFoundError = _error(
    "ServerSideEncryptionConfigurationNotFoundError",
    404,
    "The server side encryption configuration was not found.",
)
OwnershipControlsNotFoundError = _error(
    "OwnershipControlsNotFoundError",
    404,
    "The bucket ownership controls were not found.",
)

# 405 / 409 / 411 / 412 / 416
MethodNotAllowed = _error(
    "MethodNotAllowed",
    405,
    "The specified method is not allowed against this resource.",
)
BucketAlreadyExists = _error(
    "BucketAlreadyExists",
    409,
    "The requested bucket name is not available. The bucket namespace is shared "
    "by all users of the system. Please select a different name and try again.",
)
BucketNotEmpty = _error(
    "BucketNotEmpty", 409, "The bucket you tried to delete is not empty."
)
OperationAborted = _error(
    "OperationAborted",
    409,
    "A conflicting conditional operation is currently in progress against this "
    "resource. Try again.",
)
InvalidBucketState = _error(
    "InvalidBucketState",
    409,
    ("The request is not valid with the current state of the bucket."),
)
ConditionalRequestConflict = _error(
    "ConditionalRequestConflict",
    409,
    "A conflicting operation occurred. If using PutObject you can retry the request.",
)
MissingContentLength = _error(
    "MissingContentLength", 411, "You must provide the Content-Length HTTP header."
)
PreconditionFailed = _error(
    "PreconditionFailed",
    412,
    "At least one of the pre-conditions you specified did not hold",
)
InvalidRange = _error("InvalidRange", 416, "The requested range is not satisfiable")
InvalidPartNumber = _error(
    "InvalidPartNumber", 416, "The requested partnumber is not satisfiable"
)
NoSuchWebsiteConfiguration = _error(
    "NoSuchWebsiteConfiguration",
    404,
    "The specified bucket does not have a website configuration",
)
ReplicationConfigurationNotFoundError = _error(
    "ReplicationConfigurationNotFoundError",
    404,
    "The replication configuration was not found",
)

# 500 / 501 / 503


class InternalError(S3Error):
    # A class statement (not _error) so that a backend may subclass it
    # (storage/blobs.BlobMissing) and type checkers still see a class.
    code = "InternalError"
    status = 500
    message = "We encountered an internal error. Please try again."


NotImplemented_ = type(
    "NotImplemented",
    (S3Error,),
    {
        "code": "NotImplemented",
        "status": 501,
        "message": (
            "A header you provided implies functionality that is not implemented."
        ),
    },
)
SlowDown = _error("SlowDown", 503, "Please reduce your request rate.")
ServiceUnavailable = _error(
    "ServiceUnavailable", 503, "Service is unable to handle request."
)
# Not an AWS code (S3 never runs out of disk): the data disk of this node is
# full. 507 is not retried by AWS SDKs, which is the point: re-sending the
# body cannot help until space is freed (docs/decisions/0015-disk-full.md).
InsufficientStorage = _error(
    "InsufficientStorage",
    507,
    "The node's data disk is full: delete objects or abort multipart uploads "
    "to free space, then retry.",
)
