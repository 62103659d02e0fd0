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
"""S3 Tables: a bucket's ``table_bucket`` field (issue 12).

True makes the bucket a table bucket on its gateways (an Iceberg REST
catalog over it, gateway/tables). Existing buckets stay plain buckets.
"""

from restalchemy.storage.sql import migrations


class MigrationStep(migrations.AbstractMigrationStep):
    def __init__(self):
        self._depends = ["0003-exordos-paas-s3-instance-storage-7c41d2.py"]

    @property
    def migration_id(self):
        return "4e9b1f37-d2a8-4c65-b0e1-93f7a25c6d48"

    @property
    def is_manual(self):
        return False

    def upgrade(self, session):
        session.execute(
            "ALTER TABLE s3_buckets "
            "ADD COLUMN table_bucket BOOLEAN NOT NULL DEFAULT FALSE"
        )

    def downgrade(self, session):
        session.execute("ALTER TABLE s3_buckets DROP COLUMN table_bucket")


migration_step = MigrationStep()
