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
"""Our expected-failures list for ceph/s3-tests, against one run's results.

  expected_failures.py compare OUT_DIR   # new failures / now passing
  expected_failures.py update OUT_DIR    # rewrite the list from the run
  expected_failures.py --root-main compare OUT_DIR   # a MAIN_IS_ROOT=1 run

OUT_DIR is a run.sh output folder (summary.json, pytest.log). The list holds
one test name per line, then a short reason: the first error line of the test
in pytest.log, or a better one written by hand, which ``update`` keeps while
the test still fails. Lines starting with "#" are comments.

A run with the gateway's root as the suite's main user (``MAIN_IS_ROOT=1``)
is held to the same list plus ``expected-failures-root.txt``: the tests that
fail only with root as main and cannot pass for a reason inherent to root
(each with that reason). ``update --root-main`` writes only that second list.
"""

import argparse
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LIST = os.path.join(HERE, "expected-failures.txt")
ROOT_LIST = os.path.join(HERE, "expected-failures-root.txt")

# Turn the suite's first error line into a short, stable reason.
REASONS = [
    (r"\((\w+)\) when calling the (\w+) operation: \2 is not implemented", r"\2: 501"),
    (r"canned ACL '([\w-]+)' is not implemented", r"canned ACL \1: 501"),
    (r"header (x-amz-[\w-]+) is not implemented", r"header \1: 501"),
    (
        r"BucketNotEmpty\) when calling the DeleteBucket",
        "DeleteBucket refused while multipart uploads are pending",
    ),
    (
        r"NoSuchUpload\) when calling the CompleteMultipartUpload",
        "repeated CompleteMultipartUpload answers NoSuchUpload",
    ),
    (r"\((\w+)\) when calling the (\w+) operation: (.*)", r"\2 -> \1: \3"),
    (r"assert 501 == (\d+)", r"501 NotImplemented where S3 answers \1"),
]


def reason_of(line):
    for rx, repl in REASONS:
        m = re.search(rx, line)
        if m:
            return m.expand(repl)[:110]
    return line[:110] or "?"


def first_errors(log_text):
    """Test name -> first "E " line of its failure or error section."""
    out = {}
    parts = re.split(r"\n_{3,} (.+?) _{3,}\n", log_text)
    for i in range(1, len(parts), 2):
        name = re.sub(r"^ERROR at (setup|teardown) of ", "", parts[i]).strip()
        errs = [ln[4:] for ln in parts[i + 1].splitlines() if ln.startswith("E ")]
        if errs and name not in out:
            out[name] = errs[0].strip()
    return out


def load_run(out_dir):
    with open(os.path.join(out_dir, "summary.json")) as f:
        tests = json.load(f)["tests"]
    try:
        with open(os.path.join(out_dir, "pytest.log"), errors="replace") as f:
            errors = first_errors(f.read())
    except OSError:
        errors = {}
    failing, ran, area = {}, set(), {}
    for nodeid, t in tests.items():
        name = nodeid.split("::", 1)[1]
        area[name] = t["area"]
        if t["outcome"] != "not_run":
            ran.add(name)
        if t["outcome"] in ("failed", "error"):
            failing[name] = reason_of(errors.get(name, ""))
    return failing, ran, area


def load_list(path=LIST):
    expected = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    name, _, why = line.partition(" ")
                    expected[name] = why.strip()
    return expected


def compare(out_dir, root_main=False):
    failing, ran, _area = load_run(out_dir)
    expected = load_list()
    if root_main:
        expected.update(load_list(ROOT_LIST))
    new = sorted(set(failing) - set(expected))
    fixed = sorted(t for t in expected if t in ran and t not in failing)
    print(
        "expected failures: %d; failing now: %d; unexpected failures: %d; "
        "expected but passing: %d" % (len(expected), len(failing), len(new), len(fixed))
    )
    for t in new:
        print("  UNEXPECTED FAIL %s  (%s)" % (t, failing[t]))
    for t in fixed:
        print("  NOW PASSES      %s  (remove it from the expected failures)" % t)
    return 1 if new else 0


def update(out_dir, root_main=False):
    failing, _ran, area = load_run(out_dir)
    path = ROOT_LIST if root_main else LIST
    if root_main:
        # only what fails with root as main and not with ordinary users
        base = load_list()
        failing = {k: v for k, v in failing.items() if k not in base}
    # a reason someone wrote by hand says more than the first error line
    curated = load_list(path)
    by_area = collections.defaultdict(list)
    for name, why in failing.items():
        by_area[area[name]].append((name, curated.get(name) or why))
    with open(path, "w") as f:
        if root_main:
            f.write(
                "# ceph/s3-tests (commit 8f0ae7b, profile s3), MAIN_IS_ROOT=1: tests\n"
                "# that fail only with the gateway's root as the main user, each\n"
                "# with the reason it is inherent to root; fix, do not grow.\n"
            )
        else:
            f.write(
                "# ceph/s3-tests (commit 8f0ae7b, profile s3): tests we fail today.\n"
                "# One test per line, then the reason seen in the run. Regenerate "
                "with\n"
                "# UPDATE_EXPECTED=1 run_s3tests.sh after a full run; fix, do not "
                "grow.\n"
            )
        for a in sorted(by_area):
            f.write("\n# %s\n" % a)
            for name, why in sorted(by_area[a]):
                f.write("%s %s\n" % (name, why))
    print("wrote %d expected failures to %s" % (len(failing), path))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--root-main",
        action="store_true",
        help="the run had the gateway's root as main (MAIN_IS_ROOT=1)",
    )
    p.add_argument("action", choices=["compare", "update"])
    p.add_argument("out_dir")
    a = p.parse_args(argv)
    if a.action == "compare":
        return compare(a.out_dir, a.root_main)
    return update(a.out_dir, a.root_main)


if __name__ == "__main__":
    sys.exit(main())
