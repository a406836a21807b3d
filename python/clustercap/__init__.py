"""clustercap from Python: the command line's commands as functions returning
their JSON output as dicts (same checks, messages and numbers as the binary,
which runs in-process through clustercap._core).

    import clustercap
    result = clustercap.estimate(set={"actor[0].site[0].power_mw": 300})
    result["actors"][0]["cluster"]["chips"]

A scenario is None (the embedded default), a path, TOML text or a dict.
Errors raise clustercap.InputError (exit code 2) or clustercap.RuntimeFailure
(exit code 1), both clustercap.Error, whose message is clustercap's stderr.
Tables as pandas DataFrames: clustercap.frames; plots: clustercap.plot
(matplotlib); neither is imported until used.
"""

from ._api import (catalog, classify, compare, estimate, read_samples, run, show, sweep,
                   timeline, validate)
from ._errors import Error, InputError, RuntimeFailure
from ._toml import dumps as to_toml

__all__ = ["Error", "InputError", "RuntimeFailure", "catalog", "classify", "compare", "estimate",
           "read_samples", "run", "show", "sweep", "timeline", "to_toml", "validate"]
