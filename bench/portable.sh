#!/usr/bin/env bash
# A portable build's sweep (CLUSTERCAP_NATIVE=OFF: baseline x86-64, what an
# install uses) against a native build's (-march=native, the Makefile's
# development build) on this machine, timed in turns in one run. Prints the
# ratio of their per-sample times against the 1.3x target: times in the
# sampling loop alone (clustercap_bench_sweep times it from the sweep's first
# progress report to its last), so that setup -- the MFU tables, slow and
# noisy on a loaded machine -- does not count.
#   bash bench/portable.sh [NATIVE_BUILD] [PORTABLE_BUILD] [TIMING_SAMPLES] [ROUNDS]
# The portable build (CMakePresets.json `release`, build-release) is
# configured if missing; only the sweep benchmark is built in either.
set -euo pipefail
native="${1:-build}"
portable="${2:-build-release}"
samples="${3:-5000000}"
rounds="${4:-3}"
target=1.3
if [ ! -f "$portable/CMakeCache.txt" ]; then
  cmake --preset release -B "$portable" > /dev/null
fi
for pair in "$portable:OFF" "$native:ON"; do
  if ! grep -q "^CLUSTERCAP_NATIVE:BOOL=${pair##*:}" "${pair%:*}/CMakeCache.txt"; then
    echo "${pair%:*} is not configured with -DCLUSTERCAP_NATIVE=${pair##*:}" >&2
    exit 2
  fi
  cmake --build "${pair%:*}" -j2 --target clustercap_bench_sweep > /dev/null
done

# Best of ROUNDS per build, the two taken in turns so that load from other
# processes falls on both alike. 100,000 samples also go to sweep.json,
# compared between the builds at the end.
best() { /usr/bin/python3 -c "import sys; print(max(float(x) for x in sys.argv[1:]))" "$@"; }
declare -A one two
for round in $(seq "$rounds"); do
  for build in "$portable" "$native"; do
    out="$build/bench-out-portable"
    mkdir -p "$out"
    "$build/bench/clustercap_bench_sweep" 100000 "$out" "$samples" > "$out/log"
    one[$build]="${one[$build]:-} $(cat "$out/rate-1-thread")"
    two[$build]="${two[$build]:-} $(cat "$out/rate-2-threads")"
  done
done
p1=$(best ${one[$portable]}); n1=$(best ${one[$native]})
p2=$(best ${two[$portable]}); n2=$(best ${two[$native]})
same=no
cmp -s "$portable/bench-out-portable/sweep.json" "$native/bench-out-portable/sweep.json" && same=yes
/usr/bin/python3 - "$p1" "$n1" "$p2" "$n2" "$same" "$target" "$samples" "$rounds" <<'PY'
import sys
p1, n1, p2, n2 = map(float, sys.argv[1:5])
same, target, samples, rounds = sys.argv[5], float(sys.argv[6]), sys.argv[7], sys.argv[8]
print(f"sweep, default scenario, {samples} samples, best of {rounds}:")
print(f"  1 thread:  portable {p1:.3g} samples/s, native {n1:.3g}: portable takes {n1 / p1:.2f}x the time")
print(f"  2 threads: portable {p2:.3g} samples/s, native {n2:.3g}: portable takes {n2 / p2:.2f}x the time")
print(f"  sweep JSON of 100,000 samples byte-identical between the builds: {same}")
ratio = n1 / p1
print(f"portable / native sweep time (1 thread): {ratio:.2f}x; target {target}x: "
      + ("met" if ratio <= target else "NOT met"))
PY
