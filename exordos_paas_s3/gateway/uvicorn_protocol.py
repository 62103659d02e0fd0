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
"""uvicorn's httptools protocol, answering a request before the garbage after it.

A client that sends more bytes than its Content-Length (ceph/s3-tests
test_object_create_bad_contentlength_mismatch_below_aws2) has a complete
request on the wire followed by bytes that cannot start the next one. Stock
uvicorn answers "400 Invalid HTTP request" and closes the connection as soon
as it parses those bytes, which is while the gateway is still working on the
complete request: the client never sees the gateway's answer (BadDigest, or
the 200 of an object that *was* stored). Here the 400 waits until the
request in flight has been answered, as S3 does: the client reads the real
answer, then the connection closes.
"""

from __future__ import annotations

import logging

from uvicorn.protocols.http import httptools_impl

LOG = logging.getLogger(__name__)


class HttpToolsProtocol(httptools_impl.HttpToolsProtocol):
    _deferred_400: str | None = None

    def _request_body_complete(self) -> bool:
        cycle = self.cycle
        return (
            cycle is not None
            and not cycle.response_complete
            and not cycle.more_body
            and not self.pipeline
        )

    def send_400_response(self, msg: str) -> None:
        if self._deferred_400 is None and self._request_body_complete():
            # The request in flight has all its body: let it answer first and
            # read nothing more from this connection.
            self._deferred_400 = msg
            self.flow.pause_reading()
            return
        super().send_400_response(msg)

    def data_received(self, data: bytes) -> None:
        if self._deferred_400 is not None:
            return  # the connection closes once the answer is out
        super().data_received(data)

    def on_response_complete(self) -> None:
        msg = self._deferred_400
        if msg is None:
            super().on_response_complete()
            return
        self._deferred_400 = None
        self.server_state.total_requests += 1
        if not self.transport.is_closing():
            super().send_400_response(msg)
