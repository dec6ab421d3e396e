from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sightline.auth.sigv4 import SignedRequest, parse_authorization, verify
from sightline.errors import (
    IncompleteSignatureError,
    InvalidSignatureError,
    MissingAuthenticationError,
)

KEY, SECRET = "SLAKEXAMPLE000000001", "s3cr3t/example+key"
NOW = dt.datetime.now(dt.timezone.utc)
SKEW = dt.timedelta(minutes=15)


def signed(
    body: bytes = b'{"CollectionId":"c"}',
    *,
    url: str = "http://127.0.0.1:8400/",
    token: str | None = None,
    when: dt.datetime | None = None,
    secret: str = SECRET,
    extra: dict[str, str] | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> SignedRequest:
    """A request signed by botocore itself, as boto3 sends it, seen by the server."""
    headers = {
        "X-Amz-Target": "RekognitionService.CreateCollection",
        "Content-Type": "application/x-amz-json-1.1",
        **(extra or {}),
    }
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    if when is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: when)
    SigV4Auth(Credentials(KEY, secret, token), "rekognition", "eu-west-1").add_auth(request)
    prepared = request.prepare()
    host = url.split("/")[2]
    lines = [("Host", host), *((k, str(v)) for k, v in prepared.headers.items())]
    path, _, query = url.split(host, 1)[1].partition("?")
    return SignedRequest(
        method="POST",
        raw_path=path,
        query=query,
        headers=lines,
        body_sha256=hashlib.sha256(body).hexdigest(),
    )


def check(request: SignedRequest, secret: str = SECRET) -> None:
    auth = parse_authorization(request)
    verify(request, auth, secret, now=NOW, max_skew=SKEW, service="rekognition")


def test_botocore_signature_verifies() -> None:
    request = signed()
    auth = parse_authorization(request)
    assert (auth.access_key_id, auth.region, auth.service) == (KEY, "eu-west-1", "rekognition")
    assert "x-amz-target" in auth.signed_headers
    check(request)


def test_session_token_is_a_signed_header() -> None:
    request = signed(token="temporary-token")
    assert "x-amz-security-token" in parse_authorization(request).signed_headers
    check(request)
    tampered = [
        (k, "other") if k.lower() == "x-amz-security-token" else (k, v) for k, v in request.headers
    ]
    with pytest.raises(InvalidSignatureError):
        check(SignedRequest("POST", "/", "", tampered, request.body_sha256))


def test_declared_content_hash_must_match_the_body() -> None:
    body = b"{}"
    good = signed(body, extra={"X-Amz-Content-Sha256": hashlib.sha256(body).hexdigest()})
    check(good)
    with pytest.raises(InvalidSignatureError, match="X-Amz-Content-Sha256"):
        check(signed(body, extra={"X-Amz-Content-Sha256": hashlib.sha256(b"x").hexdigest()}))
    with pytest.raises(InvalidSignatureError, match="UNSIGNED-PAYLOAD"):
        check(signed(body, extra={"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"}))


def test_paths_and_queries_are_canonicalised_like_botocore() -> None:
    check(signed(url="http://localhost:8400/api/./x%20y/../z/?b=2&a=1&a=0"))


def test_wrong_secret_is_an_invalid_signature() -> None:
    with pytest.raises(InvalidSignatureError, match="does not match"):
        check(signed(), secret="not-the-secret")


def test_changed_body_is_an_invalid_signature() -> None:
    request = signed(b'{"CollectionId":"c"}')
    forged = SignedRequest(
        "POST", "/", "", request.headers, hashlib.sha256(json.dumps({}).encode()).hexdigest()
    )
    with pytest.raises(InvalidSignatureError):
        check(forged)


@pytest.mark.parametrize(
    ("offset", "message"),
    [(-16, "Signature expired"), (16, "not yet current")],  # minutes from now
)
def test_dates_outside_the_skew_are_refused(
    monkeypatch: pytest.MonkeyPatch, offset: int, message: str
) -> None:
    request = signed(when=NOW + dt.timedelta(minutes=offset), monkeypatch=monkeypatch)
    with pytest.raises(InvalidSignatureError, match=message):
        check(request)


def test_dates_inside_the_skew_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    check(signed(when=NOW - dt.timedelta(minutes=14), monkeypatch=monkeypatch))


def test_other_service_scope_is_refused() -> None:
    request = signed()
    auth = parse_authorization(request)
    with pytest.raises(InvalidSignatureError, match="scoped to the service"):
        verify(request, auth, SECRET, now=NOW, max_skew=SKEW, service="s3")


def test_unsigned_request_is_missing_authentication() -> None:
    with pytest.raises(MissingAuthenticationError):
        parse_authorization(SignedRequest("POST", "/", "", [("Host", "h")], ""))


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwYXNz",  # another scheme
        "AWS4-HMAC-SHA256 Credential=K/20240101/us-east-1/rekognition/aws4_request",  # no sig
        "AWS4-HMAC-SHA256 Credential=K/20240101, SignedHeaders=host, Signature=ab",  # scope
    ],
)
def test_malformed_authorization_is_incomplete(header: str) -> None:
    request = SignedRequest("POST", "/", "", [("Host", "h"), ("Authorization", header)], "")
    with pytest.raises(IncompleteSignatureError):
        parse_authorization(request)


def test_host_must_be_signed() -> None:
    request = signed()
    headers = [
        (k, v.replace("host;", "")) if k.lower() == "authorization" else (k, v)
        for k, v in request.headers
    ]
    unsigned_host = SignedRequest("POST", "/", "", headers, request.body_sha256)
    with pytest.raises(IncompleteSignatureError, match="Host"):
        check(unsigned_host)
