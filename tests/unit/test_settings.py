"""How to reach Bedrock: every setting is checked when the client or LLM is made."""

import pytest

from langchain_bedrock_claude import (
    AnthropicBedrock,
    AsyncAnthropicBedrock,
    BedrockClaude,
    InvalidParameterError,
)
from langchain_bedrock_claude._boto import DEFAULT_MAX_CONNECTIONS, MAX_TIMEOUT

BAD_SETTINGS = [
    ({"timeout": float("nan")}, "'timeout' must be a positive number of seconds, at most 3600"),
    ({"timeout": float("inf")}, "'timeout' must be a positive number"),
    ({"timeout": 1e12}, "'timeout' must be a positive number"),
    ({"timeout": MAX_TIMEOUT + 1}, "(got 3601.0)"),
    ({"timeout": (5.0, float("nan"))}, "'timeout' must be a positive number"),
    ({"max_connections": 0}, "'max_connections' must be an integer of at least 1 (got 0)"),
    ({"endpoint_url": "garbage"}, "'endpoint_url' must be a URL"),
    ({"endpoint_url": "http://127.0.0.1:99999"}, "Port out of range"),
    ({"endpoint_url": "http://127.0.0.1:abc"}, "'endpoint_url' must be a URL"),
    ({"endpoint_url": "http://127.0.0.1:0"}, "port 0"),
    ({"endpoint_url": "ftp://example.com"}, "http:// or https://"),
    ({"endpoint_url": "https://"}, "it has no host"),
    ({"region": "bad region!"}, "'region' must be an AWS region name such as 'us-east-1'"),
    ({"region": ""}, "'region' must be an AWS region name"),
]

LLM_NAMES = {"region": "region_name"}
# The LLM's timeout is one number (pydantic rejects a pair by type).
LLM_BAD_SETTINGS = [case for case in BAD_SETTINGS if not isinstance(case[0].get("timeout"), tuple)]


@pytest.mark.parametrize(("settings", "message"), BAD_SETTINGS)
@pytest.mark.parametrize("make", [AnthropicBedrock, AsyncAnthropicBedrock])
def test_bad_client_settings_fail_at_construction(make, settings, message):
    with pytest.raises(InvalidParameterError) as caught:
        make(**settings)
    assert message in str(caught.value)


@pytest.mark.parametrize(("settings", "message"), LLM_BAD_SETTINGS)
def test_bad_llm_settings_fail_at_construction(settings, message):
    fields = {LLM_NAMES.get(name, name): value for name, value in settings.items()}
    with pytest.raises(InvalidParameterError) as caught:
        BedrockClaude(**fields)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "settings",
    [
        {"timeout": MAX_TIMEOUT},
        {"timeout": (2, 600.5)},
        {"endpoint_url": "http://127.0.0.1:8000"},
        {"endpoint_url": "https://bedrock-runtime.eu-west-1.amazonaws.com"},
        {"region": "ap-northeast-1"},
        {"region": "us-gov-west-1"},
        {"max_connections": 1},
    ],
)
def test_good_settings_are_accepted(settings):
    AnthropicBedrock(**settings).close()


def test_the_llm_keeps_the_default_pool_size_only_when_none_is_given():
    assert BedrockClaude()._settings().max_connections == DEFAULT_MAX_CONNECTIONS
    assert BedrockClaude(max_connections=3)._settings().max_connections == 3
