"""AWS Signature Version 4, verified on the server side.

The client (boto3 or any AWS SDK) signs a canonical form of the request with a key
derived from its secret; we rebuild the same canonical request from what arrived and
compare signatures in constant time. Only the ``Authorization`` header form is
accepted (what SDKs send for JSON protocols); presigned URLs are not.

Canonical request, as botocore builds it::

    METHOD \\n canonical path \\n canonical query \\n
    name:value\\n for each signed header (sorted, lower-case, whitespace collapsed) \\n
    signed;header;names \\n hex(sha256(body))

The string to sign is ``AWS4-HMAC-SHA256 \\n X-Amz-Date \\n scope \\n hex(sha256(canonical
request))`` with scope ``yyyymmdd/region/service/aws4_request``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import quote

from sightline.errors import (
    IncompleteSignatureError,
    InvalidSignatureError,
    MissingAuthenticationError,
)

ALGORITHM = "AWS4-HMAC-SHA256"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


@dataclass(frozen=True)
class SignedRequest:
    """What verification needs from an HTTP request, exactly as it arrived.

    ``raw_path`` and ``query`` are percent-encoded as sent; ``headers`` keeps every
    header line in order (names in any case); ``body_sha256`` is the hex SHA-256 of the
    body as received.
    """

    method: str
    raw_path: str
    query: str
    headers: Sequence[tuple[str, str]]
    body_sha256: str

    def header_values(self, name: str) -> list[str]:
        lower = name.lower()
        return [v for k, v in self.headers if k.lower() == lower]

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[0] if values else None


@dataclass(frozen=True)
class Authorization:
    """A parsed ``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., ...``."""

    access_key_id: str
    scope_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.scope_date}/{self.region}/{self.service}/aws4_request"


def parse_authorization(request: SignedRequest) -> Authorization:
    """The request's SigV4 ``Authorization`` header, parsed.

    Raises:
        MissingAuthenticationError: there is no Authorization header at all.
        IncompleteSignatureError: the header is not a complete SigV4 header.
    """
    header = request.header("authorization")
    if header is None or not header.strip():
        raise MissingAuthenticationError(
            "Missing Authentication Token: the request has no Authorization header. Sign "
            "requests with AWS Signature Version 4 using a Sightline access key "
            "(`sightline keys create`)."
        )
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureError(
            f"Unsupported Authorization type {algorithm!r}; only {ALGORITHM} (Signature "
            "Version 4) is accepted."
        )
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not fields.get(k)]
    if missing:
        raise IncompleteSignatureError(
            f"The Authorization header lacks {', '.join(missing)}; a SigV4 header reads "
            f"'{ALGORITHM} Credential=KEY/DATE/REGION/SERVICE/aws4_request, "
            "SignedHeaders=..., Signature=...'."
        )
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise IncompleteSignatureError(
            f"Credential {fields['Credential']!r} is malformed; expected "
            "'ACCESS_KEY_ID/yyyymmdd/region/service/aws4_request'."
        )
    signed = tuple(fields["SignedHeaders"].lower().split(";"))
    return Authorization(
        access_key_id=scope[0],
        scope_date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=signed,
        signature=fields["Signature"].lower(),
    )


def verify(
    request: SignedRequest,
    auth: Authorization,
    secret: str,
    *,
    now: dt.datetime,
    max_skew: dt.timedelta,
    service: str,
) -> None:
    """Check ``request``'s signature against ``secret``; return if it holds.

    ``now`` is an aware datetime; a request dated more than ``max_skew`` from it is
    refused as AWS refuses it (15 minutes either way by default).

    Raises:
        IncompleteSignatureError: ``host`` or the date is not among the signed headers.
        InvalidSignatureError: wrong service, stale or future date, body hash mismatch,
            or a signature that the secret does not reproduce.
    """
    if auth.service != service:
        raise InvalidSignatureError(
            f"Credential should be scoped to the service {service!r}, not {auth.service!r}."
        )
    if "host" not in auth.signed_headers:
        raise IncompleteSignatureError("'Host' must be a SignedHeader in the Authorization.")
    amz_date = _request_date(request, auth)
    if amz_date.strftime("%Y%m%d") != auth.scope_date:
        raise InvalidSignatureError(
            f"Date in Credential scope ({auth.scope_date}) does not match the request date "
            f"({amz_date.strftime(AMZ_DATE_FORMAT)})."
        )
    _check_skew(amz_date, now, max_skew)
    _check_payload_hash(request)

    canonical = canonical_request(request, auth.signed_headers)
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            amz_date.strftime(AMZ_DATE_FORMAT),
            auth.scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = signing_key(secret, auth.scope_date, auth.region, auth.service)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, auth.signature):
        raise InvalidSignatureError(
            "The request signature we calculated does not match the signature you provided. "
            "Check your Secret Access Key and signing method."
        )


def canonical_request(request: SignedRequest, signed_headers: Sequence[str]) -> str:
    """The canonical request string, built as botocore builds it when signing."""
    lines = [request.method.upper(), _canonical_path(request.raw_path), _canonical_query(request)]
    for name in sorted(set(signed_headers)):
        values = request.header_values(name)
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}")
    lines.append("")
    lines.append(";".join(signed_headers))
    lines.append(request.body_sha256)
    return "\n".join(lines)


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _request_date(request: SignedRequest, auth: Authorization) -> dt.datetime:
    amz = request.header("x-amz-date")
    if amz is not None:
        if "x-amz-date" not in auth.signed_headers:
            raise IncompleteSignatureError("'X-Amz-Date' must be a SignedHeader when present.")
        try:
            return dt.datetime.strptime(amz.strip(), AMZ_DATE_FORMAT).replace(
                tzinfo=dt.timezone.utc
            )
        except ValueError:
            raise IncompleteSignatureError(
                f"X-Amz-Date {amz!r} is not an ISO 8601 basic date like 20240131T235959Z."
            ) from None
    http_date = request.header("date")
    if http_date is None:
        raise IncompleteSignatureError("The request has neither an X-Amz-Date nor a Date header.")
    if "date" not in auth.signed_headers:
        raise IncompleteSignatureError("'Date' must be a SignedHeader when X-Amz-Date is absent.")
    try:
        parsed = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        raise IncompleteSignatureError(f"Date header {http_date!r} is not an HTTP date.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def _check_skew(amz_date: dt.datetime, now: dt.datetime, max_skew: dt.timedelta) -> None:
    shown = amz_date.strftime(AMZ_DATE_FORMAT)
    minutes = f"{max_skew.total_seconds() / 60:g} min."
    if amz_date < now - max_skew:
        raise InvalidSignatureError(
            f"Signature expired: {shown} is now earlier than "
            f"{(now - max_skew).strftime(AMZ_DATE_FORMAT)} "
            f"({now.strftime(AMZ_DATE_FORMAT)} - {minutes}). Check the client's clock."
        )
    if amz_date > now + max_skew:
        raise InvalidSignatureError(
            f"Signature not yet current: {shown} is still later than "
            f"{(now + max_skew).strftime(AMZ_DATE_FORMAT)} "
            f"({now.strftime(AMZ_DATE_FORMAT)} + {minutes}). Check the client's clock."
        )


def _check_payload_hash(request: SignedRequest) -> None:
    # JSON services always sign the body's hash; a declared hash that is not the body's
    # (including UNSIGNED-PAYLOAD, an S3-only convenience) would let the body change.
    declared = request.header("x-amz-content-sha256")
    if declared is None:
        return
    declared = declared.strip().lower()
    if declared == UNSIGNED_PAYLOAD.lower():
        raise InvalidSignatureError(
            "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD is not accepted; the body must be signed."
        )
    if not hmac.compare_digest(declared, request.body_sha256):
        raise InvalidSignatureError(
            "X-Amz-Content-Sha256 does not match the SHA-256 of the request body."
        )


def _canonical_path(raw_path: str) -> str:
    # As botocore signs: dot segments and repeated slashes removed (RFC 3986 5.2.4), then
    # the already-encoded path quoted once more.
    if not raw_path:
        return "/"
    segments: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    path = ("/" if raw_path.startswith("/") else "") + "/".join(segments)
    if raw_path.endswith("/") and segments:
        path += "/"
    return quote(path, safe="/~")


def _canonical_query(request: SignedRequest) -> str:
    if not request.query:
        return ""
    pairs = []
    for pair in request.query.split("&"):
        key, _, value = pair.partition("=")
        pairs.append((key, value))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))
