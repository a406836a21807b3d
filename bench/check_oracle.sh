#!/usr/bin/env bash
# ctest entry: `clustercap sweep` against bench/reference_numpy.py, the
# independent NumPy implementation, on the same samples of one scenario.
#   bash bench/check_oracle.sh CLUSTERCAP SCENARIO.toml SAMPLES WORK_DIR
# Fails when NumPy is missing (scripts/install-deps.sh installs Debian's
# python3-numpy) or any metric differs beyond the oracle's stated tolerance.
set -euo pipefail
bin=$1
scenario=$2
samples=$3
work=$4
if ! /usr/bin/python3 -c "import numpy" 2>/dev/null; then
  echo "check_oracle: /usr/bin/python3 has no NumPy; run scripts/install-deps.sh (Debian python3-numpy)" >&2
  exit 1
fi
mkdir -p "$work"
"$bin" sweep "$scenario" --samples "$samples" --format json --output "$work/sweep.json" --plan-out "$work/plan.json"
/usr/bin/python3 "$(dirname "$0")/reference_numpy.py" "$work/plan.json" "$samples" "$work/sweep.json"
