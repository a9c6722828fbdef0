#!/usr/bin/python3
"""A full disk under load: globaltabled refuses writes with a retryable error, keeps serving
reads, health and metrics, reports it, and writes again by itself once space is freed.

Usage: disk_full_test.py --binary build/bin/globaltabled [--ctl build/bin/globaltablectl]

The store lives on a small tmpfs (mounted here, as root) that a filler file leaves with a few
MiB free. Several client threads write over HTTP keep-alive until the disk is full; every
acknowledged write is recorded. Then the test checks the daemon is alive and answering, that the
refusals are 503 ServiceUnavailable, that /metrics, /v1/status and `globaltablectl status` say
the disk is full, deletes the filler, waits (bounded) for writes to succeed again without any
operator action, and reads back every acknowledged write, also after a kill -9 and a restart.

Exits 77 (ctest: skipped) with a message where the machine refuses to mount a tmpfs.
"""
import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon, wait_until  # noqa: E402

SKIP = 77
DISK_MB = 64
HEADROOM = 4 << 20          # what the filler leaves free for the store
VALUE_BYTES = 8 << 10       # per item: fills the headroom in a few seconds
THREADS = 4
TABLE = "diskfull"
RESUME_BOUND_S = 60         # writes succeed again within this long after space is freed


def mount_tmpfs(path):
    """Mounts a DISK_MB tmpfs at path; returns None, or why it cannot."""
    if os.geteuid() != 0:
        return "not root"
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return (r.stderr or r.stdout).strip() or f"mount exited with {r.returncode}"
    return None


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


class Client:
    """One keep-alive HTTP connection to the DynamoDB API (no SDK retries hide anything)."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def call(self, operation, body):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request("POST", "/", body=json.dumps(body), headers={
                    "X-Amz-Target": "DynamoDB_20120810." + operation,
                    "Content-Type": "application/x-amz-json-1.0"})
                r = self.conn.getresponse()
                data = r.read()
                return r.status, json.loads(data) if data else {}
            except (http.client.HTTPException, ConnectionError, OSError):
                # A connection the server closed between requests: one fresh try. A request
                # that got no answer is not counted as acknowledged either way.
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def value_for(key):
    return hashlib.sha256(key.encode()).hexdigest() * (VALUE_BYTES // 64)


class Writers:
    """THREADS threads putting new items until stopped; records every acknowledged key."""

    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.acked = set()
        self.refused = []          # (http status, __type, message) of every refused put
        self.other_errors = []     # exceptions: connection loss, timeouts
        self.stop_event = threading.Event()
        self.threads = []
        self.round = 0

    def start(self):
        self.round += 1
        self.stop_event.clear()
        self.threads = [threading.Thread(target=self._run, args=(t,)) for t in range(THREADS)]
        for t in self.threads:
            t.start()

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in self.threads), "a writer thread hung"

    def _run(self, tid):
        c = Client(self.port)
        n = 0
        while not self.stop_event.is_set():
            n += 1
            key = f"r{self.round}-t{tid}-{n}"
            try:
                status, body = c.call("PutItem", {"TableName": TABLE, "Item": {
                    "pk": {"S": key}, "v": {"S": value_for(key)}}})
            except Exception as e:  # noqa: BLE001 - recorded and asserted on
                with self.lock:
                    self.other_errors.append(repr(e))
                time.sleep(0.05)
                continue
            with self.lock:
                if status == 200:
                    self.acked.add(key)
                else:
                    self.refused.append((status, body.get("__type", ""), body.get("message", "")))
            if status != 200:
                time.sleep(0.01)  # refused: do not spin
        c.close()

    def counts(self):
        with self.lock:
            return len(self.acked), len(self.refused)


def read_back(port, keys):
    """Every key reads back with its value; returns the keys that did not."""
    c = Client(port)
    missing = []
    for key in sorted(keys):
        status, body = c.call("GetItem", {"TableName": TABLE, "Key": {"pk": {"S": key}},
                                          "ConsistentRead": True})
        if status != 200 or body.get("Item", {}).get("v", {}).get("S") != value_for(key):
            missing.append((key, status, str(body)[:120]))
    c.close()
    return missing


def fill(disk, filler):
    """Leaves the store HEADROOM bytes: a filler file takes the rest of the tmpfs."""
    with open(filler, "wb") as f:
        chunk = b"\0" * (1 << 20)
        while free_bytes(disk) > HEADROOM + len(chunk):
            f.write(chunk)
            f.flush()
    print(f"filler {os.path.getsize(filler) >> 20} MiB, {free_bytes(disk) >> 10} KiB free")


def metric(text, name):
    m = re.search(r"^" + re.escape(name) + r"(?:\{[^}]*\})? ([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else None


def check(cond, message):
    if not cond:
        raise AssertionError(message)


def run(args, base):
    disk = os.path.join(base, "disk")
    os.makedirs(disk)
    why = mount_tmpfs(disk)
    if why is not None:
        print(f"SKIP: cannot mount a {DISK_MB} MiB tmpfs for a full disk ({why})")
        return SKIP
    daemon = None
    active_writers = []
    try:
        daemon = Daemon(args.binary, region="us-east-1",
                        extra_args=["--ttl-interval-s", "1"])
        daemon.store_dir = os.path.join(disk, "store")
        daemon.start()
        c = Client(daemon.api_port)
        status, body = c.call("CreateTable", {
            "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
        check(status == 200, f"CreateTable: {status} {body}")

        filler = os.path.join(disk, "filler")
        fill(disk, filler)

        writers = Writers(daemon.api_port)
        active_writers.append(writers)
        t0 = time.monotonic()
        writers.start()
        # Until the disk is full: every thread is being refused.
        def refused_everywhere(before=0):
            check(daemon.proc.poll() is None, "globaltabled died on a full disk:\n" +
                  daemon.log_text()[-3000:])
            return writers.counts()[1] >= before + 50 * THREADS
        try:
            wait_until(refused_everywhere, 120, "writes to be refused")
        finally:
            full_after = time.monotonic() - t0
            print(f"after {full_after:.1f}s: (acked, refused) {writers.counts()}, "
                  f"{len(writers.other_errors)} connection errors, "
                  f"{free_bytes(disk) >> 10} KiB free")
        acked_before_full, _ = writers.counts()
        print(f"disk full after {full_after:.1f}s and {acked_before_full} acknowledged puts")

        # The daemon lives and answers while the writers keep being refused.
        for _ in range(3):
            check(daemon.proc.poll() is None, "globaltabled died on a full disk:\n" +
                  daemon.log_text()[-3000:])
            check(daemon.get_json("/healthz")["status"] == "ok", "/healthz")
            metrics = daemon.get_text("/metrics")
            check(metric(metrics, "globaltable_store_writable") == 0,
                  "globaltable_store_writable is not 0 on a full disk")
            check((metric(metrics, "globaltable_store_disk_full_errors_total") or 0) > 0,
                  "globaltable_store_disk_full_errors_total did not count")
            st = daemon.get_json("/v1/status")
            check(st.get("storage", {}).get("writable") is False and
                  "disk is full" in st["storage"].get("reason", ""),
                  f"/v1/status storage: {st.get('storage')}")
            some = sorted(writers.acked)[:20]
            check(not read_back(daemon.api_port, some), "reads fail on a full disk")
            time.sleep(0.2)

        # Refusals are DynamoDB's retryable 503 ServiceUnavailable, worded for the operator.
        with writers.lock:
            refused = list(writers.refused)
            other = list(writers.other_errors)
        check(not other, f"writers lost connections: {other[:5]}")
        kinds = {(s, t) for s, t, _ in refused}
        check(kinds == {(503, "com.amazonaws.dynamodb.v20120810#ServiceUnavailable")},
              f"refusals were {kinds}")
        check(all("disk is full" in m for _, _, m in refused),
              f"refusal message: {refused[0][2]}")
        print(f"refused: {refused[0][2]}")

        # globaltablectl status shows it in its NOTE column.
        if args.ctl:
            deploy = os.path.join(base, "deployment.yaml")
            with open(deploy, "w") as f:
                f.write("regions:\n  - name: us-east-1\n    id: 1\n"
                        f"    api: 127.0.0.1:{daemon.api_port}\n"
                        f"    admin: 127.0.0.1:{daemon.admin_port}\n"
                        f"    data_dir: {daemon.store_dir}\n")
            out = subprocess.run([args.ctl, "--config", deploy, "status"], capture_output=True,
                                 text=True, timeout=30)
            check("DISK FULL" in out.stdout, f"globaltablectl status:\n{out.stdout}{out.stderr}")
            print(out.stdout.splitlines()[1])

        # Free the space: writes resume by themselves.
        os.unlink(filler)
        freed = time.monotonic()
        probe = Client(daemon.api_port)

        def writes_again():
            s, _ = probe.call("PutItem", {"TableName": TABLE, "Item": {
                "pk": {"S": "probe"}, "v": {"S": value_for("probe")}}})
            if s == 200:
                with writers.lock:
                    writers.acked.add("probe")
            return s == 200
        wait_until(writes_again, RESUME_BOUND_S, "writes to resume after space was freed")
        resumed_after = time.monotonic() - freed
        print(f"writes resumed {resumed_after:.1f}s after space was freed")
        writers.stop()
        check(daemon.get_json("/v1/status")["storage"]["writable"] is True, "status still full")
        check(metric(daemon.get_text("/metrics"), "globaltable_store_writable") == 1,
              "globaltable_store_writable is not back to 1")

        # More writes, all accepted now.
        refused_before = writers.counts()[1]
        writers.start()
        wait_until(lambda: writers.counts()[0] >= acked_before_full + 200, 60, "more puts")
        writers.stop()
        check(writers.counts()[1] == refused_before, "writes refused after the space came back")

        acked = set(writers.acked)
        missing = read_back(daemon.api_port, acked)
        check(not missing, f"{len(missing)} acknowledged writes lost: {missing[:5]}")
        print(f"{len(acked)} acknowledged writes read back")

        # Full again, and a clean stop (SIGTERM) while full: the daemon exits 0 (closing the
        # store must not try the memtable flush that needs the full disk).
        fill(disk, filler)
        refused_before = writers.counts()[1]
        writers.start()
        wait_until(lambda: refused_everywhere(refused_before), 120,
                   "writes to be refused again")
        writers.stop()
        check(daemon.get_json("/v1/status")["storage"]["writable"] is False, "status not full")
        rc = daemon.stop(signal.SIGTERM, timeout=30)
        check(rc == 0, f"globaltabled exited with {rc} on SIGTERM with a full disk:\n" +
              daemon.log_text()[-3000:])
        os.unlink(filler)
        daemon.start()
        acked = set(writers.acked)
        missing = read_back(daemon.api_port, acked)
        check(not missing, f"{len(missing)} acknowledged writes lost after a stop on a full "
              f"disk: {missing[:5]}")
        print(f"{len(acked)} acknowledged writes read back after SIGTERM on a full disk")

        # kill -9 and restart on the same store: still every acknowledged write.
        check(daemon.proc.poll() is None, "globaltabled died")
        daemon.stop(signal.SIGKILL)
        daemon.start()
        missing = read_back(daemon.api_port, acked)
        check(not missing, f"{len(missing)} acknowledged writes lost after kill -9: "
              f"{missing[:5]}")
        print(f"{len(acked)} acknowledged writes read back after kill -9 and restart")
        log = daemon.log_text()
        check("Assertion" not in log, "an assertion fired:\n" + log[-3000:])
        errors = [line for line in log.splitlines() if "disk is full" in line]
        check(errors, "no ERROR line about the full disk in the log")
        # Two episodes of a few seconds each: a line or two per source, not one per refused
        # request or per tick.
        sources = {}
        for line in errors:
            m = re.search(r" (\S+:\d+)\] ", line)
            sources.setdefault(m.group(1) if m else "?", []).append(line)
        noisy = {k: len(v) for k, v in sources.items() if len(v) > 3}
        check(not noisy, f"log lines about the full disk not rate-limited: {noisy}:\n" +
              "\n".join(v[0][:300] for v in sources.values()))
        return 0
    finally:
        for w in active_writers:
            w.stop_event.set()
        if daemon is not None:
            daemon.cleanup()
        subprocess.run(["umount", disk], check=False)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--ctl")
    args = p.parse_args()
    base = tempfile.mkdtemp(prefix="gt-diskfull-")
    try:
        rc = run(args, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if rc == 0:
        print("OK")
    return rc


if __name__ == "__main__":
    sys.exit(main())
