#!/usr/bin/env bash
# Builds the libFuzzer target with clang and runs it for SECONDS seconds,
# seeded with every scenario in configs/ and the bad-input corpus.
#   bash scripts/fuzz.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
seconds="${1:-60}"
build="${2:-build-fuzz}"
bash scripts/install-deps.sh fuzz
# The flags are CMakePresets.json's `fuzz` preset.
cmake --preset fuzz -B "$build" > /dev/null
cmake --build "$build" -j2 --target clustercap_fuzz_scenario
corpus="$build/fuzz-corpus"
mkdir -p "$corpus" "$build/fuzz-artifacts"
cp configs/*.toml tests/bad_inputs/*.toml "$corpus"/
# Crashes are written to fuzz-artifacts/ and make this script fail.
"$build/clustercap_fuzz_scenario" "$corpus" -max_total_time="$seconds" -max_len=65536 \
  -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/" \
  2>&1 | tail -n 25
