"""Reading Rekognition request members, with errors that name the member at fault.

Operations take their request as a mapping of Rekognition member names (what boto3
sends, with ``Image.Bytes`` already base64-decoded). The wire layer validates against
botocore's model first; these checks hold for Python callers too, and carry the
constraints the model cannot express (ranges of thresholds, a FaceId's format).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Collection, Mapping
from typing import Any

from sightline.errors import InvalidPaginationTokenError, InvalidParameterError

# Patterns and lengths from botocore's Rekognition model.
COLLECTION_ID = (re.compile(r"[a-zA-Z0-9_.\-]+"), 1, 255)
USER_ID = (re.compile(r"[a-zA-Z0-9_.\-:]+"), 1, 128)
EXTERNAL_IMAGE_ID = (re.compile(r"[a-zA-Z0-9_.\-:]+"), 1, 255)
FACE_ID = (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), 36, 36)
CLIENT_TOKEN = (re.compile(r"[a-zA-Z0-9\-_]+"), 1, 64)
QUALITY_FILTERS = ("NONE", "AUTO", "LOW", "MEDIUM", "HIGH")

Pattern = tuple[re.Pattern[str], int, int]


class Members:
    """Typed access to one request's members; unknown member names are refused."""

    def __init__(self, operation: str, request: Mapping[str, Any], allowed: Collection[str]):
        self.operation = operation
        self.request = request
        unknown = sorted(set(request) - set(allowed))
        if unknown:
            raise InvalidParameterError(
                f"{operation} has no member {unknown[0]!r}; "
                f"its members are {', '.join(sorted(allowed))}."
            )

    def has(self, name: str) -> bool:
        return self.request.get(name) is not None

    def raw(self, name: str) -> Any:
        return self.request.get(name)

    def string(self, name: str, pattern: Pattern, *, required: bool = False) -> str | None:
        value = self.request.get(name)
        if value is None:
            if required:
                raise InvalidParameterError(f"{self.operation}: {name} is required.")
            return None
        return check_string(name, value, pattern)

    def required_string(self, name: str, pattern: Pattern) -> str:
        value = self.string(name, pattern, required=True)
        assert value is not None
        return value

    def string_list(
        self, name: str, pattern: Pattern, *, min_items: int = 1, max_items: int
    ) -> list[str]:
        value = self.request.get(name)
        if value is None:
            raise InvalidParameterError(f"{self.operation}: {name} is required.")
        if not isinstance(value, (list, tuple)):
            raise InvalidParameterError(f"{name} must be a list of strings.")
        if not min_items <= len(value) <= max_items:
            raise InvalidParameterError(
                f"{name} holds {len(value)} items; between {min_items} and {max_items} allowed."
            )
        return [check_string(f"{name}[{i}]", v, pattern) for i, v in enumerate(value)]

    def integer(self, name: str, *, default: int, low: int, high: int | None = None) -> int:
        value = self.request.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidParameterError(f"{name} must be an integer, not {value!r}.")
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise InvalidParameterError(f"{name} is {value}; it must be {bound}.")
        return value

    def percent(self, name: str, *, default: float) -> float:
        value = self.request.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidParameterError(f"{name} must be a number, not {value!r}.")
        if not (math.isfinite(value) and 0.0 <= value <= 100.0):
            raise InvalidParameterError(f"{name} is {value}; it must be between 0 and 100.")
        return float(value)

    def choice(self, name: str, choices: Collection[str], *, default: str) -> str:
        value = self.request.get(name)
        if value is None:
            return default
        if value not in choices:
            raise InvalidParameterError(f"{name} is {value!r}; choose from {', '.join(choices)}.")
        return str(value)

    def boolean(self, name: str, *, default: bool) -> bool:
        value = self.request.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise InvalidParameterError(f"{name} must be true or false, not {value!r}.")
        return value


def check_string(name: str, value: Any, pattern: Pattern) -> str:
    regex, low, high = pattern
    if not isinstance(value, str):
        raise InvalidParameterError(f"{name} must be a string, not {type(value).__name__}.")
    if not low <= len(value) <= high:
        raise InvalidParameterError(
            f"{name} is {len(value)} characters long; between {low} and {high} allowed."
        )
    if not regex.fullmatch(value):
        raise InvalidParameterError(f"{name} {value!r} does not match {regex.pattern}.")
    return value


# --- pagination tokens -------------------------------------------------------------


def encode_token(kind: str, scope: int, after: str | int) -> str:
    """An opaque NextToken: which listing, which collection, the last key returned."""
    raw = json.dumps([kind, scope, after], separators=(",", ":")).encode()
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    if len(token) > 255:  # Rekognition's PaginationToken limit
        raise InvalidParameterError("The listing key is too long to page through.")
    return token


def decode_token(token: Any, kind: str, scope: int) -> str | int:
    """The ``after`` key of a token from :func:`encode_token` for this listing."""
    try:
        if not isinstance(token, str) or len(token) > 255:
            raise ValueError("not a token string")
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        got_kind, got_scope, after = json.loads(raw)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidPaginationTokenError(f"NextToken {str(token)[:40]!r} is not valid.") from exc
    if got_kind != kind or got_scope != scope or not isinstance(after, (str, int)):
        raise InvalidPaginationTokenError(
            "NextToken belongs to another listing; pass it back to the call that returned it."
        )
    return after
