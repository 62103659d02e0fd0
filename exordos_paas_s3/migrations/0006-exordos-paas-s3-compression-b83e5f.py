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
"""Transparent compression (issue 14): the instance's default for its
buckets (``none`` or ``zstd``) and each bucket's own setting (NULL: the
instance's). Existing instances and buckets keep storing data as is.
"""

from restalchemy.storage.sql import migrations


class MigrationStep(migrations.AbstractMigrationStep):
    def __init__(self):
        self._depends = ["0005-exordos-paas-s3-tls-fingerprints-4be8d1.py"]

    @property
    def migration_id(self):
        return "b83e5f17-6d2c-4a91-8e05-3f7c9a1d2e64"

    @property
    def is_manual(self):
        return False

    def upgrade(self, session):
        session.execute(
            "ALTER TABLE s3_instances "
            "ADD COLUMN compression VARCHAR(16) NOT NULL DEFAULT 'none'"
        )
        session.execute(
            "ALTER TABLE s3_buckets "
            "ADD COLUMN compression VARCHAR(16) NULL DEFAULT NULL"
        )

    def downgrade(self, session):
        session.execute("ALTER TABLE s3_buckets DROP COLUMN compression")
        session.execute("ALTER TABLE s3_instances DROP COLUMN compression")


migration_step = MigrationStep()
