"""Writing one file's outputs: ``{name}-analysis/{analysis}.json``, thumbnails, summary.

Every file is written to a temporary name and renamed into place, so a reader (or a
crash) never sees half a document. An analysis that failed this time has its old
document removed, so the folder always reflects the latest run; ``summary.json``
says what ran, what failed and why, with the model versions behind each result.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sightline.analyzers.runner import ErrorInfo, FileResult
from sightline.api.documents import analysis_document, thumbnail_file_names
from sightline.errors import InternalError, SightlineError

if TYPE_CHECKING:
    from sightline.cli.batch import FileReport, FileWorker, Job

SUMMARY_FILE = "summary.json"


def write_outputs(
    worker: FileWorker, job: Job, result: FileResult | None, report: FileReport
) -> None:
    """Write the documents of ``result`` under ``job.dest`` and fill in ``report``."""
    dest = Path(job.dest)
    summary: dict[str, Any] = {}
    analyses: dict[str, dict[str, Any]] = {}
    documents: dict[str, Any] = {}
    versions: dict[str, dict[str, str]] = {}
    try:
        dest.mkdir(parents=True, exist_ok=True)
        if result is not None and result.error is None and result.info is not None:
            info = result.info
            image: dict[str, Any] = {
                "format": info.format,
                "width": info.width,
                "height": info.height,
            }
            if info.orientation_correction is not None:
                image["orientation_correction"] = info.orientation_correction
            summary["image"] = image
            for name, outcome in result.outcomes.items():
                entry: dict[str, Any] = {}
                error = outcome.error
                if error is None:
                    try:
                        document = _write_document(worker, dest, name, outcome.result, info)
                    except SightlineError as exc:
                        error = ErrorInfo.of(exc)
                    except (ValueError, TypeError) as exc:  # not JSON-safe: a bug
                        error = ErrorInfo.of(
                            InternalError(f"The {name} document could not be written: {exc}")
                        )
                    else:
                        entry.update(
                            status="ok", file=f"{name}.json", seconds=round(outcome.seconds, 6)
                        )
                        documents[name] = document
                        versions[name] = worker.runner.analyzer(name).versions()
                if error is not None:
                    _remove(dest / f"{name}.json")
                    entry.update(status="failed", error=error.as_dict())
                analyses[name] = entry
        else:
            for name in worker.runner.analyses:
                _remove(dest / f"{name}.json")
        failed = report.error is not None or any(a["status"] != "ok" for a in analyses.values())
        report.status = "failed" if failed else "ok"
        ordered: dict[str, Any] = {"file": job.display, "status": report.status}
        if report.error is not None:
            ordered["error"] = report.error
        ordered.update(summary)
        if analyses:
            ordered["analyses"] = analyses
        if versions:
            ordered["versions"] = versions
        _write_json(dest / SUMMARY_FILE, ordered)
    except OSError as exc:
        error = ErrorInfo.of(InternalError(f"Could not write outputs to {dest}: {exc}"))
        report.status, report.error = "failed", error.as_dict()
    report.analyses = analyses
    if worker.with_documents:
        report.documents = documents


def _write_document(worker: FileWorker, dest: Path, name: str, result: Any, info: Any) -> Any:
    files: list[str] = []
    if name == "thumbnail":
        files = thumbnail_file_names(result, worker.settings.thumbnails.sizes)
        for file_name, thumb in zip(files, result.thumbnails, strict=True):
            _write_bytes(dest / file_name, thumb.data)
    options = worker.runner.options.get(name)
    document = analysis_document(name, result, info, options, thumbnail_files=files)
    _write_json(dest / f"{name}.json", document)
    return document


def _write_json(path: Path, document: Any) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
    _write_bytes(path, (text + "\n").encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
