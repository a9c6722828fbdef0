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
With --fixture and --example: the deployment file fixture is byte for byte what Terraform's
yamlencode emits for its own content, has the keys of the module's deployment object, and holds
the values the example's regions, terraform.tfvars.example and the module's defaults give.

Usage: check_terraform.py PARSED.json [--fixture FILE --example DIR --module DIR]
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


def check_fixture(fixture, parsed, example_dir, module_dir, problems):
    text = open(fixture, encoding="utf-8").read()
    body = "".join(l for l in text.splitlines(keepends=True) if not l.startswith("#"))
    try:
        doc = yaml.safe_load(body)
    except yaml.YAMLError as e:
        problems.append(f"{fixture}: not YAML: {e}")
        return
    rendered = "\n".join(yamlencode(doc)) + "\n"
    if rendered != body:
        problems.append(f"{fixture}: not in yamlencode's form; yamlencode of its content is:\n{rendered}")

    # The keys of the module's deployment object.
    module = load_modules(parsed)[os.path.normpath(module_dir)]
    deployment = None
    for parsed_file in module.files.values():
        for block in parsed_file.get("locals", []):
            deployment = block.get("deployment", deployment)
    if not isinstance(deployment, dict):
        problems.append(f"{module_dir}: no locals.deployment object")
        return
    region_keys = set(re.findall(r"^\s*(\w+)\s*=", deployment["regions"], re.M))
    if set(doc) != set(deployment):
        problems.append(f"{fixture}: top-level keys {sorted(doc)} != module's {sorted(deployment)}")
    if set(doc.get("nats", {})) != set(deployment["nats"]):
        problems.append(f"{fixture}: nats keys {sorted(doc.get('nats', {}))} != module's {sorted(deployment['nats'])}")
    for r in doc.get("regions", []):
        if set(r) != region_keys:
            problems.append(f"{fixture}: region keys {sorted(r)} != module's {sorted(region_keys)}")

    # The values the example gives.
    ports_type = module.blocks("variable")["ports"]["type"]
    api, admin, client = (hcl_default(ports_type, p) for p in ("api", "admin", "nats_client"))
    ex = load_modules(parsed)[os.path.normpath(example_dir)]
    tfvars = parsed[os.path.join(example_dir, "terraform.tfvars.example")]
    domain = tfvars["dns_domain"]
    topology = ex.blocks("variable")["nats_topology"]["default"]
    regions_expr = ex.blocks("module")["global_table"]["regions"]
    if isinstance(regions_expr, dict):  # a literal object arrives as JSON
        ids = {n: int(r["id"]) for n, r in regions_expr.items()}
    else:
        ids = {n: int(i) for n, i in re.findall(r'"([a-z0-9-]+)"\s*=\s*\{\s*id\s*=\s*(\d+)', regions_expr)}
    if len(ids) < 2:
        problems.append(f"{example_dir}: could not read the regions' names and ids")
    expected = {
        "nats": {"topology": topology, "urls": [f"nats://127.0.0.1:{client}"]},
        "regions": [
            {
                "name": n,
                "id": ids[n],
                "api": f"{n}.{domain}:{api}",
                "admin": f"{n}.{domain}:{admin}",
                "data_dir": f"/var/lib/globaltable/{n}",
            }
            for n in sorted(ids)
        ],
    }
    if doc != expected:
        problems.append(
            f"{fixture}: does not hold what {example_dir} renders; expected:\n" + "\n".join(yamlencode(expected))
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("parsed")
    ap.add_argument("--fixture")
    ap.add_argument("--example")
    ap.add_argument("--module")
    args = ap.parse_args()

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
    if args.fixture:
        check_fixture(args.fixture, parsed, args.example, args.module, problems)

    for p in problems:
        print(f"FAIL: {p}")
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    print(f"check_terraform: {len(modules)} modules, {summary}: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
