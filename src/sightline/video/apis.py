"""The stored-video operations: one table entry per Rekognition Start*/Get* pair.

Each entry says what the Get* response calls its result list, which ``SortBy`` values it
takes (the first is the default), whether it offers ``AggregateBy``, whether the person
filter applies (face analyses), and which pipeline analysis routes to it. Everything
else (validation of members, shapes) follows botocore's service model.
"""

from __future__ import annotations

from dataclasses import dataclass

from sightline.errors import InvalidParameterError

TIMESTAMPS = "TIMESTAMPS"
SEGMENTS = "SEGMENTS"


@dataclass(frozen=True)
class VideoApi:
    name: str  # "LabelDetection": Start{name} and Get{name}
    results: str  # the Get* response's list member
    sorts: tuple[str, ...] = ()  # allowed SortBy values, default first; () = by time only
    aggregates: bool = False  # AggregateBy TIMESTAMPS | SEGMENTS
    gated: bool = False  # the person filter decides which frames are analysed
    model_member: str | None = None  # the response's model-version member

    @property
    def start_operation(self) -> str:
        return f"Start{self.name}"

    @property
    def get_operation(self) -> str:
        return f"Get{self.name}"


LABELS = VideoApi(
    "LabelDetection",
    "Labels",
    ("TIMESTAMP", "NAME"),
    aggregates=True,
    model_member="LabelModelVersion",
)
FACES = VideoApi("FaceDetection", "Faces", gated=True)
FACE_SEARCH = VideoApi("FaceSearch", "Persons", ("TIMESTAMP", "INDEX"), gated=True)
PEOPLE = VideoApi("PersonTracking", "Persons", ("TIMESTAMP", "INDEX"))
TEXT = VideoApi("TextDetection", "TextDetections", model_member="TextModelVersion")
MODERATION = VideoApi(
    "ContentModeration",
    "ModerationLabels",
    ("TIMESTAMP", "NAME"),
    aggregates=True,
    model_member="ModerationModelVersion",
)
SEGMENT_DETECTION = VideoApi("SegmentDetection", "Segments")

APIS: dict[str, VideoApi] = {
    api.name: api
    for api in (LABELS, FACES, FACE_SEARCH, PEOPLE, TEXT, MODERATION, SEGMENT_DETECTION)
}

# The image pipeline's analyzer names and the video operation each means for a video:
# the folder convention (labels/, faces/, text/, moderation/) picks the API.
ANALYZER_APIS: dict[str, str] = {
    "labels": LABELS.name,
    "faces": FACES.name,
    "text": TEXT.name,
    "moderation": MODERATION.name,
    "person": PEOPLE.name,
}


def api_named(name: str) -> VideoApi:
    """The API called ``name`` (``LabelDetection``), or ``InvalidParameterError``."""
    found = APIS.get(name)
    if found is None:
        raise InvalidParameterError(
            f"{name!r} is not a stored-video operation; choose from {', '.join(sorted(APIS))}."
        )
    return found


def api_for_operation(operation: str) -> VideoApi:
    """The API of a ``Start*`` or ``Get*`` operation name."""
    for prefix in ("Start", "Get"):
        if operation.startswith(prefix):
            return api_named(operation[len(prefix) :])
    raise InvalidParameterError(f"{operation!r} is not a stored-video operation.")


def sort_order(api: VideoApi, sort_by: str | None) -> str:
    """The effective ``SortBy`` (``TIMESTAMP`` for APIs that take none)."""
    if sort_by is None:
        return api.sorts[0] if api.sorts else "TIMESTAMP"
    if sort_by not in api.sorts:
        allowed = ", ".join(api.sorts) or "none"
        raise InvalidParameterError(
            f"{api.get_operation} cannot sort by {sort_by!r}; SortBy values: {allowed}."
        )
    return sort_by


def aggregation(api: VideoApi, aggregate_by: str | None) -> str:
    """The effective ``AggregateBy``: TIMESTAMPS unless the API offers SEGMENTS."""
    if aggregate_by is None or aggregate_by == TIMESTAMPS:
        return TIMESTAMPS
    if aggregate_by == SEGMENTS and api.aggregates:
        return SEGMENTS
    raise InvalidParameterError(
        f"{api.get_operation} cannot aggregate by {aggregate_by!r}."
        + (" Use TIMESTAMPS or SEGMENTS." if api.aggregates else " It takes no AggregateBy.")
    )
