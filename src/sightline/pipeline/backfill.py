"""Backfills: enqueue existing objects from an inventory or a bucket listing.

Rows are handled in batches (one transaction per batch for the items and their tasks).
A row whose object's facts are unknown (the reference CSV) is probed first — its size,
ETag and first bytes in one read — which finds missing objects and unsupported files
at once; rows whose facts the inventory carries (S3 Inventory with Size and ETag, S3
listings) are recorded unread and the image task sniffs the bytes later.

Every rejected row goes to a CSV report (``line,bucket,key,reason``): malformed rows,
missing objects, unsupported types, keys no rule routes. Progress is saved after each
batch under a cursor named after the inventory (or bucket and prefix), so a backfill
that is interrupted resumes after its last recorded batch; the catalog makes a batch
recorded twice harmless.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sightline.pipeline.catalog import Discovered, Recorded
from sightline.pipeline.cursors import drop_cursor, get_cursor, put_cursor
from sightline.pipeline.ingest import Ingestor
from sightline.pipeline.inventory import InventoryRow, read_inventory
from sightline.runtime import Runtime


@dataclass
class BackfillSummary:
    source: str
    rows: int = 0  # rows read in this run (resumed rows excluded)
    new: int = 0  # new object versions queued (or recorded as rejected)
    known: int = 0  # versions already in the catalog: no new work
    rejected: int = 0  # rows in the report
    skipped: int = 0  # delete markers, old versions
    resumed_after: int = 0  # the line this run started after
    seconds: float = 0.0
    report: Path | None = None
    reasons: Counter[str] = field(default_factory=Counter)
    already_done: bool = False

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


class Backfill:
    def __init__(
        self,
        runtime: Runtime,
        *,
        batch_size: int = 1000,
        probe: bool | None = None,
        report: Path | None = None,
    ) -> None:
        self.rt = runtime
        self.batch_size = batch_size
        self.probe = probe
        self.report_path = report
        self.ingestor = Ingestor(runtime.store, runtime.catalog)

    # --- sources --------------------------------------------------------------------

    def run_inventory(
        self,
        path: Path,
        *,
        restart: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> BackfillSummary:
        """Backfill the objects listed in ``path`` (CSV or S3 Inventory manifest.json)."""
        path = path.resolve()
        st = path.stat()
        name = f"backfill:{path}"
        fingerprint = f"{st.st_size}:{st.st_mtime_ns}"
        report = self.report_path or self._default_report(path.name.split(".")[0], str(path))
        return self._run(
            name, fingerprint, str(path), read_inventory(path), report, restart, progress
        )

    def run_listing(
        self,
        bucket: str,
        prefix: str = "",
        *,
        restart: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> BackfillSummary:
        """Backfill every object under ``bucket``/``prefix`` (listed in key order)."""
        name = f"backfill:s3://{bucket}/{prefix}"
        state = None if restart else get_cursor(self.rt.engine, name)
        after = str(state.get("key", "")) if state and not state.get("done") else ""

        def rows() -> Iterator[InventoryRow]:
            for n, info in enumerate(self.rt.store.list(bucket, prefix, after), 1):
                yield InventoryRow(n, info.bucket, info.key, info)

        report = self.report_path or self._default_report(bucket, name)
        return self._run(
            name,
            "listing",
            f"s3://{bucket}/{prefix}",
            rows(),
            report,
            restart,
            progress,
            listing=True,
        )

    def _default_report(self, stem: str, ident: str) -> Path:
        digest = hashlib.sha1(ident.encode(), usedforsecurity=False).hexdigest()[:8]
        return self.rt.settings.data_dir / "backfill" / f"{stem}-{digest}-rejected.csv"

    # --- the loop -------------------------------------------------------------------

    def _run(
        self,
        name: str,
        fingerprint: str,
        source: str,
        rows: Iterable[InventoryRow],
        report: Path,
        restart: bool,
        progress: Callable[[int], None] | None,
        *,
        listing: bool = False,
    ) -> BackfillSummary:
        started = time.perf_counter()
        state = None if restart else get_cursor(self.rt.engine, name)
        if state is not None and state.get("fingerprint") != fingerprint:
            state = None  # the inventory changed since: start over
        summary = BackfillSummary(source=source, report=report)
        if state is not None and state.get("done") and not listing:
            summary.already_done = True
            for k in ("new", "known", "rejected", "skipped"):
                setattr(summary, k, int(state.get(k, 0)))
            return summary
        if restart:
            drop_cursor(self.rt.engine, name)
        resume = 0 if listing or state is None else int(state.get("line", 0))
        summary.resumed_after = resume
        fresh = state is None or not report.exists()
        report.parent.mkdir(parents=True, exist_ok=True)
        with open(report, "w" if fresh else "a", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            if fresh:
                writer.writerow(["line", "bucket", "key", "reason"])
            batch: list[InventoryRow] = []
            for row in rows:
                if row.line <= resume:
                    continue
                batch.append(row)
                if len(batch) >= self.batch_size:
                    self._batch(batch, summary, writer)
                    fh.flush()
                    self._save(name, fingerprint, batch[-1], summary, state, listing)
                    if progress:
                        progress(len(batch))
                    batch = []
            if batch:
                self._batch(batch, summary, writer)
                self._save(name, fingerprint, batch[-1], summary, state, listing)
                if progress:
                    progress(len(batch))
        done = {"fingerprint": fingerprint, "done": True, **self._totals(summary, state)}
        put_cursor(self.rt.engine, name, done)
        summary.seconds = time.perf_counter() - started
        return summary

    def _totals(self, summary: BackfillSummary, state: dict[str, Any] | None) -> dict[str, int]:
        before = state or {}
        return {
            k: int(before.get(k, 0)) + int(getattr(summary, k))
            for k in ("new", "known", "rejected", "skipped")
        }

    def _save(
        self,
        name: str,
        fingerprint: str,
        last: InventoryRow,
        summary: BackfillSummary,
        state: dict[str, Any] | None,
        listing: bool,
    ) -> None:
        value: dict[str, Any] = {"fingerprint": fingerprint, "line": last.line, "done": False}
        if listing:
            value["key"] = last.key
        put_cursor(self.rt.engine, name, {**value, **self._totals(summary, state)})

    def _batch(self, batch: list[InventoryRow], summary: BackfillSummary, writer: Any) -> None:
        summary.rows += len(batch)
        rejected: list[tuple[InventoryRow, str]] = []
        trusted: list[Discovered] = []
        to_probe: list[InventoryRow] = []
        for row in batch:
            if row.error is not None:
                rejected.append((row, f"malformed row: {row.error}"))
            elif row.skip:
                summary.skipped += 1
            elif row.info is not None and row.info.etag and not self.probe:
                trusted.append(Discovered(row.info, None, "backfill"))
            else:
                to_probe.append(row)
        found, missing = self.ingestor.probe_many([(r.bucket, r.key) for r in to_probe], "backfill")
        by_ref = {(r.bucket, r.key): r for r in batch}
        for m in missing:
            rejected.append((by_ref[(m.bucket, m.key)], f"missing object: {m.error.message}"))
        recorded: list[Recorded] = self.rt.catalog.record(trusted + found)
        for rec in recorded:
            if not rec.new:
                summary.known += 1
                continue
            summary.new += 1
            if rec.status == "REJECTED":
                rejected.append((by_ref[(rec.bucket, rec.key)], f"rejected: {rec.reason}"))
        rejected.sort(key=lambda t: t[0].line)
        for row, reason in rejected:
            writer.writerow([row.line, row.bucket, row.key, reason])
            summary.reasons[reason.split(":", 1)[0]] += 1
        summary.rejected += len(rejected)
