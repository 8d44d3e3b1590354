"""Tiny real image and PDF files built with the standard library, for the emulator's tests.

Each builder writes the format's real header (the part the emulator reads for the size) and
a minimal body; :func:`png` is decodable up to 65,536 pixels (larger ones have an empty
IDAT, which the header-only reader doesn't notice).
"""

from __future__ import annotations

import base64
import struct
import zlib


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(width: int, height: int) -> bytes:
    """A grey 8-bit RGB PNG (no pixel rows above 65,536 pixels, to stay small)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = (b"\x00" + b"\x80" * (3 * width)) * height if width * height <= 1 << 16 else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def gif(width: int, height: int) -> bytes:
    """A GIF89a header (logical screen size) and trailer."""
    return b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0) + b";"


def jpeg(width: int, height: int) -> bytes:
    """A JPEG's markers up to its baseline start-of-frame (after a JFIF APP0 segment)."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x01\x03\x11\x01"
    return (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", len(app0) + 2)
        + app0
        + b"\xff\xc0"
        + struct.pack(">H", len(sof) + 2)
        + sof
        + b"\xff\xd9"
    )


def webp(width: int, height: int, kind: str = "VP8 ") -> bytes:
    """A WebP RIFF header with a ``VP8 `` (lossy), ``VP8L`` or ``VP8X`` first chunk."""
    if kind == "VP8 ":
        payload = b"\x00\x00\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height)
    elif kind == "VP8L":
        payload = b"\x2f" + struct.pack("<I", (width - 1) | (height - 1) << 14)
    else:
        payload = (
            b"\x00\x00\x00\x00"
            + (width - 1).to_bytes(3, "little")
            + (height - 1).to_bytes(3, "little")
        )
    chunk = kind.encode() + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def pdf(pages: int) -> bytes:
    """A small PDF with ``pages`` page objects."""
    objects = [b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj"]
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages)).encode()
    objects.append(b"2 0 obj << /Type /Pages /Kids [" + kids + b"] /Count %d >> endobj" % pages)
    objects += [
        b"%d 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj" % (3 + i)
        for i in range(pages)
    ]
    return b"%PDF-1.4\n" + b"\n".join(objects) + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def b64(data: bytes) -> str:
    """``data`` as the base64 text a content block carries."""
    return base64.b64encode(data).decode()


def image_block(data: bytes, media_type: str) -> dict[str, object]:
    """An ``image`` content block with a base64 source."""
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": media_type, "data": b64(data)},
    }


def pdf_block(data: bytes, media_type: str = "application/pdf") -> dict[str, object]:
    """A ``document`` content block with a base64 source."""
    return {
        "type": "document",
        "source": {"type": "base64", "media_type": media_type, "data": b64(data)},
    }
