"""A real server with the web app, and browser-like httpx clients signed in to it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from sightline.accounts.users import MEMBER, UserInfo, UserStore
from sightline.api.app import create_app
from sightline.api.services import ApiServices, build_services
from sightline.config import Settings
from sightline.runtime import Runtime
from tests.api.live import serve

PASSWORD = "correct horse battery"
_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')
_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def form_token(html: str) -> str:
    found = _FIELD.search(html)
    assert found, "the page has no form with a CSRF field"
    return found.group(1)


class Browser:
    """An httpx client that keeps cookies, as a browser does, and knows its CSRF token."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, follow_redirects=False, timeout=60)
        self.csrf = ""

    def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        page = self.client.get("/login")
        response = self.client.post(
            "/login",
            data={"csrf_token": form_token(page.text), "username": username, "password": password},
        )
        if response.status_code == 303:
            self.refresh_token()
        return response

    def refresh_token(self) -> str:
        page = self.client.get("/albums")
        found = _META.search(page.text)
        assert found and found.group(1), page.text[:500]
        self.csrf = found.group(1)
        return self.csrf

    def post_form(self, path: str, data: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)

    def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A JSON API call as the gallery script makes it (session + CSRF header)."""
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    def close(self) -> None:
        self.client.close()


@dataclass
class Site:
    url: str
    services: ApiServices
    browsers: list[Browser] = field(default_factory=list)

    @property
    def runtime(self) -> Runtime:
        return self.services.runtime

    def user(self, name: str, role: str = MEMBER) -> UserInfo:
        return UserStore(self.services.engine).create(name, PASSWORD, role)

    def browser(self, username: str | None = None) -> Browser:
        b = Browser(self.url)
        self.browsers.append(b)
        if username is not None:
            assert b.sign_in(username).status_code == 303
        return b

    def token(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.services.tokens.create('web-tests').token}"}


@contextmanager
def running_site(settings: Settings, runtime: Runtime | None = None) -> Iterator[Site]:
    services = build_services(settings, runtime=runtime)
    site: Site | None = None
    try:
        with serve(create_app(settings, services=services)) as url:
            site = Site(url, services)
            yield site
    finally:
        for b in site.browsers if site else []:
            b.close()
        services.close()
