#!/usr/bin/env python3
"""Every JSON output clustercap writes validates against its schema in schemas/.

check_outputs.py BINARY SOURCE_DIR WORK_DIR

Runs estimate, timeline or sweep (with --plan-out) on every configs/*.toml,
the --sources readings each scenario offers, sweep --by-source, a grid sweep,
validate, hardware list and hardware show for a chip, a system and a cluster,
compare and classify; picks each document's schema by its `schema` field and
validates it (Draft 2020-12, Debian's python3-jsonschema). Then the negative
test: mutated documents (a required field removed, a binding constraint
outside the limits table, an unknown key, a count of the wrong type) must fail.
Exit 0 when all hold; otherwise each failure is printed and exit 1.
"""
import copy
import glob
import json
import os
import subprocess
import sys

from jsonschema import Draft202012Validator

binary, source, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
schema_dir = os.path.join(source, "schemas")
validators = {}
for path in glob.glob(os.path.join(schema_dir, "clustercap.*.json")):
    schema = json.load(open(path))
    Draft202012Validator.check_schema(schema)
    validators[os.path.basename(path)[: -len(".json")]] = Draft202012Validator(schema)
failures = []
checked = {}


def run(args):
    r = subprocess.run([binary] + args, capture_output=True, text=True, cwd=source)
    if r.returncode != 0:
        failures.append(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        return None
    return r.stdout


def check(label, text):
    if text is None:
        return None
    doc = json.loads(text)
    name = doc.get("schema")
    if name not in validators:
        failures.append(f"{label}: no schemas/{name}.json for its schema field")
        return doc
    errors = list(validators[name].iter_errors(doc))
    for e in errors[:5]:
        failures.append(f"{label}: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}")
    checked[name] = checked.get(name, 0) + 1
    return doc


def sweep(label, args):
    plan = os.path.join(work, "plan.json")
    text = run(["sweep"] + args + ["--samples", "1000", "--threads", "2", "--format", "json"]
               + (["--plan-out", plan] if "--by-source" not in args else []))
    check(label, text)
    if text is not None and "--by-source" not in args:
        check(label + " --plan-out", open(plan).read())


for config in sorted(glob.glob(os.path.join(source, "configs", "*.toml"))):
    name = os.path.relpath(config, source)
    estimate = check(f"estimate {name}", run(["estimate", config, "--format", "json"]))
    timeline = "\n[timeline]" in "\n" + open(config).read()
    # Sweeps refuse WAN-linked sites (estimator/sweep/engine.cpp); their
    # estimate JSON carries the multi-site fields.
    linked = "\n[[actor.link]]" in "\n" + open(config).read()
    if timeline:
        check(f"timeline {name}", run(["timeline", config, "--format", "json"]))
    elif not linked:
        sweep(f"sweep {name}", [config])
    if estimate is None:
        continue
    authors = sorted({e["by"] for i in estimate["scenario"]["sources"]["inputs"] for e in i["estimates"]})
    for author in authors:
        check(f"estimate {name} --sources {author}",
              run(["estimate", config, "--sources", author, "--format", "json"]))
    if authors and not timeline:
        sweep(f"sweep {name} --by-source", [config, "--by-source"])

# A grid of two power levels for the first actor's first site.
grid = os.path.join(work, "grid.toml")
with open(grid, "w") as f:
    f.write(open(os.path.join(source, "configs", "default.toml")).read())
    f.write('\n[sweep.grid]\n"actor[0].site[0].power_mw" = [100, 300]\n')
sweep("sweep grid", [grid])
# A timeline sweep: a sampled smuggling rate and a policy lever on the pooled scenario.
policy = os.path.join(work, "policy.toml")
with open(policy, "w") as f:
    f.write(open(os.path.join(source, "configs", "china-2026-pooled.toml")).read()
            .replace("units_per_year = 150000", 'units_per_year = { dist = "uniform", min = 1e5, max = 2e5 }'))
    f.write('\n[sweep.policy]\nhbm_choke = ["off", "on"]\n')
check("sweep timeline", run(["sweep", policy, "--samples", "8", "--threads", "2", "--format", "json"]))
check("validate", run(["validate", "--threads", "2", "--format", "json"]))
check("hardware list", run(["hardware", "list", "--format", "json"]))
for kind in ("chip", "system", "cluster"):
    listed = check(f"hardware list --kind {kind}", run(["hardware", "list", "--kind", kind, "--format", "json"]))
    if listed and listed["entries"]:
        entry = listed["entries"][0]["id"]
        check(f"hardware show {entry}", run(["hardware", "show", entry, "--format", "json"]))
check("compare", run(["compare", "nvidia_h100_sxm", "nvidia_gb200_nvl72", "huawei_cloudmatrix_384",
                      "--format", "json"]))
check("classify", run(["classify", "nvidia_h100_sxm", "nvidia_h20", "--rule", "all", "--headroom",
                       "--format", "json"]))
check("classify hypothetical", run(["classify", "--tflops-fp8", "2000", "--die-area-mm2", "800",
                                    "--datacenter", "true", "--io-bidir-gbs", "1000", "--format", "json"]))

expected = {"clustercap.estimate.v1", "clustercap.timeline.v1", "clustercap.sweep.v1", "clustercap.plan.v1",
            "clustercap.validate.v3", "clustercap.hardware.v1", "clustercap.compare.v1", "clustercap.classify.v1",
            "clustercap.timeline_sweep.v1"}
for name in sorted(expected - set(checked)):
    failures.append(f"{name}: no output checked")
for name in sorted(set(validators) - expected):
    failures.append(f"schemas/{name}.json: no output carries it")

# Negative: each mutation of a valid estimate must be refused.
base = json.loads(run(["estimate", "--format", "json"]) or "{}")
mutations = {
    "cluster.chips removed": lambda d: d["actors"][0]["cluster"].pop("chips"),
    "binding constraint not in the limits table": lambda d: d["actors"][0]["cluster"].__setitem__("binding_constraint", "cooling"),
    "unknown key in cluster": lambda d: d["actors"][0]["cluster"].__setitem__("chips_total", 1),
    "chips as a string": lambda d: d["actors"][0]["cluster"].__setitem__("chips", "179328"),
    "schema id changed": lambda d: d.__setitem__("schema", "clustercap.estimate.v2"),
    "negative chip count": lambda d: d["actors"][0]["inventory"][0].__setitem__("count", -1),
    "a predicted MFU without its layout": lambda d: d["actors"][0]["cluster"].__setitem__(
        "mfu_prediction", {"predicted": True, "fallback_reason": None}),
    "a fitted workload without its step time": lambda d: d["actors"][0]["training"].update(
        {"workload": "w", "workload_fits": True, "layouts_evaluated": 1}),
}
for label, mutate in mutations.items():
    doc = copy.deepcopy(base)
    mutate(doc)
    if validators["clustercap.estimate.v1"].is_valid(doc):
        failures.append(f"mutated estimate ({label}) validates")

for f in failures:
    print("FAIL:", f)
print(f"{sum(checked.values())} documents checked against {len(checked)} schemas; {len(mutations)} mutations refused"
      if not failures else f"{len(failures)} failures")
sys.exit(1 if failures else 0)
