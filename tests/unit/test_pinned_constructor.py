"""Exact answers of BedrockClaude's langchain-aws argument translation, pinned by mutation testing."""

from __future__ import annotations

import pytest

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import BedrockClaude


def test_guardrails_without_an_identifier_names_only_the_keys_given() -> None:
    # A key set to None was not given: the message lists what the caller did pass.
    with pytest.raises(pkg.InvalidParameterError) as caught:
        BedrockClaude(guardrails={"guardrailVersion": "1", "trace": None})
    assert str(caught.value) == (
        "'guardrails' needs a 'guardrailIdentifier' (got only 'guardrailVersion')."
    )


def test_langchain_aws_arguments_left_at_none_are_accepted_and_set_nothing() -> None:
    # Code ported from langchain-aws often passes its defaults explicitly.
    llm = BedrockClaude(guardrails=None, config=None, region_name="us-east-1")
    assert llm.guardrail_identifier is None
    assert llm.guardrail_version is None


def test_a_config_with_one_timeout_keeps_botocores_default_for_the_other() -> None:
    from botocore.config import Config

    assert BedrockClaude(config=Config(connect_timeout=3)).timeout == (3, 300.0)
    assert BedrockClaude(config=Config(read_timeout=7)).timeout == (10.0, 7)
    # A Config without timeouts sets none, so an explicit timeout= is no clash.
    assert BedrockClaude(config=Config(region_name="eu-west-1"), timeout=5).timeout == 5
