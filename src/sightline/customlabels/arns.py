"""Rekognition-style ARNs for projects, datasets and versions.

``arn:aws:rekognition:{region}:{account}:project/{name}/{created_ms}``, with
``/dataset/{train|test}/{created_ms}`` or ``/version/{version}/{created_ms}`` appended
to the project part, exactly as botocore's patterns expect. The region and account come
from ``customlabels.arn_region`` / ``arn_account``; the trailing number is the creation
time in milliseconds, so a project deleted and created again under the same name gets a
new ARN and old ARNs stop resolving.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sightline.config import CustomLabelsSettings
from sightline.errors import InvalidParameterError

NAME = r"[a-zA-Z0-9_.\-]{1,255}"
_PROJECT = re.compile(rf"^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{{12}}:project/({NAME})/(\d+)$")
_VERSION = re.compile(
    rf"^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{{12}}:project/({NAME})/version/({NAME})/(\d+)$"
)
_DATASET = re.compile(
    rf"^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{{12}}:project/({NAME})/dataset/(train|test)/(\d+)$"
)
NAME_RE = re.compile(rf"^{NAME}$")


@dataclass(frozen=True)
class Arns:
    """Builds ARNs for one installation's region and account."""

    region: str
    account: str

    @classmethod
    def of(cls, settings: CustomLabelsSettings) -> Arns:
        return cls(settings.arn_region, settings.arn_account)

    def _base(self) -> str:
        return f"arn:aws:rekognition:{self.region}:{self.account}"

    def project(self, name: str, created_ms: int) -> str:
        return f"{self._base()}:project/{name}/{created_ms}"

    def version(self, project: str, version: str, created_ms: int) -> str:
        return f"{self._base()}:project/{project}/version/{version}/{created_ms}"

    def dataset(self, project: str, kind: str, created_ms: int) -> str:
        return f"{self._base()}:project/{project}/dataset/{kind.lower()}/{created_ms}"


@dataclass(frozen=True)
class ProjectRef:
    name: str
    created_ms: int


@dataclass(frozen=True)
class VersionRef:
    project: str
    name: str
    created_ms: int


@dataclass(frozen=True)
class DatasetRef:
    project: str
    type: str  # TRAIN | TEST
    created_ms: int


def parse_project(arn: str) -> ProjectRef:
    m = _PROJECT.match(arn)
    if m is None:
        raise InvalidParameterError(f"{arn!r} is not a project ARN.")
    return ProjectRef(m.group(1), int(m.group(2)))


def parse_version(arn: str) -> VersionRef:
    m = _VERSION.match(arn)
    if m is None:
        raise InvalidParameterError(f"{arn!r} is not a project version ARN.")
    return VersionRef(m.group(1), m.group(2), int(m.group(3)))


def parse_dataset(arn: str) -> DatasetRef:
    m = _DATASET.match(arn)
    if m is None:
        raise InvalidParameterError(f"{arn!r} is not a dataset ARN.")
    return DatasetRef(m.group(1), m.group(2).upper(), int(m.group(3)))


def check_name(name: str, what: str) -> str:
    """``name`` if it is a valid project or version name (1-255 of ``[a-zA-Z0-9_.-]``)."""
    if not NAME_RE.match(name):
        raise InvalidParameterError(
            f"{what} {name!r} is invalid: use 1-255 letters, digits, '_', '.' or '-'."
        )
    return name
