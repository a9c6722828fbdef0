"""The shared fixture of the end-to-end API suites (api_test.py, api_query_test.py).

Each suite module runs one real globaltabled for all its tests: call `run_suite()` from its
`__main__`; it parses --binary, and unittest then calls the module's setUpModule /
tearDownModule, which these helpers provide (the daemon is stopped by pid, also when tests
fail). `daemon()` and `binary()` give the running daemon and the binary to tests.
"""
import argparse
import json
import os
import sys
import unittest
import urllib.error
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Daemon  # noqa: E402

_BINARY = None
_DAEMON = None


def binary():
    return _BINARY


def daemon():
    return _DAEMON


def setUpModule():
    global _DAEMON
    # Time to Live passes every second, so the TTL tests see expiry within bounded polling.
    _DAEMON = Daemon(_BINARY, extra_args=["--ttl-interval-s", "1"])
    try:
        _DAEMON.start()
    except Exception:
        _DAEMON.cleanup()
        raise


def tearDownModule():
    if _DAEMON is not None:
        _DAEMON.cleanup()


def run_suite():
    global _BINARY
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    _BINARY = os.path.abspath(args.binary)
    unittest.main(module="__main__", argv=[sys.argv[0]] + rest, verbosity=2)


def client():
    return boto3.client("dynamodb", endpoint_url=_DAEMON.endpoint, region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}))


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def raw_call(operation, body):
    """POSTs `body` (a dict) as `operation` with urllib, for parameters this boto3 predates.

    Returns (HTTP status, decoded JSON body)."""
    req = urllib.request.Request(
        _DAEMON.endpoint + "/", data=json.dumps(body).encode(), method="POST",
        headers={"X-Amz-Target": "DynamoDB_20120810." + operation,
                 "Content-Type": "application/x-amz-json-1.0"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class ApiTestCase(unittest.TestCase):
    table_counter = 0

    @classmethod
    def setUpClass(cls):
        cls.db = client()

    def new_table(self, sort_type="N", billing="PAY_PER_REQUEST", hash_type="S"):
        ApiTestCase.table_counter += 1
        name = f"{self.__class__.__name__.lower()}-{ApiTestCase.table_counter}"
        attrs = [{"AttributeName": "pk", "AttributeType": hash_type}]
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
        if sort_type:
            attrs.append({"AttributeName": "sk", "AttributeType": sort_type})
            keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        kwargs = {}
        if billing == "PAY_PER_REQUEST":
            kwargs["BillingMode"] = "PAY_PER_REQUEST"
        else:
            kwargs["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        self.db.create_table(TableName=name, AttributeDefinitions=attrs, KeySchema=keys, **kwargs)
        return name

    def error(self, code, fn, contains=None, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(**kwargs)
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], code, err)
        if contains is not None:
            self.assertIn(contains, err["Message"])
        return err["Message"]

    def scan_all(self, table):
        items, kwargs = [], {"TableName": table, "ConsistentRead": True}
        while True:
            page = self.db.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(items, key=lambda i: json.dumps(i, sort_keys=True))

    def assert_unchanged(self, table, before):
        self.assertEqual(self.scan_all(table), before)

    def rejected(self, table, code, fn, contains=None, **kwargs):
        """Asserts that the call fails with `code` and leaves `table` as it was."""
        before = self.scan_all(table)
        message = self.error(code, fn, contains, **kwargs)
        self.assert_unchanged(table, before)
        return message
