"""A small path evaluator for JSON bodies: ``$.data.items[0].status``, ``checks.db.ok``, ``[2].name``.

Only dotted keys and integer indexes (negative from the end) — enough for health endpoints, small enough
to read. Keys holding dots or brackets can be quoted: ``$["a.b"].c``.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"""\.?([\w$-]+)|\[(-?\d+)\]|\[\s*(?:"([^"]*)"|'([^']*)')\s*\]""")

_MISSING = object()


class PathError(ValueError):
    pass


def parse(path: str) -> list[str | int]:
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[str | int] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise PathError(f"cannot read the path {path!r} at position {pos + (len(path) - len(text))}")
        key, index, dq, sq = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(key if key is not None else (dq if dq is not None else sq))
        pos = match.end()
    return steps


def find(document: Any, path: str) -> Any:
    """The value at ``path``, or :data:`MISSING` when some step does not exist."""
    value = document
    for step in parse(path):
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return _MISSING
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                return _MISSING
            value = value[step]
    return value


MISSING = _MISSING

OPERATORS = ("exists", "eq", "ne", "lt", "le", "gt", "ge", "contains")


def compare(actual: Any, op: str, expected: Any) -> bool:
    """Apply a condition; numbers compare as numbers (``"5"`` and ``5`` are equal), the rest as text."""
    if op == "exists":
        return actual is not _MISSING
    if actual is _MISSING:
        return False
    if op == "contains":
        if isinstance(actual, list | dict):
            return expected in actual
        return str(expected) in _text(actual)
    left, right = _number(actual), _number(expected)
    if left is None or right is None:
        left, right = _text(actual), _text(expected)
        if op not in ("eq", "ne"):
            raise PathError(f"{op!r} needs numbers, got {actual!r} and {expected!r}")
    match op:
        case "eq":
            return left == right
        case "ne":
            return left != right
        case "lt":
            return left < right
        case "le":
            return left <= right
        case "gt":
            return left > right
        case "ge":
            return left >= right
    raise PathError(f"unknown operator {op!r}; one of {', '.join(OPERATORS)}")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)
