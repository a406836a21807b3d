#!/usr/bin/python3
"""Timeline sweep benchmark (issue 18): SAMPLES samples x 36 months of
configs/china-2026-pooled.toml with its supply inputs sampled, timed, beside
a scalar reference: today's way to get the same distribution, one
`clustercap timeline` process per sample with the sample's values given by
--set (drawn here with NumPy from the same distributions), timed on a few
samples and scaled to SAMPLES.

    python3 bench/timeline_sweep.py [BINARY] [SAMPLES] [REFERENCE_SAMPLES] [THREADS] [BASELINE]

Prints both times, the ratio, and the median first month the pooled
cluster overtakes each reference from each method (the reference's median
comes from few samples, so it is a sanity check, not a test). BASELINE, a
second clustercap binary (e.g. main's, built in a scratch directory), runs
the same sweep right after BINARY: its time, the speed-up, and whether the
two JSON outputs are byte-identical.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

binary = sys.argv[1] if len(sys.argv) > 1 else "build/clustercap"
samples = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
reference_samples = int(sys.argv[3]) if len(sys.argv) > 3 else 16
threads = sys.argv[4] if len(sys.argv) > 4 else "2"
baseline = sys.argv[5] if len(sys.argv) > 5 else None
source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
config = os.path.join(source, "configs", "china-2026-pooled.toml")

# The file's [[supply]] lines, in order: 0 hbm, 1 tsmc dies, 2-4 910C 2025/26/27,
# 5 H20, 6 H200, 7 smuggling. Ranges from the file's own comments
# (docs/policy-supply.md): 910C yield ~20-40% in 2025 and SMIC 30-40% in 2026
# (§B.2); the die bank between CSIS's 2 M and RAND's 3 M (§B.4); the HBM
# stockpile between the 11.4 M stacks bought directly and the 13 M total (§B.5);
# smuggling from below CNAS's 140k to Epoch's ~295k 2025 figure (§B.6).
DISTRIBUTIONS = {
    "supply[2].yield": ("triangular", 0.2, 0.3, 0.4),
    "supply[3].yield": ("uniform", 0.3, 0.4),
    "supply[1].dies": ("uniform", 2.0e6, 3.0e6),
    "supply[0].stockpile_stacks": ("uniform", 11.4e6, 13.0e6),
    "supply[7].units_per_year": ("lognormal", 1.0e5, 3.0e5),  # p5, p95
}


def toml_spec(spec):
    kind = spec[0]
    if kind == "triangular":
        return f'{{ dist = "triangular", min = {spec[1]}, mode = {spec[2]}, max = {spec[3]} }}'
    if kind == "uniform":
        return f'{{ dist = "uniform", min = {spec[1]}, max = {spec[2]} }}'
    return f'{{ dist = "lognormal", p5 = {spec[1]}, p95 = {spec[2]} }}'


def draw(spec, rng):
    kind = spec[0]
    if kind == "triangular":
        return rng.triangular(spec[1], spec[2], spec[3])
    if kind == "uniform":
        return rng.uniform(spec[1], spec[2])
    mu = 0.5 * (np.log(spec[1]) + np.log(spec[2]))
    sigma = (np.log(spec[2]) - np.log(spec[1])) / (2 * 1.6448536269514722)
    return float(np.exp(rng.normal(mu, sigma)))


def run(args, program=None):
    started = time.perf_counter()
    r = subprocess.run([program or binary] + args, capture_output=True, text=True, cwd=source)
    elapsed = time.perf_counter() - started
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)}: exit {r.returncode}\n{r.stderr}")
    return json.loads(r.stdout), elapsed, r.stdout


sets = []
for key, spec in DISTRIBUTIONS.items():
    sets += ["--set", f"{key}={toml_spec(spec)}"]
sweep_args = ["sweep", config, "--samples", str(samples), "--threads", threads,
              "--format", "json"] + sets
swept, sweep_s, sweep_text = run(sweep_args)
actor = swept["points"][0]["actors"][0]
print(f"clustercap sweep: {samples:,} samples x {len(actor['months'])} months, "
      f"{threads} threads: {sweep_s:.1f} s ({samples / sweep_s:,.0f} samples/s)")
if baseline:
    _, baseline_s, baseline_text = run(sweep_args, baseline)
    print(f"baseline {baseline}: {baseline_s:.1f} s; speed-up {baseline_s / sweep_s:.1f}x; "
          f"outputs byte-identical: {'yes' if baseline_text == sweep_text else 'NO'}")

rng = np.random.default_rng(1)
firsts = {}
started = time.perf_counter()
for _ in range(reference_samples):
    args = ["timeline", config, "--format", "json"]
    for key, spec in DISTRIBUTIONS.items():
        args += ["--set", f"{key}={draw(spec, rng)!r}"]
    result, _, _ = run(args)
    for o in result["actors"][0]["overtakes"]:
        firsts.setdefault(o["reference"], []).append(o.get("first_month") or "never")
reference_s = (time.perf_counter() - started) / reference_samples * samples
print(f"scalar reference (one `timeline` process per sample, {reference_samples} timed, "
      f"1 thread): {reference_s:.0f} s for {samples:,} samples (scaled)")
print(f"sweep / scalar reference: {reference_s / sweep_s:.1f}x faster")
for o in actor["overtakes"]:
    months = sorted(firsts.get(o["reference"], []), key=lambda m: (m == "never", m))
    median = months[len(months) // 2] if months else "n/a"
    print(f"  first month overtaking {o['reference']}: sweep median "
          f"{o['first_month']['p50'] or 'never'}, reference median {median} "
          f"(of {len(months)})")
