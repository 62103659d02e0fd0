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
"""A random gateway root access key per instance.

It used to be derived from the instance uuid (``EXS3ROOT`` + 12 hex digits),
which made the uuid half of the root credentials. Existing instances get a
random one here. Every instance is marked changed (``updated_at``) so the
builders rebuild its nodes' documents at once: the gateways get the new key,
and the secrets in ``ua_target_resources`` and the gateway configs, once in
clear, are replaced by values sealed to each node (decision 0007).
"""

from restalchemy.storage.sql import migrations


class MigrationStep(migrations.AbstractMigrationStep):
    def __init__(self):
        self._depends = ["0000-exordos-paas-s3-init-921627.py"]

    @property
    def migration_id(self):
        return "5b1e07d4-3a9c-4f0e-9a51-2f7c1d8e6b30"

    @property
    def is_manual(self):
        return False

    def upgrade(self, session):
        session.execute(
            "ALTER TABLE s3_instances "
            "ADD COLUMN root_access_key VARCHAR(128) NOT NULL DEFAULT ''"
        )
        # 16 characters of [A-Z0-9] from gen_random_uuid() (PostgreSQL 13+).
        session.execute(
            "UPDATE s3_instances SET root_access_key = 'EXS3' || "
            "upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 16)) "
            "WHERE root_access_key = ''"
        )
        session.execute("UPDATE s3_instances SET updated_at = now()")

    def downgrade(self, session):
        session.execute("ALTER TABLE s3_instances DROP COLUMN root_access_key")


migration_step = MigrationStep()
