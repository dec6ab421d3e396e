"""The router: what happens to an object, from its key and its first bytes.

Two questions, asked in this order:

1. *Which analyses?* From the key alone: the first built-in rule that fits (the web
   app's album bucket), else the first configured rule that fits (bucket, prefix,
   glob), else the reference convention (the first folder names the
   API: ``labels/``, ``faces/``, ``text/``, ``moderation/``; ``celebrities/`` is refused
   as unsupported), else ``default_analyses``, else the object is rejected with a reason
   saying how to route it.
2. *Which workflow?* From the bytes, never the name: images go to the sync image
   pipeline (task kind ``image``, or the rule's workflow), videos to the asynchronous
   video workflow (kind ``video``), anything else is rejected naming what it is. A
   rule's workflow that names a workflow definition (``image-album``) makes the task
   kind ``workflow``, and bytes that are no medium go to it too: the definition checks
   the format itself and records the failure on its execution, as the reference's
   state machine does.

When a source did not read the bytes (bulk backfills), the media type is left unknown
and the image task sniffs the bytes it reads anyway, re-routing videos and rejecting
other files then.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sightline.config import AnalysisSettings, PipelineSettings, RouteRule
from sightline.errors import (
    InvalidImageFormatError,
    InvalidParameterError,
    SightlineError,
    UnsupportedError,
)
from sightline.media.sniff import describe_unknown, sniff
from sightline.pipeline.analyses import FOLDER_CONVENTION, UNSUPPORTED_FOLDERS
from sightline.pipeline.workflows.library import workflow_names

IMAGE_WORKFLOW = "image"
VIDEO_WORKFLOW = "video"
# The task kind of items routed to a workflow definition (the item's workflow names it).
WORKFLOW_KIND = "workflow"


@dataclass(frozen=True)
class Route:
    """Where an object goes: a workflow and its analyses, or a rejection.

    ``workflow`` is the task kind, or a workflow definition's name when ``kind`` is
    :data:`WORKFLOW_KIND`.
    """

    workflow: str | None
    analyses: tuple[str, ...] = ()
    priority: int = 0
    media_type: str | None = None  # MIME type, when the bytes were seen
    rejected: SightlineError | None = None
    kind: str | None = None  # the task kind when it is not ``workflow``'s value

    @property
    def ok(self) -> bool:
        return self.rejected is None

    @property
    def task_kind(self) -> str | None:
        return self.kind or self.workflow


@dataclass(frozen=True)
class _Plan:
    analyses: tuple[str, ...]
    workflow: str | None
    priority: int


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A key glob as a regex: ``*`` and ``?`` within one folder, ``**`` across folders."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


class Router:
    """Routes objects by the rules in :class:`PipelineSettings`.

    Raises:
        InvalidParameterError: a rule names an unknown analysis or routes nothing.
    """

    def __init__(
        self,
        settings: PipelineSettings,
        analyses: Mapping[str, AnalysisSettings],
        builtin_rules: Sequence[RouteRule] = (),
    ):
        self.settings = settings
        self.analyses = analyses
        self.definitions = workflow_names(settings)
        # Rules of Sightline's own buckets (album photos), before the configured ones.
        self.rules = [*builtin_rules, *settings.rules]
        for n, rule in enumerate(builtin_rules, 1):
            self._check_known(rule.analyses, f"built-in rule {n} (bucket {rule.bucket})")
            if rule.workflow and rule.workflow not in self.definitions:
                raise InvalidParameterError(
                    f"The workflow {rule.workflow!r} of bucket {rule.bucket} (web.album_workflow) "
                    f"is not defined; known: {', '.join(sorted(self.definitions))}."
                )
        for n, rule in enumerate(settings.rules, 1):
            if not rule.analyses and not rule.workflow:
                raise InvalidParameterError(
                    f"pipeline.rules[{n}] names neither analyses nor a workflow."
                )
            self._check_known(rule.analyses, f"pipeline.rules[{n}]")
        self._check_known(settings.default_analyses, "pipeline.default_analyses")
        # Plans that depend only on the first folder, built once: routing a million
        # backfill rows must not build a million equal objects.
        self._folder_plans = {
            folder: _Plan((analysis,), None, 0) for folder, analysis in FOLDER_CONVENTION.items()
        }
        self._default_plan = (
            _Plan(tuple(settings.default_analyses), None, 0) if settings.default_analyses else None
        )

    def _check_known(self, names: list[str], where: str) -> None:
        unknown = [a for a in names if a not in self.analyses]
        if unknown:
            raise InvalidParameterError(
                f"{where} names unknown analyses {unknown}; known: {sorted(self.analyses)}."
            )

    def _plan(self, bucket: str, key: str) -> _Plan | SightlineError:
        for rule in self.rules:
            if _fits(rule, bucket, key):
                return _Plan(tuple(rule.analyses), rule.workflow, rule.priority)
        folder = key.split("/", 1)[0] if "/" in key else ""
        plan = self._folder_plans.get(folder)
        if plan is not None:
            return plan
        if folder in UNSUPPORTED_FOLDERS:
            return UnsupportedError(f"{UNSUPPORTED_FOLDERS[folder]} (key {key!r})")
        if self._default_plan is not None:
            return self._default_plan
        folders = ", ".join(f"{f}/" for f in FOLDER_CONVENTION)
        return UnsupportedError(
            f"No analysis is configured for key {key!r}: put it under {folders} (the first "
            "folder names the API), or add a [[pipeline.rules]] entry or "
            "pipeline.default_analyses."
        )

    def route(self, bucket: str, key: str, head: bytes | None = None) -> Route:
        """Route one object; ``head`` is its first bytes (None: not read yet)."""
        plan = self._plan(bucket, key)
        if isinstance(plan, SightlineError):
            return Route(None, rejected=plan)
        if head is None:
            if plan.workflow in self.definitions:
                return Route(plan.workflow, plan.analyses, plan.priority, kind=WORKFLOW_KIND)
            return Route(plan.workflow or IMAGE_WORKFLOW, plan.analyses, plan.priority)
        return self.route_media(plan.analyses, plan.workflow, plan.priority, head)

    def route_media(
        self, analyses: tuple[str, ...], workflow: str | None, priority: int, head: bytes
    ) -> Route:
        """The workflow for bytes starting with ``head``, keeping the planned analyses."""
        media = sniff(head)
        if workflow in self.definitions and (media is None or media.is_image):
            mime = media.mime if media else None
            return Route(workflow, analyses, priority, mime, kind=WORKFLOW_KIND)
        if media is None:
            return Route(
                None,
                analyses,
                priority,
                rejected=InvalidImageFormatError(
                    f"Unsupported media type: the bytes are {describe_unknown(head)}."
                ),
            )
        if media.is_video:
            return Route(VIDEO_WORKFLOW, analyses, priority, media.mime)
        return Route(workflow or IMAGE_WORKFLOW, analyses, priority, media.mime)


def _fits(rule: RouteRule, bucket: str, key: str) -> bool:
    if rule.bucket is not None and rule.bucket != bucket:
        return False
    if rule.prefix is not None and not key.startswith(rule.prefix):
        return False
    return rule.match is None or glob_regex(rule.match).match(key) is not None
