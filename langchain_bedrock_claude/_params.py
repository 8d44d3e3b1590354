"""Check user arguments, before any request, and gather them into one :class:`CompletionParams`.

Each message names the parameter, what it accepts and what it got:
``'top_k' must be between 0 and 500 (got 501)``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ._errors import InvalidParameterError
from ._routing import ModelRef, resolve_model
from ._types import (
    GUARDRAIL_TRACES,
    LATENCIES,
    SERVICE_TIERS,
    STREAM_MODES,
    Api,
    GuardrailTrace,
    Latency,
    ServiceTier,
    StreamProcessingMode,
)

__all__ = [
    "CACHE_POINT",
    "DEFAULT_MAX_TOKENS",
    "CompletionParams",
    "InvocationOptions",
    "check_options",
    "check_params",
]

DEFAULT_MAX_TOKENS = 256
"""``max_tokens_to_sample``'s default, as in the bedrock_anthropic documentation."""

# (lowest, highest) accepted, from the bedrock_anthropic documentation and Anthropic's API.
_TEMPERATURE_RANGE = (0.0, 1.0)
_TOP_P_RANGE = (0.0, 1.0)
_TOP_K_RANGE = (0, 500)

MIN_THINKING_BUDGET = 1024
"""The smallest ``budget_tokens`` Claude accepts for extended thinking."""
_MIN_THINKING_TOP_P = 0.95  # with thinking, top_p may only be set between 0.95 and 1
MAX_CACHE_POINTS = 4
"""The most ``cache_control`` breakpoints one request may carry."""
CACHE_POINT = "<|cache_point|>"
"""Put this in a prompt to cache everything before it (the prompt cache's breakpoint)."""


@dataclass(frozen=True, slots=True)
class InvocationOptions:
    """Bedrock features beyond the sampling parameters: guardrails, tiers, thinking, caching."""

    guardrail_identifier: str | None = None
    guardrail_version: str | None = None
    guardrail_trace: GuardrailTrace | None = None
    guardrail_stream_processing_mode: StreamProcessingMode | None = None
    raise_on_guardrail_intervention: bool = False
    service_tier: ServiceTier | None = None
    performance_config_latency: Latency | None = None
    request_metadata: Mapping[str, str] | None = None
    thinking_budget_tokens: int | None = None
    cache_system: bool = False


OPTION_NAMES = tuple(option.name for option in fields(InvocationOptions))
"""The parameters that make up :class:`InvocationOptions`."""


def _choice(name: str, value: object, choices: tuple[str, ...]) -> Any:
    if value is None:
        return None
    if not isinstance(value, str) or value.lower() not in choices:
        raise InvalidParameterError(
            f"{name!r} must be one of {', '.join(map(repr, choices))} (got {value!r})."
        )
    return value.lower()


def check_options(
    *,
    guardrail_identifier: object = None,
    guardrail_version: object = None,
    guardrail_trace: object = None,
    guardrail_stream_processing_mode: object = None,
    raise_on_guardrail_intervention: object = False,
    service_tier: object = None,
    performance_config_latency: object = None,
    request_metadata: object = None,
    thinking_budget_tokens: object = None,
    cache_system: object = False,
) -> InvocationOptions:
    """Check the feature options; raise :class:`InvalidParameterError` if one is wrong."""
    for name, text in (
        ("guardrail_identifier", guardrail_identifier),
        ("guardrail_version", guardrail_version),
    ):
        if text is not None and (not isinstance(text, str) or not text.strip()):
            raise InvalidParameterError(f"{name!r} must be a non-empty string (got {text!r}).")
    guarded = guardrail_identifier is not None
    for name, value in (
        ("guardrail_version", guardrail_version),
        ("guardrail_trace", guardrail_trace),
        ("guardrail_stream_processing_mode", guardrail_stream_processing_mode),
        ("raise_on_guardrail_intervention", raise_on_guardrail_intervention or None),
    ):
        if value is not None and not guarded:
            raise InvalidParameterError(
                f"{name!r} needs a guardrail: set 'guardrail_identifier' too (got {name}="
                f"{value!r} without one)."
            )
    if request_metadata is not None and (
        not isinstance(request_metadata, Mapping)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in request_metadata.items())
    ):
        raise InvalidParameterError(
            "'request_metadata' must be a mapping of strings to strings "
            f"(got {request_metadata!r})."
        )
    for name, flag in (
        ("raise_on_guardrail_intervention", raise_on_guardrail_intervention),
        ("cache_system", cache_system),
    ):
        if not isinstance(flag, bool):
            raise InvalidParameterError(f"{name!r} must be True or False (got {flag!r}).")
    budget = (
        None
        if thinking_budget_tokens is None
        else _integer("thinking_budget_tokens", thinking_budget_tokens, MIN_THINKING_BUDGET, None)
    )
    return InvocationOptions(
        guardrail_identifier=guardrail_identifier,  # type: ignore[arg-type]
        guardrail_version=guardrail_version  # type: ignore[arg-type]
        or ("DRAFT" if guarded else None),
        guardrail_trace=_choice("guardrail_trace", guardrail_trace, GUARDRAIL_TRACES),
        guardrail_stream_processing_mode=_choice(
            "guardrail_stream_processing_mode", guardrail_stream_processing_mode, STREAM_MODES
        ),
        raise_on_guardrail_intervention=bool(raise_on_guardrail_intervention),
        service_tier=_choice("service_tier", service_tier, SERVICE_TIERS),
        performance_config_latency=_choice(
            "performance_config_latency", performance_config_latency, LATENCIES
        ),
        request_metadata=None if request_metadata is None else dict(request_metadata),
        thinking_budget_tokens=budget,
        cache_system=bool(cache_system),
    )


@dataclass(frozen=True, slots=True)
class CompletionParams:
    """A checked request: everything needed to build the body for either wire API."""

    model: ModelRef
    prompt: str
    max_tokens: int
    stop_sequences: tuple[str, ...] = ()
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    system: str | None = None
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    options: InvocationOptions = field(default_factory=InvocationOptions)

    @property
    def model_id(self) -> str:
        """The model id or ARN, as given."""
        return self.model.model_id

    @property
    def api(self) -> Api:
        """The wire API this request speaks."""
        return self.model.api


def _number(name: str, value: object, bounds: tuple[float, float]) -> float:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidParameterError(
            f"{name!r} must be a number between {low:g} and {high:g} (got {value!r})."
        )
    if math.isnan(value) or not low <= value <= high:
        raise InvalidParameterError(
            f"{name!r} must be between {low:g} and {high:g} (got {value!r})."
        )
    return float(value)


def _integer(name: str, value: object, low: int, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        limits = f"from {low}" + (f" to {high}" if high is not None else "")
        raise InvalidParameterError(f"{name!r} must be an integer {limits} (got {value!r}).")
    if value < low:
        raise InvalidParameterError(f"{name!r} must be at least {low} (got {value!r}).")
    if high is not None and value > high:
        raise InvalidParameterError(f"{name!r} must be between {low} and {high} (got {value!r}).")
    return value


def _stop_sequences(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidParameterError(
            f"'stop_sequences' must be a list of non-empty strings (got {value!r})."
        )
    sequences = tuple(value)
    for sequence in sequences:
        if not isinstance(sequence, str) or not sequence:
            raise InvalidParameterError(
                "'stop_sequences' must be a list of non-empty strings "
                f"(got {sequence!r} in {list(sequences)!r})."
            )
    # Keep the order, drop repeats: Bedrock rejects nothing for them, but they are noise.
    return tuple(dict.fromkeys(sequences))


def reject_unknown(unknown: Mapping[str, object], accepted: Iterable[str]) -> None:
    """Raise for parameters the caller passed that this call does not take."""
    if not unknown:
        return
    accepted = tuple(accepted)
    problems = []
    for name in unknown:
        close = difflib.get_close_matches(name, accepted, n=1)
        problems.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise InvalidParameterError(
        f"unknown parameter {', '.join(problems)}; accepted: {', '.join(accepted)}. "
        "Extra request body fields go in extra_body."
    )


def check_params(
    *,
    model: object,
    prompt: object,
    max_tokens: object = DEFAULT_MAX_TOKENS,
    stop_sequences: object = None,
    temperature: object = None,
    top_p: object = None,
    top_k: object = None,
    system: object = None,
    api: Api | None = None,
    extra_body: Mapping[str, Any] | None = None,
    options: InvocationOptions | None = None,
    max_tokens_name: str = "max_tokens_to_sample",
) -> CompletionParams:
    """Check every argument and the model's rules; raise :class:`InvalidParameterError` if wrong.

    Only parameters the caller set (not ``None``) end up in the request.
    """
    ref = resolve_model(model, api)
    if not isinstance(prompt, str):
        raise InvalidParameterError(f"'prompt' must be a string (got {type(prompt).__name__}).")
    if not prompt.strip():
        raise InvalidParameterError("'prompt' must not be empty (got an empty or blank string).")
    limit = ref.rules.max_output_tokens if ref.rules else None
    tokens = _integer(max_tokens_name, max_tokens, 1, None)
    if limit is not None and tokens > limit:
        raise InvalidParameterError(
            f"{max_tokens_name!r} must be between 1 and {limit} for {ref.model_id} (got {tokens})."
        )
    if system is not None and not isinstance(system, str):
        raise InvalidParameterError(f"'system' must be a string (got {type(system).__name__}).")
    if extra_body is not None and not isinstance(extra_body, Mapping):
        raise InvalidParameterError(
            f"'extra_body' must be a mapping of body fields (got {type(extra_body).__name__})."
        )
    params = CompletionParams(
        model=ref,
        prompt=prompt,
        max_tokens=tokens,
        stop_sequences=_stop_sequences(stop_sequences),
        temperature=None
        if temperature is None
        else _number("temperature", temperature, _TEMPERATURE_RANGE),
        top_p=None if top_p is None else _number("top_p", top_p, _TOP_P_RANGE),
        top_k=None if top_k is None else int(_integer("top_k", top_k, *_TOP_K_RANGE)),
        system=system or None,
        extra_body=dict(extra_body or {}),
        options=options or InvocationOptions(),
    )
    _check_model_rules(params, max_tokens_name)
    return params


def _check_model_rules(params: CompletionParams, max_tokens_name: str) -> None:
    _check_features(params, max_tokens_name)
    rules = params.model.rules
    if rules is None:
        return  # Unknown to the table: send as asked, and let Bedrock's answer speak.
    sampling = {
        name: value
        for name, value in (
            ("temperature", params.temperature),
            ("top_p", params.top_p),
            ("top_k", params.top_k),
        )
        if value is not None
    }
    if rules.sampling == "none" and sampling:
        raise InvalidParameterError(
            f"{params.model_id} accepts no sampling parameters; remove "
            f"{', '.join(repr(name) for name in sampling)}."
        )
    if (
        rules.sampling == "temperature_or_top_p"
        and "temperature" in sampling
        and "top_p" in sampling
    ):
        raise InvalidParameterError(
            f"{params.model_id} accepts 'temperature' or 'top_p' but not both "
            f"(got temperature={params.temperature!r}, top_p={params.top_p!r}); remove one."
        )


def _check_features(params: CompletionParams, max_tokens_name: str) -> None:
    options = params.options
    legacy = params.api == "text_completions"
    budget = options.thinking_budget_tokens
    markers = params.prompt.count(CACHE_POINT)
    caching = options.cache_system or markers > 0
    if legacy and (budget is not None or caching):
        feature = "extended thinking" if budget is not None else "prompt caching"
        raise InvalidParameterError(
            f"{feature} needs the Messages API; {params.model_id} speaks the legacy Text "
            "Completions API. Use a current Claude model."
        )
    if options.cache_system and not params.system:
        raise InvalidParameterError("'cache_system' needs a 'system' prompt to cache.")
    points = markers + int(options.cache_system)
    if points > MAX_CACHE_POINTS:
        raise InvalidParameterError(
            f"at most {MAX_CACHE_POINTS} cache points per request (got {points}: "
            f"{markers} {CACHE_POINT!r} markers"
            + (" and cache_system" if options.cache_system else "")
            + ")."
        )
    if budget is None:
        return
    rules = params.model.rules
    if rules is not None and rules.adaptive_thinking:
        raise InvalidParameterError(
            f"{params.model_id} thinks adaptively and takes no thinking budget; remove "
            "'thinking_budget_tokens' and pass extra_body={'thinking': {'type': 'adaptive'}}."
        )
    if rules is not None and not rules.thinking:
        raise InvalidParameterError(
            f"{params.model_id} does not support extended thinking; use Claude 3.7 Sonnet or a "
            "Claude 4 model, or remove 'thinking_budget_tokens'."
        )
    if params.max_tokens <= budget:
        raise InvalidParameterError(
            f"{max_tokens_name!r} must exceed 'thinking_budget_tokens' (got {max_tokens_name}="
            f"{params.max_tokens}, thinking_budget_tokens={budget})."
        )
    forbidden = [
        name
        for name, value in (("temperature", params.temperature), ("top_k", params.top_k))
        if value is not None
    ]
    if forbidden:
        raise InvalidParameterError(
            f"extended thinking does not work with {' or '.join(map(repr, forbidden))}; remove "
            f"{'them' if len(forbidden) > 1 else 'it'} or 'thinking_budget_tokens'."
        )
    if params.top_p is not None and params.top_p < _MIN_THINKING_TOP_P:
        raise InvalidParameterError(
            f"with extended thinking 'top_p' must be between {_MIN_THINKING_TOP_P} and 1 "
            f"(got {params.top_p})."
        )
