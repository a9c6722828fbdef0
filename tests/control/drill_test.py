#!/usr/bin/python3
"""Failover drills end to end: three real daemons and nats-server, a boto3 write workload, and
globaltablectl's planned and unplanned drills with --json reports.

Usage: drill_test.py BUILD_DIR
"""
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from localcluster import LocalCluster  # noqa: E402

BUILD_DIR = None
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1"]
WORKLOAD = os.path.join(HERE, "..", "..", "scripts", "workload.py")


class DrillTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = LocalCluster(BUILD_DIR, REGIONS)
        try:
            cls.cluster.start()
            cls.cluster.client(REGIONS[0]).create_table(
                TableName="orders", BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
            cls.cluster.wait_until(
                lambda: all("orders" in cls.cluster.client(r).list_tables()["TableNames"]
                            for r in REGIONS), 30, "orders in every region")
        except Exception:
            cls.cluster.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def start_workload(self, regions, seconds):
        c = self.cluster
        before = sum(c.status(regions[0])["changelog"])
        proc = subprocess.Popen(
            ["/usr/bin/python3", WORKLOAD, "--table", "orders", "--seconds", str(seconds),
             "--rate", "100", "--keys", "50", "--quiet",
             *[f"--endpoint={n}={c.regions[n].endpoint}" for n in regions]],
            stdout=subprocess.PIPE, text=True)
        self.addCleanup(proc.kill)
        # The drill starts once writes are landing.
        c.wait_until(lambda: sum(c.status(regions[0])["changelog"]) >= before + 30, 30,
                   "the workload's writes")
        return proc

    def test_planned_drill_under_write_load(self):
        load = self.start_workload([REGIONS[0]], seconds=6)
        p = self.cluster.ctl("drill", "planned", "--from", REGIONS[0], "--to", REGIONS[1],
                             "--json")
        report = json.loads(p.stdout)
        self.assertTrue(report["success"], p.stdout + p.stderr)
        self.assertEqual(report["rpo_mutations"], 0)
        self.assertTrue(report["converged"])
        self.assertGreater(report["rto_seconds"], 0)
        digests = report["digests"][0]
        self.assertTrue(digests["equal"])
        self.assertEqual(len({d["digest"] for d in digests["regions"].values()}), 1)
        self.assertIn("fencing us-east-1", p.stderr)  # progress is shown
        self.assertEqual(self.cluster.status(REGIONS[0])["mode"], "active")  # unfenced after
        load.wait(timeout=60)
        summary = json.loads(load.stdout.read().strip().splitlines()[-1])
        self.assertGreater(summary["acked"][REGIONS[0]], 0)
        # Recorded in every region's history and shown by status.
        for r in REGIONS:
            self.assertEqual(self.cluster.status(r)["drills"][0]["kind"], "planned")
        self.assertIn("DRILL HISTORY", self.cluster.ctl("status").stdout)

    def test_unplanned_drill_reports_risk_and_converges(self):
        load = self.start_workload(REGIONS, seconds=8)
        p = self.cluster.ctl("drill", "unplanned", "--region", REGIONS[0], "--outage", "2",
                             "--json")
        report = json.loads(p.stdout)
        self.assertTrue(report["success"], p.stdout + p.stderr)
        self.assertTrue(report["converged"])
        self.assertIn("writes_at_risk", report)
        self.assertEqual(report["rpo_mutations"], report["writes_at_risk"])
        self.assertIn("writes acknowledged in us-east-1 were not replicated at the cut", p.stderr)
        self.assertIn("healing us-east-1", p.stderr)
        self.assertFalse(self.cluster.status(REGIONS[0])["cut"])
        load.wait(timeout=60)
        self.cluster.wait_until(lambda: self.cluster.digests_equal("orders"), 60,
                                "equal digests after load")
        text = self.cluster.ctl("status").stdout
        self.assertIn("unplanned", text)


if __name__ == "__main__":
    BUILD_DIR = sys.argv.pop(1)
    unittest.main(verbosity=2)
