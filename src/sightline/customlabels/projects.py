"""Projects: CreateProject, DescribeProjects, DeleteProject.

A project holds a TRAIN and a TEST dataset and the versions trained from them. Sightline
offers the ``CUSTOM_LABELS`` feature; ``CONTENT_MODERATION`` projects (adapters of
Rekognition's own moderation model) are refused as unsupported.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sightline.customlabels.arns import Arns, check_name, parse_project
from sightline.customlabels.db import now_ms, reading, writing
from sightline.db.models.customlabels import ClDataset, ClProject, ClVersion
from sightline.errors import (
    InvalidPaginationTokenError,
    ResourceInUseError,
    ResourceNotFoundError,
    UnsupportedError,
)
from sightline.runtime import Runtime

CUSTOM_LABELS = "CUSTOM_LABELS"


@dataclass(frozen=True)
class DatasetInfo:
    arn: str
    type: str
    created_at: float
    status: str
    status_message: str | None
    status_code: str | None


@dataclass(frozen=True)
class ProjectInfo:
    arn: str
    name: str
    created_at: float
    status: str
    feature: str
    auto_update: str | None
    datasets: tuple[DatasetInfo, ...]


def find_project(session: Session, arn: str) -> ClProject:
    """The project an ARN names; ResourceNotFoundError when it does not exist (any more)."""
    ref = parse_project(arn)
    row = session.scalar(select(ClProject).where(ClProject.name == ref.name))
    if row is None or row.created_ms != ref.created_ms:
        raise ResourceNotFoundError(f"The project {arn} does not exist.")
    return row


def create_project(
    runtime: Runtime,
    name: str,
    *,
    feature: str | None = None,
    auto_update: str | None = None,
    tags: dict[str, str] | None = None,
) -> str:
    """Create a project; its ARN.

    Raises:
        ResourceInUseError: a project with that name exists.
        UnsupportedError: ``feature`` is not CUSTOM_LABELS.
    """
    check_name(name, "ProjectName")
    if feature not in (None, CUSTOM_LABELS):
        raise UnsupportedError(
            f"Feature {feature} is not supported; Sightline trains {CUSTOM_LABELS} projects."
        )
    arns = Arns.of(runtime.settings.customlabels)
    with writing(runtime.engine) as s:
        if s.scalar(select(ClProject.id).where(ClProject.name == name)) is not None:
            raise ResourceInUseError(f"A project named {name!r} already exists.")
        row = ClProject(
            name=name,
            created_ms=now_ms(),
            feature=CUSTOM_LABELS,
            auto_update=auto_update,
            status="CREATED",
            tags=dict(tags or {}),
            created_at=time.time(),
        )
        s.add(row)
        s.flush()
        return arns.project(row.name, row.created_ms)


def describe_projects(
    runtime: Runtime,
    *,
    names: Sequence[str] | None = None,
    features: Sequence[str] | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> tuple[list[ProjectInfo], str | None]:
    """Projects in creation order, a page at a time (``max_results`` default 100)."""
    arns = Arns.of(runtime.settings.customlabels)
    limit = max_results or 100
    after = _token(next_token)
    with reading(runtime.engine) as s:
        q = select(ClProject).where(ClProject.id > after).order_by(ClProject.id)
        if names:
            q = q.where(ClProject.name.in_(list(names)))
        if features:
            q = q.where(ClProject.feature.in_(list(features)))
        rows = list(s.scalars(q.limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        datasets: dict[int, list[ClDataset]] = {}
        if rows:
            for d in s.scalars(
                select(ClDataset)
                .where(ClDataset.project_id.in_([r.id for r in rows]))
                .order_by(ClDataset.type.desc())
            ):
                datasets.setdefault(d.project_id, []).append(d)
    out = [
        ProjectInfo(
            arn=arns.project(r.name, r.created_ms),
            name=r.name,
            created_at=r.created_at,
            status=r.status,
            feature=r.feature,
            auto_update=r.auto_update,
            datasets=tuple(
                DatasetInfo(
                    arns.dataset(r.name, d.type, d.created_ms),
                    d.type,
                    d.created_at,
                    d.status,
                    d.status_message,
                    d.status_code,
                )
                for d in datasets.get(r.id, [])
            ),
        )
        for r in rows
    ]
    return out, (str(rows[-1].id) if more and rows else None)


def delete_project(runtime: Runtime, arn: str) -> str:
    """Delete a project and its datasets; Rekognition's answer, ``DELETING``.

    Raises:
        ResourceInUseError: the project still has versions (delete them first, as
            Rekognition requires).
    """
    with writing(runtime.engine) as s:
        row = find_project(s, arn)
        versions = s.scalar(
            select(func.count()).select_from(ClVersion).where(ClVersion.project_id == row.id)
        )
        if versions:
            raise ResourceInUseError(
                f"The project {arn} has {versions} version(s); delete them with "
                "DeleteProjectVersion first."
            )
        s.delete(row)
    return "DELETING"


def _token(token: str | None) -> int:
    if not token:
        return 0
    if not token.isdigit():
        raise InvalidPaginationTokenError(f"NextToken {token!r} was not issued by this server.")
    return int(token)


def project_arn(runtime: Runtime, name_or_arn: str) -> str:
    """The ARN of a project given by name (or its ARN, checked)."""
    arns = Arns.of(runtime.settings.customlabels)
    with reading(runtime.engine) as s:
        if name_or_arn.startswith("arn:"):
            row = find_project(s, name_or_arn)
        else:
            found = s.scalar(select(ClProject).where(ClProject.name == name_or_arn))
            if found is None:
                raise ResourceNotFoundError(f"There is no project named {name_or_arn!r}.")
            row = found
        return arns.project(row.name, row.created_ms)
