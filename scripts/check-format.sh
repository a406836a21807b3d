#!/usr/bin/env bash
# Fails, listing the files, when a C++ source or header differs from
# .clang-format. `scripts/check-format.sh --fix` rewrites them instead.
# Uses Debian 12's clang-format 14 (scripts/install-deps.sh installs it):
# other versions format some constructs differently.
set -euo pipefail
cd "$(dirname "$0")/.."
tool=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$tool" ]; then
  echo "check-format: clang-format-14 not found; run scripts/install-deps.sh" >&2
  exit 1
fi
mapfile -t files < <(find hardware power estimator include tests bench python -name '*.cpp' -o -name '*.hpp' | sort)
if [ "${1:-}" = "--fix" ]; then
  "$tool" -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  "$tool" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-format: ${#bad[@]} file(s) differ from .clang-format (fix: scripts/check-format.sh --fix):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files match .clang-format"
