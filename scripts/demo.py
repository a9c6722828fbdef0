#!/usr/bin/python3
"""The globaltable demo: a local three-region global table with a workload and a drill.

Starts nats-server (JetStream) and three globaltabled daemons on loopback from one deployment
file, creates a table in one region, writes in all three regions while printing replication lag,
checks that every region converged to the same digest, runs a planned failover drill and prints
its report. Prometheus scrapes the three regions throughout.

Usage: scripts/demo [--keep] [--seconds N] [--rate N]   (scripts/demo builds first)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from localcluster import LocalCluster, free_port, stop_pid, wait_until  # noqa: E402

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1"]


def say(msg=""):
    print(msg, flush=True)


def start_prometheus(cluster):
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not os.path.exists(binary):
        return None, None
    port = free_port()
    root = os.path.join(cluster.root, "prometheus")
    os.makedirs(root, exist_ok=True)
    targets = ", ".join(f"'{r.admin}'" for r in cluster.regions.values())
    config = os.path.join(root, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 5s\n"
                f"rule_files: ['{ROOT}/dashboards/alerts.yml']\n"
                "scrape_configs:\n  - job_name: globaltable\n"
                f"    static_configs:\n      - targets: [{targets}]\n")
    with open(os.path.join(root, "prometheus.log"), "ab") as log:
        proc = subprocess.Popen([binary, f"--config.file={config}",
                                 f"--storage.tsdb.path={root}/data",
                                 f"--web.listen-address=127.0.0.1:{port}"],
                                stdout=log, stderr=subprocess.STDOUT)
    wait_until(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready",
                                              timeout=1).status == 200, 30, "Prometheus")
    return proc, port


def prom_query(port, expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())["data"]["result"]


def lag_line(cluster):
    parts = []
    for name in REGIONS:
        try:
            for p in cluster.status(name)["replication"]:
                parts.append(f"{p['source_region']}->{name} {p['lag_seconds'] * 1000:.0f}ms"
                             f"/{p['pending']}")
        except Exception:  # noqa: BLE001 - a region may be restarting
            parts.append(f"{name}: unreachable")
    return "lag/pending: " + "  ".join(parts)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--rate", type=float, default=200, help="writes/s per region")
    p.add_argument("--keep", action="store_true", help="keep everything running until Ctrl-C")
    args = p.parse_args()

    cluster = LocalCluster(args.build_dir, REGIONS, keep=args.keep)
    prom = None
    try:
        say("== globaltable demo: a global table in three regions on this machine")
        cluster.start()
        say(f"nats-server (JetStream) on nats://127.0.0.1:{cluster.nats_port}")
        for r in cluster.regions.values():
            say(f"  {r.name:15} id {r.id}  DynamoDB API {r.endpoint}  admin http://{r.admin}")
        say(f"deployment file: {cluster.deployment}")
        prom, prom_port = start_prometheus(cluster)
        if prom_port:
            say(f"Prometheus: http://127.0.0.1:{prom_port} (scraping the three admin listeners)")

        say("\n== CreateTable orders in us-east-1 (aws dynamodb create-table)")
        env = dict(os.environ)
        subprocess.run(["/usr/bin/aws", "dynamodb", "create-table", "--endpoint-url",
                        cluster.regions["us-east-1"].endpoint, "--table-name", "orders",
                        "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                        "--key-schema", "AttributeName=pk,KeyType=HASH",
                        "--billing-mode", "PAY_PER_REQUEST", "--output", "text",
                        "--query", "TableDescription.[TableName,TableStatus]"],
                       check=True, env=env)
        t0 = time.monotonic()
        for name in REGIONS[1:]:
            wait_until(lambda n=name: "orders" in cluster.client(n).list_tables()["TableNames"],
                       30, f"orders in {name}")
            say(f"  orders is a global table in {name} after {time.monotonic() - t0:.2f}s")

        say(f"\n== workload: {args.rate:.0f} writes/s in each region for {args.seconds:.0f}s "
            "on a shared key space (conflicts settle by last-writer-wins)")
        endpoints = [f"--endpoint={n}={cluster.regions[n].endpoint}" for n in REGIONS]
        workload = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(HERE, "workload.py"), "--table", "orders",
             "--seconds", str(args.seconds), "--rate", str(args.rate), "--keys", "200", "--quiet",
             *endpoints],
            stdout=subprocess.PIPE, text=True)
        while workload.poll() is None:
            say("  " + lag_line(cluster))
            try:
                workload.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
        summary = json.loads(workload.stdout.read().strip().splitlines()[-1])
        say(f"  acknowledged writes: {summary['acked']}  errors: {summary['errors']}")

        say("\n== convergence: digests of orders in every region")
        t0 = time.monotonic()
        wait_until(lambda: cluster.digests_equal("orders"), 120, "equal digests")
        say(f"  converged {time.monotonic() - t0:.2f}s after the workload stopped")
        say(cluster.ctl("digest", "orders").stdout.rstrip())
        say("\n" + cluster.ctl("status").stdout.rstrip())

        say("\n== planned failover drill: us-east-1 -> eu-west-1, with writes still arriving "
            "in us-east-1")
        workload = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(HERE, "workload.py"), "--table", "orders",
             "--seconds", "6", "--rate", str(args.rate), "--quiet",
             f"--endpoint=us-east-1={cluster.regions['us-east-1'].endpoint}"],
            stdout=subprocess.DEVNULL)
        start = sum(cluster.status("us-east-1")["changelog"])
        wait_until(lambda: sum(cluster.status("us-east-1")["changelog"]) >= start + 50, 30,
                   "the workload to reach us-east-1")
        drill = cluster.ctl("drill", "planned", "--from", "us-east-1", "--to", "eu-west-1",
                            check=False)
        workload.wait()
        say(drill.stderr.rstrip())
        say(drill.stdout.rstrip())

        if prom_port:
            lag = prom_query(prom_port, "histogram_quantile(0.99, sum by (source_region, region, le)"
                                        " (rate(globaltable_replication_lag_seconds_bucket[1m])))")
            say("\n== replication lag p99 over the last minute, from Prometheus")
            for s in sorted(lag, key=lambda s: (s["metric"].get("source_region", ""),
                                                s["metric"].get("region", ""))):
                v = float(s["value"][1])
                say(f"  {s['metric'].get('source_region')} -> {s['metric'].get('region')}: "
                    + ("-" if v != v else f"{v * 1000:.1f} ms"))
        say("\nGrafana dashboard: dashboards/globaltable.json (import it; pick the Prometheus "
            "data source)\nAlert rules: dashboards/alerts.yml")
        if args.keep:
            say(f"\nEverything keeps running (data in {cluster.root}); Ctrl-C stops it.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        return 0 if drill.returncode == 0 else 1
    finally:
        stop_pid(prom)
        cluster.close()


if __name__ == "__main__":
    sys.exit(main())
