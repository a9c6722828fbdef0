#!/usr/bin/python3
"""End-to-end tests of globaltabled's DynamoDB API with boto3: tables, items, expressions,
batches, request sizes, error paths, and a SIGTERM restart.

Usage: api_test.py --binary build/bin/globaltabled [unittest args]

One daemon serves the whole module (api_suite.py). Every error-path test checks that the
rejected request changed nothing. Query, Scan, the aws cli, --check-config and write modes are
in api_query_test.py.
"""
import http.client
import json
import os
import signal
import sys
import time
import unittest

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_suite import (ApiTestCase, N, S, client, daemon, raw_call, run_suite,  # noqa: E402,F401
                       setUpModule, tearDownModule)
from harness import wait_until  # noqa: E402


class TableTest(ApiTestCase):
    def test_create_describe_update_delete(self):
        name = self.new_table(billing="PROVISIONED")
        d = self.db.describe_table(TableName=name)["Table"]
        self.assertEqual(d["TableStatus"], "ACTIVE")
        self.assertEqual(d["TableName"], name)
        self.assertEqual(d["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"},
                                          {"AttributeName": "sk", "KeyType": "RANGE"}])
        self.assertEqual(d["ProvisionedThroughput"]["ReadCapacityUnits"], 5)
        self.assertTrue(d["TableArn"].endswith(f":table/{name}"))
        self.assertIn("CreationDateTime", d)

        u = self.db.update_table(TableName=name, ProvisionedThroughput={
            "ReadCapacityUnits": 7, "WriteCapacityUnits": 9})["TableDescription"]
        self.assertEqual(u["ProvisionedThroughput"]["WriteCapacityUnits"], 9)
        u = self.db.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")["TableDescription"]
        self.assertEqual(u["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST")
        self.assertEqual(self.db.describe_table(TableName=name)["Table"]["BillingModeSummary"]
                         ["BillingMode"], "PAY_PER_REQUEST")
        self.error("ValidationException", self.db.update_table, "At least one of",
                   TableName=name)

        self.error("ResourceInUseException", self.db.create_table, "Table already exists",
                   TableName=name, BillingMode="PAY_PER_REQUEST",
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        d = self.db.delete_table(TableName=name)["TableDescription"]
        self.assertEqual(d["TableStatus"], "DELETING")
        self.error("ResourceNotFoundException", self.db.describe_table, TableName=name)
        self.error("ResourceNotFoundException", self.db.delete_table, TableName=name)
        self.assertNotIn(name, self.db.list_tables()["TableNames"])

    def test_create_table_validation(self):
        bad = [
            ({"KeySchema": [{"AttributeName": "pk", "KeyType": "RANGE"}]},
             "The first KeySchemaElement is not a HASH key type"),
            ({"AttributeDefinitions": [{"AttributeName": "x", "AttributeType": "S"}]},
             "Some index key attributes are not defined in AttributeDefinitions"),
            ({"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                       {"AttributeName": "x", "AttributeType": "S"}]},
             "Number of attributes in KeySchema does not exactly match"),
            ({"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "BOOL"}]},
             "Member must satisfy enum value set: [B, N, S]"),
            ({"BillingMode": "PROVISIONED"}, "ReadCapacityUnits and WriteCapacityUnits must both"),
            ({"ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
             "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified"),
        ]
        for override, message in bad:
            args = {"TableName": "bad-table", "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
            args.update(override)
            if "ProvisionedThroughput" in override or override.get("BillingMode"):
                args["BillingMode"] = override.get("BillingMode", "PAY_PER_REQUEST")
            self.error("ValidationException", self.db.create_table, message, **args)
        self.assertNotIn("bad-table", self.db.list_tables()["TableNames"])

    def test_list_tables_pagination(self):
        names = sorted(self.new_table() for _ in range(5))
        seen, kwargs = [], {"Limit": 2}
        while True:
            page = self.db.list_tables(**kwargs)
            self.assertLessEqual(len(page["TableNames"]), 2)
            seen.extend(page["TableNames"])
            if "LastEvaluatedTableName" not in page:
                break
            kwargs["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]
        self.assertEqual(seen, sorted(seen))
        for n in names:
            self.assertIn(n, seen)
        self.assertEqual(len(seen), len(set(seen)))

    def test_unknown_table_and_operation(self):
        self.error("ResourceNotFoundException", self.db.get_item, TableName="nope-table",
                   Key={"pk": S("a")})
        self.error("ResourceNotFoundException", self.db.put_item, TableName="nope-table",
                   Item={"pk": S("a")})


class TagTest(ApiTestCase):
    def test_tags_and_their_errors(self):
        name = self.new_table(sort_type=None)
        arn = self.db.describe_table(TableName=name)["Table"]["TableArn"]
        self.assertEqual(self.db.list_tags_of_resource(ResourceArn=arn)["Tags"], [])
        self.db.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "payments"},
                                                    {"Key": "env", "Value": "prod"}])
        self.db.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "staging"}])
        self.assertEqual(self.db.list_tags_of_resource(ResourceArn=arn)["Tags"],
                         [{"Key": "env", "Value": "staging"}, {"Key": "team", "Value": "payments"}])
        self.db.untag_resource(ResourceArn=arn, TagKeys=["team", "absent"])
        self.assertEqual(self.db.list_tags_of_resource(ResourceArn=arn)["Tags"],
                         [{"Key": "env", "Value": "staging"}])
        self.error("ValidationException", self.db.list_tags_of_resource, "Invalid TableArn",
                   ResourceArn="arn:aws:s3:::bucket")
        self.error("ResourceNotFoundException", self.db.tag_resource,
                   ResourceArn=arn.replace(name, "tag-missing"),
                   Tags=[{"Key": "a", "Value": "b"}])
        self.error("ValidationException", self.db.tag_resource, "limit of 50", ResourceArn=arn,
                   Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
        status, body = raw_call("TagResource", {"ResourceArn": arn,
                                                "Tags": [{"Key": "", "Value": "v"}]})
        self.assertEqual(status, 400)
        self.assertIn("length between 1 and 128", body["message"])
        self.error("ValidationException", self.db.tag_resource, "reserved", ResourceArn=arn,
                   Tags=[{"Key": "aws:x", "Value": "v"}])
        # The refused calls changed nothing.
        self.assertEqual(self.db.list_tags_of_resource(ResourceArn=arn)["Tags"],
                         [{"Key": "env", "Value": "staging"}])

    def test_create_table_with_tags_and_limits(self):
        self.db.create_table(
            TableName="tagged-at-birth", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            Tags=[{"Key": "owner", "Value": "sre"}])
        arn = self.db.describe_table(TableName="tagged-at-birth")["Table"]["TableArn"]
        self.assertEqual(self.db.list_tags_of_resource(ResourceArn=arn)["Tags"],
                         [{"Key": "owner", "Value": "sre"}])
        backups = self.db.describe_continuous_backups(TableName="tagged-at-birth")
        self.assertEqual(backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
                         ["PointInTimeRecoveryStatus"], "DISABLED")
        self.error("ResourceNotFoundException", self.db.describe_continuous_backups,
                   TableName="backups-missing")
        limits = self.db.describe_limits()
        self.assertEqual(limits["TableMaxWriteCapacityUnits"], 40000)
        self.assertEqual(limits["AccountMaxReadCapacityUnits"], 80000)


class TimeToLiveTest(ApiTestCase):
    def test_settings_and_their_errors(self):
        name = self.new_table(sort_type=None)
        self.assertEqual(self.db.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
                         {"TimeToLiveStatus": "DISABLED"})
        self.error("ValidationException", self.db.update_time_to_live, "already disabled",
                   TableName=name,
                   TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"})
        r = self.db.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
        self.assertEqual(r["TimeToLiveSpecification"], {"Enabled": True, "AttributeName": "expires"})
        self.assertEqual(self.db.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
                         {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"})
        self.error("ValidationException", self.db.update_time_to_live, "already enabled",
                   TableName=name,
                   TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
        self.error("ValidationException", self.db.update_time_to_live,
                   "current AttributeName is expires", TableName=name,
                   TimeToLiveSpecification={"Enabled": True, "AttributeName": "other"})
        self.error("ValidationException", self.db.update_time_to_live,
                   "current AttributeName is expires", TableName=name,
                   TimeToLiveSpecification={"Enabled": False, "AttributeName": "other"})
        self.error("ResourceNotFoundException", self.db.describe_time_to_live,
                   TableName="ttl-missing")
        self.error("ResourceNotFoundException", self.db.update_time_to_live,
                   TableName="ttl-missing",
                   TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
        status, body = raw_call("UpdateTimeToLive", {"TableName": name})
        self.assertEqual(status, 400)
        self.assertIn("timeToLiveSpecification", body["message"])
        status, body = raw_call("UpdateTimeToLive", {
            "TableName": name, "TimeToLiveSpecification": {"Enabled": True, "AttributeName": ""}})
        self.assertEqual(status, 400)
        self.assertIn("length greater than or equal to 1", body["message"])
        # The rejected calls changed nothing.
        self.assertEqual(self.db.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
                         {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"})
        self.db.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"})
        self.assertEqual(self.db.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
                         {"TimeToLiveStatus": "DISABLED"})

    def test_expired_items_are_deleted(self):
        name = self.new_table(sort_type=None)
        self.db.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
        now = int(time.time())
        items = {"gone": N(now - 60), "kept": N(now + 3600), "text": S(str(now - 60)),
                 "none": None}
        for pk, expires in items.items():
            item = {"pk": S(pk)}
            if expires is not None:
                item["expires"] = expires
            self.db.put_item(TableName=name, Item=item)

        def present():
            return {i["pk"]["S"] for i in self.scan_all(name)}
        wait_until(lambda: "gone" not in present(), 30, "the expired item to be deleted")
        self.assertEqual(present(), {"kept", "text", "none"})
        metrics = daemon().get_text("/metrics")
        self.assertRegex(metrics, r'globaltable_ttl_deleted_items_total\{[^}]*table="%s"[^}]*\} 1'
                         % name)


class TransactionTest(ApiTestCase):
    def test_write_all_or_nothing_and_get(self):
        orders = self.new_table(sort_type=None)
        stock = self.new_table(sort_type=None)
        self.db.put_item(TableName=stock, Item={"pk": S("widget"), "n": N(5)})
        self.db.put_item(TableName=stock, Item={"pk": S("gadget"), "n": N(0)})
        self.db.put_item(TableName=orders, Item={"pk": S("old"), "state": S("open")})
        self.db.put_item(TableName=orders, Item={"pk": S("s1"), "qty": S("two")})
        self.db.transact_write_items(TransactItems=[
            {"Put": {"TableName": orders, "Item": {"pk": S("o1"), "qty": N(2)},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"TableName": stock, "Key": {"pk": S("widget")},
                        "UpdateExpression": "SET n = n - :q", "ConditionExpression": "n >= :q",
                        "ExpressionAttributeValues": {":q": N(2)}}},
            {"Delete": {"TableName": orders, "Key": {"pk": S("old")}}},
            {"ConditionCheck": {"TableName": stock, "Key": {"pk": S("gadget")},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
        got = self.db.transact_get_items(TransactItems=[
            {"Get": {"TableName": orders, "Key": {"pk": S("o1")}}},
            {"Get": {"TableName": stock, "Key": {"pk": S("widget")},
                     "ProjectionExpression": "n"}},
            {"Get": {"TableName": orders, "Key": {"pk": S("old")}}},
        ])["Responses"]
        self.assertEqual(got[0]["Item"], {"pk": S("o1"), "qty": N(2)})
        self.assertEqual(got[1]["Item"], {"n": N(3)})
        self.assertEqual(got[2], {})

        # A refused condition cancels every action, and says which one refused.
        before = (self.scan_all(orders), self.scan_all(stock))
        with self.assertRaises(ClientError) as cm:
            self.db.transact_write_items(TransactItems=[
                {"Put": {"TableName": orders, "Item": {"pk": S("o2"), "qty": N(9)}}},
                {"Update": {"TableName": stock, "Key": {"pk": S("widget")},
                            "UpdateExpression": "SET n = n - :q", "ConditionExpression": "n >= :q",
                            "ExpressionAttributeValues": {":q": N(9)},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            ])
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "TransactionCanceledException")
        self.assertIn("[None, ConditionalCheckFailed]", err["Error"]["Message"])
        reasons = err["CancellationReasons"]
        self.assertEqual(reasons[0]["Code"], "None")
        self.assertEqual(reasons[1]["Code"], "ConditionalCheckFailed")
        self.assertEqual(reasons[1]["Item"], {"pk": S("widget"), "n": N(3)})
        self.assertEqual((self.scan_all(orders), self.scan_all(stock)), before)

        # An update that fails on the stored item (adding to a string) cancels too, as a
        # ValidationError.
        with self.assertRaises(ClientError) as cm:
            self.db.transact_write_items(TransactItems=[
                {"Put": {"TableName": orders, "Item": {"pk": S("o3")}}},
                {"Update": {"TableName": orders, "Key": {"pk": S("s1")},
                            "UpdateExpression": "SET qty = qty + :n",
                            "ExpressionAttributeValues": {":n": N(1)}}},
            ])
        self.assertEqual(cm.exception.response["CancellationReasons"][1]["Code"],
                         "ValidationError")
        self.assertEqual((self.scan_all(orders), self.scan_all(stock)), before)

    def test_client_request_token(self):
        t = self.new_table(sort_type=None)
        self.db.put_item(TableName=t, Item={"pk": S("counter"), "n": N(0)})
        bump = [{"Update": {"TableName": t, "Key": {"pk": S("counter")},
                            "UpdateExpression": "SET n = n + :one",
                            "ExpressionAttributeValues": {":one": N(1)}}}]
        for _ in range(3):  # a retried call runs once
            self.db.transact_write_items(TransactItems=bump, ClientRequestToken="tok-1")
        self.assertEqual(self.db.get_item(TableName=t, Key={"pk": S("counter")})["Item"]["n"],
                         N(1))
        self.error("IdempotentParameterMismatchException", self.db.transact_write_items,
                   TransactItems=[{"Delete": {"TableName": t, "Key": {"pk": S("counter")}}}],
                   ClientRequestToken="tok-1")
        self.db.transact_write_items(TransactItems=bump, ClientRequestToken="tok-2")
        self.assertEqual(self.db.get_item(TableName=t, Key={"pk": S("counter")})["Item"]["n"],
                         N(2))
        # A cancelled call keeps no token: once its condition holds, the retry runs.
        guarded = [{"Update": {"TableName": t, "Key": {"pk": S("counter")},
                               "UpdateExpression": "SET n = n + :one",
                               "ConditionExpression": "attribute_exists(ready)",
                               "ExpressionAttributeValues": {":one": N(1)}}}]
        self.error("TransactionCanceledException", self.db.transact_write_items,
                   TransactItems=guarded, ClientRequestToken="tok-3")
        self.db.update_item(TableName=t, Key={"pk": S("counter")},
                            UpdateExpression="SET ready = :t",
                            ExpressionAttributeValues={":t": {"BOOL": True}})
        self.db.transact_write_items(TransactItems=guarded, ClientRequestToken="tok-3")
        self.assertEqual(self.db.get_item(TableName=t, Key={"pk": S("counter")})["Item"]["n"],
                         N(3))

    def test_validation(self):
        t = self.new_table(sort_type=None)
        self.db.put_item(TableName=t, Item={"pk": S("a")})
        before = self.scan_all(t)
        self.rejected(t, "ValidationException", self.db.transact_write_items,
                      "multiple operations on one item", TransactItems=[
                          {"Put": {"TableName": t, "Item": {"pk": S("a"), "v": N(1)}}},
                          {"Delete": {"TableName": t, "Key": {"pk": S("a")}}}])
        self.rejected(t, "ResourceNotFoundException", self.db.transact_write_items,
                      TransactItems=[
                          {"Put": {"TableName": t, "Item": {"pk": S("b")}}},
                          {"Put": {"TableName": "tx-missing", "Item": {"pk": S("b")}}}])
        self.rejected(t, "ValidationException", self.db.transact_write_items,
                      TransactItems=[{"Put": {"TableName": t, "Item": {"v": S("no key")}}}])
        status, body = raw_call("TransactWriteItems", {"TransactItems": []})
        self.assertEqual(status, 400)
        self.assertIn("length greater than or equal to 1", body["message"])
        status, body = raw_call("TransactWriteItems", {"TransactItems": [
            {"Put": {"TableName": t, "Item": {"pk": S(f"k{i}")}}} for i in range(101)]})
        self.assertEqual(status, 400)
        self.assertIn("less than or equal to 100", body["message"])
        status, body = raw_call("TransactWriteItems", {"TransactItems": [
            {"Put": {"TableName": t, "Item": {"pk": S("c")}},
             "Delete": {"TableName": t, "Key": {"pk": S("c")}}}]})
        self.assertEqual(status, 400)
        status, body = raw_call("TransactWriteItems", {"TransactItems": [
            {"ConditionCheck": {"TableName": t, "Key": {"pk": S("a")}}}]})
        self.assertEqual(status, 400)
        self.assertIn("conditionExpression", body["message"])
        self.assert_unchanged(t, before)
        self.error("ResourceNotFoundException", self.db.transact_get_items,
                   TransactItems=[{"Get": {"TableName": "tx-missing", "Key": {"pk": S("a")}}}])


class ItemTest(ApiTestCase):
    def test_every_type_round_trips(self):
        t = self.new_table()
        item = {"pk": S("a"), "sk": N(1), "s": S("héllo"), "n": N("-0012.50"),
                "b": {"B": b"\x00\x01\xff"}, "ss": {"SS": ["y", "x"]},
                "ns": {"NS": ["10", "9.5"]}, "bs": {"BS": [b"\x02", b"\x01"]},
                "m": {"M": {"inner": {"L": [N(1), S("two"), {"NULL": True}]}}},
                "t": {"BOOL": True}, "z": {"NULL": True}, "empty": S("")}
        self.db.put_item(TableName=t, Item=item)
        got = self.db.get_item(TableName=t, Key={"pk": S("a"), "sk": N(1)},
                               ConsistentRead=True)["Item"]
        self.assertEqual(got["n"], N("-12.5"))
        self.assertEqual(got["b"], {"B": b"\x00\x01\xff"})
        self.assertEqual(sorted(got["ss"]["SS"]), ["x", "y"])
        self.assertEqual(sorted(got["ns"]["NS"], key=float), ["9.5", "10"])
        self.assertEqual(sorted(got["bs"]["BS"]), [b"\x01", b"\x02"])
        self.assertEqual(got["m"], item["m"])
        self.assertEqual(got["s"], S("héllo"))
        self.assertEqual(got["empty"], S(""))
        self.assertNotIn("Item", self.db.get_item(TableName=t, Key={"pk": S("zz"), "sk": N(1)}))

    def test_put_condition_and_return_values(self):
        t = self.new_table()
        key = {"pk": S("c"), "sk": N(1)}
        self.db.put_item(TableName=t, Item={**key, "v": N(1)},
                         ConditionExpression="attribute_not_exists(pk)")
        self.rejected(t, "ConditionalCheckFailedException", self.db.put_item,
                      TableName=t, Item={**key, "v": N(2)},
                      ConditionExpression="attribute_not_exists(pk)")
        old = self.db.put_item(TableName=t, Item={**key, "v": N(3)}, ReturnValues="ALL_OLD",
                               ConditionExpression="v = :one",
                               ExpressionAttributeValues={":one": N(1)})
        self.assertEqual(old["Attributes"]["v"], N(1))
        self.rejected(t, "ValidationException", self.db.put_item, "ReturnValues",
                      TableName=t, Item={**key, "v": N(4)}, ReturnValues="ALL_NEW")

    def test_condition_functions_and_operators(self):
        t = self.new_table()
        key = {"pk": S("f"), "sk": N(1)}
        self.db.put_item(TableName=t, Item={**key, "name": S("widget"), "n": N(5),
                                            "tags": {"SS": ["red", "blue"]},
                                            "lst": {"L": [N(1), N(2), N(3)]},
                                            "m": {"M": {"deep": S("x")}}})
        true_conditions = [
            ("n = :five", {":five": N(5)}), ("n <> :six", {":six": N(6)}),
            ("n < :six", {":six": N(6)}), ("n <= :five", {":five": N(5)}),
            ("n > :four", {":four": N(4)}), ("n >= :five", {":five": N(5)}),
            ("n BETWEEN :a AND :b", {":a": N(1), ":b": N(9)}),
            ("n IN (:a, :b)", {":a": N(1), ":b": N(5)}),
            ("n = :five AND #nm = :w", {":five": N(5), ":w": S("widget")}),
            ("n = :six OR #nm = :w", {":six": N(6), ":w": S("widget")}),
            ("NOT n = :six", {":six": N(6)}),
            ("attribute_exists(m.deep) AND attribute_not_exists(nosuchattr)", None),
            ("attribute_type(tags, :ss)", {":ss": S("SS")}),
            ("begins_with(#nm, :p)", {":p": S("wid")}),
            ("contains(tags, :red) AND contains(#nm, :dg)", {":red": S("red"), ":dg": S("dg")}),
            ("size(#nm) = :six AND size(lst) > :two", {":six": N(6), ":two": N(2)}),
            ("lst[1] = :two", {":two": N(2)}),
        ]
        for expr, values in true_conditions:
            kwargs = {"TableName": t, "Key": key, "ConditionExpression": expr,
                      "UpdateExpression": "SET hits = if_not_exists(hits, :zero) + :one",
                      "ExpressionAttributeValues": {**(values or {}), ":zero": N(0),
                                                    ":one": N(1)}}
            if "#nm" in expr:
                kwargs["ExpressionAttributeNames"] = {"#nm": "name"}
            self.db.update_item(**kwargs)
        got = self.db.get_item(TableName=t, Key=key)["Item"]
        self.assertEqual(got["hits"], N(len(true_conditions)))
        # Each false condition is refused and changes nothing.
        for expr, values in [("n = :six", {":six": N(6)}), ("attribute_exists(nothing)", None),
                             ("begins_with(#nm, :p)", {":p": S("x")})]:
            kwargs = {"TableName": t, "Key": key, "ConditionExpression": expr,
                      "UpdateExpression": "SET hits = :zero",
                      "ExpressionAttributeValues": {**(values or {}), ":zero": N(0)}}
            if "#nm" in expr:
                kwargs["ExpressionAttributeNames"] = {"#nm": "name"}
            self.rejected(t, "ConditionalCheckFailedException", self.db.update_item, **kwargs)

    def test_update_expressions(self):
        t = self.new_table()
        key = {"pk": S("u"), "sk": N(1)}
        r = self.db.update_item(
            TableName=t, Key=key, ReturnValues="ALL_NEW",
            UpdateExpression="SET a = :ten, l = :list, m = :map, s = :set, d = :set",
            ExpressionAttributeValues={":ten": N(10), ":list": {"L": [N(1)]},
                                       ":map": {"M": {"x": {"M": {"y": N(1)}}}},
                                       ":set": {"SS": ["p", "q", "r"]}})
        self.assertEqual(r["Attributes"]["a"], N(10))
        r = self.db.update_item(
            TableName=t, Key=key, ReturnValues="UPDATED_NEW",
            UpdateExpression="SET a = a + :two, b = :ten - a, c = if_not_exists(c, :ten), "
                             "l = list_append(l, :more), m.x.y = :seven "
                             "ADD cnt :one, s :add DELETE d :del",
            ExpressionAttributeValues={":two": N(2), ":ten": N(10), ":more": {"L": [N(2)]},
                                       ":seven": N(7), ":one": N(1),
                                       ":add": {"SS": ["z"]}, ":del": {"SS": ["p"]}})
        updated = r["Attributes"]
        self.assertNotIn("pk", updated)  # UPDATED_NEW: only what the update touched
        self.assertEqual(updated["l"], {"L": [N(1), N(2)]})
        self.assertEqual(sorted(updated), ["a", "b", "c", "cnt", "d", "l", "m", "s"])
        r = self.db.update_item(TableName=t, Key=key, ReturnValues="ALL_NEW",
                                UpdateExpression="SET l[0] = :nine",
                                ExpressionAttributeValues={":nine": N(9)})
        attrs = r["Attributes"]
        self.assertEqual(attrs["a"], N(12))
        self.assertEqual(attrs["b"], N(0))
        self.assertEqual(attrs["c"], N(10))
        self.assertEqual(attrs["l"], {"L": [N(9), N(2)]})
        self.assertEqual(attrs["m"], {"M": {"x": {"M": {"y": N(7)}}}})
        self.assertEqual(attrs["cnt"], N(1))
        self.assertEqual(sorted(attrs["s"]["SS"]), ["p", "q", "r", "z"])
        self.assertEqual(sorted(attrs["d"]["SS"]), ["q", "r"])
        self.assertEqual(attrs["pk"], S("u"))
        r = self.db.update_item(TableName=t, Key=key, ReturnValues="UPDATED_OLD",
                                UpdateExpression="REMOVE c, m.x.y, l[1]")
        self.assertEqual(r["Attributes"]["c"], N(10))
        got = self.db.get_item(TableName=t, Key=key, ConsistentRead=True)["Item"]
        self.assertNotIn("c", got)
        self.assertEqual(got["m"], {"M": {"x": {"M": {}}}})
        self.assertEqual(got["l"], {"L": [N(9)]})
        r = self.db.update_item(TableName=t, Key=key, ReturnValues="ALL_OLD",
                                UpdateExpression="SET a = :one",
                                ExpressionAttributeValues={":one": N(1)})
        self.assertEqual(r["Attributes"]["a"], N(12))
        # An update of a missing item creates it.
        k2 = {"pk": S("new"), "sk": N(2)}
        self.db.update_item(TableName=t, Key=k2, UpdateExpression="ADD cnt :one",
                            ExpressionAttributeValues={":one": N(1)})
        self.assertEqual(self.db.get_item(TableName=t, Key=k2)["Item"],
                         {**k2, "cnt": N(1)})
        # Errors change nothing.
        self.rejected(t, "ValidationException", self.db.update_item, "part of the key",
                      TableName=t, Key=key, UpdateExpression="SET pk = :x",
                      ExpressionAttributeValues={":x": S("other")})
        self.rejected(t, "ValidationException", self.db.update_item,
                      TableName=t, Key=key, UpdateExpression="SET a = a + :s",
                      ExpressionAttributeValues={":s": S("str")})
        self.rejected(t, "ValidationException", self.db.update_item, "Syntax error",
                      TableName=t, Key=key, UpdateExpression="SET a = = :x",
                      ExpressionAttributeValues={":x": N(1)})

    def test_delete_item(self):
        t = self.new_table()
        key = {"pk": S("d"), "sk": N(1)}
        self.db.put_item(TableName=t, Item={**key, "v": N(1)})
        self.rejected(t, "ConditionalCheckFailedException", self.db.delete_item, TableName=t,
                      Key=key, ConditionExpression="v = :two",
                      ExpressionAttributeValues={":two": N(2)})
        r = self.db.delete_item(TableName=t, Key=key, ReturnValues="ALL_OLD",
                                ConditionExpression="v = :one",
                                ExpressionAttributeValues={":one": N(1)})
        self.assertEqual(r["Attributes"]["v"], N(1))
        self.assertNotIn("Item", self.db.get_item(TableName=t, Key=key))
        self.assertNotIn("Attributes", self.db.delete_item(TableName=t, Key=key,
                                                           ReturnValues="ALL_OLD"))

    def test_update_of_missing_item(self):
        t = self.new_table()
        key = {"pk": S("m"), "sk": N(1)}
        # REMOVE of nested paths of a missing item is ignored: the key-only item is created.
        r = self.db.update_item(TableName=t, Key=key, UpdateExpression="REMOVE a.b, c[0], d",
                                ReturnValues="ALL_NEW")
        self.assertEqual(r["Attributes"], key)
        self.assertEqual(self.db.get_item(TableName=t, Key=key, ConsistentRead=True)["Item"], key)
        # Once the item exists, the same REMOVE is a document path error.
        self.rejected(t, "ValidationException", self.db.update_item,
                      "The document path provided in the update expression is invalid for update",
                      TableName=t, Key=key, UpdateExpression="REMOVE a.b")
        # SET of a nested path needs the parent, whether or not the item exists.
        for k in ({"pk": S("m"), "sk": N(2)}, key):
            self.rejected(t, "ValidationException", self.db.update_item,
                          "The document path provided in the update expression is invalid",
                          TableName=t, Key=k, UpdateExpression="SET a.b = :v",
                          ExpressionAttributeValues={":v": N(1)})
        self.assertNotIn("Item", self.db.get_item(TableName=t, Key={"pk": S("m"), "sk": N(2)},
                                                  ConsistentRead=True))

    def test_return_values_on_condition_check_failure(self):
        # Debian's boto3 1.26 does not know the parameter, so these are raw requests.
        t = self.new_table()
        key = {"pk": S("rv"), "sk": N(1)}
        item = {**key, "v": N(1), "m": {"M": {"x": {"L": [S("y")]}}}}
        self.db.put_item(TableName=t, Item=item)
        cond = {"ConditionExpression": "v = :two", "ExpressionAttributeValues": {":two": N(2)}}
        requests = {
            "PutItem": {"Item": {**key, "v": N(3)}},
            "UpdateItem": {"Key": key, "UpdateExpression": "SET w = :two"},
            "DeleteItem": {"Key": key},
        }
        before = self.scan_all(t)
        for op, body in requests.items():
            body = {"TableName": t, **body, **cond}
            status, err = raw_call(op, {**body, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
            self.assertEqual(status, 400, op)
            self.assertEqual(err["__type"],
                             "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException")
            self.assertEqual(err["message"], "The conditional request failed")
            self.assertEqual(err["Item"], item, op)
            status, err = raw_call(op, {**body, "ReturnValuesOnConditionCheckFailure": "NONE"})
            self.assertEqual(status, 400, op)
            self.assertNotIn("Item", err, op)
            status, err = raw_call(op, {**body, "ReturnValuesOnConditionCheckFailure": "ALL_NEW"})
            self.assertEqual(status, 400, op)
            self.assertEqual(err["__type"], "com.amazonaws.dynamodb.v20120810#ValidationException")
            self.assertEqual(err["message"],
                             "1 validation error detected: Value 'ALL_NEW' at "
                             "'returnValuesOnConditionCheckFailure' failed to satisfy constraint: "
                             "Member must satisfy enum value set: [ALL_OLD, NONE]")
            self.assert_unchanged(t, before)
        # A condition that holds: the parameter changes nothing in the answer.
        status, out = raw_call("UpdateItem", {
            "TableName": t, "Key": key, "UpdateExpression": "SET w = :one",
            "ConditionExpression": "v = :one", "ExpressionAttributeValues": {":one": N(1)},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
        self.assertEqual(status, 200)
        self.assertEqual(out, {})
        # No item to return when the item does not exist.
        status, err = raw_call("PutItem", {
            "TableName": t, "Item": {"pk": S("none"), "sk": N(1)}, **cond,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
        self.assertEqual(status, 400)
        self.assertNotIn("Item", err)

    def test_projection(self):
        t = self.new_table()
        key = {"pk": S("p"), "sk": N(1)}
        self.db.put_item(TableName=t, Item={**key, "a": N(1), "b": N(2), "name": S("x"),
                                            "m": {"M": {"x": N(1), "y": N(2)}},
                                            "l": {"L": [S("l0"), S("l1"), S("l2")]}})
        got = self.db.get_item(TableName=t, Key=key, ProjectionExpression="a, #n, m.y, l[2]",
                               ExpressionAttributeNames={"#n": "name"})["Item"]
        self.assertEqual(got, {"a": N(1), "name": S("x"), "m": {"M": {"y": N(2)}},
                               "l": {"L": [S("l2")]}})
        got = self.db.get_item(TableName=t, Key=key, AttributesToGet=["b"])["Item"]
        self.assertEqual(got, {"b": N(2)})

    def test_capacity_units(self):
        t = self.new_table()
        key = {"pk": S("cap"), "sk": N(1)}
        r = self.db.put_item(TableName=t, Item={**key, "v": S("x" * 1500)},
                             ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["ConsumedCapacity"]["CapacityUnits"], 2.0)
        self.assertEqual(r["ConsumedCapacity"]["TableName"], t)
        self.db.put_item(TableName=t, Item={**key, "v": S("x" * 5000)})
        r = self.db.get_item(TableName=t, Key=key, ConsistentRead=True,
                             ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["ConsumedCapacity"]["CapacityUnits"], 2.0)
        r = self.db.get_item(TableName=t, Key=key, ReturnConsumedCapacity="INDEXES")
        self.assertEqual(r["ConsumedCapacity"]["CapacityUnits"], 1.0)
        self.assertEqual(r["ConsumedCapacity"]["Table"]["CapacityUnits"], 1.0)
        r = self.db.delete_item(TableName=t, Key=key, ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["ConsumedCapacity"]["CapacityUnits"], 5.0)
        self.assertNotIn("ConsumedCapacity", self.db.get_item(TableName=t, Key=key))


class ErrorPathTest(ApiTestCase):
    def setUp(self):
        self.t = self.new_table()
        self.key = {"pk": S("e"), "sk": N(1)}
        self.db.put_item(TableName=self.t, Item={**self.key, "v": N(1)})

    def test_missing_and_mistyped_keys(self):
        t = self.t
        self.rejected(t, "ValidationException", self.db.put_item, "Missing the key sk",
                      TableName=t, Item={"pk": S("e"), "v": N(9)})
        self.rejected(t, "ValidationException", self.db.put_item, "Type mismatch",
                      TableName=t, Item={"pk": S("e"), "sk": S("1"), "v": N(9)})
        self.rejected(t, "ValidationException", self.db.put_item, TableName=t,
                      Item={"pk": S(""), "sk": N(1)})
        self.rejected(t, "ValidationException", self.db.update_item,
                      "The provided key element does not match the schema",
                      TableName=t, Key={"pk": S("e")}, UpdateExpression="SET v = :x",
                      ExpressionAttributeValues={":x": N(2)})
        self.error("ValidationException", self.db.get_item,
                   "The provided key element does not match the schema",
                   TableName=t, Key={"pk": N(1), "sk": N(1)})
        self.rejected(t, "ValidationException", self.db.delete_item,
                      TableName=t, Key={**self.key, "extra": N(1)})

    def test_oversized_item(self):
        self.rejected(self.t, "ValidationException", self.db.put_item,
                      "Item size has exceeded the maximum allowed size",
                      TableName=self.t, Item={**self.key, "big": S("x" * (400 * 1024 + 1))})
        self.rejected(self.t, "ValidationException", self.db.update_item,
                      "Item size has exceeded the maximum allowed size",
                      TableName=self.t, Key=self.key, UpdateExpression="SET big = :b",
                      ExpressionAttributeValues={":b": S("x" * (400 * 1024))})

    def test_invalid_expressions(self):
        t = self.t
        self.rejected(t, "ValidationException", self.db.put_item, "Invalid ConditionExpression",
                      TableName=t, Item={**self.key, "v": N(2)}, ConditionExpression="v = = :x",
                      ExpressionAttributeValues={":x": N(1)})
        self.rejected(t, "ValidationException", self.db.put_item,
                      "unused in expressions: keys: {:unused}",
                      TableName=t, Item={**self.key, "v": N(2)}, ConditionExpression="v = :x",
                      ExpressionAttributeValues={":x": N(1), ":unused": N(2)})
        self.rejected(t, "ValidationException", self.db.put_item,
                      "unused in expressions: keys: {#u}",
                      TableName=t, Item={**self.key, "v": N(2)}, ConditionExpression="v = :x",
                      ExpressionAttributeNames={"#u": "u"},
                      ExpressionAttributeValues={":x": N(1)})
        self.rejected(t, "ValidationException", self.db.put_item,
                      "An expression attribute value used in expression is not defined",
                      TableName=t, Item={**self.key, "v": N(2)}, ConditionExpression="v = :x")
        self.rejected(t, "ValidationException", self.db.put_item,
                      "can only be specified when using expressions",
                      TableName=t, Item={**self.key, "v": N(2)},
                      ExpressionAttributeValues={":x": N(1)})
        self.rejected(t, "ValidationException", self.db.update_item, "reserved keyword",
                      TableName=t, Key=self.key, UpdateExpression="SET size = :x",
                      ExpressionAttributeValues={":x": N(1)})
        self.error("ValidationException", self.db.query, "Invalid KeyConditionExpression",
                   TableName=t, KeyConditionExpression="pk == :p",
                   ExpressionAttributeValues={":p": S("e")})

    def test_bad_attribute_values(self):
        self.rejected(self.t, "ValidationException", self.db.put_item,
                      "Supplied AttributeValue is empty",
                      TableName=self.t, Item={**self.key, "v": {}})
        self.rejected(self.t, "ValidationException", self.db.put_item,
                      TableName=self.t, Item={**self.key, "v": N("12abc")})
        self.rejected(self.t, "ValidationException", self.db.put_item, "may not be empty",
                      TableName=self.t, Item={**self.key, "v": {"SS": []}})
        self.rejected(self.t, "ValidationException", self.db.put_item, "duplicates",
                      TableName=self.t, Item={**self.key, "v": {"SS": ["a", "a"]}})


class BatchTest(ApiTestCase):
    def test_batch_write_and_get(self):
        t = self.new_table()
        puts = [{"PutRequest": {"Item": {"pk": S("b"), "sk": N(i), "v": N(i)}}}
                for i in range(25)]
        r = self.db.batch_write_item(RequestItems={t: puts}, ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["UnprocessedItems"], {})
        self.assertEqual(r["ConsumedCapacity"][0]["CapacityUnits"], 25.0)
        keys = [{"pk": S("b"), "sk": N(i)} for i in range(25)] + [{"pk": S("none"), "sk": N(0)}]
        r = self.db.batch_get_item(RequestItems={t: {"Keys": keys, "ProjectionExpression": "v",
                                                     "ConsistentRead": True}})
        got = sorted(int(i["v"]["N"]) for i in r["Responses"][t])
        self.assertEqual(got, list(range(25)))
        self.assertEqual(r["UnprocessedKeys"], {})
        self.assertEqual(set(r["Responses"][t][0].keys()), {"v"})

        mixed = [{"DeleteRequest": {"Key": {"pk": S("b"), "sk": N(i)}}} for i in range(10)]
        mixed.append({"PutRequest": {"Item": {"pk": S("b"), "sk": N(100)}}})
        self.db.batch_write_item(RequestItems={t: mixed})
        self.assertEqual(len(self.scan_all(t)), 16)

        # Rejected batches write nothing at all.
        too_many = [{"PutRequest": {"Item": {"pk": S("x"), "sk": N(i)}}} for i in range(26)]
        self.rejected(t, "ValidationException", self.db.batch_write_item, "25",
                      RequestItems={t: too_many})
        dup = [{"PutRequest": {"Item": {"pk": S("y"), "sk": N(1)}}}] * 2
        self.rejected(t, "ValidationException", self.db.batch_write_item, "duplicates",
                      RequestItems={t: dup})
        bad = [{"PutRequest": {"Item": {"pk": S("y"), "sk": N(1)}}},
               {"PutRequest": {"Item": {"pk": S("y")}}}]
        self.rejected(t, "ValidationException", self.db.batch_write_item,
                      RequestItems={t: bad})
        self.rejected(t, "ResourceNotFoundException", self.db.batch_write_item,
                      RequestItems={t: [bad[0]], "no-such-table": [bad[0]]})
        self.error("ValidationException", self.db.batch_get_item, "Too many items",
                   RequestItems={t: {"Keys": [{"pk": S("k"), "sk": N(i)} for i in range(101)]}})
        self.error("ValidationException", self.db.batch_get_item, "duplicates",
                   RequestItems={t: {"Keys": [keys[0], keys[0]]}})

    def test_batch_get_16mb_limit_returns_unprocessed_keys(self):
        t = self.new_table()
        big = "x" * (390 * 1024)
        for start in range(0, 50, 25):
            self.db.batch_write_item(RequestItems={t: [
                {"PutRequest": {"Item": {"pk": S("big"), "sk": N(i), "v": S(big)}}}
                for i in range(start, min(start + 25, 50))]})
        keys = [{"pk": S("big"), "sk": N(i)} for i in range(50)]
        r = self.db.batch_get_item(RequestItems={t: {"Keys": keys}})
        got = len(r["Responses"][t])
        left = r["UnprocessedKeys"][t]["Keys"]
        self.assertLess(got, 50)
        self.assertGreater(got, 0)
        self.assertEqual(got + len(left), 50)
        r2 = self.db.batch_get_item(RequestItems=r["UnprocessedKeys"])
        self.assertEqual(len(r2["Responses"][t]), len(left))


class RequestSizeTest(ApiTestCase):
    LIMIT = 16 * 1024 * 1024  # DynamoDB's request size limit, the daemon's max_body_bytes

    def oversized_put(self, table):
        head = '{"TableName": "%s", "Item": {"pk": {"S": "big"}, "sk": {"N": "1"}}' % table
        return (head + " " * self.LIMIT + "}").encode()

    def post(self, body, chunked=False):
        conn = http.client.HTTPConnection("127.0.0.1", daemon().api_port, timeout=30)
        try:
            headers = {"X-Amz-Target": "DynamoDB_20120810.PutItem",
                       "Content-Type": "application/x-amz-json-1.0"}
            if chunked:
                conn.request("POST", "/", body=iter([body[i:i + (1 << 20)]
                                                     for i in range(0, len(body), 1 << 20)]),
                             headers=headers, encode_chunked=True)
            else:
                conn.request("POST", "/", body=body, headers=headers)
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def test_oversized_body_is_a_dynamodb_error(self):
        t = self.new_table()
        before = self.scan_all(t)
        for chunked in (False, True):  # refused at the header, or while reading the body
            status, headers, body = self.post(self.oversized_put(t), chunked=chunked)
            self.assertEqual(status, 413, chunked)
            self.assertEqual(headers["Content-Type"], "application/x-amz-json-1.0")
            self.assertEqual(headers["Connection"], "close")
            err = json.loads(body)
            self.assertEqual(set(err), {"__type", "message"})
            self.assertEqual(err["__type"],
                             "com.amazonaws.dynamodb.v20120810#RequestEntityTooLargeException")
            self.assertIn(str(self.LIMIT), err["message"])
        # boto3 raises a service error (ClientError), not a connection error.
        self.rejected(t, "RequestEntityTooLargeException", self.db.put_item,
                      TableName=t, Item={"pk": S("big"), "sk": N(2), "v": S("x" * self.LIMIT)})
        self.assert_unchanged(t, before)
        # A body at the limit is read and served.
        head = '{"TableName": "%s", "Item": {"pk": {"S": "ok"}, "sk": {"N": "1"}}' % t
        body = (head + " " * (self.LIMIT - len(head) - 1) + "}").encode()
        self.assertEqual(len(body), self.LIMIT)
        status, _, _ = self.post(body)
        self.assertEqual(status, 200)
        self.assertEqual(len(self.scan_all(t)), 1)


class ZzRestartTest(ApiTestCase):
    """Runs last: SIGTERM drains and closes the store; a restart finds every write."""

    def test_sigterm_and_restart_keep_data(self):
        t = self.new_table()
        self.db.put_item(TableName=t, Item={"pk": S("r"), "sk": N(1), "v": S("kept")})
        self.assertEqual(daemon().stop(signal.SIGTERM), 0)
        self.assertIn("store closed", daemon().log_text())
        daemon().start()
        db = client()
        self.assertEqual(db.get_item(TableName=t, Key={"pk": S("r"), "sk": N(1)})["Item"]["v"],
                         S("kept"))


if __name__ == "__main__":
    run_suite()
