"""Photo albums: albums owned by users, read-only shares, and the photos in them.

A photo is one uploaded file: its object lives in the album bucket and its analyses
are the pipeline item ``item_id`` (status, results, outputs). Rows referencing a
photo's item or album are never removed by a cascade, because a photo owns objects in
storage that only :mod:`sightline.albums` knows how to remove; deleting goes through
it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sightline.db.base import Base, utcnow
from sightline.db.models.pipeline import UtcDateTime


class Album(Base):
    __tablename__ = "albums"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class AlbumShare(Base):
    """A user who may view (not change) someone else's album."""

    __tablename__ = "album_shares"

    album_id: Mapped[str] = mapped_column(
        ForeignKey("albums.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Photo(Base):
    __tablename__ = "photos"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # time-ordered
    album_id: Mapped[str] = mapped_column(ForeignKey("albums.id"))
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id"), unique=True)
    file_name: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    uploaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)

    __table_args__ = (Index("ix_photos_album_id_id", "album_id", "id"),)


class PhotoFaceScan(Base):
    """A photo whose faces were indexed into the photo-faces collection (by a person
    search, :mod:`sightline.people.scan`): done once per photo, remembered here so that
    photos whose detections yielded no indexable face are not decoded again. Goes with
    its photo."""

    __tablename__ = "photo_face_scans"

    photo_id: Mapped[str] = mapped_column(
        ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True
    )
    faces: Mapped[int] = mapped_column(Integer, default=0)  # faces indexed
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # why none could be
    scanned_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
