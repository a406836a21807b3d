#!/usr/bin/env bash
# Scaling of `sweep` from 1 to 2 MPI ranks on this machine: the same sweep
# (default scenario with a [sweep.grid] of 2 points, 1 thread per rank) under
# `mpirun -np 1` and `-np 2`, timed in turns, best of ROUNDS each; prints the
# wall times, their ratio and whether the two outputs are byte-identical.
#   bash bench/mpi.sh [MPI_BUILD] [SAMPLES] [ROUNDS]
# MPI_BUILD (default build-mpi, CMakePresets.json `mpi`) is configured if
# missing; only the clustercap target is built.
set -euo pipefail
build="${1:-build-mpi}"
samples="${2:-4000000}"
rounds="${3:-3}"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake --preset mpi -B "$build" >/dev/null
fi
if ! grep -q "^CLUSTERCAP_MPI:BOOL=ON" "$build/CMakeCache.txt"; then
  echo "$build is not configured with -DCLUSTERCAP_MPI=ON" >&2
  exit 2
fi
cmake --build "$build" -j2 --target clustercap >/dev/null
out="$build/bench-out-mpi"
mkdir -p "$out"
scenario="$out/grid.toml"
cp "$(dirname "$0")/../configs/default.toml" "$scenario"
printf '\n[sweep.grid]\n"training.goodput" = [0.8, 0.95]\n' >>"$scenario"
mpirun_flags=(-q --oversubscribe --bind-to none)
[ "$(id -u)" -ne 0 ] || mpirun_flags+=(--allow-run-as-root)

declare -A times
for round in $(seq "$rounds"); do
  for n in 1 2; do
    start=$(date +%s.%N)
    OMP_NUM_THREADS=1 mpirun "${mpirun_flags[@]}" -np "$n" "$build/clustercap" sweep "$scenario" \
      --samples "$samples" --threads 1 --format json --output "$out/np$n.json"
    end=$(date +%s.%N)
    times[$n]="${times[$n]:-} $(/usr/bin/python3 -c "print($end - $start)")"
  done
done
same=no
cmp -s "$out/np1.json" "$out/np2.json" && same=yes
/usr/bin/python3 - "${times[1]}" "${times[2]}" "$samples" "$rounds" "$same" "$(nproc)" <<'PY'
import sys
t1 = min(float(x) for x in sys.argv[1].split())
t2 = min(float(x) for x in sys.argv[2].split())
samples, rounds, same, cores = sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
print(f"sweep, default scenario + 2-point grid, {samples} samples per point, 1 thread per rank, "
      f"best of {rounds} ({cores} cores):")
print(f"  mpirun -np 1: {t1:.2f} s")
print(f"  mpirun -np 2: {t2:.2f} s")
print(f"  speed-up 1 -> 2 ranks: {t1 / t2:.2f}x (wall time, including each rank's start-up "
      f"and MFU tables)")
print(f"  outputs byte-identical: {same}")
PY
