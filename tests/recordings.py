"""Recorded Bedrock Runtime traffic, loaded as typed records.

The recordings live outside the repository, in ``<repo>/../shared/recordings`` (see its
README). This module reads the recording formats found there and turns each recorded
HTTP exchange with Bedrock Runtime into one :class:`Recording`::

    from tests.recordings import RECORDINGS_DIR, load_recordings

    pytestmark = pytest.mark.skipif(not RECORDINGS_DIR.is_dir(), reason="no recordings")

    for rec in load_recordings():
        if rec.operation == "invoke-with-response-stream" and rec.status == 200:
            ...  # rec.model_id, rec.request_json, rec.headers, rec.body

Formats understood: vcrpy / pytest-recording YAML (``!!binary`` bodies and aiohttp
``!!python/...`` tags included), pydantic-ai YAML (``parsed_body``), nock JSON (hex
bodies), ddapm test-agent JSON/YAML (``base64:`` bodies), Polly HAR and Go httprr dumps.
Only exchanges with a ``bedrock-runtime`` host and a ``/model/{id}/{operation}`` path
are kept. ``load_recordings()`` returns ``[]`` when the folder is absent.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

RECORDINGS_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "recordings"
"""Where the shared recordings are expected (may be absent)."""

_PATH_RE = re.compile(r"/model/(?P<model>[^/?]+)/(?P<op>[a-z-]+)")
_OPERATIONS = frozenset(
    {"invoke", "invoke-with-response-stream", "count-tokens", "converse", "converse-stream"}
)


@dataclass(frozen=True)
class Recording:
    """One recorded request/response exchange with Bedrock Runtime."""

    source: Path
    """The recording file."""
    index: int
    """Position of the exchange within ``source`` (0-based)."""
    operation: str
    """``invoke``, ``invoke-with-response-stream``, ``count-tokens``, ``converse`` or
    ``converse-stream``: the last path segment."""
    model_id: str
    """The model id from the URL path, percent-decoded (``...-v1:0``, ARNs with ``/``)."""
    url: str
    """The request URL as recorded."""
    request_body: bytes | None
    """The request body (re-serialized compactly where the recorder stored parsed JSON)."""
    status: int
    """The HTTP status of the response."""
    headers: Mapping[str, str]
    """Response headers, names lower-cased (only what the recorder kept)."""
    body: bytes
    """The response body: raw event-stream bytes for streams, JSON bytes otherwise."""
    request_headers: Mapping[str, str] = field(default_factory=dict)
    """Request headers, names lower-cased (only what the recorder kept)."""

    @property
    def request_json(self) -> Any:
        """The request body parsed as JSON, or ``None`` when absent or not JSON."""
        return _parse_json(self.request_body)

    @property
    def body_json(self) -> Any:
        """The response body parsed as JSON, or ``None`` for streams and non-JSON."""
        if self.is_event_stream:
            return None
        return _parse_json(self.body)

    @property
    def is_event_stream(self) -> bool:
        """Whether the response body is an ``application/vnd.amazon.eventstream``."""
        return "eventstream" in self.headers.get("content-type", "")

    @property
    def name(self) -> str:
        """A short id for test parametrization: ``<folder>/<file>#<index>``."""
        return f"{self.source.parent.name}/{self.source.name}#{self.index}"


def load_recordings(root: Path = RECORDINGS_DIR) -> list[Recording]:
    """Load every Bedrock Runtime exchange found under ``root``.

    Args:
        root: The recordings folder; defaults to ``<repo>/../shared/recordings``.

    Returns:
        The records, ordered by file path and then position in the file; ``[]`` when
        ``root`` does not exist.
    """
    return list(_load(root.resolve()))


@cache
def _load(root: Path) -> tuple[Recording, ...]:
    if not root.is_dir():
        return ()
    out: list[Recording] = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in {".yaml", ".yml", ".json", ".har", ".httprr"}:
            continue
        for index, exchange in enumerate(_exchanges(path)):
            rec = _to_recording(path, index, exchange)
            if rec is not None:
                out.append(rec)
    return tuple(out)


@dataclass
class _Exchange:
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    headers: dict[str, str]
    body: bytes


def _to_recording(path: Path, index: int, ex: _Exchange) -> Recording | None:
    parts = urlsplit(ex.url)
    host = parts.netloc or ex.request_headers.get("host", "")
    if "bedrock-runtime" not in host:
        return None
    match = _PATH_RE.search(parts.path)
    if match is None or match["op"] not in _OPERATIONS:
        return None
    return Recording(
        source=path,
        index=index,
        operation=match["op"],
        model_id=unquote(match["model"]),
        url=ex.url,
        request_body=ex.request_body,
        status=ex.status,
        headers=ex.headers,
        body=ex.body,
        request_headers=ex.request_headers,
    )


def _exchanges(path: Path) -> Iterator[_Exchange]:
    raw = path.read_bytes()
    if raw.startswith(b"httprr trace"):
        yield from _from_httprr(raw)
        return
    if path.suffix in {".json", ".har"}:
        doc = json.loads(raw)
        if isinstance(doc, list):
            yield from _from_nock(doc)
        elif "log" in doc:
            yield from _from_har(doc)
        elif "request" in doc and "response" in doc:
            yield _from_ddagent(doc)
        return
    doc = yaml.load(raw, Loader=_Loader)
    if isinstance(doc, dict) and "interactions" in doc:
        for item in doc["interactions"]:
            yield _from_vcr(item)
    elif isinstance(doc, dict) and "request" in doc and "response" in doc:
        yield _from_ddagent(doc)


# -- YAML ---------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    """SafeLoader that tolerates aiohttp's ``!!python/object/apply:multidict...istr`` keys."""


def _python_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        items = loader.construct_sequence(node)
        return items[0] if len(items) == 1 else tuple(items)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    return loader.construct_scalar(node)


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _python_tag)


def _header_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _headers(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        return {}
    return {str(k).lower(): _header_value(v) for k, v in raw.items()}


def _as_bytes(value: Any, *, binary: bool) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        # vcrpy stores non-UTF-8 bodies as latin-1 text when not using !!binary.
        return value.encode("latin-1", "replace") if binary else value.encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _from_vcr(item: Mapping[str, Any]) -> _Exchange:
    req, resp = item.get("request") or {}, item.get("response") or {}
    headers = _headers(resp.get("headers"))
    binary = "eventstream" in headers.get("content-type", "")
    body = resp.get("body")
    if isinstance(body, Mapping):
        body = body.get("string")
    if body is None and "parsed_body" in resp:
        body = resp["parsed_body"]
    req_body = req.get("body")
    if req_body is None and "parsed_body" in req:
        req_body = req["parsed_body"]
    return _Exchange(
        url=str(req.get("uri", "")),
        request_headers=_headers(req.get("headers")),
        request_body=None if req_body is None else _as_bytes(req_body, binary=False),
        status=int((resp.get("status") or {}).get("code", 0)),
        headers=headers,
        body=_as_bytes(body, binary=binary),
    )


# -- ddapm test agent ---------------------------------------------------------------


def _ddagent_body(value: Any) -> bytes:
    if isinstance(value, str) and value.startswith("base64:"):
        return base64.b64decode(value[len("base64:") :])
    return _as_bytes(value, binary=False)


def _from_ddagent(doc: Mapping[str, Any]) -> _Exchange:
    req, resp = doc["request"], doc["response"]
    return _Exchange(
        url=str(req.get("url", "")),
        request_headers=_headers(req.get("headers")),
        request_body=_ddagent_body(req.get("body")) if req.get("body") is not None else None,
        status=int((resp.get("status") or {}).get("code", 0)),
        headers=_headers(resp.get("headers")),
        body=_ddagent_body(resp.get("body", "")),
    )


# -- nock ---------------------------------------------------------------------------


def _from_nock(items: list[Mapping[str, Any]]) -> Iterator[_Exchange]:
    for item in items:
        raw_headers = item.get("rawHeaders") or []
        if isinstance(raw_headers, Mapping):
            headers = _headers(raw_headers)
        else:
            headers = {
                str(k).lower(): str(v)
                for k, v in zip(raw_headers[::2], raw_headers[1::2], strict=False)
            }
        response = item.get("response")
        if item.get("responseIsBinary") and isinstance(response, str):
            body = binascii.unhexlify(response)
        else:
            body = _as_bytes(response, binary=False)
        req_body = item.get("body")
        yield _Exchange(
            url=str(item.get("scope", "")) + str(item.get("path", "")),
            request_headers=_headers(item.get("reqheaders")),
            request_body=None if req_body in (None, "") else _as_bytes(req_body, binary=False),
            status=int(item.get("status", 0)),
            headers=headers,
            body=body,
        )


# -- HAR ----------------------------------------------------------------------------


def _har_headers(items: list[Mapping[str, str]]) -> dict[str, str]:
    return {h["name"].lower(): h["value"] for h in items}


def _from_har(doc: Mapping[str, Any]) -> Iterator[_Exchange]:
    for entry in doc["log"]["entries"]:
        req, resp = entry["request"], entry["response"]
        content = resp.get("content") or {}
        text = content.get("text", "")
        body = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode()
        post = (req.get("postData") or {}).get("text")
        yield _Exchange(
            url=req["url"],
            request_headers=_har_headers(req.get("headers", [])),
            request_body=None if post is None else post.encode(),
            status=int(resp["status"]),
            headers=_har_headers(resp.get("headers", [])),
            body=body,
        )


# -- httprr -------------------------------------------------------------------------


def _split_http(message: bytes) -> tuple[list[str], bytes]:
    head, sep, body = message.partition(b"\r\n\r\n")
    if not sep:
        head, _, body = message.partition(b"\n\n")
    return head.decode("latin-1").splitlines(), body


def _dechunk(data: bytes) -> bytes:
    out, offset = bytearray(), 0
    while offset < len(data):
        eol = data.index(b"\r\n", offset)
        size = int(data[offset:eol].split(b";")[0], 16)
        if size == 0:
            break
        out += data[eol + 2 : eol + 2 + size]
        offset = eol + 2 + size + 2
    return bytes(out)


def _from_httprr(raw: bytes) -> Iterator[_Exchange]:
    # "httprr trace v1\n", then per exchange "<req len> <resp len>\n<request><response>".
    offset = raw.index(b"\n") + 1
    while offset < len(raw):
        eol = raw.index(b"\n", offset)
        req_len, resp_len = map(int, raw[offset:eol].split())
        offset = eol + 1
        request = raw[offset : offset + req_len]
        offset += req_len
        response = raw[offset : offset + resp_len]
        offset += resp_len
        req_lines, req_body = _split_http(request)
        resp_lines, body = _split_http(response)
        headers = _header_lines(resp_lines[1:])
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = _dechunk(body)
        yield _Exchange(
            url=req_lines[0].split()[1],
            request_headers=_header_lines(req_lines[1:]),
            request_body=req_body or None,
            status=int(resp_lines[0].split()[1]),
            headers=headers,
            body=body,
        )


def _header_lines(lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


def _parse_json(data: bytes | None) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None
