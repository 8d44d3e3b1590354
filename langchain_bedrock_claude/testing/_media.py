"""Image and document blocks: validated as Bedrock does and counted as Claude counts them.

Validation (:func:`check_media`), for ``base64`` sources, in the messages and inside
``tool_result`` content: the media type is one Claude takes, the data decodes, the bytes'
magic numbers match the media type (PNG, JPEG, GIF, WebP; a PDF starts with ``%PDF-``),
the encoded image is at most 5 MB, each side at most 8000 pixels, at most 20 images per
request. Texts are the model's where quoted publicly (sources beside each), else marked
stand-ins. Other source types (``url``, ``file``, ``text`` documents, ``content``) pass.

Counting (:func:`media_tokens`): an image costs ``width * height / 750`` tokens after
Anthropic's resizing (long edge at most 1568 pixels and at most about 1,600 tokens, aspect
ratio kept), read from the image's own header (Anthropic's vision docs, "Calculate image
costs"). Recorded: an 800x440 WebP with a one-line question cost 480 input tokens on
claude-3-haiku (openinference ``test_invoke_model_with_image.yaml``; 470 of them the image).
A PDF costs :data:`PDF_PAGE_TOKENS` per page, pages counted from its ``/Type /Page``
objects (Anthropic documents "1,500-3,000 tokens per page", text plus the page image; the
emulator extracts no text, so it takes the low end). A text document costs its text (and
title); an image or PDF that isn't base64 (``url``, ``file``) costs 1,600 tokens or one page.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ._errors import validation_error

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
"""The image media types Claude takes (Bedrock: "Unsupported image mime type: image/*,
expected one of: image/jpeg, image/png, image/gif, image/webp", openai/openai-agents-js#722)."""
MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""An image's base64 data may be at most 5 MB: ``image exceeds 5 MB maximum: 6737924 bytes >
5242880 bytes`` (Bedrock, Converse-wrapped, aws/aws-sdk-js-v3#6785: the encoded size)."""
MAX_IMAGE_SIDE = 8000
"""Pixels per side at most (Anthropic's vision docs; AWS's Claude model parameters page)."""
MAX_IMAGES = 20
"""Images per request at most on Bedrock (AWS's Anthropic Claude Messages API page)."""
RESIZED_LONG_EDGE = 1568
"""Anthropic resizes images whose long edge is longer (vision docs)."""
PIXELS_PER_TOKEN = 750
"""``tokens = (width px * height px) / 750`` (vision docs)."""
MAX_IMAGE_TOKENS = 1600
"""Images above about 1,600 tokens are scaled down first (vision docs)."""
PDF_PAGE_TOKENS = 1500
"""Anthropic's PDF docs: "each page typically uses 1,500-3,000 tokens"; the low end."""
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_MAGIC: dict[str, Callable[[bytes], bool]] = {
    "image/png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda b: b.startswith(b"\xff\xd8\xff"),
    "image/gif": lambda b: b[:6] in (b"GIF87a", b"GIF89a"),
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
}


def mismatch_message(where: str, media_type: str) -> str:
    """``...source.base64.data: Image does not match the provided media type image/png``.

    Anthropic API (anthropics/claude-code#6300, #15746).
    """
    prefix = f"{where}.image.source.base64.data"
    return f"{prefix}: Image does not match the provided media type {media_type}"


def check_media(messages: Sequence[Any]) -> None:
    """Check every base64 image and document block of ``messages``.

    Raises:
        BedrockError: 400 ``ValidationException`` for the first bad block.
    """
    images = 0
    for where, block in _media_blocks(messages):
        source = block.get("source")
        if not isinstance(source, dict) or source.get("type") != "base64":
            continue
        media_type = source.get("media_type")
        data = source.get("data")
        if block["type"] == "image":
            images += 1
            _check_image(where, media_type, data)
        else:
            _check_pdf(where, media_type, data)
    if images > MAX_IMAGES:
        raise validation_error(  # stand-in
            f"messages: too many images in the request: {images} > {MAX_IMAGES}"
        )


def _decode(where: str, data: Any) -> bytes:
    try:
        return base64.b64decode(data if isinstance(data, str) else "", validate=True)
    except (binascii.Error, ValueError):
        raise validation_error(  # stand-in
            f"{where}.source.base64.data: The provided data is not valid base64"
        ) from None


def _check_image(where: str, media_type: Any, data: Any) -> None:
    if media_type not in IMAGE_TYPES:
        expected = ", ".join(f"'{t}'" for t in IMAGE_TYPES[:-1]) + f" or '{IMAGE_TYPES[-1]}'"
        raise validation_error(  # stand-in, in the validator's wording
            f"{where}.image.source.base64.media_type: Input should be {expected}"
        )
    if isinstance(data, str) and len(data) > MAX_IMAGE_BYTES:
        raise validation_error(
            f"{where}.image.source: image exceeds 5 MB maximum: "
            f"{len(data)} bytes > {MAX_IMAGE_BYTES} bytes"
        )
    raw = _decode(f"{where}.image", data)
    if not _MAGIC[media_type](raw):
        raise validation_error(mismatch_message(where, media_type))
    size = image_size(raw)
    if size is None:
        raise validation_error(  # stand-in
            f"{where}.image.source.base64.data: Could not process image"
        )
    if max(size) > MAX_IMAGE_SIDE:
        raise validation_error(  # stand-in
            f"{where}.image.source.base64.data: At least one of the image dimensions exceed "
            f"max allowed size: {MAX_IMAGE_SIDE} pixels"
        )


def _check_pdf(where: str, media_type: Any, data: Any) -> None:
    if media_type != "application/pdf":
        raise validation_error(  # stand-in
            f"{where}.document.source.base64.media_type: Input should be 'application/pdf'"
        )
    raw = _decode(f"{where}.document", data)
    if not raw.startswith(b"%PDF-"):
        raise validation_error(  # stand-in
            f"{where}.document.source.base64.data: The PDF specified was not valid."
        )


def _media_blocks(messages: Sequence[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``("messages.I.content.J", block)`` for image/document blocks, also in tool results."""
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        for j, block in enumerate(content if isinstance(content, list) else ()):
            if not isinstance(block, dict):
                continue
            where = f"messages.{i}.content.{j}"
            if block.get("type") in ("image", "document"):
                yield where, block
            nested = block.get("content") if block.get("type") == "tool_result" else None
            for k, inner in enumerate(nested if isinstance(nested, list) else ()):
                if isinstance(inner, dict) and inner.get("type") in ("image", "document"):
                    yield f"{where}.tool_result.content.{k}", inner


# -- sizes from headers ------------------------------------------------------------------


def image_size(raw: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG, GIF, JPEG or WebP header; ``None`` if unreadable."""
    try:
        if raw.startswith(b"\x89PNG\r\n\x1a\n"):
            return struct.unpack(">II", raw[16:24])  # IHDR: width, height
        if raw[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", raw[6:10])  # logical screen
        if raw.startswith(b"\xff\xd8"):
            return _jpeg_size(raw)
        if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
            return _webp_size(raw)
    except struct.error:
        return None
    return None


_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
"""JPEG start-of-frame markers (not DHT, JPG, DAC)."""


def _jpeg_size(raw: bytes) -> tuple[int, int] | None:
    offset = 2
    while offset + 4 <= len(raw):
        if raw[offset] != 0xFF:
            return None
        marker = raw[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            offset += 2
            continue
        (length,) = struct.unpack(">H", raw[offset + 2 : offset + 4])
        if marker in _SOF:
            height, width = struct.unpack(">HH", raw[offset + 5 : offset + 9])
            return width, height
        offset += 2 + length
    return None


def _webp_size(raw: bytes) -> tuple[int, int] | None:
    chunk = raw[12:16]
    if chunk == b"VP8 ":  # lossy: 14-bit sizes after the start code
        width, height = struct.unpack("<HH", raw[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":  # lossless: 14-bit sizes minus one, packed
        (bits,) = struct.unpack("<I", raw[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: 24-bit canvas sizes minus one
        width = int.from_bytes(raw[24:27], "little") + 1
        height = int.from_bytes(raw[27:30], "little") + 1
        return width, height
    return None


# -- tokens --------------------------------------------------------------------------------


def image_tokens(width: int, height: int) -> int:
    """Claude's token count for an image of ``width`` x ``height`` pixels, after resizing."""
    if width <= 0 or height <= 0:
        return 0
    scale = min(
        1.0,
        RESIZED_LONG_EDGE / max(width, height),
        math.sqrt(MAX_IMAGE_TOKENS * PIXELS_PER_TOKEN / (width * height)),
    )
    resized_w, resized_h = max(1, int(width * scale)), max(1, int(height * scale))
    return math.ceil(resized_w * resized_h / PIXELS_PER_TOKEN)


def media_tokens(block: Mapping[str, Any], count_text: Callable[[str], int]) -> int | None:
    """Input tokens of an image or document block; ``None`` for other blocks.

    Args:
        block: A content block.
        count_text: The emulator's text estimate (for text documents and PDF titles).

    Returns:
        The tokens, or ``None`` when ``block`` is not an image or document.
    """
    kind = block.get("type")
    if kind not in ("image", "document"):
        return None
    source = block.get("source")
    source = source if isinstance(source, dict) else {}
    data = source.get("data")
    if source.get("type") == "text" and isinstance(data, str):
        return count_text(data) + count_text(str(block.get("title") or ""))
    raw = b""
    if source.get("type") == "base64" and isinstance(data, str):
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
    if kind == "image":
        size = image_size(raw)
        return image_tokens(*size) if size is not None else MAX_IMAGE_TOKENS
    pages = max(1, len(_PAGE.findall(raw)))
    return pages * PDF_PAGE_TOKENS
