#!/usr/bin/env python3
"""Every citation in the repository points inside it (ctest citations_resolve).

Scans README.md, docs/, configs/, hardware/, power/, estimator/ and tests/
line by line and prints FILE:LINE: problem for each citation that does not
resolve, then exits 1 (0 when all resolve):

  - a cited repository path (docs/..., configs/..., hardware/..., scripts/...,
    schemas/...) that does not exist (globs such as hardware/data/*.toml must
    match at least one file);
  - a section "§X.Y" written after a docs/FILE.md path that names no heading of
    that file (a heading's id is its first word: "### B.3 Huawei ..." -> B.3,
    "### E7. Training compute" -> E7);
  - a source id "R<n>" written after docs/methodology.md that is not in that
    file's source list (table rows starting "| R<n> |");
  - a source id such as "(R27)" written without docs/methodology.md before it;
  - a citation of a document outside the repository: reference/..., DESIGN,
    ../shared, /work/, or a bare policy-supply / methodology.md / mfu-priors /
    calibration-runs / hardware-notes / export-control.toml without docs/.

The one citation form is `docs/FILE.md §X.Y` (several: `docs/FILE.md §B.3,
§B.6`) and `docs/methodology.md R27` (several: `docs/methodology.md R27, R30`,
or mixed: `docs/methodology.md §3.1, R27`).

Usage: check_citations.py ROOT        check the tree at ROOT
       check_citations.py --self-test plant bad citations in a scratch tree and
                                      check that each one is reported
"""

import glob
import os
import re
import sys
import tempfile

SCANNED = ["README.md", "docs", "configs", "hardware", "power", "estimator", "tests"]

TEXT_SUFFIXES = (".md", ".toml", ".hpp", ".cpp", ".h", ".txt", ".csv", ".py", ".cmake", ".sh",
                 ".expected", ".args", ".json")

PATH_RE = re.compile(r"(?<![\w./-])((?:docs|configs|hardware|scripts|schemas)/[\w./*-]*[\w*/])")
# After a docs/*.md path: a chain of "§X.Y" and "R<n>" separated by commas, ';' or 'and'.
CHAIN_ITEM_RE = re.compile(r"\s*(?:(?:,|;|and)\s*)?(§\s*([A-Z]\d*(?:\.\d+)*|\d+(?:\.\d+)*)|R(\d+)\b)")
BARE_ID_RE = re.compile(r"(?<![\w/.-])R\d{1,2}\b")
OUTSIDE_RES = [
    (re.compile(r"\breference/"), "cites reference/, which is outside the repository"),
    (re.compile(r"\bDESIGN\b"), "cites DESIGN, which is outside the repository"),
    (re.compile(r"\.\./shared"), "cites ../shared, which is outside the repository"),
    (re.compile(r"/work/"), "cites /work/, which is outside the repository"),
    (re.compile(r"(?<!docs/)(?<![\w-])(policy-supply|methodology\.md|mfu-priors|calibration-runs|hardware-notes"
                r"|export-control\.toml)"),
     "cites a document without its repository path (write docs/FILE.md §X.Y)"),
]


def heading_ids(path):
    ids = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#+\s+(\S+)", line)
            if m:
                ids.add(m.group(1).rstrip(".:"))
    return ids


def source_ids(path):
    ids = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\|\s*(R\d+)\s*\|", line)
            if m:
                ids.add(m.group(1))
    return ids


def scanned_files(root):
    for entry in SCANNED:
        full = os.path.join(root, entry)
        if os.path.isfile(full):
            yield entry
            continue
        for dirpath, dirnames, filenames in os.walk(full):
            dirnames[:] = sorted(d for d in dirnames if d != "build")
            for name in sorted(filenames):
                if name.endswith(TEXT_SUFFIXES) or name == "CMakeLists.txt":
                    yield os.path.relpath(os.path.join(dirpath, name), root)


def check_line(root, rel, lineno, line, cache, problems):
    where = f"{rel}:{lineno}"
    for pattern, rule in OUTSIDE_RES:
        m = pattern.search(line)
        if m:
            problems.append(f"{where}: {m.group(0)}: {rule}")
    if line.lstrip().startswith("#include"):
        return
    covered = []  # spans of R ids that follow docs/methodology.md
    for m in PATH_RE.finditer(line):
        cited = m.group(1).rstrip(".")
        # Relative to the repository root, or (CMakeLists.txt lists) to the citing file.
        full = os.path.join(root, cited)
        local = os.path.join(root, os.path.dirname(rel), cited)
        exists = any(glob.glob(f) if "*" in cited else os.path.exists(f) for f in (full, local))
        if not exists:
            problems.append(f"{where}: {cited}: cited path does not exist")
            continue
        if not cited.startswith("docs/") or not cited.endswith(".md"):
            continue
        if cited not in cache:
            cache[cited] = (heading_ids(full), source_ids(full))
        headings, sources = cache[cited]
        pos = m.end()
        while True:
            item = CHAIN_ITEM_RE.match(line, pos)
            if not item:
                break
            if item.group(2) is not None and item.group(2) not in headings:
                problems.append(f"{where}: {cited} §{item.group(2)}: no such section in {cited}")
            if item.group(3) is not None:
                rid = "R" + item.group(3)
                covered.append(item.span(1))
                if rid not in sources:
                    problems.append(f"{where}: {cited} {rid}: not in the source list of {cited}")
            pos = item.end()
    if rel == "docs/methodology.md":
        return  # the source list itself
    for m in BARE_ID_RE.finditer(line):
        if not any(a <= m.start() < b for a, b in covered):
            problems.append(f"{where}: {m.group(0)}: source id without docs/methodology.md before it")


def check_tree(root):
    problems = []
    cache = {}
    for rel in scanned_files(root):
        try:
            with open(os.path.join(root, rel), encoding="utf-8") as f:
                lines = f.readlines()
        except UnicodeDecodeError:
            continue
        for lineno, line in enumerate(lines, start=1):
            check_line(root, rel, lineno, line, cache, problems)
    return problems


def self_test():
    """Plant each kind of bad citation in a scratch tree; each must be reported."""
    files = {
        "docs/methodology.md": "# Methodology\n## 3. Network\n### 3.1 Fat tree\n"
                               "| ID | Source |\n|---|---|\n| R27 | NVIDIA docs |\n",
        "docs/policy-supply.md": "## B. Supply\n### B.3 Ascend\n",
        "configs/good.toml": "# docs/policy-supply.md §B.3; docs/methodology.md §3.1, R27\n"
                            "# hardware/data/*.toml and docs/ and docs/methodology.md R27.\n",
        "configs/bad.toml": "# docs/policy-supply.md §B.9\n"          # 1: no such section
                           "# docs/methodology.md R99\n"              # 2: no such source id
                           "# docs/missing.md\n"                      # 3: path does not exist
                           "# reference/policy-supply.md\n"           # 4: outside, and bare name
                           "# see DESIGN §3\n"                        # 5: outside
                           "# (R27)\n"                                # 6: bare source id
                           "# policy-supply B.3\n"                    # 7: old form
                           "# ../shared/x and /work/y\n"              # 8: outside, twice
                           "# hardware/data/*.csv\n",                 # 9: glob matches nothing
    }
    expected = [
        "configs/bad.toml:1: docs/policy-supply.md §B.9: no such section",
        "configs/bad.toml:2: docs/methodology.md R99: not in the source list",
        "configs/bad.toml:3: docs/missing.md: cited path does not exist",
        "configs/bad.toml:4: reference/: cites reference/",
        "configs/bad.toml:4: policy-supply: cites a document without its repository path",
        "configs/bad.toml:5: DESIGN: cites DESIGN",
        "configs/bad.toml:6: R27: source id without docs/methodology.md",
        "configs/bad.toml:7: policy-supply: cites a document without its repository path",
        "configs/bad.toml:8: ../shared: cites ../shared",
        "configs/bad.toml:8: /work/: cites /work/",
        "configs/bad.toml:9: hardware/data/*.csv: cited path does not exist",
    ]
    with tempfile.TemporaryDirectory() as root:
        for rel, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
                f.write(text)
        os.makedirs(os.path.join(root, "hardware/data"))
        open(os.path.join(root, "hardware/data/chips.toml"), "w").close()
        problems = check_tree(root)
    failures = [e for e in expected if not any(p.startswith(e) for p in problems)]
    unexpected = [p for p in problems if not any(p.startswith(e) for e in expected)]
    for e in failures:
        print(f"self-test: not reported: {e}")
    for p in unexpected:
        print(f"self-test: reported but not planted: {p}")
    return 1 if failures or unexpected else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-4], file=sys.stderr)
        return 2
    problems = check_tree(argv[1])
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} citation(s) do not resolve inside the repository")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
