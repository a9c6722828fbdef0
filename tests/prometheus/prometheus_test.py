#!/usr/bin/python3
"""The dashboard against a real Prometheus scraping three real daemons under traffic.

Starts a three-region LocalCluster, a write workload with conflicting keys in every region, a
planned drill, a forged batch on NATS (so rejection metrics exist), and Debian's Prometheus
scraping the three admin listeners every second. Then checks through Prometheus' HTTP API that
every metric name the dashboard uses exists and that every dashboard query returns data.

Usage: prometheus_test.py BUILD_DIR SOURCE_DIR
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from localcluster import LocalCluster, free_port, stop_pid, wait_until  # noqa: E402

BUILD_DIR = SOURCE_DIR = None
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1"]


def prom_query(port, expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.loads(r.read())
    if body.get("status") != "success":
        raise AssertionError(f"query failed: {expr}: {body}")
    return body["data"]["result"]


def nats_publish(port, subject, payload):
    """Publishes one message with the core NATS text protocol (no client library needed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.recv(4096)  # INFO
        s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\n')
        s.sendall(f"PUB {subject} {len(payload)}\r\n".encode() + payload + b"\r\nPING\r\n")
        buf = b""
        while b"PONG" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk


class PrometheusDashboardTest(unittest.TestCase):
    def setUp(self):
        self.cluster = LocalCluster(BUILD_DIR, REGIONS)
        self.prom = None
        self.addCleanup(self.cluster.close)
        self.cluster.start()

    def tearDown(self):
        stop_pid(self.prom)

    def start_prometheus(self):
        port = free_port()
        root = os.path.join(self.cluster.root, "prometheus")
        os.makedirs(root, exist_ok=True)
        targets = ", ".join(f"'{r.admin}'" for r in self.cluster.regions.values())
        config = os.path.join(root, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    f"rule_files: ['{SOURCE_DIR}/dashboards/alerts.yml']\n"
                    "scrape_configs:\n  - job_name: globaltable\n"
                    f"    static_configs:\n      - targets: [{targets}]\n")
        with open(os.path.join(root, "prometheus.log"), "ab") as log:
            self.prom = subprocess.Popen(
                [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={root}/data",
                 f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready",
                                                  timeout=1).status == 200, 30, "Prometheus ready")
        return port

    def test_every_dashboard_query_returns_data(self):
        c = self.cluster
        db = c.client(REGIONS[0])
        db.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        wait_until(lambda: all("orders" in c.client(r).list_tables()["TableNames"]
                               for r in REGIONS), 30, "the table in every region")
        port = self.start_prometheus()

        # Traffic: every region writes the same small key space, so LWW conflicts happen.
        stop = threading.Event()

        def writer(region):
            client = c.client(region)
            i = 0
            while not stop.is_set():
                i += 1
                client.put_item(TableName="orders",
                                Item={"pk": {"S": f"k{i % 20}"}, "by": {"S": region},
                                      "n": {"N": str(i)}})
                client.get_item(TableName="orders", Key={"pk": {"S": f"k{i % 20}"}})
        threads = [threading.Thread(target=writer, args=(r,), daemon=True) for r in REGIONS]
        for t in threads:
            t.start()
        # A forged batch on a region's outbox subject: rejected and dead-lettered, not applied.
        nats_publish(c.nats_port, "gt.us-east-1.outbox.0", b"\x00garbage, not a MutationBatch")
        wait_until(lambda: prom_query(port, "sum(globaltable_conflicts_total) > 0"), 60,
                   "conflicts scraped")
        stop.set()
        for t in threads:
            t.join(timeout=10)
        drill = c.ctl("drill", "planned", "--from", REGIONS[0], "--to", REGIONS[1], "--json")
        self.assertTrue(json.loads(drill.stdout)["success"], drill.stdout + drill.stderr)

        with open(os.path.join(SOURCE_DIR, "dashboards", "globaltable.json")) as f:
            dash = json.load(f)
        names = set()
        exprs = []
        for panel in dash["panels"]:
            for t in panel.get("targets", []):
                expr = t["expr"].replace("$region", ".*").replace("$__rate_interval", "30s")
                exprs.append((panel["title"], expr))
                names.update(re.findall(r"\b(globaltable_[a-z0-9_]+)", t["expr"]))
        def missing_names():
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v1/label/__name__/values", timeout=10) as r:
                exported = set(json.loads(r.read())["data"])
            return sorted(n for n in names if n not in exported)
        try:
            wait_until(lambda: not missing_names(), 30, "every dashboard metric", interval=1)
        except TimeoutError:
            self.fail(f"metric names in the dashboard that no daemon exports: {missing_names()}")

        def all_return_data():
            empty = [(title, e) for title, e in exprs if not prom_query(port, e)]
            self.last_empty = empty
            return not empty
        self.last_empty = []
        try:
            wait_until(all_return_data, 60, "every dashboard query to return data", interval=1)
        except TimeoutError:
            self.fail("dashboard queries with no data:\n" +
                      "\n".join(f"  [{t}] {e}" for t, e in self.last_empty))
        # The alert rules loaded and evaluate against live data.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/rules", timeout=10) as r:
            groups = json.loads(r.read())["data"]["groups"]
        with open(os.path.join(SOURCE_DIR, "dashboards", "alerts.yml")) as f:
            defined = len(re.findall(r"^\s*- alert:", f.read(), re.M))
        self.assertGreater(defined, 0)
        self.assertEqual(sum(len(g["rules"]) for g in groups), defined)
        self.assertTrue(all(rule["health"] == "ok" for g in groups for rule in g["rules"]))


if __name__ == "__main__":
    BUILD_DIR = sys.argv.pop(1)
    SOURCE_DIR = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
