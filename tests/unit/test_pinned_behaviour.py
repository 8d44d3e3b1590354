"""Behaviour the mutation run of issue #11 found unpinned, in the request layer and the LLM."""

import json

import pytest

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import CACHE_POINT, BedrockClaude
from langchain_bedrock_claude._params import check_options, check_params
from langchain_bedrock_claude._request import prepare

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
LEGACY = "anthropic.claude-v2:1"


def body(**kwargs):
    options = kwargs.pop("options", {})
    kwargs.setdefault("model", SONNET_45)
    return json.loads(prepare(check_params(options=check_options(**options), **kwargs)).body)


def test_call_time_max_tokens_and_temperature_reach_the_langsmith_params():
    # A model that takes temperature (the default model, Sonnet 5.5, takes no sampling).
    llm = BedrockClaude(model=SONNET_45, max_tokens=99, temperature=0.3)
    params = llm._get_ls_params(max_tokens=5, temperature=0.7)
    assert (params["ls_max_tokens"], params["ls_temperature"]) == (5, 0.7)
    assert llm._get_ls_params()["ls_max_tokens"] == 99


def test_environment_keys_defer_to_an_explicit_profile(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    from_env = BedrockClaude()._settings()
    assert (from_env.access_key, from_env.profile) == ("AKIDENV", None)
    profiled = BedrockClaude(credentials_profile_name="work")._settings()
    assert (profiled.access_key, profiled.secret_key, profiled.profile) == (None, None, "work")
    explicit = BedrockClaude(
        credentials_profile_name="work", aws_access_key_id="AKIDX", aws_secret_access_key="s"
    )._settings()
    assert (explicit.access_key, explicit.profile) == ("AKIDX", "work")


def test_four_cache_points_are_the_limit_counting_cache_system():
    four = CACHE_POINT.join(["a", "b", "c", "d", "e"])
    assert body(prompt=four)["messages"][0]["content"][3]["cache_control"] == {"type": "ephemeral"}
    three = CACHE_POINT.join(["a", "b", "c", "d"])
    sent = body(prompt=three, system="S", options={"cache_system": True})
    assert sent["system"][0]["cache_control"] == {"type": "ephemeral"}
    with pytest.raises(pkg.InvalidParameterError) as caught:
        body(prompt=four, system="S", options={"cache_system": True})
    assert "at most 4 cache points per request (got 5: 4 " in str(caught.value)
    assert "markers and cache_system)" in str(caught.value)


def test_whitespace_around_a_cache_point_is_not_sent():
    content = body(prompt=f"Book text. \n {CACHE_POINT}\n  Question?")["messages"][0]["content"]
    assert content == [
        {"type": "text", "text": "Book text.", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Question?"},
    ]


def test_extra_body_is_sent_as_given_over_set_parameters():
    sent = body(prompt="x", temperature=0.1, extra_body={"temperature": 0.9, "top_k": 3})
    assert (sent["temperature"], sent["top_k"]) == (0.9, 3)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (SONNET_45, {"messages": [{"role": "user", "content": "Hi"}]}),
        (LEGACY, {"prompt": "\n\nHuman: Hi\n\nAssistant:"}),
    ],
)
def test_turns_without_leading_blank_lines_are_read_as_turns(model, expected):
    sent = body(model=model, prompt="Human: Hi\n\nAssistant:")
    assert {key: sent[key] for key in expected} == expected


@pytest.mark.parametrize("model", [f"{LEGACY} ", f" {SONNET_45}", f"{SONNET_45}\n"])
def test_an_id_with_surrounding_whitespace_is_refused_before_any_request(model):
    with pytest.raises(pkg.InvalidParameterError, match="'model' has surrounding whitespace"):
        check_params(model=model, prompt="hi")
    with pytest.raises(pkg.InvalidParameterError, match="surrounding whitespace"):
        BedrockClaude(model=model)
