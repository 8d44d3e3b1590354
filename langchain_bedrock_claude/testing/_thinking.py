"""Thinking's rules, checked as Bedrock checks a Messages body, with its texts.

One rule at a time, in this order: the model takes the ``thinking`` type asked for at all
(``enabled`` with a budget, ``adaptive``, ``disabled``), ``budget_tokens`` is present and
at least 1024, ``max_tokens`` exceeds it, the ``effort``, then, whenever the model will
think (asked for, or by default), the sampling parameters (``temperature`` only 1,
``top_k`` unset, ``top_p`` unset or at least 0.95) and a ``tool_choice`` that doesn't
force tool use. Then the thinking blocks of earlier assistant turns: each needs the
signature this emulator gave it. The texts are the ones real calls returned (InvokeModel
returns the model's message bare; Converse prefixes "The model returned the following
errors: "); sources are noted on each.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._catalog import ModelSpec, Thinking
from ._errors import validation_error

MIN_BUDGET_TOKENS = 1024
"""The smallest ``budget_tokens`` (Anthropic's documented minimum)."""
MIN_TOP_P = 0.95
"""With thinking, ``top_p`` may be unset or between 0.95 and 1."""
_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
_CONSIDERATIONS = (
    f"Please consult our documentation at {_DOCS}"
    "#important-considerations-when-using-extended-thinking"
)

BUDGET_TOO_SMALL = "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
"""Bedrock, Claude 3.7 Sonnet (EndemicMedia/claudecoder#5, danny-avila/LibreChat#8346)."""
BUDGET_MISSING = "thinking.enabled.budget_tokens: Field required"
"""Bedrock Converse, wrapped (trpc-group/trpc-agent-go#1748)."""
BUDGET_NOT_INTEGER = "thinking.enabled.budget_tokens: Input should be a valid integer"
"""Stand-in: the same validator's wording for a wrong type."""
MAX_TOKENS_TOO_SMALL = (
    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
    f"documentation at {_DOCS}#max-tokens-and-context-window-size"
)
"""Bedrock, Claude Sonnet 4.5, 2025-10 (anthropics/claude-code#8756)."""
TEMPERATURE_NOT_ONE = (
    "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. "
    + _CONSIDERATIONS
)
"""Wording of 2026 answers (mnfst/modelparams.dev#214); the link as in the top_p text."""
TOP_K_SET = "`top_k` must be unset when thinking is enabled. " + _CONSIDERATIONS
"""Anthropic API, 2025-09 (quarkiverse/quarkus-langchain4j#1812)."""
TOP_P_TOO_SMALL = (
    "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled or in "
    "adaptive mode. " + _CONSIDERATIONS
)
"""Bedrock, live, 2026-06 (tailcallhq/forgecode#3472)."""
FORCED_TOOL_USE = "Thinking may not be enabled when tool_choice forces tool use."
"""Anthropic API, live, 2026-08 (workglow-dev/libs#746)."""
ADAPTIVE_ONLY = (
    '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" '
    'and "output_config.effort" to control thinking behavior.'
)
"""Claude Sonnet 5 / Opus 4.8 (AAClause/nvda-OpenAI#126, openclaw/openclaw#101674)."""


ALWAYS_THINKS = (
    '"thinking.type.disabled" is not supported for this model. Thinking is always on; use '
    '"output_config.effort" to control thinking behavior.'
)
"""Stand-in in the wording of ``ADAPTIVE_ONLY``: no public text for the refusal (Opus 5.5,
Fable and Sonnet 5.5 cannot turn thinking off: docs.apiyi.com, aebrer/dreb v2.72.0)."""
EFFORT_NEEDS_THINKING = "`output_config.effort` may be at most `high` when thinking is disabled."
"""Stand-in: "disabled" with xhigh or max is a 400 on Opus 5 and Haiku 5.5 (Opus 5
migration notes via apidog; docs.apiyi.com); no public text for it."""
INVALID_SIGNATURE = "messages.{m}.content.{b}: Invalid `signature` in `thinking` block"
"""A forged or foreign signature (Anthropic API and Bedrock, ding113/claude-code-hub#518,
chenhg5/cc-connect#897)."""
EMPTY_SIGNATURE = "messages.{m}.content.{b}.thinking.signature: Field required"
"""An empty or missing signature (Bedrock, can1357/oh-my-pi#10486, earendil-works/pi#2063)."""
DISPLAYS = ("summarized", "omitted")
"""``thinking.display`` values (Anthropic's adaptive thinking page)."""


def effort_not_supported(levels: tuple[str, ...]) -> str:
    """Stand-in for an effort the model does not take, in the validator's enum wording."""
    if not levels:
        return "output_config.effort: Extra inputs are not permitted"
    expected = ", ".join(f"'{level}'" for level in levels)
    return f"output_config.effort: Input should be {expected}"


@dataclass(frozen=True)
class ThinkingPlan:
    """How the model thinks for one request."""

    budget: int
    """The most thinking tokens (``budget_tokens``, or ``max_tokens`` when adaptive)."""
    shown: bool
    """Whether the thinking text is in the answer (else the block has only its signature)."""


# The signing key of this emulator's "account": signatures it issued verify, others do not.
_SIGNING_KEY = os.urandom(32)
_NONCE_BYTES = 12
_MAC_BYTES = 32


def sign(shown_thinking: str) -> str:
    """A signature for a thinking block whose visible text is ``shown_thinking``.

    Base64, like Bedrock's (``EroT…``, ``EsUI…`` in the recordings): a nonce and an HMAC
    over the nonce and the visible text, so only blocks this emulator produced verify.
    """
    nonce = os.urandom(_NONCE_BYTES)
    mac = hmac.new(_SIGNING_KEY, nonce + shown_thinking.encode(), hashlib.sha256).digest()
    return base64.b64encode(b"\x12" + nonce + mac).decode()


def verify_signature(signature: str, shown_thinking: str) -> bool:
    """Whether ``signature`` is one :func:`sign` gave for ``shown_thinking``."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(raw) != 1 + _NONCE_BYTES + _MAC_BYTES:
        return False
    nonce, mac = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
    expected = hmac.new(_SIGNING_KEY, nonce + shown_thinking.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(mac, expected)


def check_signatures(messages: Any, *, verify: bool = True) -> None:
    """Refuse thinking blocks of earlier turns whose signature is empty or not this emulator's.

    With ``verify=False`` only empty signatures are refused (recorded traffic carries other
    accounts' signatures).

    Raises:
        BedrockError: 400 with ``EMPTY_SIGNATURE`` or ``INVALID_SIGNATURE``.
    """
    for m, message in enumerate(messages if isinstance(messages, list) else ()):
        content = message.get("content") if isinstance(message, dict) else None
        for b, block in enumerate(content if isinstance(content, list) else ()):
            if not isinstance(block, dict) or block.get("type") != "thinking":
                continue
            signature = block.get("signature")
            if not isinstance(signature, str) or not signature:
                raise validation_error(EMPTY_SIGNATURE.format(m=m, b=b))
            if verify and not verify_signature(signature, str(block.get("thinking") or "")):
                raise validation_error(INVALID_SIGNATURE.format(m=m, b=b))


def not_supported(spec: ModelSpec) -> str:
    """``'claude-3-5-sonnet-20241022' does not support thinking.`` (anthropics/claude-code#2245)."""
    return f"'{spec.reported_name}' does not support thinking."


def check_thinking(
    spec: ModelSpec, body: Mapping[str, Any], max_tokens: int
) -> ThinkingPlan | None:
    """Check a Messages body's ``thinking`` and ``effort`` against ``spec``.

    Args:
        spec: The answering model.
        body: The parsed body (schema already valid).
        max_tokens: Its ``max_tokens``.

    Returns:
        How the model thinks, or ``None`` when it does not (no thinking asked for and none
        by default, or ``disabled``).

    Raises:
        BedrockError: 400 ``ValidationException`` with Bedrock's text for the first rule
            the body breaks.
    """
    thinking = body.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind in ("enabled", "adaptive") and spec.thinking is Thinking.NONE:
        raise validation_error(not_supported(spec))
    if kind == "enabled" and spec.thinking is Thinking.ADAPTIVE:
        raise validation_error(ADAPTIVE_ONLY)
    if kind == "disabled" and spec.always_thinks:
        raise validation_error(ALWAYS_THINKS)
    _check_effort(spec, body, disabled=kind == "disabled")
    display = thinking.get("display") if isinstance(thinking, dict) else None
    if display is not None and display not in DISPLAYS:
        expected = " or ".join(f"'{name}'" for name in DISPLAYS)
        raise validation_error(f"thinking.{kind}.display: Input should be {expected}")  # stand-in
    shown = display == "summarized" or (display is None and not spec.omits_thinking)
    if kind == "enabled":
        assert isinstance(thinking, dict)
        budget = thinking.get("budget_tokens")
        if budget is None:
            raise validation_error(BUDGET_MISSING)
        if not isinstance(budget, int) or isinstance(budget, bool):
            raise validation_error(BUDGET_NOT_INTEGER)
        if budget < MIN_BUDGET_TOKENS:
            raise validation_error(BUDGET_TOO_SMALL)
        if budget >= max_tokens:
            raise validation_error(MAX_TOKENS_TOO_SMALL)
        _check_sampling(body)
        return ThinkingPlan(budget, shown=True)
    if kind == "adaptive" or (kind is None and spec.thinks_by_default):
        _check_sampling(body)
        return ThinkingPlan(max_tokens, shown=shown)
    return None


def _check_effort(spec: ModelSpec, body: Mapping[str, Any], *, disabled: bool) -> None:
    config = body.get("output_config")
    effort = config.get("effort") if isinstance(config, dict) else None
    if effort is None:
        return
    if effort not in spec.efforts:
        raise validation_error(effort_not_supported(spec.efforts))
    if disabled and spec.thinks_by_default and effort in ("xhigh", "max"):
        raise validation_error(EFFORT_NEEDS_THINKING)


def _check_sampling(body: Mapping[str, Any]) -> None:
    if "temperature" in body and body["temperature"] != 1:
        raise validation_error(TEMPERATURE_NOT_ONE)
    if "top_k" in body:
        raise validation_error(TOP_K_SET)
    if "top_p" in body and body["top_p"] < MIN_TOP_P:
        raise validation_error(TOP_P_TOO_SMALL)
    tool_choice = body.get("tool_choice")
    if isinstance(tool_choice, dict) and tool_choice.get("type") in ("any", "tool"):
        raise validation_error(FORCED_TOOL_USE)
