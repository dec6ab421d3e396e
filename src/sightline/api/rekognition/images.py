"""Rekognition's ``Image`` member: inline ``Bytes`` or an ``S3Object`` in our object store.

``Bytes`` are limited by ``limits.max_bytes`` (Rekognition's 5 MiB by default) and
objects by ``limits.max_object_bytes`` (15 MiB), as Rekognition limits them. An object
is read through the configured :class:`~sightline.storage.ObjectStore` with at most
``max_object_bytes + 1`` bytes held, so an oversized object costs no more than the limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sightline.config import ImageLimits
from sightline.errors import ImageTooLargeError, InvalidParameterError, InvalidS3ObjectError
from sightline.media.decode import decode_image
from sightline.media.image import Image
from sightline.storage import ObjectStore


def image_bytes(
    member: Mapping[str, Any], store: ObjectStore, limits: ImageLimits, name: str = "Image"
) -> tuple[bytes, int]:
    """The file bytes of an ``Image`` member and the byte limit that applies to them.

    ``name`` is the member's name in the request (``SourceImage``), for messages.

    Raises:
        InvalidParameterError: neither or both of ``Bytes`` and ``S3Object``.
        InvalidS3ObjectError: the object is missing or not the requested version.
        ImageTooLargeError: the object is over ``limits.max_object_bytes``.
    """
    has_bytes, has_object = "Bytes" in member, "S3Object" in member
    if has_bytes == has_object:
        raise InvalidParameterError(
            f"{name} must have exactly one of Bytes (base64 image data) or S3Object "
            f"{{Bucket, Name}}; it has {'both' if has_bytes else 'neither'}."
        )
    if has_bytes:
        return member["Bytes"], limits.max_bytes
    data = read_object(member["S3Object"], store, limits.max_object_bytes, f"{name}.S3Object")
    return data, limits.max_object_bytes


def load_image(
    member: Mapping[str, Any],
    store: ObjectStore,
    limits: ImageLimits,
    *,
    max_side: int | None,
    name: str = "Image",
) -> Image:
    """The decoded, upright image of an ``Image`` member, at most ``max_side`` a side."""
    data, max_bytes = image_bytes(member, store, limits, name)
    return decode_image(data, limits, max_side=max_side, max_bytes=max_bytes)


def read_object(
    obj: Mapping[str, Any], store: ObjectStore, limit: int, name: str = "S3Object"
) -> bytes:
    """The bytes of an ``S3Object {Bucket, Name, Version}`` member, at most ``limit``.

    Raises:
        InvalidParameterError: Bucket or Name missing.
        InvalidS3ObjectError: no such object (``ObjectNotFoundError``), or ``Version``
            is not the object's current version.
        ImageTooLargeError: the object holds more than ``limit`` bytes.
    """
    bucket, key = obj.get("Bucket"), obj.get("Name")
    if not bucket or not key:
        raise InvalidParameterError(f"{name} needs both Bucket and Name.")
    where = f"s3://{bucket}/{key}"
    version = obj.get("Version")
    if version is not None:
        current = store.head(bucket, key).version_id
        if current != version:
            raise InvalidS3ObjectError(
                f"Version {version!r} of {where} cannot be read: Sightline reads the current "
                f"version of an object, which is {current!r}."
            )
    with store.open(bucket, key) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ImageTooLargeError(
            f"{where} is larger than {limit:,} bytes, the limit for images read from storage "
            "(settings.limits.max_object_bytes)."
        )
    return data
