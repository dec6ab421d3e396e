"""Where definitions come from: the packaged ``*.toml`` files and the configured paths.

The packaged definitions (``image-album``) live beside this module; settings add more,
or replace a packaged one, with ``[pipeline.workflows]`` ``name = "path/to/file.toml"``.
A definition is read and checked when first asked for and kept; a broken file fails
with :class:`InvalidParameterError` naming the file and the step.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import pydantic

from sightline.config import PipelineSettings
from sightline.errors import InvalidParameterError, ResourceNotFoundError
from sightline.pipeline.workflows.check import check_definition
from sightline.pipeline.workflows.definition import Definition

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PACKAGED = Path(__file__).parent


def packaged_names() -> list[str]:
    """The names of the definitions shipped with Sightline (file names without .toml)."""
    return sorted(p.stem for p in PACKAGED.glob("*.toml"))


def workflow_names(settings: PipelineSettings) -> set[str]:
    """Every workflow name a rule may use: packaged and configured. Reads no file."""
    return set(packaged_names()) | set(settings.workflows)


def load_definition(path: Path, actions: Collection[str] | None = None) -> Definition:
    """Read, validate and check one definition file.

    Raises:
        InvalidParameterError: unreadable, not TOML, not a definition, or failing a
            check; the message names the file (and the step).
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidParameterError(f"Cannot read workflow file {path}: {exc}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidParameterError(f"Workflow file {path} is not valid TOML: {exc}.") from exc
    return parse_definition(data, source=str(path), actions=actions)


def parse_definition(
    data: Mapping[str, object],
    *,
    source: str = "definition",
    actions: Collection[str] | None = None,
) -> Definition:
    """A checked :class:`Definition` from already parsed data (TOML tables, JSON)."""
    try:
        definition = Definition.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidParameterError(f"Workflow {source} is not valid: {problems}.") from exc
    check_definition(definition, actions)
    return definition


@dataclass(frozen=True)
class WorkflowInfo:
    name: str
    source: str  # "packaged" or the configured file's path
    path: Path


class WorkflowLibrary:
    """The definitions one process can run, loaded once each, on first use."""

    def __init__(self, settings: PipelineSettings, actions: Collection[str] | None = None):
        self.actions = actions
        self._paths: dict[str, WorkflowInfo] = {
            name: WorkflowInfo(name, "packaged", PACKAGED / f"{name}.toml")
            for name in packaged_names()
        }
        for name, path in settings.workflows.items():
            self._paths[name] = WorkflowInfo(name, str(path), path)
        self._loaded: dict[str, Definition] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return sorted(self._paths)

    def info(self, name: str) -> WorkflowInfo:
        found = self._paths.get(name)
        if found is None:
            raise ResourceNotFoundError(
                f"No workflow named {name!r}; known: {', '.join(self.names())}."
            )
        return found

    def get(self, name: str) -> Definition:
        """The checked definition called ``name``.

        Raises:
            ResourceNotFoundError: no such workflow.
            InvalidParameterError: its file is broken.
        """
        with self._lock:
            found = self._loaded.get(name)
            if found is not None:
                return found
        info = self.info(name)
        definition = load_definition(info.path, self.actions)
        if definition.name != name:
            raise InvalidParameterError(
                f"Workflow file {info.path} is configured as {name!r} but names itself "
                f"{definition.name!r}; make them agree."
            )
        with self._lock:
            self._loaded[name] = definition
        return definition
