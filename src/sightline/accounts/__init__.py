"""Web-app accounts: users with argon2id password hashes, login sessions, sign-in limits.

- :mod:`.users`: :class:`UserStore` (create, list, disable, change passwords, check a
  sign-in); roles ``admin`` and ``member``.
- :mod:`.sessions`: :class:`SessionStore`: a session is a random token held by the
  browser (only its SHA-256 is stored) with an expiry and the CSRF token bound to it.
- :mod:`.actor`: :class:`Actor`, who a request comes from (a user or the operator),
  what every permission check receives.
- :mod:`.throttle`: :class:`LoginThrottle`: repeated wrong passwords for one user from
  one address pause that pair's sign-ins.

HTTP concerns (cookies, the CSRF check, redirects) live in :mod:`sightline.api.web`.
"""

from sightline.accounts.actor import Actor
from sightline.accounts.sessions import SessionInfo, SessionStore
from sightline.accounts.throttle import LoginThrottle
from sightline.accounts.users import ADMIN, MEMBER, UserInfo, UserStore

__all__ = [
    "ADMIN",
    "MEMBER",
    "Actor",
    "LoginThrottle",
    "SessionInfo",
    "SessionStore",
    "UserInfo",
    "UserStore",
]
