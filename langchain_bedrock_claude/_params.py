"""Check user arguments, before any request, and gather them into one :class:`CompletionParams`.

Each message names the parameter, what it accepts and what it got:
``'top_k' must be between 0 and 500 (got 501)``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import InvalidParameterError
from ._routing import ModelRef, resolve_model
from ._types import Api

__all__ = ["DEFAULT_MAX_TOKENS", "CompletionParams", "check_params"]

DEFAULT_MAX_TOKENS = 256
"""``max_tokens_to_sample``'s default, as in the bedrock_anthropic documentation."""

# (lowest, highest) accepted, from the bedrock_anthropic documentation and Anthropic's API.
_TEMPERATURE_RANGE = (0.0, 1.0)
_TOP_P_RANGE = (0.0, 1.0)
_TOP_K_RANGE = (0, 500)

CREATE_PARAMETERS = (
    "model",
    "prompt",
    "max_tokens_to_sample",
    "stop_sequences",
    "temperature",
    "top_p",
    "top_k",
    "stream",
    "system",
    "api",
    "extra_body",
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
    )
    _check_model_rules(params)
    return params


def _check_model_rules(params: CompletionParams) -> None:
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
