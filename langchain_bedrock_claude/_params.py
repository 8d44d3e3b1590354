"""Check user arguments, before any request, and gather them into one :class:`CompletionParams`.

Each message names the parameter, what it accepts and what it got:
``'top_k' must be between 0 and 500 (got 501)``.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast

from ._errors import InvalidParameterError
from ._model_checks import check_model_rules, drop_unsupported_sampling
from ._option_types import InvocationOptions
from ._options import (
    CHECKS_READ_ENVIRONMENT,
    DEFAULT_LLM_MAX_TOKENS,
    MIN_THINKING_BUDGET,
    OPTION_NAMES,
    OPTIONS,
    check_integer,
    option_values,
)
from ._routing import ModelRef, resolve_model
from ._types import CACHE_POINT, Api

__all__ = [
    "CONVERSATION",
    "DEFAULT_LLM_MAX_TOKENS",
    "DEFAULT_MAX_TOKENS",
    "MIN_THINKING_BUDGET",
    "OPTION_NAMES",
    "CompletionParams",
    "InvocationOptions",
    "check_options",
    "check_params",
    "options_from",
    "reject_unknown",
]

DEFAULT_MAX_TOKENS = 256
"""``max_tokens_to_sample``'s default, as in the bedrock_anthropic documentation."""

# (lowest, highest) accepted, from the bedrock_anthropic documentation and Anthropic's API.
_TEMPERATURE_RANGE = (0.0, 1.0)
_TOP_P_RANGE = (0.0, 1.0)
_TOP_K_RANGE = (0, 500)

MAX_CACHE_POINTS = 4
"""The most ``cache_control`` breakpoints one request may carry."""


_OPTIONS_MEMO = 64
"""Distinct option sets whose check is remembered (a process has a handful of models)."""

_PARAMS_MEMO = 64
"""Distinct argument sets of :func:`check_params` whose check is remembered."""

CONVERSATION = "(the chat messages)"
"""The prompt a chat model's checks see: its messages are checked and sent apart. Only checks
of this prompt are remembered; a text prompt changes from call to call, so remembering its
checks would only cost a miss per call (and flatter a benchmark that repeats one prompt)."""


def _check_options(values: Mapping[str, object]) -> InvocationOptions:
    checked = {
        option.name: option.check(option.name, values.get(option.name, option.default))
        for option in OPTIONS
    }
    for option in OPTIONS:
        if option.requires is None or checked[option.requires] is not None:
            continue
        value = checked[option.name]
        if value is not None and value != option.default:
            raise InvalidParameterError(
                f"{option.name!r} needs a {option.requires.rsplit('_', 1)[0]}: set "
                f"{option.requires!r} too (got {option.name}={value!r} without one)."
            )
    for option in OPTIONS:
        if (
            option.default_when_required is not None
            and option.requires is not None
            and checked[option.requires] is not None
            and checked[option.name] is None
        ):
            checked[option.name] = option.default_when_required
    return InvocationOptions(**checked)  # type: ignore[arg-type]


def check_options(**values: object) -> InvocationOptions:
    """Check the feature options (``_options.OPTIONS``); raise :class:`InvalidParameterError`.

    Takes each option by its name; an option not given takes its declared default.
    """
    unknown = {name: value for name, value in values.items() if name not in OPTION_NAMES}
    reject_unknown(unknown, OPTION_NAMES)
    return _check_options(values)


# Spelled out from the declaration, for help() and IDEs.
check_options.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        inspect.Parameter(option.name, inspect.Parameter.KEYWORD_ONLY, default=option.default)
        for option in OPTIONS
    ],
    return_annotation="InvocationOptions",
)


def options_from(source: object, overrides: Mapping[str, Any]) -> InvocationOptions:
    """The checked options of one call: ``overrides`` win over ``source``'s same-named fields.

    ``source`` is any object with an attribute per option (a LangChain class's fields).
    """
    values = (
        [overrides.get(name, getattr(source, name)) for name in OPTION_NAMES]
        if overrides
        else option_values(source)  # the usual call: one C-level lookup of every field
    )
    try:
        return _checked_options(*values, *map(os.environ.get, CHECKS_READ_ENVIRONMENT))
    except TypeError:  # a value that cannot be hashed (a mapping): checked afresh
        return _check_options(dict(zip(OPTION_NAMES, values, strict=True)))


@functools.lru_cache(maxsize=_OPTIONS_MEMO, typed=True)
def _checked_options(*key: object) -> InvocationOptions:
    # Checking every option is a sizeable part of a short call, and a model sends the same
    # options call after call. ``key``: the values, then the environment the checks read.
    # Typed, so that ``1`` is checked apart from ``True``; refusals are never remembered.
    return _check_options(dict(zip(OPTION_NAMES, key[: len(OPTION_NAMES)], strict=True)))


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


def reject_unknown(
    unknown: Mapping[str, object],
    accepted: Iterable[str],
    *,
    hint: str = "Extra request body fields go in extra_body.",
) -> None:
    """Raise for parameters the caller passed that this call does not take."""
    if not unknown:
        return
    accepted = tuple(accepted)
    problems = []
    for name in unknown:
        close = difflib.get_close_matches(name, accepted, n=1)
        problems.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise InvalidParameterError(
        f"unknown parameter {', '.join(problems)}; accepted: {', '.join(accepted)}. {hint}"
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
    base_model: object = None,
) -> CompletionParams:
    """Check every argument and the model's rules; raise :class:`InvalidParameterError` if wrong.

    Only parameters the caller set (not ``None``) end up in the request. ``base_model``: the
    foundation model an opaque ARN runs, whose rules and API apply (the request still goes to
    ``model``).
    """
    if _rememberable(prompt, stop_sequences, extra_body, options):
        stops = None if stop_sequences is None else tuple(cast("Iterable[object]", stop_sequences))
        try:
            return _remembered_params(
                model,
                prompt,
                max_tokens,
                stops,
                temperature,
                top_p,
                top_k,
                system,
                api,
                None,  # extra_body: none (see _rememberable)
                options,
                max_tokens_name,
                base_model,
            )
        except TypeError:  # a value that cannot be hashed (a list in stop_sequences): afresh
            pass
    return _check_params(
        model,
        prompt,
        max_tokens,
        stop_sequences,
        temperature,
        top_p,
        top_k,
        system,
        api,
        extra_body,
        options,
        max_tokens_name,
        base_model,
    )


def _rememberable(
    prompt: object, stops: object, extra_body: object, options: InvocationOptions | None
) -> bool:
    # Body fields are not kept as a key: a key must tell ``1`` from ``True`` at every depth,
    # as the JSON sent does. A drop_unsupported_params check may warn, and a remembered one
    # would not warn again.
    return (
        prompt is CONVERSATION
        and (stops is None or type(stops) in (list, tuple))
        and (extra_body is None or (isinstance(extra_body, Mapping) and not extra_body))
        and not (options is not None and options.drop_unsupported_params)
    )


def _check_params(  # check_params's arguments, in its order (its defaults are its own)
    model: object,
    prompt: object,
    max_tokens: object,
    stop_sequences: object,
    temperature: object,
    top_p: object,
    top_k: object,
    system: object,
    api: Api | None,
    extra_body: Mapping[str, Any] | None,
    options: InvocationOptions | None,
    max_tokens_name: str,
    base_model: object,
) -> CompletionParams:
    ref = resolve_model(model, api)
    if base_model is not None:
        base = resolve_model(base_model, api)
        ref = replace(base, model_id=ref.model_id, geo=ref.geo or base.geo)
    if not isinstance(prompt, str):
        raise InvalidParameterError(f"'prompt' must be a string (got {type(prompt).__name__}).")
    if not prompt.strip():
        raise InvalidParameterError("'prompt' must not be empty (got an empty or blank string).")
    limit = ref.rules.max_output_tokens if ref.rules else None
    tokens = check_integer(max_tokens_name, max_tokens, 1, None)
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
    options = options or InvocationOptions()
    sampling = {
        "temperature": None
        if temperature is None
        else _number("temperature", temperature, _TEMPERATURE_RANGE),
        "top_p": None if top_p is None else _number("top_p", top_p, _TOP_P_RANGE),
        "top_k": None if top_k is None else int(check_integer("top_k", top_k, *_TOP_K_RANGE)),
    }
    if options.drop_unsupported_params:
        sampling = drop_unsupported_sampling(ref, sampling)
    params = CompletionParams(
        model=ref,
        prompt=prompt,
        max_tokens=tokens,
        stop_sequences=_stop_sequences(stop_sequences),
        system=system or None,
        extra_body=dict(extra_body or {}),
        options=options,
        **sampling,  # type: ignore[arg-type]
    )
    _check_features(params, max_tokens_name)
    return params


_remembered_params = functools.lru_cache(maxsize=_PARAMS_MEMO, typed=True)(_check_params)
""":func:`_check_params`, remembered. Its checks are a function of their arguments alone (no
environment, no clock), and a chat model sends the same ones call after call: only its
messages change, and they are checked apart. Typed, so ``1`` is checked apart from ``True``;
a refusal raises and is never remembered."""


def _check_features(params: CompletionParams, max_tokens_name: str) -> None:
    options = params.options
    legacy = params.api == "text_completions"
    budget = options.thinking_budget_tokens
    markers = params.prompt.count(CACHE_POINT)
    caching = options.cache_system or markers > 0
    if legacy and caching and budget is None:
        raise InvalidParameterError(
            f"prompt caching needs the Messages API; {params.model_id} speaks the legacy Text "
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
    check_model_rules(
        params.model,
        prompt=params.prompt,
        system=params.system,
        max_tokens=params.max_tokens,
        max_tokens_name=max_tokens_name,
        sampling={"temperature": params.temperature, "top_p": params.top_p, "top_k": params.top_k},
        budget=budget,
        mode=options.thinking,
        effort=options.effort,
    )
