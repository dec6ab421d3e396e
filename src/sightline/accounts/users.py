"""Users of the web app: create, list, disable, change passwords, check a sign-in.

User names are lower case letters, digits, ``.``, ``_`` and ``-`` (1-64, starting with
a letter or digit), compared without regard to case: ``Alice`` signs in as ``alice``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sightline.accounts import passwords
from sightline.db.base import utcnow
from sightline.db.engine import session_factory
from sightline.db.models.accounts import User, WebSession
from sightline.errors import (
    ConflictError,
    InvalidParameterError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)

ADMIN = "admin"
MEMBER = "member"
ROLES = (ADMIN, MEMBER)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}\Z")


@dataclass(frozen=True)
class UserInfo:
    """A user as the app sees one: everything but the password hash."""

    id: int
    username: str
    role: str
    created_at: dt.datetime
    disabled_at: dt.datetime | None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def normalize_username(name: str) -> str:
    """``name`` stripped and lower-cased, if it is a valid user name.

    Raises:
        InvalidParameterError: naming the allowed characters.
    """
    cleaned = name.strip().lower()
    if not _USERNAME.match(cleaned):
        raise InvalidParameterError(
            "A user name has 1-64 characters: letters, digits, '.', '_' or '-', starting "
            "with a letter or digit."
        )
    return cleaned


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidParameterError(f"The role must be one of {', '.join(ROLES)}, not {role!r}.")
    return role


class UserStore:
    """Users in the database, their passwords hashed with argon2id."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    def create(self, username: str, password: str, role: str = MEMBER) -> UserInfo:
        """A new user.

        Raises:
            InvalidParameterError: a bad name, role or password.
            ResourceAlreadyExistsError: the name is taken.
        """
        row = self._new_row(username, password, role)
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError as exc:
            raise ResourceAlreadyExistsError(f"A user named {row.username!r} exists.") from exc
        return user_info(row)

    def create_first_admin(self, username: str, password: str) -> UserInfo:
        """The first user, an admin: only while no user exists (the first-run page).

        Raises:
            ConflictError: some user already exists (someone finished the setup first).
        """
        row = self._new_row(username, password, ADMIN)
        with self._sessions.begin() as session:
            # Two racing first visitors are put in order by SQLite's write lock or a
            # PostgreSQL table lock; the count then tells the second that setup is done.
            conn = session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            if conn.dialect.name == "postgresql":
                session.execute(text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))
            if session.scalar(select(func.count()).select_from(User)):
                raise ConflictError("The admin account exists already: sign in instead.")
            session.add(row)
        return user_info(row)

    def _new_row(self, username: str, password: str, role: str) -> User:
        return User(
            username=normalize_username(username),
            password_hash=passwords.hash_password(passwords.check_password(password)),
            role=_check_role(role),
            created_at=utcnow(),
        )

    def any_users(self) -> bool:
        with self._sessions() as session:
            return session.scalar(select(User.id).limit(1)) is not None

    def get(self, user_id: int) -> UserInfo | None:
        with self._sessions() as session:
            row = session.get(User, user_id)
            return user_info(row) if row is not None else None

    def find(self, username: str) -> UserInfo | None:
        """The user named ``username`` (any case), or None."""
        with self._sessions() as session:
            row = session.scalar(select(User).where(User.username == username.strip().lower()))
            return user_info(row) if row is not None else None

    def require(self, username: str) -> UserInfo:
        """Raises ResourceNotFoundError when no user has that name."""
        found = self.find(username)
        if found is None:
            raise ResourceNotFoundError(f"No user named {username.strip().lower()!r}.")
        return found

    def list(self) -> list[UserInfo]:
        """Every user, by name."""
        with self._sessions() as session:
            return [user_info(r) for r in session.scalars(select(User).order_by(User.username))]

    def set_disabled(self, username: str, disabled: bool) -> UserInfo:
        """Disable (sign out everywhere, refuse sign-ins) or enable a user.

        Raises:
            ResourceNotFoundError: no such user.
        """
        with self._sessions.begin() as session:
            row = self._row(session, username)
            if disabled and row.disabled_at is None:
                row.disabled_at = utcnow()
                session.execute(delete(WebSession).where(WebSession.user_id == row.id))
            elif not disabled:
                row.disabled_at = None
            return user_info(row)

    def set_password(self, username: str, password: str) -> UserInfo:
        """Replace a user's password and end every session they have.

        Raises:
            ResourceNotFoundError, InvalidParameterError.
        """
        new_hash = passwords.hash_password(passwords.check_password(password))
        with self._sessions.begin() as session:
            row = self._row(session, username)
            row.password_hash = new_hash
            session.execute(delete(WebSession).where(WebSession.user_id == row.id))
            return user_info(row)

    def authenticate(self, username: str, password: str) -> UserInfo | None:
        """The active user ``username`` if ``password`` is theirs, else None.

        Takes as long for an unknown name as for a wrong password. A hash made with
        older cost parameters is replaced on success.
        """
        with self._sessions() as session:
            row = session.scalar(select(User).where(User.username == username.strip().lower()))
            stored = row.password_hash if row is not None else None
        if not passwords.verify_password(stored, password) or row is None:
            return None
        if row.disabled_at is not None:
            return None
        if passwords.needs_rehash(row.password_hash):
            with self._sessions.begin() as session:
                fresh = session.get(User, row.id)
                if fresh is not None:
                    fresh.password_hash = passwords.hash_password(password)
        return user_info(row)

    @staticmethod
    def _row(session: Session, username: str) -> User:
        row = session.scalar(select(User).where(User.username == username.strip().lower()))
        if row is None:
            raise ResourceNotFoundError(f"No user named {username.strip().lower()!r}.")
        return row


def user_info(row: User) -> UserInfo:
    return UserInfo(
        id=row.id,
        username=row.username,
        role=row.role,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )
