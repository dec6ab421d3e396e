"""Who is asking: the identity every permission check in the web app receives.

A request is made by a signed-in user (a browser session) or by the operator: a REST
API token from ``sightline tokens create``, or anyone when ``api.auth`` is off. Tokens
belong to no user, so the operator has an admin's rights; anything that needs a user
(an album's owner) must then be named explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

from sightline.accounts.users import UserInfo


@dataclass(frozen=True)
class Actor:
    user: UserInfo | None  # None: the operator (API token, or authentication off)
    via: str  # "session", "token" or "open"
    token_id: str | None = None  # the API token's id, when via == "token"

    @property
    def is_admin(self) -> bool:
        return self.user is None or self.user.is_admin

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    @property
    def name(self) -> str:
        """For messages and logs: the user name, or how the operator came in."""
        if self.user is not None:
            return self.user.username
        return f"token {self.token_id}" if self.token_id else "the operator"
