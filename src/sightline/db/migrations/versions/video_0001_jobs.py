"""Video jobs and their result records.

Revision ID: video_0001
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "video_0001"
down_revision = "0001_base"
branch_labels = ("video",)
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "video_jobs",
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("api", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("client_token", sa.String(64), nullable=True),
        sa.Column("job_tag", sa.String(256), nullable=True),
        sa.Column("request", Json, nullable=False),
        sa.Column("bucket", sa.String(255), nullable=False),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("version", sa.String(1024), nullable=True),
        sa.Column("item_id", sa.String(32), nullable=True),
        sa.Column("owner", sa.String(128), nullable=True),
        sa.Column("topic_arn", sa.String(1024), nullable=True),
        sa.Column("video_metadata", Json, nullable=True),
        sa.Column("audio_metadata", Json, nullable=True),
        sa.Column("details", Json, nullable=True),
        sa.Column("frames_done", sa.Integer(), nullable=False),
        sa.Column("frames_total", sa.Integer(), nullable=True),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("output_bucket", sa.String(255), nullable=True),
        sa.Column("output_key", sa.String(1400), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=True),
        sa.Column("finished_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("job_id", name="pk_video_jobs"),
        sa.UniqueConstraint("api", "client_token", name="uq_video_jobs_api"),
    )
    op.create_index("ix_video_jobs_status_created", "video_jobs", ["status", "created_at"])
    op.create_index("ix_video_jobs_item", "video_jobs", ["item_id"])
    op.create_table(
        "video_records",
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("aggregation", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("person", sa.Integer(), nullable=False),
        sa.Column("record", Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["video_jobs.job_id"],
            name="fk_video_records_job_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "aggregation", "seq", name="pk_video_records"),
    )
    op.create_index(
        "ix_video_records_name",
        "video_records",
        ["job_id", "aggregation", "name", "timestamp_ms", "seq"],
    )
    op.create_index(
        "ix_video_records_person",
        "video_records",
        ["job_id", "aggregation", "person", "timestamp_ms", "seq"],
    )


def downgrade() -> None:
    op.drop_table("video_records")
    op.drop_table("video_jobs")
