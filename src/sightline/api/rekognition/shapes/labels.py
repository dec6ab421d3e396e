"""Labels as Rekognition's ``DetectLabels`` response.

``Instances``, ``Parents``, ``Aliases`` and ``Categories`` are always sent, empty when
there are none, as Rekognition does; an instance's ``DominantColors`` likewise (empty
unless IMAGE_PROPERTIES was asked for). ``ImageProperties`` is sent only when it was
computed. Foreground and background quality carry Brightness and Sharpness, as in
Rekognition's responses; Contrast is reported for the whole image.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sightline.analyzers.types import (
    DominantColor,
    ImageProperties,
    ImageQuality,
    Instance,
    Label,
    LabelsResult,
    RegionProperties,
)
from sightline.api.rekognition.shapes.common import bounding_box, drop_none, percent
from sightline.media.image import ImageInfo


def detect_labels_response(
    result: LabelsResult, info: ImageInfo, options: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``DetectLabels`` output for ``result``, boxes as ratios of ``info``'s
    upright size; ``OrientationCorrection`` for EXIF-rotated images."""
    response: dict[str, Any] = {
        "Labels": [label_shape(label, info.width, info.height) for label in result.labels],
        "OrientationCorrection": info.orientation_correction,
        "LabelModelVersion": result.model_version,
    }
    if result.image_properties is not None:
        response["ImageProperties"] = image_properties_shape(result.image_properties)
    return drop_none(response)


def label_shape(label: Label, width: int, height: int) -> dict[str, Any]:
    """One ``Label``."""
    return {
        "Name": label.name,
        "Confidence": percent(label.confidence),
        "Instances": [instance_shape(inst, width, height) for inst in label.instances],
        "Parents": [{"Name": name} for name in label.parents],
        "Aliases": [{"Name": name} for name in label.aliases],
        "Categories": [{"Name": name} for name in label.categories],
    }


def instance_shape(instance: Instance, width: int, height: int) -> dict[str, Any]:
    return {
        "BoundingBox": bounding_box(instance.box, width, height),
        "Confidence": percent(instance.confidence),
        "DominantColors": [color_shape(c) for c in instance.dominant_colors],
    }


def color_shape(color: DominantColor) -> dict[str, Any]:
    """One ``DominantColor``."""
    return {
        "Red": color.red,
        "Blue": color.blue,
        "Green": color.green,
        "HexCode": color.hex_code,
        "CSSColor": color.css_color,
        "SimplifiedColor": color.simplified_color,
        "PixelPercent": min(max(color.pixel_percent, 0.0), 100.0),
    }


def image_properties_shape(properties: ImageProperties) -> dict[str, Any]:
    """``DetectLabelsImageProperties``."""
    return drop_none(
        {
            "Quality": _quality(properties.quality, contrast=True),
            "DominantColors": [color_shape(c) for c in properties.dominant_colors],
            "Foreground": _region(properties.foreground),
            "Background": _region(properties.background),
        }
    )


def _region(region: RegionProperties | None) -> dict[str, Any] | None:
    if region is None:
        return None
    return {
        "Quality": _quality(region.quality, contrast=False),
        "DominantColors": [color_shape(c) for c in region.dominant_colors],
    }


def _quality(quality: ImageQuality, *, contrast: bool) -> dict[str, float]:
    shape = {"Brightness": quality.brightness, "Sharpness": quality.sharpness}
    if contrast:
        shape["Contrast"] = quality.contrast
    return shape
