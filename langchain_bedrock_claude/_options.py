"""Each Bedrock feature option, declared once: name, type, default, docstring, wire place, flag.

Everything else is built from :data:`OPTIONS`:

- the checker (``_params.check_options``) runs each option's ``check`` and ``requires`` rule;
- the boto3 arguments (``_request.PreparedRequest.boto_kwargs``) come from each
  :class:`BotoArgument`;
- the ``bedrock-claude`` flags (``cli.py``) come from each :class:`Flag`;
- the typed mirrors that static typing needs written out (``InvocationOptions``, the
  ``CompletionOptions`` TypedDict of ``Completion.create``, and the pydantic fields every
  LangChain class inherits, ``BedrockOptionFields``) are generated from it into
  ``_option_types.py`` and ``_option_fields.py`` by ``python tools/generate_options.py``; a
  test fails when they are stale.

Standard library only: the command's ``--help`` reads it (the error tree, which loads
langchain-core, is imported only when a check fails).
"""

from __future__ import annotations

import json
import operator
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ._types import (
    EFFORTS,
    GUARDRAIL_TRACES,
    LATENCIES,
    SERVICE_TIERS,
    STREAM_MODES,
    THINKING_MODES,
)

__all__ = [
    "DEFAULT_LLM_MAX_TOKENS",
    "MIN_THINKING_BUDGET",
    "OPTIONS",
    "OPTION_NAMES",
    "BodyField",
    "BotoArgument",
    "ClientBehaviour",
    "Flag",
    "Option",
    "check_integer",
    "option_values",
]

DEFAULT_LLM_MAX_TOKENS = 1024
"""``max_tokens`` when none is set, for ``BedrockClaude`` and the ``bedrock-claude`` command:
room for a full answer (LangChain's Anthropic integrations use the same)."""
MIN_THINKING_BUDGET = 1024
"""The smallest ``budget_tokens`` Claude accepts for extended thinking (Anthropic's docs)."""


# --- where an option goes --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BotoArgument:
    """A keyword argument of boto3's ``invoke_model`` / ``invoke_model_with_response_stream``."""

    key: str
    """The argument's name in botocore's service model (``serviceTier``)."""
    encode: Callable[[Any], Any] | None = None
    """Turns the checked value into what boto3 takes; ``None``: sent as it is."""


@dataclass(frozen=True, slots=True)
class BodyField:
    """A field of the JSON request body, written by the wire format (``_formats``)."""

    key: str
    """The body field it becomes (``thinking``, ``cache_control``, ...)."""


@dataclass(frozen=True, slots=True)
class ClientBehaviour:
    """Not sent at all: it changes what the client does with the answer."""

    what: str
    """What the client does, for the reader."""


Wire = BotoArgument | BodyField | ClientBehaviour


@dataclass(frozen=True, slots=True)
class Flag:
    """The option's ``bedrock-claude`` flag."""

    name: str
    """The flag (``--service-tier``)."""
    help: str
    """Its line in ``--help``."""
    kind: Literal["text", "int", "choice", "switch", "pairs"] = "text"
    """How the command line spells the value: ``pairs`` is a repeatable ``KEY=VALUE``."""
    metavar: str | None = None
    """The value's placeholder in ``--help``."""
    choices: tuple[str, ...] = ()
    """For ``choice``: the accepted values."""


@dataclass(frozen=True, slots=True)
class Option:
    """One Bedrock feature option."""

    name: str
    """The Python parameter and field name, everywhere."""
    type: str
    """Its type, as source text (the generated typed mirrors use it; ``_types`` names)."""
    default: object
    """The value when not given (``None``: not sent)."""
    doc: str
    """Its docstring: under each generated field, and in ``CompletionOptions``."""
    wire: Wire
    """Where the checked value goes on the wire."""
    check: Callable[[str, object], object]
    """``check(name, value)``: the checked value, or :class:`InvalidParameterError`."""
    example: object
    """A valid value other than the default: the declaration-driven tests send it."""
    flag: Flag | None = None
    """Its command-line flag (``None``: not offered by the command)."""
    requires: str | None = None
    """Another option that must be set for this one to mean anything."""
    default_when_required: object = None
    """The value taken when ``requires`` is set and this option is not."""
    field_type: str | None = None
    """The pydantic field's type when it differs from ``type`` (a concrete ``dict``)."""


# --- checks: each message names the parameter, what it takes and what it got ------------------


def _invalid(message: str) -> Exception:
    from ._errors import InvalidParameterError

    return InvalidParameterError(message)


def check_text(name: str, value: object) -> str | None:
    """A non-empty string, or ``None``."""
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise _invalid(f"{name!r} must be a non-empty string (got {value!r}).")
    return value


def check_switch(name: str, value: object) -> bool:
    """``True`` or ``False``; nothing else passes for one."""
    if not isinstance(value, bool):
        raise _invalid(f"{name!r} must be True or False (got {value!r}).")
    return value


def check_integer(name: str, value: object, low: int, high: int | None = None) -> int:
    """An integer (never a bool) from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        limits = f"from {low}" + (f" to {high}" if high is not None else "")
        raise _invalid(f"{name!r} must be an integer {limits} (got {value!r}).")
    if value < low:
        raise _invalid(f"{name!r} must be at least {low} (got {value!r}).")
    if high is not None and value > high:
        raise _invalid(f"{name!r} must be between {low} and {high} (got {value!r}).")
    return value


def _choice(choices: tuple[str, ...]) -> Callable[[str, object], object]:
    def check(name: str, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value.lower() not in choices:
            raise _invalid(
                f"{name!r} must be one of {', '.join(map(repr, choices))} (got {value!r})."
            )
        return value.lower()

    return check


def _at_least(low: int) -> Callable[[str, object], object]:
    def check(name: str, value: object) -> int | None:
        return None if value is None else check_integer(name, value, low)

    return check


def _string_map(name: str, value: object) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _invalid(f"{name!r} must be a mapping of strings to strings (got {value!r}).")
    return dict(value)


REROUTE_RETIRED_ENV = "BEDROCK_CLAUDE_REROUTE_RETIRED"
"""Set to ``1`` (or ``true``) to send retired model ids to their successor without code changes."""


CHECKS_READ_ENVIRONMENT: list[str] = []
"""Environment variables some option's check reads: a remembered check is keyed on them too."""


def _switch_or_env(variable: str) -> Callable[[str, object], object]:
    """A switch whose unset value (``None``) is read from the environment variable ``variable``."""
    CHECKS_READ_ENVIRONMENT.append(variable)

    def check(name: str, value: object) -> bool:
        if value is None:
            return os.environ.get(variable, "").strip().lower() in ("1", "true", "yes", "on")
        return check_switch(name, value)

    return check


def _compact_json(value: Mapping[str, str]) -> str:
    return json.dumps(value, separators=(",", ":"))


# --- the options -----------------------------------------------------------------------------

OPTIONS: tuple[Option, ...] = (
    Option(
        name="guardrail_identifier",
        type="str | None",
        default=None,
        doc="A Bedrock guardrail's id or ARN, applied to the call.",
        wire=BotoArgument("guardrailIdentifier"),
        check=check_text,
        example="gr-example",
        flag=Flag("--guardrail", "apply this Bedrock guardrail (id or ARN)", metavar="ID"),
    ),
    Option(
        name="guardrail_version",
        type="str | None",
        default=None,
        doc='The guardrail\'s version (default ``"DRAFT"``).',
        wire=BotoArgument("guardrailVersion"),
        check=check_text,
        example="3",
        flag=Flag(
            "--guardrail-version", "the guardrail's version (default: DRAFT)", metavar="VERSION"
        ),
        requires="guardrail_identifier",
        # Bedrock requires a version with every guardrail id; DRAFT is the working copy.
        default_when_required="DRAFT",
    ),
    Option(
        name="guardrail_trace",
        type="GuardrailTrace | None",
        default=None,
        doc='``"enabled"``, ``"enabled_full"`` or ``"disabled"``: include the guardrail\'s trace.',
        wire=BotoArgument("trace", str.upper),
        check=_choice(GUARDRAIL_TRACES),
        example="enabled",
        flag=Flag(
            "--guardrail-trace",
            "include the guardrail's trace in the result",
            "choice",
            choices=GUARDRAIL_TRACES,
        ),
        requires="guardrail_identifier",
    ),
    Option(
        name="guardrail_stream_processing_mode",
        type="StreamProcessingMode | None",
        default=None,
        doc='For streams: ``"sync"`` checks text before it is sent, ``"async"`` in parallel.',
        wire=BodyField("amazon-bedrock-guardrailConfig"),
        check=_choice(STREAM_MODES),
        example="async",
        flag=Flag(
            "--guardrail-stream-mode",
            "stream processing: check text before (sync) or while (async) it is sent",
            "choice",
            choices=STREAM_MODES,
        ),
        requires="guardrail_identifier",
    ),
    Option(
        name="raise_on_guardrail_intervention",
        type="bool",
        default=False,
        doc="Raise :class:`GuardrailInterventionError` instead of returning the guardrail's text.",
        wire=ClientBehaviour("checks the stop reason of the answer"),
        check=check_switch,
        example=True,
        requires="guardrail_identifier",
    ),
    Option(
        name="service_tier",
        type="ServiceTier | None",
        default=None,
        doc='``"priority"``, ``"default"``, ``"flex"`` or ``"reserved"``.',
        wire=BotoArgument("serviceTier"),
        check=_choice(SERVICE_TIERS),
        example="flex",
        flag=Flag("--service-tier", "Bedrock service tier", "choice", choices=SERVICE_TIERS),
    ),
    Option(
        name="performance_config_latency",
        type="Latency | None",
        default=None,
        doc='``"standard"`` or ``"optimized"`` (latency-optimized inference).',
        wire=BotoArgument("performanceConfigLatency"),
        check=_choice(LATENCIES),
        example="optimized",
        flag=Flag("--latency", "latency-optimized inference", "choice", choices=LATENCIES),
    ),
    Option(
        name="request_metadata",
        type="Mapping[str, str] | None",
        default=None,
        doc="Tags recorded with the call in invocation logs (e.g. for cost allocation).",
        # Bedrock takes the tags as a JSON object in the X-Amzn-Bedrock-Request-Metadata header.
        wire=BotoArgument("requestMetadata", _compact_json),
        check=_string_map,
        example={"team": "search"},
        flag=Flag(
            "--tag",
            "request metadata recorded in invocation logs (repeatable)",
            "pairs",
            metavar="KEY=VALUE",
        ),
        field_type="dict[str, str] | None",
    ),
    Option(
        name="thinking_budget_tokens",
        type="int | None",
        default=None,
        doc="Enable extended thinking with this budget (at least 1024, below the max tokens).",
        wire=BodyField("thinking"),
        check=_at_least(MIN_THINKING_BUDGET),
        example=2048,
        flag=Flag(
            "--thinking-budget",
            "enable extended thinking with N budget tokens (at least 1024, below --max-tokens)",
            "int",
            metavar="N",
        ),
    ),
    Option(
        name="thinking",
        type="ThinkingMode | None",
        default=None,
        doc='``"adaptive"`` thinking (steer it with ``effort``) or ``"disabled"``; unset: default.',
        wire=BodyField("thinking"),
        check=_choice(THINKING_MODES),
        example="disabled",
        flag=Flag(
            "--thinking",
            "adaptive thinking, or none on models that think by default",
            "choice",
            choices=THINKING_MODES,
        ),
    ),
    Option(
        name="effort",
        type="Effort | None",
        default=None,
        doc='How much the model thinks and writes: ``"low"`` to ``"max"`` (``output_config``).',
        wire=BodyField("output_config"),
        check=_choice(EFFORTS),
        example="high",
        flag=Flag("--effort", "effort (thinking depth)", "choice", choices=EFFORTS),
    ),
    Option(
        name="drop_unsupported_params",
        type="bool",
        default=False,
        doc="Leave out sampling parameters the model refuses, with a warning, instead of raising.",
        wire=ClientBehaviour("removes the sampling parameters the model's rules refuse"),
        check=check_switch,
        example=True,
        flag=Flag(
            "--drop-unsupported-params",
            "leave out sampling parameters the model refuses (with a warning)",
            "switch",
        ),
    ),
    Option(
        name="reroute_retired_models",
        type="bool | None",
        default=None,
        doc=f"Send retired ids to their successor (warns); or set {REROUTE_RETIRED_ENV}=1.",
        wire=ClientBehaviour("resends a call Bedrock answers end-of-life to the successor model"),
        check=_switch_or_env(REROUTE_RETIRED_ENV),
        example=True,
        flag=Flag(
            "--reroute-retired-models",
            f"send retired model ids to their successor (or set {REROUTE_RETIRED_ENV}=1)",
            "switch",
        ),
    ),
    Option(
        name="cache_system",
        type="bool",
        default=False,
        doc="Cache the system prompt (adds ``cache_control`` to it: prompt caching).",
        wire=BodyField("cache_control"),
        check=check_switch,
        example=True,
        flag=Flag("--cache-system", "cache the system prompt (prompt caching)", "switch"),
    ),
)
"""Every Bedrock feature option, in the order the typed mirrors list them."""

OPTION_NAMES: tuple[str, ...] = tuple(option.name for option in OPTIONS)
"""The options' names, in declaration order."""

option_values: Callable[[object], tuple[Any, ...]] = operator.attrgetter(*OPTION_NAMES)
"""``option_values(fields)``: the value of each option's same-named attribute of ``fields`` (a
LangChain class), in declaration order, in one C-level call."""
