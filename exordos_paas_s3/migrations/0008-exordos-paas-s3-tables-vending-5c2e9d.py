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
"""S3 Tables credential vending per instance (issue 12): ``tables_vending``,
false for existing instances (their gateways keep not vending)."""

from restalchemy.storage.sql import migrations


class MigrationStep(migrations.AbstractMigrationStep):
    def __init__(self):
        self._depends = ["0007-exordos-paas-s3-sse-master-key-a83f5c.py"]

    @property
    def migration_id(self):
        return "5c2e9d4b-1f7a-4e36-9b08-7d3a6c1e5f92"

    @property
    def is_manual(self):
        return False

    def upgrade(self, session):
        session.execute(
            "ALTER TABLE s3_instances "
            "ADD COLUMN tables_vending BOOLEAN NOT NULL DEFAULT FALSE"
        )

    def downgrade(self, session):
        session.execute("ALTER TABLE s3_instances DROP COLUMN tables_vending")


migration_step = MigrationStep()
