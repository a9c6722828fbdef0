#!/usr/bin/python3
"""Failover controls end to end: write modes, single-primary tables, globaltablectl errors and
drill history, against real daemons driven by boto3 and globaltablectl.

Usage: control_test.py BUILD_DIR [unittest args]
"""
import json
import os
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from localcluster import LocalCluster  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

BUILD_DIR = None
R1, R2 = "us-east-1", "eu-west-1"


def S(v):
    return {"S": v}


class ControlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = LocalCluster(BUILD_DIR, [R1, R2])
        try:
            cls.cluster.start()
        except Exception:
            cls.cluster.close()
            raise
        cls.db = cls.cluster.client(R1)
        cls.db.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}])
        cls.db.put_item(TableName="orders", Item={"pk": S("a"), "sk": S("1"), "v": S("kept")})
        cls.cluster.wait_until(lambda: cls.cluster.digests_equal("orders"), 30,
                               "orders replicated")

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def tearDown(self):
        self.cluster.ctl("unfence", R1, check=False)

    def assertWriteRejected(self, fn, fragment):
        with self.assertRaises(ClientError) as cm:
            fn()
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], "WriteRejectedException")
        self.assertIn(fragment, err["Message"])
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)

    def assertUnchanged(self):
        items = self.db.scan(TableName="orders")["Items"]
        self.assertEqual(items, [{"pk": S("a"), "sk": S("1"), "v": S("kept")}])

    def every_write_rejected(self, fragment):
        key = {"pk": S("a"), "sk": S("1")}
        self.assertWriteRejected(lambda: self.db.put_item(
            TableName="orders", Item={"pk": S("b"), "sk": S("1")}), fragment)
        self.assertWriteRejected(lambda: self.db.update_item(
            TableName="orders", Key=key, UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": S("changed")}), fragment)
        self.assertWriteRejected(lambda: self.db.delete_item(TableName="orders", Key=key), fragment)
        self.assertUnchanged()
        # Reads are served.
        self.assertEqual(self.db.get_item(TableName="orders", Key=key)["Item"]["v"], S("kept"))
        q = self.db.query(TableName="orders", KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": S("a")})
        self.assertEqual(q["Count"], 1)

    def test_fence_rejects_writes_and_serves_reads(self):
        out = self.cluster.ctl("fence", R1).stdout
        self.assertIn("us-east-1 is now fenced", out)
        self.every_write_rejected("is fenced for failover")
        self.assertEqual(self.cluster.status(R1)["mode"], "fenced")
        metrics = urllib.request.urlopen(
            f"http://{self.cluster.regions[R1].admin}/metrics").read().decode()
        self.assertIn('globaltable_write_mode{region="us-east-1",mode="fenced"} 1', metrics)
        self.cluster.ctl("unfence", R1)
        self.db.put_item(TableName="orders", Item={"pk": S("b"), "sk": S("1")})
        self.db.delete_item(TableName="orders", Key={"pk": S("b"), "sk": S("1")})
        self.assertUnchanged()

    def test_read_only_rejects_writes_and_table_changes(self):
        self.cluster.ctl("read-only", R1)
        self.every_write_rejected("is read-only")
        with self.assertRaises(ClientError) as cm:
            self.db.create_table(TableName="other", BillingMode="PAY_PER_REQUEST",
                                 AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                                 KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
        self.assertEqual(cm.exception.response["Error"]["Code"], "WriteRejectedException")
        self.assertEqual(self.db.list_tables()["TableNames"], ["orders"])

    def test_mode_survives_restart_and_kill(self):
        self.cluster.ctl("fence", R1)
        self.cluster.stop_daemon(R1)
        self.cluster.start_daemon(R1)
        self.assertEqual(self.cluster.status(R1)["mode"], "fenced")
        self.cluster.kill_daemon(R1)
        self.cluster.start_daemon(R1)
        self.assertEqual(self.cluster.status(R1)["mode"], "fenced")
        self.every_write_rejected("is fenced")
        self.cluster.ctl("unfence", R1)
        self.assertEqual(self.cluster.status(R1)["mode"], "active")

    def primary_in(self, region):
        tables = {t["name"]: t for t in self.cluster.status(region)["tables"]}
        return tables["orders"]["primary_region"]

    def test_single_primary_table(self):
        out = self.cluster.ctl("promote", "orders", R2).stdout
        self.assertIn("eu-west-1 is now the primary of orders", out)
        # Promotion is a table change: it replicates to every region.
        self.cluster.wait_until(lambda: self.primary_in(R1) == R2, 30,
                                "the promotion to reach us-east-1")
        self.assertWriteRejected(lambda: self.db.put_item(
            TableName="orders", Item={"pk": S("c"), "sk": S("1")}),
            "single-primary and its primary region is eu-west-1")
        self.assertUnchanged()
        # The primary itself takes writes.
        r2 = self.cluster.client(R2)
        r2.put_item(TableName="orders", Item={"pk": S("c"), "sk": S("1")})
        r2.delete_item(TableName="orders", Key={"pk": S("c"), "sk": S("1")})
        self.cluster.ctl("promote", "orders", "-")
        self.cluster.wait_until(lambda: self.primary_in(R1) == "", 30,
                                "active-active to reach us-east-1")
        self.db.put_item(TableName="orders", Item={"pk": S("c"), "sk": S("1")})
        self.db.delete_item(TableName="orders", Key={"pk": S("c"), "sk": S("1")})
        self.assertUnchanged()

    def test_ctl_errors_are_precise(self):
        p = self.cluster.ctl("fence", "mars-1", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn('unknown region "mars-1"', p.stderr)
        p = self.cluster.ctl("drill", "planned", "--from", R1, check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("drill planned needs --from REGION --to REGION", p.stderr)
        p = self.cluster.ctl("bogus", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn('unknown command "bogus"', p.stderr)
        p = self.cluster.ctl("promote", "nosuchtable", R1, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("nosuchtable", p.stderr)
        self.assertEqual(self.cluster.status(R1)["mode"], "active")

    def test_unreachable_region_is_reported(self):
        self.cluster.kill_daemon(R2)
        try:
            p = self.cluster.ctl("status", check=False)
            self.assertEqual(p.returncode, 3)
            self.assertIn("UNREACHABLE", p.stdout)
            self.assertIn("us-east-1", p.stdout)
            p = self.cluster.ctl("status", "--json", check=False)
            self.assertEqual(p.returncode, 3)
            regions = {r["region"]: r for r in json.loads(p.stdout)}
            self.assertFalse(regions[R2]["reachable"])
            self.assertTrue(regions[R2]["error"])
            self.assertTrue(regions[R1]["reachable"])
            self.assertEqual(regions[R1]["mode"], "active")
            p = self.cluster.ctl("fence", R2, check=False)
            self.assertEqual(p.returncode, 3)
        finally:
            self.cluster.start_daemon(R2)

    def test_drill_history_recorded_in_status_and_metrics(self):
        report = {"kind": "planned", "from": R1, "to": R2, "success": True, "rto_seconds": 1.25,
                  "rpo_mutations": 0, "rpo_seconds": 0, "ended_unix": 1790000000.0}
        self.cluster.admin_json(R1, "/v1/drills", "POST", report)
        status = self.cluster.status(R1)
        self.assertEqual(status["drills"][0]["rto_seconds"], 1.25)
        metrics = urllib.request.urlopen(
            f"http://{self.cluster.regions[R1].admin}/metrics").read().decode()
        self.assertIn('globaltable_drill_last_rto_seconds{region="us-east-1",kind="planned"} 1.25',
                      metrics)
        # Every region hears the others' heartbeats: its tombstone purge horizon becomes known.
        self.cluster.wait_until(
            lambda: all(self.cluster.status(r)["tombstone_horizon_age_s"] >= 0
                        for r in self.cluster.regions), 30, "a known purge horizon everywhere")
        out = self.cluster.ctl("status").stdout
        self.assertIn("DRILL HISTORY", out)
        self.assertIn("us-east-1 -> eu-west-1", out)
        self.assertIn("TOMBSTONES", out)
        self.assertNotIn("unknown", out.split("REPLICATION")[0])
        # The same as JSON: one object per region, the drill records passed through.
        regions = {r["region"]: r for r in json.loads(self.cluster.ctl("status", "--json").stdout)}
        self.assertEqual(set(regions), {r for r in self.cluster.regions})
        self.assertTrue(all(r["reachable"] for r in regions.values()))
        self.assertEqual(regions[R1]["drills"][0]["rto_seconds"], 1.25)
        self.assertEqual({p["source_region"] for p in regions[R1]["peers"]},
                         set(self.cluster.regions) - {R1})
        self.assertTrue(all(isinstance(p["lag_seconds"], float) for p in regions[R1]["peers"]))
        self.assertTrue(all(r["tombstone_horizon_age_s"] >= 0 for r in regions.values()))
        with self.assertRaises(urllib.error.HTTPError) as cm:
            self.cluster.admin_json(R1, "/v1/mode", "POST", {"mode": "sideways"})
        self.assertEqual(cm.exception.code, 400)


if __name__ == "__main__":
    BUILD_DIR = sys.argv.pop(1)
    unittest.main(verbosity=2)
