"""Where results go: ``response.json`` in the output bucket and the results table.

Layout (the reference pipeline's)::

    <output bucket>/<output_prefix>{key}-analysis/{itemId}/response.json

For an item with one analysis, ``response.json`` is exactly that analysis's document:
the Rekognition operation's response (DetectLabels, DetectFaces, ...) or, for
``metadata``/``thumbnail``, Sightline's own document. For an item with several
analyses (a configured rule), ``response.json`` maps each operation name (or the
analysis name when it has no operation) to its document, e.g.
``{"DetectLabels": {...}, "metadata": {...}}``, and each document is also written
alone as ``{analysis}.json`` beside it. Extra files (thumbnails) go beside them too.

Results rows are keyed by (item, analysis, model version): a task that runs twice
writes the same objects again (same keys, same bytes) and stores its row once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from sightline.config import PipelineSettings
from sightline.db.base import utcnow
from sightline.db.bulk import insert_ignore
from sightline.db.models.pipeline import Result
from sightline.pipeline.analyzer_set import AnalysisOutput
from sightline.pipeline.delivery import enqueue_records
from sightline.storage.base import ObjectStore

R = cast(Table, Result.__table__)
RESPONSE = "response.json"


def analysis_prefix(output_prefix: str, key: str, item_id: str) -> str:
    """``sync/{key}-analysis/{itemId}/`` for ``output_prefix`` ``sync/``."""
    return f"{output_prefix}{key}-analysis/{item_id}/"


def response_key(output_prefix: str, key: str, item_id: str) -> str:
    return analysis_prefix(output_prefix, key, item_id) + RESPONSE


@dataclass(frozen=True)
class StoredResult:
    analysis: str
    operation: str | None
    model_version: str
    output_key: str  # the object holding exactly this analysis's document
    response: dict[str, Any] | None  # None when over the inline limit


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class OutputWriter:
    """Writes an item's documents to the output bucket and records them."""

    def __init__(self, store: ObjectStore, settings: PipelineSettings) -> None:
        self.store = store
        self.settings = settings

    def write(
        self, item_id: str, key: str, outputs: Sequence[AnalysisOutput]
    ) -> list[StoredResult]:
        """Write the documents (and extra files) of one item; what to record."""
        bucket = self.settings.output_bucket
        prefix = analysis_prefix(self.settings.output_prefix, key, item_id)
        stored: list[StoredResult] = []
        if len(outputs) == 1:
            (only,) = outputs
            body = _json(only.document)
            self.store.put(bucket, prefix + RESPONSE, body, content_type="application/json")
            stored.append(self._stored(only, prefix + RESPONSE, len(body)))
            for name, data in only.files.items():
                self.store.put(bucket, prefix + name, data)
            return stored
        combined = {o.operation or o.analysis: o.document for o in outputs}
        self.store.put(bucket, prefix + RESPONSE, _json(combined), content_type="application/json")
        return self.write_each(item_id, key, outputs)

    def write_each(
        self, item_id: str, key: str, outputs: Sequence[AnalysisOutput]
    ) -> list[StoredResult]:
        """Write each document alone as ``{analysis}.json`` (and its files), without
        ``response.json``: what a several-analysis :meth:`write` writes beside it, so a
        workflow can store some results early and the combined response at its end."""
        bucket = self.settings.output_bucket
        prefix = analysis_prefix(self.settings.output_prefix, key, item_id)
        stored: list[StoredResult] = []
        for o in outputs:
            body = _json(o.document)
            name = f"{prefix}{o.analysis}.json"
            self.store.put(bucket, name, body, content_type="application/json")
            stored.append(self._stored(o, name, len(body)))
            for file_name, data in o.files.items():
                self.store.put(bucket, prefix + file_name, data)
        return stored

    def _stored(self, output: AnalysisOutput, key: str, size: int) -> StoredResult:
        inline = size <= self.settings.inline_result_bytes
        return StoredResult(
            output.analysis,
            output.operation,
            output.model_version,
            key,
            output.document if inline else None,
        )

    def record(self, conn: Connection, item_id: str, results: Sequence[StoredResult]) -> None:
        """Insert the results rows (once per item, analysis and model version) and queue
        them for the delivery streams, inside the caller's transaction."""
        if not results:
            return
        now = utcnow()
        insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(R)
        rows = [
            {
                "item_id": item_id,
                "analysis": r.analysis,
                "operation": r.operation,
                "model_version": r.model_version,
                "output_bucket": self.settings.output_bucket,
                "output_key": r.output_key,
                "response": r.response,
                "created_at": now,
            }
            for r in results
        ]
        if not self.settings.delivery_streams:
            insert_ignore(conn, R, rows)
            return
        created = conn.execute(
            insert.on_conflict_do_nothing().returning(R.c.id, R.c.analysis), rows
        ).all()
        if created:
            enqueue_records(conn, [(int(r.id), r.analysis) for r in created], self.settings)
