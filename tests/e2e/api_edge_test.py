#!/usr/bin/python3
"""End-to-end tests of hostile input at globaltabled's edges: bodies that are not valid UTF-8,
escaped lone surrogates, and deeply nested JSON, through the DynamoDB API port and the admin
port. Raw bodies go through http.client (boto3 would encode them for us); what boto3 can send
is sent through boto3 too.

Usage: api_edge_test.py --binary build/bin/globaltabled [unittest args]

One daemon serves the whole module (api_suite.py).
"""
import http.client
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_suite import (ApiTestCase, N, S, binary, daemon, run_suite,  # noqa: E402,F401
                       setUpModule, tearDownModule)

# Raw invalid UTF-8 (C3 needs a continuation byte), and JSON escapes of lone surrogates, which
# decode to no Unicode character.
BAD_TEXTS = [b"\xc3\x28", b"\\udc00", b"\\ud800", b"\xed\xa0\x80", b"\xc0\xaf"]


def post(port, path, body, headers=None, timeout=30):
    """POSTs raw bytes; returns (status, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def api_call(operation, body):
    """A DynamoDB API call with a raw body; returns (status, decoded JSON)."""
    status, data = post(daemon().api_port, "/", body,
                        {"X-Amz-Target": "DynamoDB_20120810." + operation,
                         "Content-Type": "application/x-amz-json-1.0"})
    return status, json.loads(data.decode("utf-8"))


def nested(levels, maps, leaf=S("x")):
    v = leaf
    for _ in range(levels):
        v = {"M": {"k": v}} if maps else {"L": [v]}
    return v


class InvalidUtf8Test(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = "edge-utf8"
        cls.db.create_table(TableName=cls.t, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        cls.db.put_item(TableName=cls.t, Item={"pk": S("a"), "v": N(1)})
        cls.arn = cls.db.describe_table(TableName=cls.t)["Table"]["TableArn"].encode()

    def requests(self, bad):
        t = self.t.encode()
        return [
            ("PutItem", b'{"TableName":"%s","Item":{"pk":{"S":"n%s"}}}' % (t, bad)),
            ("PutItem", b'{"TableName":"%s","Item":{"pk":{"S":"a"},"v%s":{"N":"2"}}}' % (t, bad)),
            ("PutItem", b'{"TableName":"%s","Item":{"pk":{"S":"a"},"s":{"SS":["ok","%s"]}}}'
             % (t, bad)),
            ("PutItem", b'{"TableName":"%s","Item":{"pk":{"S":"a"},"m":{"M":{"k":{"L":'
             b'[{"S":"%s"}]}}}}}' % (t, bad)),
            ("PutItem", b'{"TableName":"%s","Item":{"pk":{"S":"a"},"m":{"M":{"k%s":{"N":"1"}}}}}'
             % (t, bad)),
            ("GetItem", b'{"TableName":"%s","Key":{"pk":{"S":"a%s"}}}' % (t, bad)),
            ("DeleteItem", b'{"TableName":"%s","Key":{"pk":{"S":"a%s"}}}' % (t, bad)),
            ("DeleteItem", b'{"TableName":"%s","Key":{"pk":{"S":"a"}},"ConditionExpression":'
             b'"#n = :v","ExpressionAttributeNames":{"#n":"v%s"},'
             b'"ExpressionAttributeValues":{":v":{"N":"1"}}}' % (t, bad)),
            ("UpdateItem", b'{"TableName":"%s","Key":{"pk":{"S":"a"}},"UpdateExpression":'
             b'"SET v = :v","ExpressionAttributeValues":{":v":{"S":"%s"}}}' % (t, bad)),
            ("UpdateItem", b'{"TableName":"%s","Key":{"pk":{"S":"a"}},"UpdateExpression":'
             b'"SET v%s = :v","ExpressionAttributeValues":{":v":{"N":"3"}}}' % (t, bad)),
            ("Query", b'{"TableName":"%s","KeyConditionExpression":"pk = :p",'
             b'"ExpressionAttributeValues":{":p":{"S":"%s"}}}' % (t, bad)),
            ("BatchWriteItem", b'{"RequestItems":{"%s":[{"PutRequest":{"Item":'
             b'{"pk":{"S":"b"},"v":{"S":"%s"}}}}]}}' % (t, bad)),
            ("TransactWriteItems", b'{"TransactItems":[{"Put":{"TableName":"%s","Item":'
             b'{"pk":{"S":"c"},"v%s":{"N":"1"}}}}]}' % (t, bad)),
            ("CreateTable", b'{"TableName":"edge-new%s","BillingMode":"PAY_PER_REQUEST",'
             b'"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],'
             b'"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]}' % bad),
            ("CreateTable", b'{"TableName":"edge-new","BillingMode":"PAY_PER_REQUEST",'
             b'"AttributeDefinitions":[{"AttributeName":"pk%s","AttributeType":"S"}],'
             b'"KeySchema":[{"AttributeName":"pk%s","KeyType":"HASH"}]}' % (bad, bad)),
            ("CreateTable", b'{"TableName":"edge-new","BillingMode":"PAY_PER_REQUEST",'
             b'"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],'
             b'"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],'
             b'"Tags":[{"Key":"k","Value":"%s"}]}' % bad),
            ("TagResource", b'{"ResourceArn":"%s","Tags":[{"Key":"k%s","Value":"v"}]}'
             % (self.arn, bad)),
        ]

    def test_raw_invalid_utf8_is_refused_everywhere_and_changes_nothing(self):
        before = self.scan_all(self.t)
        for bad in BAD_TEXTS:
            for op, body in self.requests(bad):
                with self.subTest(op=op, bad=bad, body=body[:120]):
                    status, reply = api_call(op, body)
                    self.assertEqual(status, 400, reply)
                    self.assertTrue(reply["__type"].endswith("#SerializationException"), reply)
                    self.assertIn("Invalid UTF-8", reply["message"])
        self.assert_unchanged(self.t, before)
        self.assertNotIn("edge-new", self.db.list_tables()["TableNames"])
        self.assertEqual(self.db.list_tags_of_resource(ResourceArn=self.arn.decode())["Tags"], [])
        # Every Scan and GetItem of the table still answers.
        self.assertEqual(self.db.get_item(TableName=self.t, Key={"pk": S("a")})["Item"],
                         {"pk": S("a"), "v": N(1)})

    def test_boto3_lone_surrogates_are_refused(self):
        # Python strings may hold lone surrogates; boto3 sends them as JSON escapes.
        for item in ({"pk": S("\udc00")}, {"pk": S("a"), "v\ud800": N(1)},
                     {"pk": S("a"), "s": {"SS": ["ok", "x\udfff"]}}):
            with self.subTest(item=repr(item)):
                self.rejected(self.t, "SerializationException", self.db.put_item,
                              "Invalid UTF-8", TableName=self.t, Item=item)
        self.rejected(self.t, "SerializationException", self.db.update_item, "Invalid UTF-8",
                      TableName=self.t, Key={"pk": S("a")}, UpdateExpression="SET #n = :v",
                      ExpressionAttributeNames={"#n": "w\udc00"},
                      ExpressionAttributeValues={":v": N(1)})
        # Valid text outside the BMP (a surrogate pair in JSON) is fine.
        self.db.put_item(TableName=self.t, Item={"pk": S("emoji"), "v": S("\U0001F600")})
        self.assertEqual(self.db.get_item(TableName=self.t, Key={"pk": S("emoji")})["Item"]["v"],
                         S("\U0001F600"))
        self.db.delete_item(TableName=self.t, Key={"pk": S("emoji")})


class NestingTest(ApiTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.t = "edge-nesting"
        cls.db.create_table(TableName=cls.t, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])

    def test_32_levels_accepted_33_refused(self):
        for maps in (True, False):
            with self.subTest(maps=maps):
                item = {"pk": S("deep"), "a": nested(32, maps)}
                self.db.put_item(TableName=self.t, Item=item)
                self.assertEqual(
                    self.db.get_item(TableName=self.t, Key={"pk": S("deep")})["Item"], item)
                self.rejected(self.t, "ValidationException", self.db.put_item,
                              "Nesting Levels have exceeded supported limits", TableName=self.t,
                              Item={"pk": S("deep"), "a": nested(33, maps)})
                self.rejected(self.t, "ValidationException", self.db.update_item,
                              "Nesting Levels have exceeded supported limits", TableName=self.t,
                              Key={"pk": S("deep")}, UpdateExpression="SET b = :v",
                              ExpressionAttributeValues={":v": nested(33, maps)})

    def test_32_levels_fit_every_envelope(self):
        # The deepest valid bodies (about 72 JSON levels) stay under the parse bound of 100.
        for maps in (True, False):
            with self.subTest(maps=maps):
                item = {"pk": S("env"), "a": nested(32, maps)}
                self.db.batch_write_item(RequestItems={self.t: [{"PutRequest": {"Item": item}}]})
                self.db.transact_write_items(TransactItems=[{"Update": {
                    "TableName": self.t, "Key": {"pk": S("env")},
                    "UpdateExpression": "SET b = :v",
                    "ConditionExpression": "a = :v",
                    "ExpressionAttributeValues": {":v": nested(32, maps)}}}])
                got = self.db.transact_get_items(TransactItems=[{"Get": {
                    "TableName": self.t, "Key": {"pk": S("env")}}}])["Responses"][0]["Item"]
                self.assertEqual(got, {**item, "b": nested(32, maps)})

    def test_update_cannot_build_33_levels(self):
        self.db.put_item(TableName=self.t, Item={"pk": S("u"), "a": nested(31, True)})
        self.rejected(self.t, "ValidationException", self.db.update_item,
                      "Nesting Levels have exceeded supported limits", TableName=self.t,
                      Key={"pk": S("u")}, UpdateExpression="SET a.k.k = :v",
                      ExpressionAttributeValues={":v": nested(31, True)})
        self.db.update_item(TableName=self.t, Key={"pk": S("u")}, UpdateExpression="SET a.k = :v",
                            ExpressionAttributeValues={":v": nested(31, True)})

    def test_expression_and_path_bounds(self):
        # Document paths: 32 elements, DynamoDB's limit; 33 are refused.
        path32 = ".".join(["a"] + ["k"] * 31)
        self.db.put_item(TableName=self.t, Item={"pk": S("p"), "a": nested(32, True)})
        got = self.db.get_item(TableName=self.t, Key={"pk": S("p")}, ProjectionExpression=path32)
        self.assertEqual(got["Item"], {"a": nested(32, True)})
        self.error("ValidationException", self.db.get_item, "too many nesting levels",
                   TableName=self.t, Key={"pk": S("p")}, ProjectionExpression=path32 + ".k")
        # Parentheses and NOTs nest at most 200 deep in the parser; deeper is a syntax error.
        for text in ("(" * 4000, "NOT " * 1000 + "a = :v"):
            self.rejected(self.t, "ValidationException", self.db.put_item, "Syntax error",
                          TableName=self.t, Item={"pk": S("p")}, ConditionExpression=text,
                          ExpressionAttributeValues={":v": N(1)})


class DeepBodyTest(ApiTestCase):
    """A million levels of nesting through both ports: refused, and the daemon keeps serving."""

    def assert_serving(self):
        self.assertIsNone(daemon().proc.poll(), "globaltabled died:\n" + daemon().log_text())
        self.assertIn("TableNames", self.db.list_tables())
        self.assertEqual(daemon().get_json("/v1/status")["mode"], "active")

    def test_api_port(self):
        for body in (b"[" * 1000000, b'{"a":' * 1000000,
                     b'{"TableName":"nope","Item":' + b'{"a":' * 1000000):
            with self.subTest(body=body[:20]):
                status, reply = api_call("PutItem", body)
                self.assertEqual(status, 400, reply)
                self.assertTrue(reply["__type"].endswith("#ValidationException"), reply)
                self.assertEqual(reply["message"], "Nesting Levels have exceeded supported limits")
                self.assert_serving()

    def test_admin_port(self):
        for path in ("/v1/mode", "/v1/drills", "/v1/replication/cut", "/v1/tables/x/primary"):
            for body in (b"[" * 1000000, b'{"mode":' * 300000):
                with self.subTest(path=path, body=body[:10]):
                    status, reply = post(daemon().admin_port, path, body)
                    self.assertEqual(status, 400, reply)
                    self.assertIn(b"nests deeper than 64 levels", reply)
                    self.assert_serving()
        status, reply = post(daemon().admin_port, "/v1/drills", b'{"kind":"\xc3\x28"}')
        self.assertEqual(status, 400, reply)
        self.assertIn(b"not valid UTF-8", reply)
        self.assertEqual(daemon().get_json("/v1/drills"), [])
        self.assert_serving()


if __name__ == "__main__":
    run_suite()
