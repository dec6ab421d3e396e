"""Login sessions: only the token's hash is stored; expiry; logout."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select, update

from sightline.accounts.sessions import SessionStore, token_hash
from sightline.accounts.users import UserStore
from sightline.db.models.accounts import WebSession


def test_a_session_is_found_by_its_token_and_stores_only_a_hash(engine: Engine) -> None:
    user = UserStore(engine).create("alice", "correct horse battery")
    sessions = SessionStore(engine, dt.timedelta(hours=2))
    new = sessions.create(user)
    assert len(new.token) >= 40 and new.info.csrf_token != new.token

    found = sessions.lookup(new.token)
    assert found is not None
    assert (found.user.username, found.csrf_token) == ("alice", new.info.csrf_token)
    with engine.connect() as conn:
        stored = conn.execute(select(WebSession.token_sha256)).scalars().all()
    assert stored == [token_hash(new.token)] and new.token not in stored[0]

    assert sessions.lookup(new.token + "x") is None
    assert sessions.lookup("") is None
    assert sessions.lookup("y" * 500) is None  # not one of ours: not even hashed


def test_sessions_expire_and_end(engine: Engine) -> None:
    user = UserStore(engine).create("bob", "correct horse battery")
    sessions = SessionStore(engine, dt.timedelta(hours=2))
    first, second = sessions.create(user), sessions.create(user)
    with engine.begin() as conn:
        conn.execute(
            update(WebSession)
            .where(WebSession.token_sha256 == token_hash(first.token))
            .values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1))
        )
    assert sessions.lookup(first.token) is None
    assert sessions.lookup(second.token) is not None

    sessions.create(user)  # starting a session drops expired ones
    with engine.connect() as conn:
        assert conn.execute(select(WebSession)).all().__len__() == 2

    sessions.end(second.token)
    assert sessions.lookup(second.token) is None
    assert sessions.end_all(user.id) == 1
