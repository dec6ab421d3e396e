"""Sign-in, first run, sign-out, cookies and CSRF over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sightline.accounts.users import UserStore
from sightline.config import Settings
from tests.api.web.site import PASSWORD, Site, form_token, running_site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    settings = Settings(data_dir=tmp_path / "data", web={"login_max_failures": 3})
    with running_site(settings) as s:
        yield s


def cookie(response: httpx.Response, name: str) -> str:
    found = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    assert found, response.headers
    return found[0]


def test_the_first_visit_creates_the_admin(site: Site) -> None:
    b = site.browser()
    assert b.client.get("/").headers["location"] == "/setup"
    assert b.client.get("/albums").headers["location"] == "/setup"
    page = b.client.get("/setup")
    assert page.status_code == 200 and "Create the admin account" in page.text
    token = form_token(page.text)

    refused = b.client.post("/setup", data={"username": "root", "password": PASSWORD})
    assert refused.status_code == 403 and "security token" in refused.text

    mismatch = b.client.post(
        "/setup",
        data={"csrf_token": token, "username": "root", "password": PASSWORD, "confirm": "other"},
    )
    assert mismatch.status_code == 400
    # The error sits next to the field that caused it, tied to it for screen readers.
    assert 'id="field-confirm-error"' in mismatch.text and "differ" in mismatch.text
    assert 'aria-describedby="field-confirm-error"' in mismatch.text

    done = b.client.post(
        "/setup",
        data={"csrf_token": token, "username": "Root", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert done.status_code == 303 and done.headers["location"] == "/albums"
    session = cookie(done, "sightline_session").lower()
    assert "httponly" in session and "samesite=lax" in session and "secure" not in session
    albums = b.client.get("/albums")
    assert albums.status_code == 200 and "root" in albums.text and "admin" in albums.text

    # Setup is over: the page sends visitors to sign in, and a late post changes nothing.
    other = site.browser()
    assert other.client.get("/setup").headers["location"] == "/login"
    other.client.cookies.set("sightline_login", token)
    late = other.client.post(
        "/setup",
        data={"csrf_token": token, "username": "evil", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert late.headers["location"] == "/login"
    assert [u.username for u in UserStore(site.services.engine).list()] == ["root"]


def test_sign_in_and_out(site: Site) -> None:
    site.user("alice")
    b = site.browser()
    assert b.client.get("/albums").headers["location"] == "/login?next=/albums"
    page = b.client.get("/login?next=/albums")
    wrong = b.client.post(
        "/login",
        data={"csrf_token": form_token(page.text), "username": "alice", "password": "nope-nope"},
    )
    assert wrong.status_code == 400 and "do not match" in wrong.text
    assert 'role="alert"' in wrong.text

    # A sign-in link can only lead to this site.
    right = b.client.post(
        "/login",
        data={
            "csrf_token": form_token(page.text),
            "username": "ALICE",
            "password": PASSWORD,
            "next": "//evil.example/",
        },
    )
    assert right.status_code == 303 and right.headers["location"] == "/albums"
    b.refresh_token()
    assert b.client.get("/").headers["location"] == "/albums"

    assert b.client.post("/logout").status_code == 403  # no CSRF token
    out = b.post_form("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert b.client.get("/albums").headers["location"].startswith("/login")


def test_the_old_session_cookie_is_dead_after_sign_out(site: Site) -> None:
    site.user("bob")
    b = site.browser("bob")
    stolen = b.client.cookies.get("sightline_session")
    assert stolen
    b.post_form("/logout")
    with httpx.Client(base_url=site.url, cookies={"sightline_session": stolen}) as thief:
        assert thief.get("/albums").status_code == 303
        assert thief.get("/api/v1/albums").status_code == 401


def test_repeated_wrong_passwords_pause_sign_in(site: Site) -> None:
    site.user("carol")
    site.user("dan")
    b = site.browser()
    for _ in range(3):
        assert b.sign_in("carol", "wrong password").status_code == 400
    paused = b.sign_in("carol")  # even the right password waits now
    assert paused.status_code == 429 and "try again in 5 minutes" in paused.text
    assert site.browser().sign_in("dan").status_code == 303  # other users are not affected


def test_form_and_script_posts_need_the_session_token(site: Site) -> None:
    site.user("erin")
    b = site.browser("erin")
    refused = b.client.post("/albums", data={"name": "No token"})
    assert refused.status_code == 403
    assert "text/html" in refused.headers["content-type"]
    assert "security token is missing or out of date" in refused.text

    forged = b.client.post("/albums", data={"name": "Forged", "csrf_token": "guess"})
    assert forged.status_code == 403

    api = b.client.post("/api/v1/albums", json={"name": "No header"})
    assert api.status_code == 403 and api.json()["code"] == "AccessDeniedException"
    assert "security token" in api.json()["message"]

    # Another session's token does not fit this one.
    site.user("frank")
    frank = site.browser("frank")
    crossed = b.client.post(
        "/api/v1/albums", json={"name": "x"}, headers={"X-CSRF-Token": frank.csrf}
    )
    assert crossed.status_code == 403

    assert b.post_form("/albums", {"name": "With token"}).status_code == 303
    assert b.api("POST", "/api/v1/albums", json={"name": "Script"}).status_code == 201
    names = [a["name"] for a in b.client.get("/api/v1/albums").json()]
    assert names == ["Script", "With token"]


def test_disabled_users_are_signed_out(site: Site) -> None:
    site.user("gina")
    b = site.browser("gina")
    UserStore(site.services.engine).set_disabled("gina", True)
    assert b.client.get("/albums").status_code == 303
    assert site.browser().sign_in("gina").status_code == 400


def test_cookies_are_secure_when_configured(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", web={"secure_cookies": "always"})
    with running_site(settings) as s:
        s.user("hal")
        b = s.browser()
        page = b.client.get("/login")
        assert "secure" in cookie(page, "sightline_login").lower()
        # httpx keeps Secure cookies for https only; send the login token by hand.
        token = form_token(page.text)
        b.client.cookies.set("sightline_login", token)
        done = b.client.post(
            "/login", data={"csrf_token": token, "username": "hal", "password": PASSWORD}
        )
        assert "secure" in cookie(done, "sightline_session").lower()


def test_pages_carry_a_strict_content_security_policy(site: Site) -> None:
    site.user("ivy")
    page = site.browser().client.get("/login")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
