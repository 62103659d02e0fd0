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
"""Schemathesis hooks of test_cp_schemathesis (loaded by ``st`` through
SCHEMATHESIS_HOOKS; the test passes the secrets in CP_ST_SECRETS, separated
by commas): ``no_secret_in_answer`` fails a response that carries any of
them (the instance's root secret, the secret of its access key).
"""

import json
import os

import schemathesis

_SECRETS = [s for s in os.environ.get("CP_ST_SECRETS", "").split(",") if s]


@schemathesis.check
def no_secret_in_answer(ctx, response, case):
    """No secret of the instance in an answer's body or headers."""
    headers = json.dumps(dict(response.headers))
    body = response.content or b""
    for secret in _SECRETS:
        if secret.encode() in body or secret in headers:
            raise AssertionError(
                f"a secret ({secret[:4]}...) is in the answer to "
                f"{case.method} {case.formatted_path}"
            )
