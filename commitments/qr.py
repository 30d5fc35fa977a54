"""QR codes for start links, as PNG and SVG, cached by content."""

from __future__ import annotations

import hashlib
import io

import qrcode
import qrcode.image.pil
import qrcode.image.svg
from django.core.cache import cache

CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
_CACHE_SECONDS = 7 * 24 * 3600
_VERSION = "2"  # bump when the rendering changes, so cached images and ETags move on


def qr_etag(*, data: str, image_format: str) -> str:
    digest = hashlib.sha256(f"{_VERSION}:{image_format}:{data}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def _render(*, data: str, image_format: str) -> bytes:
    if image_format == "png":
        factory = qrcode.image.pil.PilImage
        options = {"box_size": 10}
    else:
        # A single path of unit squares on a 1-module viewBox grid, on white: scales to any
        # size and stays scannable on a dark page.
        factory = qrcode.image.svg.SvgPathFillImage
        options = {}
    image = qrcode.make(
        data,
        image_factory=factory,
        border=4,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        **options,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_image(*, data: str, image_format: str) -> bytes:
    """The QR code of `data` as `png` or `svg` bytes, rendered once per content."""
    if image_format not in CONTENT_TYPES:
        raise ValueError(f"unknown QR image format {image_format!r}")
    key = f"commitments:qr:{qr_etag(data=data, image_format=image_format).strip(chr(34))}"
    image = cache.get(key)
    if image is None:
        image = _render(data=data, image_format=image_format)
        cache.set(key, image, timeout=_CACHE_SECONDS)
    return image
