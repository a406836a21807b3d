"""A small TOML writer for scenario dicts (the reader is clustercap itself).

Tables become ``[a.b]`` sections, lists of tables ``[[a]]`` sections, and a
table with a ``dist`` key (a distribution, README "Uncertainty") an inline
table ``{ dist = "uniform", min = 1, max = 2 }``, as the configs write them.
Strings are basic strings with every control character escaped. TOML has no
null: a None value is an error naming its key path.
"""

import datetime
import math
import re

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}


def dumps(data):
    """The TOML text of ``data``, a dict of dicts, lists and scalars."""
    if not isinstance(data, dict):
        raise TypeError(f"a scenario dict is needed, not {type(data).__name__}")
    lines = []
    _write_table(data, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _key(key):
    if not isinstance(key, str):
        raise TypeError(f"TOML keys are strings, not {type(key).__name__}: {key!r}")
    return key if _BARE_KEY.match(key) else _string(key)


def _path(keys):
    return ".".join(_key(k) for k in keys)


def _string(text):
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _is_table(value):
    return isinstance(value, dict)


def _is_table_array(value):
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(v, dict) for v in value)


def _inline_wanted(value):
    """Distributions (and lists of them) are written inline, as the configs do."""
    if _is_table(value):
        return "dist" in value
    return _is_table_array(value) and all("dist" in v for v in value)


def _scalar(value, where):
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict, str)):
        value = value.item()  # NumPy scalars
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if value is None:
        raise ValueError(f"{where}: None has no TOML form; leave the key out")
    raise TypeError(f"{where}: {type(value).__name__} has no TOML form")


def _value(value, where):
    """A value written after `key = ` (inline)."""
    if _is_table(value):
        items = [f"{_key(k)} = {_value(v, where + '.' + str(k))}" for k, v in value.items()]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, (list, tuple)) or (hasattr(value, "tolist") and hasattr(value, "ndim")):
        if hasattr(value, "tolist"):
            value = value.tolist()
        return "[" + ", ".join(_value(v, f"{where}[{i}]") for i, v in enumerate(value)) + "]"
    return _scalar(value, where)


def _write_table(table, path, lines):
    where = _path(path) if path else "(top level)"
    sections = []
    for key, value in table.items():
        _key(key)
        if (_is_table(value) or _is_table_array(value)) and not _inline_wanted(value):
            sections.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value, where + '.' + key if path else key)}")
    for key, value in sections:
        sub = path + [key]
        if _is_table(value):
            lines.append("")
            lines.append(f"[{_path(sub)}]")
            _write_table(value, sub, lines)
        else:
            for element in value:
                lines.append("")
                lines.append(f"[[{_path(sub)}]]")
                _write_table(element, sub, lines)
