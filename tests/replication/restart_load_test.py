#!/usr/bin/env python3
"""A region restarted while every region takes writes at full speed converges at catch-up speed.

Found this way (docs/reliability.md, "Restart under load"): three regions, two client threads each
writing PutItem over keep-alive as fast as the regions answer (70% unique keys, 30% on 200 hot
keys shared by all regions); one region is killed (kill -9, then SIGTERM in the second round) 3 s
into a 12 s load and started again 1-4 s later with the same command. Before the fix the restarted
region never caught up within 45 s: its readers filled the consumer's whole ack window with
batches beyond the gap its restart left and the batch that closes the gap rarely came back.

Each round asserts:
  - every region has applied everything and the digests are equal within CONVERGE_S of the end of
    the load (the catch-up figure of docs/benchmarks.md is ~20k mutations/s; a round writes
    ~30k, so 30 s is generous);
  - every acknowledged unique write is in every region, every hot key holds a written value;
  - no peer reports needs_resync.

Before the rounds, every per-source series an alert or panel reads must exist; with
--nats-outage a last round kills nats-server under load and checks that every region's gauges say
the link is down and the lag grows while it is down, and that the loss and return are logged.

Usage: restart_load_test.py --binary build/bin/globaltabled [--topology single|domains|supercluster]
       [--rounds N] [--nats-outage] [--keep]
"""
import argparse
import os
import random
import re
import signal
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, run_steps, wait_until  # noqa: E402
from load import Load  # noqa: E402
from multi_region_test import all_caught_up, create_table, digests_match, table_exists  # noqa: E402

TABLE = "orders"
LOAD_S = 12.0
KILL_AT_S = 3.0
CONVERGE_S = 30.0


def until(seconds_from, t):
    wait_until(lambda: time.monotonic() >= seconds_from + t, t + 5, f"{t:.1f}s into the load")


def run_round(cluster, n, sig, rng):
    victim = cluster.regions[n % len(cluster.regions)]
    down_s = rng.uniform(1.0, 4.0)
    load = Load(cluster.regions, TABLE, threads=2, seed=n)
    load.start()
    t0 = time.monotonic()
    until(t0, KILL_AT_S)
    before = load.acked_in(victim)
    victim.kill(sig)
    until(t0, KILL_AT_S + down_s)
    victim.start()
    until(t0, LOAD_S)
    load.stop()
    assert load.acked_in(victim) > before, "the restarted region took no writes after its restart"
    print(f"  round {n}: {sig.name} {victim.name} for {down_s:.1f}s; {load.summary()}", flush=True)
    end = time.monotonic()
    try:
        wait_until(lambda: all_caught_up(cluster) and digests_match(cluster, TABLE), CONVERGE_S,
                   "every region caught up with equal digests")
    except Exception:
        for r in cluster.regions:
            print(f"  {r.name}: {r.replication()}", flush=True)
        raise
    peers = victim.replication()["peers"]
    print(f"  round {n}: converged {time.monotonic() - end:.1f}s after the load; "
          f"{victim.name} refused {sum(p['gaps'] for p in peers)} batches as gaps and read "
          f"{sum(p['gap_fills'] for p in peers)} from the outboxes", flush=True)
    load.check(cluster.regions)
    for r in cluster.regions:
        for p in r.replication()["peers"]:
            assert not p.get("needs_resync"), (r.name, p)


def series(region, name):
    """{source_region: value} of a per-source globaltable_ series, as the daemon exports it now."""
    with urllib.request.urlopen(f"http://127.0.0.1:{region.admin_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for labels, value in re.findall(rf"^{name}\{{([^}}]*)\}} (\S+)$", text, re.M):
        src = re.search(r'source_region="([^"]*)"', labels)
        if src:
            out.setdefault(src.group(1), 0.0)
            out[src.group(1)] += float(value)
    return out


def check_series_from_start(cluster):
    """Every per-source series an alert or a panel reads exists before its first event."""
    for r in cluster.regions:
        others = {o.name for o in cluster.regions if o is not r}
        for name in ("globaltable_replication_rejected_batches_total",
                     "globaltable_replication_dead_letter_batches_total",
                     "globaltable_replication_stalled_partitions",
                     "globaltable_replication_blocked_partitions",
                     "globaltable_replication_link_up",
                     "globaltable_replication_oldest_unreplicated_seconds"):
            got = series(r, name)
            assert set(got) == others, f"{r.name}: {name} exists for {sorted(got)}, not {others}"


def run_nats_outage(cluster, n):
    """nats-server killed under load: every region's gauges say so while it is down (link down,
    lag growing) and logs the loss and the return; then everything converges."""
    load = Load(cluster.regions, TABLE, threads=2, seed=100 + n)
    load.start()
    t0 = time.monotonic()
    until(t0, KILL_AT_S)
    for s in cluster.nats:
        s.kill()

    def gauges_say_down():
        for r in cluster.regions:
            if any(v != 0 for v in series(r, "globaltable_replication_link_up").values()):
                return False
            lag = series(r, "globaltable_replication_oldest_unreplicated_seconds")
            if any(v < 2 for v in lag.values()):
                return False
        return True
    wait_until(gauges_say_down, 20, "every region's link gauges down and lag growing")
    for s in cluster.nats:
        s.start()
    until(t0, KILL_AT_S + 6)
    load.stop()
    print(f"  round {n}: nats-server down and back; {load.summary()}", flush=True)
    wait_until(lambda: all_caught_up(cluster) and digests_match(cluster, TABLE), 60,
               "every region caught up with equal digests")
    load.check(cluster.regions)
    for r in cluster.regions:
        assert all(v == 1 for v in series(r, "globaltable_replication_link_up").values()), r.name
        log = r.log_text()
        assert re.search(r"NATS connection .* lost", log), f"{r.name} did not log the loss"
        assert re.search(r"NATS connection .* back", log), f"{r.name} did not log the return"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--topology", default="single", choices=["single", "domains", "supercluster"])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--nats-outage", action="store_true",
                    help="then kill nats-server under load and check what monitoring says")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cluster = Cluster(args.binary, topology=args.topology)

    def setup(cluster):
        create_table(cluster.regions[0])
        wait_until(lambda: all(table_exists(r) for r in cluster.regions), 30, "table replicated")
        check_series_from_start(cluster)

    steps = [("table and series", setup)]
    for n in range(1, args.rounds + 1):
        sig = signal.SIGKILL if n % 2 == 1 else signal.SIGTERM
        steps.append((f"round {n}", lambda c, n=n, sig=sig: run_round(c, n, sig, rng)))
    if args.nats_outage:
        steps.append(("nats outage", lambda c: run_nats_outage(c, args.rounds + 1)))
    return run_steps(cluster, steps, keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
