"""Request validation driven by botocore's service model: one walker for every operation.

:func:`parse_request` walks an operation's input shape over the decoded JSON body and
returns the request with blobs decoded to ``bytes``. Two kinds of fault, as Rekognition
reports them:

- the request's *structure* is wrong (a required member is missing, a member is unknown
  or of the wrong JSON type, a blob is not base64): ``InvalidParameterException``;
- a value breaks a *constraint* of the model (length, count, range, enum, pattern):
  ``ValidationException``, worded as AWS words it (``1 validation error detected: Value
  'a b' at 'CollectionId' failed to satisfy constraint: ...``).

Every message names the member by its path in the request (``Image.S3Object.Name``).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from sightline.api.rekognition.service import operation_model
from sightline.errors import InvalidParameterError, SerializationError, ValidationError

# Java's Unicode classes, which Python's re lacks; only tag keys and values use them.
_JAVA_CLASSES = {r"\p{L}": r"\w", r"\p{N}": r"\w", r"\p{Z}": r"\s"}


@dataclass
class _Faults:
    structure: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)


def parse_request(operation: str, body: Any) -> dict[str, Any]:
    """Validate ``body`` (decoded JSON) against ``operation``'s input shape.

    Returns:
        The request members, with ``blob`` members decoded from base64 to ``bytes`` and
        JSON nulls dropped (botocore never sends them; a null is an absent member).

    Raises:
        SerializationError: the body is not a JSON object.
        InvalidParameterError: missing, unknown or mistyped members, or bad base64.
        ValidationError: values outside the model's lengths, ranges, enums or patterns.
    """
    shape = operation_model(operation).input_shape
    if not isinstance(body, dict):
        raise SerializationError(
            f"The request body must be a JSON object, not a JSON {_json_type(body)}."
        )
    if shape is None:
        return {}
    faults = _Faults()
    parsed = _structure(shape, body, "", faults)
    if faults.structure:
        raise InvalidParameterError(" ".join(faults.structure))
    if faults.constraints:
        n = len(faults.constraints)
        raise ValidationError(
            f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(faults.constraints)
        )
    return parsed


def _parse(shape: Shape, value: Any, path: str, faults: _Faults) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return _wrong_type(path, "an object", value, faults)
        return _structure(shape, value, path, faults)
    if kind == "list":
        if not isinstance(value, list):
            return _wrong_type(path, "a list", value, faults)
        assert isinstance(shape, ListShape)
        _count(shape, value, path, faults)
        return [_parse(shape.member, v, f"{path}[{i}]", faults) for i, v in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            return _wrong_type(path, "an object", value, faults)
        assert isinstance(shape, MapShape)
        _count(shape, value, path, faults)
        return {
            _parse(shape.key, k, f"{path}.<key>", faults): _parse(
                shape.value, v, f"{path}[{k!r}]", faults
            )
            for k, v in value.items()
        }
    if kind == "string":
        if not isinstance(value, str):
            return _wrong_type(path, "a string", value, faults)
        _string(shape, value, path, faults)
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return _wrong_type(path, "an integer", value, faults)
        _range(shape, value, path, faults)
        return value
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _wrong_type(path, "a number", value, faults)
        if not math.isfinite(value):
            faults.structure.append(f"'{path}' must be a finite number.")
            return value
        _range(shape, value, path, faults)
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            return _wrong_type(path, "a boolean", value, faults)
        return value
    if kind == "blob":
        return _blob(shape, value, path, faults)
    return value


def _structure(
    shape: StructureShape, value: dict[str, Any], path: str, faults: _Faults
) -> dict[str, Any]:
    members = shape.members
    out: dict[str, Any] = {}
    for name, item in value.items():
        member_path = f"{path}.{name}" if path else name
        if name not in members:
            expected = ", ".join(members) or "no members"
            faults.structure.append(
                f"'{member_path}' is not a member of {shape.name}; expected: {expected}."
            )
            continue
        if item is None:
            continue
        out[name] = _parse(members[name], item, member_path, faults)
    for name in shape.required_members:
        if name not in out:
            member_path = f"{path}.{name}" if path else name
            faults.structure.append(f"Missing required member '{member_path}' of {shape.name}.")
    return out


def _blob(shape: Shape, value: Any, path: str, faults: _Faults) -> bytes | None:
    if not isinstance(value, str):
        _wrong_type(path, "a base64 string", value, faults)
        return None
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        faults.structure.append(f"'{path}' is not valid base64.")
        return None
    low = shape.metadata.get("min")
    if low is not None and len(data) < low:
        faults.constraints.append(
            f"Value at '{path}' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {low}"
        )
    # The model's maximum (5 MiB for images) is not checked here: the configured
    # ``limits.max_bytes`` decides, with ImageTooLargeException, as the operator set it.
    return data


def _string(shape: Shape, value: str, path: str, faults: _Faults) -> None:
    meta = shape.metadata
    low, high = meta.get("min"), meta.get("max")
    if low is not None and len(value) < low:
        _constraint(path, value, f"Member must have length greater than or equal to {low}", faults)
    if high is not None and len(value) > high:
        _constraint(path, value, f"Member must have length less than or equal to {high}", faults)
    if shape.enum and value not in shape.enum:
        _constraint(
            path, value, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]", faults
        )
    pattern = meta.get("pattern")
    if pattern and _compiled(pattern).fullmatch(value) is None:
        _constraint(
            path, value, f"Member must satisfy regular expression pattern: {pattern}", faults
        )


def _range(shape: Shape, value: float, path: str, faults: _Faults) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        _constraint(path, value, f"Member must have value greater than or equal to {low}", faults)
    if high is not None and value > high:
        _constraint(path, value, f"Member must have value less than or equal to {high}", faults)


def _count(shape: Shape, value: list[Any] | dict[Any, Any], path: str, faults: _Faults) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and len(value) < low:
        _constraint(path, None, f"Member must have length greater than or equal to {low}", faults)
    if high is not None and len(value) > high:
        _constraint(path, None, f"Member must have length less than or equal to {high}", faults)


def _constraint(path: str, value: Any, rule: str, faults: _Faults) -> None:
    shown = "" if value is None else f" {_show(value)}"
    faults.constraints.append(f"Value{shown} at '{path}' failed to satisfy constraint: {rule}")


def _wrong_type(path: str, expected: str, value: Any, faults: _Faults) -> None:
    faults.structure.append(f"'{path}' must be {expected}, not a JSON {_json_type(value)}.")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 64 else value[:61] + "...")
    return repr(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    for java, python in _JAVA_CLASSES.items():
        pattern = pattern.replace(java, python)
    return re.compile(pattern)
