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


def test_a_config_retry_count_is_read_as_botocore_counts_it() -> None:
    from botocore.config import Config

    # total_max_attempts counts the first try, max_attempts (legacy) does not.
    assert BedrockClaude(config=Config(retries={"total_max_attempts": 3})).max_retries == 2
    assert BedrockClaude(config=Config(retries={"max_attempts": 3})).max_retries == 3


@pytest.mark.parametrize(("name", "value"), [("system", True), ("model", 1.5)])
def test_a_bool_or_a_float_for_a_text_field_is_pydantics_type_error(
    name: str, value: object
) -> None:
    # Only number fields refuse a bool or a fraction themselves; a text field's wrong type is
    # pydantic's error, which names the type it wanted.
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="Input should be a valid string") as caught:
        BedrockClaude(**{name: value})
    assert name in str(caught.value)
