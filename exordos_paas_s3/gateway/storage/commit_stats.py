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
"""Index group-commit figures, kept by the writer thread for /metrics.

Plain integers updated by the one thread that commits; a scrape reads them
from another thread, where a figure one commit old is fine.
"""

from __future__ import annotations

import bisect

LATENCY_BOUNDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
BATCH_BOUNDS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class CommitStats:
    """Commit latency and batch size histograms (counts per bucket, the
    last one +Inf) with their sums."""

    def __init__(self) -> None:
        self.latency = [0] * (len(LATENCY_BOUNDS) + 1)
        self.batches = [0] * (len(BATCH_BOUNDS) + 1)
        self.seconds = 0.0
        self.jobs = 0
        self.commits = 0

    def observe(self, jobs: int, seconds: float) -> None:
        self.latency[bisect.bisect_left(LATENCY_BOUNDS, seconds)] += 1
        self.batches[bisect.bisect_left(BATCH_BOUNDS, jobs)] += 1
        self.seconds += seconds
        self.jobs += jobs
        self.commits += 1
