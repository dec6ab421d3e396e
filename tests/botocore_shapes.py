"""Validate a response dict against botocore's output shape for a Rekognition operation.

botocore only validates *inputs*; this walks the output shape and checks every member:
known names, types, enums, required members and numeric ranges, so a wrong field name
or a stray null fails the test with its path.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.model import ServiceModel, Shape


@lru_cache(maxsize=1)
def rekognition_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("rekognition")


def output_errors(operation: str, response: dict[str, Any]) -> list[str]:
    """Every mismatch between ``response`` and the operation's output shape."""
    shape = rekognition_model().operation_model(operation).output_shape
    errors: list[str] = []
    if shape is not None:
        _check(shape, response, operation, errors)
    return errors


def assert_valid_output(operation: str, response: dict[str, Any]) -> None:
    errors = output_errors(operation, response)
    assert not errors, f"{operation} response does not match botocore's shape:\n" + "\n".join(
        errors
    )


def _check(shape: Shape, value: Any, path: str, errors: list[str]) -> None:
    kind = shape.type_name
    if value is None:
        errors.append(f"{path}: null is never sent; omit the member")
        return
    if kind == "structure":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected an object, got {type(value).__name__}")
            return
        members = shape.members  # type: ignore[attr-defined]
        for name in value:
            if name not in members:
                errors.append(f"{path}.{name}: not a member of {shape.name}")
        for name in shape.required_members:  # type: ignore[attr-defined]
            if name not in value:
                errors.append(f"{path}.{name}: required member missing")
        for name, member in members.items():
            if name in value:
                _check(member, value[name], f"{path}.{name}", errors)
    elif kind == "list":
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}[{i}]", errors)  # type: ignore[attr-defined]
    elif kind == "map":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        for k, v in value.items():
            _check(shape.value, v, f"{path}[{k!r}]", errors)  # type: ignore[attr-defined]
    elif kind == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {type(value).__name__}")
        elif shape.enum and value not in shape.enum:
            errors.append(f"{path}: {value!r} is not one of {shape.enum}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{path}: expected an integer, got {type(value).__name__}")
        else:
            _check_range(shape, value, path, errors)
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{path}: expected a number, got {type(value).__name__}")
        else:
            _check_range(shape, value, path, errors)
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected a boolean, got {type(value).__name__}")
    elif kind == "timestamp":
        if not isinstance(value, (int, float, dt.datetime)) or isinstance(value, bool):
            errors.append(f"{path}: expected epoch seconds, got {type(value).__name__}")
    elif kind == "blob" and not isinstance(value, (bytes, str)):
        errors.append(f"{path}: expected bytes or base64, got {type(value).__name__}")


def _check_range(shape: Shape, value: float, path: str, errors: list[str]) -> None:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    if low is not None and value < low:
        errors.append(f"{path}: {value} is below the minimum {low}")
    if high is not None and value > high:
        errors.append(f"{path}: {value} is above the maximum {high}")
