"""Bedrock Guardrails on InvokeModel(WithResponseStream), as the service applies them.

Which guardrail a request names, whether it intervenes, and what the response then says.

Real shapes (AWS "Test your guardrail" user guide, InvokeModel API reference, invocation
logs quoted in public repositories):

* A request names a guardrail with ``X-Amzn-Bedrock-GuardrailIdentifier`` (id or ARN) and
  ``X-Amzn-Bedrock-GuardrailVersion`` (``DRAFT`` or a number); ``X-Amzn-Bedrock-Trace``
  (``ENABLED``, ``ENABLED_FULL``, ``DISABLED``) asks for the trace. Streams may add
  ``"amazon-bedrock-guardrailConfig": {"streamProcessingMode": "SYNCHRONOUS" |
  "ASYNCHRONOUS"}`` to the body (and ``tagSuffix`` for input tagging); Bedrock removes it
  before the model sees the body.
* Every answer under a guardrail carries ``"amazon-bedrock-guardrailAction": "INTERVENED" |
  "NONE"`` in the body (streams: the last event), and with tracing
  ``"amazon-bedrock-trace": {"guardrail": {"input": {<id>: {...}}, "outputs": [{<id>:
  {...}}], "actionReason": "Guardrail blocked."}}``.
* An intervention replaces the answer with the guardrail's blocked message as ordinary
  text; the Messages ``stop_reason`` stays ``end_turn`` (only Converse reports
  ``guardrail_intervened``; NousResearch/hermes-agent measured this on live InvokeModel).

The emulated guardrail has one policy, a custom word list (``wordPolicy.customWords``).
Stand-ins, marked below: the error texts, the token counts of a blocked prompt (0: the
model never ran), the trace's key order and ``modelOutput`` only with ``ENABLED_FULL``,
and how streams end after an intervention.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ._errors import malformed, validation_error
from ._generate import Generation, pieces_before
from ._request import (
    GUARDRAIL_CONFIG_KEY,
    GUARDRAIL_IDENTIFIER_HEADER,
    GUARDRAIL_VERSION_HEADER,
    TRACE_HEADER,
)
from ._validation import json_type

ACTION_KEY = "amazon-bedrock-guardrailAction"
"""Body key (last stream event) with ``INTERVENED`` or ``NONE``."""
TRACE_KEY = "amazon-bedrock-trace"
"""Body key (last stream event) with the trace, when tracing is enabled."""
DEFAULT_BLOCKED_MESSAGE = "Sorry, the model cannot answer this question."
"""The console's default blocked-input and blocked-output messaging."""
ACTION_REASON = "Guardrail blocked."
"""``actionReason`` of an intervention (real, from an InvokeModel invocation log)."""
StreamMode = Literal["SYNCHRONOUS", "ASYNCHRONOUS"]
STREAM_MODES: tuple[StreamMode, ...] = ("SYNCHRONOUS", "ASYNCHRONOUS")
"""``streamProcessingMode`` values (AWS "Configure streaming response behavior")."""
_IDENTIFIER = re.compile(
    r"(|([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))"
)
_VERSION = re.compile(r"(|([1-9][0-9]{0,7})|(DRAFT))")
"""Header patterns from botocore's ``bedrock-runtime`` model."""
_CONFIG_KEYS = ("tagSuffix", "streamProcessingMode")
_TRACED = ("ENABLED", "ENABLED_FULL")
_TEXT_UNIT_CHARACTERS = 1000
"""Guardrails bill text in units of up to 1000 characters."""
_PROCESSING_LATENCY_MS = 12
UNKNOWN_GUARDRAIL_MESSAGE = (
    "The guardrail identifier or version provided in the request does not exist."  # stand-in
)
MISSING_VERSION_MESSAGE = (
    "Guardrail version must be provided when a guardrail identifier is specified."  # stand-in
)
CONFIG_WITHOUT_GUARDRAIL_MESSAGE = (
    "amazon-bedrock-guardrailConfig can only be specified when a guardrail identifier "
    "is provided."  # stand-in
)


@dataclass(frozen=True)
class Guardrail:
    """One emulated guardrail version: a blocked-word policy and its messages."""

    identifier: str
    """The guardrail id (requests may name it by id or ARN)."""
    version: str
    """``DRAFT`` or a version number."""
    blocked_words: tuple[str, ...]
    """Words and phrases blocked in prompts and answers (case-insensitive, whole words)."""
    blocked_input_message: str
    """What the answer says instead when the prompt is blocked."""
    blocked_output_message: str
    """What the answer says instead when the model's answer is blocked."""

    def matches(self, text: str) -> list[tuple[int, str]]:
        """Where ``text`` holds a blocked word: ``(offset, text as found)``, in order."""
        found = []
        for word in self.blocked_words:
            pattern = r"(?<!\w)" + re.escape(word) + r"(?!\w)"
            found += [(m.start(), m.group()) for m in re.finditer(pattern, text, re.IGNORECASE)]
        return sorted(found)


class GuardrailRegistry:
    """The guardrails the emulated account has; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._guardrails: dict[tuple[str, str], Guardrail] = {}

    def add(self, guardrail: Guardrail) -> None:
        """Add (or replace) a guardrail version."""
        with self._lock:
            self._guardrails[(guardrail.identifier, guardrail.version)] = guardrail

    def get(self, identifier: str, version: str) -> Guardrail | None:
        """The guardrail a request names by id or ARN, or ``None``."""
        with self._lock:
            return self._guardrails.get((bare_identifier(identifier), version))

    def clear(self) -> None:
        """Forget every guardrail."""
        with self._lock:
            self._guardrails.clear()


def bare_identifier(identifier: str) -> str:
    """The id in ``arn:aws:bedrock:<region>:<account>:guardrail/<id>``, or ``identifier``."""
    return identifier.rsplit("guardrail/", 1)[-1] if identifier.startswith("arn:") else identifier


def make_guardrail(
    identifier: str,
    version: str,
    blocked_words: Iterable[str],
    blocked_input_message: str,
    blocked_output_message: str,
) -> Guardrail:
    """Build a :class:`Guardrail`, checking its id and version as Bedrock's patterns do.

    Raises:
        ValueError: When the id or version could not name a real guardrail.
    """
    identifier = bare_identifier(identifier)
    if not identifier or not _IDENTIFIER.fullmatch(identifier):
        raise ValueError(f"a guardrail id is lower-case letters and digits (got {identifier!r})")
    if not version or not _VERSION.fullmatch(version):
        raise ValueError(f"a guardrail version is 'DRAFT' or a number from 1 (got {version!r})")
    words = tuple(word for word in blocked_words if word.strip())
    return Guardrail(identifier, version, words, blocked_input_message, blocked_output_message)


@dataclass(frozen=True)
class GuardrailCall:
    """A request's guardrail and how it asked for it."""

    guardrail: Guardrail
    """The guardrail applied."""
    trace: str
    """``X-Amzn-Bedrock-Trace`` (``DISABLED`` when absent)."""
    stream_mode: StreamMode
    """``streamProcessingMode`` (``SYNCHRONOUS``, the default, for invoke too)."""

    @property
    def traced(self) -> bool:
        """Whether the answer carries the trace."""
        return self.trace in _TRACED


def guardrail_call(
    headers: Mapping[str, str], body: Any, registry: GuardrailRegistry
) -> GuardrailCall | None:
    """The guardrail a request applies, checked as Bedrock checks it.

    Args:
        headers: The request headers.
        body: The parsed JSON body (anything, when it isn't JSON).
        registry: The emulated account's guardrails.

    Returns:
        The call, or ``None`` when the request names no guardrail.

    Raises:
        BedrockError: 400 ``ValidationException``: a malformed id or version, an id without
            a version, a guardrail config without a guardrail, or an unknown guardrail.
    """
    identifier = headers.get(GUARDRAIL_IDENTIFIER_HEADER, "")
    version = headers.get(GUARDRAIL_VERSION_HEADER, "")
    for member, value, pattern in (
        ("guardrailIdentifier", identifier, _IDENTIFIER),
        ("guardrailVersion", version, _VERSION),
    ):
        if not pattern.fullmatch(value):
            raise validation_error(
                f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
                f"constraint: Member must satisfy regular expression pattern: {pattern.pattern}"
            )
    has_config = isinstance(body, dict) and GUARDRAIL_CONFIG_KEY in body
    if not identifier:
        if has_config:
            raise validation_error(CONFIG_WITHOUT_GUARDRAIL_MESSAGE)
        return None
    if not version:
        raise validation_error(MISSING_VERSION_MESSAGE)
    guardrail = registry.get(identifier, version)
    if guardrail is None:
        raise validation_error(UNKNOWN_GUARDRAIL_MESSAGE)
    mode = _stream_mode(body.get(GUARDRAIL_CONFIG_KEY) if has_config else None)
    return GuardrailCall(guardrail, headers.get(TRACE_HEADER, "DISABLED"), mode)


def _stream_mode(config: Any) -> StreamMode:
    """``streamProcessingMode`` of a guardrail config (schema texts are stand-ins)."""
    if config is None:
        return "SYNCHRONOUS"
    where = f"#/{GUARDRAIL_CONFIG_KEY}"
    if not isinstance(config, dict):
        raise malformed([f"{where}: expected type: JSONObject, found: {json_type(config)}"])
    extra = [
        f"{where}: extraneous key [{key}] is not permitted"
        for key in config
        if key not in _CONFIG_KEYS
    ]
    if extra:
        raise malformed(extra)
    mode = config.get("streamProcessingMode", "SYNCHRONOUS")
    for allowed in STREAM_MODES:
        if mode == allowed:
            return allowed
    raise malformed([f"{where}/streamProcessingMode: {mode} is not a valid enum value"])


@dataclass(frozen=True)
class GuardrailOutcome:
    """What the answer reports of the guardrail."""

    action: Literal["INTERVENED", "NONE"]
    """``amazon-bedrock-guardrailAction``."""
    trace: dict[str, Any] | None
    """``amazon-bedrock-trace``, when tracing is enabled."""

    @property
    def intervened(self) -> bool:
        """Whether the guardrail replaced the prompt's answer or the model's."""
        return self.action == "INTERVENED"

    def fields(self) -> dict[str, Any]:
        """The body keys, in order: the action, then the trace if any."""
        out: dict[str, Any] = {ACTION_KEY: self.action}
        if self.trace is not None:
            out[TRACE_KEY] = self.trace
        return out


@dataclass(frozen=True)
class Screened:
    """An answer after the guardrail checked it."""

    generation: Generation
    """The text pieces the caller receives (the blocked message after an intervention)."""
    keep_thinking: bool
    """Whether thinking blocks still go out (only text already streamed is kept)."""
    outcome: GuardrailOutcome
    """What the answer reports."""


def screen_input(call: GuardrailCall, prompt: str) -> Screened | None:
    """Check the prompt; after an intervention, the answer is the blocked-input message.

    The model never runs, so the answer reports 0 output tokens (stand-in).

    Returns:
        The blocked answer, or ``None`` when the prompt passes.
    """
    found = call.guardrail.matches(prompt)
    if not found:
        return None
    message = call.guardrail.blocked_input_message
    trace = _trace(call, prompt, found, None, []) if call.traced else None
    return Screened(
        Generation((message,), 0, "end_turn", None), False, GuardrailOutcome("INTERVENED", trace)
    )


def screen_output(
    call: GuardrailCall, prompt: str, generation: Generation, *, stream: bool
) -> Screened:
    """Check the model's answer (the prompt passed).

    On an intervention the answer becomes the blocked-output message, reported with the
    model's output token count. Synchronous streams (and InvokeModel) held the text back
    until it was checked, so none of it goes out; asynchronous streams already sent the
    pieces before the blocked word, followed by the message (stand-in: the service may
    let a few more pieces through before it notices).
    """
    text = generation.text
    found = call.guardrail.matches(text)
    trace = _trace(call, prompt, [], text, found) if call.traced else None
    if not found:
        return Screened(generation, True, GuardrailOutcome("NONE", trace))
    early = stream and call.stream_mode == "ASYNCHRONOUS"
    sent = pieces_before(generation.pieces, found[0][0]) if early else ()
    replaced = Generation(
        (*sent, call.guardrail.blocked_output_message),
        generation.output_tokens,
        "end_turn",
        None,
    )
    return Screened(replaced, early, GuardrailOutcome("INTERVENED", trace))


def _trace(
    call: GuardrailCall,
    prompt: str,
    input_found: list[tuple[int, str]],
    output: str | None,
    output_found: list[tuple[int, str]],
) -> dict[str, Any]:
    identifier = call.guardrail.identifier
    guardrail: dict[str, Any] = {}
    if output is not None and output_found and call.trace == "ENABLED_FULL":
        guardrail["modelOutput"] = [output]  # stand-in: only with ENABLED_FULL
    guardrail["input"] = {identifier: _assessment(prompt, input_found)}
    if output is not None:
        guardrail["outputs"] = [{identifier: _assessment(output, output_found)}]
    if input_found or output_found:
        guardrail["actionReason"] = ACTION_REASON
    return {"guardrail": guardrail}


def _assessment(text: str, found: list[tuple[int, str]]) -> dict[str, Any]:
    """One policy assessment, shaped as the invocation logs show."""
    assessment: dict[str, Any] = {}
    if found:
        assessment["wordPolicy"] = {
            "customWords": [
                {"match": match, "action": "BLOCKED", "detected": True} for _, match in found
            ]
        }
    characters = len(text)
    assessment["invocationMetrics"] = {
        "guardrailProcessingLatency": _PROCESSING_LATENCY_MS,
        "usage": {
            "topicPolicyUnits": 0,
            "contentPolicyUnits": 0,
            "wordPolicyUnits": math.ceil(characters / _TEXT_UNIT_CHARACTERS),
            "sensitiveInformationPolicyUnits": 0,
            "sensitiveInformationPolicyFreeUnits": 0,
            "contextualGroundingPolicyUnits": 0,
            "contentPolicyImageUnits": 0,
        },
        "guardrailCoverage": {"textCharacters": {"guarded": characters, "total": characters}},
    }
    return assessment
