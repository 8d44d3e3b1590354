"""Extended thinking's rules per model, without sockets."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_bedrock_claude.testing._catalog import Thinking, resolve_model
from langchain_bedrock_claude.testing._errors import BedrockError
from langchain_bedrock_claude.testing._thinking import (
    ADAPTIVE_ONLY,
    BUDGET_MISSING,
    BUDGET_NOT_INTEGER,
    BUDGET_TOO_SMALL,
    FORCED_TOOL_USE,
    MAX_TOKENS_TOO_SMALL,
    TEMPERATURE_NOT_ONE,
    TOP_K_SET,
    TOP_P_TOO_SMALL,
    check_thinking,
)

ENABLED = {"type": "enabled", "budget_tokens": 2048}


def spec(model_id: str) -> Any:
    resolved = resolve_model(model_id, opaque_arn_model="anthropic.claude-3-haiku-20240307-v1:0")
    assert resolved is not None
    return resolved.spec


@pytest.mark.parametrize(
    ("model_id", "support"),
    [
        ("anthropic.claude-v2:1", Thinking.NONE),
        ("anthropic.claude-3-haiku-20240307-v1:0", Thinking.NONE),
        ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", Thinking.NONE),
        ("us.anthropic.claude-3-5-haiku-20241022-v1:0", Thinking.NONE),
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", Thinking.BUDGET),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", Thinking.BUDGET),
        ("us.anthropic.claude-opus-4-1-20250805-v1:0", Thinking.BUDGET),
        ("us.anthropic.claude-haiku-4-5-20251001-v1:0", Thinking.BUDGET),
        ("global.anthropic.claude-sonnet-4-6", Thinking.BUDGET_OR_ADAPTIVE),
        ("global.anthropic.claude-opus-4-6", Thinking.BUDGET_OR_ADAPTIVE),
        ("global.anthropic.claude-opus-4-7", Thinking.ADAPTIVE),
        ("global.anthropic.claude-opus-4-8", Thinking.ADAPTIVE),
        ("global.anthropic.claude-sonnet-5", Thinking.ADAPTIVE),
        ("us.anthropic.claude-fable-5", Thinking.ADAPTIVE),
        ("us.anthropic.claude-opus-5", Thinking.ADAPTIVE),
        ("us.anthropic.claude-fable-5-1", Thinking.ADAPTIVE),
        ("global.anthropic.claude-opus-5-5", Thinking.ADAPTIVE),
        ("in.anthropic.claude-sonnet-5-5", Thinking.ADAPTIVE),
        ("us.anthropic.claude-haiku-5-5", Thinking.ADAPTIVE),
    ],
)
def test_which_models_think(model_id: str, support: Thinking) -> None:
    assert spec(model_id).thinking is support


@pytest.mark.parametrize(
    ("model_id", "body", "message"),
    [
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            {"thinking": ENABLED},
            "'claude-3-haiku-20240307' does not support thinking.",
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            {"thinking": {"type": "adaptive"}},
            "'claude-3-haiku-20240307' does not support thinking.",
        ),
        ("global.anthropic.claude-opus-4-8", {"thinking": ENABLED}, ADAPTIVE_ONLY),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            {"thinking": {"type": "enabled"}},
            BUDGET_MISSING,
        ),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            {"thinking": {"type": "enabled", "budget_tokens": "2048"}},
            BUDGET_NOT_INTEGER,
        ),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            {"thinking": {"type": "enabled", "budget_tokens": True}},
            BUDGET_NOT_INTEGER,
        ),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            {"thinking": {"type": "enabled", "budget_tokens": 1023}},
            BUDGET_TOO_SMALL,
        ),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            {"thinking": {"type": "enabled", "budget_tokens": 4096}},
            MAX_TOKENS_TOO_SMALL,
        ),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            {"thinking": ENABLED, "temperature": 0},
            TEMPERATURE_NOT_ONE,
        ),
        ("anthropic.claude-sonnet-4-20250514-v1:0", {"thinking": ENABLED, "top_k": 0}, TOP_K_SET),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            {"thinking": ENABLED, "top_p": 0.949},
            TOP_P_TOO_SMALL,
        ),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            {"thinking": ENABLED, "tool_choice": {"type": "tool", "name": "t"}},
            FORCED_TOOL_USE,
        ),
    ],
)
def test_thinking_errors(model_id: str, body: dict[str, Any], message: str) -> None:
    with pytest.raises(BedrockError) as caught:
        check_thinking(spec(model_id), body, 4096)
    assert (caught.value.status, caught.value.name, caught.value.message) == (
        400,
        "ValidationException",
        message,
    )


@pytest.mark.parametrize(
    ("model_id", "body", "budget"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", {}, None),
        ("anthropic.claude-3-haiku-20240307-v1:0", {"thinking": {"type": "disabled"}}, None),
        ("anthropic.claude-3-haiku-20240307-v1:0", {"temperature": 0.2, "top_k": 5}, None),
        # adaptive thinking may use all of max_tokens
        ("global.anthropic.claude-opus-4-8", {"thinking": {"type": "adaptive"}}, 4096),
        ("anthropic.claude-sonnet-4-20250514-v1:0", {"thinking": ENABLED}, 2048),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            {"thinking": ENABLED, "temperature": 1, "top_p": 1},
            2048,
        ),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            {"thinking": {"type": "enabled", "budget_tokens": 1024}},
            1024,
        ),
    ],
)
def test_thinking_accepted(model_id: str, body: dict[str, Any], budget: int | None) -> None:
    plan = check_thinking(spec(model_id), body, 4096)
    assert (plan.budget if plan is not None else None) == budget
