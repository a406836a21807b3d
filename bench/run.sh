#!/usr/bin/env bash
# Runs every benchmark and prints figures as ratios measured in one run.
#   bash bench/run.sh [BUILD_DIR] [SWEEP_SAMPLES]
set -euo pipefail
build="${1:-build}"
samples="${2:-2000000}"
out="$build/bench-out"
mkdir -p "$out"
echo "== cluster model: batched vs one candidate per call"
"$build/bench/clustercap_bench_estimate"
echo
echo "== parallelism search"
"$build/bench/clustercap_bench_search"
echo
echo "== per-candidate setup reused across grid points and months: search and MFU-node memos on and off"
"$build/bench/clustercap_bench_grid"
echo
echo "== sweep: clustercap at 1 and 2 threads"
"$build/bench/clustercap_bench_sweep" "$samples" "$out"
echo
echo "== sweep: independent NumPy implementation on the same samples (Debian python3-numpy)"
/usr/bin/python3 bench/reference_numpy.py "$out/plan.json" "$samples" "$out/sweep.json"
ours=$(cat "$out/rate-2-threads")
theirs=$(cat "$out/plan.json.numpy-rate")
/usr/bin/python3 -c "print(f'clustercap (2 threads) / NumPy: {$ours / $theirs:.1f}x')"
echo
echo "== sweep: portable build (build-release) vs this one"
bash bench/portable.sh "$build"
echo
echo "== timeline sweep: china-2026-pooled, supply inputs sampled, 36 months, vs one timeline run per sample"
/usr/bin/python3 bench/timeline_sweep.py "$build/clustercap" "${TIMELINE_SAMPLES:-10000}" 8 2
