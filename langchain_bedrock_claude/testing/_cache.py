"""Prompt caching: which prefix a request marks, and whether it was seen before.

A request caches the prefix ending at its last ``cache_control`` block (tools, then
system, then messages, as Anthropic orders them). The first request with a given prefix
writes it; later identical prefixes for the same model read it. Reset with the emulator.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._generate import count_block_tokens


@dataclass(frozen=True)
class CachePrefix:
    """The cacheable prefix of one request."""

    key: str
    """Identifies the prefix (model and content)."""
    tokens: int
    """Its token count."""
    one_hour: bool
    """Whether its breakpoint asks for the 1-hour TTL."""


@dataclass(frozen=True)
class CacheUse:
    """What caching did for one request."""

    read: int
    """Tokens read from the cache."""
    write: int
    """Tokens written to the cache."""
    one_hour: bool
    """Whether the write used the 1-hour TTL."""


def cache_prefix(model_key: str, body: Mapping[str, Any]) -> CachePrefix | None:
    """The prefix ``body`` marks with ``cache_control``, or ``None`` when it marks none."""
    blocks = list(_blocks(body))
    marked = [
        i
        for i, block in enumerate(blocks)
        if isinstance(block, dict) and block.get("cache_control")
    ]
    if not marked:
        return None
    prefix = blocks[: marked[-1] + 1]
    control = blocks[marked[-1]]["cache_control"]
    digest = hashlib.sha256(
        json.dumps([model_key, prefix], sort_keys=True, default=str).encode()
    ).hexdigest()
    return CachePrefix(
        key=digest,
        tokens=sum(count_block_tokens(block) for block in prefix),
        one_hour=isinstance(control, dict) and control.get("ttl") == "1h",
    )


def _blocks(body: Mapping[str, Any]) -> Iterator[Any]:
    yield from body.get("tools") or ()
    system = body.get("system")
    if isinstance(system, list):
        yield from system
    elif system is not None:
        yield system
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            yield from content
        elif content is not None:
            yield content


class PromptCache:
    """The prefixes seen so far; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def use(self, prefix: CachePrefix, *, minimum: int = 0) -> CacheUse:
        """Record a request's prefix: a write the first time, a read afterwards.

        A prefix shorter than ``minimum`` tokens is not cached (both counts are 0).
        """
        if prefix.tokens < minimum:
            return CacheUse(read=0, write=0, one_hour=prefix.one_hour)
        with self._lock:
            hit = prefix.key in self._seen
            self._seen.add(prefix.key)
        if hit:
            return CacheUse(read=prefix.tokens, write=0, one_hour=prefix.one_hour)
        return CacheUse(read=0, write=prefix.tokens, one_hour=prefix.one_hour)

    def clear(self) -> None:
        """Forget every prefix."""
        with self._lock:
            self._seen.clear()
