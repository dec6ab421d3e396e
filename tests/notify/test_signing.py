"""HMAC signatures: what verifies, what does not, and which key signs."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import stat
import threading
from pathlib import Path

import pytest

from sightline.auth import keyfile
from sightline.config import Settings
from sightline.notify.signing import (
    KEY_FILE,
    SigningKeys,
    compute_signature,
    signature_headers,
    verify_signature,
)

NOW = 1_700_000_000.0
BODY = b'{"Type":"Notification","Message":"{\\"JobId\\":\\"j\\"}"}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    headers = signature_headers("k", BODY, now=NOW + 0.9)
    assert headers["X-Sightline-Timestamp"] == "1700000000"
    expected = hmac.new(b"k", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert headers["X-Sightline-Signature"] == f"sha256={expected}"


def test_verify_accepts_the_genuine_request() -> None:
    sig = compute_signature("k", 1_700_000_000, BODY)
    assert verify_signature("k", "1700000000", BODY, sig, now=NOW)
    # str or bytes for key and body, int or str timestamp
    assert verify_signature(b"k", 1_700_000_000, BODY.decode(), sig, now=NOW)
    # within the tolerance either way
    assert verify_signature("k", "1700000000", BODY, sig, now=NOW + 300)
    assert verify_signature("k", "1700000000", BODY, sig, now=NOW - 300)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "now"),
    [
        ("k", "1700000000", BODY.replace(b"j", b"x"), NOW),  # tampered body
        ("k", "1700000000", BODY + b" ", NOW),  # one byte more
        ("other", "1700000000", BODY, NOW),  # wrong key
        ("k", "1700000001", BODY, NOW),  # timestamp changed after signing
        ("k", "1700000000", BODY, NOW + 301),  # replayed too late
        ("k", "1700000000", BODY, NOW - 301),  # from the future
        ("k", "not-a-number", BODY, NOW),  # garbage timestamp
    ],
)
def test_verify_refuses(secret: str, timestamp: str, body: bytes, now: float) -> None:
    sig = compute_signature("k", 1_700_000_000, BODY)
    assert not verify_signature(secret, timestamp, body, sig, now=now)


def test_verify_refuses_malformed_signatures() -> None:
    good = compute_signature("k", 1_700_000_000, BODY)
    for sig in ("", good.removeprefix("sha256="), good[:-1], "sha1=" + good[7:], "sha256=ü"):
        assert not verify_signature("k", "1700000000", BODY, sig, now=NOW)


def test_key_of_the_topic_then_notify_secret(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        notify={"secret": "global", "topics": {"Jobs": {"webhook": "http://h/", "secret": "per"}}},
    )
    keys = SigningKeys(settings)
    assert keys.for_topic("Jobs") == b"per"
    assert keys.for_topic("arn:aws:sns:us-east-1:123456789012:Jobs") == b"per"
    assert keys.for_topic("https://elsewhere.example/") == b"global"
    assert not (tmp_path / KEY_FILE).exists()


def test_generated_key_file_is_private_stable_and_announced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with caplog.at_level(logging.WARNING):
        key = SigningKeys(settings).default()
    path = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_bytes().strip() == key and len(key) >= 32
    assert "Generated the webhook signing key" in caplog.text and str(path) in caplog.text
    # reused by every later load, and no temporary files left beside it
    assert SigningKeys(settings).for_topic("Anything") == key
    assert sorted(p.name for p in path.parent.iterdir()) == [KEY_FILE]


def test_racing_processes_share_one_complete_key(tmp_path: Path) -> None:
    path = tmp_path / "k" / "notify.key"
    keys: list[bytes] = []
    lock = threading.Lock()

    def load(i: int) -> None:
        key = keyfile.load_or_create(path, lambda: f"key-{i}".encode() * 8, created="%s")
        with lock:
            keys.append(key)

    threads = [threading.Thread(target=load, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and keys[0] == path.read_bytes().strip()


def test_a_key_file_readable_by_others_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / KEY_FILE
    path.write_text("shared-key\n")
    path.chmod(0o644)
    settings = Settings(data_dir=tmp_path, notify={"secret": None})
    with caplog.at_level(logging.WARNING):
        assert SigningKeys(settings).default() == b"shared-key"
    assert "accessible to other users" in caplog.text
