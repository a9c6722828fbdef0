#!/usr/bin/python3
"""End-to-end tests of globaltabled's DynamoDB API: Query and Scan (pagination, the 1 MB page,
parallel scans), the aws cli, --check-config, and the read-only write mode.

Usage: api_query_test.py --binary build/bin/globaltabled [unittest args]

One daemon serves the whole module (api_suite.py).
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_suite import (ApiTestCase, N, S, binary, daemon, run_suite,  # noqa: E402,F401
                       setUpModule, tearDownModule)


class QueryScanTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = "queryscan-s"
        cls.db.create_table(TableName=cls.t, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}])
        for start in range(0, 100, 25):
            cls.db.batch_write_item(RequestItems={cls.t: [
                {"PutRequest": {"Item": {"pk": S(f"p{i % 4}"), "sk": S(f"s{i:03d}"),
                                         "n": N(i), "odd": {"BOOL": i % 2 == 1}}}}
                for i in range(start, start + 25)]})

    def q(self, expr, values, **kwargs):
        return self.db.query(TableName=self.t, KeyConditionExpression=expr,
                             ExpressionAttributeValues=values, **kwargs)

    def sks(self, r):
        return [i["sk"]["S"] for i in r["Items"]]

    def test_key_conditions(self):
        p = {":p": S("p1")}
        all_p1 = [f"s{i:03d}" for i in range(1, 100, 4)]
        self.assertEqual(self.sks(self.q("pk = :p", p)), all_p1)
        self.assertEqual(self.sks(self.q("pk = :p AND sk = :s", {**p, ":s": S("s005")})),
                         ["s005"])
        self.assertEqual(self.sks(self.q("pk = :p AND sk < :s", {**p, ":s": S("s009")})),
                         ["s001", "s005"])
        self.assertEqual(self.sks(self.q("pk = :p AND sk <= :s", {**p, ":s": S("s009")})),
                         ["s001", "s005", "s009"])
        self.assertEqual(self.sks(self.q("pk = :p AND sk > :s", {**p, ":s": S("s093")})),
                         ["s097"])
        self.assertEqual(self.sks(self.q("sk >= :s AND pk = :p", {**p, ":s": S("s093")})),
                         ["s093", "s097"])
        self.assertEqual(self.sks(self.q("pk = :p AND sk BETWEEN :a AND :b",
                                         {**p, ":a": S("s010"), ":b": S("s021")})),
                         ["s013", "s017", "s021"])
        self.assertEqual(self.sks(self.q("pk = :p AND begins_with(sk, :b)",
                                         {**p, ":b": S("s09")})), ["s093", "s097"])
        self.assertEqual(self.sks(self.q("pk = :p", p, ScanIndexForward=False)),
                         list(reversed(all_p1)))
        self.assertEqual(self.q("pk = :p", {":p": S("nobody")})["Count"], 0)

    def test_filter_projection_select(self):
        r = self.q("pk = :p", {":p": S("p2"), ":lim": N(50)}, FilterExpression="n < :lim",
                   ProjectionExpression="sk, n")
        self.assertEqual(r["ScannedCount"], 25)
        self.assertEqual(r["Count"], 12)  # n in 2, 6, ..., 46
        self.assertEqual(set(r["Items"][0].keys()), {"sk", "n"})
        r = self.q("pk = :p", {":p": S("p1"), ":t": {"BOOL": True}}, FilterExpression="odd = :t",
                   Select="COUNT")
        self.assertEqual(r["Count"], 25)
        self.assertNotIn("Items", r)
        self.error("ValidationException", self.q, "non-primary key attributes",
                   expr="pk = :p", values={":p": S("p1"), ":s": S("s")},
                   FilterExpression="sk = :s")
        self.error("ValidationException", self.q, "SPECIFIC_ATTRIBUTES",
                   expr="pk = :p", values={":p": S("p1")}, Select="SPECIFIC_ATTRIBUTES")
        self.error("ValidationException", self.q, "unused in expressions",
                   expr="pk = :p", values={":p": S("p1"), ":x": N(1)})

    def test_query_limit_pagination(self):
        seen, kwargs, pages = [], {}, 0
        while True:
            r = self.q("pk = :p", {":p": S("p3")}, Limit=7, ConsistentRead=True, **kwargs)
            pages += 1
            self.assertLessEqual(r["Count"], 7)
            seen.extend(self.sks(r))
            if "LastEvaluatedKey" not in r:
                break
            self.assertEqual(set(r["LastEvaluatedKey"].keys()), {"pk", "sk"})
            kwargs["ExclusiveStartKey"] = r["LastEvaluatedKey"]
        self.assertEqual(seen, [f"s{i:03d}" for i in range(3, 100, 4)])
        self.assertGreaterEqual(pages, 4)

    def test_scan_segments_and_limit(self):
        everything = self.scan_all(self.t)
        self.assertEqual(len(everything), 100)
        union = []
        for seg in range(3):
            kwargs = {"TableName": self.t, "Segment": seg, "TotalSegments": 3, "Limit": 11}
            while True:
                r = self.db.scan(**kwargs)
                union.extend(r["Items"])
                if "LastEvaluatedKey" not in r:
                    break
                kwargs["ExclusiveStartKey"] = r["LastEvaluatedKey"]
        self.assertEqual(sorted(union, key=lambda i: json.dumps(i, sort_keys=True)), everything)
        r = self.db.scan(TableName=self.t, FilterExpression="n >= :x",
                         ExpressionAttributeValues={":x": N(90)}, Select="COUNT",
                         ReturnConsumedCapacity="TOTAL")
        self.assertEqual((r["Count"], r["ScannedCount"]), (10, 100))
        self.assertGreater(r["ConsumedCapacity"]["CapacityUnits"], 0)
        self.error("ValidationException", self.db.scan, "is not less than TotalSegments",
                   TableName=self.t, Segment=3, TotalSegments=3)
        self.error("ValidationException", self.db.scan, "TotalSegments parameter is required",
                   TableName=self.t, Segment=0)

    def test_one_megabyte_pages(self):
        t = self.new_table(sort_type="N")
        value = "v" * (100 * 1024)
        for start in range(0, 30, 15):
            self.db.batch_write_item(RequestItems={t: [
                {"PutRequest": {"Item": {"pk": S("mb"), "sk": N(i), "v": S(value)}}}
                for i in range(start, start + 15)]})
        for op in ("query", "scan"):
            kwargs, pages, total = {"TableName": t}, 0, 0
            if op == "query":
                kwargs.update(KeyConditionExpression="pk = :p",
                              ExpressionAttributeValues={":p": S("mb")})
            while True:
                r = getattr(self.db, op)(**kwargs)
                pages += 1
                total += r["Count"]
                self.assertLessEqual(r["Count"], 11)  # 1 MB / ~100 KB items
                if "LastEvaluatedKey" not in r:
                    break
                kwargs["ExclusiveStartKey"] = r["LastEvaluatedKey"]
            self.assertEqual(total, 30, op)
            self.assertGreaterEqual(pages, 3, op)


class CliTest(ApiTestCase):
    def aws(self, *args):
        out = subprocess.run(["/usr/bin/aws", "--endpoint-url", daemon().endpoint, "dynamodb",
                              *args, "--output", "json"], capture_output=True, text=True,
                             timeout=60)
        return out.returncode, out.stdout, out.stderr

    def test_aws_cli(self):
        rc, out, err = self.aws("create-table", "--table-name", "cli-table",
                                "--attribute-definitions", "AttributeName=id,AttributeType=S",
                                "--key-schema", "AttributeName=id,KeyType=HASH",
                                "--billing-mode", "PAY_PER_REQUEST")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["TableDescription"]["TableStatus"], "ACTIVE")
        rc, _, err = self.aws("put-item", "--table-name", "cli-table", "--item",
                              '{"id":{"S":"1"},"n":{"N":"42"}}')
        self.assertEqual(rc, 0, err)
        rc, out, err = self.aws("get-item", "--table-name", "cli-table", "--key",
                                '{"id":{"S":"1"}}')
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["Item"]["n"], {"N": "42"})
        rc, out, err = self.aws("get-item", "--table-name", "cli-missing", "--key",
                                '{"id":{"S":"1"}}')
        self.assertNotEqual(rc, 0)
        self.assertIn("ResourceNotFoundException", err)
        rc, out, err = self.aws("update-time-to-live", "--table-name", "cli-table",
                                "--time-to-live-specification", "Enabled=true,AttributeName=exp")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.aws("describe-time-to-live", "--table-name", "cli-table")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["TimeToLiveDescription"],
                         {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"})
        digest = daemon().get_json("/v1/tables/cli-table/digest")
        self.assertEqual(digest["table"], "cli-table")
        self.assertEqual(digest["items"], 1)
        self.assertRegex(digest["digest"], "^[0-9a-f]+$")


class ConfigFileTest(unittest.TestCase):
    def check(self, text):
        path = os.path.join(daemon().data_dir, "deploy.yaml")
        with open(path, "w") as f:
            f.write(text)
        return subprocess.run([binary(), "--check-config", path], capture_output=True, text=True,
                              timeout=30)

    def test_check_config(self):
        good = ("nats:\n  topology: single\n  urls: [nats://127.0.0.1:4222]\nregions:\n"
                "  - name: us-east-1\n    id: 1\n    api: 127.0.0.1:8001\n"
                "    admin: 127.0.0.1:9001\n    data_dir: /tmp/a\n"
                "  - name: eu-west-1\n    id: 2\n    api: 127.0.0.1:8002\n"
                "    admin: 127.0.0.1:9002\n    data_dir: /tmp/b\n")
        r = self.check(good)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ok (2 regions: us-east-1, eu-west-1)", r.stdout)
        r = self.check(good.replace("id: 2", "id: 1"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("deploy.yaml:10: region 'eu-west-1': duplicate id 1 (also at line 5)",
                      r.stderr)
        r = self.check(good + "  - name: ap-south-1\n    id: 3\n    colour: blue\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("deploy.yaml:17: region 'ap-south-1': unknown key 'colour'", r.stderr)
        r = subprocess.run([binary(), "--bogus"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown flag '--bogus'", r.stderr)


class WriteModeTest(ApiTestCase):
    def test_read_only_region_rejects_writes_and_serves_reads(self):
        t = self.new_table()
        key = {"pk": S("w"), "sk": N(1)}
        self.db.put_item(TableName=t, Item={**key, "v": N(1)})
        daemon().post_json("/v1/mode", {"mode": "read_only"})
        try:
            self.rejected(t, "WriteRejectedException", self.db.put_item, "read-only",
                          TableName=t, Item={**key, "v": N(2)})
            self.rejected(t, "WriteRejectedException", self.db.batch_write_item,
                          RequestItems={t: [{"DeleteRequest": {"Key": key}}]})
            self.error("WriteRejectedException", self.db.delete_table, TableName=t)
            self.assertEqual(self.db.get_item(TableName=t, Key=key)["Item"]["v"], N(1))
        finally:
            daemon().post_json("/v1/mode", {"mode": "active"})
        self.db.put_item(TableName=t, Item={**key, "v": N(3)})


if __name__ == "__main__":
    run_suite()
