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
"""The SSE master key every gateway of an instance shares (decision 0020),
stored sealed (``secret_box``) like the root secret. Made when an instance
is created; existing instances keep each node's own key file (NULL here:
the builder writes no key and the gateways go on as before)."""

from restalchemy.storage.sql import migrations


class MigrationStep(migrations.AbstractMigrationStep):
    def __init__(self):
        self._depends = ["0006-exordos-paas-s3-compression-b83e5f.py"]

    @property
    def migration_id(self):
        return "a83f5c17-2d4e-4b9a-8c61-7e0f3b2d9a45"

    @property
    def is_manual(self):
        return False

    def upgrade(self, session):
        session.execute(
            "ALTER TABLE s3_instances ADD COLUMN sse_master_key VARCHAR(1024) NULL"
        )

    def downgrade(self, session):
        session.execute("ALTER TABLE s3_instances DROP COLUMN sse_master_key")


migration_step = MigrationStep()
