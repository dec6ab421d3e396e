"""Apply Alembic migrations programmatically (every branch head)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to every branch's head. Safe to call at every start-up."""
    # Each area (pipeline, faces, auth, ...) owns an Alembic branch off the base
    # revision, so areas evolve their tables without merge revisions between them.
    command.upgrade(alembic_config(engine), "heads")
