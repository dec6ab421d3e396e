"""Users: names, roles, argon2id hashes, sign-in checks, disabling, password changes."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, select

from sightline.accounts.sessions import SessionStore
from sightline.accounts.users import ADMIN, MEMBER, UserStore, normalize_username
from sightline.db.models.accounts import User
from sightline.errors import (
    ConflictError,
    InvalidParameterError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)

PASSWORD = "correct horse battery"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("alice", "alice"),
        (" Alice ", "alice"),  # case and surrounding blanks do not matter
        ("a.b_c-1", "a.b_c-1"),
        ("9lives", "9lives"),
    ],
)
def test_user_names_are_normalised(given: str, expected: str) -> None:
    assert normalize_username(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",  # empty
        "-alice",  # must start with a letter or digit
        "al ice",  # no blanks inside
        "alice/../bob",  # no slashes
        "x" * 65,  # too long
        "élodie",  # ASCII only
    ],
)
def test_bad_user_names_are_refused(bad: str) -> None:
    with pytest.raises(InvalidParameterError):
        normalize_username(bad)


def test_create_stores_an_argon2id_hash_and_checks_sign_ins(engine: Engine) -> None:
    users = UserStore(engine)
    alice = users.create("Alice", PASSWORD)
    assert (alice.username, alice.role, alice.active) == ("alice", MEMBER, True)
    with engine.connect() as conn:
        stored = conn.execute(select(User.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored

    assert users.authenticate("ALICE", PASSWORD) == alice
    assert users.authenticate("alice", PASSWORD + "!") is None
    assert users.authenticate("nobody", PASSWORD) is None


def test_names_are_unique_whatever_their_case(engine: Engine) -> None:
    users = UserStore(engine)
    users.create("bob", PASSWORD)
    with pytest.raises(ResourceAlreadyExistsError):
        users.create("BOB", PASSWORD)


@pytest.mark.parametrize(
    ("password", "role"),
    [
        ("short", MEMBER),  # under 8 characters
        ("x" * 1025, MEMBER),  # over 1024 characters
        (PASSWORD, "root"),  # no such role
    ],
)
def test_bad_passwords_and_roles_are_refused(engine: Engine, password: str, role: str) -> None:
    with pytest.raises(InvalidParameterError):
        UserStore(engine).create("carol", password, role)


def test_the_first_admin_can_be_created_once(engine: Engine) -> None:
    users = UserStore(engine)
    assert not users.any_users()
    admin = users.create_first_admin("root", PASSWORD)
    assert admin.is_admin and admin.role == ADMIN and users.any_users()
    with pytest.raises(ConflictError):
        users.create_first_admin("second", PASSWORD)
    assert [u.username for u in users.list()] == ["root"]


def test_racing_first_visitors_make_one_admin(engine: Engine) -> None:
    users = UserStore(engine)
    outcomes: list[str] = []

    def visit(name: str) -> None:
        try:
            users.create_first_admin(name, PASSWORD)
            outcomes.append("created")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=visit, args=(f"admin{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "conflict", "created"]
    assert len(users.list()) == 1


def test_disabling_ends_sessions_and_refuses_sign_in(engine: Engine) -> None:
    users = UserStore(engine)
    sessions = SessionStore(engine, dt.timedelta(hours=1))
    dave = users.create("dave", PASSWORD)
    token = sessions.create(dave).token
    assert sessions.lookup(token) is not None

    disabled = users.set_disabled("dave", True)
    assert not disabled.active
    assert sessions.lookup(token) is None
    assert users.authenticate("dave", PASSWORD) is None

    users.set_disabled("dave", False)
    assert users.authenticate("dave", PASSWORD) is not None


def test_a_new_password_ends_sessions(engine: Engine) -> None:
    users = UserStore(engine)
    sessions = SessionStore(engine, dt.timedelta(hours=1))
    erin = users.create("erin", PASSWORD)
    token = sessions.create(erin).token
    users.set_password("erin", "another long password")
    assert sessions.lookup(token) is None
    assert users.authenticate("erin", PASSWORD) is None
    assert users.authenticate("erin", "another long password") is not None


def test_unknown_users_are_not_found(engine: Engine) -> None:
    users = UserStore(engine)
    with pytest.raises(ResourceNotFoundError):
        users.set_disabled("ghost", True)
    with pytest.raises(ResourceNotFoundError):
        users.set_password("ghost", PASSWORD)
    assert users.find("ghost") is None
