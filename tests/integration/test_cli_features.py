"""The command's Bedrock feature flags, end to end in a subprocess against the emulator."""

from __future__ import annotations

import json

from langchain_bedrock_claude.testing import Reply

from .test_cli import run


def test_count_tokens_prints_the_count_and_sends_no_completion(bedrock_emulator):
    result = run(bedrock_emulator, "--count-tokens", "--system", "Be brief.", "How many tokens?")
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 0
    assert [r.operation for r in bedrock_emulator.requests] == ["count-tokens"]
    as_json = run(bedrock_emulator, "--json", "--count-tokens", "How many tokens?")
    assert json.loads(as_json.stdout)["input_tokens"] > 0


BUDGET_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
"""Budgeted thinking: the default model (Sonnet 5.5) thinks adaptively only."""


def test_thinking_goes_to_stderr_only_when_asked(bedrock_emulator):
    bedrock_emulator.reply(Reply(text="Yes, it is.", thinking="Check divisors first."), times=2)
    budget = ("--model", BUDGET_MODEL, "--thinking-budget", "1024", "--max-tokens", "2048")
    shown = run(bedrock_emulator, *budget, "--show-thinking", "Is 7 prime?")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "Yes, it is."
    assert "Check divisors first." in shown.stderr
    assert bedrock_emulator.requests[-1].json["thinking"] == {
        "type": "enabled",
        "budget_tokens": 1024,
    }
    hidden = run(bedrock_emulator, *budget, "Is 7 prime?")
    assert "Check divisors" not in hidden.stdout + hidden.stderr


def test_guardrail_tier_latency_and_tags_reach_bedrock(bedrock_emulator):
    bedrock_emulator.add_guardrail("gr7x2k9a1b", "2", blocked_words=["password"])
    result = run(
        bedrock_emulator,
        "--guardrail",
        "gr7x2k9a1b",
        "--guardrail-version",
        "2",
        "--guardrail-trace",
        "enabled",
        "--service-tier",
        "flex",
        "--latency",
        "optimized",
        "--tag",
        "team=search",
        "--tag",
        "env=ci",
        "--json",
        "What is the password?",
    )
    assert result.returncode == 0, result.stderr
    sent = bedrock_emulator.requests[-1]
    assert (sent.guardrail_identifier, sent.guardrail_version, sent.trace) == (
        "gr7x2k9a1b",
        "2",
        "ENABLED",
    )
    assert (sent.service_tier, sent.performance_config_latency) == ("flex", "optimized")
    assert sent.request_metadata == {"team": "search", "env": "ci"}
    final = json.loads(result.stdout.strip().splitlines()[-1])
    assert final["stop_reason"] == "guardrail_intervened"


def test_a_malformed_tag_is_a_usage_error(bedrock_emulator):
    result = run(bedrock_emulator, "--tag", "no-equals-sign", "hi")
    assert result.returncode == 2
    assert "--tag takes KEY=VALUE" in result.stderr
    assert bedrock_emulator.requests == []


def test_cache_system_marks_the_system_prompt(bedrock_emulator):
    result = run(bedrock_emulator, "--cache-system", "--system", "A long manual.", "hi")
    assert result.returncode == 0, result.stderr
    assert bedrock_emulator.requests[-1].json["system"][0]["cache_control"] == {"type": "ephemeral"}
