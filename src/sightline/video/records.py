"""A job's result records and the Get* pages over them.

Records are immutable once a job has finished (they are written in the transaction that
marks it SUCCEEDED), so a page is an offset into one fixed order: every record appears
exactly once across the pages of one ``SortBy``/``AggregateBy`` view. The ``NextToken``
carries the job, the view and the offset, so a token cannot be replayed against another
job or another order.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, select

from sightline.db.models.video import VideoRecord
from sightline.errors import InvalidPaginationTokenError

R = cast(Table, VideoRecord.__table__)
# Rekognition's Get* default and largest page.
DEFAULT_PAGE = 1000
MAX_PAGE = 1000


@dataclass(frozen=True)
class Record:
    """One entry of a Get* result list, in Rekognition's shape, with its sort keys."""

    timestamp_ms: int
    record: dict[str, Any]
    name: str = ""  # label name (SortBy NAME)
    person: int = -1  # person index (SortBy INDEX)


def insert_records(
    conn: Connection, job_id: str, aggregation: str, records: Sequence[Record]
) -> None:
    """Store ``records`` in their natural order (seq = position)."""
    rows = [
        {
            "job_id": job_id,
            "aggregation": aggregation,
            "seq": seq,
            "timestamp_ms": r.timestamp_ms,
            "name": r.name[:255],
            "person": r.person,
            "record": r.record,
        }
        for seq, r in enumerate(records)
    ]
    for start in range(0, len(rows), 2000):
        conn.execute(R.insert(), rows[start : start + 2000])


def encode_token(job_id: str, view: str, offset: int) -> str:
    raw = json.dumps({"j": job_id, "v": view, "o": offset}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str, job_id: str, view: str) -> int:
    """The offset in ``token``; refuses a token of another job or another order."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = int(data["o"])
        same = data["j"] == job_id and data["v"] == view
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidPaginationTokenError(
            "NextToken is not a token this server gave out for this job."
        ) from exc
    if not same or offset < 0:
        raise InvalidPaginationTokenError(
            "NextToken belongs to another job, SortBy or AggregateBy; start again without it."
        )
    return offset


def page(
    conn: Connection,
    job_id: str,
    *,
    aggregation: str,
    sort: str,
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a job's records and the token of the next (None: this is the last)."""
    size = min(max(1, max_results or DEFAULT_PAGE), MAX_PAGE)
    view = f"{aggregation}:{sort}"
    offset = decode_token(next_token, job_id, view) if next_token else 0
    order = {
        "NAME": (R.c.name, R.c.timestamp_ms, R.c.seq),
        "INDEX": (R.c.person, R.c.timestamp_ms, R.c.seq),
    }.get(sort, (R.c.timestamp_ms, R.c.seq))
    rows = conn.execute(
        select(R.c.record)
        .where(R.c.job_id == job_id, R.c.aggregation == aggregation)
        .order_by(*order)
        .offset(offset)
        .limit(size + 1)
    ).all()
    more = len(rows) > size
    records = [dict(r.record) for r in rows[:size]]
    return records, encode_token(job_id, view, offset + size) if more else None
