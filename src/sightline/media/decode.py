"""Safe, fast image decoding.

Order of checks, cheapest first, so hostile input costs almost nothing: byte size,
magic bytes, then the header's dimensions (sides and pixel count, the decompression
bomb guard) — all before a single pixel is decoded. JPEGs are decoded at reduced scale
by libjpeg's DCT scaling (Pillow ``draft``) when the caller needs fewer pixels.
"""

from __future__ import annotations

import io
import math
import struct
import warnings

import numpy as np
import simplejpeg
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from sightline.config import ImageLimits
from sightline.errors import (
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageFormatError,
)
from sightline.media.image import Image, ImageInfo, fit_pixels
from sightline.media.sniff import SNIFF_BYTES, describe_unknown, sniff

# We enforce our own pixel limit from Settings before decoding; Pillow's global guard
# would warn (an error under strict warning filters) or refuse with its own numbers.
PILImage.MAX_IMAGE_PIXELS = None
# A damaged EXIF block must not fail the image: metadata reports what it could read.
# Pillow's TIFF/EXIF reader warns (UserWarning) for every malformed tag it skips.
warnings.filterwarnings("ignore", message="(?i).*corrupt exif.*", module="PIL")
warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.TiffImagePlugin")
warnings.filterwarnings("ignore", message="(?i).*truncated file.*", module="PIL")

_ORIENTATION_TAG = 0x0112
_TRANSPOSE: dict[int, PILImage.Transpose] = {
    2: PILImage.Transpose.FLIP_LEFT_RIGHT,
    3: PILImage.Transpose.ROTATE_180,
    4: PILImage.Transpose.FLIP_TOP_BOTTOM,
    5: PILImage.Transpose.TRANSPOSE,
    6: PILImage.Transpose.ROTATE_270,
    7: PILImage.Transpose.TRANSVERSE,
    8: PILImage.Transpose.ROTATE_90,
}
# Errors Pillow and its codecs raise on damaged data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)


def decode_image(
    data: bytes,
    limits: ImageLimits,
    *,
    max_side: int | None = None,
    max_bytes: int | None = None,
) -> Image:
    """Decode ``data`` to an upright RGB :class:`Image`.

    Args:
        data: the file's bytes.
        limits: size limits (sides, pixel count, bytes).
        max_side: the longest side the caller needs; larger images are decoded at
            reduced scale (DCT scaling for JPEG) and resized to fit. None keeps full size.
        max_bytes: byte limit for this source; defaults to ``limits.max_bytes``
            (Rekognition's limit for inline bytes).

    Raises:
        InvalidImageFormatError: empty, not an image, unsupported, truncated or corrupt.
        ImageTooLargeError: over the byte, side or pixel limits.
        ImageTooSmallError: a side under ``limits.min_side``.
    """
    pil, info = _open_checked(data, limits, max_bytes)
    try:
        if info.format == "jpeg":
            # Shrink before turning upright: the longest side is the same either way,
            # and rotating the smaller array is cheaper.
            scaled = fit_pixels(_decode_jpeg(data, pil.size, max_side), max_side)
            pixels = _orient(scaled, info.orientation)
        else:
            pil.load()
            pixels = _to_rgb(pil, info.orientation)
    except _DECODE_ERRORS as exc:
        raise InvalidImageFormatError(
            f"The {info.format.upper()} image could not be decoded ({_reason(exc)})."
        ) from exc
    finally:
        pil.close()
    image = Image(pixels=pixels, info=info, source=data)
    return image.fit(max_side)


def probe_image(data: bytes, limits: ImageLimits, *, max_bytes: int | None = None) -> ImageInfo:
    """Header facts of an image without decoding its pixels; same checks as decoding."""
    pil, info = _open_checked(data, limits, max_bytes)
    pil.close()
    return info


def _open_checked(
    data: bytes, limits: ImageLimits, max_bytes: int | None
) -> tuple[PILImage.Image, ImageInfo]:
    if not data:
        raise InvalidImageFormatError("The image is empty (0 bytes).")
    byte_limit = limits.max_bytes if max_bytes is None else max_bytes
    if len(data) > byte_limit:
        raise ImageTooLargeError(
            f"The image is {len(data):,} bytes; the limit is {byte_limit:,} bytes."
        )
    media = sniff(data[:SNIFF_BYTES])
    if media is None:
        raise InvalidImageFormatError(
            f"Unsupported image format: the bytes are {describe_unknown(data[:SNIFF_BYTES])}."
        )
    if not media.is_image:
        raise InvalidImageFormatError(f"The file is a {media.format.upper()} video, not an image.")
    try:
        pil = PILImage.open(io.BytesIO(data))
    except (UnidentifiedImageError, *_DECODE_ERRORS) as exc:
        raise InvalidImageFormatError(
            f"The {media.format.upper()} header could not be read ({_reason(exc)})."
        ) from exc
    width, height = pil.size
    try:
        _check_dimensions(width, height, limits)
    except Exception:
        pil.close()
        raise
    orientation, raw_exif = _read_orientation(pil)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    info = ImageInfo(
        format=media.format,
        width=width,
        height=height,
        mode=pil.mode,
        byte_size=len(data),
        orientation=orientation,
        exif=raw_exif,
        frames=int(getattr(pil, "n_frames", 1) or 1),
    )
    return pil, info


def _check_dimensions(width: int, height: int, limits: ImageLimits) -> None:
    if width <= 0 or height <= 0:
        raise InvalidImageFormatError(f"The image header claims an empty size {width}x{height}.")
    if width * height > limits.max_pixels:
        raise ImageTooLargeError(
            f"The image header claims {width}x{height} = {width * height / 1e6:.1f} megapixels; "
            f"the limit is {limits.max_pixels / 1e6:.1f} megapixels."
        )
    if max(width, height) > limits.max_side:
        raise ImageTooLargeError(
            f"The image is {width}x{height} pixels; the largest side allowed is "
            f"{limits.max_side} pixels."
        )
    if min(width, height) < limits.min_side:
        raise ImageTooSmallError(
            f"The image is {width}x{height} pixels; each side must be at least "
            f"{limits.min_side} pixels."
        )


def _decode_jpeg(data: bytes, raw_size: tuple[int, int], max_side: int | None) -> np.ndarray:
    """RGB pixels of a JPEG, DCT-scaled by libjpeg-turbo when fewer pixels are needed.

    simplejpeg asks libjpeg-turbo for the smallest M/8 scale still at least the
    requested size, so the inverse DCT and colour conversion run on fewer pixels; it
    also handles grey and CMYK files and refuses truncated ones (a ValueError).
    """
    width, height = raw_size
    if max_side is not None and max(width, height) > max_side:
        f = max_side / max(width, height)
        pixels = simplejpeg.decode_jpeg(
            data,
            colorspace="RGB",
            min_width=math.ceil(width * f),
            min_height=math.ceil(height * f),
        )
    else:
        pixels = simplejpeg.decode_jpeg(data, colorspace="RGB")
    return np.asarray(pixels, dtype=np.uint8)


def _orient(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1-8) to an H x W x C array."""
    views = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.transpose(1, 0, 2),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),
        8: lambda a: np.rot90(a, 1),
    }
    view = views.get(orientation)
    return pixels if view is None else np.ascontiguousarray(view(pixels))


def _read_orientation(pil: PILImage.Image) -> tuple[int, bytes | None]:
    """EXIF orientation (1-8) and the raw EXIF block; unreadable EXIF reads as none."""
    try:
        exif = pil.getexif()
        orientation = int(exif.get(_ORIENTATION_TAG, 1) or 1)
        raw = exif.tobytes() if len(exif) else None
    except (*_DECODE_ERRORS, TypeError, UserWarning):  # UserWarning: under -W error
        return 1, None
    return (orientation if 1 <= orientation <= 8 else 1), raw


def _to_rgb(pil: PILImage.Image, orientation: int) -> np.ndarray:
    """Upright RGB uint8 pixels from a loaded Pillow image of any mode."""
    method = _TRANSPOSE.get(orientation)
    if method is not None:
        pil = pil.transpose(method)
    mode = pil.mode
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in pil.info):
        # Transparent areas read as white, as a viewer shows them on a page.
        rgba = pil.convert("RGBA")
        background = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
        pil = PILImage.alpha_composite(background, rgba)
    elif mode.startswith("I;16") or mode in ("I", "F"):
        # High bit-depth grey: scale to 8 bits rather than clipping.
        wide = np.asarray(pil, dtype=np.float64)
        top = float(wide.max()) or 1.0
        grey = np.clip(wide * (255.0 / top), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([grey] * 3, axis=-1))
    if pil.mode != "RGB":
        pil = pil.convert("RGB")
    return np.ascontiguousarray(np.asarray(pil, dtype=np.uint8))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "truncated" in text.lower() or isinstance(exc, EOFError):
        return f"the file is truncated: {text}"
    return text
