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
"""Handlers, one module per S3 area; ``HANDLERS`` maps each operation to one.

Operations in ``NOT_IMPLEMENTED`` answer 501 NotImplemented explicitly (the
pipeline raises it when an operation has no handler); a unit test checks that
every operation is in exactly one of the two.
"""

from exordos_paas_s3.gateway.handlers import (
    access_control,
    bucket,
    bucket_config,
    cors,
    listing,
    multipart,
    object_lock,
    post_object,
    tagging,
)
from exordos_paas_s3.gateway.handlers import object as object_handlers
from exordos_paas_s3.gateway.operations import Operation

# Each operation has exactly one handler, in the module of its area (a unit
# test checks no two modules claim the same operation).
MODULES = (
    bucket,
    object_handlers,
    listing,
    multipart,
    access_control,
    tagging,
    object_lock,
    cors,
    bucket_config,
    post_object,
)
HANDLERS = {op: fn for module in MODULES for op, fn in module.HANDLERS.items()}

NOT_IMPLEMENTED = frozenset(op for op in Operation if op not in HANDLERS)
