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
"""Every S3 request is first named: one ``Operation`` per AWS API action.

The IAM action(s) and resource scope of each operation follow the AWS
"Actions, resources, and condition keys for Amazon S3" table; the handler is
looked up by operation in ``handlers.HANDLERS`` (operations without a handler
answer 501 NotImplemented explicitly).
"""

from __future__ import annotations

import enum


class Scope(enum.Enum):
    """What the IAM resource of an operation is."""

    SERVICE = "service"  # arn:aws:s3:::*
    BUCKET = "bucket"  # arn:aws:s3:::bucket
    OBJECT = "object"  # arn:aws:s3:::bucket/key


_S, _B, _O = Scope.SERVICE, Scope.BUCKET, Scope.OBJECT


class Operation(enum.Enum):
    """AWS API name -> (IAM actions, resource scope).

    Values are numbered by ``__new__`` so that two operations with the same
    action and scope (GetObject / HeadObject) stay distinct members.
    """

    actions: tuple[str, ...]
    scope: Scope

    def __new__(cls, actions: str | tuple[str, ...], scope: Scope) -> Operation:
        obj = object.__new__(cls)
        obj._value_ = len(cls.__members__) + 1
        obj.actions = (actions,) if isinstance(actions, str) else tuple(actions)
        obj.scope = scope
        return obj

    @property
    def action(self) -> str:
        """The primary IAM action."""
        return self.actions[0]

    # --- service -----------------------------------------------------------
    ListBuckets = ("s3:ListAllMyBuckets", _S)

    # --- buckets -----------------------------------------------------------
    CreateBucket = ("s3:CreateBucket", _B)
    DeleteBucket = ("s3:DeleteBucket", _B)
    HeadBucket = ("s3:ListBucket", _B)
    GetBucketLocation = ("s3:GetBucketLocation", _B)
    ListObjects = ("s3:ListBucket", _B)
    ListObjectsV2 = ("s3:ListBucket", _B)
    ListObjectVersions = ("s3:ListBucketVersions", _B)
    ListMultipartUploads = ("s3:ListBucketMultipartUploads", _B)
    # The IAM check of DeleteObjects is per key (s3:DeleteObject on each).
    DeleteObjects = ("s3:DeleteObject", _B)
    PostObject = ("s3:PutObject", _B)

    GetBucketVersioning = ("s3:GetBucketVersioning", _B)
    PutBucketVersioning = ("s3:PutBucketVersioning", _B)
    GetBucketAcl = ("s3:GetBucketAcl", _B)
    PutBucketAcl = ("s3:PutBucketAcl", _B)
    GetBucketPolicy = ("s3:GetBucketPolicy", _B)
    PutBucketPolicy = ("s3:PutBucketPolicy", _B)
    DeleteBucketPolicy = ("s3:DeleteBucketPolicy", _B)
    GetBucketPolicyStatus = ("s3:GetBucketPolicyStatus", _B)
    GetBucketTagging = ("s3:GetBucketTagging", _B)
    PutBucketTagging = ("s3:PutBucketTagging", _B)
    DeleteBucketTagging = ("s3:PutBucketTagging", _B)
    GetBucketCors = ("s3:GetBucketCORS", _B)
    PutBucketCors = ("s3:PutBucketCORS", _B)
    DeleteBucketCors = ("s3:PutBucketCORS", _B)
    GetBucketLifecycleConfiguration = ("s3:GetLifecycleConfiguration", _B)
    PutBucketLifecycleConfiguration = ("s3:PutLifecycleConfiguration", _B)
    DeleteBucketLifecycle = ("s3:PutLifecycleConfiguration", _B)
    GetBucketEncryption = ("s3:GetEncryptionConfiguration", _B)
    PutBucketEncryption = ("s3:PutEncryptionConfiguration", _B)
    DeleteBucketEncryption = ("s3:PutEncryptionConfiguration", _B)
    GetObjectLockConfiguration = ("s3:GetBucketObjectLockConfiguration", _B)
    PutObjectLockConfiguration = ("s3:PutBucketObjectLockConfiguration", _B)
    GetBucketOwnershipControls = ("s3:GetBucketOwnershipControls", _B)
    PutBucketOwnershipControls = ("s3:PutBucketOwnershipControls", _B)
    DeleteBucketOwnershipControls = ("s3:PutBucketOwnershipControls", _B)
    GetPublicAccessBlock = ("s3:GetBucketPublicAccessBlock", _B)
    PutPublicAccessBlock = ("s3:PutBucketPublicAccessBlock", _B)
    DeletePublicAccessBlock = ("s3:PutBucketPublicAccessBlock", _B)
    GetBucketWebsite = ("s3:GetBucketWebsite", _B)
    PutBucketWebsite = ("s3:PutBucketWebsite", _B)
    DeleteBucketWebsite = ("s3:DeleteBucketWebsite", _B)
    GetBucketLogging = ("s3:GetBucketLogging", _B)
    PutBucketLogging = ("s3:PutBucketLogging", _B)
    GetBucketNotificationConfiguration = ("s3:GetBucketNotification", _B)
    PutBucketNotificationConfiguration = ("s3:PutBucketNotification", _B)
    GetBucketReplication = ("s3:GetReplicationConfiguration", _B)
    PutBucketReplication = ("s3:PutReplicationConfiguration", _B)
    DeleteBucketReplication = ("s3:PutReplicationConfiguration", _B)
    GetBucketRequestPayment = ("s3:GetBucketRequestPayment", _B)
    PutBucketRequestPayment = ("s3:PutBucketRequestPayment", _B)
    GetBucketAccelerateConfiguration = ("s3:GetAccelerateConfiguration", _B)
    PutBucketAccelerateConfiguration = ("s3:PutAccelerateConfiguration", _B)
    GetBucketAnalyticsConfiguration = ("s3:GetAnalyticsConfiguration", _B)
    PutBucketAnalyticsConfiguration = ("s3:PutAnalyticsConfiguration", _B)
    DeleteBucketAnalyticsConfiguration = ("s3:PutAnalyticsConfiguration", _B)
    GetBucketMetricsConfiguration = ("s3:GetMetricsConfiguration", _B)
    PutBucketMetricsConfiguration = ("s3:PutMetricsConfiguration", _B)
    DeleteBucketMetricsConfiguration = ("s3:PutMetricsConfiguration", _B)
    GetBucketInventoryConfiguration = ("s3:GetInventoryConfiguration", _B)
    PutBucketInventoryConfiguration = ("s3:PutInventoryConfiguration", _B)
    DeleteBucketInventoryConfiguration = ("s3:PutInventoryConfiguration", _B)
    GetBucketIntelligentTieringConfiguration = (
        "s3:GetIntelligentTieringConfiguration",
        _B,
    )
    PutBucketIntelligentTieringConfiguration = (
        "s3:PutIntelligentTieringConfiguration",
        _B,
    )
    DeleteBucketIntelligentTieringConfiguration = (
        "s3:PutIntelligentTieringConfiguration",
        _B,
    )

    # --- objects -----------------------------------------------------------
    PutObject = ("s3:PutObject", _O)
    GetObject = ("s3:GetObject", _O)
    HeadObject = ("s3:GetObject", _O)
    DeleteObject = ("s3:DeleteObject", _O)
    # CopyObject also needs s3:GetObject on the source; checked by the handler
    # through the same authorize function.
    CopyObject = ("s3:PutObject", _O)
    GetObjectAcl = ("s3:GetObjectAcl", _O)
    PutObjectAcl = ("s3:PutObjectAcl", _O)
    GetObjectTagging = ("s3:GetObjectTagging", _O)
    PutObjectTagging = ("s3:PutObjectTagging", _O)
    DeleteObjectTagging = ("s3:DeleteObjectTagging", _O)
    GetObjectAttributes = (("s3:GetObjectAttributes", "s3:GetObject"), _O)
    GetObjectRetention = ("s3:GetObjectRetention", _O)
    PutObjectRetention = ("s3:PutObjectRetention", _O)
    GetObjectLegalHold = ("s3:GetObjectLegalHold", _O)
    PutObjectLegalHold = ("s3:PutObjectLegalHold", _O)
    GetObjectTorrent = ("s3:GetObject", _O)
    RestoreObject = ("s3:RestoreObject", _O)
    SelectObjectContent = ("s3:GetObject", _O)

    # The CORS preflight ("OPTIONS object"). Never authorized: browsers send
    # it without credentials and the bucket's CORS rules decide; the action
    # is nominal.
    OptionsObject = ("s3:GetObject", _O)

    # --- multipart ---------------------------------------------------------
    CreateMultipartUpload = ("s3:PutObject", _O)
    UploadPart = ("s3:PutObject", _O)
    UploadPartCopy = ("s3:PutObject", _O)
    CompleteMultipartUpload = ("s3:PutObject", _O)
    AbortMultipartUpload = ("s3:AbortMultipartUpload", _O)
    ListParts = ("s3:ListMultipartUploadParts", _O)

    # --- S3 Tables: the Iceberg REST catalog (gateway/tables) ----------------
    # Never routed by the S3 router: the catalog names them and authorizes
    # them through the same authorize step. Their IAM resource is
    # arn:aws:s3tables:<region>:<account>:bucket/<bucket>[/table/<ns>/<table>]
    # (authorization.Authorizer._context). Names follow the AWS S3 Tables
    # actions; s3tables:UpdateNamespaceProperties has no AWS counterpart.
    TablesCreateTableBucket = ("s3tables:CreateTableBucket", _B)
    TablesGetTableBucket = ("s3tables:GetTableBucket", _B)
    TablesListNamespaces = ("s3tables:ListNamespaces", _B)
    TablesCreateNamespace = ("s3tables:CreateNamespace", _B)
    TablesGetNamespace = ("s3tables:GetNamespace", _B)
    TablesDeleteNamespace = ("s3tables:DeleteNamespace", _B)
    TablesUpdateNamespaceProperties = ("s3tables:UpdateNamespaceProperties", _B)
    TablesListTables = ("s3tables:ListTables", _B)
    TablesCreateTable = ("s3tables:CreateTable", _B)
    TablesGetTable = ("s3tables:GetTable", _B)
    TablesGetTableMetadataLocation = ("s3tables:GetTableMetadataLocation", _B)
    TablesUpdateTable = ("s3tables:UpdateTableMetadataLocation", _B)
    TablesDeleteTable = ("s3tables:DeleteTable", _B)
    # Views have no AWS S3 Tables actions: these names are ours.
    TablesListViews = ("s3tables:ListViews", _B)
    TablesCreateView = ("s3tables:CreateView", _B)
    TablesGetView = ("s3tables:GetView", _B)
    TablesDeleteView = ("s3tables:DeleteView", _B)
    TablesReplaceView = ("s3tables:ReplaceView", _B)
    # Maintenance (gateway/tables/maintenance_rest.py): AWS's names for the
    # configuration and job status; running jobs and the diagnostics are ours.
    TablesGetTableMaintenanceConfiguration = (
        "s3tables:GetTableMaintenanceConfiguration",
        _B,
    )
    TablesPutTableMaintenanceConfiguration = (
        "s3tables:PutTableMaintenanceConfiguration",
        _B,
    )
    TablesGetTableMaintenanceJobStatus = ("s3tables:GetTableMaintenanceJobStatus", _B)
    TablesRunTableMaintenance = ("s3tables:RunTableMaintenance", _B)
    TablesGetCatalogDiagnostics = ("s3tables:GetCatalogDiagnostics", _B)
