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
from sightline.albums.search import LibrarySearch
from sightline.albums.service import AlbumService
from sightline.api.services import ApiServices
from sightline.config import WebSettings
from sightline.people.registry import PeopleRegistry
from sightline.people.scan import PhotoFaces


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
    people: PeopleRegistry
    photo_faces: PhotoFaces
    library: LibrarySearch
    nav: list[NavLink] = field(default_factory=list)

    @property
    def settings(self) -> WebSettings:
        return self.services.settings.web


def build_context(services: ApiServices) -> WebContext:
    web = services.settings.web
    users = UserStore(services.engine)
    albums = AlbumService(services.runtime, users, services.faces)
    people = PeopleRegistry(
        services.runtime, services.faces, max_side=services.analyzers.max_side(["faces"])
    )
    photo_faces = PhotoFaces(services.runtime, services.faces, people)
    return WebContext(
        services=services,
        users=users,
        sessions=SessionStore(services.engine, dt.timedelta(hours=web.session_hours)),
        throttle=LoginThrottle(web.login_max_failures, web.login_lockout_seconds),
        albums=albums,
        people=people,
        photo_faces=photo_faces,
        library=LibrarySearch(albums, photo_faces, scan_seconds=web.face_scan_seconds),
        nav=[
            NavLink("Albums", "/albums", "/albums"),
            NavLink("Search", "/search", "/search"),
            NavLink("People", "/people", "/people"),
            NavLink("Videos", "/videos", "/videos"),
            NavLink("Dashboard", "/dashboard", "/dashboard", admin_only=True),
        ],
    )
