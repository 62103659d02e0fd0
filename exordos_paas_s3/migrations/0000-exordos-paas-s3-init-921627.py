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
"""Tables of the S3 control plane (created with ra-new-migration).

Table names carry the plugin slug ``s3_``, the prefix MetaPaaS reserves for
this plugin in the shared database; the step id is a random UUID.
"""

from restalchemy.storage.sql import migrations

_STATUS = "status VARCHAR(16) NOT NULL DEFAULT 'NEW'"
_REASON = "reason VARCHAR(1024) NOT NULL DEFAULT ''"
_COMMON = """
    uuid UUID PRIMARY KEY,
    name VARCHAR(255) NOT NULL DEFAULT '',
    description VARCHAR(255) NOT NULL DEFAULT '',
    project_id UUID NOT NULL,
    created_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP(6) WITH TIME ZONE NOT NULL
"""

_TABLES = (
    "s3_policy_attachments",
    "s3_access_keys",
    "s3_users",
    "s3_policies",
    "s3_buckets",
    "s3_instances",
    "s3_versions",
)


class MigrationStep(migrations.AbstractMigrationStep):
    def __init__(self):
        self._depends = []

    @property
    def migration_id(self):
        return "9216272f-cf78-455f-a044-e64640072924"

    @property
    def is_manual(self):
        return False

    def upgrade(self, session):
        expressions = [
            """
            CREATE TABLE s3_versions (
                uuid UUID PRIMARY KEY,
                name VARCHAR(255) NOT NULL,
                description VARCHAR(255) NOT NULL DEFAULT '',
                image VARCHAR(2048) NOT NULL DEFAULT '',
                created_at TIMESTAMP(6) WITH TIME ZONE NOT NULL,
                updated_at TIMESTAMP(6) WITH TIME ZONE NOT NULL
            );
            """,
            f"""
            CREATE TABLE s3_instances (
                {_COMMON},
                {_STATUS},
                {_REASON},
                version UUID NOT NULL REFERENCES s3_versions(uuid),
                cpu INTEGER NOT NULL,
                ram INTEGER NOT NULL,
                disk_size INTEGER NOT NULL,
                nodes_number INTEGER NOT NULL,
                kind VARCHAR(32) NOT NULL DEFAULT 'single_node',
                bucket_name VARCHAR(63) NULL,
                ipsv4 TEXT[] NOT NULL DEFAULT '{{}}',
                endpoints TEXT[] NOT NULL DEFAULT '{{}}',
                root_secret VARCHAR(512) NOT NULL
            );
            """,
            "CREATE UNIQUE INDEX s3_instances_project_name_idx "
            "ON s3_instances (project_id, name);",
            f"""
            CREATE TABLE s3_buckets (
                {_COMMON},
                {_STATUS},
                {_REASON},
                instance UUID NOT NULL REFERENCES s3_instances(uuid),
                versioning_enabled BOOLEAN NOT NULL DEFAULT FALSE,
                object_lock_enabled BOOLEAN NOT NULL DEFAULT FALSE,
                default_retention_mode VARCHAR(16) NULL,
                default_retention_days INTEGER NULL,
                quota_bytes BIGINT NOT NULL DEFAULT 0,
                public BOOLEAN NOT NULL DEFAULT FALSE,
                is_empty BOOLEAN NULL,
                force_delete BOOLEAN NOT NULL DEFAULT FALSE
            );
            """,
            f"""
            CREATE TABLE s3_policies (
                {_COMMON},
                {_STATUS},
                {_REASON},
                instance UUID NOT NULL REFERENCES s3_instances(uuid),
                content JSONB NOT NULL
            );
            """,
            f"""
            CREATE TABLE s3_users (
                {_COMMON},
                {_STATUS},
                {_REASON},
                instance UUID NOT NULL REFERENCES s3_instances(uuid)
            );
            """,
            f"""
            CREATE TABLE s3_access_keys (
                {_COMMON},
                {_STATUS},
                {_REASON},
                instance UUID NOT NULL REFERENCES s3_instances(uuid),
                "user" UUID NOT NULL REFERENCES s3_users(uuid),
                access_key VARCHAR(128) NOT NULL,
                secret_key VARCHAR(512) NOT NULL,
                enabled BOOLEAN NOT NULL DEFAULT TRUE
            );
            """,
            f"""
            CREATE TABLE s3_policy_attachments (
                {_COMMON},
                {_STATUS},
                {_REASON},
                instance UUID NOT NULL REFERENCES s3_instances(uuid),
                "user" UUID NOT NULL REFERENCES s3_users(uuid),
                policy UUID NOT NULL REFERENCES s3_policies(uuid)
            );
            """,
        ]
        # Names are unique within an instance; the API checks first to answer
        # with the field, the indexes hold under concurrent requests.
        for table in ("s3_buckets", "s3_policies", "s3_users"):
            expressions.append(
                f"CREATE UNIQUE INDEX {table}_instance_name_idx "
                f"ON {table} (instance, name);"
            )
        for table in _TABLES[:-1]:
            expressions.append(
                f"CREATE INDEX {table}_project_id_idx ON {table} (project_id);"
            )
        expressions += [
            "CREATE UNIQUE INDEX s3_access_keys_access_key_idx "
            "ON s3_access_keys (access_key);",
            "CREATE UNIQUE INDEX s3_policy_attachments_user_policy_idx "
            'ON s3_policy_attachments ("user", policy);',
        ]
        for expression in expressions:
            session.execute(expression)

    def downgrade(self, session):
        for table in _TABLES:
            self._delete_table_if_exists(session, table)


migration_step = MigrationStep()
