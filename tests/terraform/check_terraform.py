#!/usr/bin/env python3
"""Static checks over Terraform parsed to JSON by @cdktf/hcl2json (terraform validate cannot run
here: Terraform cannot be downloaded on these machines).

Per module directory:
  - every variable has a non-empty type and description, every output a description;
  - every var.X, local.X, module.X and data.T.N referenced is declared in that directory, and
    every declared variable is used outside its own block;
  - every call of a local module passes only variables that module declares, every variable it
    declares without a default, and a provider for each of its configuration_aliases; every
    module.X.Y read names an output of the called module.
With --deployment-fixture / --prometheus-fixture, --example and --module: each fixture is byte
for byte what Terraform's yamlencode emits for its own content, has the keys of the module's
object, and holds the values the example's regions, terraform.tfvars.example and the module's
defaults give.

Usage: check_terraform.py PARSED.json [--deployment-fixture FILE] [--prometheus-fixture FILE]
                          [--example DIR --module DIR]
       check_terraform.py --self-test     (the yamlencode emulation against Terraform's docs)
Exits 1 listing every problem found.
"""

import argparse
import json
import os
import re
import sys

import yaml

META_MODULE_ARGS = {"source", "version", "providers", "for_each", "count", "depends_on"}
REF_VAR = re.compile(r"(?<![\w.])var\.([A-Za-z_][\w-]*)")
REF_LOCAL = re.compile(r"(?<![\w.])local\.([A-Za-z_][\w-]*)")
REF_MODULE = re.compile(r"(?<![\w.])module\.([A-Za-z_][\w-]*)(\[[^\]]*\])?(?:\.([A-Za-z_][\w-]*))?")
REF_DATA = re.compile(r"(?<![\w.])data\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)")


def strings(node):
    """Every string inside a parsed JSON value (expressions arrive as "${...}" strings)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield k
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


class Module:
    """The blocks of one directory's .tf files."""

    def __init__(self, path):
        self.path = path
        self.files = {}  # file -> parsed JSON

    def blocks(self, kind):
        """{name: body} for variable/output/module blocks; {type.name: body} for resources and data."""
        out = {}
        for parsed in self.files.values():
            section = parsed.get(kind, {})
            for name, value in section.items():
                if kind in ("resource", "data"):
                    for inner, bodies in value.items():
                        out[f"{name}.{inner}"] = bodies[0] if isinstance(bodies, list) else bodies
                else:
                    out[name] = value[0] if isinstance(value, list) else value
        return out

    def locals(self):
        names = set()
        for parsed in self.files.values():
            for block in parsed.get("locals", []):
                names.update(block.keys())
        return names

    def configuration_aliases(self):
        aliases = set()
        for parsed in self.files.values():
            for tf in parsed.get("terraform", []):
                for rp in tf.get("required_providers", []):
                    for spec in rp.values():
                        if isinstance(spec, dict):
                            for a in spec.get("configuration_aliases", []):
                                aliases.add(a.strip("${}"))
        return aliases


def load_modules(parsed):
    modules = {}
    for file, content in parsed.items():
        if not file.endswith(".tf"):
            continue
        d = os.path.normpath(os.path.dirname(file))
        modules.setdefault(d, Module(d)).files[file] = content
    return modules


def check_module(m, modules, problems):
    variables = m.blocks("variable")
    outputs = m.blocks("output")
    calls = m.blocks("module")
    data = m.blocks("data")
    local_names = m.locals()

    for name, body in variables.items():
        for field in ("type", "description"):
            if not str(body.get(field, "")).strip():
                problems.append(f"{m.path}: variable \"{name}\" has no {field}")
    for name, body in outputs.items():
        if not str(body.get("description", "")).strip():
            problems.append(f"{m.path}: output \"{name}\" has no description")

    used_vars = set()
    for file, parsed in m.files.items():
        for kind, section in parsed.items():
            for s in strings(section):
                for v in REF_VAR.findall(s):
                    if v not in variables:
                        problems.append(f"{file}: var.{v} is not declared in {m.path}")
                    if kind != "variable":
                        used_vars.add(v)
                for loc in REF_LOCAL.findall(s):
                    if loc not in local_names:
                        problems.append(f"{file}: local.{loc} is not defined in {m.path}")
                for t, n in REF_DATA.findall(s):
                    if f"{t}.{n}" not in data:
                        problems.append(f"{file}: data.{t}.{n} is not declared in {m.path}")
                for call, _, out in REF_MODULE.findall(s):
                    if call not in calls:
                        problems.append(f"{file}: module.{call} is not called in {m.path}")
                        continue
                    callee = resolve(m, calls[call], modules)
                    if callee and out and out not in callee.blocks("output"):
                        problems.append(f"{file}: module.{call}.{out}: {callee.path} has no output \"{out}\"")
    for v in sorted(set(variables) - used_vars):
        problems.append(f"{m.path}: variable \"{v}\" is declared but never used")

    for name, body in calls.items():
        callee = resolve(m, body, modules)
        if callee is None:
            continue
        declared = callee.blocks("variable")
        passed = set(body) - META_MODULE_ARGS
        for arg in sorted(passed - set(declared)):
            problems.append(f"{m.path}: module \"{name}\" passes \"{arg}\", which {callee.path} does not declare")
        for var, vbody in sorted(declared.items()):
            if "default" not in vbody and var not in passed:
                problems.append(f"{m.path}: module \"{name}\" does not pass required variable \"{var}\" of {callee.path}")
        providers = body.get("providers", {})
        if isinstance(providers, list):
            providers = providers[0] if providers else {}
        for alias in sorted(callee.configuration_aliases()):
            if alias not in providers:
                problems.append(f"{m.path}: module \"{name}\" does not pass provider {alias} that {callee.path} requires")


def resolve(m, call_body, modules):
    source = call_body.get("source", "")
    if not source.startswith("."):
        return None
    target = os.path.normpath(os.path.join(m.path, source))
    return modules.get(target)


def yamlencode(value, indent=0):
    """The text Terraform's yamlencode emits (go-cty-yaml: sorted keys, double-quoted strings,
    sequences inside mappings not indented), for the types a deployment file uses."""

    def scalar(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if v is None:
            return "null"
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, (dict, list)) and not v:
            return "{}" if isinstance(v, dict) else "[]"
        raise TypeError(f"no yamlencode emulation for {type(v).__name__}")

    def block(v):
        return isinstance(v, (dict, list)) and v

    pad = " " * indent
    lines = []
    if isinstance(value, dict):
        for k in sorted(value):
            v = value[k]
            if not block(v):
                lines.append(f"{pad}{scalar(k)}: {scalar(v)}")
            else:
                lines.append(f"{pad}{scalar(k)}:")
                lines.extend(yamlencode(v, indent + 2 if isinstance(v, dict) else indent))
    elif isinstance(value, list):
        for item in value:
            if not block(item):
                lines.append(f"{pad}- {scalar(item)}")
            else:
                sub = yamlencode(item, indent + 2)
                lines.append(f"{pad}- {sub[0][indent + 2:]}")
                lines.extend(sub[1:])
    else:
        lines.append(pad + scalar(value))
    return lines


def hcl_default(type_expr, attr):
    """The default of attr in an object type string: `attr = optional(T, DEFAULT)`."""
    m = re.search(rf"\b{attr}\s*=\s*optional\(\w+,\s*([^)]+)\)", type_expr)
    if not m:
        raise ValueError(f"no default for {attr} in {type_expr!r}")
    return json.loads(m.group(1))


def read_fixture(fixture, problems):
    """The fixture's content, after checking that the text below its leading comment is exactly
    what yamlencode emits for that content."""
    text = open(fixture, encoding="utf-8").read()
    body = "".join(l for l in text.splitlines(keepends=True) if not l.startswith("#"))
    try:
        doc = yaml.safe_load(body)
    except yaml.YAMLError as e:
        problems.append(f"{fixture}: not YAML: {e}")
        return None
    rendered = "\n".join(yamlencode(doc)) + "\n"
    if rendered != body:
        problems.append(f"{fixture}: not in yamlencode's form; yamlencode of its content is:\n{rendered}")
    return doc


class Example:
    """What the example passes to the global-table module, and the module's defaults."""

    def __init__(self, parsed, example_dir, module_dir):
        modules = load_modules(parsed)
        self.module = modules[os.path.normpath(module_dir)]
        example = modules[os.path.normpath(example_dir)]
        variables = self.module.blocks("variable")
        ports_type = variables["ports"]["type"]
        self.ports = {p: hcl_default(ports_type, p) for p in ("api", "admin", "nats_client")}
        self.job_name = variables["prometheus_job_name"]["default"]
        self.clock_max_offset_ms = int(variables["clock_max_offset_ms"]["default"])
        self.outbox_max_age_s = int(variables["outbox_max_age_s"]["default"])
        self.outbox_max_bytes = int(variables["outbox_max_bytes"]["default"])
        self.tombstone_grace_s = int(variables["tombstone_grace_s"]["default"])
        self.tombstone_purge_interval_s = int(variables["tombstone_purge_interval_s"]["default"])
        self.domain = parsed[os.path.join(example_dir, "terraform.tfvars.example")]["dns_domain"]
        self.topology = example.blocks("variable")["nats_topology"]["default"]
        regions = example.blocks("module")["global_table"]["regions"]
        if not isinstance(regions, dict):
            raise ValueError(f"{example_dir}: module global_table's regions is not a literal object")
        self.regions = {n: (int(r["id"]), r["aws_region"]) for n, r in regions.items()}

    def local(self, name):
        for parsed_file in self.module.files.values():
            for block in parsed_file.get("locals", []):
                if name in block:
                    return block[name]
        raise KeyError(f"{self.module.path}: no local {name}")


def keys_in(node):
    """Every mapping key anywhere in a parsed YAML value."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield k
            yield from keys_in(v)
    elif isinstance(node, list):
        for v in node:
            yield from keys_in(v)


def check_deployment_fixture(fixture, ex, problems):
    doc = read_fixture(fixture, problems)
    if doc is None:
        return
    deployment = ex.local("deployment")  # nats arrives as JSON, regions as expression text
    region_keys = set(re.findall(r"^\s*(\w+)\s*=", deployment["regions"], re.M))
    if set(doc) != set(deployment):
        problems.append(f"{fixture}: top-level keys {sorted(doc)} != module's {sorted(deployment)}")
    for section in ("nats", "clock", "replication"):
        if set(doc.get(section, {})) != set(deployment[section]):
            problems.append(f"{fixture}: {section} keys {sorted(doc.get(section, {}))} != module's {sorted(deployment[section])}")
    for r in doc.get("regions", []):
        if set(r) != region_keys:
            problems.append(f"{fixture}: region keys {sorted(r)} != module's {sorted(region_keys)}")

    p = ex.ports
    expected = {
        "nats": {"topology": ex.topology, "urls": [f"nats://127.0.0.1:{p['nats_client']}"]},
        "clock": {"max_offset_ms": ex.clock_max_offset_ms},
        "replication": {"outbox_max_age_s": ex.outbox_max_age_s,
                        "outbox_max_bytes": ex.outbox_max_bytes,
                        "tombstone_grace_s": ex.tombstone_grace_s,
                        "tombstone_purge_interval_s": ex.tombstone_purge_interval_s},
        "regions": [
            {
                "name": n,
                "id": ex.regions[n][0],
                "api": f"{n}.{ex.domain}:{p['api']}",
                "admin": f"{n}.{ex.domain}:{p['admin']}",
                "data_dir": f"/var/lib/globaltable/{n}",
            }
            for n in sorted(ex.regions)
        ],
    }
    if doc != expected:
        problems.append(f"{fixture}: does not hold what the example renders; expected:\n" + "\n".join(yamlencode(expected)))


def check_prometheus_fixture(fixture, ex, problems):
    doc = read_fixture(fixture, problems)
    if doc is None:
        return
    expr = ex.local("prometheus_scrape_config")
    module_keys = set(re.findall(r"(\w+)\s*=", expr))
    if set(keys_in(doc)) != module_keys:
        problems.append(f"{fixture}: keys {sorted(set(keys_in(doc)))} != module's {sorted(module_keys)}")
    literal = dict(re.findall(r'(metrics_path|scrape_interval)\s*=\s*"([^"]+)"', expr))
    expected = {
        "scrape_configs": [
            {
                "job_name": ex.job_name,
                "metrics_path": literal.get("metrics_path"),
                "scrape_interval": literal.get("scrape_interval"),
                "static_configs": [
                    {
                        "targets": [f"{n}.{ex.domain}:{ex.ports['admin']}"],
                        "labels": {"region": n, "region_id": str(ex.regions[n][0]), "aws_region": ex.regions[n][1]},
                    }
                    for n in sorted(ex.regions)
                ],
            }
        ]
    }
    if doc != expected:
        problems.append(f"{fixture}: does not hold what the example renders; expected:\n" + "\n".join(yamlencode(expected)))


def self_test():
    """yamlencode() against the examples in Terraform's documentation of yamlencode."""
    cases = [
        ({"a": "b", "c": "d"}, '"a": "b"\n"c": "d"'),
        ({"foo": [1, 2, 3], "bar": "baz"}, '"bar": "baz"\n"foo":\n- 1\n- 2\n- 3'),
        ({"foo": [1, {"a": "b", "c": "d"}, 3], "bar": "baz"}, '"bar": "baz"\n"foo":\n- 1\n- "a": "b"\n  "c": "d"\n- 3'),
    ]
    bad = 0
    for value, want in cases:
        got = "\n".join(yamlencode(value))
        if got != want:
            bad += 1
            print(f"FAIL: yamlencode({value!r}) gave\n{got}\nnot\n{want}")
    print(f"yamlencode self-test: {len(cases) - bad} passed, {bad} failed")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("parsed", nargs="?")
    ap.add_argument("--self-test", action="store_true", help="check the yamlencode emulation and exit")
    ap.add_argument("--deployment-fixture")
    ap.add_argument("--prometheus-fixture")
    ap.add_argument("--example", help="example directory (with --*-fixture)")
    ap.add_argument("--module", help="global-table module directory (with --*-fixture)")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    if not args.parsed:
        ap.error("PARSED.json is required")

    parsed = json.load(open(args.parsed, encoding="utf-8"))
    modules = load_modules(parsed)
    problems = []
    counts = {"variables": 0, "outputs": 0, "module calls": 0}
    for path in sorted(modules):
        m = modules[path]
        counts["variables"] += len(m.blocks("variable"))
        counts["outputs"] += len(m.blocks("output"))
        counts["module calls"] += len(m.blocks("module"))
        check_module(m, modules, problems)
    fixtures = 0
    if args.deployment_fixture or args.prometheus_fixture:
        try:
            ex = Example(parsed, args.example, args.module)
        except (KeyError, ValueError, TypeError) as e:
            problems.append(f"cannot read the example's values: {e!r}")
        else:
            if args.deployment_fixture:
                check_deployment_fixture(args.deployment_fixture, ex, problems)
                fixtures += 1
            if args.prometheus_fixture:
                check_prometheus_fixture(args.prometheus_fixture, ex, problems)
                fixtures += 1

    for p in problems:
        print(f"FAIL: {p}")
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    print(f"check_terraform: {len(modules)} modules, {summary}, {fixtures} fixtures: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
