#!/usr/bin/env python3
"""A portable build's binary runs on any x86-64: no AVX instruction may be
reachable except through runtime dispatch. Disassembles the binary and fails
when a function other than the sweep kernel's AVX versions
(sweep::Kernel::evaluate_avx2 and evaluate_avx512, called only where
__builtin_cpu_supports says the CPU has them: estimator/sweep/kernel.cpp) uses a ymm/zmm/mask register or a VEX/EVEX-only
instruction, and when that version is missing (the dispatch is gone).
   check_baseline_code.py BINARY
"""
import re
import subprocess
import sys

binary = sys.argv[1]
listing = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C", binary],
                         check=True, capture_output=True, text=True).stdout
header = re.compile(r"^[0-9a-f]+ <(.*)>:$")
# Registers and mnemonics that exist only with AVX (VEX or EVEX encoding):
# every AVX instruction is spelled with a leading v (vmovapd, vroundsd, ...)
# in AT&T syntax, and ymm/zmm/k registers are AVX's.
avx = re.compile(r"%[yz]mm\d|%k[0-7]\b|^\s*[0-9a-f]+:\s+v[a-z0-9]+\s")
clone = re.compile(r"sweep::Kernel::evaluate_avx(2|512)\(")
function = None
bad = {}
clones = set()
for line in listing.splitlines():
    m = header.match(line)
    if m:
        function = m.group(1)
        continue
    if function is None or not avx.search(line):
        continue
    if clone.search(function):
        clones.add(function)
    else:
        bad.setdefault(function, line.strip())
for function, line in sorted(bad.items()):
    print(f"AVX outside runtime dispatch: {function}: {line}")
if len(clones) != 2:
    print("no AVX code in sweep::Kernel::evaluate_avx2 or evaluate_avx512: runtime dispatch is missing")
    sys.exit(1)
if bad:
    sys.exit(1)
print(f"baseline code has no AVX; AVX only in the dispatched functions: "
      + ", ".join(sorted(clones)))
