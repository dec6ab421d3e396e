from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Engine, select

from sightline.auth.keys import AccessKeyStore
from sightline.auth.ratelimit import RateLimiter
from sightline.auth.secrets import KEY_FILE, SecretCipher, load_cipher
from sightline.auth.tokens import TokenStore
from sightline.config import Settings
from sightline.db.engine import make_engine, session_factory
from sightline.db.migrate import upgrade
from sightline.db.models.auth import AccessKey, ApiToken
from sightline.errors import InternalError, InvalidParameterError, ResourceNotFoundError


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def keys(engine: Engine, settings: Settings) -> AccessKeyStore:
    return AccessKeyStore(engine, load_cipher(settings))


def test_secret_is_stored_encrypted_and_recovered(keys: AccessKeyStore, engine: Engine) -> None:
    new = keys.create(name="ci", operations=["DetectFaces", "Search*"], rate_per_second=5)
    assert new.info.access_key_id.startswith("SLAK") and len(new.info.access_key_id) == 20
    assert len(new.secret_access_key) == 40
    with session_factory(engine)() as session:
        row = session.scalars(select(AccessKey)).one()
    assert new.secret_access_key not in row.secret_ciphertext
    found = keys.lookup(new.info.access_key_id)
    assert found is not None and found.secret == new.secret_access_key
    assert found.info.operations == ("DetectFaces", "Search*")
    assert found.info.rate_per_second == 5


def test_operations_allow_names_and_patterns(keys: AccessKeyStore) -> None:
    info = keys.create(operations=["DetectFaces", "Search*"]).info
    assert info.allows("DetectFaces") and info.allows("SearchUsersByImage")
    assert not info.allows("DetectLabels")
    assert keys.create().info.allows("DeleteCollection")  # no list: everything


def test_unknown_operation_patterns_are_refused(keys: AccessKeyStore) -> None:
    with pytest.raises(InvalidParameterError, match="'DetectUnicorns'"):
        keys.create(operations=["DetectFaces", "DetectUnicorns"])


def test_revoked_keys_are_not_found_and_not_listed(keys: AccessKeyStore) -> None:
    kept, gone = keys.create(name="kept"), keys.create(name="gone")
    keys.revoke(gone.info.access_key_id)
    assert keys.lookup(gone.info.access_key_id) is None
    assert [k.name for k in keys.list()] == ["kept"]
    assert {k.name for k in keys.list(include_revoked=True)} == {"kept", "gone"}
    assert keys.lookup(kept.info.access_key_id) is not None
    with pytest.raises(ResourceNotFoundError):
        keys.revoke("SLAKNOSUCHKEY")


def test_generated_key_file_is_private_and_reused(settings: Settings) -> None:
    first = load_cipher(settings)
    path = settings.data_dir / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_cipher(settings).decrypt(first.encrypt("s")) == "s"


def test_configured_key_is_used_and_a_changed_key_is_reported(settings: Settings) -> None:
    key = SecretStr(Fernet.generate_key().decode())
    configured = settings.model_copy(
        update={"api": settings.api.model_copy(update={"encryption_key": key})}
    )
    cipher = load_cipher(configured)
    assert not (settings.data_dir / KEY_FILE).exists()
    token = cipher.encrypt("secret")
    with pytest.raises(InternalError, match="key changed"):
        SecretCipher(Fernet.generate_key(), "other").decrypt(token)
    with pytest.raises(InvalidParameterError, match="not a Fernet key"):
        SecretCipher(b"short", "settings")


def test_tokens_are_stored_hashed_and_checked(engine: Engine) -> None:
    tokens = TokenStore(engine)
    new = tokens.create("ci")
    assert new.token.startswith("slt_")
    with session_factory(engine)() as session:
        row = session.scalars(select(ApiToken)).one()
    assert new.token.split("_", 2)[2] not in row.secret_sha256
    assert tokens.check(new.token) == new.info
    assert tokens.check(new.token[:-1] + ("A" if new.token[-1] != "A" else "B")) is None
    assert tokens.check("Bearer nonsense") is None
    tokens.revoke(new.token)  # the whole token names its id too
    assert tokens.check(new.token) is None
    assert tokens.list() == [] and len(tokens.list(include_revoked=True)) == 1


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert [limiter.acquire("k", rate=2, burst=3) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("k", rate=2, burst=3) == pytest.approx(0.5)
    assert limiter.acquire("other", rate=2, burst=3) == 0.0  # separate bucket
    now[0] = 0.5
    assert limiter.acquire("k", rate=2, burst=3) == 0.0
    assert limiter.acquire("k", rate=0, burst=1) == 0.0  # 0: unlimited
