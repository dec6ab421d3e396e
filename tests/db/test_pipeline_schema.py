"""The pipeline migration builds exactly the tables the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sightline.db.base import Base
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade

PIPELINE_TABLES = {
    "items",
    "tasks",
    "queue_limits",
    "results",
    "cursors",
    "workers",
    "delivery_outbox",
}


def _table_of(diff: Any) -> str | None:
    for part in diff if isinstance(diff, tuple) else (diff,):
        for obj in part if isinstance(part, tuple) else (part,):
            table = getattr(obj, "table", None)
            name = getattr(obj, "name", None)
            if table is not None:
                return str(table.name)
            if isinstance(obj, str) and obj in PIPELINE_TABLES:
                return obj
            if name in PIPELINE_TABLES:
                return str(name)
    return None


def _is_expression_index(diff: Any) -> bool:
    return (
        isinstance(diff, tuple)
        and diff[0] in ("add_index", "remove_index")
        and getattr(diff[1], "name", None) == "ix_tasks_claim"
    )


def test_migration_matches_models(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # a second run is a no-op
    assert set(inspect(engine).get_table_names()) >= PIPELINE_TABLES
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [
            d
            for d in compare_metadata(ctx, Base.metadata)
            if _table_of(d) in PIPELINE_TABLES and not _is_expression_index(d)
        ]
    assert diffs == []
    # Reflection cannot compare the claim index's "priority DESC" expression; check names.
    names = {ix["name"] for ix in inspect(engine).get_indexes("tasks")}
    assert {"ix_tasks_claim", "ix_tasks_running", "ix_tasks_state_finished"} <= names
    engine.dispose()
