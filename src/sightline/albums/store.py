"""Albums, their shares, and who may do what with them.

Rules (one place, :func:`can_view` and :func:`can_edit`):

- the owner and admins (and the operator: an API token) may view, change and delete;
- users it is shared with may view it, read-only;
- to everyone else the album does not exist: :class:`ResourceNotFoundError` (404), the
  same answer as for an album that truly does not exist, so ids reveal nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from sightline.accounts.actor import Actor
from sightline.accounts.users import UserInfo
from sightline.db import tx
from sightline.db.base import utcnow
from sightline.db.models.accounts import User
from sightline.db.models.albums import Album, AlbumShare, Photo
from sightline.db.models.pipeline import Item, ItemStatus
from sightline.errors import (
    AccessDeniedError,
    InvalidParameterError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)
from sightline.pipeline.catalog import new_item_id

MAX_NAME = 200


@dataclass(frozen=True)
class AlbumInfo:
    id: str
    name: str
    owner_id: int
    owner: str  # the owner's user name
    created_at: dt.datetime
    shared_with: tuple[str, ...]  # user names, sorted


@dataclass(frozen=True)
class AlbumSummary:
    """An album as listed: with its photo count and cover."""

    album: AlbumInfo
    photos: int
    cover_photo_id: str | None  # the latest completed photo (its thumbnail is the cover)
    can_edit: bool


def can_view(actor: Actor, album: AlbumInfo) -> bool:
    if can_edit(actor, album):
        return True
    return actor.user is not None and actor.user.username in album.shared_with


def can_edit(actor: Actor, album: AlbumInfo) -> bool:
    return actor.is_admin or actor.user_id == album.owner_id


def check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidParameterError("Give the album a name.")
    if len(cleaned) > MAX_NAME:
        raise InvalidParameterError(f"An album name may have at most {MAX_NAME} characters.")
    return cleaned


def not_found(album_id: str) -> ResourceNotFoundError:
    return ResourceNotFoundError(f"No album {album_id!r}.")


class AlbumStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, name: str, owner: UserInfo) -> AlbumInfo:
        album = AlbumInfo(new_item_id(), check_name(name), owner.id, owner.username, utcnow(), ())
        with tx.write(self.engine) as conn:
            conn.execute(
                insert(Album).values(
                    id=album.id, owner_id=owner.id, name=album.name, created_at=album.created_at
                )
            )
        return album

    def get(self, album_id: str) -> AlbumInfo | None:
        with tx.read(self.engine) as conn:
            found = conn.execute(
                select(Album.id, Album.name, Album.owner_id, User.username, Album.created_at)
                .join(User, User.id == Album.owner_id)
                .where(Album.id == album_id)
            ).first()
            if found is None:
                return None
            shared = conn.execute(
                select(User.username)
                .join(AlbumShare, AlbumShare.user_id == User.id)
                .where(AlbumShare.album_id == album_id)
                .order_by(User.username)
            ).scalars()
            return AlbumInfo(*found, tuple(shared))

    def for_view(self, actor: Actor, album_id: str) -> AlbumInfo:
        """The album if ``actor`` may see it.

        Raises:
            ResourceNotFoundError: it does not exist, or ``actor`` may not see it.
        """
        album = self.get(album_id)
        if album is None or not can_view(actor, album):
            raise not_found(album_id)
        return album

    def for_edit(self, actor: Actor, album_id: str) -> AlbumInfo:
        """The album if ``actor`` may change it.

        Raises:
            ResourceNotFoundError: as :meth:`for_view`.
            AccessDeniedError: ``actor`` may only view it (it is shared with them).
        """
        album = self.for_view(actor, album_id)
        if not can_edit(actor, album):
            raise AccessDeniedError(
                f"The album {album.name!r} is shared with you read-only: only its owner, "
                f"{album.owner}, can change it."
            )
        return album

    def visible(self, actor: Actor) -> list[AlbumSummary]:
        """The albums ``actor`` may see (all of them for admins), newest first."""
        query = (
            select(Album.id, Album.name, Album.owner_id, User.username, Album.created_at)
            .join(User, User.id == Album.owner_id)
            .order_by(Album.id.desc())
        )
        if not actor.is_admin:
            mine = select(AlbumShare.album_id).where(AlbumShare.user_id == actor.user_id)
            query = query.where((Album.owner_id == actor.user_id) | Album.id.in_(mine))
        with tx.read(self.engine) as conn:
            rows = conn.execute(query).all()
            ids = [r.id for r in rows]
            if not ids:
                return []
            shared: dict[str, list[str]] = {}
            for album_id, username in conn.execute(
                select(AlbumShare.album_id, User.username)
                .join(User, User.id == AlbumShare.user_id)
                .where(AlbumShare.album_id.in_(ids))
                .order_by(User.username)
            ):
                shared.setdefault(album_id, []).append(username)
            counts = dict(
                conn.execute(
                    select(Photo.album_id, func.count())
                    .where(Photo.album_id.in_(ids))
                    .group_by(Photo.album_id)
                ).all()
            )
            covers = dict(
                conn.execute(
                    select(Photo.album_id, func.max(Photo.id))
                    .join(Item, Item.id == Photo.item_id)
                    .where(Photo.album_id.in_(ids), Item.status == ItemStatus.SUCCEEDED.value)
                    .group_by(Photo.album_id)
                ).all()
            )
        out = []
        for r in rows:
            album = AlbumInfo(*r, tuple(shared.get(r.id, ())))
            out.append(
                AlbumSummary(
                    album, int(counts.get(r.id, 0)), covers.get(r.id), can_edit(actor, album)
                )
            )
        return out

    def rename(self, album: AlbumInfo, name: str) -> AlbumInfo:
        cleaned = check_name(name)
        with tx.write(self.engine) as conn:
            conn.execute(update(Album).where(Album.id == album.id).values(name=cleaned))
        return AlbumInfo(
            album.id, cleaned, album.owner_id, album.owner, album.created_at, album.shared_with
        )

    def share(self, album: AlbumInfo, user: UserInfo) -> AlbumInfo:
        """Let ``user`` view the album (idempotent).

        Raises:
            InvalidParameterError: ``user`` owns it.
        """
        if user.id == album.owner_id:
            raise InvalidParameterError(f"{user.username} owns this album already.")
        if user.username not in album.shared_with:
            try:
                with tx.write(self.engine) as conn:
                    conn.execute(
                        insert(AlbumShare).values(
                            album_id=album.id, user_id=user.id, created_at=utcnow()
                        )
                    )
            except IntegrityError as exc:  # shared by a concurrent request
                raise ResourceAlreadyExistsError(
                    f"The album is shared with {user.username} already."
                ) from exc
        return self.get(album.id) or album

    def unshare(self, album: AlbumInfo, user: UserInfo) -> AlbumInfo:
        with tx.write(self.engine) as conn:
            conn.execute(
                delete(AlbumShare).where(
                    AlbumShare.album_id == album.id, AlbumShare.user_id == user.id
                )
            )
        return self.get(album.id) or album

    def delete_row(self, album_id: str) -> None:
        """Remove the album row (its shares go with it); its photos must be gone."""
        with tx.write(self.engine) as conn:
            conn.execute(delete(Album).where(Album.id == album_id))
