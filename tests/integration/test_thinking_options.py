"""Adaptive thinking and effort as first-class options, end to end against the emulator."""

from __future__ import annotations

import json

from langchain_bedrock_claude.testing import Reply

from .test_cli import run

OPUS_46 = "us.anthropic.claude-opus-4-6"
SONNET_55 = "us.anthropic.claude-sonnet-5-5"


def test_adaptive_thinking_is_on_the_result_and_the_pieces(twin, emu):
    emu.reply(Reply(text="Yes, 7 is prime.", thinking="Check 2, 3 and 5."), times=2)
    result = twin.create(
        model=OPUS_46, max_tokens_to_sample=4096, thinking="adaptive", effort="max"
    )
    assert result.completion == "Yes, 7 is prime."
    assert result.thinking == "Check 2, 3 and 5."
    sent = emu.requests[-1].json
    assert sent["thinking"] == {"type": "adaptive"} and sent["output_config"] == {"effort": "max"}
    _, pieces = twin.stream(model=OPUS_46, max_tokens_to_sample=4096, thinking="adaptive")
    assert "".join(piece.thinking or "" for piece in pieces) == "Check 2, 3 and 5."
    assert "".join(str(piece) for piece in pieces) == "Yes, 7 is prime."


def test_a_model_that_omits_its_thinking_text_gives_empty_thinking(twin, emu):
    emu.reply(Reply(text="Blue.", thinking="Rayleigh."))
    result = twin.create(model=SONNET_55, effort="low")
    assert result.completion == "Blue." and result.thinking == ""
    assert emu.requests[-1].json["output_config"] == {"effort": "low"}
    assert result.usage.output_tokens == 2 + 2  # thinking counts, though its text is omitted


def test_the_llm_takes_thinking_and_effort_fields(llm_factory, emu):
    emu.reply(Reply(text="Four.", thinking="Two plus two."))
    llm = llm_factory(model=OPUS_46, max_tokens=4096, thinking="adaptive", effort="medium")
    result = llm.generate(["2+2?"])
    generation = result.generations[0][0]
    assert generation.text == "Four."
    assert generation.generation_info["thinking"] == "Two plus two."
    assert emu.requests[-1].json["output_config"] == {"effort": "medium"}


def test_the_command_takes_thinking_and_effort_flags(bedrock_emulator):
    bedrock_emulator.reply(Reply(text="Yes.", thinking="Divisors."))
    result = run(
        bedrock_emulator,
        "--model",
        OPUS_46,
        "--max-tokens",
        "2048",
        "--thinking",
        "adaptive",
        "--effort",
        "high",
        "--show-thinking",
        "Is 7 prime?",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Yes."
    assert "Divisors." in result.stderr
    sent = json.loads(bedrock_emulator.requests[-1].body)
    assert sent["thinking"] == {"type": "adaptive"} and sent["output_config"] == {"effort": "high"}
    refused = run(bedrock_emulator, "--thinking", "disabled", "Hi")  # the default always thinks
    assert refused.returncode == 2 and "always thinks" in refused.stderr
