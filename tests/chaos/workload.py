"""The workload of a fault schedule, and the history it records.

Per region one worker process (so the clients of several regions do not share one interpreter
lock) runs `threads` client threads, each on its own keep-alive connection, as fast as the region
answers. Each thread draws its operations from its own seeded generator:

  put      unique key of table A (no other write touches it: it must be everywhere afterwards)
  hot      PutItem of one of HOT_KEYS keys of table A shared by every region
  cput     conditional PutItem of a hot key (attribute_exists / attribute_not_exists)
  update   UpdateItem of a hot key (SET v, n = n + 1)
  delete   DeleteItem of a hot key
  tx       TransactWriteItems: one tx key written in table A and table B with one value
  ttl      PutItem of a unique key of table B (TTL on `exp`; a tenth already expired)
  get      GetItem of a hot key (what a read returned must be a value some write wrote)

Every request is recorded with its start and end on the system-wide monotonic clock and its
outcome: "ok" (200), "fail" (a 4xx: the request changed nothing) or "unknown" (a 5xx, a timeout,
a connection error: it may or may not have been applied). A history line is
  [thread, op, table, key, value, start, end, outcome]
with value None for a delete, and for a get the value the read returned (None if no item).
"""
import http.client
import json
import multiprocessing
import os
import random
import threading
import time

TABLE_A = "chaos_a"
TABLE_B = "chaos_b"
HOT_KEYS = 64
TX_KEYS = 32
_TARGET = "DynamoDB_20120810."

# Operation mix: (name, weight).
MIX = [("put", 34), ("hot", 14), ("cput", 6), ("update", 10), ("delete", 6), ("tx", 5),
       ("ttl", 7), ("get", 18)]
WRITES = {"put", "hot", "cput", "update", "delete", "tx", "ttl"}


def _call(conn, op, body):
    conn.request("POST", "/", body=json.dumps(body).encode(), headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": _TARGET + op})
    resp = conn.getresponse()
    raw = resp.read()
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {}
    return resp.status, parsed


def _request(op, key, value, rng, now_s):
    """(DynamoDB operation, body, table) for one history operation."""
    pad = "x" * 60
    if op == "put":
        return "PutItem", {"TableName": TABLE_A, "Item": {
            "pk": {"S": key}, "v": {"S": value}, "pad": {"S": pad}}}, TABLE_A
    if op == "hot":
        return "PutItem", {"TableName": TABLE_A, "Item": {
            "pk": {"S": key}, "v": {"S": value}, "n": {"N": "0"}}}, TABLE_A
    if op == "cput":
        cond = "attribute_exists(pk)" if rng.random() < 0.7 else "attribute_not_exists(pk)"
        return "PutItem", {"TableName": TABLE_A, "ConditionExpression": cond, "Item": {
            "pk": {"S": key}, "v": {"S": value}, "n": {"N": "0"}}}, TABLE_A
    if op == "update":
        return "UpdateItem", {
            "TableName": TABLE_A, "Key": {"pk": {"S": key}},
            "UpdateExpression": "SET v = :v, n = if_not_exists(n, :z) + :one",
            "ExpressionAttributeValues": {":v": {"S": value}, ":z": {"N": "0"},
                                          ":one": {"N": "1"}}}, TABLE_A
    if op == "delete":
        return "DeleteItem", {"TableName": TABLE_A, "Key": {"pk": {"S": key}}}, TABLE_A
    if op == "tx":
        items = [{"Put": {"TableName": t, "Item": {"pk": {"S": key}, "v": {"S": value}}}}
                 for t in (TABLE_A, TABLE_B)]
        return "TransactWriteItems", {"TransactItems": items}, TABLE_A
    if op == "ttl":
        exp = int(now_s) - 3600 if rng.random() < 0.1 else int(now_s) + 3600
        return "PutItem", {"TableName": TABLE_B, "Item": {
            "pk": {"S": key}, "v": {"S": value}, "exp": {"N": str(exp)}}}, TABLE_B
    if op == "get":
        return "GetItem", {"TableName": TABLE_A, "Key": {"pk": {"S": key}},
                           "ConsistentRead": True}, TABLE_A
    raise ValueError(op)


def _client(region_name, host, port, thread, seed, stop, out, lock):
    rng = random.Random(f"{seed}-{region_name}-{thread}")
    names = [m[0] for m in MIX]
    weights = [m[1] for m in MIX]
    me = f"{region_name}.{thread}"
    history = []
    conn = None
    n = 0
    while not stop.is_set():
        n += 1
        op = rng.choices(names, weights)[0]
        if op in ("put", "ttl"):
            key = f"{me}.{n}"
        elif op == "tx":
            key = f"tx{rng.randrange(TX_KEYS)}"
        else:
            key = f"hot{rng.randrange(HOT_KEYS)}"
        value = None if op == "delete" else f"{me}.{n}"
        target, body, table = _request(op, key, value, rng, time.time())
        if op == "ttl":
            table = TABLE_B
        start = time.monotonic()
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=5)
            status, parsed = _call(conn, target, body)
        except (OSError, http.client.HTTPException):
            status, parsed = None, {}
        end = time.monotonic()
        if status == 200:
            outcome = "ok"
        elif status is not None and 400 <= status < 500:
            outcome = "fail"
        else:
            outcome = "unknown"
        if op == "get":
            if outcome != "ok":
                continue  # a failed read says nothing
            item = parsed.get("Item")
            value = item["v"]["S"] if item and "v" in item else None
        history.append([me, op, table, key, value, start, end, outcome])
        if status != 200 and not (status is not None and 400 <= status < 500):
            if conn is not None:
                conn.close()
                conn = None
            stop.wait(0.02)  # the region is down or refusing: do not spin
    if conn is not None:
        conn.close()
    with lock:
        out.extend(history)


def _worker(region_name, host, port, threads, seed, stop, path):
    lock = threading.Lock()
    out = []
    ts = [threading.Thread(target=_client, daemon=True,
                           args=(region_name, host, port, t, seed, stop, out, lock))
          for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(path, "w") as f:
        for line in out:
            f.write(json.dumps(line) + "\n")


class Workload:
    """Starts one worker process per region; stop() joins them and returns the history."""

    def __init__(self, regions, workdir, threads=2, seed=1):
        self.ctx = multiprocessing.get_context("fork")
        self.stop_event = self.ctx.Event()
        self.paths = []
        self.procs = []
        for r in regions:
            path = os.path.join(workdir, f"history-{r.name}.jsonl")
            self.paths.append(path)
            self.procs.append(self.ctx.Process(
                target=_worker, daemon=True,
                args=(r.name, r.host, r.api_port, threads, seed, self.stop_event, path)))
        self.started = None
        self.seconds = 0.0

    def start(self):
        self.started = time.monotonic()
        for p in self.procs:
            p.start()

    def stop(self):
        self.stop_event.set()
        for p in self.procs:
            p.join(timeout=60)
        self.seconds = time.monotonic() - self.started
        history = []
        for path in self.paths:
            with open(path) as f:
                history.extend(json.loads(line) for line in f)
        return history


def create_tables(region):
    """Table A (hash key pk) and table B (hash key pk, TTL on exp)."""
    conn = http.client.HTTPConnection(region.host, region.api_port, timeout=10)
    for table in (TABLE_A, TABLE_B):
        status, out = _call(conn, "CreateTable", {
            "TableName": table, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
        assert status == 200, (table, status, out)
    status, out = _call(conn, "UpdateTimeToLive", {
        "TableName": TABLE_B,
        "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "exp"}})
    assert status == 200, ("UpdateTimeToLive", status, out)
    conn.close()


def scan(region, table):
    """{pk: v} of every item of `table` in `region`."""
    conn = http.client.HTTPConnection(region.host, region.api_port, timeout=30)
    items = {}
    start = None
    try:
        while True:
            body = {"TableName": table}
            if start:
                body["ExclusiveStartKey"] = start
            status, out = _call(conn, "Scan", body)
            if status != 200:
                raise RuntimeError(f"Scan {table} in {region.name}: {status} {out}")
            for it in out.get("Items", []):
                items[it["pk"]["S"]] = it.get("v", {}).get("S")
            start = out.get("LastEvaluatedKey")
            if not start:
                return items
    finally:
        conn.close()
