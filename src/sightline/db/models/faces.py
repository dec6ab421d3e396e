"""Face collections: collections, indexed faces, users, person records.

The database is the source of truth; the vector index files under
``data_dir/indexes`` are a cache rebuilt from ``faces.embedding`` whenever they are
missing, damaged or behind. ``face_collections.generation`` increases in the same
transaction as every change to a collection's faces, so any process can tell whether
its in-memory index is current with one primary-key read.

A face belongs to at most one user (Rekognition's model), so the face-user association
is the nullable ``faces.user_pk`` column rather than a link table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sightline.db.base import Base, utcnow

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class FaceCollection(Base):
    __tablename__ = "face_collections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)  # Rekognition CollectionId
    face_model: Mapped[str] = mapped_column(String(32))  # registry key: "dlib", "sface"
    face_model_version: Mapped[str] = mapped_column(String(32))  # wire FaceModelVersion
    embedding_version: Mapped[str] = mapped_column(String(128))  # the exact model build
    dim: Mapped[int] = mapped_column(Integer)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    tags: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FaceUser(Base):
    __tablename__ = "face_users"
    __table_args__ = (
        UniqueConstraint("collection_pk", "user_id", name="uq_face_users_collection_user"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    collection_pk: Mapped[int] = mapped_column(
        ForeignKey("face_collections.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(String(128))
    client_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StoredFace(Base):
    __tablename__ = "faces"
    __table_args__ = (
        Index("ix_faces_collection_image", "collection_pk", "image_sha256"),
        Index("ix_faces_collection_external", "collection_pk", "external_image_id"),
    )

    # The integer key is the vector index's key; FaceId is the public identifier.
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    face_id: Mapped[str] = mapped_column(String(36), unique=True)
    collection_pk: Mapped[int] = mapped_column(
        ForeignKey("face_collections.id", ondelete="CASCADE"), index=True
    )
    user_pk: Mapped[int | None] = mapped_column(
        ForeignKey("face_users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    image_id: Mapped[str] = mapped_column(String(36))
    image_sha256: Mapped[str] = mapped_column(String(64))
    external_image_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Bounding box in pixels of the upright source image, and that image's size.
    x0: Mapped[float] = mapped_column(Float)
    y0: Mapped[float] = mapped_column(Float)
    x1: Mapped[float] = mapped_column(Float)
    y1: Mapped[float] = mapped_column(Float)
    image_width: Mapped[int] = mapped_column(Integer)
    image_height: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)  # 0-1
    embedding: Mapped[bytes] = mapped_column(LargeBinary)  # float32 little-endian
    embedding_version: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Person(Base):
    """Who a user or an ExternalImageId is: a Sightline extension, not in Rekognition."""

    __tablename__ = "face_persons"
    __table_args__ = (
        UniqueConstraint("collection_pk", "person_id", name="uq_face_persons_collection_person"),
        UniqueConstraint("collection_pk", "user_pk", name="uq_face_persons_collection_user"),
        UniqueConstraint(
            "collection_pk", "external_image_id", name="uq_face_persons_collection_external"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    collection_pk: Mapped[int] = mapped_column(
        ForeignKey("face_collections.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(255))
    notes: Mapped[str] = mapped_column(Text, default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Attached to at most one of these (both may be empty: a record not yet attached).
    user_pk: Mapped[int | None] = mapped_column(
        ForeignKey("face_users.id", ondelete="SET NULL"), nullable=True
    )
    external_image_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
