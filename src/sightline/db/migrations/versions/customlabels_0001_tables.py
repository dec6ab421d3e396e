"""Custom labels: projects, datasets, entries, versions, batches, batch runs.

Revision ID: customlabels_0001
Revises: 0001_base
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "customlabels_0001"
down_revision = "0001_base"
branch_labels = ("customlabels",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "cl_projects",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("feature", sa.String(32), nullable=False),
        sa.Column("auto_update", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tags", Json, nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cl_projects"),
        sa.UniqueConstraint("name", name="uq_cl_projects_name"),
    )
    op.create_table(
        "cl_datasets",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("status_code", sa.String(16), nullable=True),
        sa.Column("source", Json, nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["cl_projects.id"],
            name="fk_cl_datasets_project_id_cl_projects",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cl_datasets"),
        sa.UniqueConstraint("project_id", "type", name="uq_cl_datasets_project_type"),
    )
    op.create_table(
        "cl_dataset_entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("dataset_id", BigId, nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("source_ref", sa.Text(), nullable=False),
        sa.Column("label", sa.String(255), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["cl_datasets.id"],
            name="fk_cl_dataset_entries_dataset_id_cl_datasets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cl_dataset_entries"),
        sa.UniqueConstraint("dataset_id", "line", name="uq_cl_dataset_entries_dataset_line"),
    )
    op.create_index("ix_cl_dataset_entries_label", "cl_dataset_entries", ["dataset_id", "label"])
    op.create_table(
        "cl_versions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(255), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("progress", sa.Double(), nullable=False),
        sa.Column("output_bucket", sa.String(255), nullable=False),
        sa.Column("output_prefix", sa.String(1024), nullable=False),
        sa.Column("training_input", Json, nullable=False),
        sa.Column("testing_input", Json, nullable=False),
        sa.Column("files", Json, nullable=False),
        sa.Column("tags", Json, nullable=False),
        sa.Column("training_started_at", sa.Double(), nullable=True),
        sa.Column("training_ended_at", sa.Double(), nullable=True),
        sa.Column("extractor", sa.String(128), nullable=True),
        sa.Column("classifier", sa.String(32), nullable=True),
        sa.Column("labels", Json, nullable=True),
        sa.Column("f1", sa.Double(), nullable=True),
        sa.Column("evaluation", Json, nullable=True),
        sa.Column("model", sa.LargeBinary(), nullable=True),
        sa.Column("model_sha256", sa.String(64), nullable=True),
        sa.Column("min_units", sa.Integer(), nullable=True),
        sa.Column("max_units", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(128), nullable=True),
        sa.Column("host_seen_at", sa.Double(), nullable=True),
        sa.Column("last_used_at", sa.Double(), nullable=True),
        sa.Column("memory", Json, nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["cl_projects.id"],
            name="fk_cl_versions_project_id_cl_projects",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cl_versions"),
        sa.UniqueConstraint("project_id", "name", name="uq_cl_versions_project_name"),
    )
    op.create_index("ix_cl_versions_status", "cl_versions", ["status"])
    op.create_table(
        "cl_batches",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(56), nullable=False),
        sa.Column("version_id", BigId, nullable=False),
        sa.Column("source_bucket", sa.String(255), nullable=False),
        sa.Column("source_prefix", sa.String(1024), nullable=False),
        sa.Column("final_bucket", sa.String(255), nullable=False),
        sa.Column("final_prefix", sa.String(1024), nullable=False),
        sa.Column("schedule", sa.String(128), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("min_confidence", sa.Double(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("next_run_at", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["cl_versions.id"],
            name="fk_cl_batches_version_id_cl_versions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cl_batches"),
        sa.UniqueConstraint("name", name="uq_cl_batches_name"),
    )
    op.create_table(
        "cl_batch_runs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("batch_id", BigId, nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("model_loads", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(128), nullable=False),
        sa.Column("heartbeat_at", sa.Double(), nullable=False),
        sa.Column("model_started_at", sa.Double(), nullable=True),
        sa.Column("model_stopped_at", sa.Double(), nullable=True),
        sa.Column("failures", Json, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["cl_batches.id"],
            name="fk_cl_batch_runs_batch_id_cl_batches",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cl_batch_runs"),
    )
    op.create_index("ix_cl_batch_runs_batch", "cl_batch_runs", ["batch_id", "started_at"])


def downgrade() -> None:
    op.drop_table("cl_batch_runs")
    op.drop_table("cl_batches")
    op.drop_table("cl_versions")
    op.drop_table("cl_dataset_entries")
    op.drop_table("cl_datasets")
    op.drop_table("cl_projects")
