"""What the emulated model answers one valid request, as a :class:`~._wire.Completion`.

Text, thinking, usage, prompt caching and the guardrail's verdict. No I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from . import _wire
from ._cache import CacheUse, PromptCache, cache_prefix
from ._generate import (
    Generation,
    default_text,
    default_thinking,
    generate,
    input_tokens,
    split_tokens,
)
from ._guardrails import GuardrailCall, screen_input, screen_output
from ._request import EmulatedRequest
from ._script import Reply
from ._thinking import sign
from ._tools import ToolUse, json_output_text, plan_tool_uses
from ._validation import Invocation


def build_completion(
    request: EmulatedRequest,
    invocation: Invocation,
    reply: Reply,
    *,
    cache: PromptCache,
    cache_minimum: bool,
    guardrail: GuardrailCall | None = None,
) -> _wire.Completion:
    """Answer ``invocation`` with ``reply`` (or the default text).

    Args:
        request: The request, for the prompt the default text derives from.
        invocation: The validated body.
        reply: The scripted reply (``Reply()`` for the default text).
        cache: The prompt cache (a ``cache_control`` prefix is read or written).
        cache_minimum: Apply the model's minimum cacheable prefix.
        guardrail: The guardrail the request applies: a blocked prompt is answered with
            its message without running the model; a blocked answer is replaced.

    Returns:
        The completion.
    """
    prompt = request.prompt_text
    if guardrail is not None:
        blocked = screen_input(guardrail, prompt)
        if blocked is not None:
            return _wire.Completion(
                api=invocation.api,
                spec=invocation.spec,
                message_id=_wire.new_message_id(invocation.spec),
                generation=blocked.generation,
                thinking=None,
                signature="",
                input_tokens=0,  # stand-in: the model never ran
                cache=None,
                stop_reason="end_turn",
                guardrail=blocked.outcome,
            )
    plan = plan_tool_uses(invocation.body, reply) if invocation.api == "messages" else None
    if plan is not None:
        reply = replace(reply, text=plan.text)
    elif reply.text is None and invocation.api == "messages":
        reply = replace(reply, text=json_output_text(invocation.body))  # structured output
    generation, thinking = _generate(invocation, reply, prompt)
    stop_reason = generation.stop_reason
    uses = _fitting_uses(plan.uses, invocation, generation, thinking) if plan else ()
    if plan is not None and stop_reason == "end_turn":
        stop_reason = "tool_use" if len(uses) == len(plan.uses) else "max_tokens"
    if reply.stop_reason is not None and stop_reason in ("end_turn", "tool_use"):
        stop_reason = reply.stop_reason
    outcome = None
    if guardrail is not None:
        screened = screen_output(guardrail, prompt, generation, stream=request.stream)
        generation, outcome = screened.generation, screened.outcome
        if outcome.intervened:
            stop_reason = generation.stop_reason  # InvokeModel keeps end_turn
            uses = ()  # the answer is the blocked message, calls included
        if not screened.keep_thinking:
            thinking = None
    shown = invocation.thinking is None or invocation.thinking.shown
    cache_use = _cache_use(invocation, cache, cache_minimum)
    total = reply.input_tokens if reply.input_tokens is not None else input_tokens(invocation.body)
    cached = (cache_use.read + cache_use.write) if cache_use is not None else 0
    return _wire.Completion(
        api=invocation.api,
        spec=invocation.spec,
        message_id=_wire.new_message_id(invocation.spec),
        generation=generation,
        thinking=thinking,
        signature=sign("".join(thinking) if shown else "") if thinking is not None else "",
        thinking_shown=shown,
        grouped=guardrail is None and (reply.text is None or isinstance(reply.text, str)),
        input_tokens=max(total - cached, 1),
        cache=cache_use,
        stop_reason=stop_reason,
        guardrail=outcome,
        tool_uses=uses,
    )


def _fitting_uses(
    uses: tuple[ToolUse, ...],
    invocation: Invocation,
    generation: Generation,
    thinking: tuple[str, ...] | None,
) -> tuple[ToolUse, ...]:
    """The calls that fit in ``max_tokens`` after the text (none when the text was cut)."""
    if generation.stop_reason != "end_turn":
        return ()
    left = invocation.max_tokens - len(thinking or ()) - generation.output_tokens
    fitting = []
    for use in uses:
        left -= use.output_tokens
        if left < 0:
            break
        fitting.append(use)
    return tuple(fitting)


def _generate(
    invocation: Invocation, reply: Reply, seed: str
) -> tuple[Generation, tuple[str, ...] | None]:
    """The text (after limits and stop sequences) and the thinking pieces."""
    legacy = invocation.api == "text_completions"
    if reply.text is None:
        text = default_text(seed)
        pieces = split_tokens(" " + text if legacy else text)
    else:
        pieces = pieces_of(reply.text)
    budget = invocation.max_tokens
    thinking: tuple[str, ...] | None = None
    if invocation.thinking is not None:
        source = reply.thinking if reply.thinking is not None else default_thinking(seed)
        thinking = tuple(pieces_of(source)[: invocation.thinking.budget])
        budget -= len(thinking)
    generation = generate(pieces, max_tokens=budget, stop_sequences=invocation.stop_sequences)
    return generation, thinking


def _cache_use(invocation: Invocation, cache: PromptCache, cache_minimum: bool) -> CacheUse | None:
    if invocation.api == "text_completions":
        return None
    prefix = cache_prefix(invocation.spec.key, invocation.body)
    if prefix is None:
        return None
    minimum = invocation.spec.min_cache_tokens if cache_minimum else 0
    return cache.use(prefix, minimum=minimum)


def pieces_of(text: str | Sequence[str]) -> list[str]:
    """Token pieces: a ``str`` split into word-ish tokens, or the given pieces as they are."""
    return split_tokens(text) if isinstance(text, str) else [str(piece) for piece in text]
