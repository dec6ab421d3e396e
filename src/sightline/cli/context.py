"""State shared by every command: where settings come from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from sightline.config import Settings, load_settings


@dataclass
class CliState:
    config: Path | None = None
    data_dir: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self, **overrides: Any) -> Settings:
        if self._settings is None or overrides:
            if self.data_dir is not None:
                overrides.setdefault("data_dir", self.data_dir)
            self._settings = load_settings(self.config, **overrides)
        return self._settings


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj
