#!/usr/bin/env python3
"""Static checks of dashboards/globaltable.json against docs/metrics.md.

Fails when the dashboard is not valid JSON, lacks the datasource or region variables, has a
panel without a query, or queries a globaltable_ metric that docs/metrics.md does not define.
Usage: check_dashboard.py SOURCE_DIR
"""
import json
import re
import sys


def main() -> int:
    root = sys.argv[1]
    dash = json.load(open(f"{root}/dashboards/globaltable.json"))
    documented = set(re.findall(r"`(globaltable_[a-z0-9_]+)`", open(f"{root}/docs/metrics.md").read()))
    errors = []
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    if variables.get("datasource", {}).get("type") != "datasource":
        errors.append("missing datasource variable of type 'datasource'")
    if "region" not in variables:
        errors.append("missing region variable")
    used = set()
    for panel in dash["panels"]:
        if panel["type"] == "row":
            continue
        if not panel.get("targets"):
            errors.append(f"panel {panel['title']!r} has no query")
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            errors.append(f"panel {panel['title']!r} does not use the datasource variable")
        for t in panel.get("targets", []):
            if 'region=~"$region"' not in t["expr"]:
                errors.append(f"panel {panel['title']!r} query ignores $region: {t['expr']}")
            for name in re.findall(r"\b(globaltable_[a-z0-9_]+)", t["expr"]):
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                used.add(base)
                if base not in documented:
                    errors.append(f"panel {panel['title']!r} uses undocumented metric {name}")
    for e in errors:
        print("dashboard:", e, file=sys.stderr)
    print(f"dashboard: {len(dash['panels'])} panels, {len(used)} metrics, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
