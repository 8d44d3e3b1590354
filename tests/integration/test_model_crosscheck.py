"""The client's model table walked against the emulator's own catalog.

The two are written apart on purpose (the emulator never imports the client): for every row
of the client's table and every request shape its rules decide, the request is either refused
by the client before sending, or accepted by the emulator. A request the client lets through
and the emulator refuses is a disagreement; the sources cited in both tables decide which side
is fixed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from langchain_bedrock_claude import AnthropicBedrock, APIStatusError, InvalidParameterError
from langchain_bedrock_claude._model_rules import ModelRules, known_rows
from langchain_bedrock_claude._routing import resolve_model
from langchain_bedrock_claude._types import EFFORTS
from langchain_bedrock_claude.testing import BedrockEmulator

from .conftest import CREDENTIALS

IDS = {
    # How each row of the client's table is reached on Bedrock (profile ids where a model
    # is profile-only; legacy ids are served with the emulator's loosening knob).
    "Claude 2": "anthropic.claude-v2:1",
    "Claude Instant": "anthropic.claude-instant-v1",
    "Claude 3 Haiku": "us.anthropic.claude-3-haiku-20240307-v1:0",
    "Claude 3 Sonnet": "anthropic.claude-3-sonnet-20240229-v1:0",
    "Claude 3 Opus": "us.anthropic.claude-3-opus-20240229-v1:0",
    "Claude 3.5 Haiku": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "Claude 3.5 Sonnet": "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
    "Claude 3.7 Sonnet": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    "Claude Sonnet 4": "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "Claude Opus 4": "us.anthropic.claude-opus-4-20250514-v1:0",
    "Claude Opus 4.1": "us.anthropic.claude-opus-4-1-20250805-v1:0",
    "Claude Sonnet 4.5": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "Claude Haiku 4.5": "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
    "Claude Opus 4.5": "global.anthropic.claude-opus-4-5-20251101-v1:0",
    "Claude Opus 4.6": "us.anthropic.claude-opus-4-6",
    "Claude Sonnet 4.6": "in.anthropic.claude-sonnet-4-6",
    "Claude Opus 4.7": "us.anthropic.claude-opus-4-7",
    "Claude Opus 4.8": "global.anthropic.claude-opus-4-8",
    "Claude Fable 5": "us.anthropic.claude-fable-5",
    "Claude Sonnet 5": "us.anthropic.claude-sonnet-5",
    "Claude Opus 5": "eu.anthropic.claude-opus-5",
    "Claude Fable 5.1": "us.anthropic.claude-fable-5-1",
    "Claude Opus 5.5": "global.anthropic.claude-opus-5-5",
    "Claude Sonnet 5.5": "us.anthropic.claude-sonnet-5-5",
    "Claude Haiku 5.5": "au.anthropic.claude-haiku-5-5",
}
ROWS = [rules for _, _, rules in known_rows()]
PROMPT = "Human: Why is the sky blue?\n\nAssistant:"
PREFILL = "Human: Give me JSON.\n\nAssistant: {"


def cases(rules: ModelRules) -> dict[str, dict[str, Any]]:
    """Every request shape the rules decide, by name."""
    return {
        "plain": {},
        "largest max_tokens": {"max_tokens_to_sample": rules.max_output_tokens},
        "temperature": {"temperature": 0.5},
        "top_p": {"top_p": 0.9},
        "top_k": {"top_k": 5},
        "temperature and top_p": {"temperature": 0.5, "top_p": 0.9},
        "prefill": {"prompt": PREFILL},
        "thinking budget": {"max_tokens_to_sample": 4096, "budget": 2048},
        "adaptive thinking": {"max_tokens_to_sample": 4096, "mode": "adaptive"},
        "adaptive thinking and temperature": {
            "max_tokens_to_sample": 4096,
            "mode": "adaptive",
            "temperature": 0.5,
        },
        "adaptive thinking and a low top_p": {
            "max_tokens_to_sample": 4096,
            "mode": "adaptive",
            "top_p": 0.5,
        },
        "thinking disabled": {"mode": "disabled"},
        **{f"effort {effort}": {"effort": effort} for effort in EFFORTS},
        "thinking disabled at effort max": {"mode": "disabled", "effort": "max"},
    }


@pytest.fixture
def client(emu: BedrockEmulator) -> Iterator[AnthropicBedrock]:
    emu.legacy_end_of_life = False  # the legacy rows' rules still hold where they are served
    anthropic = AnthropicBedrock(
        CREDENTIALS["access_key"],
        CREDENTIALS["secret_key"],
        "us-east-1",
        endpoint_url=emu.endpoint_url,
        max_retries=0,
    )
    yield anthropic
    anthropic.close()


def test_every_row_has_an_id_the_emulator_is_asked_with():
    assert sorted(rules.name for rules in ROWS) == sorted(IDS)
    for rules in ROWS:
        assert resolve_model(IDS[rules.name]).rules is rules


def _attempt(client: AnthropicBedrock, rules: ModelRules, case: dict[str, Any]) -> str | None:
    """Send ``case`` the way a user would; ``None`` if the client refused it before sending."""
    options = {
        "thinking_budget_tokens": case.pop("budget", None),
        "thinking": case.pop("mode", None),
        "effort": case.pop("effort", None),
    }
    case.setdefault("max_tokens_to_sample", 1024)
    case.setdefault("prompt", PROMPT)
    try:
        return client.Completion.create(model=IDS[rules.name], **case, **options).completion
    except InvalidParameterError:
        return None


@pytest.mark.parametrize("rules", ROWS, ids=[rules.name for rules in ROWS])
def test_the_client_refuses_or_the_emulator_accepts(
    client: AnthropicBedrock, emu: BedrockEmulator, rules: ModelRules
):
    disagreements, refused = [], []
    for name, case in cases(rules).items():
        sent_before = len(emu.requests)
        try:
            answer = _attempt(client, rules, case)
        except APIStatusError as error:
            disagreements.append(f"{name}: the client sent it, the emulator refused: {error}")
            continue
        if answer is None:
            refused.append(name)
            assert len(emu.requests) == sent_before, f"{name}: refused, yet sent"
        else:
            assert len(emu.requests) == sent_before + 1, name
    assert disagreements == []
    assert "plain" not in refused


@pytest.mark.parametrize("rules", ROWS, ids=[rules.name for rules in ROWS])
def test_count_tokens_agrees(client: AnthropicBedrock, emu: BedrockEmulator, rules: ModelRules):
    try:
        counted = client.count_tokens(model=IDS[rules.name], prompt=PROMPT)
    except InvalidParameterError:
        assert emu.requests == []
        return
    except APIStatusError as error:
        pytest.fail(f"the client sent CountTokens and the emulator refused it: {error}")
    assert counted > 0
