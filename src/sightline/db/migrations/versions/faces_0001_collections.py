"""Face collections: collections, faces, users, person records.

Revision ID: faces_0001
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "faces_0001"
down_revision = "0001_base"
branch_labels = ("faces",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "face_collections",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("face_model", sa.String(32), nullable=False),
        sa.Column("face_model_version", sa.String(32), nullable=False),
        sa.Column("embedding_version", sa.String(128), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_face_collections"),
        sa.UniqueConstraint("name", name="uq_face_collections_name"),
    )
    op.create_table(
        "face_users",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("collection_pk", BigId, nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("client_token", sa.String(64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_face_users"),
        sa.ForeignKeyConstraint(
            ["collection_pk"],
            ["face_collections.id"],
            name="fk_face_users_collection_pk_face_collections",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("collection_pk", "user_id", name="uq_face_users_collection_user"),
    )
    op.create_index("ix_face_users_collection_pk", "face_users", ["collection_pk"])
    op.create_table(
        "faces",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("face_id", sa.String(36), nullable=False),
        sa.Column("collection_pk", BigId, nullable=False),
        sa.Column("user_pk", BigId, nullable=True),
        sa.Column("image_id", sa.String(36), nullable=False),
        sa.Column("image_sha256", sa.String(64), nullable=False),
        sa.Column("external_image_id", sa.String(255), nullable=True),
        sa.Column("x0", sa.Float(), nullable=False),
        sa.Column("y0", sa.Float(), nullable=False),
        sa.Column("x1", sa.Float(), nullable=False),
        sa.Column("y1", sa.Float(), nullable=False),
        sa.Column("image_width", sa.Integer(), nullable=False),
        sa.Column("image_height", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("embedding_version", sa.String(128), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_faces"),
        sa.UniqueConstraint("face_id", name="uq_faces_face_id"),
        sa.ForeignKeyConstraint(
            ["collection_pk"],
            ["face_collections.id"],
            name="fk_faces_collection_pk_face_collections",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_pk"],
            ["face_users.id"],
            name="fk_faces_user_pk_face_users",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_faces_collection_pk", "faces", ["collection_pk"])
    op.create_index("ix_faces_user_pk", "faces", ["user_pk"])
    op.create_index("ix_faces_collection_image", "faces", ["collection_pk", "image_sha256"])
    op.create_index("ix_faces_collection_external", "faces", ["collection_pk", "external_image_id"])
    op.create_table(
        "face_persons",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("collection_pk", BigId, nullable=False),
        sa.Column("person_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("user_pk", BigId, nullable=True),
        sa.Column("external_image_id", sa.String(255), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_face_persons"),
        sa.ForeignKeyConstraint(
            ["collection_pk"],
            ["face_collections.id"],
            name="fk_face_persons_collection_pk_face_collections",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_pk"],
            ["face_users.id"],
            name="fk_face_persons_user_pk_face_users",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("collection_pk", "person_id", name="uq_face_persons_collection_person"),
        sa.UniqueConstraint("collection_pk", "user_pk", name="uq_face_persons_collection_user"),
        sa.UniqueConstraint(
            "collection_pk", "external_image_id", name="uq_face_persons_collection_external"
        ),
    )
    op.create_index("ix_face_persons_collection_pk", "face_persons", ["collection_pk"])


def downgrade() -> None:
    op.drop_table("face_persons")
    op.drop_table("faces")
    op.drop_table("face_users")
    op.drop_table("face_collections")
