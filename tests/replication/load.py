"""A real write load for fault tests: PutItem over keep-alive HTTP in every region at once.

The load that found the restart failure (docs/reliability.md): per region `threads` client
threads, each on its own keep-alive connection, writing as fast as the region answers; 70% of the
writes go to keys no other write touches (so each one must be present everywhere afterwards) and
30% to a small set of hot keys shared by every region (so regions conflict and last-writer-wins
decides). Every request and its outcome is recorded:

  load = Load(cluster.regions, table="orders", threads=2)
  load.start()
  ...fault...
  load.stop()
  load.check(cluster.regions)   # every acknowledged unique write present in every region, every
                                # hot key holds a value some write sent

Requests go through http.client rather than boto3: boto3 costs several times more client CPU per
request, and on a small machine the client must not be what limits the load.
"""
import http.client
import json
import random
import threading
import time

_TARGET = "DynamoDB_20120810."


def call(conn, op, body):
    """One DynamoDB call on an open connection: (status, parsed body)."""
    data = json.dumps(body).encode()
    conn.request("POST", "/", body=data, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": _TARGET + op})
    resp = conn.getresponse()
    raw = resp.read()
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {"raw": raw[:200]}
    return resp.status, parsed


class _Client(threading.Thread):
    def __init__(self, load, region, index):
        super().__init__(daemon=True)
        self.load = load
        self.region = region
        self.name_ = f"{region.name}-t{index}"
        self.rng = random.Random(f"{load.seed}-{self.name_}")
        self.acked = {}          # unique key -> value
        self.hot_acked = []      # (key, value)
        self.attempted_hot = []  # (key, value), acknowledged or not
        self.errors = 0
        self.requests = 0

    def run(self):
        conn = None
        n = 0
        while not self.load.stop_event.is_set():
            if conn is None:
                conn = http.client.HTTPConnection(self.region.host, self.region.api_port, timeout=5)
            n += 1
            hot = self.rng.random() >= self.load.unique_fraction
            if hot:
                key = f"hot-{self.rng.randrange(self.load.hot_keys)}"
            else:
                key = f"{self.name_}-{self.load.round}-{n}"
            value = f"{self.name_}-{n}"
            if hot:
                self.attempted_hot.append((key, value))
            item = {"pk": {"S": key}, "v": {"S": value}, "pad": {"S": "x" * 100}}
            self.requests += 1
            try:
                status, _ = call(conn, "PutItem", {"TableName": self.load.table, "Item": item})
            except (OSError, http.client.HTTPException):
                status = None
            if status == 200:
                if hot:
                    self.hot_acked.append((key, value))
                else:
                    self.acked[key] = value
                continue
            self.errors += 1
            if conn is not None:
                conn.close()
                conn = None
            # The region is down or refusing: try again soon, without spinning.
            self.load.stop_event.wait(0.05)
        if conn is not None:
            conn.close()


class Load:
    _rounds = 0

    def __init__(self, regions, table, threads=2, unique_fraction=0.7, hot_keys=200, seed=1):
        Load._rounds += 1
        self.round = Load._rounds
        self.table = table
        self.unique_fraction = unique_fraction
        self.hot_keys = hot_keys
        self.seed = seed
        self.stop_event = threading.Event()
        self.clients = [_Client(self, r, i) for r in regions for i in range(threads)]
        self.started = None

    def start(self):
        self.started = time.monotonic()
        for c in self.clients:
            c.start()

    def stop(self):
        self.stop_event.set()
        for c in self.clients:
            c.join(timeout=30)
        self.seconds = time.monotonic() - self.started

    def acked_count(self):
        return sum(len(c.acked) + len(c.hot_acked) for c in self.clients)

    def acked_in(self, region):
        return sum(len(c.acked) + len(c.hot_acked) for c in self.clients if c.region is region)

    def summary(self):
        acked = self.acked_count()
        errors = sum(c.errors for c in self.clients)
        return (f"{acked} acknowledged writes in {self.seconds:.1f} s "
                f"({acked / max(self.seconds, 0.001):.0f}/s), {errors} refused or failed")

    def check(self, regions):
        """Every acknowledged unique write is in every region; every hot key holds a value that
        some write sent (acknowledged or not: a write in flight when its region died may have
        committed) and the same one everywhere."""
        missing = []
        for region in regions:
            conn = http.client.HTTPConnection(region.host, region.api_port, timeout=30)
            items = _scan(conn, self.table)
            conn.close()
            for c in self.clients:
                for key, value in c.acked.items():
                    got = items.get(key)
                    if got != value:
                        missing.append((region.name, key, value, got))
            sent = {}
            for c in self.clients:
                for key, value in c.attempted_hot:
                    sent.setdefault(key, set()).add(value)
            for key, values in sent.items():
                got = items.get(key)
                if got is not None and got not in values:
                    missing.append((region.name, key, "one of the sent values", got))
        assert not missing, f"{len(missing)} acknowledged writes missing or wrong, e.g. {missing[:5]}"


def _scan(conn, table):
    items = {}
    start = None
    while True:
        body = {"TableName": table}
        if start:
            body["ExclusiveStartKey"] = start
        status, out = call(conn, "Scan", body)
        assert status == 200, (status, out)
        for it in out.get("Items", []):
            items[it["pk"]["S"]] = it.get("v", {}).get("S")
        start = out.get("LastEvaluatedKey")
        if not start:
            return items
