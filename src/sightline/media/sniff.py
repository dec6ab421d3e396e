"""Media type from the first bytes of a file, never from its name."""

from __future__ import annotations

import enum
from dataclasses import dataclass

# Enough bytes to recognise every format below, including the Matroska DocType.
SNIFF_BYTES = 64


class MediaKind(str, enum.Enum):
    IMAGE = "image"
    VIDEO = "video"


@dataclass(frozen=True)
class MediaType:
    kind: MediaKind
    format: str  # short lower-case name: jpeg, png, webp, gif, bmp, tiff, mp4, mov, mkv, webm, avi
    mime: str

    @property
    def is_image(self) -> bool:
        return self.kind is MediaKind.IMAGE

    @property
    def is_video(self) -> bool:
        return self.kind is MediaKind.VIDEO


JPEG = MediaType(MediaKind.IMAGE, "jpeg", "image/jpeg")
PNG = MediaType(MediaKind.IMAGE, "png", "image/png")
WEBP = MediaType(MediaKind.IMAGE, "webp", "image/webp")
GIF = MediaType(MediaKind.IMAGE, "gif", "image/gif")
BMP = MediaType(MediaKind.IMAGE, "bmp", "image/bmp")
TIFF = MediaType(MediaKind.IMAGE, "tiff", "image/tiff")
MP4 = MediaType(MediaKind.VIDEO, "mp4", "video/mp4")
MOV = MediaType(MediaKind.VIDEO, "mov", "video/quicktime")
MKV = MediaType(MediaKind.VIDEO, "mkv", "video/x-matroska")
WEBM = MediaType(MediaKind.VIDEO, "webm", "video/webm")
AVI = MediaType(MediaKind.VIDEO, "avi", "video/x-msvideo")

# QuickTime files may start with any top-level atom, not only 'ftyp'.
_QT_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def sniff(head: bytes) -> MediaType | None:
    """The media type of a file from its first :data:`SNIFF_BYTES` bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return AVI
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    # BMP: 'BM', then a plausible DIB header size at offset 14.
    if head[:2] == b"BM" and len(head) >= 18 and head[14] in (12, 40, 52, 56, 64, 108, 124):
        return BMP
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return MOV if brand == b"qt  " else MP4
    if head[4:8] in _QT_ATOMS:
        return MOV
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return WEBM if b"webm" in head[:SNIFF_BYTES] else MKV
    return None


def describe_unknown(head: bytes) -> str:
    """A short human description of bytes that are not a supported medium."""
    if not head:
        return "the file is empty"
    if head[:5] == b"%PDF-":
        return "a PDF document"
    if head[:2] == b"PK":
        return "a ZIP archive"
    if head[:3] == b"ID3" or head[:4] in (b"fLaC", b"OggS"):
        return "an audio file"
    sample = head[:SNIFF_BYTES]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return "unrecognised binary data"
    return "text, not an image or video"
