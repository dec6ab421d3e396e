"""S3 event notifications, as AWS S3 and MinIO send them.

Accepted bodies: the notification itself (``{"Records": [...]}``, AWS and MinIO), the
same wrapped in an SNS envelope (``{"Type": "Notification", "Message": "<json>"}``),
and S3's ``s3:TestEvent``. Object keys arrive URL-encoded with ``+`` for spaces (as
in an HTML form), so they are decoded with ``unquote_plus``. Only ``ObjectCreated:*``
records become work; removals are reported as ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from sightline.errors import InvalidParameterError


@dataclass(frozen=True)
class ObjectEvent:
    bucket: str
    key: str
    event: str  # e.g. "ObjectCreated:Put"
    size: int | None = None
    etag: str | None = None
    version_id: str | None = None


def parse_s3_event(body: Any) -> tuple[list[ObjectEvent], int]:
    """The object-created events in ``body``, and how many records were ignored.

    Raises:
        InvalidParameterError: the body is not an S3 event notification.
    """
    if isinstance(body, dict) and body.get("Type") == "Notification" and "Message" in body:
        try:
            body = json.loads(body["Message"])
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError("The SNS notification's Message is not JSON.") from exc
    if isinstance(body, dict) and body.get("Event") == "s3:TestEvent":
        return [], 1
    if not isinstance(body, dict) or not isinstance(body.get("Records"), list):
        raise InvalidParameterError(
            "Expected an S3 event notification: a JSON object with a 'Records' list."
        )
    events: list[ObjectEvent] = []
    ignored = 0
    for n, record in enumerate(body["Records"]):
        name = str(record.get("eventName", "")) if isinstance(record, dict) else ""
        name = name.removeprefix("s3:")
        if not name.startswith("ObjectCreated:"):
            ignored += 1
            continue
        try:
            s3 = record["s3"]
            bucket = str(s3["bucket"]["name"])
            obj = s3["object"]
            key = unquote_plus(str(obj["key"]))
        except (KeyError, TypeError) as exc:
            raise InvalidParameterError(
                f"Records[{n}] lacks s3.bucket.name or s3.object.key."
            ) from exc
        size = obj.get("size")
        etag = obj.get("eTag") or obj.get("etag")
        events.append(
            ObjectEvent(
                bucket=bucket,
                key=key,
                event=name,
                size=int(size) if isinstance(size, (int, float)) else None,
                etag=str(etag).strip('"') if etag else None,
                version_id=str(obj["versionId"]) if obj.get("versionId") else None,
            )
        )
    return events, ignored
