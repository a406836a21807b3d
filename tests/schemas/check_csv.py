#!/usr/bin/env python3
"""Every CSV output parses to records of the header's length, names intact.

check_csv.py BINARY SOURCE_DIR WORK_DIR

Scenario, actor, site and chip names and a validation case id hold a comma,
a quote and a line break (and a CR); each CSV output (estimate, timeline,
sweep, sweep --samples-out, validate, hardware list, compare, classify) is
read with Python's csv module (RFC 4180): every record has as many fields as
the header, and the hostile names come back unchanged where the output
carries them. Pinned by hand: the columns the CSV shapes promise
(schemas/README.md) and the binding-constraint names in --samples-out.
"""
import csv
import io
import os
import re
import subprocess
import sys

binary, source, work = sys.argv[1:4]
os.makedirs(work, exist_ok=True)
NAME = 'Lab "A", unit\r\n'            # what the outputs must give back, then a number
TOML = '"Lab \\"A\\", unit\\r\\n'       # the same as the start of a TOML basic string
failures = []


def run(args):
    r = subprocess.run([binary] + args, capture_output=True, cwd=source)
    if r.returncode != 0:
        failures.append(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.decode()[:300]}")
        return None
    return r.stdout.decode()


def records(label, text):
    if text is None:
        return []
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        failures.append(f"{label}: empty")
        return []
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            failures.append(f"{label}: record {i} has {len(row)} fields under a header of {len(rows[0])}")
            break
    return rows


def column(label, rows, name):
    if not rows or name not in rows[0]:
        failures.append(f"{label}: no column {name}")
        return []
    k = rows[0].index(name)
    return [r[k] for r in rows[1:]]


def expect(label, ok, what):
    if not ok:
        failures.append(f"{label}: {what}")


def renamed(text, header, start=0):
    """`text` with the first `name = ...` after each `header` line given a
    hostile name (NAME plus a number from `start`, as names must differ)."""
    count = [start]

    def rename(m):
        count[0] += 1
        return m.group(1) + "name = " + TOML + str(count[0] - 1) + '"'
    return re.sub(r"(%s\n(?:[^\[\n].*\n)*?)name = \".*\"" % re.escape(header), rename, text)


# A scenario, actors and sites with the name; the scenario's own name too.
scenario = os.path.join(work, "hostile.toml")
text = open(os.path.join(source, "configs/default.toml")).read()
text = renamed(renamed(renamed(text, "[[actor]]"), "[[actor.site]]", 10), "[scenario]", 20)
open(scenario, "w").write(text)

# A hypothetical chip (the H100's block, without its default system) whose name holds the same.
chips = open(os.path.join(source, "hardware/data/chips.toml")).read()
h100 = re.search(r'\[\[chip\]\]\nid = "nvidia_h100_sxm"\n(?:[^\[\n].*\n|\n(?!\[))*', chips).group(0)
extra = os.path.join(work, "extra.toml")
with open(extra, "w") as f:
    f.write(re.sub(r"default_system = .*\n", "", h100.replace('id = "nvidia_h100_sxm"', 'id = "lab_chip"', 1))
            .replace('name = "NVIDIA H100 SXM5 80GB"', "name = " + TOML + '30"', 1))

est = records("estimate", run(["estimate", scenario, "--format", "csv"]))
expect("estimate", column("estimate", est, "actor") == [NAME + "0", NAME + "1"], "actor names not round-tripped")
expect("estimate", set(column("estimate", est, "site")) <= {NAME + str(k) for k in range(10, 20)},
       "site names not round-tripped")
expect("estimate", column("estimate", est, "scenario")[:1] == [NAME + "20"], "scenario name not round-tripped")

rows_path = os.path.join(work, "rows.csv")
sw = records("sweep", run(["sweep", scenario, "--samples", "400", "--threads", "2", "--format", "csv",
                           "--samples-out", rows_path]))
expect("sweep", sw[:1] == [["point", "sources", "actor", "kind", "subject", "statistic", "value", "text"]],
       f"header {sw[:1]}")
expect("sweep", set(column("sweep", sw, "actor")) == {NAME + "0", NAME + "1"}, "actor names not round-tripped")
kinds = set(column("sweep", sw, "kind"))
for kind in ("at_medians", "metrics", "binding_share", "p_exceeds_reference", "tornado", "srrc", "srrc_r2"):
    expect("sweep", kind in kinds, f"no {kind} rows")
site_rows = [r for r in sw[1:] if r[3] == "at_medians" and r[4] == "site"]
expect("sweep", site_rows and all(r[7].startswith(NAME) for r in site_rows), "site names at the medians not round-tripped")
samples = records("samples-out", open(rows_path, newline="").read() if os.path.exists(rows_path) else None)
binding_columns = [c for c in samples[0] if c.endswith(":binding_constraint")] if samples else []
expect("samples-out", binding_columns == [NAME + "0:binding_constraint", NAME + "1:binding_constraint"], f"binding columns {binding_columns}")
for c in binding_columns:
    values = set(column("samples-out", samples, c))
    expect("samples-out", values and values <= {"chips", "power", "network", "budget"},
           f"{c} holds {sorted(values)[:5]}, not limit names")

# Grid coordinates as columns of their own.
grid = os.path.join(work, "grid.toml")
open(grid, "w").write(open(scenario).read() + '\n[sweep.grid]\n"actor[0].site[0].power_mw" = [100, 300]\n')
gr = records("sweep grid", run(["sweep", grid, "--samples", "200", "--threads", "2", "--format", "csv"]))
expect("sweep grid", gr[:1] and gr[0][:3] == ["point", "sources", "actor[0].site[0].power_mw"], f"header {gr[:1]}")
expect("sweep grid", set(column("sweep grid", gr, "actor[0].site[0].power_mw")) == {"100", "300"},
       "grid values")
bs = records("sweep --by-source", run(["sweep", "configs/default.toml", "--samples", "200", "--threads", "2",
                                       "--by-source", "--format", "csv"]))
pairs = set(zip(column("sweep --by-source", bs, "point"), column("sweep --by-source", bs, "sources")))
expect("sweep --by-source", len(pairs) >= 2 and len({p for p, _ in pairs}) == len(pairs) and all(s for _, s in pairs),
       f"each point names its reading: {sorted(pairs)}")

# The timeline's first actor renamed everywhere (supply lines name it).
text = open(os.path.join(source, "configs/us-frontier-2026.toml")).read()
first = re.search(r'\[\[actor\]\]\nname = (".*")', text).group(1)
timeline = os.path.join(work, "timeline.toml")
open(timeline, "w").write(text.replace(first, TOML + '40"'))
tl = records("timeline", run(["timeline", timeline, "--format", "csv"]))
expect("timeline", NAME + "40" in column("timeline", tl, "actor"), "actor name not round-tripped")

cases = os.path.join(work, "cases.toml")
text = open(os.path.join(source, "configs/validation/published-runs.toml")).read()
open(cases, "w").write(re.sub(r'id = ".*"', lambda m: "id = " + TOML + '50"', text, count=1))
va = records("validate", run(["validate", cases, "--threads", "2", "--format", "csv"]))
expect("validate", column("validate", va, "id")[:1] == [NAME + "50"], "case id not round-tripped")

hw = records("hardware list", run(["hardware", "list", "--kind", "chip", "--hardware", extra, "--format", "csv"]))
expect("hardware list", NAME + "30" in column("hardware list", hw, "name"), "chip name not round-tripped")
records("compare", run(["compare", "nvidia_h100_sxm", "lab_chip", "nvidia_gb200_nvl72", "--hardware", extra,
                        "--format", "csv"]))
records("classify", run(["classify", "lab_chip", "nvidia_h20", "--rule", "all", "--hardware", extra,
                         "--format", "csv"]))

for f in failures:
    print("FAIL:", f)
print("every CSV output parses with equal-length records" if not failures else f"{len(failures)} failures")
sys.exit(1 if failures else 0)
