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

Usage: restart_load_test.py --binary build/bin/globaltabled [--topology single|domains|supercluster]
       [--rounds N] [--keep]
"""
import argparse
import os
import random
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, wait_until  # noqa: E402
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--topology", default="single", choices=["single", "domains", "supercluster"])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cluster = Cluster(args.binary, topology=args.topology)
    failed = False
    try:
        cluster.start()
        create_table(cluster.regions[0])
        wait_until(lambda: all(table_exists(r) for r in cluster.regions), 30, "table replicated")
        for n in range(1, args.rounds + 1):
            sig = signal.SIGKILL if n % 2 == 1 else signal.SIGTERM
            start = time.monotonic()
            try:
                run_round(cluster, n, sig, rng)
                print(f"PASS round {n} ({time.monotonic() - start:.1f}s)", flush=True)
            except Exception:  # noqa: BLE001
                failed = True
                print(f"FAIL round {n}", flush=True)
                traceback.print_exc()
                print(cluster.logs())
                break
    finally:
        cluster.cleanup(keep=args.keep or failed)
        if failed:
            print(f"work directory kept: {cluster.workdir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
