"""The engine of ``sightline analyze``: find files, analyse them in worker processes,
write each file's documents beside it (or under an output folder).

Each worker is a *spawned* process holding one :class:`AnalyzerPool`, so every model is
loaded once per process and never shared across a fork. Workers read the file, run
the analyses and write the outputs themselves; only a small report travels back.

Which files: every path given explicitly is analysed. Inside folders, files are
sniffed by their bytes: images are analysed; other files are skipped and counted,
except that a file whose *name* claims an image type (``.jpg``, ``.png``, ...) but
whose bytes are not an image is analysed, so it fails with its typed error rather
than vanishing. Output folders (``x.jpg-analysis`` beside ``x.jpg``) are not walked.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sightline.config import Settings

OUTPUT_SUFFIX = "-analysis"
SUMMARY_FILE = "summary.json"
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".bmp", ".dib", ".tif", ".tiff"}
)


@dataclass(frozen=True)
class Job:
    """One file to analyse and the folder its outputs go to."""

    path: str
    display: str  # the path as the user sees it
    dest: str  # the {name}-analysis folder


@dataclass
class FileReport:
    """What happened to one file (picklable; JSON via :meth:`as_dict`)."""

    path: str
    status: str  # "ok", "failed" or "skipped"
    dest: str | None = None
    error: dict[str, str] | None = None  # {"type", "code", "message"}
    analyses: dict[str, dict[str, Any]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    documents: dict[str, Any] | None = None
    reason: str | None = None  # why a file was skipped

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "status": self.status}
        for key in ("dest", "error", "reason"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.analyses:
            out["analyses"] = self.analyses
        if self.timings:
            out["timings"] = {k: round(v, 6) for k, v in self.timings.items()}
        if self.documents is not None:
            out["documents"] = self.documents
        return out


# --- finding files ------------------------------------------------------------------


def collect(paths: Sequence[Path], out_dir: Path | None) -> tuple[list[Job], list[FileReport]]:
    """The jobs for ``paths`` and reports for what was skipped or missing."""
    from sightline.errors import InvalidS3ObjectError
    from sightline.media.sniff import SNIFF_BYTES, sniff

    jobs: list[Job] = []
    others: list[FileReport] = []
    seen: set[str] = set()
    for root in paths:
        if not root.exists():
            error = InvalidS3ObjectError(f"{root}: no such file or folder.")
            others.append(_failed(str(root), error))
            continue
        base = root.parent
        explicit = root.is_file()
        for path in [root] if explicit else _walk(root, out_dir):
            key = str(path.resolve())
            if key in seen:
                continue
            seen.add(key)
            if not explicit:
                try:
                    with path.open("rb") as fh:
                        head = fh.read(SNIFF_BYTES)
                except OSError as exc:
                    others.append(_failed(str(path), InvalidS3ObjectError(f"{path}: {exc}")))
                    continue
                media = sniff(head)
                claims_image = path.suffix.lower() in IMAGE_SUFFIXES
                if (media is None or not media.is_image) and not claims_image:
                    what = f"a {media.format} video" if media else "not an image"
                    others.append(FileReport(str(path), "skipped", reason=what))
                    continue
            jobs.append(Job(str(path), str(path), str(destination(path, base, out_dir))))
    return jobs, others


def destination(path: Path, base: Path, out_dir: Path | None) -> Path:
    """``{name}-analysis`` beside ``path``, or under ``out_dir`` mirroring the tree."""
    name = path.name + OUTPUT_SUFFIX
    if out_dir is None:
        return path.parent / name
    relative = path.parent.resolve().relative_to(base.resolve())
    return out_dir / relative / name


def _walk(root: Path, out_dir: Path | None) -> Iterator[Path]:
    skip = out_dir.resolve() if out_dir is not None else None
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        names = set(files)
        # Our own output folders (x.jpg-analysis beside x.jpg) and the --out folder.
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and not (d.endswith(OUTPUT_SUFFIX) and d[: -len(OUTPUT_SUFFIX)] in names)
            and (skip is None or (here / d).resolve() != skip)
        )
        for name in sorted(files):
            if not name.startswith("."):
                yield here / name


def _failed(path: str, exc: Any) -> FileReport:
    from sightline.analyzers.runner import ErrorInfo

    return FileReport(path, "failed", error=ErrorInfo.of(exc).as_dict())


# --- one file, inside a worker --------------------------------------------------------


class FileWorker:
    """Analyses files and writes their outputs; one per process."""

    def __init__(
        self,
        settings: Settings,
        analyses: Sequence[str],
        options: Mapping[str, Mapping[str, Any]],
        with_documents: bool,
    ) -> None:
        from sightline.analyzers.base import AnalyzerPool
        from sightline.analyzers.runner import AnalysisRunner

        self.settings = settings
        self.runner = AnalysisRunner(AnalyzerPool(settings), analyses, options)
        self.with_documents = with_documents

    def process(self, job: Job) -> FileReport:
        from sightline.errors import ImageTooLargeError, InvalidS3ObjectError

        started = time.perf_counter()
        loaded_before = sum(self.runner.load_seconds.values())
        report = FileReport(job.display, "ok", dest=job.dest)
        limit = self.runner.max_bytes
        try:
            size = os.path.getsize(job.path)
            if size > limit:  # refuse before reading a huge file into memory
                raise ImageTooLargeError(
                    f"The file is {size:,} bytes; the limit is {limit:,} bytes."
                )
            data = Path(job.path).read_bytes()
        except OSError as exc:
            data = b""
            report = _failed(job.display, InvalidS3ObjectError(f"{job.path}: {exc}"))
        except ImageTooLargeError as exc:
            data = b""
            report = _failed(job.display, exc)
        read = time.perf_counter()
        if report.status == "ok":
            result = self.runner.run(data)
            if result.error is not None:
                report.status, report.error = "failed", result.error.as_dict()
            report.timings["decode"] = result.decode_seconds
            report.timings["analyze"] = result.analyzer_seconds
            for name, outcome in result.outcomes.items():
                report.timings[f"analyze.{name}"] = outcome.seconds
        else:
            result = None
        written = time.perf_counter()
        from sightline.cli.outputs import write_outputs

        write_outputs(self, job, result, report)
        done = time.perf_counter()
        report.dest = job.dest
        report.timings["read"] = read - started
        report.timings["write"] = done - written
        report.timings["load"] = sum(self.runner.load_seconds.values()) - loaded_before
        report.timings["total"] = done - started
        return report


_WORKER: FileWorker | None = None


def _init_worker(
    settings_data: dict[str, Any],
    analyses: list[str],
    options: dict[str, dict[str, Any]],
    with_documents: bool,
) -> None:
    global _WORKER
    import cv2

    # Parallelism comes from the processes; threads inside each would only contend.
    cv2.setNumThreads(1)
    settings = Settings.model_validate(settings_data)
    _WORKER = FileWorker(settings, analyses, options, with_documents)


def _process(job: Job) -> FileReport:
    if _WORKER is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker not initialised")
    return _WORKER.process(job)


# --- the batch ------------------------------------------------------------------------


def run_batch(
    jobs: Sequence[Job],
    settings: Settings,
    analyses: Sequence[str],
    options: Mapping[str, Mapping[str, Any]],
    *,
    workers: int,
    with_documents: bool = False,
    on_done: Callable[[FileReport], None] = lambda report: None,
) -> list[FileReport]:
    """Analyse ``jobs`` in ``workers`` processes (in this process when 1)."""
    reports: list[FileReport] = []

    def done(report: FileReport) -> None:
        reports.append(report)
        on_done(report)

    if workers <= 1:
        worker = FileWorker(settings, analyses, options, with_documents)
        for job in jobs:
            done(worker.process(job))
        return reports
    initargs = (
        settings.model_dump(mode="json"),
        list(analyses),
        {k: dict(v) for k, v in options.items()},
        with_documents,
    )
    pending: list[Job] = list(jobs)
    suspects: list[Job] = []
    while pending or suspects:
        pending, suspects = _run_pool(pending, suspects, workers, initargs, done)
    return reports


def _run_pool(
    jobs: list[Job],
    suspects: list[Job],
    workers: int,
    initargs: tuple[Any, ...],
    done: Callable[[FileReport], None],
) -> tuple[list[Job], list[Job]]:
    """Run jobs in a fresh pool until all are done or a worker dies.

    A worker dying (a crash in native code, out of memory) breaks the whole pool and
    every file in flight with it. Those files become *suspects*: the next pool runs
    them one at a time first, so the one that kills a worker on its own is reported
    as failed and the innocent ones are analysed normally.

    Returns the jobs still to run and the new suspects.
    """
    from sightline.errors import InternalError

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=initargs
    ) as pool:
        for index, job in enumerate(suspects):
            try:
                done(pool.submit(_process, job).result())
            except BrokenProcessPool:
                error = InternalError(
                    f"A worker process died while analysing {job.display}; "
                    "the file was not analysed."
                )
                done(_failed(job.display, error))
                return jobs, suspects[index + 1 :]
        queue = iter(jobs)
        in_flight: dict[Future[FileReport], Job] = {}
        # A bounded number in flight keeps memory flat and the progress bar honest.
        limit = workers * 2
        broken = False
        while True:
            while not broken and len(in_flight) < limit:
                upcoming = next(queue, None)
                if upcoming is None:
                    break
                try:
                    in_flight[pool.submit(_process, upcoming)] = upcoming
                except BrokenProcessPool:
                    return [upcoming, *queue], list(in_flight.values())
            if not in_flight:
                return [], []
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                job = in_flight.pop(future)
                try:
                    done(future.result())
                except BrokenProcessPool:
                    broken = True
                    in_flight[future] = job
            if broken:
                # Every future still in flight fails with the pool; all are suspects.
                return list(queue), list(in_flight.values())


def write_batch_summary(out_dir: Path, reports: Sequence[FileReport]) -> Path:
    """``{out_dir}/summary.json``: one entry per file, without documents."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / SUMMARY_FILE
    entries = []
    for report in reports:
        entry = report.as_dict()
        entry.pop("documents", None)
        entries.append(entry)
    path.write_text(json.dumps({"files": entries}, indent=2, ensure_ascii=False) + "\n")
    return path
