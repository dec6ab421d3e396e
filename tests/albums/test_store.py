"""Albums and who may see or change them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from sightline.accounts.actor import Actor
from sightline.accounts.users import ADMIN, UserInfo, UserStore
from sightline.albums.store import AlbumStore, can_edit, can_view
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade
from sightline.errors import AccessDeniedError, InvalidParameterError, ResourceNotFoundError


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def people(engine: Engine) -> tuple[UserInfo, UserInfo, UserInfo, UserInfo]:
    users = UserStore(engine)
    return (
        users.create("owner", "correct horse battery"),
        users.create("friend", "correct horse battery"),
        users.create("stranger", "correct horse battery"),
        users.create("boss", "correct horse battery", ADMIN),
    )


def test_owner_admin_and_operator_edit_friends_view_strangers_see_nothing(engine: Engine) -> None:
    owner, friend, stranger, boss = people(engine)
    store = AlbumStore(engine)
    album = store.share(store.create("  Summer   2024 ", owner), friend)
    assert album.name == "Summer 2024" and album.shared_with == ("friend",)

    as_ = {u.username: Actor(u, "session") for u in (owner, friend, stranger, boss)}
    operator = Actor(None, "token", "tok1")
    assert [can_view(a, album) for a in as_.values()] == [True, True, False, True]
    assert [can_edit(a, album) for a in as_.values()] == [True, False, False, True]
    assert can_edit(operator, album)

    assert store.for_edit(as_["owner"], album.id) == album
    with pytest.raises(AccessDeniedError, match="read-only"):
        store.for_edit(as_["friend"], album.id)
    # To a stranger the album does not exist: the same answer as for a wrong id.
    with pytest.raises(ResourceNotFoundError) as hidden:
        store.for_view(as_["stranger"], album.id)
    with pytest.raises(ResourceNotFoundError) as missing:
        store.for_view(as_["stranger"], "0" * 32)
    assert type(hidden.value) is type(missing.value)


def test_listings_show_what_each_may_see(engine: Engine) -> None:
    owner, friend, stranger, boss = people(engine)
    store = AlbumStore(engine)
    first = store.create("First", owner)
    second = store.share(store.create("Second", owner), friend)
    mine = store.create("Stranger's", stranger)

    def names(user: UserInfo) -> list[str]:
        return [s.album.name for s in store.visible(Actor(user, "session"))]

    assert names(owner) == ["Second", "First"]  # newest first
    assert names(friend) == ["Second"]
    assert names(stranger) == ["Stranger's"]
    assert set(names(boss)) == {"First", "Second", "Stranger's"}
    listed = {s.album.id: s for s in store.visible(Actor(friend, "session"))}
    assert listed[second.id].can_edit is False and listed[second.id].photos == 0
    assert first.id not in listed and mine.id not in listed

    store.unshare(second, friend)
    assert names(friend) == []


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_album_names_are_checked(engine: Engine, name: str) -> None:
    owner, *_ = people(engine)
    with pytest.raises(InvalidParameterError):
        AlbumStore(engine).create(name, owner)


def test_an_owner_cannot_be_a_share(engine: Engine) -> None:
    owner, *_ = people(engine)
    store = AlbumStore(engine)
    with pytest.raises(InvalidParameterError):
        store.share(store.create("Mine", owner), owner)
