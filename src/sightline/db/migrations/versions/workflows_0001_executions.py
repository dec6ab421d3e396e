"""Workflow executions and their steps.

Revision ID: workflows_0001
Revises: 0001_base
Depends on: pipeline_0001 (executions belong to items)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "workflows_0001"
down_revision = "0001_base"
branch_labels = ("workflows",)
# Executions belong to items, which the pipeline branch creates.
depends_on = "pipeline_0001"

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "workflow_executions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("workflow", sa.String(80), nullable=False),
        sa.Column("item_id", sa.String(32), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("input", Json, nullable=False),
        sa.Column("output", Json, nullable=True),
        sa.Column("error", sa.String(128), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("started_at", Stamp, nullable=False),
        sa.Column("stopped_at", Stamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_workflow_executions"),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name="fk_workflow_executions_item_id_items",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_workflow_executions_item", "workflow_executions", ["item_id", "id"])
    op.create_index("ix_workflow_executions_workflow", "workflow_executions", ["workflow", "id"])
    op.create_index("ix_workflow_executions_status", "workflow_executions", ["status", "id"])
    op.create_table(
        "workflow_steps",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("execution_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("branch", sa.String(400), nullable=False),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("input", Json, nullable=True),
        sa.Column("output", Json, nullable=True),
        sa.Column("next_step", sa.String(80), nullable=True),
        sa.Column("error", sa.String(128), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("attempt_errors", Json, nullable=False),
        sa.Column("entered_at", Stamp, nullable=False),
        sa.Column("finished_at", Stamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_workflow_steps"),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["workflow_executions.id"],
            name="fk_workflow_steps_execution_id_workflow_executions",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_workflow_steps_execution", "workflow_steps", ["execution_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_workflow_steps_execution", table_name="workflow_steps")
    op.drop_table("workflow_steps")
    op.drop_index("ix_workflow_executions_status", table_name="workflow_executions")
    op.drop_index("ix_workflow_executions_workflow", table_name="workflow_executions")
    op.drop_index("ix_workflow_executions_item", table_name="workflow_executions")
    op.drop_table("workflow_executions")
