"""The web app: users, login sessions, albums, shares and photos.

Revision ID: web_0001
Revises: 0001_base
Depends on: pipeline_0001 (a photo references its pipeline item)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "web_0001"
down_revision = "0001_base"
branch_labels = ("web",)
depends_on = "pipeline_0001"

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("disabled_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("token_sha256", name="pk_web_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_web_sessions_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_index("ix_web_sessions_expires_at", "web_sessions", ["expires_at"])
    op.create_table(
        "albums",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("owner_id", BigId, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_albums"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_albums_owner_id_users"),
    )
    op.create_index("ix_albums_owner_id", "albums", ["owner_id"])
    op.create_table(
        "album_shares",
        sa.Column("album_id", sa.String(32), nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("album_id", "user_id", name="pk_album_shares"),
        sa.ForeignKeyConstraint(
            ["album_id"], ["albums.id"], name="fk_album_shares_album_id_albums", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_album_shares_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_album_shares_user_id", "album_shares", ["user_id"])
    op.create_table(
        "photos",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("album_id", sa.String(32), nullable=False),
        sa.Column("item_id", sa.String(32), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("uploaded_by", BigId, nullable=True),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_photos"),
        sa.ForeignKeyConstraint(["album_id"], ["albums.id"], name="fk_photos_album_id_albums"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name="fk_photos_item_id_items"),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name="fk_photos_uploaded_by_users", ondelete="SET NULL"
        ),
        sa.UniqueConstraint("item_id", name="uq_photos_item_id"),
    )
    op.create_index("ix_photos_album_id_id", "photos", ["album_id", "id"])


def downgrade() -> None:
    op.drop_table("photos")
    op.drop_table("album_shares")
    op.drop_table("albums")
    op.drop_table("web_sessions")
    op.drop_table("users")
