"""Metadata: header facts, checksum, EXIF camera fields, capture time and GPS."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL.TiffImagePlugin import IFDRational

from sightline.analyzers.metadata import MetadataAnalyzer, camera, gps_position, taken_at
from sightline.config import Settings
from sightline.errors import InvalidParameterError
from sightline.media.decode import decode_image
from sightline.media.image import Image
from tests.conftest import encode, rgb

LIMITS = Settings().limits


@pytest.fixture(scope="module")
def analyzer() -> MetadataAnalyzer:
    return MetadataAnalyzer(Settings())


def _photo_exif(lat_ref: str = "S", lon_ref: str = "W", alt_ref: bytes = b"\x01") -> bytes:
    exif = PILImage.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "Canon EOS 5D Mark IV"  # Model
    exif[0x0131] = "Sightline test"  # Software
    exif[0x0112] = 6  # Orientation: rotate 90 clockwise to display
    sub = exif.get_ifd(0x8769)
    sub[0x829A] = IFDRational(1, 250)  # ExposureTime
    sub[0x829D] = IFDRational(28, 10)  # FNumber
    sub[0x8827] = 400  # ISOSpeedRatings
    sub[0x9003] = "2021:06:01 12:34:56"  # DateTimeOriginal
    sub[0x9291] = "120"  # SubsecTimeOriginal
    sub[0x9011] = "+02:00"  # OffsetTimeOriginal
    sub[0x920A] = IFDRational(50, 1)  # FocalLength
    sub[0xA434] = "EF50mm f/1.8 STM"  # LensModel
    sub[0x9000] = b"0232"  # ExifVersion (UNDEFINED bytes)
    sub[0xA20E] = IFDRational(1, 0)  # FocalPlaneXResolution with a zero denominator
    gps = exif.get_ifd(0x8825)
    gps[1] = lat_ref
    gps[2] = (IFDRational(33, 1), IFDRational(51, 1), IFDRational(3156, 100))
    gps[3] = lon_ref
    gps[4] = (IFDRational(151, 1), IFDRational(12, 1), IFDRational(36, 1))
    gps[5] = alt_ref
    gps[6] = IFDRational(105, 10)
    return exif.tobytes()


def test_camera_fields_time_and_gps(analyzer: MetadataAnalyzer) -> None:
    data = encode(rgb("chelsea.png"), "JPEG", exif=_photo_exif())
    result = analyzer.analyze(decode_image(data, LIMITS, max_side=64))
    assert result.format == "jpeg"
    # Orientation 6: the upright frame is the stored one turned on its side.
    assert (result.width, result.height, result.orientation) == (300, 451, 6)
    assert result.mode == "RGB"
    assert result.byte_size == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.exif["Make"] == "Canon"
    assert result.exif["ExposureTime"] == pytest.approx(0.004)
    assert result.exif["ExifVersion"] == "0232"
    assert "FocalPlaneXResolution" not in result.exif  # x/0 is not a number
    assert camera(result.exif) == {
        "make": "Canon",
        "model": "Canon EOS 5D Mark IV",
        "lens_model": "EF50mm f/1.8 STM",
        "exposure_time": pytest.approx(0.004),
        "f_number": pytest.approx(2.8),
        "iso": 400,
        "focal_length": pytest.approx(50.0),
        "software": "Sightline test",
    }
    assert result.taken_at == "2021-06-01T12:34:56.120+02:00"
    assert result.gps is not None
    assert result.gps.latitude == pytest.approx(-(33 + 51 / 60 + 31.56 / 3600))
    assert result.gps.longitude == pytest.approx(-(151 + 12 / 60 + 36 / 3600))
    assert result.gps.altitude == pytest.approx(-10.5)  # AltitudeRef 1: below sea level


def test_north_east_above_sea(analyzer: MetadataAnalyzer) -> None:
    data = encode(rgb("chelsea.png"), "JPEG", exif=_photo_exif("N", "E", b"\x00"))
    gps = analyzer.analyze(decode_image(data, LIMITS)).gps
    assert gps is not None
    assert gps.latitude == pytest.approx(33.858767, abs=1e-6)
    assert gps.longitude == pytest.approx(151.21, abs=1e-6)
    assert gps.altitude == pytest.approx(10.5)


def test_no_exif(analyzer: MetadataAnalyzer) -> None:
    data = encode(rgb("chelsea.png"), "PNG")
    result = analyzer.analyze(decode_image(data, LIMITS))
    assert (result.format, result.width, result.height) == ("png", 451, 300)
    assert result.exif == {}
    assert result.gps is None
    assert result.taken_at is None
    assert result.orientation == 1


def _with_app1(jpeg: bytes, payload: bytes) -> bytes:
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def _ifd(entries: list[tuple[int, int, int, int]]) -> bytes:
    """A little-endian TIFF header and one IFD of (tag, type, count, value) entries."""
    body = struct.pack("<H", len(entries))
    body += b"".join(struct.pack("<HHII", *entry) for entry in entries)
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + body + struct.pack("<I", 0)


@pytest.mark.parametrize(
    "payload",
    [
        b"Exif\x00\x00\x13\x37 not a TIFF header",  # garbage after the EXIF marker
        b"Exif\x00\x00II*\x00" + struct.pack("<I", 9999),  # IFD offset past the end
        # a GPS pointer outside the block, beside a valid Make
        _ifd([(0x010F, 2, 4, int.from_bytes(b"Nik\x00", "little")), (0x8825, 4, 1, 5000)]),
        # a tag whose data would be larger than the file
        _ifd([(0x0112, 3, 1, 6), (0x0110, 2, 100_000, 40)]),
    ],
)
def test_corrupt_exif_does_not_fail(analyzer: MetadataAnalyzer, payload: bytes) -> None:
    data = _with_app1(encode(np.full((100, 120, 3), 128, np.uint8), "JPEG"), payload)
    result = analyzer.analyze(decode_image(data, LIMITS))
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.gps is None
    assert all(isinstance(k, str) for k in result.exif)


def test_readable_tags_survive_a_bad_pointer(analyzer: MetadataAnalyzer) -> None:
    payload = _ifd([(0x010F, 2, 4, int.from_bytes(b"Nik\x00", "little")), (0x8825, 4, 1, 5000)])
    data = _with_app1(encode(np.full((100, 120, 3), 128, np.uint8), "JPEG"), payload)
    assert analyzer.analyze(decode_image(data, LIMITS)).exif == {"Make": "Nik"}


@pytest.mark.parametrize(
    ("exif", "expected"),
    [
        ({"DateTimeOriginal": "2020:02:29 23:59:59"}, "2020-02-29T23:59:59"),
        ({"DateTimeOriginal": "0000:00:00 00:00:00"}, None),  # placeholder date
        ({"DateTimeOriginal": "    :  :     :  :  "}, None),  # blank date
        ({"DateTimeDigitized": "2019:01:02 03:04:05"}, "2019-01-02T03:04:05"),  # fallback
        ({"DateTime": "2019:01:02 03:04:05"}, None),  # modification time is not capture time
    ],
)
def test_taken_at(exif: dict[str, str], expected: str | None) -> None:
    assert taken_at(exif) == expected


@pytest.mark.parametrize(
    "exif",
    [
        {"GPSLatitude": [91.0, 0.0, 0.0], "GPSLongitude": [1.0, 0.0, 0.0]},  # out of range
        {"GPSLatitude": [1.0, 0.0, 0.0]},  # no longitude
        {"GPSLatitude": "north", "GPSLongitude": [1.0, 0.0, 0.0]},  # malformed
    ],
)
def test_bad_gps_reads_as_absent(exif: dict[str, object]) -> None:
    assert gps_position(exif) is None


def test_image_without_bytes_is_refused(analyzer: MetadataAnalyzer) -> None:
    with pytest.raises(InvalidParameterError, match="file's bytes"):
        analyzer.analyze(Image.from_array(np.zeros((90, 90, 3), np.uint8)))
