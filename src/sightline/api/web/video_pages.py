"""Video pages: the jobs a user may see with their progress, uploads that start jobs,
and a video's timeline of labels, faces and people.

``/videos`` lists videos (their jobs, status, frames done of expected) and the upload
form; ``/videos/{job id}`` shows that job's video: every job on it the viewer may
see, and once one has finished, the timeline. Both refresh themselves while a job
runs (``static/live.js`` fetching ``.../live``, the same template's fragment).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from starlette.responses import Response

from sightline.accounts.actor import Actor
from sightline.albums.videos import ANALYSES, DEFAULT_ANALYSES, VideoLibrary
from sightline.api.errors import rest_status
from sightline.api.web.auth import PageActor, csrf
from sightline.api.web.context import WebContext
from sightline.api.web.render import page_router, renderer, see_other
from sightline.errors import SightlineError
from sightline.people.registry import person_external_id

JobId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")]
REFRESH_SECONDS = 2


def video_pages(ctx: WebContext) -> APIRouter:
    router = page_router()
    library = VideoLibrary(ctx.services.runtime)
    people = ctx.people

    def list_context(actor: Actor) -> dict[str, Any]:
        videos = library.visible(actor)
        return {
            "videos": videos,
            "running": any(not v.finished for v in videos),
            "analyses": ANALYSES,
        }

    def list_page(
        request: Request,
        actor: Actor,
        errors: dict[str, str] | None = None,
        chosen: list[str] | None = None,
        status: int = 400,
    ) -> Response:
        return renderer(request).page(
            request,
            "videos.html",
            {
                **list_context(actor),
                "errors": errors or {},
                "chosen": chosen if chosen is not None else list(DEFAULT_ANALYSES),
                "people_registered": library.has_collection(people.collection),
                "limit": ctx.services.settings.video.max_object_bytes,
            },
            status=status if errors else 200,
        )

    def video_context(actor: Actor, job_id: str) -> dict[str, Any]:
        job = library.job(actor, job_id)
        video = library.video_of(actor, job)
        names = (
            {person_external_id(p.id): p.name for p in people.everyone()}
            if any(j.api == "FaceSearch" for j in video.jobs)
            else {}
        )
        return {
            "job": job,
            "video": video,
            "timeline": library.timeline(video, names),
            "running": not video.finished,
        }

    @router.get("/videos")
    def videos(request: Request, actor: PageActor) -> Response:
        return list_page(request, actor)

    @router.get("/videos/live")
    def videos_live(request: Request, actor: PageActor) -> Response:
        context = list_context(actor)
        return _live(renderer(request).page(request, "_video_list.html", context), context)

    @router.post("/videos", dependencies=[Depends(csrf)])
    def upload(
        request: Request,
        actor: PageActor,
        video: Annotated[UploadFile | None, File()] = None,
        analyses: Annotated[list[str] | None, Form()] = None,
    ) -> Response:
        chosen = [a for a in analyses or [] if a]
        errors: dict[str, str] = {}
        if not chosen:
            errors["analyses"] = "Choose at least one analysis to run on the video."
        elif any(a not in ANALYSES for a in chosen):
            errors["analyses"] = "Choose analyses from the list."
        elif "face-search" in chosen and not library.has_collection(people.collection):
            errors["analyses"] = (
                "Nobody is registered yet: register people before searching videos for them."
            )
        if video is None or not video.filename:
            errors["video"] = "Choose a video file to upload."
        if errors:
            return list_page(request, actor, errors, chosen)
        assert video is not None and video.filename
        try:
            jobs = library.upload(actor, video.filename, video.file, chosen)
        except SightlineError as exc:
            status = rest_status(exc)
            if status in (401, 403, 404):
                raise
            return list_page(request, actor, {"video": exc.message}, chosen, status)
        return see_other(f"/videos/{jobs[0].job_id}")

    @router.get("/videos/{job_id}")
    def video_page(request: Request, actor: PageActor, job_id: JobId) -> Response:
        return renderer(request).page(request, "video.html", video_context(actor, job_id))

    @router.get("/videos/{job_id}/live")
    def video_live(request: Request, actor: PageActor, job_id: JobId) -> Response:
        context = video_context(actor, job_id)
        return _live(renderer(request).page(request, "_video_detail.html", context), context)

    return router


def _live(response: Response, context: dict[str, Any]) -> Response:
    response.headers["X-Live-Active"] = "true" if context["running"] else "false"
    return response
