"""Request validation as Bedrock does it, with Bedrock's statuses and texts.

Order, as the service applies it: authentication (front door, including Bedrock API
keys), the model id, the InvokeModel headers (enums, request metadata), the guardrail
(``_guardrails``), then the body (thinking rules in ``_thinking``). Schema problems are
reported together in one ``Malformed input request: ...`` message; model rules (limits,
sampling) one at a time.

The Messages schema behaves like ``anyOf: [not {required: [messages]}, <Messages>]``:
a body with ``messages`` that fails it is reported with the recorded
``#: subject must not be valid against schema {"required":["messages"]}`` first.
Texts not seen in recordings or issue threads are marked as stand-ins.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ._catalog import ModelSpec, ResolvedModel, resolve_model
from ._errors import (
    EXCLUSIVE_SAMPLING_MESSAGE,
    INPUT_TOO_LONG_MESSAGE,
    INVALID_MODEL_MESSAGE,
    NO_COUNT_TOKENS_MESSAGE,
    PREFILL_MESSAGE,
    SYSTEM_FIRST_MESSAGE,
    SYSTEM_ROLE_UNEXPECTED_MESSAGE,
    SYSTEM_ROLE_UNSUPPORTED_MESSAGE,
    invalid_api_key,
    make_error,
    malformed,
    validation_error,
)
from ._generate import MESSAGE_OVERHEAD_TOKENS, count_text_tokens, input_tokens
from ._media import check_media
from ._request import (
    PERFORMANCE_CONFIG_LATENCY_HEADER,
    REQUEST_METADATA_HEADER,
    SERVICE_TIER_HEADER,
    TRACE_HEADER,
    load_json,
    parse_request_metadata,
    split_authorization,
)
from ._thinking import ThinkingPlan, check_signatures, check_thinking
from ._tools import check_tool_request

_VERSION = re.compile(r"(?:bedrock-)?\d{4}-\d{2}-\d{2}")
"""``bedrock-2023-05-31``, or the dated API version newer Anthropic SDKs send."""
_MESSAGES_REQUIRED = ("anthropic_version", "max_tokens", "messages")
_MESSAGES_KEYS = frozenset(
    {
        *_MESSAGES_REQUIRED,
        "anthropic_beta",
        "system",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "thinking",
        "tools",
        "tool_choice",
        "metadata",
        "output_config",
    }
)
_LEGACY_REQUIRED = ("prompt", "max_tokens_to_sample")
_LEGACY_KEYS = frozenset(
    {*_LEGACY_REQUIRED, "temperature", "top_p", "top_k", "stop_sequences", "anthropic_version"}
)
_SUBJECT_CLAUSE = '#: subject must not be valid against schema {"required":["messages"]}'
_SAMPLING = ("temperature", "top_p", "top_k")
_UNIT_RANGE = (0, 1)
_TOP_K_RANGE = (0, 500)
_TOOL_TYPES = (
    "bash_20250124",
    "custom",
    "text_editor_20250124",
    "text_editor_20250429",
    "text_editor_20250728",
)
"""Tool types Bedrock accepts, as its recorded error lists them (no server tools)."""
_HEADER_ENUMS = {
    TRACE_HEADER: ("trace", ("ENABLED", "DISABLED", "ENABLED_FULL")),
    PERFORMANCE_CONFIG_LATENCY_HEADER: ("performanceConfigLatency", ("standard", "optimized")),
    SERVICE_TIER_HEADER: ("serviceTier", ("priority", "default", "flex", "reserved")),
}
"""Enums from botocore's ``bedrock-runtime`` service model."""
_METADATA_MAX_LENGTH = 8500
"""``RequestMetadataJson``: a string of at most 8500 characters (botocore's model)."""
_METADATA_MAX_ENTRIES = 16
_METADATA_KEY = re.compile(r"[a-zA-Z0-9\s:_@$#=/+,-.]{1,256}")
_METADATA_VALUE = re.compile(r"[a-zA-Z0-9\s:_@$#=/+,-.]{0,256}")
"""``RequestMetadata`` key and value patterns (botocore's model)."""

Api = Literal["messages", "text_completions"]


@dataclass(frozen=True)
class Invocation:
    """A valid InvokeModel(WithResponseStream) body, with what generation needs."""

    api: Api
    """Which response format answers."""
    spec: ModelSpec
    """The answering model."""
    body: Mapping[str, Any]
    """The parsed body."""
    max_tokens: int
    """``max_tokens`` or ``max_tokens_to_sample``."""
    stop_sequences: tuple[str, ...]
    """The request's stop sequences."""
    thinking: ThinkingPlan | None
    """How the model thinks (asked for, or by default); ``None``: it does not."""

    @property
    def thinking_budget(self) -> int | None:
        """The most thinking tokens, when the model thinks."""
        return self.thinking.budget if self.thinking is not None else None


def check_auth(headers: Mapping[str, str], *, api_keys: Collection[str] | None = None) -> None:
    """Check the ``Authorization`` header as the AWS front door does.

    A SigV4 header needs ``Credential``, ``SignedHeaders`` and ``Signature`` and a date
    header; the signature itself is not verified. ``Bearer <token>`` (Bedrock API keys)
    is accepted, or, with ``api_keys``, only when the token is one of them.

    Raises:
        BedrockError: 403 ``MissingAuthenticationTokenException``,
            ``IncompleteSignatureException``, or the rejected-API-key answer.
    """
    auth = headers.get("authorization", "").strip()
    if not auth:
        raise make_error("MissingAuthenticationTokenException")
    scheme, rest = split_authorization(headers)
    if scheme == "bearer" and rest.strip():
        if api_keys is not None and rest.strip() not in api_keys:
            raise invalid_api_key()
        return
    params = {}
    if scheme == "sigv4":
        for part in rest.split(","):
            name, sep, value = part.strip().partition("=")
            if sep and value:
                params[name] = value
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if name not in params
    ]
    if "x-amz-date" not in headers and "date" not in headers:
        problems.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if problems:
        raise make_error(
            "IncompleteSignatureException", message=" ".join([*problems, f"Authorization={auth}"])
        )


def check_invoke_headers(headers: Mapping[str, str]) -> None:
    """Check the enum-valued InvokeModel headers and the request metadata.

    The enums: trace, performance-config latency and service tier.

    Raises:
        BedrockError: 400 ``ValidationException`` in the service's constraint wording.
    """
    for header, (member, allowed) in _HEADER_ENUMS.items():
        value = headers.get(header)
        if value is not None and value not in allowed:
            raise validation_error(
                f"1 validation error detected: Value '{value}' at '{member}' failed to "
                f"satisfy constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
            )
    _check_request_metadata(headers.get(REQUEST_METADATA_HEADER))


def _check_request_metadata(header: str | None) -> None:
    """``X-Amzn-Bedrock-Request-Metadata``: a JSON object of at most 16 string tags.

    The constraints are botocore's (``RequestMetadataJson``, ``RequestMetadata``); the
    texts are stand-ins in the service's constraint wording.
    """
    if header is None:
        return
    prefix = (
        "1 validation error detected: Value at 'requestMetadata' failed to satisfy constraint: "
    )
    if len(header) > _METADATA_MAX_LENGTH:
        raise validation_error(
            prefix + f"Member must have length less than or equal to {_METADATA_MAX_LENGTH}"
        )
    tags = parse_request_metadata(header)
    if tags is None:
        raise validation_error(  # stand-in
            prefix + "Member must be a JSON object whose keys and values are strings"
        )
    if not 1 <= len(tags) <= _METADATA_MAX_ENTRIES:
        raise validation_error(
            prefix + f"Map must have between 1 and {_METADATA_MAX_ENTRIES} entries"
        )
    for key, value in tags.items():
        if not _METADATA_KEY.fullmatch(key):
            raise validation_error(
                prefix + "Map keys must satisfy constraint: [Member must satisfy regular "
                f"expression pattern: {_METADATA_KEY.pattern}]"
            )
        if not _METADATA_VALUE.fullmatch(value):
            raise validation_error(
                prefix + "Map value must satisfy constraint: [Member must satisfy regular "
                f"expression pattern: {_METADATA_VALUE.pattern}]"
            )


def resolve(model_id: str, *, opaque_arn_model: str) -> ResolvedModel:
    """Resolve the model id of the path.

    Raises:
        BedrockError: 400 "The provided model identifier is invalid."
    """
    found = resolve_model(model_id, opaque_arn_model=opaque_arn_model)
    if found is None:
        raise validation_error(INVALID_MODEL_MESSAGE)
    return found


def parse_invocation(
    spec: ModelSpec,
    parsed: Any,
    *,
    empty: bool,
    ignore: Collection[str] = (),
    verify_signatures: bool = True,
) -> Invocation:
    """Validate an InvokeModel body for ``spec``.

    Args:
        spec: The answering model.
        parsed: The request body parsed as JSON, ``None`` when it is empty or not JSON
            (as :attr:`~._request.EmulatedRequest.json` and ``load_json`` give it).
        empty: Whether the raw body was empty (a non-object body is then reported as
            ``null`` rather than as text).
        ignore: Top-level keys Bedrock consumes before the model sees the body (e.g.
            ``amazon-bedrock-guardrailConfig`` when a guardrail is applied); they are
            dropped before validation.
        verify_signatures: Whether earlier turns' thinking blocks need a signature this
            emulator issued (else any non-empty one passes).

    Raises:
        BedrockError: 400 ``ValidationException`` with Bedrock's text.
    """
    fields = _json_object(parsed, empty=empty)
    body = {key: value for key, value in fields.items() if key not in ignore}
    if "messages" in body or not spec.legacy:
        if "messages" not in body and "prompt" in body:
            raise validation_error(
                f'"{spec.reported_name}" is not supported on this API. '
                "Please use the Messages API instead."
            )
        return _messages(spec, body, verify_signatures=verify_signatures)
    return _text_completions(spec, body)


def count_tokens(resolved: ResolvedModel, raw: bytes) -> int:
    """Validate a CountTokens request and count its input tokens.

    Accepts ``{"input": {"invokeModel": {"body": <base64 JSON>}}}`` and
    ``{"input": {"converse": {...}}}`` (botocore's ``CountTokens`` shapes).

    Raises:
        BedrockError: 400 ``ValidationException``, e.g. "The provided model doesn't
            support counting tokens." for legacy, claude-3.x and inference profiles.
    """
    if not resolved.spec.counts_tokens or resolved.via_profile:
        raise validation_error(NO_COUNT_TOKENS_MESSAGE)
    request = _json_object(load_json(raw), empty=not raw).get("input")
    if not isinstance(request, dict):
        raise validation_error(
            "1 validation error detected: Value null at 'input' failed to satisfy "
            "constraint: Member must not be null"
        )
    if "invokeModel" in request:
        encoded = (request["invokeModel"] or {}).get("body")
        try:
            inner = base64.b64decode(encoded or "", validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise validation_error(
                "Malformed input request: the body is not valid base64, "  # stand-in
                "please reformat your input and try again."
            ) from None
        invocation = parse_invocation(resolved.spec, load_json(inner), empty=not inner)
        return input_tokens(invocation.body)
    converse = request.get("converse")
    if isinstance(converse, dict):
        return _converse_tokens(converse)
    raise validation_error(
        "1 validation error detected: Value at 'input' failed to satisfy constraint: "
        "Member must have exactly one of invokeModel, converse"  # stand-in
    )


def _json_object(body: Any, *, empty: bool) -> dict[str, Any]:
    """``body`` (parsed JSON) if it is an object; ``empty``: the raw body was empty."""
    if not isinstance(body, dict):
        found = "null" if empty else "text that is not a JSON object"
        raise malformed([f"#: expected type: JSONObject, found: {found}"])  # stand-in
    return body


def _messages(spec: ModelSpec, body: dict[str, Any], *, verify_signatures: bool) -> Invocation:
    problems = [
        f"#: required key [{key}] not found" for key in _MESSAGES_REQUIRED if key not in body
    ]
    problems += [
        f"#: extraneous key [{key}] is not permitted" for key in body if key not in _MESSAGES_KEYS
    ]
    version = body.get("anthropic_version")
    if "anthropic_version" in body and not _VERSION.fullmatch(str(version)):
        problems.append(f"#/anthropic_version: {version} is not a valid enum value")
    problems += _type_problems(
        body,
        {
            "max_tokens": int,
            "messages": list,
            "temperature": float,
            "top_p": float,
            "top_k": int,
            "stop_sequences": list,
            "tools": list,
            "tool_choice": dict,
        },
    )
    if isinstance(body.get("messages"), list):  # each message must be an object
        problems += [
            f"#/messages/{i}: expected type: JSONObject, found: {json_type(message)}"
            for i, message in enumerate(body["messages"])
            if not isinstance(message, dict)
        ]
    if problems:
        raise malformed(([_SUBJECT_CLAUSE] if "messages" in body else []) + problems)
    _check_ranges(body, "max_tokens", (1, None))
    _check_sampling(spec, body)
    max_tokens = int(body["max_tokens"])
    if max_tokens > spec.max_output_tokens:
        limit = spec.max_output_tokens
        raise validation_error(
            f"The maximum tokens you requested exceeds the model limit of {limit}. "
            f"Try again with a maximum tokens value that is lower than {limit}."
        )
    _check_messages(body["messages"])
    _check_system_turns(spec, body["messages"])
    _check_prefill(spec, body["messages"])
    _check_tools(body.get("tools"))
    thinking = check_thinking(spec, body, max_tokens)
    check_signatures(body["messages"], verify=verify_signatures)
    if input_tokens(body) > spec.context_window:
        raise validation_error(INPUT_TOO_LONG_MESSAGE)
    invocation = Invocation(
        api="messages",
        spec=spec,
        body=body,
        max_tokens=max_tokens,
        stop_sequences=_stop_sequences(body),
        thinking=thinking,
    )
    check_tool_request(body)  # tools, tool_choice, tool_use/tool_result pairing (``_tools``)
    check_media(body["messages"])  # image and document blocks (``_media``)
    return invocation


def _text_completions(spec: ModelSpec, body: dict[str, Any]) -> Invocation:
    problems = [f"#: required key [{key}] not found" for key in _LEGACY_REQUIRED if key not in body]
    problems += [
        f"#: extraneous key [{key}] is not permitted" for key in body if key not in _LEGACY_KEYS
    ]
    problems += _type_problems(
        body,
        {
            "prompt": str,
            "max_tokens_to_sample": int,
            "temperature": float,
            "top_p": float,
            "top_k": int,
            "stop_sequences": list,
        },
    )
    if problems:
        raise malformed(problems)
    _check_ranges(body, "max_tokens_to_sample", (1, spec.max_output_tokens))
    _check_sampling(spec, body)  # legacy models deprecate nothing, exclude nothing
    return Invocation(
        api="text_completions",
        spec=spec,
        body=body,
        max_tokens=int(body["max_tokens_to_sample"]),
        stop_sequences=_stop_sequences(body),
        thinking=None,
    )


_JSON_TYPE_NAMES = {
    int: "Integer",
    float: "Number",
    str: "String",
    list: "JSONArray",
    dict: "JSONObject",
}


def json_type(value: Any) -> str:
    """The JSON schema validator's name for ``value``'s type, e.g. ``JSONObject``."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "BigDecimal"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "JSONArray"
    return "JSONObject"


def _type_problems(body: Mapping[str, Any], types: Mapping[str, type]) -> list[str]:
    problems = []
    for key, expected in types.items():
        if key not in body:
            continue
        value = body[key]
        if isinstance(value, bool):
            ok = False
        elif expected is float:
            ok = isinstance(value, int | float)
        else:
            ok = isinstance(value, expected)
        if not ok:
            problems.append(
                f"#/{key}: expected type: {_JSON_TYPE_NAMES[expected]}, found: {json_type(value)}"
            )
    return problems


def _check_ranges(body: Mapping[str, Any], key: str, bounds: tuple[int | None, int | None]) -> None:
    if key not in body:
        return
    value, (low, high) = body[key], bounds
    if low is not None and value < low:
        raise malformed([f"{value} is not greater or equal to {low}"])
    if high is not None and value > high:
        raise malformed([f"{value} is not less or equal to {high}"])


def _check_sampling(spec: ModelSpec, body: Mapping[str, Any]) -> None:
    if spec.sampling_deprecated:
        for key in _SAMPLING:
            if key in body:
                raise validation_error(f"`{key}` is deprecated for this model.")
    _check_ranges(body, "temperature", _UNIT_RANGE)
    _check_ranges(body, "top_p", _UNIT_RANGE)
    _check_ranges(body, "top_k", _TOP_K_RANGE)
    if spec.exclusive_sampling and "temperature" in body and "top_p" in body:
        raise validation_error(EXCLUSIVE_SAMPLING_MESSAGE)


def _check_messages(messages: list[Any]) -> None:
    if not messages:
        raise validation_error("messages: at least one message is required")  # stand-in
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        prefill = index == len(messages) - 1 and message.get("role") == "assistant"
        for block in content if isinstance(content, list) else [content]:
            is_text = not isinstance(block, dict) or block.get("type") == "text"
            text = block.get("text") if isinstance(block, dict) else block
            if is_text and text == "" and not prefill:
                raise validation_error("messages: text content blocks must be non-empty")


def _check_system_turns(spec: ModelSpec, messages: list[Any]) -> None:
    """``{"role": "system"}`` turns: refused by most models, placed by rule on the others.

    The rules are those of AWS's Bedrock guide, "Mid-conversation system messages"
    (docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-mid-conversation-system
    .html): not first; right after a user message or an assistant message ending in a server
    tool use; last, or followed by an assistant message; never next to another system
    message; text blocks only, no citations. The guide says a violation is a 400 but not its
    words: apart from the first rule's (Anthropic's API, see ``SYSTEM_FIRST_MESSAGE``) the
    texts are stand-ins in its words. The directive-only form that text mentions is not
    emulated.
    """
    for index, message in enumerate(messages):
        if message.get("role") != "system":
            continue
        if not spec.system_turns:
            raise validation_error(
                SYSTEM_ROLE_UNSUPPORTED_MESSAGE
                if spec.knows_system_role
                else SYSTEM_ROLE_UNEXPECTED_MESSAGE
            )
        if index == 0:
            raise validation_error(SYSTEM_FIRST_MESSAGE)
        where = f"messages.{index}"
        previous = messages[index - 1]
        blocks = previous.get("content")
        last_block = blocks[-1] if isinstance(blocks, list) and blocks else None
        after_server_tool = (
            previous.get("role") == "assistant"
            and isinstance(last_block, dict)
            and last_block.get("type") == "server_tool_use"
        )
        if previous.get("role") == "system":
            raise validation_error(f"{where}: consecutive system messages are not allowed")
        if previous.get("role") != "user" and not after_server_tool:
            raise validation_error(
                f"{where}: a system message must immediately follow a user message or an "
                "assistant message that ends in a server tool use"
            )
        following = messages[index + 1] if index + 1 < len(messages) else None
        if following is not None and following.get("role") not in ("assistant", "system"):
            raise validation_error(
                f"{where}: a system message must be the last message or be followed by an "
                "assistant message"
            )
        content = message.get("content")
        for block in content if isinstance(content, list) else ():
            if not isinstance(block, dict) or block.get("type") != "text" or "citations" in block:
                raise validation_error(
                    f"{where}: system messages support text content blocks only (no images, "
                    "documents, tool blocks or citations)"
                )


def _check_prefill(spec: ModelSpec, messages: list[Any]) -> None:
    last = messages[-1] if messages else None
    if not spec.prefill and isinstance(last, dict) and last.get("role") == "assistant":
        raise validation_error(PREFILL_MESSAGE)


def _check_tools(tools: Any) -> None:
    for index, tool in enumerate(tools if isinstance(tools, list) else ()):
        kind = tool.get("type", "custom") if isinstance(tool, dict) else "custom"
        if kind not in _TOOL_TYPES:
            expected = ", ".join(f"'{name}'" for name in _TOOL_TYPES)
            raise validation_error(
                f"tools.{index}: Input tag '{kind}' found using 'type' does not match any of "
                f"the expected tags: {expected}"
            )


def _stop_sequences(body: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(s for s in body.get("stop_sequences") or () if isinstance(s, str))


def _converse_tokens(converse: Mapping[str, Any]) -> int:
    total = 0
    for block in converse.get("system") or ():
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            total += count_text_tokens(block["text"])
    for message in converse.get("messages") or ():
        total += MESSAGE_OVERHEAD_TOKENS
        for block in (message or {}).get("content") or ():
            if isinstance(block, dict) and isinstance(block.get("text"), str):
                total += count_text_tokens(block["text"])
    if converse.get("toolConfig"):
        total += count_text_tokens(json.dumps(converse["toolConfig"], sort_keys=True))
    return total
