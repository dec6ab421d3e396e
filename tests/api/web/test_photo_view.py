"""The photo page's formatting, and its sections for analyses that ran (text,
moderation) or did not, rendered from stored documents without a server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sightline.albums.photos import PhotoInfo
from sightline.albums.results import PhotoAnalyses, StoredDocument
from sightline.albums.status import item_status
from sightline.albums.store import AlbumInfo
from sightline.api.rest.album_models import photo_model
from sightline.api.web import photo_view
from sightline.api.web.render import environment

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.004, "1/250 s"),
        (1 / 3, "1/3 s"),
        (0.0125, "1/80 s"),
        (2.5, "2.5 s"),
        (0, None),  # no exposure
        ("fast", None),  # not a number
    ],
)
def test_exposure_times_read_as_photographers_write_them(seconds: Any, text: str | None) -> None:
    assert photo_view.exposure_text(seconds) == text


def test_camera_facts_show_only_what_the_file_holds() -> None:
    facts = photo_view.camera_facts(
        {"camera": {"make": "Canon", "model": "EOS R5", "f_number": 2.8, "iso": 400}}
    )
    assert [(f.label, f.value) for f in facts] == [
        ("Camera", "Canon EOS R5"),
        ("Aperture", "f/2.8"),
        ("ISO", "400"),
    ]
    assert photo_view.camera_facts(None) == []
    gps = photo_view.gps_facts(
        {"gps": {"latitude": -33.8568, "longitude": 151.2153, "altitude": 5}}
    )
    assert gps is not None
    assert [f.value for f in gps["facts"]] == ["33.85680° S", "151.21530° E", "5.0 m"]
    assert photo_view.gps_facts({"gps": {"latitude": "x"}}) is None


def _doc(analysis: str, document: dict[str, Any]) -> StoredDocument:
    return StoredDocument(analysis, document, "output", f"sync/k-analysis/i/{analysis}.json")


def render(analyses: PhotoAnalyses, state: str = "SUCCEEDED", reason: str | None = None) -> str:
    album = AlbumInfo("a" * 32, "Trip", 1, "ann", NOW, ())
    photo = PhotoInfo(
        id="p" * 32,
        album_id=album.id,
        item_id="i" * 32,
        file_name="sign.jpg",
        uploaded_by="ann",
        uploaded_at=NOW,
        bucket="albums",
        key="k",
        media_type="image/jpeg",
        size=2048,
        workflow="image",
        analyses=("labels", "text", "moderation", "metadata"),
        status=item_status(
            "i" * 32, state, "InvalidImageFormatError" if reason else None, reason, 1
        ),
    )
    return (
        environment()
        .get_template("photo.html")
        .render(
            user=None,
            csrf_token="t",
            nav=[],
            path="/",
            album=album,
            can_edit=True,
            photo=photo,
            model=photo_model(photo, analyses),
            analyses=analyses,
            done=analyses.analyses_done(),
            overlay=photo_view.overlay(analyses),
            file_facts=photo_view.file_facts(photo, analyses.metadata),
            camera_facts=photo_view.camera_facts(analyses.metadata),
            gps=photo_view.gps_facts(analyses.metadata),
            errors={},
        )
    )


def test_text_and_moderation_sections_appear_when_they_ran() -> None:
    box = {"Left": 0.1, "Top": 0.2, "Width": 0.3, "Height": 0.1}
    analyses = PhotoAnalyses(
        {
            "DetectText": _doc(
                "text",
                {
                    "TextDetections": [
                        {
                            "Type": "LINE",
                            "DetectedText": "EXIT",
                            "Confidence": 97.0,
                            "Geometry": {"BoundingBox": box},
                        },
                        {
                            "Type": "WORD",
                            "DetectedText": "EXIT",
                            "Confidence": 97.0,
                            "Geometry": {"BoundingBox": box},
                        },
                    ]
                },
            ),
            "DetectModerationLabels": _doc("moderation", {"ModerationLabels": []}),
            "metadata": _doc(
                "metadata", {"format": "jpeg", "width": 800, "height": 600, "camera": {}}
            ),
        }
    )
    html = render(analyses)
    assert "<q>EXIT</q>" in html and html.count("<q>") == 1  # lines, not words
    assert "No unsafe content was detected." in html
    assert 'class="box box-text"' in html and 'viewBox="0 0 800 600"' in html
    assert "The file carries no camera or exposure data." in html
    assert 'id="labels-title"' not in html  # DetectLabels did not run: no Labels section


def test_a_failed_photo_shows_why() -> None:
    html = render(PhotoAnalyses(), state="FAILED", reason="The file is truncated.")
    assert "InvalidImageFormatError" in html and "The file is truncated." in html
    assert 'id="text-title"' not in html  # DetectText did not run: no Text section
    assert 'Text <span class="muted">not run</span>' in html
    assert "No preview" not in html  # a JPEG: the original is shown
