"""HTTP/1.1 framing for the emulator's server, without I/O: parse what arrives, build heads.

The server (:mod:`._server`) reads bytes and calls these; each malformed piece raises an
:class:`HttpError` the server answers (RFC 9110 and RFC 9112 give the rules cited).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate

from ._request import Headers

MAX_HEAD = 1024 * 1024
"""Largest request line + headers accepted (bytes)."""
_MAX_CHUNK_SIZE_DIGITS = 16
"""Hex digits of a chunk size: 16 covers any size a 64-bit length can hold."""
_REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    413: "Payload Too Large",
    424: "Failed Dependency",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
# RFC 9110 tokens: a method, a header name.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION = re.compile(r"HTTP/1\.[01]")
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,%d}" % _MAX_CHUNK_SIZE_DIGITS)


@dataclass(frozen=True)
class HttpRequest:
    """A parsed request: what the handler gets."""

    method: str
    target: str
    headers: Headers
    body: bytes
    version: str = "HTTP/1.1"


class HttpError(Exception):
    """A request the server answers itself: malformed, too large, or its handler failed."""

    def __init__(self, status: int, message: str, *, method: str = "", target: str = "") -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status to answer with."""
        self.message = message
        """What was wrong, for the answer's body and the log."""
        self.method = method
        """The request's method, when the request line could be read."""
        self.target = target
        """The request's target, when the request line could be read."""


class _DateCache:
    """``Date`` header value, formatted at most once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second, self._value = second, formatdate(second, usegmt=True)
        return self._value


_DATE = _DateCache()


def response_head(
    status: int, headers: Sequence[tuple[str, str]], *, date: bool, close: bool = False
) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
    if date:
        lines.append(f"Date: {_DATE.now()}")
    if close:
        # The answer must not promise a keep-alive the server won't keep.
        headers = [(n, v) for n, v in headers if n.lower() != "connection"]
        headers.append(("Connection", "close"))
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    """One HTTP/1.1 chunk carrying ``data``."""
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"


def keeps_alive(request: HttpRequest) -> bool:
    tokens = {t.strip().lower() for t in request.headers.get("connection", "").split(",")}
    if "close" in tokens:
        return False
    # HTTP/1.0 closes by default (RFC 9112, section 9.3).
    return request.version != "HTTP/1.0" or "keep-alive" in tokens


def parse_head(head: bytes) -> tuple[str, str, str, Headers]:
    lines = head[:-4].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not parts[1]:
        raise HttpError(400, f"malformed request line {_shorten(lines[0])!r}")
    method, target, version = parts
    if not _VERSION.fullmatch(version):
        raise HttpError(400, f"unsupported HTTP version {_shorten(version)!r}", method=method)
    raw_headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name):  # also obsolete line folding
            raise HttpError(
                400, f"malformed header line {_shorten(line)!r}", method=method, target=target
            )
        raw_headers.append((name, value.strip()))
    return method, target, version, Headers(raw_headers)


def is_chunked(headers: Headers, method: str, target: str) -> bool:
    coding = headers.get("transfer-encoding")
    if coding is None:
        return False
    # A request's last transfer coding must be chunked (RFC 9112, section 6.3).
    if coding.split(",")[-1].strip().lower() != "chunked":
        raise HttpError(
            400,
            f"unsupported Transfer-Encoding {_shorten(coding)!r}",
            method=method,
            target=target,
        )
    return True


def content_length(headers: Headers, method: str, target: str) -> int:
    value = headers.get("content-length")
    if value is None:
        return 0
    # Repeated headers arrive joined with ", "; equal copies are one length (RFC 9110 8.6).
    values = {v.strip() for v in value.split(",")}
    if len(values) != 1 or not _DIGITS.fullmatch(next(iter(values))):
        raise HttpError(
            400, f"invalid Content-Length {_shorten(value)!r}", method=method, target=target
        )
    return int(values.pop())


def too_large(max_body: int, method: str, target: str) -> HttpError:
    return HttpError(
        413, f"the request body is over {max_body} bytes", method=method, target=target
    )


def chunk_size(line: bytes, method: str, target: str) -> int:
    """The size on a chunk-size line (extensions after ``;`` are ignored)."""
    digits = line.split(b";", 1)[0].strip()
    if not _HEX.fullmatch(digits):
        raise HttpError(
            400,
            f"malformed chunk size {_shorten(line.decode('latin-1').strip())!r}",
            method=method,
            target=target,
        )
    return int(digits, 16)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
