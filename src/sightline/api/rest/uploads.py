"""``POST /api/v1/uploads``: multipart files into the object store and the catalog.

Each file goes through the pipeline's :func:`~sightline.pipeline.ingest.upload`, which
stores it and records its version at once, so an upload is queued for analysis exactly
as a file dropped into the watched bucket is (the key's first folder picks the analyses:
``labels/``, ``faces/``, ...). The multipart body is spooled by the server (in memory up
to 1 MB per file, then in a temporary file) and streamed from there to the store, so no
upload is ever held whole in memory.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from sightline.api.rest.models import UploadedItem, UploadResponse
from sightline.api.services import ApiServices
from sightline.config import ApiSettings
from sightline.errors import InvalidParameterError, RequestTooLargeError
from sightline.pipeline.ingest import upload
from sightline.storage import check_bucket, check_key


def uploads_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/uploads", tags=["uploads"])
    settings = services.settings

    @router.post("", response_model=UploadResponse, status_code=201, summary="Upload files")
    def upload_files(
        files: Annotated[list[UploadFile], File(description="One or more files")],
        bucket: Annotated[
            str | None, Form(description="Target bucket; default: the watched input bucket")
        ] = None,
        prefix: Annotated[
            str, Form(max_length=900, description="Key prefix, e.g. 'faces/' or 'album/2024/'")
        ] = "",
    ) -> UploadResponse:
        """Store each file at ``prefix + filename`` and queue it for analysis."""
        check_upload_files(files, settings.api)
        target = check_bucket(bucket or settings.pipeline.input_bucket)
        planned = [(f, check_key(_key(prefix, f))) for f in files]
        services.store.ensure_bucket(target)
        items = []
        for f, key in planned:
            recorded = upload(
                services.store,
                services.runtime.catalog,
                target,
                key,
                f.file,
                content_type=f.content_type,
                source="api",
            )
            items.append(
                UploadedItem(
                    bucket=recorded.bucket,
                    key=recorded.key,
                    item_id=recorded.item_id,
                    new=recorded.new,
                    status=recorded.status,
                    workflow=recorded.workflow,
                    reason=recorded.reason,
                )
            )
        return UploadResponse(items=items)

    return router


def check_upload_files(files: Sequence[UploadFile], api: ApiSettings) -> None:
    """Refuse more files than ``api.max_images_per_request`` or a file over
    ``api.max_upload_bytes`` (the web app's album uploads check the same).

    Raises:
        InvalidParameterError, RequestTooLargeError.
    """
    limit = api.max_images_per_request
    if len(files) > limit:
        raise InvalidParameterError(
            f"{len(files)} files in one upload; at most {limit} are accepted "
            "(settings.api.max_images_per_request)."
        )
    for f in files:
        if f.size is not None and f.size > api.max_upload_bytes:
            raise RequestTooLargeError(
                f"{f.filename} is {f.size:,} bytes; uploads are limited to "
                f"{api.max_upload_bytes:,} bytes (settings.api.max_upload_bytes)."
            )


def _key(prefix: str, upload_file: UploadFile) -> str:
    # Browsers send a bare name; other clients may send a path: keep its last part only,
    # so a file can never choose its own folder (and with it, its analyses) by its name.
    name = posixpath.basename((upload_file.filename or "").replace("\\", "/"))
    if not name or name in (".", ".."):
        raise InvalidParameterError("Every uploaded file needs a file name.")
    return f"{prefix}{name}"
