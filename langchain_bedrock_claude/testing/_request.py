"""What the emulator received: :class:`EmulatedRequest`, its :class:`Headers`, the log.

:class:`RequestLog` is the bounded record behind ``BedrockEmulator.requests``.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

AuthScheme = Literal["sigv4", "bearer"]


class Headers(Mapping[str, str]):
    """Request headers with case-insensitive lookup; ``raw`` keeps names and order."""

    __slots__ = ("_by_name", "raw")

    def __init__(self, raw: Sequence[tuple[str, str]] = ()) -> None:
        self.raw: tuple[tuple[str, str], ...] = tuple(raw)
        """The headers as received: ``(name, value)`` pairs in order."""
        by_name: dict[str, str] = {}
        for name, value in self.raw:
            key = name.lower()
            by_name[key] = f"{by_name[key]}, {value}" if key in by_name else value
        self._by_name = by_name

    def __getitem__(self, name: str) -> str:
        return self._by_name[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_name

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return f"Headers({list(self.raw)!r})"


GUARDRAIL_CONFIG_KEY = "amazon-bedrock-guardrailConfig"
"""The body member with a guardrail's ``tagSuffix`` and ``streamProcessingMode``."""
_SIGV4_SCHEME = "AWS4-HMAC-SHA256"
_BEARER_SCHEME = "Bearer"
"""``Authorization`` schemes: SigV4, and Bedrock API keys (bearer tokens)."""
_AUTH_SCHEMES: dict[str, AuthScheme] = {_SIGV4_SCHEME: "sigv4", _BEARER_SCHEME: "bearer"}

# InvokeModel input members sent as headers (botocore's ``bedrock-runtime`` model), as
# looked up in :class:`Headers` (any case).
TRACE_HEADER = "x-amzn-bedrock-trace"
GUARDRAIL_IDENTIFIER_HEADER = "x-amzn-bedrock-guardrailidentifier"
GUARDRAIL_VERSION_HEADER = "x-amzn-bedrock-guardrailversion"
PERFORMANCE_CONFIG_LATENCY_HEADER = "x-amzn-bedrock-performanceconfig-latency"
SERVICE_TIER_HEADER = "x-amzn-bedrock-service-tier"
REQUEST_METADATA_HEADER = "x-amzn-bedrock-request-metadata"


REQUEST_LOG_SIZE = 1000
"""Requests ``BedrockEmulator.requests`` keeps at most (the newest)."""
REQUEST_LOG_BYTES = 32 * 1024 * 1024
"""Request body bytes it keeps at most (the newest request is always kept, whatever its
size): 100 requests of 1 MiB no longer hold 100 MiB, and one of Bedrock's largest bodies
(25,000,000 bytes) still fits."""
_SURROGATE_ESCAPES = (b"\\ud", b"\\uD")
"""How a UTF-16 surrogate can appear in JSON text: only as an escape (raw UTF-8 can't
encode one, so such bytes fail to decode)."""


def load_json(raw: bytes) -> Any:
    r"""``raw`` parsed as JSON, or ``None`` when it is empty or not JSON.

    Text that Python's parser accepts but that is not interoperable JSON counts as not
    JSON: a string with a lone surrogate (``"\ud800"``; RFC 8259, section 8.2, and
    Anthropic's API refuses it: "The request body is not valid JSON: no low surrogate in
    string", anthropics/claude-code#4009), or nesting deeper than the recursion limit.
    """
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
        if any(escape in raw for escape in _SURROGATE_ESCAPES):
            # Pairs were joined into one character; an unpaired half can't be encoded.
            json.dumps(parsed, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # UnicodeError is a ValueError
        return None
    return parsed


def split_authorization(headers: Mapping[str, str]) -> tuple[AuthScheme | None, str]:
    """The ``Authorization`` header's scheme and what follows it.

    Returns:
        ``("sigv4" | "bearer" | None, rest)``: ``None`` for a missing or unknown scheme;
        ``rest`` is the text after the first space (not stripped).
    """
    scheme, _, rest = headers.get("authorization", "").strip().partition(" ")
    return _AUTH_SCHEMES.get(scheme), rest


@dataclass(frozen=True)
class EmulatedRequest:
    """One HTTP request as the emulator received it (kept in ``emu.requests``)."""

    method: str
    """HTTP method, e.g. ``POST``."""
    path: str
    """The raw request path, without the query string (model id still percent-encoded)."""
    operation: str
    """``invoke``, ``invoke-with-response-stream`` or ``count-tokens``; ``""`` for any
    other path."""
    model_id: str
    """The model id from the path, percent-decoded (``…-v1:0``, ARNs with ``/``)."""
    headers: Headers
    """Request headers, case-insensitive."""
    body: bytes
    """The raw request body."""
    query: Mapping[str, list[str]] = field(default_factory=dict)
    """Query parameters (Bedrock's operations use none)."""

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is empty or not JSON.

        A lone surrogate, or nesting deeper than Python's recursion limit, is not JSON.
        """
        return load_json(self.body)

    @property
    def stream(self) -> bool:
        """Whether this is InvokeModelWithResponseStream."""
        return self.operation == "invoke-with-response-stream"

    @property
    def trace(self) -> str | None:
        """``X-Amzn-Bedrock-Trace`` (boto3's ``trace=``)."""
        return self.headers.get(TRACE_HEADER)

    @property
    def guardrail_identifier(self) -> str | None:
        """``X-Amzn-Bedrock-GuardrailIdentifier`` (boto3's ``guardrailIdentifier=``)."""
        return self.headers.get(GUARDRAIL_IDENTIFIER_HEADER)

    @property
    def guardrail_version(self) -> str | None:
        """``X-Amzn-Bedrock-GuardrailVersion`` (boto3's ``guardrailVersion=``)."""
        return self.headers.get(GUARDRAIL_VERSION_HEADER)

    @property
    def performance_config_latency(self) -> str | None:
        """``X-Amzn-Bedrock-PerformanceConfig-Latency`` (``performanceConfigLatency=``)."""
        return self.headers.get(PERFORMANCE_CONFIG_LATENCY_HEADER)

    @property
    def service_tier(self) -> str | None:
        """``X-Amzn-Bedrock-Service-Tier`` (boto3's ``serviceTier=``)."""
        return self.headers.get(SERVICE_TIER_HEADER)

    @property
    def request_metadata_header(self) -> str | None:
        """``X-Amzn-Bedrock-Request-Metadata`` as sent (boto3's ``requestMetadata=``)."""
        return self.headers.get(REQUEST_METADATA_HEADER)

    @property
    def request_metadata(self) -> dict[str, str] | None:
        """The request metadata tags, parsed from their JSON header.

        ``None`` without the header, or when it isn't a JSON object of strings (the
        emulator answers such requests with a 400).
        """
        return parse_request_metadata(self.request_metadata_header)

    @property
    def auth_scheme(self) -> AuthScheme | None:
        """How the request authenticated: ``"sigv4"`` or ``"bearer"`` (a Bedrock API key).

        ``None`` without a recognisable ``Authorization`` header.
        """
        return split_authorization(self.headers)[0]

    @property
    def bearer_token(self) -> str | None:
        """The Bedrock API key of a ``Bearer`` request, else ``None``."""
        scheme, rest = split_authorization(self.headers)
        if scheme != "bearer":
            return None
        return rest.strip() or None

    @property
    def guardrail_config(self) -> dict[str, Any] | None:
        """The body's ``amazon-bedrock-guardrailConfig`` object, if it has one."""
        body = self.json
        config = body.get(GUARDRAIL_CONFIG_KEY) if isinstance(body, dict) else None
        return config if isinstance(config, dict) else None

    @property
    def prompt_text(self) -> str:
        """The prompt as plain text (``""`` when the body has none).

        The legacy ``prompt``, or the text of ``system`` and every message, one per line.
        """
        return prompt_text(self.json)


def prompt_text(body: Any) -> str:
    """The text a request asks about (see :attr:`EmulatedRequest.prompt_text`)."""
    if not isinstance(body, dict):
        return ""
    if isinstance(body.get("prompt"), str):
        return str(body["prompt"])
    parts = list(_texts(body.get("system")))
    for message in body.get("messages") or ():
        if isinstance(message, dict):
            parts.extend(_texts(message.get("content")))
    return "\n".join(parts)


def _texts(content: Any) -> Iterator[str]:
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for block in content:
            if isinstance(block, dict) and isinstance(block.get("text"), str):
                yield block["text"]


def parse_request_metadata(header: str | None) -> dict[str, str] | None:
    """The tags of an ``X-Amzn-Bedrock-Request-Metadata`` header (a JSON object of strings).

    Returns:
        The tags, or ``None`` when the header is absent or not such an object.
    """
    if header is None:
        return None
    try:
        tags = json.loads(header)
    except ValueError:
        return None
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        return None
    return {str(k): v for k, v in tags.items()}


class RequestLog:
    """The requests kept for inspection, oldest first, bounded in number and body bytes.

    When a new request would exceed either bound, the oldest are forgotten (they still
    count in :attr:`total`). Thread-safe.
    """

    def __init__(
        self, max_requests: int = REQUEST_LOG_SIZE, max_bytes: int = REQUEST_LOG_BYTES
    ) -> None:
        for name, value in (("request_log_size", max_requests), ("request_log_bytes", max_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer (got {value!r})")
        self.max_requests = max_requests
        """Requests kept at most."""
        self.max_bytes = max_bytes
        """Body bytes kept at most (the newest request is kept whatever its size)."""
        self._entries: deque[EmulatedRequest] = deque()
        self._bytes = 0
        self._total = 0
        self._lock = threading.Lock()

    def append(self, request: EmulatedRequest) -> None:
        """Keep ``request``, forgetting the oldest ones over the bounds."""
        with self._lock:
            self._entries.append(request)
            self._bytes += len(request.body)
            self._total += 1
            while len(self._entries) > self.max_requests or (
                self._bytes > self.max_bytes and len(self._entries) > 1
            ):
                self._bytes -= len(self._entries.popleft().body)

    def snapshot(self) -> list[EmulatedRequest]:
        """The kept requests, oldest first (a copy)."""
        with self._lock:
            return list(self._entries)

    @property
    def total(self) -> int:
        """Requests received since the last :meth:`clear`, kept or not."""
        return self._total

    def clear(self) -> None:
        """Forget every request and reset :attr:`total`."""
        with self._lock:
            self._entries.clear()
            self._bytes = self._total = 0
