"""Album photos are routed by the built-in rule of the album bucket."""

from __future__ import annotations

import pytest

from sightline.config import PipelineSettings, WebSettings
from sightline.errors import InvalidParameterError
from sightline.pipeline.analyses import analysis_table
from sightline.pipeline.router import IMAGE_WORKFLOW, WORKFLOW_KIND, Router

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def router(web: WebSettings, pipeline: PipelineSettings | None = None) -> Router:
    p = pipeline or PipelineSettings()
    return Router(p, analysis_table(p), [web.album_rule()])


def test_album_photos_run_the_album_workflow() -> None:
    route = router(WebSettings()).route("albums", "a/p/x.png", PNG)
    assert (route.workflow, route.task_kind) == ("image-album", WORKFLOW_KIND)
    # Bytes that are no image go to the workflow too: it says why it stops.
    text = router(WebSettings()).route("albums", "a/p/x.jpg", b"just some text, honestly")
    assert text.ok and text.task_kind == WORKFLOW_KIND


def test_without_a_workflow_album_photos_get_the_album_analyses() -> None:
    web = WebSettings(album_workflow=None, album_analyses=["labels", "thumbnail"])
    route = router(web).route("albums", "a/p/x.png", PNG)
    assert (route.task_kind, route.analyses) == (IMAGE_WORKFLOW, ("labels", "thumbnail"))


def test_the_album_rule_comes_before_configured_rules() -> None:
    pipeline = PipelineSettings(rules=[{"match": "**", "analyses": ["metadata"]}])
    assert (
        router(WebSettings(), pipeline).route("albums", "a/p/x.png", PNG).workflow == "image-album"
    )
    assert router(WebSettings(), pipeline).route("content", "x.png", PNG).analyses == ("metadata",)


def test_an_unknown_album_workflow_is_refused_at_start() -> None:
    with pytest.raises(InvalidParameterError, match=r"web\.album_workflow"):
        router(WebSettings(album_workflow="no-such-flow"))
