#!/usr/bin/python3
"""Checks that bench/reference_numpy.py compares metrics by name and can fail.

usage: /usr/bin/python3 bench/oracle_selftest.py CLUSTERCAP WORK_DIR

Runs `clustercap sweep configs/default.toml` with --plan-out and --samples-out,
then, on its JSON output:
  - adds energy_per_run_mwh computed from clustercap's own per-sample rows
    (facility_power_mw x the sampled run length / 3,600: MWh), unless the
    sweep already reports it, and expects the oracle to agree;
  - moves one median by 1% and expects the oracle to fail;
  - adds a metric the oracle does not know and expects it to fail.
"""
import copy
import csv
import importlib.util
import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stdout

import numpy as np

SAMPLES = 20000


def main():
    binary, work = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("reference_numpy", os.path.join(here, "reference_numpy.py"))
    oracle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(oracle)
    os.makedirs(work, exist_ok=True)
    plan_path, rows_path, sweep_path = (os.path.join(work, n) for n in ("plan.json", "rows.csv", "sweep.json"))
    subprocess.run([binary, "sweep", os.path.join(here, "..", "configs", "default.toml"), "--samples", str(SAMPLES),
                    "--format", "json", "--output", sweep_path, "--plan-out", plan_path,
                    "--samples-out", rows_path], check=True)
    plan = json.load(open(plan_path))
    ours = json.load(open(sweep_path))
    rows = list(csv.DictReader(open(rows_path, newline="")))
    assert len(rows) == SAMPLES
    # The run length per sample: the input bound to duration_s, in seconds.
    duration = [b for b in plan["bindings"] if b["target"] == "duration_s"]
    assert len(duration) == 1, "configs/default.toml samples the run length"
    label = plan["inputs"][duration[0]["input"]]["label"]
    duration_s = np.array([float(r[label]) for r in rows]) * duration[0]["scale"]
    for actor in ours["points"][0]["actors"]:
        if "energy_per_run_mwh" in actor["metrics"]:
            continue
        power_mw = np.array([float(r[actor["name"] + ":facility_power_mw"]) for r in rows])
        energy = np.sort(power_mw * duration_s / 3600.0)
        actor["metrics"]["energy_per_run_mwh"] = {
            "mean": float(np.mean(energy)), "quantiles": {"p50": float(energy[int(0.5 * (SAMPLES - 1))])}}
    results = oracle.evaluate(plan, SAMPLES)

    def agrees(doc):
        with redirect_stdout(io.StringIO()) as text:
            ok = oracle.compare(results, doc, SAMPLES)
        return ok, text.getvalue()

    failures = []
    ok, text = agrees(ours)
    print(text, end="")
    if not ok or "energy_per_run_mwh" not in text:
        failures.append("the oracle does not agree on energy_per_run_mwh computed from clustercap's rows")
    moved = copy.deepcopy(ours)
    moved["points"][0]["actors"][0]["metrics"]["sustained_flops"]["quantiles"]["p50"] *= 1.01
    if agrees(moved)[0]:
        failures.append("a median moved by 1% passed")
    unknown = copy.deepcopy(ours)
    unknown["points"][0]["actors"][0]["metrics"]["not_a_metric"] = {"mean": 1.0, "quantiles": {"p50": 1.0}}
    ok, text = agrees(unknown)
    if ok or "not_a_metric: the oracle does not compute this metric" not in text:
        failures.append("a metric unknown to the oracle passed")
    for f in failures:
        print("FAIL " + f)
    print("oracle self-test: " + ("FAIL" if failures else "PASS"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
