#!/usr/bin/env bash
# The portable build's sweep (CLUSTERCAP_NATIVE=OFF: baseline x86-64, the
# kernel's AVX2 clone picked at run time) against a native build's
# (-march=native) on this machine, timed in turns in one run. Prints the
# ratio of their per-sample times and fails above 1.3x.
#   bash bench/portable.sh [PORTABLE_BUILD] [NATIVE_BUILD] [TIMING_SAMPLES] [ROUNDS]
# The native build is configured (CMakePresets.json `native`) and built if
# missing; only the sweep benchmark is built in either.
set -euo pipefail
portable="${1:-build}"
native="${2:-build-native}"
samples="${3:-5000000}"
rounds="${4:-3}"
limit=1.3
if ! grep -q "^CLUSTERCAP_NATIVE:BOOL=OFF" "$portable/CMakeCache.txt"; then
  echo "$portable is not a portable build (configure it with -DCLUSTERCAP_NATIVE=OFF)" >&2
  exit 2
fi
if [ ! -f "$native/CMakeCache.txt" ]; then
  cmake --preset native -B "$native" > /dev/null
fi
if ! grep -q "^CLUSTERCAP_NATIVE:BOOL=ON" "$native/CMakeCache.txt"; then
  echo "$native is not a native build (configure it with -DCLUSTERCAP_NATIVE=ON)" >&2
  exit 2
fi
cmake --build "$portable" -j2 --target clustercap_bench_sweep > /dev/null
cmake --build "$native" -j2 --target clustercap_bench_sweep > /dev/null

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
/usr/bin/python3 - "$p1" "$n1" "$p2" "$n2" "$same" "$limit" "$samples" "$rounds" <<'PY'
import sys
p1, n1, p2, n2 = map(float, sys.argv[1:5])
same, limit, samples, rounds = sys.argv[5], float(sys.argv[6]), sys.argv[7], sys.argv[8]
print(f"sweep, default scenario, {samples} samples, best of {rounds}:")
print(f"  1 thread:  portable {p1:.3g} samples/s, native {n1:.3g}: portable takes {n1 / p1:.2f}x the time")
print(f"  2 threads: portable {p2:.3g} samples/s, native {n2:.3g}: portable takes {n2 / p2:.2f}x the time")
print(f"  sweep JSON of 100,000 samples byte-identical between the builds: {same}")
ratio = n1 / p1
print(f"portable / native sweep time (1 thread): {ratio:.2f}x (limit {limit}x): "
      + ("ok" if ratio <= limit else "TOO SLOW"))
sys.exit(0 if ratio <= limit else 1)
PY
