"""The model rules, checked before sending: pure functions over a :class:`~._routing.ModelRef`.

Each check takes the model and the values that matter to it, and raises
:class:`InvalidParameterError` with the model, what it refuses and what to do. Nothing here
builds requests: ``_params.check_params`` calls :func:`check_model_rules` for a prompt, and a
chat model calls :func:`check_prefill`, :func:`check_sampling` and :func:`check_thinking` on
its messages' facts the same way.

The rules themselves are the table in :mod:`._model_rules`; the error texts Bedrock answers
for the same requests are quoted there and in the emulator.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._errors import InvalidParameterError
from ._model_rules import ModelRules
from ._options import MIN_THINKING_BUDGET
from ._routing import ModelRef
from ._types import ThinkingMode
from ._warn import warn_caller

__all__ = [
    "MIN_THINKING_BUDGET",
    "ModelRuleWarning",
    "check_count_tokens",
    "check_forced_tool_choice",
    "check_model_rules",
    "check_prefill",
    "check_sampling",
    "check_system_turns",
    "check_thinking",
    "drop_unsupported_sampling",
    "prompt_ends_with_prefill",
    "thinking_active",
    "unsupported_sampling",
]

# MIN_THINKING_BUDGET (1024, "Input should be greater than or equal to 1024", Bedrock,
# danny-avila/LibreChat#8346) is also the smallest max_tokens this package lets an explicitly
# adaptive request use, so that thinking leaves room for text (no public minimum exists).
_MIN_THINKING_TOP_P = 0.95  # with thinking, top_p may only be set between 0.95 and 1
_EFFORTS_WITHOUT_THINKING = ("low", "medium", "high")
"""With thinking disabled on a model that thinks by default, effort may be at most ``high``
("disabled" with xhigh or max is a 400: Opus 5 migration notes, via apidog; docs.apiyi.com
for Haiku 5.5)."""

SAMPLING_NAMES = ("temperature", "top_p", "top_k")


class ModelRuleWarning(UserWarning):
    """A parameter was left out of a request because the model would refuse it.

    Raised as a warning only with ``drop_unsupported_params=True`` (or when a retired model is
    sent to its successor); without it the same parameter is an :class:`InvalidParameterError`.
    """


def _names(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(repr(name) for name in names)


# --- sampling ----------------------------------------------------------------------------------


def unsupported_sampling(rules: ModelRules, sampling: Mapping[str, object]) -> tuple[str, ...]:
    """The set sampling parameters (``None`` is unset) ``rules`` refuse, in wire order.

    For a model taking ``temperature`` or ``top_p`` but not both, ``top_p`` is the one refused.
    """
    given = tuple(name for name in SAMPLING_NAMES if sampling.get(name) is not None)
    if rules.sampling == "none":
        return given
    if rules.sampling == "temperature_or_top_p" and "temperature" in given and "top_p" in given:
        return ("top_p",)
    return ()


def check_sampling(model: ModelRef, sampling: Mapping[str, object]) -> None:
    """Refuse sampling parameters ``model`` rejects.

    Bedrock's answers: "`temperature` is deprecated for this model." (Opus 4.7 on, Sonnet 5 on,
    Haiku 5.5, Fable); "`temperature` and `top_p` cannot both be specified for this model.
    Please use only one." (the 4.5 and 4.6 models; recorded for Haiku 4.5).
    """
    rules = model.rules
    if rules is None:
        return
    refused = unsupported_sampling(rules, sampling)
    if not refused:
        return
    if rules.sampling == "none":
        raise InvalidParameterError(
            f"{model.model_id} ({rules.name}) accepts no sampling parameters; remove "
            f"{_names(refused)}, or pass drop_unsupported_params=True to leave them out."
        )
    raise InvalidParameterError(
        f"{model.model_id} ({rules.name}) accepts 'temperature' or 'top_p' but not both (got "
        f"temperature={sampling['temperature']!r}, top_p={sampling['top_p']!r}): remove one, "
        "or pass drop_unsupported_params=True to leave 'top_p' out."
    )


def drop_unsupported_sampling(
    model: ModelRef, sampling: Mapping[str, float | int | None]
) -> dict[str, float | int | None]:
    """``sampling`` without what ``model`` refuses, with a :class:`ModelRuleWarning` naming it."""
    rules = model.rules
    refused = unsupported_sampling(rules, sampling) if rules is not None else ()
    if not refused:
        return dict(sampling)
    assert rules is not None
    warn_caller(
        f"{model.model_id} ({rules.name}) does not accept {_names(refused)}; left out of the "
        "request (drop_unsupported_params=True).",
        ModelRuleWarning,
    )
    return {name: (None if name in refused else value) for name, value in sampling.items()}


# --- prefill -----------------------------------------------------------------------------------


def check_prefill(model: ModelRef, last_role: str | None, *, source: str = "the messages") -> None:
    """Refuse a conversation ending with an assistant turn on a model that rejects prefill.

    Args:
        model: The model.
        last_role: The role of the conversation's last turn (``"user"``, ``"assistant"``).
        source: What the conversation came from, for the message (``'prompt'``).

    Bedrock's answer: "This model does not support assistant message prefill. The
    conversation must end with a user message." (the 4.6 models and later).
    """
    rules = model.rules
    if rules is None or rules.prefill or last_role != "assistant":
        return
    raise InvalidParameterError(
        f"{model.model_id} ({rules.name}) does not support assistant prefill: {source} must "
        "end with a user turn, not an assistant turn. Move the start of the answer into the "
        "instructions (or the system prompt), or use a model up to the 4.5 generation."
    )


def prompt_ends_with_prefill(prompt: str, system: str | None = None) -> bool:
    r"""Whether ``prompt`` becomes a message list ending with an assistant turn.

    A prompt whose last turn is the bare ``\n\nAssistant:`` marker is not a prefill: it asks
    for the answer (``_formats.prompt.split_turns`` drops the empty turn).
    """
    # Imported here: _formats imports _params, which imports this module.
    from ._formats.prompt import split_turns

    messages = split_turns(prompt, system).messages
    return bool(messages) and messages[-1]["role"] == "assistant"


# --- mid-conversation system turns ------------------------------------------------------------


def check_system_turns(model: ModelRef, count: int) -> None:
    """Refuse system turns after the conversation started on a model that rejects them.

    Args:
        model: The model.
        count: How many ``{"role": "system"}`` turns the messages hold.

    Bedrock's answers (live invoke-model, BerriAI/litellm#32831): "role 'system' is not
    supported on this model" (Opus 4.7); 'messages: Unexpected role "system". The Messages
    API accepts a top-level `system` parameter, not "system" as an input message' (Haiku
    4.5, Sonnet 4.6). A model the table does not know is sent as asked (Bedrock answers).
    """
    rules = model.rules
    if rules is None or rules.system_turns or not count:
        return
    raise InvalidParameterError(
        f"{model.model_id} ({rules.name}) takes system messages only at the start of the "
        f"conversation, and the messages hold {count} later one(s): move them to the start "
        "(before the first HumanMessage), send the instruction as a HumanMessage, or use a "
        "model that takes mid-conversation system messages (Claude Opus 4.8)."
    )


# --- thinking ----------------------------------------------------------------------------------


def thinking_active(model: ModelRef, budget: int | None, mode: ThinkingMode | None) -> bool:
    """Whether the model will think: a budget, ``adaptive``, or its default when not disabled."""
    if budget is not None or mode == "adaptive":
        return True
    rules = model.rules
    return mode is None and rules is not None and rules.thinks_by_default


def check_thinking(
    model: ModelRef,
    *,
    budget: int | None,
    mode: ThinkingMode | None,
    effort: str | None,
    max_tokens: int,
    max_tokens_name: str,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
) -> None:
    """Refuse thinking settings ``model`` rejects, and ``max_tokens`` too small for them.

    Args:
        model: The model.
        budget: ``thinking_budget_tokens`` (budgeted extended thinking), if set.
        mode: The ``thinking`` option (``adaptive`` or ``disabled``), if set.
        effort: The ``effort`` option, if set.
        max_tokens: The request's ``max_tokens`` (thinking counts toward it).
        max_tokens_name: The caller's name for it, for the message.
        temperature: The sampling parameters (extended thinking restricts them).
        top_p: See ``temperature``.
        top_k: See ``temperature``.
    """
    rules = model.rules
    asked = [
        feature
        for feature, value in (
            ("extended thinking", budget),
            (f"thinking={mode!r}", mode),
            (f"effort={effort!r}", effort),
        )
        if value is not None
    ]
    if model.api == "text_completions" and asked:
        raise InvalidParameterError(
            f"{' and '.join(asked)} needs the Messages API; {model.model_id} speaks the legacy "
            "Text Completions API. Use a current Claude model."
        )
    if budget is not None and mode is not None:
        raise InvalidParameterError(
            f"'thinking_budget_tokens' is budgeted thinking and thinking={mode!r} another "
            "setting: pass one of them."
        )
    if rules is not None:
        _check_thinking_rules(model, rules, budget=budget, mode=mode, effort=effort)
    if budget is not None:
        if max_tokens <= budget:
            raise InvalidParameterError(
                f"{max_tokens_name!r} must exceed 'thinking_budget_tokens': thinking counts toward "
                f"it (got {max_tokens_name}={max_tokens}, thinking_budget_tokens={budget})."
            )
    elif mode == "adaptive" and max_tokens < MIN_THINKING_BUDGET:
        raise InvalidParameterError(
            f"{max_tokens_name!r} must be at least {MIN_THINKING_BUDGET} with thinking='adaptive': "
            f"thinking and text share it (got {max_tokens_name}={max_tokens})."
        )
    if thinking_active(model, budget, mode):
        # Bedrock: "`temperature` may only be set to 1 when thinking is enabled or in adaptive
        # mode", "`top_k` must be unset when thinking is enabled", "`top_p` must be greater
        # than or equal to 0.95 or unset when thinking is enabled or in adaptive mode".
        _check_thinking_sampling(temperature, top_p, top_k, budgeted=budget is not None)


def _check_thinking_rules(
    model: ModelRef,
    rules: ModelRules,
    *,
    budget: int | None,
    mode: ThinkingMode | None,
    effort: str | None,
) -> None:
    who = f"{model.model_id} ({rules.name})"
    if budget is not None and not rules.budget_thinking:
        if rules.adaptive_thinking:
            # Bedrock: '"thinking.type.enabled" is not supported for this model. Use
            # "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.'
            raise InvalidParameterError(
                f"{who} thinks adaptively and takes no thinking budget: remove "
                "'thinking_budget_tokens' and pass thinking='adaptive' (and effort=... to set "
                "how much it thinks)."
            )
        raise InvalidParameterError(
            f"{who} does not support extended thinking: remove 'thinking_budget_tokens', or use "
            "Claude 3.7 Sonnet or a Claude 4 or later model."
        )
    if mode == "adaptive" and not rules.adaptive_thinking:
        hint = (
            "pass thinking_budget_tokens=N instead"
            if rules.budget_thinking
            else "use a Claude 4.6 or later model"
        )
        raise InvalidParameterError(f"{who} does not support adaptive thinking: {hint}.")
    if mode == "disabled" and not rules.thinking_can_be_disabled:
        raise InvalidParameterError(
            f"{who} always thinks; thinking='disabled' is refused. Remove it, and lower "
            "'effort' to think less."
        )
    if effort is None:
        return
    if not rules.efforts:
        raise InvalidParameterError(f"{who} does not take 'effort' (got effort={effort!r}).")
    if effort not in rules.efforts:
        raise InvalidParameterError(
            f"'effort' must be one of {_names(list(rules.efforts))} for {who} (got {effort!r})."
        )
    if mode == "disabled" and rules.thinks_by_default and effort not in _EFFORTS_WITHOUT_THINKING:
        raise InvalidParameterError(
            f"{who} takes effort={effort!r} only with thinking on: remove thinking='disabled', "
            f"or use an effort of {_names(list(_EFFORTS_WITHOUT_THINKING))}."
        )


def _check_thinking_sampling(
    temperature: float | None, top_p: float | None, top_k: int | None, *, budgeted: bool
) -> None:
    pairs = (("temperature", temperature), ("top_k", top_k))
    forbidden = [name for name, value in pairs if value is not None]
    what = "extended thinking" if budgeted else "thinking"
    if forbidden:
        undo = "'thinking_budget_tokens'" if budgeted else "thinking (thinking='disabled')"
        raise InvalidParameterError(
            f"{what} does not work with {' or '.join(map(repr, forbidden))}; remove "
            f"{'them' if len(forbidden) > 1 else 'it'} or {undo}."
        )
    if top_p is not None and top_p < _MIN_THINKING_TOP_P:
        raise InvalidParameterError(
            f"with {what} 'top_p' must be between {_MIN_THINKING_TOP_P} and 1 (got {top_p})."
        )


def check_forced_tool_choice(model: ModelRef, *, thinking: bool) -> None:
    """Refuse ``tool_choice`` ``any``/``tool`` where it cannot work.

    Bedrock: "Thinking may not be enabled when tool_choice forces tool use." A model that
    always thinks never takes it; another takes it with thinking off.
    """
    rules = model.rules
    if rules is None:
        return
    if not rules.forced_tool_choice:
        raise InvalidParameterError(
            f"{model.model_id} ({rules.name}) always thinks, and thinking rules out a forced "
            "tool_choice: use tool_choice 'auto' (or structured output)."
        )
    if thinking:
        raise InvalidParameterError(
            f"a forced tool_choice does not work while {model.model_id} thinks: pass "
            "thinking='disabled' (or remove the thinking budget), or use tool_choice 'auto'."
        )


# --- CountTokens and the whole prompt request -------------------------------------------------


def check_count_tokens(model: ModelRef) -> None:
    """Refuse CountTokens for a model Bedrock's CountTokens does not support."""
    rules = model.rules
    if model.api == "messages" and (rules is None or rules.count_tokens):
        return
    name = f" ({rules.name})" if rules is not None else ""
    raise InvalidParameterError(
        f"{model.model_id}{name} does not support Bedrock's CountTokens; it works with Claude "
        "3.7 Sonnet and the Claude 4 and later models."
    )


def check_model_rules(
    model: ModelRef,
    *,
    prompt: str,
    system: str | None,
    max_tokens: int,
    max_tokens_name: str,
    sampling: Mapping[str, float | int | None],
    budget: int | None = None,
    mode: ThinkingMode | None = None,
    effort: str | None = None,
) -> None:
    """Every model rule a prompt request can break (see each check)."""
    check_sampling(model, sampling)
    rules = model.rules
    if rules is not None and not rules.prefill and prompt_ends_with_prefill(prompt, system):
        check_prefill(model, "assistant", source="'prompt' (its last turn is an Assistant turn)")
    temperature, top_p, top_k = (sampling.get(name) for name in SAMPLING_NAMES)
    check_thinking(
        model,
        budget=budget,
        mode=mode,
        effort=effort,
        max_tokens=max_tokens,
        max_tokens_name=max_tokens_name,
        temperature=None if temperature is None else float(temperature),
        top_p=None if top_p is None else float(top_p),
        top_k=None if top_k is None else int(top_k),
    )
