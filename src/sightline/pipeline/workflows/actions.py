"""The actions task steps run on pipeline items, and the context they share.

One :class:`ItemContext` per execution holds what the steps share: the item, its bytes
(read once), its image (decoded once, at the largest size the workflow's analyses
need, on the first step that wants pixels) and the analysis outputs made so far.
Analyses run through the worker's :class:`AnalyzerSet` (models loaded once per
process) and outputs go through the :class:`OutputWriter`, exactly as the image stage
stores them: ``sync/{key}-analysis/{itemId}/...`` and the ``results`` table.

Actions (name -> callable, :data:`ACTIONS`):

- ``extract-metadata``: sniffs the bytes and, for an image, runs the ``metadata``
  analysis on its header. Result: ``{"format": {"kind", "name", "mime",
  "description"}, "metadata": {...}}`` (``kind``/``name``/``mime`` null when the
  bytes are no medium we know; ``description`` says what they are).
- ``detect-labels``, ``detect-faces``, ``detect-text``, ``detect-moderation-labels``,
  ``thumbnail``: one analysis each (Rekognition DetectLabels/DetectFaces/... documents,
  thumbnails); ``parameters`` are request members replacing the configured options.
  ``analyze`` runs the configured analysis named by ``parameters.analysis``. Result: a
  short summary (the documents themselves are stored, not carried in the state).
- ``store-metadata``: writes ``metadata.json`` and its results row.
- ``store-results``: writes every output so far: ``response.json`` (combined), each
  ``{analysis}.json``, thumbnails, and their results rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sightline.db import tx
from sightline.errors import ImageTooLargeError, InvalidParameterError
from sightline.media.image import Image
from sightline.media.sniff import SNIFF_BYTES, MediaType, describe_unknown, sniff
from sightline.pipeline.analyzer_set import AnalysisOutput, AnalyzerSet
from sightline.pipeline.outputs import OutputWriter, response_key
from sightline.pipeline.workflows.definition import Definition, TaskStep
from sightline.pipeline.workflows.engine import Action, ActionCall
from sightline.runtime import Runtime

# action -> the analysis it runs.
ANALYSIS_ACTIONS: dict[str, str] = {
    "detect-labels": "labels",
    "detect-faces": "faces",
    "detect-text": "text",
    "detect-moderation-labels": "moderation",
    "thumbnail": "thumbnail",
}


@dataclass(frozen=True)
class ItemRef:
    id: str
    bucket: str
    key: str
    size: int = 0  # 0: unknown, asked from the store


class ItemContext:
    """What the steps of one execution on one item share. Thread-safe."""

    def __init__(
        self,
        runtime: Runtime,
        analyzers: AnalyzerSet,
        writer: OutputWriter,
        item: ItemRef,
        analyses: Sequence[str],
    ) -> None:
        self.rt = runtime
        self.analyzers = analyzers
        self.writer = writer
        self.item = item
        self.analyses = list(analyses)  # what the decode must serve
        self.media: MediaType | None = None
        self._data: bytes | None = None
        self._image: Image | None = None
        self._header: Image | None = None
        self._outputs: dict[str, AnalysisOutput] = {}
        self._lock = threading.RLock()

    def data(self) -> bytes:
        """The object's bytes, read once (at most ``limits.max_object_bytes``)."""
        with self._lock:
            if self._data is None:
                limit = self.rt.settings.limits.max_object_bytes
                size = self.item.size or self.rt.store.head(self.item.bucket, self.item.key).size
                if size > limit:
                    raise ImageTooLargeError(
                        f"The object is {size:,} bytes; images read from storage may be at "
                        f"most {limit:,} bytes."
                    )
                self._data = self.rt.store.get(self.item.bucket, self.item.key)
            return self._data

    def image(self) -> Image:
        """The image, decoded once for every analysis of the workflow."""
        with self._lock:
            if self._image is None:
                self._image = self.analyzers.decode(self.data(), self.analyses or ["metadata"])
            return self._image

    def header(self) -> Image:
        """The image's header facts (empty pixels), read once without decoding; the
        decoded image when there is one already."""
        with self._lock:
            if self._image is not None:
                return self._image
            if self._header is None:
                self._header = self.analyzers.decode(self.data(), ["metadata"])
            return self._header

    def add(self, output: AnalysisOutput) -> None:
        with self._lock:
            self._outputs[output.analysis] = output

    def output(self, analysis: str) -> AnalysisOutput | None:
        with self._lock:
            return self._outputs.get(analysis)

    def outputs(self) -> list[AnalysisOutput]:
        """The outputs so far, in the order the workflow's steps name the analyses."""
        with self._lock:
            order = {name: i for i, name in enumerate(["metadata", *self.analyses])}
            return sorted(self._outputs.values(), key=lambda o: order.get(o.analysis, 1 << 30))

    def store(self, outputs: Sequence[AnalysisOutput], *, combined: bool) -> list[str]:
        """Write ``outputs`` and their results rows; the keys written."""
        item = self.item
        if combined:
            stored = self.writer.write(item.id, item.key, outputs)
        else:
            stored = self.writer.write_each(item.id, item.key, outputs)
        with tx.write(self.rt.engine, durable=False) as conn:
            self.writer.record(conn, item.id, stored)
        return [s.output_key for s in stored]


def analyses_of(definition: Definition) -> list[str]:
    """The analyses a definition's task steps run, in definition order (the decode
    serves them all)."""
    out: list[str] = []
    for _, _, step in definition.all_steps():
        if not isinstance(step, TaskStep):
            continue
        name = ANALYSIS_ACTIONS.get(step.action)
        if step.action == "analyze":
            name = str(step.parameters.get("analysis", ""))
        if name and name not in out:
            out.append(name)
    return out


def describe_media(media: MediaType | None, head: bytes) -> str:
    """What the bytes are, for a person: ``a PNG image``, ``an MP4 video``, ``text, not
    an image or video``, ``nothing (the file is empty)``."""
    if media is None:
        return "nothing (the file is empty)" if not head else describe_unknown(head)
    name = media.format.upper()
    # "an" before letters whose names start with a vowel sound (an MP4, a PNG).
    article = "an" if name[0] in "AEFHILMNORSX" else "a"
    return f"{article} {name} {media.kind.value}"


def extract_metadata(call: ActionCall) -> dict[str, Any]:
    ctx: ItemContext = call.context
    head = ctx.data()[:SNIFF_BYTES]
    media = sniff(head)
    ctx.media = media
    fmt = {
        "kind": media.kind.value if media else None,
        "name": media.format if media else None,
        "mime": media.mime if media else None,
        "description": describe_media(media, head),
    }
    if media is None or not media.is_image:
        return {"format": fmt}
    output = ctx.analyzers.analyze(ctx.header(), "metadata", _options(call))
    ctx.add(output)
    return {"format": fmt, "metadata": output.document}


def analysis_action(analysis: str | None) -> Action:
    """The action running ``analysis`` (None: the one named by ``parameters.analysis``)."""

    def run(call: ActionCall) -> dict[str, Any]:
        ctx: ItemContext = call.context
        name = analysis or str(call.parameters.get("analysis", ""))
        if not name:
            raise InvalidParameterError(
                f"Step {call.step!r}: the analyze action needs parameters.analysis."
            )
        options = _options(call, drop=("analysis",) if analysis is None else ())
        output = ctx.analyzers.analyze(ctx.image(), name, options)
        ctx.add(output)
        return summary(output)

    return run


def _options(call: ActionCall, drop: Sequence[str] = ()) -> Mapping[str, Any] | None:
    options = {k: v for k, v in call.parameters.items() if k not in drop}
    return options or None


def summary(output: AnalysisOutput) -> dict[str, Any]:
    """A short account of one analysis for the state (and the recorded step output)."""
    doc = output.document
    out: dict[str, Any] = {
        "analysis": output.analysis,
        "operation": output.operation,
        "model_version": output.model_version,
    }
    if isinstance(doc.get("Labels"), list):
        out["labels"] = [str(label.get("Name")) for label in doc["Labels"]][:50]
    if isinstance(doc.get("ModerationLabels"), list):
        out["labels"] = [str(label.get("Name")) for label in doc["ModerationLabels"]][:50]
    if isinstance(doc.get("FaceDetails"), list):
        out["faces"] = len(doc["FaceDetails"])
    if isinstance(doc.get("TextDetections"), list):
        lines = [t for t in doc["TextDetections"] if t.get("Type") == "LINE"]
        out["lines"] = [str(t.get("DetectedText")) for t in lines][:20]
    if isinstance(doc.get("thumbnails"), list):
        out["files"] = [str(t.get("file")) for t in doc["thumbnails"]]
    return out


def store_metadata(call: ActionCall) -> dict[str, Any]:
    ctx: ItemContext = call.context
    output = ctx.output("metadata")
    if output is None:
        raise InvalidParameterError(
            f"Step {call.step!r}: no metadata was extracted before it; run an "
            "extract-metadata step first."
        )
    return {"stored": ctx.store([output], combined=False)}


def store_results(call: ActionCall) -> dict[str, Any]:
    ctx: ItemContext = call.context
    outputs = ctx.outputs()
    if not outputs:
        raise InvalidParameterError(f"Step {call.step!r}: no analysis ran before it.")
    keys = ctx.store(outputs, combined=True)
    settings = ctx.rt.settings.pipeline
    return {
        "response": response_key(settings.output_prefix, ctx.item.key, ctx.item.id),
        "stored": keys,
    }


ACTIONS: dict[str, Callable[[ActionCall], Any]] = {
    "extract-metadata": extract_metadata,
    **{name: analysis_action(analysis) for name, analysis in ANALYSIS_ACTIONS.items()},
    "analyze": analysis_action(None),
    "store-metadata": store_metadata,
    "store-results": store_results,
}
