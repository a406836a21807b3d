#!/usr/bin/env bash
# check_mpi_sweep.sh MPIEXEC MPI_BINARY ONE_PROCESS_BINARY SOURCE_DIR WORK_DIR [RANKS...]
# `sweep` under `mpirun -np N` (N = each of RANKS, default 1 2 3) writes the
# same bytes as the one-process binary without MPI (JSON; at the largest N
# also CSV, --samples-out and 2 threads per rank), on the default scenario with a [sweep.grid] added (its
# [[sweep.correlation]] kept) and a sample count that is not a multiple of the
# block, so ranks take unequal shares. Then the failure paths: a bad file, an
# output only rank 0 cannot write, and a command other than sweep each end
# every rank with one message and the right exit code. A timeline sweep with a
# grid, a policy lever and correlated supply inputs is compared the same way,
# and a sweep of more samples than one chunk of blocks.
set -euo pipefail
mpiexec=$1 mpi_bin=$2 one_bin=$3 src=$4 work=$5
shift 5
ranks=("$@")
[ ${#ranks[@]} -gt 0 ] || ranks=(1 2 3)
rm -rf "$work" && mkdir -p "$work"
run_mpi() {
  local n=$1
  shift
  # -q: no mpirun banner after a rank's non-zero exit (the message is ours).
  "$mpiexec" -q --oversubscribe --allow-run-as-root -np "$n" "$mpi_bin" "$@"
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

scenario=$work/grid.toml
cp "$src/configs/default.toml" "$scenario"
grep -q '^\[\[sweep.correlation\]\]' "$scenario" || fail "default.toml has no [[sweep.correlation]]"
printf '\n[sweep.grid]\n"training.goodput" = [0.8, 0.95]\n' >>"$scenario"
common=(sweep "$scenario" --samples 5000 --seed 7)

# JSON at every rank count with 1 thread per rank; at the largest, CSV too
# and JSON with 2 threads per rank.
n=${ranks[-1]}
runs=()
for r in "${ranks[@]}"; do runs+=("$r 1 json"); done
runs+=("$n 2 json" "$n 1 csv")
for format in json csv; do
  "$one_bin" "${common[@]}" --threads 2 --format "$format" --output "$work/one.$format"
done
for run in "${runs[@]}"; do
  read -r r t format <<<"$run"
  run_mpi "$r" "${common[@]}" --threads "$t" --format "$format" --output "$work/np$r-t$t.$format"
  cmp "$work/one.$format" "$work/np$r-t$t.$format" ||
    fail "$format output of -np $r --threads $t differs from one process"
done
grep -q '"training.goodput"' "$work/one.json" || fail "the grid is not in the output"

# A timeline sweep (supply month by month) with a [sweep.grid] axis, a
# [sweep.policy] lever and two correlated supply inputs: 40 samples are 3
# blocks of 16, so the ranks' shares differ at -np 2 and are one block each at -np 3.
timeline=$work/timeline.toml
cp "$src/configs/china-2026-pooled.toml" "$timeline"
cat >>"$timeline" <<'EOF'

[sweep.grid]
"actor[0].site[0].power_mw" = [339, 1000]

[sweep.policy]
licence.nvidia_h20 = ["closed", "open"]

[[sweep.correlation]]
a = "smuggled"
b = "die_bank"
spearman = -0.5
EOF
tl_common=(sweep "$timeline" --samples 40 --seed 5
  --set 'supply[7].units_per_year={ dist = "lognormal", p5 = 1.0e5, p95 = 3.0e5, name = "smuggled" }'
  --set 'supply[1].dies={ dist = "uniform", min = 2.0e6, max = 3.0e6, name = "die_bank" }')
"$one_bin" "${tl_common[@]}" --threads 2 --format json --output "$work/tl-one.json"
for r in "${ranks[@]}"; do
  run_mpi "$r" "${tl_common[@]}" --threads 1 --format json --output "$work/tl-np$r.json"
  cmp "$work/tl-one.json" "$work/tl-np$r.json" ||
    fail "timeline sweep output of -np $r differs from one process"
done
grep -q '"licence.nvidia_h20"' "$work/tl-one.json" || fail "the lever is not in the timeline output"
grep -q '"actor\[0\].site\[0\].power_mw"' "$work/tl-one.json" ||
  fail "the grid is not in the timeline output"

# --samples-out: every sample's row, gathered in sample order (no grid).
one_rows=(sweep "$src/configs/default.toml" --samples 3000 --seed 3 --format csv)
"$one_bin" "${one_rows[@]}" --output "$work/rows-one.csv" --samples-out "$work/samples-one.csv"
run_mpi "$n" "${one_rows[@]}" --output "$work/rows-np$n.csv" --samples-out "$work/samples-np$n.csv"
cmp "$work/rows-one.csv" "$work/rows-np$n.csv" || fail "csv with --samples-out differs at -np $n"
cmp "$work/samples-one.csv" "$work/samples-np$n.csv" || fail "--samples-out rows differ at -np $n"
[ "$(wc -l <"$work/samples-one.csv")" -eq 3001 ] || fail "--samples-out does not hold 3000 rows"

# More samples than one chunk of blocks (1,024 blocks of 512): each chunk's
# blocks are shared out over the ranks, and its moments, rank-regression
# rows and kept rows gathered chunk by chunk.
big=(sweep "$src/configs/default.toml" --samples 530000 --seed 11 --threads 1)
"$one_bin" "${big[@]}" --output "$work/big-one.json" --samples-out "$work/big-one.csv"
run_mpi "$n" "${big[@]}" --output "$work/big-np$n.json" --samples-out "$work/big-np$n.csv"
cmp "$work/big-one.json" "$work/big-np$n.json" || fail "a sweep over two chunks differs at -np $n"
cmp "$work/big-one.csv" "$work/big-np$n.csv" || fail "--samples-out over two chunks differs at -np $n"

# expect CODE MESSAGE_FILE -- ARGS: exit code and stderr (verbatim) of a run on n ranks.
expect() {
  local code=$1 want=$2
  shift 3
  set +e
  run_mpi "$n" "$@" >"$work/out.txt" 2>"$work/err.txt"
  local got=$?
  set -e
  [ "$got" -eq "$code" ] || fail "exit $got, not $code, for: $* ($(cat "$work/err.txt"))"
  diff "$want" "$work/err.txt" >&2 || fail "stderr of: $* (above: expected < > got)"
  [ ! -s "$work/out.txt" ] || fail "stdout not empty for: $*"
}
# A bad input fails on every rank alike: one message (the one process's), exit 2.
printf '[actor\n' >"$work/bad.toml"
"$one_bin" sweep "$work/bad.toml" --samples 100 2>"$work/one-err.txt" && fail "bad.toml was accepted"
cp "$work/one-err.txt" "$work/want.txt"
expect 2 "$work/want.txt" -- sweep "$work/bad.toml" --samples 100
# Only rank 0 plans the output: it fails alone, the other ranks stop at the
# next agreement; rank 0's message (the one process's), exit 1.
"$one_bin" sweep "$scenario" --samples 100 --output "$work/missing/out.json" 2>"$work/one-err.txt" &&
  fail "an output in a missing directory was accepted"
cp "$work/one-err.txt" "$work/want.txt"
expect 1 "$work/want.txt" -- sweep "$scenario" --samples 100 --output "$work/missing/out.json"
if [ "$n" -gt 1 ]; then
  printf '%s\n' 'clustercap: only sweep runs on several MPI ranks; run "estimate" without mpirun or with -np 1' \
    >"$work/want.txt"
  expect 2 "$work/want.txt" -- estimate
  printf '%s\n' 'clustercap: sweep on several MPI ranks reads the scenario file on every rank: give its path, not -' \
    'see: clustercap sweep --help' >"$work/want.txt"
  expect 2 "$work/want.txt" -- sweep - </dev/null
fi
echo "mpi sweep: identical bytes at -np ${ranks[*]} (one-date and timeline sweeps); failures end every rank alike"
