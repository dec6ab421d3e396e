"""Request bodies that carry images: a multipart upload or JSON, on the same route.

A route that analyses images accepts either ``multipart/form-data`` with one file per
image field (``image``; ``source`` and ``target``), or ``application/json`` whose image
fields are ``{"bytes": <base64>}`` or ``{"s3_object": {"bucket", "name", "version"}}``
(an object in Sightline's store) and which may carry other members (``face_id``). Both
become Rekognition ``Image`` members, so the face service treats them exactly as it
treats ``Image.Bytes`` and ``Image.S3Object`` from the wire, with the same limits
(``limits.max_bytes`` for bytes, ``limits.max_object_bytes`` for objects).

FastAPI declares one body type per route, so both are declared here through
``openapi_extra`` (:func:`openapi`), with the JSON model's schema inlined.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pydantic
from starlette.datastructures import UploadFile
from starlette.requests import Request

from sightline.api.rekognition.wire import parse_json, read_body
from sightline.api.rest.collection_models import ImageRef
from sightline.api.services import ApiServices
from sightline.errors import ImageTooLargeError, InvalidParameterError

MULTIPART = "multipart/form-data"
JSON = "application/json"


@dataclass(frozen=True)
class ImageBody:
    images: dict[str, dict[str, Any]]  # field name -> Rekognition ``Image`` member
    fields: dict[str, Any]  # the JSON body's other members (face_id, user_id)


def openapi(model: type[pydantic.BaseModel], files: Sequence[str]) -> dict[str, Any]:
    """``openapi_extra`` declaring the two bodies: ``files`` uploads, or ``model`` as JSON."""
    upload = {"type": "string", "format": "binary", "description": "An image file"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                MULTIPART: {
                    "schema": {
                        "type": "object",
                        "properties": {name: upload for name in files},
                        "required": list(files),
                    }
                },
                JSON: {"schema": _inline(model.model_json_schema())},
            },
        }
    }


async def read_image_body(
    request: Request,
    services: ApiServices,
    model: type[pydantic.BaseModel],
    files: Sequence[str],
) -> ImageBody:
    """The images (and other JSON members) of the request, by its Content-Type.

    Raises:
        InvalidParameterError: another Content-Type, missing or unknown fields, a field
            that is not a file, bad base64, or a JSON body that does not match ``model``.
        ImageTooLargeError: an uploaded file over ``limits.max_bytes``.
        SerializationError: a JSON body that is not JSON.
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == MULTIPART:
        return ImageBody(await _uploads(request, services, files), {})
    if media == JSON or media.endswith("+json"):
        body = await read_body(request, services.settings.server.max_body_bytes)
        try:
            parsed = model.model_validate(parse_json(body))
        except pydantic.ValidationError as exc:
            raise InvalidParameterError(_describe(exc)) from exc
        images = {
            name: image_member(ref, name)
            for name in files
            if isinstance(ref := getattr(parsed, name), ImageRef)
        }
        return ImageBody(images, parsed.model_dump(exclude_none=True, exclude=set(files)))
    raise InvalidParameterError(
        f"Send the image as {MULTIPART} (a file field named {' and '.join(files)}) or as "
        f'{JSON} ({{"{files[0]}": {{"bytes": <base64>}}}} or {{"s3_object": ...}}); '
        f"Content-Type {media or 'none'!r} is neither."
    )


async def _uploads(
    request: Request, services: ApiServices, files: Sequence[str]
) -> dict[str, dict[str, Any]]:
    limit = services.settings.limits.max_bytes
    images: dict[str, dict[str, Any]] = {}
    async with request.form() as form:
        unknown = sorted(set(form.keys()) - set(files))
        if unknown:
            raise InvalidParameterError(
                f"Unknown form field {unknown[0]!r}; this route takes {', '.join(files)}."
            )
        for name in files:
            parts = form.getlist(name)
            if len(parts) != 1 or not isinstance(parts[0], UploadFile):
                raise InvalidParameterError(f"The form needs exactly one file named {name!r}.")
            data = await parts[0].read(limit + 1)
            if len(data) > limit:
                raise ImageTooLargeError(
                    f"The {name!r} file is larger than {limit:,} bytes, the limit for images "
                    "sent in a request (settings.limits.max_bytes)."
                )
            images[name] = {"Bytes": data}
    return images


def image_member(ref: ImageRef, name: str) -> dict[str, Any]:
    """A JSON image as Rekognition's ``Image`` member."""
    if (ref.data is None) == (ref.s3_object is None):
        raise InvalidParameterError(f"{name} needs exactly one of bytes or s3_object.")
    if ref.data is not None:
        try:
            return {"Bytes": base64.b64decode(ref.data, validate=True)}
        except (binascii.Error, ValueError) as exc:
            raise InvalidParameterError(f"{name}.bytes is not valid base64.") from exc
    assert ref.s3_object is not None
    obj = {"Bucket": ref.s3_object.bucket, "Name": ref.s3_object.name}
    if ref.s3_object.version is not None:
        obj["Version"] = ref.s3_object.version
    return {"S3Object": obj}


def _describe(exc: pydantic.ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}."


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` references replaced by the definitions themselves
    (inlined into an OpenAPI document, ``#/$defs/...`` would point nowhere)."""
    defs: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return {**resolve(defs[ref.removeprefix("#/$defs/")]), **resolve(rest)}
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    result: dict[str, Any] = resolve(schema)
    return result
