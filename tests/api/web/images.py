"""Test photos written with Pillow from scikit-image's samples (nothing is committed)."""

from __future__ import annotations

import io

import skimage.data
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

# EXIF of the astronaut photo (facts of a plausible shot, for the metadata pages).
CAMERA = {"make": "Hasselblad", "model": "500EL/M", "lens": "Zeiss Biogon 60mm"}
LATITUDE = 28.5239  # degrees north
LONGITUDE = -80.6508  # degrees east (west is negative)


def astronaut_png() -> bytes:
    """skimage's astronaut as PNG with EXIF: camera, lens, exposure, capture time, GPS."""
    exif = Image.Exif()
    exif[0x010F] = CAMERA["make"]
    exif[0x0110] = CAMERA["model"]
    ifd = exif.get_ifd(0x8769)
    ifd[0x829A] = IFDRational(1, 250)  # ExposureTime
    ifd[0x829D] = IFDRational(56, 10)  # FNumber
    ifd[0x8827] = 100  # ISOSpeedRatings
    ifd[0x9003] = "1984:02:07 12:30:00"  # DateTimeOriginal
    ifd[0x920A] = IFDRational(60, 1)  # FocalLength
    ifd[0xA434] = CAMERA["lens"]  # LensModel
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (IFDRational(28), IFDRational(31), IFDRational(2604, 100))
    gps[3], gps[4] = "W", (IFDRational(80), IFDRational(39), IFDRational(29, 10))
    buf = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).save(buf, "PNG", exif=exif.tobytes())
    return buf.getvalue()


def coffee_png() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(skimage.data.coffee()).save(buf, "PNG")
    return buf.getvalue()


NOT_AN_IMAGE = b"These are my holiday notes, not a photo.\nDay 1: beach.\n"
