"""ChatBedrockClaude without a server: construction checks, serialization, the two classes' fields."""

from __future__ import annotations

import pytest
from langchain_core.load import dumpd, load
from pydantic import BaseModel

from langchain_bedrock_claude import BedrockClaude, ChatBedrockClaude, InvalidParameterError


@pytest.mark.filterwarnings("ignore:The function `load` is in beta")
def test_dumpd_round_trips_with_the_public_module_path(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env")
    model = ChatBedrockClaude(
        model="us.anthropic.claude-haiku-4-5-20251001-v1:0", region="eu-west-1", max_tokens=99
    )
    serialized = dumpd(model)
    assert serialized["id"] == ["langchain_bedrock_claude", "chat_models", "ChatBedrockClaude"]
    loaded = load(
        serialized,
        valid_namespaces=["langchain_bedrock_claude"],
        allowed_objects=[ChatBedrockClaude],
        secrets_from_env=True,
    )
    assert isinstance(loaded, ChatBedrockClaude)
    assert (loaded.model, loaded.region_name, loaded.max_tokens) == (model.model, "eu-west-1", 99)
    assert loaded.aws_secret_access_key.get_secret_value() == "secret-from-env"


def test_same_field_names_and_aliases_as_bedrock_claude():
    shared = {
        name: (field.alias, field.default)
        for name, field in BedrockClaude.model_fields.items()
        if name not in ("api", "cache", "verbose", "callbacks", "tags", "metadata")
    }
    chat = ChatBedrockClaude.model_fields
    missing = sorted(set(shared) - set(chat))
    assert not missing
    for name, (alias, default) in shared.items():
        assert (chat[name].alias, chat[name].default) == (alias, default), name


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"model": "anthropic.claude-3-5-sonnet-20240620-v1:0", "max_tokens": 9000}, "max_tokens"),
        ({"temperature": 3}, "temperature"),
        ({"top_k": 501}, "top_k"),
        ({"model": "mistral.mistral-large"}, "model"),
    ],
)
def test_bad_fields_fail_at_construction(fields, says):
    with pytest.raises(InvalidParameterError, match=says):
        ChatBedrockClaude(region="us-east-1", **fields)


def test_ls_params_name_the_provider_model_and_type():
    model = ChatBedrockClaude(
        model="us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        region="us-east-1",
        temperature=0.5,
        stop=["\n\nHuman:"],
    )
    params = model._get_ls_params()
    assert params["ls_provider"] == "amazon_bedrock"
    assert params["ls_model_type"] == "chat"
    assert params["ls_model_name"] == model.model
    assert params["ls_temperature"] == 0.5
    assert params["ls_stop"] == ["\n\nHuman:"]


def test_unknown_and_langchain_aws_arguments_are_handled_as_for_bedrock_claude():
    with pytest.raises(InvalidParameterError, match="did you mean 'temperature'"):
        ChatBedrockClaude(region="us-east-1", temprature=0.5)
    model = ChatBedrockClaude(
        region="us-east-1", guardrails={"guardrailIdentifier": "gr1", "guardrailVersion": "3"}
    )
    assert (model.guardrail_identifier, model.guardrail_version) == ("gr1", "3")


def test_options_checked_at_construction():
    with pytest.raises(ValueError, match="service_tier"):  # pydantic checks the Literal first
        ChatBedrockClaude(region="us-east-1", service_tier="gold")
    with pytest.raises(InvalidParameterError, match="needs a guardrail"):
        ChatBedrockClaude(region="us-east-1", guardrail_version="2")


# --- the model rules, checked before any request ------------------------------------------------

IMAGE = {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}
PDF = {"type": "file", "base64": "JVBERi0xLjQK", "mime_type": "application/pdf"}


@pytest.mark.parametrize(
    ("model", "content", "says"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", [PDF], "does not read documents"),
        ("anthropic.claude-v2:1", [IMAGE], "does not read images"),
    ],
)
def test_media_a_model_cannot_read_is_refused(model, content, says):
    from langchain_core.messages import HumanMessage

    chat = ChatBedrockClaude(model=model, region="us-east-1", max_tokens=1000)
    with pytest.raises(InvalidParameterError, match=says):
        chat._request([HumanMessage([{"type": "text", "text": "What is it?"}, *content])], None, {})


@pytest.mark.parametrize(
    ("model", "content"),
    [
        ("anthropic.claude-3-5-haiku-20241022-v1:0", [PDF]),
        ("anthropic.claude-3-5-haiku-20241022-v1:0", [IMAGE]),
        ("anthropic.claude-3-haiku-20240307-v1:0", [IMAGE]),
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", [IMAGE]),
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", [PDF]),
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", [IMAGE]),
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", [PDF]),
    ],
)
def test_media_a_model_can_read_is_accepted(model, content):
    # The table's rows (Claude 3.5 Haiku: images and PDF, from Anthropic's models overview).
    from langchain_core.messages import HumanMessage

    chat = ChatBedrockClaude(model=model, region="us-east-1", max_tokens=1000)
    chat._request([HumanMessage([{"type": "text", "text": "What is it?"}, *content])], None, {})


def test_a_prefill_is_refused_for_a_model_without_it():
    from langchain_core.messages import AIMessage, HumanMessage

    chat = ChatBedrockClaude(model="us.anthropic.claude-sonnet-4-6", region="us-east-1")
    with pytest.raises(InvalidParameterError, match="does not support assistant prefill"):
        chat._request([HumanMessage("Hi"), AIMessage("Well,")], None, {})
    older = ChatBedrockClaude(
        model="us.anthropic.claude-sonnet-4-5-20250929-v1:0", region="us-east-1"
    )
    older._request([HumanMessage("Hi"), AIMessage("Well,")], None, {})  # 4.5 still takes it


class Answer(BaseModel):
    text: str


def test_structured_output_methods_a_model_cannot_do_are_refused_at_once():
    no_native = ChatBedrockClaude(
        model="us.anthropic.claude-3-7-sonnet-20250219-v1:0", region="us-east-1"
    )
    with pytest.raises(InvalidParameterError, match="no native structured output"):
        no_native.with_structured_output(Answer, method="json_schema")
    assert no_native.with_structured_output(Answer)  # a forced tool call works there
    always_thinks = ChatBedrockClaude(model="us.anthropic.claude-fable-5", region="us-east-1")
    with pytest.raises(InvalidParameterError, match="always thinks"):
        always_thinks.with_structured_output(Answer)
    assert always_thinks.with_structured_output(Answer, method="json_schema")


def test_a_model_thinking_by_default_streams_blocks_and_refuses_a_forced_tool():
    from langchain_core.messages import HumanMessage

    chat = ChatBedrockClaude(model="us.anthropic.claude-sonnet-5", region="us-east-1")
    _, blocks = chat._request([HumanMessage("Hi")], None, {})
    assert blocks  # thinking blocks may come: content streams as indexed blocks
    tools = [{"name": "f", "input_schema": {"type": "object"}}]
    with pytest.raises(InvalidParameterError, match="forced tool_choice does not work while"):
        chat._request([HumanMessage("Hi")], None, {"tools": tools, "tool_choice": {"type": "any"}})
    chat._request(
        [HumanMessage("Hi")],
        None,
        {"tools": tools, "tool_choice": {"type": "any"}, "thinking": "disabled"},
    )
