"""The custom-labels migration builds exactly the tables the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from sightline.db.base import Base
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade

TABLES = {
    "cl_projects",
    "cl_datasets",
    "cl_dataset_entries",
    "cl_versions",
    "cl_batches",
    "cl_batch_runs",
}


def _tables_of(diff: Any) -> set[str]:
    found: set[str] = set()
    stack = [diff]
    while stack:
        part = stack.pop()
        if isinstance(part, (tuple, list)):
            stack.extend(part)
            continue
        table = getattr(part, "table", None)
        if table is not None:
            found.add(str(table.name))
        name = getattr(part, "name", None)
        if isinstance(part, str) and part in TABLES:
            found.add(part)
        elif isinstance(name, str) and name in TABLES:
            found.add(name)
    return found


def test_migration_matches_models(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # a second run is a no-op
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, Base.metadata) if _tables_of(d) & TABLES]
    assert diffs == []
    engine.dispose()
