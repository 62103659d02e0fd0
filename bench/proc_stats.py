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
"""Process plumbing for benchmarks: ports, process trees, CPU time from /proc."""

import os
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                "server exited with %s before listening" % proc.returncode
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server on port %d did not start in %ss" % (port, timeout))


def tree_pids(pid):
    """The pid and all its descendants: servers such as granian fork workers."""
    out = [pid]
    i = 0
    while i < len(out):
        try:
            for task in os.listdir("/proc/%d/task" % out[i]):
                with open("/proc/%d/task/%s/children" % (out[i], task)) as f:
                    out.extend(int(p) for p in f.read().split())
        except OSError:
            pass
        i += 1
    return out


def cpu_seconds(pid):
    """utime+stime of the whole process tree (all threads), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree_pids(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                # the command name may hold spaces: fields start after ")"
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / tick


def start_pinned(argv, core, env=None, cwd=None, log=None):
    """Start argv pinned to one CPU core, in its own session for clean stops."""
    cmd = ["taskset", "-c", str(core)] + list(argv)
    return subprocess.Popen(
        cmd,
        env=env,
        cwd=cwd,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(proc, timeout=10.0):
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
