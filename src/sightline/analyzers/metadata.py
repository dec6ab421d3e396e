"""File metadata: format, size, colour mode, SHA-256, EXIF, capture time and GPS.

The analyzer needs no pixels. It reads :attr:`Image.info` (header facts and the EXIF
block that decoding already extracted) and :attr:`Image.source` (for the checksum), so
a caller running only this analyzer can skip decoding altogether: it sets
``needs_pixels = False``, which ``sightline analyze`` honours by reading the header
with :func:`sightline.media.decode.probe_image` instead of decoding.

EXIF values are made JSON-safe here: rationals become floats (a zero denominator
drops the tag), printable byte strings become text, short binary values become hex,
and long opaque blobs (MakerNote, PrintIM, XMP) are dropped. A damaged EXIF block
never fails the analysis: whatever Pillow could read is reported.
"""

from __future__ import annotations

import hashlib
import math
import numbers
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from PIL import ExifTags
from PIL import Image as PILImage
from PIL import __version__ as PILLOW_VERSION

from sightline.analyzers.types import GpsPosition, MetadataResult
from sightline.config import Settings
from sightline.errors import InvalidParameterError
from sightline.media.image import Image

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
# Pointers and opaque containers that are not facts about the photograph.
_SKIPPED_TAGS = frozenset(
    {
        0x8769,  # ExifOffset: pointer to the Exif IFD, read below
        0x8825,  # GPSInfo: pointer to the GPS IFD, read below
        0xA005,  # InteropOffset
        0x927C,  # MakerNote: vendor-private binary
        0x02BC,  # XMLPacket (XMP): not EXIF, can be tens of kilobytes
        0x83BB,  # IPTC-NAA
        0x8649,  # Photoshop ImageResources
        0xC4A5,  # PrintImageMatching
    }
)
_USER_COMMENT = 0x9286
_XP_TAGS = frozenset({0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F})  # Windows UTF-16 text
# Binary values up to this many bytes are kept as hex; longer ones are dropped.
_MAX_HEX_BYTES = 32
_DATETIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$")
_OFFSET = re.compile(r"^[+-]\d{2}:\d{2}$")

# Friendly names for the fields most consumers want, from the standard EXIF names.
CAMERA_FIELDS: dict[str, str] = {
    "make": "Make",
    "model": "Model",
    "serial_number": "BodySerialNumber",
    "lens_make": "LensMake",
    "lens_model": "LensModel",
    "exposure_time": "ExposureTime",
    "f_number": "FNumber",
    "iso": "ISOSpeedRatings",
    "focal_length": "FocalLength",
    "focal_length_35mm": "FocalLengthIn35mmFilm",
    "flash": "Flash",
    "software": "Software",
}


class MetadataAnalyzer:
    """Header facts, checksum and EXIF of the file behind an :class:`Image`."""

    name: ClassVar[str] = "metadata"
    # No pixels are read; the smallest decode serves when others need none either.
    max_side: ClassVar[int | None] = 1
    needs_pixels: ClassVar[bool] = False

    def __init__(self, settings: Settings, pool: Any = None) -> None:
        self.settings = settings

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> MetadataResult:
        """Metadata of ``image``'s file; ``width``/``height`` are the upright size.

        Raises:
            InvalidParameterError: the image carries no file bytes (built from an array).
        """
        if not image.source:
            raise InvalidParameterError(
                "The metadata analysis needs the file's bytes; this image was built "
                "from an in-memory array."
            )
        info = image.info
        exif = read_exif(info.exif)
        return MetadataResult(
            format=info.format,
            width=info.width,
            height=info.height,
            mode=info.mode,
            byte_size=len(image.source),
            sha256=hashlib.sha256(image.source).hexdigest(),
            orientation=info.orientation,
            exif=exif,
            gps=gps_position(exif),
            taken_at=taken_at(exif),
        )

    def versions(self) -> dict[str, str]:
        return {"pillow-exif": PILLOW_VERSION}


def read_exif(raw: bytes | None) -> dict[str, Any]:
    """Tag name -> JSON-safe value for IFD0, the Exif IFD and the GPS IFD of ``raw``.

    ``raw`` is an EXIF block as Pillow serialises it (``Exif\\0\\0`` + TIFF header).
    Names are EXIF's own (``Make``, ``FNumber``, ``GPSLatitude``); tags Pillow does not
    name are keyed ``Tag0xNNNN``. Unreadable parts are skipped, never raised.
    """
    if not raw:
        return {}
    exif = PILImage.Exif()
    try:
        exif.load(raw)
    except Exception:  # damaged block: Pillow raises a variety of errors
        return {}
    out: dict[str, Any] = {}
    _collect(out, _safe_items(exif), ExifTags.TAGS)
    _collect(out, _safe_items(_safe_ifd(exif, _EXIF_IFD)), ExifTags.TAGS)
    _collect(out, _safe_items(_safe_ifd(exif, _GPS_IFD)), ExifTags.GPSTAGS)
    return out


def camera(exif: Mapping[str, Any]) -> dict[str, Any]:
    """The common camera fields of ``exif`` under friendly names; absent ones omitted."""
    out: dict[str, Any] = {}
    for key, tag in CAMERA_FIELDS.items():
        value = exif.get(tag)
        if isinstance(value, list):  # ISOSpeedRatings may list several values
            value = value[0] if value else None
        if value is not None:
            out[key] = value
    return out


def taken_at(exif: Mapping[str, Any]) -> str | None:
    """ISO 8601 capture time from DateTimeOriginal (else DateTimeDigitized).

    Sub-seconds and the UTC offset are added when the file records them; without an
    offset the time is local to the camera, as EXIF stores it. Placeholder dates such
    as ``0000:00:00 00:00:00`` read as absent.
    """
    for tag, subsec_tag, offset_tag in (
        ("DateTimeOriginal", "SubsecTimeOriginal", "OffsetTimeOriginal"),
        ("DateTimeDigitized", "SubsecTimeDigitized", "OffsetTimeDigitized"),
    ):
        value = exif.get(tag)
        match = _DATETIME.match(value.strip()) if isinstance(value, str) else None
        if match is None:
            continue
        year, month, day, hour, minute, second = (int(g) for g in match.groups())
        if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60):
            continue
        if year == 0 or second > 60:
            continue
        text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
        subsec = exif.get(subsec_tag)
        if isinstance(subsec, (str, int)) and str(subsec).strip().isdigit():
            text += "." + str(subsec).strip()
        offset = exif.get(offset_tag)
        if isinstance(offset, str) and _OFFSET.match(offset.strip()):
            text += offset.strip()
        return text
    return None


def gps_position(exif: Mapping[str, Any]) -> GpsPosition | None:
    """Decimal latitude/longitude (north and east positive) and altitude in metres.

    Signs come from GPSLatitudeRef (S negative), GPSLongitudeRef (W negative) and
    GPSAltitudeRef (1: below sea level). A missing reference is read as N/E, the most
    common omission in the wild. Out-of-range or malformed coordinates give None.
    """
    lat = _degrees(exif.get("GPSLatitude"))
    lon = _degrees(exif.get("GPSLongitude"))
    if lat is None or lon is None:
        return None
    if _ref(exif.get("GPSLatitudeRef")) == "S":
        lat = -lat
    if _ref(exif.get("GPSLongitudeRef")) == "W":
        lon = -lon
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    altitude = exif.get("GPSAltitude")
    alt: float | None = None
    if isinstance(altitude, (int, float)) and not isinstance(altitude, bool):
        alt = float(altitude)
        if _altitude_below_sea(exif.get("GPSAltitudeRef")):
            alt = -alt
    return GpsPosition(latitude=lat, longitude=lon, altitude=alt)


def _degrees(value: Any) -> float | None:
    """Degrees from EXIF's (degrees, minutes, seconds) triple (or a bare number)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, list) or not 1 <= len(value) <= 3:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return None
    parts = [*value, 0.0, 0.0][:3]
    if any(p < 0 for p in parts):
        return None
    return float(parts[0]) + float(parts[1]) / 60.0 + float(parts[2]) / 3600.0


def _ref(value: Any) -> str:
    return value.strip().upper()[:1] if isinstance(value, str) else ""


def _altitude_below_sea(value: Any) -> bool:
    # Pillow reads the BYTE tag as bytes (b"\x01"); JSON-safe conversion made it hex.
    if isinstance(value, int) and not isinstance(value, bool):
        return value == 1
    return isinstance(value, str) and value.strip() in ("01", "1", "\x01")


def _safe_ifd(exif: PILImage.Exif, tag: int) -> Mapping[int, Any]:
    try:
        return exif.get_ifd(tag)
    except Exception:  # a pointer outside the block, a loop, a bad count
        return {}


def _safe_items(ifd: Mapping[int, Any]) -> list[tuple[int, Any]]:
    items: list[tuple[int, Any]] = []
    try:
        keys = list(ifd)
    except Exception:
        return items
    for key in keys:
        try:
            items.append((key, ifd[key]))
        except Exception:  # one unreadable tag does not lose the others
            continue
    return items


def _collect(out: dict[str, Any], items: list[tuple[int, Any]], names: Mapping[int, str]) -> None:
    for tag, value in items:
        if not isinstance(tag, int) or tag in _SKIPPED_TAGS or isinstance(value, dict):
            continue
        if tag == _USER_COMMENT and isinstance(value, bytes):
            converted: Any = _user_comment(value)
        elif tag in _XP_TAGS and isinstance(value, (bytes, tuple)):
            converted = _utf16(value)
        else:
            converted = json_safe(value)
        if converted is not None:
            out[names.get(tag, f"Tag0x{tag:04X}")] = converted


def json_safe(value: Any) -> Any:
    """A JSON-serialisable form of an EXIF value, or None to drop it."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, numbers.Real):  # float, IFDRational (x/0 is NaN)
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        text = value.replace("\x00", "").strip()
        return text or None
    if isinstance(value, bytes):
        stripped = value.rstrip(b"\x00").strip()
        if not stripped:
            return None
        if all(32 <= b < 127 for b in stripped) and len(stripped) <= 256:
            return stripped.decode("ascii")
        return value.hex() if len(value) <= _MAX_HEX_BYTES else None
    if isinstance(value, (tuple, list)):
        items = [json_safe(v) for v in value]
        return items if items and all(i is not None for i in items) else None
    return None


def _user_comment(value: bytes) -> str | None:
    """EXIF UserComment: an 8-byte character-code prefix, then the text."""
    code, body = value[:8], value[8:]
    if code.startswith(b"UNICODE"):
        # The byte order follows the file's; try both and keep the readable one.
        for encoding in ("utf-16-be", "utf-16-le"):
            text = _decode(body, encoding)
            if text is not None and text.isprintable():
                return text
        return None
    if code.startswith(b"ASCII") or code == b"\x00" * 8:
        text = _decode(body, "latin-1")
        return text if text and text.isprintable() else None
    return None


def _utf16(value: bytes | tuple[int, ...]) -> str | None:
    data = value if isinstance(value, bytes) else bytes(v & 0xFF for v in value)
    text = _decode(data, "utf-16-le")
    return text if text and text.isprintable() else None


def _decode(data: bytes, encoding: str) -> str | None:
    try:
        text = data.decode(encoding).replace("\x00", "").strip()
    except UnicodeDecodeError:
        return None
    return text or None
