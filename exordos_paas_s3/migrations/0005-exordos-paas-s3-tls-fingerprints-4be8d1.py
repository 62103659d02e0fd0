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
"""The SHA-256 fingerprints of the nodes' TLS certificates (issue 13):
``{node uuid: "AB:CD:..."}``, read-only, filled in by the PaaS builder from
the node reports so clients can pin the certificates."""

from restalchemy.storage.sql import migrations


class MigrationStep(migrations.AbstractMigrationStep):
    def __init__(self):
        self._depends = ["0004-exordos-paas-s3-table-bucket-4e9b1f.py"]

    @property
    def migration_id(self):
        return "4be8d1a2-6c3f-4e7b-8a90-2d5f1c7e9b34"

    @property
    def is_manual(self):
        return False

    def upgrade(self, session):
        session.execute(
            "ALTER TABLE s3_instances "
            "ADD COLUMN tls_fingerprints JSONB NOT NULL DEFAULT '{}'"
        )

    def downgrade(self, session):
        session.execute("ALTER TABLE s3_instances DROP COLUMN tls_fingerprints")


migration_step = MigrationStep()
