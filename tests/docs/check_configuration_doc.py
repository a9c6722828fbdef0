#!/usr/bin/env python3
"""docs/configuration.md's example deployment file is one globaltabled accepts.

Extracts the first ```yaml block of the document, runs `globaltabled --check-config` on it as
written and with its commented-out `partitions` key switched on, and expects both accepted;
then expects a value the document calls out of range refused with the file and line.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile


def check(binary, text, workdir, name):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return subprocess.run([binary, "--check-config", path], capture_output=True, text=True,
                          timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--doc", required=True)
    args = ap.parse_args()
    with open(args.doc) as f:
        blocks = re.findall(r"```yaml\n(.*?)```", f.read(), re.S)
    if not blocks:
        print(f"{args.doc}: no ```yaml block")
        return 1
    example = blocks[0]
    problems = []
    with tempfile.TemporaryDirectory(prefix="gt-doc-") as workdir:
        r = check(args.binary, example, workdir, "example.yaml")
        if r.returncode != 0 or "ok (" not in r.stdout:
            problems.append(f"the example is refused: {r.stdout}{r.stderr}")
        enabled = re.sub(r"^(\s*)# (partitions: \d+)", r"\1\2", example, flags=re.M)
        if enabled == example:
            problems.append("the example has no commented-out 'partitions' key")
        r = check(args.binary, enabled, workdir, "partitions.yaml")
        if r.returncode != 0:
            problems.append(f"the example with partitions set is refused: {r.stdout}{r.stderr}")
        bad = example.replace("outbox_max_age_s: 86400", "outbox_max_age_s: 0")
        r = check(args.binary, bad, workdir, "bad.yaml")
        if r.returncode == 0 or "bad.yaml:" not in r.stderr + r.stdout:
            problems.append(f"an out-of-range outbox_max_age_s was not refused by line: "
                            f"{r.stdout}{r.stderr}")
    for p in problems:
        print(f"{args.doc}: {p}")
    print(f"check_configuration_doc: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
