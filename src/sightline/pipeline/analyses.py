"""Named analyses: which analyzer runs, with which options, answering which operation.

The built-ins follow the reference pipeline, which calls each Rekognition operation
with its defaults: ``labels`` is DetectLabels, ``faces`` DetectFaces, ``text``
DetectText, ``moderation`` DetectModerationLabels. ``metadata`` and ``thumbnail`` have
no Rekognition counterpart and write Sightline's own documents. Settings may add
analyses (``[pipeline.analyses.NAME]``) or override a built-in's options.
"""

from __future__ import annotations

from collections.abc import Mapping

from sightline.config import AnalysisSettings, PipelineSettings

BUILTIN_ANALYSES: dict[str, AnalysisSettings] = {
    "labels": AnalysisSettings(analyzer="labels", operation="DetectLabels"),
    "faces": AnalysisSettings(analyzer="faces", operation="DetectFaces"),
    "text": AnalysisSettings(analyzer="text", operation="DetectText"),
    "moderation": AnalysisSettings(analyzer="moderation", operation="DetectModerationLabels"),
    "metadata": AnalysisSettings(analyzer="metadata"),
    "thumbnail": AnalysisSettings(analyzer="thumbnail"),
}

# The reference pipeline's convention: the first folder of the key names the API.
FOLDER_CONVENTION: dict[str, str] = {
    "labels": "labels",
    "faces": "faces",
    "text": "text",
    "moderation": "moderation",
}

# Folders of the convention that name an API Sightline does not offer, with the reason.
UNSUPPORTED_FOLDERS: dict[str, str] = {
    "celebrities": (
        "RecognizeCelebrities is not supported: Sightline does not identify celebrities. "
        "Use faces/ to detect faces, or a face collection to recognise people you enrol."
    ),
}


def analysis_table(settings: PipelineSettings) -> Mapping[str, AnalysisSettings]:
    """Every analysis the pipeline can run: the built-ins, then the configured ones."""
    table = dict(BUILTIN_ANALYSES)
    table.update(settings.analyses)
    return table
