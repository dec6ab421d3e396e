"""Routing: the folder convention, configured rules, and the media type from the bytes."""

from __future__ import annotations

import pytest

from sightline.config import PipelineSettings
from sightline.errors import InvalidImageFormatError, InvalidParameterError, UnsupportedError
from sightline.pipeline.analyses import analysis_table
from sightline.pipeline.router import Router, glob_regex

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
MP4 = b"\x00\x00\x00\x20ftypisom" + b"\x00" * 52


def router(**settings: object) -> Router:
    p = PipelineSettings(**settings)  # type: ignore[arg-type]
    return Router(p, analysis_table(p))


@pytest.mark.parametrize(
    ("key", "analyses"),
    [
        ("labels/a.jpg", ("labels",)),
        ("faces/team/b.jpg", ("faces",)),
        ("text/c.png", ("text",)),
        ("moderation/d.jpg", ("moderation",)),
    ],
)
def test_first_folder_names_the_api(key: str, analyses: tuple[str, ...]) -> None:
    route = router().route("content", key, JPEG)
    assert route.ok and route.workflow == "image" and route.analyses == analyses
    assert route.media_type == "image/jpeg"


def test_celebrities_are_rejected_as_unsupported() -> None:
    route = router().route("content", "celebrities/a.jpg", JPEG)
    assert isinstance(route.rejected, UnsupportedError)
    assert "RecognizeCelebrities is not supported" in route.rejected.message
    assert "celebrities/a.jpg" in route.rejected.message


def test_unrouted_key_is_rejected_with_advice() -> None:
    route = router().route("content", "holiday.jpg", JPEG)
    assert isinstance(route.rejected, UnsupportedError)
    assert "labels/" in route.rejected.message and "pipeline.rules" in route.rejected.message
    assert router(default_analyses=["labels"]).route("content", "holiday.jpg").analyses == (
        "labels",
    )


def test_media_type_comes_from_the_bytes() -> None:
    r = router()
    video = r.route("content", "labels/clip.jpg", MP4)  # the name lies; the bytes do not
    assert video.workflow == "video" and video.analyses == ("labels",)
    assert video.media_type == "video/mp4"
    text = r.route("content", "labels/notes.jpg", b"just some text\n")
    assert isinstance(text.rejected, InvalidImageFormatError)
    assert "text, not an image or video" in text.rejected.message
    empty = r.route("content", "labels/empty.jpg", b"")
    assert empty.rejected is not None and "empty" in empty.rejected.message
    unknown = r.route("content", "labels/later.jpg", None)  # not read yet: the task sniffs
    assert unknown.ok and unknown.workflow == "image" and unknown.media_type is None


def test_rules_come_first() -> None:
    r = router(
        rules=[
            {"bucket": "scans", "prefix": "inv/", "analyses": ["text"], "priority": 5},
            {"match": "bulk/**/*.png", "analyses": ["metadata", "thumbnail"]},
            {"match": "albums/*", "workflow": "album", "analyses": ["labels"]},
        ]
    )
    inv = r.route("scans", "inv/2024/1.jpg", JPEG)
    assert (inv.analyses, inv.priority) == (("text",), 5)
    assert r.route("content", "inv/1.jpg", JPEG).rejected is not None  # other bucket
    assert r.route("content", "bulk/x/y/z.png", JPEG).analyses == ("metadata", "thumbnail")
    assert r.route("content", "bulk/z.png", JPEG).analyses == ("metadata", "thumbnail")
    assert r.route("content", "bulk/z.jpg", JPEG).rejected is not None
    album = r.route("content", "albums/a.jpg", JPEG)
    assert album.workflow == "album"
    assert r.route("content", "albums/x/a.jpg", JPEG).rejected is not None  # * stays in a folder
    # a video under a rule with its own image workflow still goes to the video workflow
    assert r.route("content", "albums/a.mp4", MP4).workflow == "video"


@pytest.mark.parametrize(
    ("pattern", "key", "fits"),
    [
        ("*.jpg", "a.jpg", True),
        ("*.jpg", "x/a.jpg", False),  # * does not cross folders
        ("**/*.jpg", "a.jpg", True),  # **/ may be empty
        ("**/*.jpg", "x/y/a.jpg", True),
        ("x/**", "x/y/z", True),
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
        ("a+b(1).jpg", "a+b(1).jpg", True),  # regex characters are literal
    ],
)
def test_glob(pattern: str, key: str, fits: bool) -> None:
    assert (glob_regex(pattern).match(key) is not None) is fits


def test_bad_rules_fail_at_start() -> None:
    with pytest.raises(InvalidParameterError, match="unknown analyses"):
        router(rules=[{"prefix": "x/", "analyses": ["celebrities"]}])
    with pytest.raises(InvalidParameterError, match="neither analyses nor a workflow"):
        router(rules=[{"prefix": "x/"}])
    with pytest.raises(InvalidParameterError, match="default_analyses"):
        router(default_analyses=["nope"])


def test_a_rule_naming_a_workflow_definition_routes_to_the_workflow_kind() -> None:
    r = router(rules=[{"prefix": "album/", "workflow": "image-album"}])
    route = r.route("content", "album/a.jpg", JPEG)
    assert (route.workflow, route.task_kind, route.media_type) == (
        "image-album",
        "workflow",
        "image/jpeg",
    )
    # bytes that are no medium are the workflow's to judge (it records the failure)
    notes = r.route("content", "album/notes.jpg", b"plain text")
    assert notes.ok and (notes.task_kind, notes.media_type) == ("workflow", None)
    # videos still go to the video workflow, and unread bytes to the workflow kind
    assert r.route("content", "album/clip.jpg", MP4).task_kind == "video"
    assert r.route("content", "album/later.jpg").task_kind == "workflow"
    # a task kind is still a task kind
    plain = router(rules=[{"prefix": "x/", "workflow": "image"}]).route("content", "x/a.jpg", JPEG)
    assert (plain.workflow, plain.task_kind) == ("image", "image")
