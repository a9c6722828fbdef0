#!/usr/bin/env python3
"""Multi-region replication tests: three real globaltabled daemons and nats-server on loopback.

  1. a write in one region is readable through the API in the other two (and the table created
     in one region exists in all);
  2. concurrent conflicting writes and deletes on shared keys in all regions converge to the
     same digest everywhere;
  3. kill -9 of a daemon during a write load, then restart: every acknowledged write is in every
     region and the digests match;
  4. kill -9 of nats-server during a write load, then restart: the same.
  5. one region cut off from replication (POST /v1/replication/cut) while every region keeps
     writing, then healed: the same;
  6. clock skew with libfaketime, against the max clock offset the deployment file sets
     (`clock: {max_offset_ms: 5000}`, which every daemon reports in /metrics): a region 2 s
     ahead (within it) converges; a region 10 s ahead has its batches held by the others
     (visible in their /v1/replication status) while nothing is corrupted (their clocks are
     not dragged ahead, nothing of it is applied, they agree with each other and still
     replicate to it), and once its clock is fixed everything converges;
  7. a table deleted in one region is deleted in all;
  8. tombstones of deletes stay while a region is down (it could still send an older write of
     the same item) and are purged in every region once it is back and has closed past them.
     The deployment file sets a short grace period and purge interval for the whole run, so
     tests 2-7 also run with tombstones being purged under them;
  9. Time to Live enabled in one region applies in every region, and an expired item written
     in one region is deleted from all of them;
 10. a TransactWriteItems over two tables in one region reaches every region.

Usage: multi_region_test.py --binary build/bin/globaltabled
       [--topology single|domains|supercluster] [--only 1,3]
"""
import argparse
import os
import random
import re
import signal
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, run_steps, wait_until  # noqa: E402

TABLE = "orders"
MAX_CLOCK_OFFSET_MS = 5000  # the deployment file's clock.max_offset_ms (test 6 relies on it)
# The deployment file's replication section, checked on every outbox stream by test 1.
OUTBOX_MAX_AGE_S = 7200
OUTBOX_MAX_BYTES = 1 << 30
TOMBSTONE_GRACE_S = 2
TOMBSTONE_PURGE_INTERVAL_S = 1


def create_table(region, name=TABLE):
    region.client().create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST")


def table_exists(region, name=TABLE):
    try:
        region.client().describe_table(TableName=name)
        return True
    except Exception:  # noqa: BLE001  ResourceNotFound or a daemon still starting
        return False


def get_value(region, key, table=TABLE):
    item = region.client().get_item(TableName=table, Key={"pk": {"S": key}},
                                    ConsistentRead=True).get("Item")
    return None if item is None else item["v"]["S"]


def put(region, key, value, table=TABLE):
    region.client().put_item(TableName=table, Item={"pk": {"S": key}, "v": {"S": value}})


def digests_match(cluster, table=TABLE):
    try:
        ds = [r.digest(table) for r in cluster.regions]
    except Exception:  # noqa: BLE001  a region restarting
        return False
    return all(d["digest"] == ds[0]["digest"] and d.get("items") == ds[0].get("items")
               for d in ds)


def all_caught_up(cluster):
    """Every region has applied everything every peer published (no pending, links up)."""
    try:
        for r in cluster.regions:
            s = r.replication()
            if s["publisher"]["unpublished_mutations"] != 0:
                return False
            for p in s["peers"]:
                if p["pending_batches"] != 0 or not p["link_up"]:
                    return False
    except Exception:  # noqa: BLE001
        return False
    return True


def wait_converged(cluster, timeout=120, table=TABLE):
    wait_until(lambda: all_caught_up(cluster) and digests_match(cluster, table), timeout,
               "all regions caught up with equal digests")


class Writer(threading.Thread):
    """Writes unique keys to one region; records the acknowledged ones."""

    def __init__(self, region, prefix, stop):
        super().__init__(daemon=True)
        self.region = region
        self.prefix = prefix
        self.stop_event = stop
        self.acked = {}
        self.errors = 0

    def run(self):
        i = 0
        while not self.stop_event.is_set():
            key, value = f"{self.prefix}-{i}", f"{self.prefix}-value-{i}"
            i += 1
            try:
                put(self.region, key, value)
                self.acked[key] = value
            except Exception:  # noqa: BLE001  the region (or its NATS) is being killed
                self.errors += 1
                time.sleep(0.05)


def check_acked_everywhere(cluster, writers):
    missing = []
    for w in writers:
        for key, value in w.acked.items():
            for r in cluster.regions:
                if get_value(r, key) != value:
                    missing.append((r.name, key))
    assert not missing, f"{len(missing)} acknowledged writes missing, e.g. {missing[:5]}"


_LOAD_ROUNDS = [0]


def run_load_with_fault(cluster, fault, seconds=3.0):
    stop = threading.Event()
    _LOAD_ROUNDS[0] += 1
    writers = [Writer(r, f"{r.name}-load{_LOAD_ROUNDS[0]}", stop) for r in cluster.regions]
    for w in writers:
        w.start()
    wait_until(lambda: all(len(w.acked) > 20 for w in writers), 30, "writes flowing")
    before = [len(w.acked) for w in writers]
    fault(writers)
    deadline = time.monotonic() + seconds
    wait_until(lambda: time.monotonic() > deadline, seconds + 5, "load period")
    stop.set()
    for w in writers:
        w.join(timeout=30)
    assert all(len(w.acked) > b for w, b in zip(writers, before)), "writes stopped after the fault"
    print(f"  {fault.__name__}: {sum(len(w.acked) for w in writers)} acknowledged writes",
          flush=True)
    return writers


def test_write_visible_everywhere(cluster):
    us, eu, ap = cluster.regions
    create_table(us)
    wait_until(lambda: table_exists(eu) and table_exists(ap), 30, "table replicated")
    put(us, "hello", "world")
    wait_until(lambda: get_value(eu, "hello") == "world" and get_value(ap, "hello") == "world",
               30, "item replicated")
    put(ap, "from-ap", "x")
    wait_until(lambda: get_value(us, "from-ap") == "x" and get_value(eu, "from-ap") == "x",
               30, "item from ap replicated")
    status = us.replication()
    assert {p["region"] for p in status["peers"]} == {eu.name, ap.name}, status
    assert status["nats_connected"] is True, status
    check_outbox_retention(cluster)
    if cluster.topology == "supercluster":
        check_outboxes_in_own_cluster(cluster)


def check_outbox_retention(cluster):
    """Every region's outbox carries the deployment file's retention (replication section)."""
    configs = {}
    for server in cluster.nats:
        jsz = server.monitor("/jsz?accounts=true&streams=true&config=true")
        for a in jsz.get("account_details", []):
            for s in a.get("stream_detail", []):
                if s["name"].startswith("GT_OUTBOX_"):
                    configs[s["name"]] = s["config"]
    assert sorted(configs) == sorted(f"GT_OUTBOX_{r.name}" for r in cluster.regions), configs
    for name, config in configs.items():
        assert config["max_age"] == OUTBOX_MAX_AGE_S * 10**9, (name, config)
        assert config["max_bytes"] == OUTBOX_MAX_BYTES, (name, config)


def check_outboxes_in_own_cluster(cluster):
    """Each region's outbox stream lives on its own region's server (its own NATS cluster)."""
    for r, server in zip(cluster.regions, cluster.nats):
        jsz = server.monitor("/jsz?accounts=true&streams=true")
        streams = {s["name"]: s for a in jsz.get("account_details", [])
                   for s in a.get("stream_detail", [])}
        outbox = streams.get(f"GT_OUTBOX_{r.name}")
        assert outbox is not None, f"{r.name}'s outbox is not on {server.name}: {sorted(streams)}"
        assert outbox["cluster"]["name"] == r.name, outbox["cluster"]
        others = [n for n in streams if n.startswith("GT_OUTBOX_") and n != f"GT_OUTBOX_{r.name}"]
        assert not others, f"{server.name} holds other regions' outboxes: {others}"


def test_conflicts_converge(cluster):
    keys = [f"shared-{i}" for i in range(20)]
    errors = []

    def hammer(region, seed):
        rnd = random.Random(seed)
        try:
            for n in range(150):
                key = rnd.choice(keys)
                if rnd.random() < 0.2:
                    region.client().delete_item(TableName=TABLE, Key={"pk": {"S": key}})
                else:
                    put(region, key, f"{region.name}-{n}")
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=hammer, args=(r, i)) for i, r in
               enumerate(cluster.regions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    wait_converged(cluster)
    conflicts = sum(p["conflicts"] for r in cluster.regions for p in r.replication()["peers"])
    assert conflicts > 0, "concurrent writes to 20 keys from 3 regions produced no LWW conflict"
    # Same visible values everywhere, key by key.
    for key in keys:
        values = {get_value(r, key) for r in cluster.regions}
        assert len(values) == 1, (key, values)


def test_kill_daemon_mid_load(cluster):
    victim = cluster.regions[1]

    def fault(writers):
        errors_before = writers[1].errors
        victim.kill()
        # Keep it down until its writer has seen a refusal, however slowly that thread runs.
        wait_until(lambda: writers[1].errors > errors_before, 20,
                   "the killed region refusing writes")
        victim.start()

    writers = run_load_with_fault(cluster, fault)
    assert writers[1].errors > 0, "the killed region never refused a write: was it killed?"
    wait_converged(cluster)
    check_acked_everywhere(cluster, writers)


def test_kill_nats_mid_load(cluster):
    def fault(writers):
        for n in cluster.nats:
            n.kill()
        deadline = time.monotonic() + 1.0
        wait_until(lambda: time.monotonic() > deadline, 5, "NATS down for a second")
        for n in cluster.nats:
            n.start()

    writers = run_load_with_fault(cluster, fault)
    wait_converged(cluster, timeout=180)
    check_acked_everywhere(cluster, writers)


def test_cut_region_healed(cluster):
    victim = cluster.regions[2]

    def fault(writers):
        victim.admin_post("/v1/replication/cut", {"cut": True})
        wait_until(lambda: all(p["paused"] for p in victim.replication()["peers"]), 10,
                   "replication paused")

    writers = run_load_with_fault(cluster, fault)
    # While cut, the victim has not seen the others' latest writes.
    other = writers[0]
    last_key = max(other.acked, key=lambda k: int(k.rsplit("-", 1)[1]))
    assert get_value(victim, last_key) is None, "a cut region received a write"
    victim.admin_post("/v1/replication/cut", {"cut": False})
    wait_converged(cluster)
    check_acked_everywhere(cluster, writers)


FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def restart_with_clock(region, offset):
    region.kill(signal.SIGTERM)
    env = dict(os.environ)
    if offset:
        env.update({"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": offset,
                    "DONT_FAKE_MONOTONIC": "1"})
    region.start(env=env)


def metric(region, name):
    """A label-less globaltable_ series (besides `region`) as the daemon exports it."""
    with urllib.request.urlopen(f"http://127.0.0.1:{region.admin_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    m = re.search(rf"^{name}\{{[^}}]*\}} (\S+)$", text, re.M)
    assert m, f"no {name} in /metrics"
    return float(m.group(1))


def max_offset_seconds(region):
    """globaltable_clock_max_offset_seconds as the daemon exports it."""
    return metric(region, "globaltable_clock_max_offset_seconds")


def last_local_hlc_millis(region):
    """Physical milliseconds of the newest HLC this region stamped on a local write."""
    return region.admin_get("/v1/status")["last_local_hlc"] >> 16


def hammer_shared_keys(regions, seconds, keys=20):
    """Every region writes the same few keys for `seconds`; returns the history:
    (region, key, value, error or None, real time of the answer)."""
    history = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run(region):
        client = region.client()
        n = 0
        while time.monotonic() < stop:
            n += 1
            key, value = f"skew-shared-{n % keys}", f"{region.name}-{n}"
            try:
                client.put_item(TableName=TABLE, Item={"pk": {"S": key}, "v": {"S": value}})
                err = None
            except Exception as e:  # noqa: BLE001  refusals are part of the history
                err = str(e)
                time.sleep(0.02)
            with lock:
                history.append((region.name, key, value, err, time.time()))

    threads = [threading.Thread(target=run, args=(r,)) for r in regions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return history


def check_no_earlier_write_wins(cluster, history, slack_s=MAX_CLOCK_OFFSET_MS / 1000):
    """For every key, the value every region holds was not acknowledged more than the max clock
    offset earlier (in real time) than another acknowledged write of the same key."""
    acked = {}
    for region, key, value, err, at in history:
        if err is None:
            acked.setdefault(key, []).append((at, value))
    for key, writes in acked.items():
        latest = max(at for at, _ in writes)
        for r in cluster.regions:
            got = get_value(r, key)
            won_at = [at for at, v in writes if v == got]
            assert won_at, (r.name, key, got)
            assert won_at[0] >= latest - slack_s, \
                f"{r.name}: {key} holds {got!r}, acknowledged {latest - won_at[0]:.1f}s before " \
                f"a later acknowledged write"


def test_clock_skew(cluster):
    skewed = cluster.regions[2]
    others = cluster.regions[:2]
    # The deployment file's max offset reached every daemon's clock.
    for r in cluster.regions:
        assert max_offset_seconds(r) == MAX_CLOCK_OFFSET_MS / 1000, r.name
    # 2 s ahead, within the 5 s max offset: replicates normally, both ways.
    restart_with_clock(skewed, "+2s")
    put(skewed, "skew-small", "ok")
    wait_until(lambda: all(get_value(r, "skew-small") == "ok" for r in others), 30,
               "write from a region 2 s ahead replicated")
    put(others[0], "to-skew-small", "ok")
    wait_until(lambda: get_value(skewed, "to-skew-small") == "ok", 30,
               "write to a region 2 s ahead replicated")
    # Never held, not even briefly (with the 500 ms default it would have been, for 1.5 s).
    holds = {r.name: p["skew_holds"] for r in others for p in r.replication()["peers"]
             if p["region"] == skewed.name}
    assert not any(holds.values()), f"batches 2 s ahead were held: {holds}"
    # 10 s ahead: the region learns it from its peers and refuses writes from the first one
    # (had it taken them, they would win last-writer-wins over writes the others acknowledge
    # later in real time); its heartbeats are held by the others; nothing is corrupted.
    restart_with_clock(skewed, "+10s")
    history = hammer_shared_keys([others[0], skewed], seconds=3)
    refused = [e for e in history if e[0] == skewed.name and e[3] is not None]
    assert refused and all(e[3] is None or "clock" in e[3] for e in history
                           if e[0] == skewed.name), history[-5:]
    assert not [e for e in history if e[0] == skewed.name and e[3] is None], \
        "a region 10 s ahead acknowledged writes"
    assert metric(skewed, "globaltable_clock_writes_refused") == 1
    assert "refuses writes: its clock is at least" in skewed.log_text()
    put(others[0], "while-skewed", "fine")
    wrote_at_ms = time.time() * 1000

    def held_everywhere():
        for r in others:
            peer = next(p for p in r.replication()["peers"] if p["region"] == skewed.name)
            if not (peer["clock_skew_hold"] and peer["clock_skew_ms"] > 8000):
                return False
        return True

    wait_until(held_everywhere, 30, "skewed region's batches held")
    # The others' clocks were not dragged 10 s ahead by the held batches (they were at most
    # 2 s ahead, from the first stage), and they still agree with each other.
    wrote_at_ms = time.time() * 1000
    put(others[0], "after-hold-0", "fine")
    put(others[1], "after-hold", "fine")
    for r in others:
        ahead_ms = last_local_hlc_millis(r) - wrote_at_ms
        assert ahead_ms < 5000, f"{r.name}'s clock was dragged {ahead_ms:.0f} ms ahead"
    wait_until(lambda: get_value(others[0], "after-hold") == "fine", 30, "others replicate")
    wait_until(lambda: others[0].digest(TABLE) == others[1].digest(TABLE), 30,
               "the regions with sound clocks agree")
    # The skewed region still receives the others' writes.
    wait_until(lambda: get_value(skewed, "while-skewed") == "fine", 30, "skewed region reads")
    # Fix the clock: its held batches are applied once real time comes within the max offset
    # of their HLC (its own clock kept the stamps it issued, so new writes are held too until
    # then).
    restart_with_clock(skewed, None)

    def writable():
        try:
            put(skewed, "skew-big", "after-fix")
            return True
        except Exception:  # noqa: BLE001  refused until its issued timestamps are within reach
            return False
    wait_until(writable, 60, "writes accepted once the clock is fixed")
    wait_until(lambda: all(get_value(r, "skew-big") == "after-fix" for r in others), 60,
               "held batches applied after the clock is fixed")
    wait_converged(cluster)
    wait_until(lambda: not any(p["clock_skew_hold"] for r in others
                               for p in r.replication()["peers"]), 30, "holds released")
    # No write a region with a sound clock acknowledged was overwritten by one the skewed region
    # acknowledged earlier in real time.
    check_no_earlier_write_wins(cluster, history)


def test_delete_table(cluster):
    us, eu, ap = cluster.regions
    create_table(eu, "scratch")
    wait_until(lambda: table_exists(us, "scratch") and table_exists(ap, "scratch"), 30,
               "scratch table replicated")
    put(us, "k", "v", table="scratch")
    wait_until(lambda: get_value(ap, "k", table="scratch") == "v", 30, "scratch item")
    ap.client().delete_table(TableName="scratch")
    wait_until(lambda: not table_exists(us, "scratch") and not table_exists(eu, "scratch"), 30,
               "table deletion replicated")


def tombstones(region, table=TABLE):
    return region.digest(table)["tombstones"]


def test_tombstones_purged(cluster):
    """Deletes' tombstones stay while a region that could still send an older write is down,
    and go everywhere once every region has closed past them (and the grace period passed)."""
    us, eu, ap = cluster.regions
    keys = [f"tomb-{i}" for i in range(10)]
    for k in keys:
        put(us, k, "v")
    wait_until(lambda: all(get_value(r, keys[-1]) == "v" for r in cluster.regions), 30,
               "the items in every region")
    wait_until(lambda: all(metric(r, "globaltable_tombstone_horizon_age_seconds") >= 0
                           for r in cluster.regions), 30, "a known purge horizon everywhere")
    purged_before = [metric(r, "globaltable_tombstones_purged_total") for r in cluster.regions]

    ap.kill()
    for k in keys:
        eu.client().delete_item(TableName=TABLE, Key={"pk": {"S": k}})
    wait_until(lambda: get_value(us, keys[-1]) is None, 30, "the deletes in us-east-1")
    # The stopped region's last heartbeat holds the horizon: it falls behind the clock, past
    # the grace period, and the tombstones stay.
    held = TOMBSTONE_GRACE_S + 2 * TOMBSTONE_PURGE_INTERVAL_S + 1
    wait_until(lambda: all(metric(r, "globaltable_tombstone_horizon_age_seconds") > held
                           for r in (us, eu)), 60, "the horizon held back by the stopped region")
    for r in (us, eu):
        assert tombstones(r) >= len(keys), f"{r.name} purged while a region was down"
        assert all(get_value(r, k) is None for k in keys[:3]), f"{r.name} lost a delete"

    ap.start()
    wait_until(lambda: all(tombstones(r) == 0 for r in cluster.regions), 60,
               "every tombstone purged in every region")
    for r, before in zip(cluster.regions, purged_before):
        purged = metric(r, "globaltable_tombstones_purged_total") - before
        assert purged >= len(keys), f"{r.name} purged {purged}"
    wait_converged(cluster)
    assert all(get_value(r, k) is None for r in cluster.regions for k in keys)


def test_time_to_live(cluster):
    """TTL enabled in one region applies in all; an expired item goes from every region."""
    us, eu, ap = cluster.regions
    create_table(us, "sessions")
    wait_until(lambda: all(table_exists(r, "sessions") for r in cluster.regions), 30,
               "the sessions table everywhere")
    us.client().update_time_to_live(
        TableName="sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    wait_until(lambda: all(r.client().describe_time_to_live(TableName="sessions")
                           ["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
                           for r in cluster.regions), 30, "TTL enabled everywhere")
    now = int(time.time())
    eu.client().put_item(TableName="sessions", Item={"pk": {"S": "kept"}, "v": {"S": "x"},
                                                     "exp": {"N": str(now + 3600)}})
    ap.client().put_item(TableName="sessions", Item={"pk": {"S": "gone"}, "v": {"S": "x"},
                                                     "exp": {"N": str(now - 10)}})
    wait_until(lambda: all(get_value(r, "gone", table="sessions") is None and
                           get_value(r, "kept", table="sessions") == "x"
                           for r in cluster.regions), 30, "the expired item gone everywhere")
    wait_converged(cluster, table="sessions")


def test_transaction_replicates(cluster):
    """A transaction in one region reaches the others whole."""
    us, eu, ap = cluster.regions
    eu.client().transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "tx-a"}, "v": {"S": "1"}}}},
        {"Put": {"TableName": "sessions", "Item": {"pk": {"S": "tx-b"}, "v": {"S": "2"}}}},
    ])
    wait_until(lambda: all(get_value(r, "tx-a") == "1" and
                           get_value(r, "tx-b", table="sessions") == "2"
                           for r in cluster.regions), 30, "the transaction everywhere")
    wait_converged(cluster)


TESTS = {
    "1": test_write_visible_everywhere,
    "2": test_conflicts_converge,
    "3": test_kill_daemon_mid_load,
    "4": test_kill_nats_mid_load,
    "5": test_cut_region_healed,
    "6": test_clock_skew,
    "7": test_delete_table,
    "8": test_tombstones_purged,
    "9": test_time_to_live,
    "10": test_transaction_replicates,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--topology", default="single", choices=["single", "domains", "supercluster"])
    ap.add_argument("--only", default=",".join(TESTS))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    cluster = Cluster(args.binary, topology=args.topology,
                      max_clock_offset_ms=MAX_CLOCK_OFFSET_MS,
                      outbox_max_age_s=OUTBOX_MAX_AGE_S, outbox_max_bytes=OUTBOX_MAX_BYTES,
                      tombstone_grace_s=TOMBSTONE_GRACE_S,
                      tombstone_purge_interval_s=TOMBSTONE_PURGE_INTERVAL_S,
                      daemon_settings={"ttl_interval_s": 1})
    # In order: later tests use the table of test 1.
    steps = [(f"{n} {TESTS[n].__name__}", TESTS[n]) for n in args.only.split(",")]
    return run_steps(cluster, steps, keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
