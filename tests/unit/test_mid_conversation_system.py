"""Mid-conversation system messages: the model rule, the conversion and its placement rules.

A ``SystemMessage`` after the conversation started becomes a ``{"role": "system"}`` turn
where it stands, for the models whose rules say ``system_turns`` (Claude Opus 4.8), placed
as Bedrock allows; any other model refuses it before a request. Leading system messages keep
going to the top-level ``system``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_bedrock_claude import ChatBedrockClaude, InvalidParameterError
from langchain_bedrock_claude._formats.chat import format_messages
from langchain_bedrock_claude._model_checks import check_system_turns
from langchain_bedrock_claude._model_rules import known_rows
from langchain_bedrock_claude._routing import resolve_model

OPUS_48 = "us.anthropic.claude-opus-4-8"
CALL = {"name": "lookup", "args": {"q": "x"}, "id": "toolu_1", "type": "tool_call"}
REMINDER = "From now on, answer in French."


def chat(model: str = OPUS_48, **fields: Any) -> ChatBedrockClaude:
    return ChatBedrockClaude(model=model, region="us-east-1", **fields)


def body_of(messages: list[Any], model: str = OPUS_48, **fields: Any) -> dict[str, Any]:
    """The InvokeModel body the chat model would send (no request is made)."""
    request, _ = chat(model, **fields)._request(messages, None, {})
    return json.loads(request.body)


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "version", "rules"),
    known_rows(),
    ids=[rules.name for _, _, rules in known_rows()],
)
def test_only_opus_4_8_takes_system_turns(family, version, rules):
    assert rules.system_turns is (rules.name == "Claude Opus 4.8")


@pytest.mark.parametrize(
    "model",
    [
        "us.anthropic.claude-opus-4-8",
        "anthropic.claude-opus-4-8",
        "global.anthropic.claude-opus-4-8",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-8",
    ],
)
def test_every_spelling_of_opus_4_8_takes_them(model):
    rules = resolve_model(model).rules
    assert rules is not None and rules.system_turns


def test_an_unlisted_version_takes_its_familys_newest_rule_not_opus_4_8s():
    rules = resolve_model("us.anthropic.claude-opus-4-9").rules
    assert rules is not None and not rules.system_turns


def test_a_model_the_table_cannot_name_is_sent_as_asked():
    opaque = resolve_model(
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
    )
    check_system_turns(opaque, 2)  # no rules: Bedrock's answer speaks


# --- the conversion ----------------------------------------------------------------------------


def test_a_later_system_message_becomes_a_system_turn_where_it_stands():
    converted = format_messages(
        [
            SystemMessage("You review code."),
            HumanMessage("Review this."),
            AIMessage("Looks fine."),
            HumanMessage("Again."),
            SystemMessage(REMINDER),
        ]
    )
    assert converted.system == [{"type": "text", "text": "You review code."}]
    assert converted.system_field() == "You review code."
    assert [turn["role"] for turn in converted.messages] == ["user", "assistant", "user", "system"]
    assert converted.messages[-1] == {
        "role": "system",
        "content": [{"type": "text", "text": REMINDER}],
    }
    assert converted.system_turns == 1
    assert not converted.prefill


def test_leading_system_messages_stay_top_level_as_before():
    converted = format_messages(
        [SystemMessage("One."), SystemMessage("Two."), HumanMessage("Hi")], system="Zero."
    )
    assert converted.system_field() == [
        {"type": "text", "text": "Zero."},
        {"type": "text", "text": "One."},
        {"type": "text", "text": "Two."},
    ]
    assert converted.messages == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
    assert converted.system_turns == 0


def test_a_system_turn_keeps_its_blocks_and_cache_control():
    blocks = [
        {"type": "text", "text": "Rule one."},
        {"type": "text", "text": "Rule two.", "cache_control": {"type": "ephemeral"}},
    ]
    converted = format_messages([HumanMessage("Hi"), SystemMessage(blocks), AIMessage("Ok.")])
    assert converted.messages[1] == {"role": "system", "content": blocks}


def test_a_system_turn_may_follow_tool_results_and_precede_the_answer():
    converted = format_messages(
        [
            HumanMessage("Look it up."),
            AIMessage("", tool_calls=[CALL]),
            ToolMessage("found", tool_call_id="toolu_1"),
            SystemMessage(REMINDER),
            AIMessage("Trouvé."),
            HumanMessage("Thanks."),
        ]
    )
    assert [turn["role"] for turn in converted.messages] == [
        "user",
        "assistant",
        "user",
        "system",
        "assistant",
        "user",
    ]


MISPLACED = {
    "followed by a human message": (
        [HumanMessage("x"), SystemMessage(REMINDER), HumanMessage("y")],
        "message 1 (SystemMessage): a system message after the conversation started must be "
        "the last message or be followed by an AIMessage",
    ),
    "after an AI message": (
        [HumanMessage("x"), AIMessage("y"), SystemMessage(REMINDER)],
        "message 2 (SystemMessage): a system message after the conversation started must come "
        "right after a HumanMessage or ToolMessage",
    ),
    "between a tool call and its result": (
        [
            HumanMessage("x"),
            AIMessage("", tool_calls=[CALL]),
            SystemMessage(REMINDER),
            ToolMessage("r", tool_call_id="toolu_1"),
        ],
        "message 2 (SystemMessage): a system message after the conversation started must come "
        "right after a HumanMessage",
    ),
    "two in a row": (
        [HumanMessage("x"), SystemMessage("a"), SystemMessage("b")],
        "message 2 (SystemMessage): it follows another system message (message 1 "
        "(SystemMessage)), and Bedrock refuses consecutive system turns: combine them",
    ),
    "an image": (
        [
            HumanMessage("x"),
            SystemMessage([{"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}]),
        ],
        "message 1 (SystemMessage): a system message holds text blocks only",
    ),
    "citations": (
        [
            HumanMessage("x"),
            SystemMessage([{"type": "text", "text": "y", "citations": [{"cited_text": "y"}]}]),
        ],
        "message 1 (SystemMessage): a system message after the conversation started holds "
        "text blocks without citations",
    ),
    "no content": (
        [HumanMessage("x"), SystemMessage("")],
        "message 1 (SystemMessage): the message has no content",
    ),
}


@pytest.mark.parametrize(("messages", "says"), MISPLACED.values(), ids=MISPLACED.keys())
def test_a_misplaced_system_message_is_refused_saying_where_and_what_to_do(messages, says):
    with pytest.raises(InvalidParameterError) as caught:
        format_messages(messages)
    assert says in str(caught.value)


def test_a_misplaced_one_on_an_older_model_says_to_move_it_to_the_start():
    older = chat("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    with pytest.raises(InvalidParameterError) as caught:
        older._request([HumanMessage("x"), SystemMessage(REMINDER), HumanMessage("y")], None, {})
    assert str(caught.value).endswith("for the others, move it to the start.")


# --- the chat model ----------------------------------------------------------------------------


def test_opus_4_8_sends_the_system_turn():
    body = body_of(
        [HumanMessage("Hi"), AIMessage("Hello."), HumanMessage("Go"), SystemMessage(REMINDER)]
    )
    assert body["messages"][-1] == {
        "role": "system",
        "content": [{"type": "text", "text": REMINDER}],
    }
    assert "anthropic_beta" not in body  # recorded: no beta header needed


def test_a_cached_system_turn_counts_toward_the_four_cache_points():
    cached = {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}
    messages = [
        SystemMessage([cached]),
        HumanMessage([cached, cached]),
        SystemMessage([cached]),
        AIMessage("ok"),
        HumanMessage([cached]),
    ]
    with pytest.raises(InvalidParameterError, match="at most 4 cache points"):
        body_of(messages)


def test_cache_system_marks_the_top_level_system_not_the_system_turn():
    body = body_of(
        [HumanMessage("Hi"), SystemMessage(REMINDER)], system="Stable.", cache_system=True
    )
    assert body["system"] == [
        {"type": "text", "text": "Stable.", "cache_control": {"type": "ephemeral"}}
    ]
    assert body["messages"][-1] == {
        "role": "system",
        "content": [{"type": "text", "text": REMINDER}],
    }


@pytest.mark.parametrize(
    ("model", "name"),
    [
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5"),
        ("us.anthropic.claude-opus-4-7", "Claude Opus 4.7"),
        ("us.anthropic.claude-sonnet-5", "Claude Sonnet 5"),
        ("us.anthropic.claude-opus-5", "Claude Opus 5"),
        ("us.anthropic.claude-sonnet-5-5", "Claude Sonnet 5.5"),
    ],
)
def test_other_models_refuse_a_later_system_message_naming_the_model(model, name):
    with pytest.raises(InvalidParameterError) as caught:
        chat(model)._request([HumanMessage("x"), SystemMessage("y")], None, {})
    said = str(caught.value)
    assert f"{model} ({name}) takes system messages only at the start" in said
    assert "move them to the start" in said
    assert "Claude Opus 4.8" in said


def test_other_models_still_take_leading_system_messages():
    body = body_of(
        [SystemMessage("Be brief."), HumanMessage("Hi")],
        model="us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    )
    assert body["system"] == "Be brief."
