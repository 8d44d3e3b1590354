import pytest
from pydantic import ValidationError as PydanticValidationError

from langchain_bedrock_claude import DEFAULT_MODEL, BedrockClaude, InvalidParameterError


def test_defaults_and_aliases():
    llm = BedrockClaude(model_id="anthropic.claude-v2", region="us-west-2", stop_sequences=["x"])
    assert llm.model == "anthropic.claude-v2"
    assert llm.region_name == "us-west-2"
    assert llm.stop == ["x"]
    assert BedrockClaude().model == DEFAULT_MODEL
    assert llm._llm_type == "bedrock-claude"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": 2}, "'temperature' must be between 0 and 1 (got 2"),
        ({"model": "amazon.nova-lite-v1:0"}, "is not a Claude model"),
        (
            {"model": "us.anthropic.claude-opus-4-7", "temperature": 0.5},
            "accepts no sampling parameters",
        ),
        ({"max_tokens": 0}, "'max_tokens' must be at least 1"),
        ({"timeout": -1}, "'timeout' must be a positive number"),
    ],
)
def test_bad_settings_fail_at_construction(kwargs, message):
    with pytest.raises(InvalidParameterError) as caught:
        BedrockClaude(**kwargs)
    assert message in str(caught.value)


def test_wrong_field_types_are_still_pydantic_errors():
    with pytest.raises(PydanticValidationError):
        BedrockClaude(max_retries="many")


def test_call_time_stop_is_merged_and_nothing_is_mutated():
    field_stops = ["A"]
    llm = BedrockClaude(stop=field_stops)
    call_stops = ["\nObservation", "A"]
    assert llm._stops(call_stops) == ["A", "\nObservation"]
    assert field_stops == ["A"] and llm.stop == ["A"] and call_stops == ["\nObservation", "A"]


def test_identifying_and_langsmith_params():
    llm = BedrockClaude(
        model="us.anthropic.claude-sonnet-4-20250514-v1:0", temperature=0.3, max_tokens=99
    )
    assert llm._identifying_params["model"] == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    params = llm._get_ls_params(stop=["s"])
    assert params["ls_provider"] == "amazon_bedrock"
    assert params["ls_model_type"] == "llm"
    assert params["ls_temperature"] == 0.3
    assert params["ls_max_tokens"] == 99
    assert params["ls_stop"] == ["s"]


def test_unknown_call_option_is_a_clear_error():
    llm = BedrockClaude()
    with pytest.raises(
        InvalidParameterError, match="'temprature' \\(did you mean 'temperature'\\?\\)"
    ):
        llm._request("hi", None, {"temprature": 0.1})


def test_a_deepcopy_around_the_llm_keeps_its_boto3_client_one_client():
    # The client is shared through deepcopy's memo, so the same client elsewhere in the copied
    # structure (a chain, a config) stays that client too.
    import copy

    import boto3

    boto = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )
    copied = copy.deepcopy({"llm": BedrockClaude(client=boto), "client": boto})
    assert copied["client"] is boto
    assert copied["llm"].client is boto
    boto.close()
