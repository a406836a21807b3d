#!/usr/bin/env python3
"""A portable build's binary runs on any x86-64: no AVX instruction may be
reachable except through runtime dispatch. Disassembles the binary and fails
  - when a function other than the sweep kernel's AVX versions
    (sweep::Kernel::evaluate_, draw_ and summarise_avx2/_avx512, called only
    where __builtin_cpu_supports says the CPU has them:
    estimator/sweep/kernel.cpp) uses a ymm/zmm/mask register or a
    VEX/EVEX-only instruction;
  - when one of those versions is missing (the dispatch is gone);
  - when one of them calls out of line a function other than those defined
    elsewhere on purpose (`outside` below: the engine, libm, the sketch's
    slow path): a helper from kernel_body.hpp, lanes.hpp, Eigen, ... left out
    of line runs in the one copy the linker kept, maybe the baseline's;
  - when one of them calls a function that takes a pack (a 64-byte vector)
    by value or is a template returning one: such a function is compiled for
    the baseline, which passes the vector in memory where AVX-512 code passes
    it in a register. (A non-template function returning a pack shows no
    return type in its name; the kernel calls none.)
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
versions = [f"sweep::Kernel::{name}_avx{isa}(" for name in ("evaluate", "draw", "summarise")
            for isa in ("2", "512")]
# A call or jump to another function: "call   4a5b20 <name>" (not <name+0x..>).
call = re.compile(r"^\s*[0-9a-f]+:\s+(call|jmp)\w*\s+[0-9a-f]+ <(.*)>$")
# A pack or mask by value: a template's return type at the front of the
# name, or a vector of eight followed by , or ) in the parameter list once
# template arguments (std::vector<double __vector(8), ...>) are taken out.
# What the dispatched versions may call out of line: code in other files,
# compiled once for the baseline, that takes no pack by value.
outside = re.compile(r"^(sweep::Engine::apply<|sweep::normal_cdf\(|sweep::QuantileSketch::add_outside\("
                     r"|[a-z0-9_]+@plt$)")
returns_pack = re.compile(r"^(unsigned )?(long|double) __vector\(8\) ")
pack_parameter = re.compile(r"__vector\(8\)\s*[,)]")


def by_value(name):
    if returns_pack.search(name):
        return True
    previous = None
    while previous != name:
        previous, name = name, re.sub(r"<[^<>]*>", "", name)
    return pack_parameter.search(name) is not None


function = None
bad = {}
clones = set()
calls = {}
helpers = {}
for line in listing.splitlines():
    m = header.match(line)
    if m:
        function = m.group(1)
        continue
    if function is None:
        continue
    version = next((v for v in versions if v in function), None)
    if version is not None:
        c = call.match(line)
        if c and version not in c.group(2):
            target = c.group(2).removeprefix("clustercap::")
            target = re.sub(r"^void clustercap::", "", target)
            if by_value(c.group(2)):
                calls.setdefault(function, set()).add(c.group(2))
            elif not outside.search(target):
                helpers.setdefault(function, set()).add(c.group(2))
    if not avx.search(line):
        continue
    if version is not None:
        clones.add(version)
    else:
        bad.setdefault(function, line.strip())
for function, line in sorted(bad.items()):
    print(f"AVX outside runtime dispatch: {function}: {line}")
for function, targets in sorted(calls.items()):
    for target in sorted(targets):
        print(f"dispatched {function} calls {target}, which passes a pack by value")
for function, targets in sorted(helpers.items()):
    for target in sorted(targets):
        print(f"dispatched {function} calls {target} out of line: it runs in the copy the linker "
              "kept, not the dispatched instruction set's")
missing = [v for v in versions if v not in clones]
for v in missing:
    print(f"no AVX code in {v[:-1]}: runtime dispatch is missing")
if missing or bad or calls or helpers:
    sys.exit(1)
print(f"baseline code has no AVX; AVX only in the dispatched functions, which inline their "
      "helpers and pass no pack by value: " + ", ".join(v[:-1] for v in versions))
