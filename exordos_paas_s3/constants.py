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
"""Names, ports and paths shared by the control plane, the driver and the gateway."""

PAAS_SLUG = "s3"
ELEMENT_NAME = "s3aas"

# Gateway defaults.
GATEWAY_DEFAULT_LISTEN = "127.0.0.1:9000"
GATEWAY_DEFAULT_ADMIN_LISTEN = "127.0.0.1:9001"
GATEWAY_DEFAULT_REGION = "us-east-1"
GATEWAY_ROOT_ACCESS_KEY_ENV = "EXORDOS_S3_ROOT_ACCESS_KEY"
GATEWAY_ROOT_SECRET_KEY_ENV = "EXORDOS_S3_ROOT_SECRET_KEY"
# The keys of an S3 upstream blob store (--blob-store s3), as the root keys.
GATEWAY_UPSTREAM_ACCESS_KEY_ENV = "EXORDOS_S3_UPSTREAM_ACCESS_KEY"
GATEWAY_UPSTREAM_SECRET_KEY_ENV = "EXORDOS_S3_UPSTREAM_SECRET_KEY"

# Where the infra builder writes the gateway config on a data-plane node, and
# where the image mounts the data disk.
GATEWAY_CONFIG_PATH = "/etc/exordos-s3/gateway.conf"
GATEWAY_DATA_DIR = "/var/lib/exordos-s3"
