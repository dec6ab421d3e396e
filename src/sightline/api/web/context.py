"""What every web route needs, built once per app: stores, services, templates, nav.

Later parts of the web app (people, search, videos, dashboard) add their services
here and their links to :attr:`WebContext.nav`; pages read both through
:func:`sightline.api.web.render.render`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sightline.accounts.sessions import SessionStore
from sightline.accounts.throttle import LoginThrottle
from sightline.accounts.users import UserStore
from sightline.albums.service import AlbumService
from sightline.api.services import ApiServices
from sightline.config import WebSettings


@dataclass(frozen=True)
class NavLink:
    """A link in the header's navigation; ``prefix`` marks it current for its pages."""

    label: str
    href: str
    prefix: str
    admin_only: bool = False


@dataclass
class WebContext:
    services: ApiServices
    users: UserStore
    sessions: SessionStore
    throttle: LoginThrottle
    albums: AlbumService
    nav: list[NavLink] = field(default_factory=list)

    @property
    def settings(self) -> WebSettings:
        return self.services.settings.web


def build_context(services: ApiServices) -> WebContext:
    web = services.settings.web
    users = UserStore(services.engine)
    return WebContext(
        services=services,
        users=users,
        sessions=SessionStore(services.engine, dt.timedelta(hours=web.session_hours)),
        throttle=LoginThrottle(web.login_max_failures, web.login_lockout_seconds),
        albums=AlbumService(services.runtime, users, services.faces),
        nav=[NavLink("Albums", "/albums", "/albums")],
    )
