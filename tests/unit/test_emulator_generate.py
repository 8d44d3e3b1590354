"""Tokens, the default text, and how max_tokens and stop sequences end generation."""

from __future__ import annotations

import pytest

from langchain_bedrock_claude.testing._generate import (
    count_text_tokens,
    default_text,
    generate,
    input_tokens,
    split_tokens,
)


def test_split_tokens_is_lossless_and_wordish() -> None:
    text = "Hello, world!  It's 42.\n\nBye"
    pieces = split_tokens(text)
    assert "".join(pieces) == text
    assert pieces[:4] == ["Hello", ",", " world", "!"]


def test_default_text_is_deterministic_and_a_few_dozen_tokens() -> None:
    assert default_text("a") == default_text("a") != default_text("b")
    for seed in ("a", "b", "c", "What is the capital of France?"):
        text = default_text(seed)
        assert 24 <= len(text.split()) <= 47
        assert text[0].isupper() and text.endswith(".")


@pytest.mark.parametrize(
    ("max_tokens", "stops", "text", "reason", "sequence", "output_tokens"),
    [
        (10, (), "a b c", "end_turn", None, 3),
        (2, (), "a b", "max_tokens", None, 2),
        (3, (), "a b c", "end_turn", None, 3),
        (10, (" b",), "a", "stop_sequence", " b", 2),
        (10, ("c",), "a b ", "stop_sequence", "c", 3),
        (10, ("b c", " b"), "a", "stop_sequence", " b", 2),
        (2, (" c",), "a b", "max_tokens", None, 2),  # the sequence comes after the limit
        (10, ("zz",), "a b c", "end_turn", None, 3),
        (10, ("", "q"), "a b c", "end_turn", None, 3),
    ],
)
def test_generate(
    max_tokens: int,
    stops: tuple[str, ...],
    text: str,
    reason: str,
    sequence: str | None,
    output_tokens: int,
) -> None:
    generation = generate(["a", " b", " c"], max_tokens=max_tokens, stop_sequences=stops)
    assert (generation.text, generation.stop_reason, generation.stop_sequence) == (
        text,
        reason,
        sequence,
    )
    assert generation.output_tokens == output_tokens


def test_stop_sequence_inside_a_piece() -> None:
    generation = generate(["Count:", " 1,", " 2,", " 3"], max_tokens=10, stop_sequences=[","])
    assert generation.pieces == ("Count:", " 1")


def test_input_tokens() -> None:
    short = {"messages": [{"role": "user", "content": "hi"}]}
    long = {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi " * 100}]}],
        "system": "Be nice.",
    }
    assert 0 < input_tokens(short) < input_tokens(long)
    assert input_tokens({"prompt": "\n\nHuman: hi\n\nAssistant:"}) == count_text_tokens(
        "\n\nHuman: hi\n\nAssistant:"
    )
    assert count_text_tokens("You are a geography expert") == 8
    assert input_tokens(None) == 0
