"""The pipeline: items (catalog), tasks (queue), limits, results, cursors, workers, outbox.

Revision ID: pipeline_0001
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "pipeline_0001"
down_revision = "0001_base"
branch_labels = ("pipeline",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")
Stamp = sa.DateTime(timezone=True)
QUEUED = sa.text("state = 'queued'")
RUNNING = sa.text("state = 'running'")


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("bucket", sa.String(255), nullable=False),
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("version", sa.String(300), nullable=False),
        sa.Column("etag", sa.String(128), nullable=True),
        sa.Column("version_id", sa.String(255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime", sa.Double(), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=True),
        sa.Column("workflow", sa.String(64), nullable=True),
        sa.Column("analyses", Json, nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.Column("started_at", Stamp, nullable=True),
        sa.Column("finished_at", Stamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_items"),
        sa.UniqueConstraint("bucket", "key", "version", name="uq_items_bucket_key_version"),
    )
    op.create_index("ix_items_status_updated", "items", ["status", "updated_at"])

    op.create_table(
        "tasks",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("not_before", sa.Double(), nullable=False),
        sa.Column("lease_until", sa.Double(), nullable=True),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=True),
        sa.Column("finished_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
        sa.UniqueConstraint("key", name="uq_tasks_key"),
    )
    op.create_index(
        "ix_tasks_claim",
        "tasks",
        ["kind", sa.text("priority DESC"), "id"],
        sqlite_where=QUEUED,
        postgresql_where=QUEUED,
    )
    op.create_index(
        "ix_tasks_running",
        "tasks",
        ["kind", "lease_until"],
        sqlite_where=RUNNING,
        postgresql_where=RUNNING,
    )
    op.create_index("ix_tasks_state_finished", "tasks", ["state", "finished_at", "kind"])

    op.create_table(
        "queue_limits",
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("rate", sa.Double(), nullable=True),
        sa.Column("burst", sa.Double(), nullable=False),
        sa.Column("max_running", sa.Integer(), nullable=True),
        sa.Column("tokens", sa.Double(), nullable=False),
        sa.Column("refilled_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name="pk_queue_limits"),
    )

    op.create_table(
        "results",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("item_id", sa.String(32), nullable=False),
        sa.Column("analysis", sa.String(64), nullable=False),
        sa.Column("operation", sa.String(64), nullable=True),
        sa.Column("model_version", sa.String(255), nullable=False),
        sa.Column("output_bucket", sa.String(255), nullable=False),
        sa.Column("output_key", sa.String(1200), nullable=False),
        sa.Column("response", Json, nullable=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_results"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_results_item_id_items", ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "item_id", "analysis", "model_version", name="uq_results_item_analysis_model"
        ),
    )

    op.create_table(
        "cursors",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("value", Json, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_cursors"),
    )

    op.create_table(
        "workers",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("kinds", Json, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("heartbeat_at", sa.Double(), nullable=False),
        sa.Column("processed", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("current", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workers"),
    )

    op.create_table(
        "delivery_outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("result_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_outbox"),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["results.id"],
            name="fk_delivery_outbox_result_id_results",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_delivery_outbox_stream_id", "delivery_outbox", ["stream", "id"])


def downgrade() -> None:
    op.drop_table("delivery_outbox")
    op.drop_table("workers")
    op.drop_table("cursors")
    op.drop_table("results")
    op.drop_table("queue_limits")
    op.drop_table("tasks")
    op.drop_table("items")
