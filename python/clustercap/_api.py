"""The commands as functions: each builds the argument list the binary would
get, runs it in-process (clustercap._core.run, the binary's own code) with
``--format json`` and returns the parsed JSON."""

import csv
import json
import os
import shutil
import tempfile

from . import _toml
from ._errors import raise_for

try:
    from . import _core
except ImportError as error:  # pragma: no cover - a build without the extension
    _core = None
    _core_error = error


def run(args, stdin=""):
    """Runs one clustercap command (``args`` as typed after ``clustercap``) and
    returns its standard output; raises InputError (exit 2) or RuntimeFailure
    (exit 1) with the command's messages."""
    if _core is None:
        raise ImportError(f"clustercap._core is not built: {_core_error}")
    args = [os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in args]
    exit_code, out, err = _core.run(args, stdin)
    raise_for(exit_code, err, args)
    return out


def _run_json(args, stdin=""):
    return json.loads(run(list(args) + ["--format", "json"], stdin))


def scenario_input(scenario):
    """(arguments, stdin text) for a scenario given as None (the embedded
    default), a path, TOML text or a dict."""
    if scenario is None:
        return [], ""
    if isinstance(scenario, dict):
        return ["-"], _toml.dumps(scenario)
    if isinstance(scenario, os.PathLike):
        return [os.fspath(scenario)], ""
    if isinstance(scenario, str):
        # An existing file wins; otherwise text with a newline or `=` is TOML,
        # and anything else a path the binary will report if it is missing.
        if os.path.isfile(scenario) or ("\n" not in scenario and "=" not in scenario):
            return [scenario], ""
        return ["-"], scenario
    raise TypeError("scenario must be None, a path, TOML text or a dict, not "
                    f"{type(scenario).__name__}")


def set_args(settings):
    """``--set KEY=VALUE`` arguments, each value written as a TOML value."""
    args = []
    for key, value in (settings or {}).items():
        args += ["--set", f"{key}={_toml._value(value, key)}"]
    return args


def _list_args(flag, values):
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [flag, ",".join(values)]


def estimate(scenario=None, set=None, sources=None, hardware=None):
    """``clustercap estimate``: the largest trainable cluster per actor.
    Returns the ``clustercap.estimate.v1`` JSON as dicts."""
    args, stdin = scenario_input(scenario)
    return _run_json(["estimate"] + args + set_args(set) + _list_args("--sources", sources)
                     + _hardware_args(hardware), stdin)


def timeline(scenario, set=None, sources=None, hardware=None):
    """``clustercap timeline``: inventory and the largest cluster month by month."""
    args, stdin = scenario_input(scenario)
    return _run_json(["timeline"] + args + set_args(set) + _list_args("--sources", sources)
                     + _hardware_args(hardware), stdin)


def _with_grid(scenario, grid):
    """The scenario's TOML text with ``grid`` as its [sweep.grid] table."""
    if scenario is None:
        raise ValueError("grid= needs a scenario (a path, TOML text or a dict)")
    if isinstance(scenario, dict):
        merged = dict(scenario)
        sweep = dict(merged.get("sweep", {}))
        if "grid" in sweep:
            raise ValueError("the scenario already has a [sweep.grid]; pass grid= or edit the "
                             "scenario, not both")
        sweep["grid"] = dict(grid)
        merged["sweep"] = sweep
        return _toml.dumps(merged)
    args, text = scenario_input(scenario)
    if args != ["-"]:
        with open(args[0], encoding="utf-8") as handle:
            text = handle.read()
    import tomllib
    if "grid" in tomllib.loads(text).get("sweep", {}):
        raise ValueError("the scenario already has a [sweep.grid]; pass grid= or edit the "
                         "scenario, not both")
    # Appended, so the file's own lines keep their numbers in messages.
    return text.rstrip("\n") + "\n\n" + _toml.dumps({"sweep": {"grid": dict(grid)}})


def sweep(scenario, samples=100000, seed=1, threads=1, grid=None, set=None, sources=None,
          by_source=False, max_points=None, keep_samples=False, hardware=None):
    """``clustercap sweep``: Monte Carlo (and grids) over the scenario's
    distributions. ``grid`` maps input keys to values ({"actor[0].site[0].power_mw":
    [100, 300]}) and becomes the scenario's [sweep.grid]. With keep_samples,
    ``result["samples"]`` maps each --samples-out column to a NumPy array."""
    if grid:
        args, stdin = ["-"], _with_grid(scenario, grid)
    else:
        args, stdin = scenario_input(scenario)
    args = (["sweep"] + args + ["--samples", str(samples), "--seed", str(seed), "--threads",
                                str(threads)] + set_args(set) + _list_args("--sources", sources)
            + _hardware_args(hardware))
    if by_source:
        args.append("--by-source")
    if max_points is not None:
        args += ["--max-points", str(max_points)]
    if not keep_samples:
        return _run_json(args, stdin)
    directory = tempfile.mkdtemp(prefix="clustercap-samples-")
    try:
        path = os.path.join(directory, "samples.csv")
        result = _run_json(args + ["--samples-out", path], stdin)
        result["samples"] = read_samples(path)
        return result
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def read_samples(path):
    """A --samples-out CSV as {column: NumPy array}: numbers as float64,
    anything else (names) as str arrays."""
    import numpy as np
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return {}
    header, body = rows[0], rows[1:]
    columns = {}
    for index, name in enumerate(header):
        values = [row[index] for row in body]
        try:
            columns[name] = np.array([float(v) for v in values], dtype=np.float64)
        except ValueError:
            columns[name] = np.array(values, dtype=str)
    return columns


def _hardware_args(hardware):
    if hardware is None:
        return []
    if isinstance(hardware, (str, os.PathLike)):
        hardware = [hardware]
    args = []
    for path in hardware:
        args += ["--hardware", os.fspath(path)]
    return args


def compare(ids, hardware=None):
    """``clustercap compare ID ID...``: chips or systems side by side, with ratios."""
    if isinstance(ids, str):
        ids = [ids]
    return _run_json(["compare"] + list(ids) + _hardware_args(hardware))


def classify(ids, rule="all", hardware=None):
    """``clustercap classify ID... --rule R``: TPP, PD and the verdict per rule vintage."""
    if isinstance(ids, str):
        ids = [ids]
    return _run_json(["classify"] + list(ids) + ["--rule", rule] + _hardware_args(hardware))


def catalog(kind="all", hardware=None):
    """``clustercap hardware list --kind K``: the catalog's chips, systems and clusters."""
    return _run_json(["hardware", "list", "--kind", kind] + _hardware_args(hardware))


def show(entry_id, hardware=None):
    """``clustercap hardware show ID``: one catalog entry with its sources."""
    return _run_json(["hardware", "show", entry_id] + _hardware_args(hardware))


def validate(cases=None, threads=1, hardware=None):
    """``clustercap validate``: the step-time model against published runs
    (the embedded set when ``cases`` is None; a path otherwise)."""
    args = [] if cases is None else [os.fspath(cases)]
    return _run_json(["validate"] + args + ["--threads", str(threads)] + _hardware_args(hardware))
