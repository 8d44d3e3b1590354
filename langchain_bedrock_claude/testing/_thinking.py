"""Extended thinking's rules, checked as Bedrock checks a Messages body, with its texts.

One rule at a time, in this order: the model takes ``{"type": "enabled"}`` thinking at
all, ``budget_tokens`` is present and at least 1024, ``max_tokens`` exceeds it, then the
sampling parameters (``temperature`` only 1, ``top_k`` unset, ``top_p`` unset or at least
0.95) and a ``tool_choice`` that doesn't force tool use. The texts are the ones real
calls returned (InvokeModel returns the model's message bare; Converse prefixes
"The model returned the following errors: "); sources are noted on each.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def not_supported(spec: ModelSpec) -> str:
    """``'claude-3-5-sonnet-20241022' does not support thinking.`` (anthropics/claude-code#2245)."""
    return f"'{spec.reported_name}' does not support thinking."


def check_thinking(spec: ModelSpec, body: Mapping[str, Any], max_tokens: int) -> int | None:
    """Check a Messages body's ``thinking`` against ``spec`` and the sampling parameters.

    Args:
        spec: The answering model.
        body: The parsed body (schema already valid).
        max_tokens: Its ``max_tokens``.

    Returns:
        ``budget_tokens`` when extended thinking is enabled, else ``None`` (no thinking,
        ``disabled`` or ``adaptive``, whose thinking the emulator doesn't generate).

    Raises:
        BedrockError: 400 ``ValidationException`` with Bedrock's text for the first rule
            the body breaks.
    """
    thinking = body.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind in ("enabled", "adaptive") and spec.thinking is Thinking.NONE:
        raise validation_error(not_supported(spec))
    if kind != "enabled":
        return None
    assert isinstance(thinking, dict)
    if spec.thinking is Thinking.ADAPTIVE:
        raise validation_error(ADAPTIVE_ONLY)
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
    return budget


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
