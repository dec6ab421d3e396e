"""The live status of an album's photos as Server-Sent Events.

``GET /api/v1/albums/{id}/events`` streams, for each photo whose status changed since
the stream began (all of them at first), an ``event: photo`` whose data is the photo
as the JSON API shows it (:class:`~sightline.api.rest.album_models.PhotoModel`: state,
run id, reason, tags, thumbnail URL), and ``event: removed`` (data: the photo id) for
photos deleted meanwhile. Workers are other processes, so the stream reads the
database every ``web.status_poll_seconds``: one indexed query for the album's
photos; documents are read only for photos that have just completed.

A stream ends after ``web.stream_seconds`` (the browser's EventSource reconnects at
once and gets a fresh snapshot) so a server shutting down never waits on an endless
response; a comment line every few seconds reveals a vanished client. When the album
is deleted or no longer visible to the caller, ``event: gone`` ends it for good.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi.concurrency import run_in_threadpool

from sightline.accounts.actor import Actor
from sightline.albums.photos import PhotoInfo
from sightline.albums.results import PhotoAnalyses
from sightline.albums.service import AlbumService
from sightline.albums.status import PhotoState
from sightline.api.rest.album_models import photo_model
from sightline.config import WebSettings
from sightline.errors import ResourceNotFoundError

TILE_DOCUMENTS = ("DetectLabels", "DetectFaces", "thumbnail")
_KEEPALIVE_SECONDS = 5.0
_RETRY_MS = 1000


def _signature(photo: PhotoInfo) -> tuple[object, ...]:
    s = photo.status
    return (s.state, s.run_id, s.error, s.reason, s.attempts, s.failed_step)


def _event(name: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {name}\n{lines}\n"


async def photo_events(
    albums: AlbumService, actor: Actor, album_id: str, settings: WebSettings
) -> AsyncIterator[str]:
    """The event stream of one album for ``actor`` (who may view it: checked before)."""
    yield f"retry: {_RETRY_MS}\n\n"
    sent: dict[str, tuple[object, ...]] = {}
    started = last_write = time.monotonic()
    while True:
        try:
            _, photos = await run_in_threadpool(albums.photos_of, actor, album_id)
        except ResourceNotFoundError:
            yield _event("gone", album_id)
            return
        changed = [p for p in photos if sent.get(p.id) != _signature(p)]
        done = [p for p in changed if p.status.state is PhotoState.COMPLETED]
        analyses: dict[str, PhotoAnalyses] = (
            await run_in_threadpool(albums.analyses, done, TILE_DOCUMENTS) if done else {}
        )
        for photo in changed:
            model = photo_model(photo, analyses.get(photo.id))
            yield _event("photo", model.model_dump_json())
            sent[photo.id] = _signature(photo)
        current = {p.id for p in photos}
        for gone in [pid for pid in sent if pid not in current]:
            yield _event("removed", json.dumps(gone))
            del sent[gone]
        now = time.monotonic()
        if changed:
            last_write = now
        elif now - last_write >= _KEEPALIVE_SECONDS:
            yield ": keepalive\n\n"
            last_write = now
        if now - started >= settings.stream_seconds:
            return
        await asyncio.sleep(settings.status_poll_seconds)
