#!/usr/bin/python3
"""A write workload against one or more globaltable regions, through boto3.

Each region gets its own writer threads. Writers put items on a shared key space (so regions
conflict on some keys, as real multi-region traffic does) and count what was acknowledged.

  scripts/workload.py --table orders --seconds 15 --rate 200 \
      --endpoint us-east-1=http://127.0.0.1:8001 --endpoint eu-west-1=http://127.0.0.1:8002

Prints a line per second and a JSON summary at the end: {"acked": {...}, "errors": {...}}.
Writes refused because a region is read-only or fenced are counted as "rejected", not errors.
"""
import argparse
import json
import os
import random
import sys
import threading
import time

os.environ.setdefault("AWS_ACCESS_KEY_ID", "demo")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "demo")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError, EndpointConnectionError  # noqa: E402


def writer(name, url, args, stats, lock, stop):
    # boto3's default session is not thread-safe: one session per writer thread.
    client = boto3.session.Session().client("dynamodb", endpoint_url=url,
                          config=Config(retries={"max_attempts": 1}, max_pool_connections=4,
                                        connect_timeout=2, read_timeout=5))
    interval = 1.0 / args.rate if args.rate > 0 else 0
    next_at = time.monotonic()
    rng = random.Random(hash(name))
    seq = 0
    while not stop.is_set():
        seq += 1
        key = f"k{rng.randrange(args.keys):06d}"
        item = {"pk": {"S": key}, "region": {"S": name}, "seq": {"N": str(seq)},
                "payload": {"S": "x" * args.item_bytes}}
        try:
            client.put_item(TableName=args.table, Item=item)
            outcome = "acked"
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            outcome = "rejected" if code == "WriteRejectedException" else "errors"
        except (EndpointConnectionError, Exception):  # noqa: BLE001 - count, keep going
            outcome = "errors"
        with lock:
            stats[name][outcome] += 1
        if interval:
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                stop.wait(delay)
            else:
                next_at = time.monotonic()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", action="append", required=True, help="NAME=URL")
    p.add_argument("--table", required=True)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--rate", type=float, default=100, help="writes/s per region (0: as fast as possible)")
    p.add_argument("--keys", type=int, default=1000, help="size of the shared key space")
    p.add_argument("--item-bytes", type=int, default=100)
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args()
    endpoints = dict(e.split("=", 1) for e in args.endpoint)
    stats = {n: {"acked": 0, "rejected": 0, "errors": 0} for n in endpoints}
    lock = threading.Lock()
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(n, u, args, stats, lock, stop), daemon=True)
               for n, u in endpoints.items()]
    for t in threads:
        t.start()
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        stop.wait(min(1.0, max(0.0, end - time.monotonic())))
        if not args.quiet:
            with lock:
                line = "  ".join(f"{n}: {s['acked']} acked" + (f", {s['rejected']} rejected" if s['rejected'] else "")
                                 + (f", {s['errors']} errors" if s['errors'] else "") for n, s in stats.items())
            print(f"workload: {line}", flush=True)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    print(json.dumps({"acked": {n: s["acked"] for n, s in stats.items()},
                      "rejected": {n: s["rejected"] for n, s in stats.items()},
                      "errors": {n: s["errors"] for n, s in stats.items()}}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
