"""HMAC-SHA256 signatures on webhook deliveries, and the keys they use.

Each POST carries two headers::

    X-Sightline-Timestamp: 1718000000                     (unix seconds, when sent)
    X-Sightline-Signature: sha256=<hex HMAC-SHA256(key, "<timestamp>.<body>")>

The timestamp is inside the signed text, so a captured request cannot be replayed
later than the receiver's tolerance; the body is signed byte for byte as sent.
Receivers check both with :func:`verify_signature`.

The key of a delivery is its topic's ``secret``, else ``notify.secret``, else a key
generated once into ``<data_dir>/notify.key`` (mode 0600) — the text in that file is
the key to give receivers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from sightline.auth import keyfile
from sightline.config import Settings
from sightline.notify.channels import find_topic

TIMESTAMP_HEADER = "X-Sightline-Timestamp"
SIGNATURE_HEADER = "X-Sightline-Signature"
KEY_FILE = "notify.key"
_PREFIX = "sha256="


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def compute_signature(secret: str | bytes, timestamp: int | str, body: str | bytes) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of ``f"{timestamp}.{body}"`` under ``secret``."""
    signed = f"{timestamp}.".encode() + _bytes(body)
    return _PREFIX + hmac.new(_bytes(secret), signed, hashlib.sha256).hexdigest()


def signature_headers(secret: str | bytes, body: bytes, *, now: float) -> dict[str, str]:
    """The timestamp and signature headers for sending ``body`` at ``now``."""
    timestamp = int(now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: compute_signature(secret, timestamp, body),
    }


def verify_signature(
    secret: str | bytes,
    timestamp: str | int,
    body: str | bytes,
    signature: str,
    *,
    tolerance: float = 300,
    now: float | None = None,
) -> bool:
    """Whether ``signature`` signs ``body`` at ``timestamp`` under ``secret``.

    Pass the raw request body (bytes as received, before any JSON parsing) and the two
    header values. A timestamp more than ``tolerance`` seconds from ``now`` (default:
    the current time) fails, so a recorded request cannot be replayed later. The
    comparison takes constant time.
    """
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance:
        return False
    expected = compute_signature(secret, sent, body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


class SigningKeys:
    """The signing key of each delivery, per ``settings`` (the key file read once)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._default: bytes | None = None

    def for_topic(self, sns_topic_arn: str) -> bytes:
        """The key of a delivery made for ``sns_topic_arn``."""
        topic = find_topic(self.settings.notify, sns_topic_arn)
        if topic is not None and topic.secret is not None:
            return topic.secret.get_secret_value().encode()
        return self.default()

    def default(self) -> bytes:
        """``notify.secret``, else the data folder's ``notify.key`` (created if missing)."""
        if self._default is None:
            configured = self.settings.notify.secret
            if configured is not None:
                self._default = configured.get_secret_value().encode()
            else:
                self._default = keyfile.load_or_create(
                    self.settings.data_dir / KEY_FILE,
                    lambda: secrets.token_urlsafe(32).encode(),
                    created="Generated the webhook signing key at %s (mode 0600). Give its "
                    "text to receivers to verify X-Sightline-Signature; set "
                    "SIGHTLINE_NOTIFY__SECRET to choose the key yourself.",
                )
        return self._default
