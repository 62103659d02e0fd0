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
"""The instance fields of the original product's contract (seed README).

``encryption`` and ``versioning`` are the defaults of the instance's buckets
(the default encryption is applied to every bucket of the instance on its
gateways; versioning is what a new bucket gets when it does not say),
``mfa_delete`` is kept false (MFA is not implemented, so true is refused), and
``nodes`` is what the infra builder reports of the data-plane nodes.
Existing instances keep their behaviour: no default encryption, no versioning.
"""

from restalchemy.storage.sql import migrations


class MigrationStep(migrations.AbstractMigrationStep):
    def __init__(self):
        self._depends = ["0001-exordos-paas-s3-root-key-5b1e07.py"]

    @property
    def migration_id(self):
        return "02df65a1-7c3e-4b52-8f16-9d0e4a6b2c71"

    @property
    def is_manual(self):
        return False

    def upgrade(self, session):
        session.execute(
            "ALTER TABLE s3_instances "
            "ADD COLUMN encryption VARCHAR(16) NOT NULL DEFAULT 'none', "
            "ADD COLUMN versioning BOOLEAN NOT NULL DEFAULT FALSE, "
            "ADD COLUMN mfa_delete BOOLEAN NOT NULL DEFAULT FALSE, "
            "ADD COLUMN nodes JSONB NOT NULL DEFAULT '[]'"
        )

    def downgrade(self, session):
        session.execute(
            "ALTER TABLE s3_instances "
            "DROP COLUMN encryption, DROP COLUMN versioning, "
            "DROP COLUMN mfa_delete, DROP COLUMN nodes"
        )


migration_step = MigrationStep()
