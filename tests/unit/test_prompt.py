import pytest

from langchain_bedrock_claude import InvalidParameterError
from langchain_bedrock_claude._formats.prompt import split_turns, wrap_prompt


@pytest.mark.parametrize(
    ("prompt", "system", "expected"),
    [
        ("Why is the sky blue?", None, "\n\nHuman: Why is the sky blue?\n\nAssistant:"),
        ("\n\nHuman: Hi\n\nAssistant:", None, "\n\nHuman: Hi\n\nAssistant:"),
        ("Human: Hi\n\nAssistant:", None, "\n\nHuman: Hi\n\nAssistant:"),
        ("\n\nHuman: Hi", None, "\n\nHuman: Hi\n\nAssistant:"),
        ("\n\nHuman: Hi\n\nAssistant: Sure,", None, "\n\nHuman: Hi\n\nAssistant: Sure,"),
        ("Hi", "Be brief.", "Be brief.\n\nHuman: Hi\n\nAssistant:"),
    ],
)
def test_legacy_prompts_are_wrapped_once(prompt, system, expected):
    assert wrap_prompt(prompt, system) == expected


def test_bare_prompt_is_one_user_message():
    conversation = split_turns("Why is the sky blue?")
    assert conversation.system is None
    assert conversation.messages == [{"role": "user", "content": "Why is the sky blue?"}]


def test_turns_become_messages_preamble_becomes_system_and_prefill_is_kept():
    prompt = (
        "You are terse.\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Capital of France?"
        "\n\nAssistant: The capital is "
    )
    conversation = split_turns(prompt, "Answer in English.")
    assert conversation.system == "Answer in English.\n\nYou are terse."
    assert conversation.messages == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "Capital of France?"},
        {"role": "assistant", "content": "The capital is"},
    ]


def test_empty_final_assistant_turn_is_dropped_and_same_roles_join():
    conversation = split_turns("\n\nHuman: a\n\nHuman: b\n\nAssistant:")
    assert conversation.messages == [{"role": "user", "content": "a\n\nb"}]


def test_prompt_starting_with_assistant_is_refused():
    with pytest.raises(InvalidParameterError, match="must start with a Human turn"):
        split_turns("\n\nAssistant: hi")


def test_empty_middle_turn_is_refused():
    with pytest.raises(InvalidParameterError, match="empty assistant turn"):
        split_turns("\n\nHuman: a\n\nAssistant:\n\nHuman: b\n\nAssistant:")
