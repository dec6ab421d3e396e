"""The workflows migration creates exactly the tables the models describe, on both
databases, and deleting an item deletes its executions and their steps."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sightline.db.base import Base
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade

TABLES = {"workflow_executions", "workflow_steps"}


def test_migration_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second run is a no-op
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert [d for d in diff if _is_ours(d)] == []
        indexes = {ix["name"] for t in TABLES for ix in inspect(engine).get_indexes(t)}
        assert indexes == {
            "ix_workflow_executions_item",
            "ix_workflow_executions_workflow",
            "ix_workflow_executions_status",
            "ix_workflow_steps_execution",
        }
    finally:
        engine.dispose()


def test_deleting_an_item_deletes_its_executions(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO items (id, bucket, key, version, size, mtime, analyses, "
                    "priority, source, status, attempts, created_at, updated_at) VALUES "
                    "('i1', 'b', 'k', 'v', 1, 0, '[]', 0, 'test', 'PENDING', 0, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO workflow_executions (id, workflow, item_id, attempt, status, "
                    "input, started_at) VALUES ('x1', 'w', 'i1', 1, 'RUNNING', '{}', "
                    "CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO workflow_steps (execution_id, name, type, branch, visit, state, "
                    "attempts, attempt_errors, entered_at) VALUES ('x1', 's', 'task', '', 1, "
                    "'ENTERED', 1, '[]', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(sa.text("DELETE FROM items WHERE id = 'i1'"))
            left = conn.execute(sa.text("SELECT count(*) FROM workflow_steps")).scalar_one()
        assert left == 0
    finally:
        engine.dispose()


def _is_ours(diff: object) -> bool:
    """Whether a compare_metadata entry (a tuple, or a list of them) is about our tables."""
    item = diff[0] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else ():
        table = part if isinstance(part, sa.Table) else getattr(part, "table", None)
        if isinstance(table, sa.Table) and table.name in TABLES:
            return True
        if part in TABLES:
            return True
    return False
