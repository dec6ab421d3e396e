"""The execution's state data: paths into it, choice conditions, cause templates, and
the trimmed copies that are recorded.

The state is a JSON object. A path is ``$`` followed by ``.key`` parts; reading a
missing key gives :data:`MISSING` (``is_present = false`` tests for it), writing
creates the objects on the way.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from collections.abc import Mapping
from typing import Any

from sightline.pipeline.workflows.definition import TEMPLATE, Condition

MISSING: Any = object()
TRUNCATED = "$truncated"  # the key of a value left out of a record: its size in bytes


def get_path(state: Any, path: str) -> Any:
    """The value at ``path`` in ``state``, or :data:`MISSING`."""
    value = state
    for part in path.split(".")[1:]:
        if not isinstance(value, Mapping) or part not in value:
            return MISSING
        value = value[part]
    return value


def set_path(state: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``state`` with ``value`` at ``path`` (the input is not changed)."""
    parts = path.split(".")[1:]
    out = dict(state)
    node = out
    for part in parts[:-1]:
        child = node.get(part)
        child = dict(child) if isinstance(child, Mapping) else {}
        node[part] = child
        node = child
    node[parts[-1]] = value
    return out


def holds(condition: Condition, state: Any) -> bool:
    """Whether ``condition`` holds on ``state``. A comparison with a value of the wrong
    type (a number test on text, a missing value) is false, not an error."""
    test = condition.test
    if test == "all":
        return all(holds(c, state) for c in condition.all or ())
    if test == "any":
        return any(holds(c, state) for c in condition.any or ())
    if test == "not":
        return condition.not_ is not None and not holds(condition.not_, state)
    value = get_path(state, str(condition.variable))
    if test == "is_present":
        return (value is not MISSING) == condition.is_present
    if value is MISSING:
        return False
    if test == "equals":
        return _same(value, condition.equals)
    if test == "one_of":
        return any(_same(value, v) for v in condition.one_of or ())
    if test == "matches":
        return isinstance(value, str) and fnmatch.fnmatchcase(value, str(condition.matches))
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    bound = float(getattr(condition, test))
    return {
        "greater_than": value > bound,
        "greater_or_equal": value >= bound,
        "less_than": value < bound,
        "less_or_equal": value <= bound,
    }[test]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b  # true == 1 in Python, not in a condition
    return bool(a == b)


def render(template: str, state: Any) -> str:
    """``template`` with each ``{$.path}`` replaced by the state's value there (text as
    is, other values as JSON, a missing value as ``null``)."""

    def value(match: Any) -> str:
        found = get_path(state, match.group(1))
        if found is MISSING or found is None:
            return "null"
        return found if isinstance(found, str) else json.dumps(found, ensure_ascii=False)

    return TEMPLATE.sub(value, template)


def json_size(value: Any) -> int:
    return len(dumps(value))


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (what the database and the API will hold)."""
    return json.loads(dumps(value))


def trim(value: Any, limit: int) -> Any:
    """``value`` made to fit ``limit`` bytes of JSON, for a record: the largest members
    are trimmed first (nested values keep what fits), what cannot fit at all is
    replaced by ``{"$truncated": <its size in bytes>}``, long text is cut with ``…``."""
    size = json_size(value)
    if size <= limit:
        return value
    marker = {TRUNCATED: size}
    if limit < json_size(marker) + 16:
        return marker
    if isinstance(value, str):
        n = limit
        while n > 0 and json_size(value[:n] + "…") > limit:
            n = n * 3 // 4
        return value[:n] + "…"
    if isinstance(value, Mapping):
        # Water-filling: small members stay whole, large ones share what is left.
        out = {k: 0 for k in value}
        remaining = limit - json_size(out)
        order = sorted(value, key=lambda k: json_size(value[k]))
        for i, key in enumerate(order):
            share = remaining // (len(order) - i) + 1  # +1: the 0 placeholder's byte
            out[key] = trim(value[key], max(share, 0))
            remaining -= json_size(out[key]) - 1
        return out if json_size(out) <= limit else marker
    if isinstance(value, list):
        kept: list[Any] = []
        for item in value:
            if json_size([*kept, item, {TRUNCATED: size}]) > limit:
                break
            kept.append(item)
        return [*kept, {TRUNCATED: json_size(value[len(kept) :])}]
    return marker


def fork(state: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy a parallel branch may change freely."""
    return copy.deepcopy(dict(state))


def merge(base: Mapping[str, Any], branches: list[dict[str, Any]]) -> dict[str, Any]:
    """``base`` with the top-level keys each branch added or changed (later wins)."""
    out = dict(base)
    for branch in branches:
        for key, value in branch.items():
            if key not in base or base[key] != value:
                out[key] = value
    return out
