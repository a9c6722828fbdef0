#!/usr/bin/env python3
"""Randomized fault schedules against real daemons and real nats-servers, with a checker.

Each schedule, from its seed: a fresh deployment (3 or 5 regions, topology single, domains or
supercluster; every region in its own network namespace, its data directory on a small tmpfs),
two tables (chaos_b with TTL), the workload of tests/chaos/workload.py in every region for
`--seconds`, and 2-5 overlapping faults of tests/chaos/faults.py landing while batches are in
flight. Then every fault heals, the load stops, and the schedule passes when, within
CONVERGE_S, every region has applied everything with equal digests, and the checker
(tests/chaos/checker.py) finds nothing lost, resurrected, phantom, divergent or torn, no daemon
exited unless killed, no peer needs a resync, and no daemon took over 20 s to stop on SIGTERM.

A failing schedule keeps its folder (seed, schedule, history, deployment, daemon logs) and
names it; `--seed S --schedules 1` runs it again. A summary table ends the run; `--results`
appends one JSON line per schedule.

Usage: chaos.py --binary build/bin/globaltabled [--schedules N | --minutes M] [--seed S]
                [--regions 3|5] [--topology T] [--seconds S] [--threads T] [--results FILE]
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "replication"))
sys.path.insert(0, HERE)
from cluster import Cluster, wait_until  # noqa: E402
import checker  # noqa: E402
import faults  # noqa: E402
import netns  # noqa: E402
import workload  # noqa: E402

NAMES = ["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1", "af-south-1"]
MAX_OFFSET_S = 0.5
CONVERGE_S = 120
DISK_MB = 768


def all_caught_up(cluster):
    try:
        for r in cluster.regions:
            s = r.replication()
            if s["publisher"]["unpublished_mutations"] != 0:
                return False
            for p in s["peers"]:
                if p["pending_batches"] != 0 or not p["link_up"]:
                    return False
    except Exception:  # noqa: BLE001  a region still starting
        return False
    return True


def digests_equal(cluster):
    try:
        for table in (workload.TABLE_A, workload.TABLE_B):
            ds = [r.digest(table) for r in cluster.regions]
            if any(d["digest"] != ds[0]["digest"] for d in ds):
                return False
    except Exception:  # noqa: BLE001
        return False
    return True


def tables_everywhere(cluster):
    try:
        return all(workload.scan(r, t) is not None for r in cluster.regions
                   for t in (workload.TABLE_A, workload.TABLE_B))
    except Exception:  # noqa: BLE001
        return False


def log_problems(cluster):
    """Lines of the daemons' logs that say a crash or a resync (evidence for the checker)."""
    bad = []
    for r in cluster.regions:
        for line in r.log_text().splitlines():
            if any(s in line for s in ("NEEDS RESYNC", "AddressSanitizer", "Check failed",
                                       "terminate called", "Segmentation fault")):
                bad.append(f"{r.name}: {line[:300]}")
    return bad


def run_schedule(args, seed, base):
    topology, plan = faults.draw(seed, args.regions, args.seconds, args.kinds, MAX_OFFSET_S,
                                 args.topology)
    folder = os.path.join(base, f"seed-{seed}")
    os.makedirs(folder)
    out = {"seed": seed, "topology": topology, "regions": args.regions,
           "faults": [f.to_json() for f in plan]}
    faults.dump(os.path.join(folder, "schedule.json"), out)
    lines = []

    def log(s):
        lines.append(s)
        if args.verbose:
            print(s, flush=True)

    net = netns.Net(args.regions, single_nats=topology == "single") if args.netns else None
    disks = {}
    for i in range(args.regions):
        mount = os.path.join(folder, f"disk-{i}")
        disks[i] = mount if args.tmpfs and faults.mount_tmpfs(mount, DISK_MB) else None
        if disks[i] is None:
            os.makedirs(mount, exist_ok=True)
    if any(d is None for d in disks.values()):
        plan = [f for f in plan if f.kind != "disk"]
    if net is None:
        plan = [f for f in plan if f.kind != "partition"]
    cluster = Cluster(args.binary, names=NAMES[:args.regions], topology=topology, net=net,
                      workdir=folder, max_clock_offset_ms=int(MAX_OFFSET_S * 1000),
                      tombstone_grace_s=2, tombstone_purge_interval_s=1,
                      data_dirs=[os.path.join(disks[i], "data") for i in range(args.regions)])
    runner = faults.Runner(cluster, net, disks, log)
    load = None
    failure = None
    started = time.monotonic()
    try:
        cluster.start()
        workload.create_tables(cluster.regions[0])
        wait_until(lambda: tables_everywhere(cluster), 60, "tables in every region")
        load = workload.Workload(cluster.regions, folder, threads=args.threads, seed=seed)
        load.start()
        t0 = time.monotonic()
        runner.run(plan, t0, args.seconds)
        history = load.stop()
        load_s = load.seconds
        load = None
        healed = time.monotonic()
        for f in plan:
            runner.end(f)
        runner.check_alive()
        try:
            wait_until(lambda: all_caught_up(cluster) and digests_equal(cluster), CONVERGE_S,
                       "every region caught up with equal digests")
        except Exception:  # noqa: BLE001
            failure = "did not converge within %d s: %s" % (CONVERGE_S, json.dumps(
                {r.name: r.replication() for r in cluster.regions})[:3000])
        out["converge_s"] = round(time.monotonic() - healed, 2)
        finals = {r.name: {t: workload.scan(r, t) for t in (workload.TABLE_A, workload.TABLE_B)}
                  for r in cluster.regions}
        u = max([abs(f.arg) for f in plan if f.kind == "skew"] + [0]) + MAX_OFFSET_S + 0.05
        res = checker.check(history, finals, u)
        out.update(res.counts)
        writes = sum(1 for h in history if h[1] in workload.WRITES)
        out["load_s"] = round(load_s, 1)
        out["writes_per_s"] = round(writes / max(load_s, 0.001))
        out["acked_per_s"] = round(res.counts["acked_writes"] / max(load_s, 0.001))
        resync = [f"{r.name} from {p['region']}" for r in cluster.regions
                  for p in r.replication()["peers"] if p.get("needs_resync")]
        out["crashes"] = len(runner.crashes)
        out["slow_stops"] = len(runner.slow_stops)
        problems = (res.violations + [f"crash: {c}" for c in runner.crashes] +
                    [f"needs_resync: {x}" for x in resync] + runner.slow_stops +
                    [f"log: {x}" for x in log_problems(cluster)])
        if failure:
            problems.insert(0, failure)
        out["problems"] = problems[:20]
        with open(os.path.join(folder, "history.jsonl"), "w") as f:
            for h in history:
                f.write(json.dumps(h) + "\n")
    except Exception as e:  # noqa: BLE001  the schedule could not run to the end
        import traceback
        out["problems"] = [f"schedule aborted: {e!r}", traceback.format_exc()[-2000:]]
    finally:
        if load is not None:
            load.stop()
        cluster.stop()
        if net is not None:
            net.close()
        for d in disks.values():
            if d:
                faults.unmount(d)
    out["injected"] = runner.injected
    out["seconds"] = round(time.monotonic() - started, 1)
    out["ok"] = not out["problems"]
    with open(os.path.join(folder, "events.log"), "w") as f:
        f.write("\n".join(lines) + "\n")
    faults.dump(os.path.join(folder, "result.json"), out)
    if out["ok"] and not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        out["folder"] = folder
    return out


def summary(results):
    rows = {}
    for r in results:
        t = rows.setdefault(r["topology"], {"schedules": 0, "failed": 0, "requests": 0,
                                            "acked_writes": 0, "lost": 0, "divergent": 0,
                                            "resurrected": 0, "phantom": 0, "torn": 0,
                                            "crashes": 0, "converge": [], "rate": [],
                                            "injected": {}})
        t["schedules"] += 1
        t["failed"] += 0 if r["ok"] else 1
        for k in ("requests", "acked_writes", "lost", "divergent", "resurrected", "phantom",
                  "torn", "crashes"):
            t[k] += r.get(k, 0)
        if "converge_s" in r:
            t["converge"].append(r["converge_s"])
        if "acked_per_s" in r:
            t["rate"].append(r["acked_per_s"])
        for k, v in r.get("injected", {}).items():
            t["injected"][k] = t["injected"].get(k, 0) + v
    head = ("topology", "sched", "failed", "requests", "acked", "acked/s", "lost", "diverg",
            "resurr", "phantom", "torn", "crash", "conv p50", "conv max")
    print("  ".join(f"{h:>9}" for h in head))
    for topo, t in sorted(rows.items()):
        conv = t["converge"] or [0]
        rate = statistics.median(t["rate"]) if t["rate"] else 0
        vals = (topo, t["schedules"], t["failed"], t["requests"], t["acked_writes"],
                f"{rate:.0f}", t["lost"], t["divergent"], t["resurrected"], t["phantom"],
                t["torn"], t["crashes"], f"{statistics.median(conv):.1f}s", f"{max(conv):.1f}s")
        print("  ".join(f"{v:>9}" for v in vals))
    for topo, t in sorted(rows.items()):
        print(f"faults injected ({topo}): " +
              ", ".join(f"{k} {v}" for k, v in sorted(t["injected"].items())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--schedules", type=int, default=None)
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--seed", type=int, default=int(time.time()) % 1000000)
    ap.add_argument("--regions", type=int, default=3, choices=[3, 5])
    ap.add_argument("--topology", choices=["single", "domains", "supercluster"])
    ap.add_argument("--seconds", type=float, default=12.0, help="load per schedule")
    ap.add_argument("--threads", type=int, default=2, help="client threads per region")
    ap.add_argument("--kinds", default=",".join(faults.KINDS))
    ap.add_argument("--results", help="append one JSON line per schedule to this file")
    ap.add_argument("--dir", help="where schedule folders go (default: a new temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep passing schedules' folders too")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    # Into a network namespace of its own, where the regions' namespaces hang off.
    netns.enter_private([sys.executable] + sys.argv)

    def stop(signum, frame):  # the running schedule's cleanup (processes, mounts) still runs
        raise SystemExit(f"stopped by signal {signum}")
    signal.signal(signal.SIGTERM, stop)
    args.kinds = args.kinds.split(",")
    if args.schedules is None and args.minutes is None:
        args.schedules = 1
    why = netns.available()
    args.netns = why is None
    if why:
        print(f"network namespaces unavailable ({why}): no partitions", flush=True)
    else:
        netns.remove_stale()
    args.tmpfs = os.geteuid() == 0
    base = args.dir or tempfile.mkdtemp(prefix="gt-chaos-")
    os.makedirs(base, exist_ok=True)
    print(f"chaos: seed {args.seed}, {args.regions} regions, {args.seconds:.0f} s of load per "
          f"schedule, folders under {base}", flush=True)
    deadline = time.monotonic() + args.minutes * 60 if args.minutes else None
    results = []
    i = 0
    while True:
        if args.schedules is not None and i >= args.schedules:
            break
        if deadline is not None and time.monotonic() >= deadline:
            break
        seed = args.seed + i
        i += 1
        r = run_schedule(args, seed, base)
        results.append(r)
        faults_text = ", ".join(f"{f['kind']}@r{f['target']}" for f in r["faults"])
        status = "PASS" if r["ok"] else "FAIL"
        print(f"{status} seed {seed} {r['topology']:<12} {r.get('acked_writes', 0):>6} acked "
              f"({r.get('acked_per_s', 0)}/s) converged {r.get('converge_s', '-')}s "
              f"in {r['seconds']}s; faults: {faults_text}", flush=True)
        if not r["ok"]:
            for p in r["problems"][:8]:
                print(f"    {p[:600]}", flush=True)
            print(f"    kept: {r['folder']}", flush=True)
        if args.results:
            with open(args.results, "a") as f:
                f.write(json.dumps(r) + "\n")
    summary(results)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
