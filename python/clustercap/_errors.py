"""Exceptions carrying clustercap's own messages."""

import re

# FILE:LINE:COL: KEY = VALUE: RULE (README "Commands"); FILE may hold colons.
_LOCATED = re.compile(r"^(?P<file>.*):(?P<line>\d+):(?P<column>\d+): (?P<rest>.*)$")


class Error(Exception):
    """A clustercap command failed. ``str(e)`` is its stderr as the binary
    prints it; ``e.lines`` those lines; ``e.exit_code`` the binary's exit code;
    ``e.locations`` (file, line, column, message) for each FILE:LINE:COL line."""

    def __init__(self, stderr, exit_code, args=()):
        self.stderr = stderr
        self.exit_code = exit_code
        self.command = list(args)
        self.lines = [line for line in stderr.splitlines() if line]
        self.locations = []
        for line in self.lines:
            match = _LOCATED.match(line)
            if match:
                self.locations.append((match["file"], int(match["line"]), int(match["column"]),
                                       match["rest"]))
        super().__init__(stderr.rstrip("\n"))


class InputError(Error):
    """Bad input or usage (the binary's exit code 2): the scenario, a --set
    value, an id or an argument. Nothing was computed or written."""


class RuntimeFailure(Error):
    """A runtime failure (exit code 1), e.g. an output file that cannot be written."""


def raise_for(exit_code, stderr, args=()):
    if exit_code == 0:
        return
    kind = InputError if exit_code == 2 else RuntimeFailure
    raise kind(stderr, exit_code, args)
