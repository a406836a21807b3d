"""Shared set-up for the package's tests: the build's package and binary
(CLUSTERCAP_BINARY, PYTHONPATH set by python/tests/CMakeLists.txt)."""

import json
import os
import subprocess
import sys
import unittest

BINARY = os.environ.get("CLUSTERCAP_BINARY", "")
SOURCE_DIR = os.environ.get("CLUSTERCAP_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(
                                os.path.abspath(__file__)))))
CONFIGS = os.path.join(SOURCE_DIR, "configs")
BAD_INPUTS = os.path.join(SOURCE_DIR, "tests", "bad_inputs")

import clustercap  # noqa: E402  (after the paths, for the messages below)


def binary(args, stdin="", cwd=None):
    """(exit code, stdout, stderr) of the built clustercap binary."""
    if not BINARY:
        raise unittest.SkipTest("CLUSTERCAP_BINARY is not set (run through ctest)")
    done = subprocess.run([BINARY] + list(args), input=stdin, capture_output=True, text=True,
                          cwd=cwd)
    return done.returncode, done.stdout, done.stderr


def binary_json(args):
    code, out, err = binary(list(args) + ["--format", "json"])
    if code != 0:
        raise AssertionError(f"clustercap {' '.join(args)} exited {code}: {err}")
    return json.loads(out)


def stdin_supported():
    """Whether this build reads a scenario named "-" (h-set's stdin support)."""
    code, _, _ = binary(["estimate", "-", "--format", "json"],
                        stdin=open(os.path.join(CONFIGS, "default.toml")).read())
    return code == 0


def without_file(result):
    """A result with its scenario's file name blanked: the one field that
    names where the scenario came from (a path, or stdin)."""
    copy = json.loads(json.dumps(result))
    copy.get("scenario", {}).pop("file", None)
    return copy


def main_skipping_without(module):
    """unittest.main(), but exit 77 (ctest's skip) when ``module`` is missing."""
    try:
        __import__(module)
    except ImportError:
        print(f"skipped: {module} is not installed for {sys.executable}")
        sys.exit(77)
    unittest.main(verbosity=2)
