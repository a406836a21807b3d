#!/usr/bin/env bash
# Installs the Debian packages clustercap needs to build and test, if missing.
# Debian 12 (bookworm). Needs root for apt-get; otherwise prints the command.
set -euo pipefail

packages=(
  cmake g++ make
  libboost-program-options-dev   # command line
  libeigen3-dev                  # batch arrays (Eigen 3.4)
  libtomlplusplus-dev            # TOML config files
  nlohmann-json3-dev             # JSON output
  catch2                         # tests (Catch2 2.13)
  clang-format-14                # the format check (ctest formatted, scripts/check-format.sh)
  python3-numpy                  # the NumPy oracle (ctest and `make bench`) on Debian's /usr/bin/python3
  pybind11-dev python3-dev       # the Python package's extension, clustercap._core (python/)
  python3-matplotlib             # clustercap.plot and `clustercap plot`
  python3-pandas                 # clustercap.frames (DataFrames)
)

if [ "${1:-}" = "fuzz" ]; then
  packages+=(clang-14 libclang-rt-14-dev)  # libFuzzer and the sanitizer runtimes
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: not root; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
