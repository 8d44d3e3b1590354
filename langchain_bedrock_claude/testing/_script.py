"""Scripted replies and fault scenarios, consumed by the next matching requests.

Two FIFO queues, both thread-safe:

* **faults** (``throttle``, ``fail_next``, ``hang``, ``interrupt_stream``): each applies
  to the next ``times`` requests it matches, in the order queued. Error faults and hangs
  are taken after authentication, before the model id and body are checked; stream
  interruptions are taken once a stream request is valid.
* **replies** (``reply``, ``reply_raw``): a raw reply is served to the next request
  whatever it is; a scripted reply is used by the next valid invoke or stream request
  (a request a fault answered doesn't consume it, so ``throttle(2)`` then ``reply("x")``
  gives two throttles and then "x" to the retry).

A scripted reply can call tools (see :class:`ToolCall`)::

    emu.reply(Reply(text="Let me check.", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    emu.reply(Reply(tool_calls=[ToolCall("get_weather"), ToolCall("get_time")]))  # inputs generated
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from ._errors import BedrockError
from ._request import EmulatedRequest


@dataclass(frozen=True)
class ToolCall:
    """One ``tool_use`` block of a scripted reply.

    ``ToolCall("get_weather", {"city": "Paris"})`` answers exactly that input;
    ``ToolCall("get_weather")`` generates an input valid against the schema of the request's
    tool of that name (``{}`` when the request has no such tool).
    """

    name: str
    """The tool's name, as the model would call it (not checked against the request)."""
    input: Mapping[str, Any] | None = None
    """The call's input; ``None`` to generate one from the tool's ``input_schema``."""
    id: str | None = None
    """The ``tool_use`` id; ``None`` for a fresh ``toolu_bdrk_…`` id."""


@dataclass(frozen=True)
class Reply:
    """What the emulated model answers.

    ``text`` as a ``str`` is split into word-ish tokens (one stream event each); a
    sequence of strings gives the exact token pieces. With ``tool_calls`` the answer is
    the text (if any) followed by one ``tool_use`` block per call, and ``stop_reason``
    ``tool_use``; streamed, each call is a ``content_block_start`` and several
    ``input_json_delta`` events, as Bedrock sends them.
    """

    text: str | Sequence[str] | None = None
    """The answer; ``None`` for the emulator's deterministic default text (no text at all
    when the reply has ``tool_calls``)."""
    tool_calls: Sequence[ToolCall] = ()
    """Tool calls after the text, in order (several make a parallel tool call)."""
    thinking: str | Sequence[str] | None = None
    """The thinking text, used when the request enables thinking (else generated)."""
    stop_reason: str | None = None
    """Reported instead of ``end_turn`` when the answer ends on its own (e.g.
    ``"refusal"``); ``max_tokens`` and ``stop_sequence`` still win."""
    input_tokens: int | None = None
    """Overrides the emulator's input token count."""
    first_byte_latency: float | None = None
    """Seconds before the first byte (default: the emulator's setting)."""
    token_latency: float | None = None
    """Seconds between tokens (default: the emulator's setting)."""


ReplyContent: TypeAlias = "str | Sequence[str] | Reply"
Responder: TypeAlias = "Callable[[EmulatedRequest], str | Sequence[str] | Reply]"
"""Computes a reply from the parsed request. Runs on the server's event loop: keep it quick."""


@dataclass(frozen=True)
class RawReply:
    """Exact bytes to serve."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


StreamMode = Literal["exception", "drop", "early_end", "cut_frame"]
"""How :meth:`BedrockEmulator.interrupt_stream` breaks a stream."""


@dataclass(frozen=True)
class Interruption:
    """How a stream breaks after ``after_events`` events."""

    after_events: int
    mode: StreamMode
    exception_type: str
    message: str | None


@dataclass(frozen=True)
class Hang:
    """Accept the request and never answer (until the timeout or the emulator stops)."""

    timeout: float | None


FaultAction: TypeAlias = "BedrockError | Hang | Interruption"


@dataclass
class _Fault:
    action: FaultAction
    times: int
    operation: str | None


@dataclass
class _Scripted:
    content: ReplyContent | Responder | RawReply
    times: int
    first_byte_latency: float | None
    token_latency: float | None


class Script:
    """The queues of faults and replies; every method is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._replies: list[_Scripted] = []

    def add_fault(self, action: FaultAction, *, times: int, operation: str | None) -> None:
        """Queue ``action`` for the next ``times`` requests matching ``operation``."""
        if times < 1:
            raise ValueError(f"times must be at least 1 (got {times})")
        with self._lock:
            self._faults.append(_Fault(action, times, operation))

    def add_reply(
        self,
        content: ReplyContent | Responder | RawReply,
        *,
        times: int,
        first_byte_latency: float | None = None,
        token_latency: float | None = None,
    ) -> None:
        """Queue a reply for the next ``times`` requests."""
        if times < 1:
            raise ValueError(f"times must be at least 1 (got {times})")
        with self._lock:
            self._replies.append(_Scripted(content, times, first_byte_latency, token_latency))

    def take_fault(self, request: EmulatedRequest, *, interruption: bool) -> FaultAction | None:
        """Consume the first queued fault of the given kind that matches ``request``."""
        with self._lock:
            for fault in self._faults:
                if isinstance(fault.action, Interruption) != interruption:
                    continue
                if interruption and not request.stream:
                    continue
                if fault.operation is not None and fault.operation != request.operation:
                    continue
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault.action
        return None

    def take_raw(self) -> RawReply | None:
        """Consume the next reply if it is a raw one."""
        with self._lock:
            if self._replies and isinstance(self._replies[0].content, RawReply):
                return self._consume_first_reply().content  # type: ignore[return-value]
        return None

    def take_reply(self) -> _Scripted | None:
        """Consume the next scripted (non-raw) reply, if one is queued."""
        with self._lock:
            if self._replies and not isinstance(self._replies[0].content, RawReply):
                return self._consume_first_reply()
        return None

    def _consume_first_reply(self) -> _Scripted:
        first = self._replies[0]
        first.times -= 1
        if first.times == 0:
            self._replies.pop(0)
        return first

    def clear(self) -> None:
        """Drop everything queued."""
        with self._lock:
            self._faults.clear()
            self._replies.clear()


def raw_reply(
    status: int, headers: Mapping[str, str] | Sequence[tuple[str, str]], body: bytes
) -> RawReply:
    """Build a :class:`RawReply`, keeping the header order given."""
    items = tuple(headers.items()) if isinstance(headers, Mapping) else tuple(headers)
    return RawReply(status, tuple((str(k), str(v)) for k, v in items), bytes(body))
