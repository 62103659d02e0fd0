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
"""Where an instance's gateways keep bytes and index (issue 11, item 8).

``blob_store`` (local|s3) with the S3 upstream's endpoint, bucket, region and
keys, ``index_url`` (sqlite|postgresql://…) with its password. The two
secrets are stored sealed (``secret_box``), like the root secret. Existing
instances keep each node's disk and SQLite index.
"""

from restalchemy.storage.sql import migrations


class MigrationStep(migrations.AbstractMigrationStep):
    def __init__(self):
        self._depends = ["0002-exordos-paas-s3-seed-fields-02df65.py"]

    @property
    def migration_id(self):
        return "7c41d2e8-3b6a-4f09-9d2e-51a8c0f4b6e3"

    @property
    def is_manual(self):
        return False

    def upgrade(self, session):
        session.execute(
            "ALTER TABLE s3_instances "
            "ADD COLUMN blob_store VARCHAR(8) NOT NULL DEFAULT 'local', "
            "ADD COLUMN upstream_endpoint VARCHAR(1024) NULL, "
            "ADD COLUMN upstream_bucket VARCHAR(63) NULL, "
            "ADD COLUMN upstream_region VARCHAR(64) NULL, "
            "ADD COLUMN upstream_access_key VARCHAR(128) NULL, "
            "ADD COLUMN upstream_secret_key VARCHAR(1024) NULL, "
            "ADD COLUMN index_url VARCHAR(1024) NOT NULL DEFAULT 'sqlite', "
            "ADD COLUMN index_password VARCHAR(1024) NULL"
        )

    def downgrade(self, session):
        session.execute(
            "ALTER TABLE s3_instances "
            "DROP COLUMN blob_store, DROP COLUMN upstream_endpoint, "
            "DROP COLUMN upstream_bucket, DROP COLUMN upstream_region, "
            "DROP COLUMN upstream_access_key, DROP COLUMN upstream_secret_key, "
            "DROP COLUMN index_url, DROP COLUMN index_password"
        )


migration_step = MigrationStep()
