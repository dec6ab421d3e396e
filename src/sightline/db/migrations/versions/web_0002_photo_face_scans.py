"""The web app: which album photos had their faces indexed for person search.

Revision ID: web_0002
Revises: web_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "web_0002"
down_revision = "web_0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "photo_face_scans",
        sa.Column("photo_id", sa.String(32), nullable=False),
        sa.Column("faces", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("scanned_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("photo_id", name="pk_photo_face_scans"),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name="fk_photo_face_scans_photo_id_photos",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("photo_face_scans")
