#!/usr/bin/env python3
"""A record a region cannot apply is reported, and the operator can move past it.

A batch that cannot be decoded is set aside in the reader's dead-letter stream. When it is the
origin's only copy of its sequences, every later record of that partition waits behind it. This
test makes that happen on purpose: with us-east-1 stopped, it appends to us-east-1's outbox (on
the real nats-server, through the JetStream API) an undecodable message where the partition's
next batch belongs, then a valid heartbeat batch after it. Then:

  - eu-west-1 reports the partition BLOCKED, naming the outbox message: in /v1/replication, in
    the NOTE column of `globaltablectl status`, in globaltable_replication_blocked_partitions
    and in an ERROR log line; the message is in its dead-letter counters;
  - `globaltablectl skip eu-west-1 us-east-1 0 SEQ` moves the partition past it: the batch held
    behind it applies, the block clears, and the skip is logged.

Usage: blocked_test.py --binary build/bin/globaltabled --ctl build/bin/globaltablectl [--keep]
"""
import argparse
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, run_steps, wait_until  # noqa: E402
from multi_region_test import create_table, put, table_exists, get_value  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PROTO = os.path.join(ROOT, "proto", "globaltable.proto")


class Nats:
    """Just enough of the NATS protocol for JetStream API requests and publishes."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        self._line()  # INFO
        self.sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,'
                          b'"no_responders":true}\r\nSUB _INBOX.test 1\r\n')

    def _line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(65536)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def request(self, subject, payload):
        self.sock.sendall(b"PUB %s _INBOX.test %d\r\n%s\r\n" % (subject.encode(), len(payload),
                                                               payload))
        while True:
            line = self._line()
            if line.startswith(b"PING"):
                self.sock.sendall(b"PONG\r\n")
            elif line.startswith(b"MSG "):
                return self._read(int(line.split()[-1]))
            elif line.startswith(b"HMSG "):
                parts = line.split()
                data = self._read(int(parts[-1]))
                return data[int(parts[-2]):]


def protoc(mode, data):
    tool = shutil.which("protoc")
    assert tool, "protoc not found (protobuf-compiler)"
    out = subprocess.run([tool, f"--{mode}=globaltable.proto.MutationBatch",
                          f"-I{os.path.dirname(PROTO)}", PROTO], input=data,
                         capture_output=True, check=True)
    return out.stdout


def replication_peer(region, source):
    return next(p for p in region.replication()["peers"] if p["region"] == source)


def metric(region, name, source):
    with urllib.request.urlopen(f"http://127.0.0.1:{region.admin_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    m = re.search(rf'^{name}\{{[^}}]*source_region="{source}"[^}}]*\}} (\S+)$', text, re.M)
    return float(m.group(1)) if m else None


def run(cluster, ctl):
    us, eu, _ = cluster.regions
    create_table(us)
    wait_until(lambda: all(table_exists(r) for r in cluster.regions), 30, "table replicated")
    put(us, "before", "x")
    wait_until(lambda: get_value(eu, "before") == "x", 30, "a write replicated")
    # The outbox keeps a message until every reader has acknowledged it: with eu-west-1 cut off,
    # us-east-1's next heartbeats stay there to be read.
    eu.admin_post("/v1/replication/cut", {"cut": True})
    nats = Nats(cluster.nats[0].port)
    stream, subject = "GT_OUTBOX_us-east-1", "gt.us-east-1.outbox.0"

    def last_batch():
        return json.loads(nats.request(f"$JS.API.STREAM.MSG.GET.{stream}",
                                       json.dumps({"last_by_subj": subject}).encode()))
    wait_until(lambda: "message" in last_batch(), 30, "a heartbeat of us-east-1 in its outbox")
    us.kill()
    # The partition's last batch, now that us-east-1 is down.
    last = last_batch()
    text = protoc("decode", base64.b64decode(last["message"]["data"])).decode()
    last_seq = int(re.search(r"^last_sequence: (\d+)$", text, re.M).group(1))
    partitions = int(re.search(r"^origin_partitions: (\d+)$", text, re.M).group(1))
    # Where the batch of last_seq + 1 belongs: bytes nothing can decode.
    ack = json.loads(nats.request(subject, b"\xff\xfe not a mutation batch"))
    bad_seq = ack["seq"]
    # Then the batch after it, valid: a heartbeat at last_seq + 2.
    hlc = int(time.time() * 1000) << 16
    seq = last_seq + 2
    forged = protoc("encode", (
        f'origin_region: 1 origin_name: "us-east-1" partition: 0 first_sequence: {seq} '
        f'last_sequence: {seq} sent_hlc: {hlc} origin_partitions: {partitions} '
        f'mutations {{ kind: HEARTBEAT hlc: {hlc} origin_region: 1 sequence: {seq} '
        f'origin_partitions: {partitions} }}').encode())
    json.loads(nats.request(subject, forged))
    eu.admin_post("/v1/replication/cut", {"cut": False})

    def blocked():
        p = replication_peer(eu, us.name)
        return f"message {bad_seq} of {stream} cannot be applied" in p["blocked"]
    wait_until(blocked, 30, "eu-west-1 reports the partition blocked")
    p = replication_peer(eu, us.name)
    assert p["dead_letters"].get("decode", 0) >= 1, p
    assert metric(eu, "globaltable_replication_blocked_partitions", us.name) == 1
    assert "replication from us-east-1 is blocked" in eu.log_text()
    status = subprocess.run([ctl, "--config", cluster.config_path, "status"],
                            capture_output=True, text=True)
    assert re.search(r"us-east-1 -> eu-west-1 .*BLOCKED: partition 0 stops at sequence "
                     rf"{last_seq}", status.stdout), status.stdout
    # Refused: a skip that goes nowhere, an unknown source, bad numbers.
    for args, code in ((["eu-west-1", "us-east-1", "0", str(last_seq)], 1),
                       (["eu-west-1", "nowhere", "0", str(seq)], 1),
                       (["eu-west-1", "us-east-1", "zero", str(seq)], 2)):
        r = subprocess.run([ctl, "--config", cluster.config_path, "skip"] + args,
                           capture_output=True, text=True)
        assert r.returncode == code, (args, r.returncode, r.stdout, r.stderr)
    assert replication_peer(eu, us.name)["blocked"], "a refused skip changed something"
    # The way forward.
    r = subprocess.run([ctl, "--config", cluster.config_path, "skip", "eu-west-1", "us-east-1",
                        "0", str(last_seq + 1)], capture_output=True, text=True)
    assert r.returncode == 0, (r.stdout, r.stderr)
    wait_until(lambda: not replication_peer(eu, us.name)["blocked"], 30, "the block cleared")
    wait_until(lambda: metric(eu, "globaltable_replication_blocked_partitions", us.name) == 0, 30,
               "the blocked gauge back to 0")
    assert "operator skipped sequences" in eu.log_text()
    # The batch that waited behind the bad one was applied: nothing pending, link healthy.
    wait_until(lambda: replication_peer(eu, us.name)["pending_batches"] == 0, 30,
               "the held batch applied")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    cluster = Cluster(args.binary)
    return run_steps(cluster, [("blocked partition reported and skipped",
                                lambda c: run(c, args.ctl))], keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
