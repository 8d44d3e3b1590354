"""Issue 7's features at the pure layer: the body and the boto3 arguments they produce."""

import inspect
import json

import pytest

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude._models import Completion, Usage
from langchain_bedrock_claude._options import OPTION_NAMES
from langchain_bedrock_claude._params import check_options, check_params
from langchain_bedrock_claude._request import (
    check_guardrail,
    count_tokens_kwargs,
    prepare,
    reroute,
)
from langchain_bedrock_claude._types import CACHE_POINT

SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def request(stream=False, **kwargs):
    options = {k: kwargs.pop(k) for k in list(kwargs) if k in OPTION_NAMES}
    kwargs.setdefault("model", SONNET_45)
    kwargs.setdefault("prompt", "hi")
    return prepare(check_params(options=check_options(**options), **kwargs), stream=stream)


def test_guardrail_parameters_become_invoke_model_parameters():
    kwargs = request(guardrail_identifier="abc123xyz", guardrail_trace="enabled_full").boto_kwargs()
    assert kwargs["guardrailIdentifier"] == "abc123xyz"
    assert kwargs["guardrailVersion"] == "DRAFT"
    assert kwargs["trace"] == "ENABLED_FULL"
    assert "amazon-bedrock-guardrailConfig" not in json.loads(kwargs["body"])


@pytest.mark.parametrize(("mode", "wire"), [("sync", "SYNCHRONOUS"), ("async", "ASYNCHRONOUS")])
def test_stream_processing_mode_goes_in_the_body_of_streams_only(mode, wire):
    options = {
        "guardrail_identifier": "gr",
        "guardrail_version": "3",
        "guardrail_stream_processing_mode": mode,
    }
    streamed = json.loads(request(stream=True, **options).body)
    assert streamed["amazon-bedrock-guardrailConfig"] == {"streamProcessingMode": wire}
    assert "amazon-bedrock-guardrailConfig" not in json.loads(request(**options).body)
    legacy = json.loads(request(stream=True, model="anthropic.claude-v2:1", **options).body)
    assert legacy["amazon-bedrock-guardrailConfig"] == {"streamProcessingMode": wire}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"guardrail_version": "1"}, "'guardrail_version' needs a guardrail"),
        ({"guardrail_trace": "enabled"}, "'guardrail_trace' needs a guardrail"),
        ({"raise_on_guardrail_intervention": True}, "needs a guardrail"),
        ({"guardrail_identifier": ""}, "'guardrail_identifier' must be a non-empty string"),
        (
            {"guardrail_identifier": "g", "guardrail_trace": "loud"},
            "'guardrail_trace' must be one of",
        ),
        (
            {"guardrail_identifier": "g", "guardrail_stream_processing_mode": "SYNCHRONOUS"},
            "must be one of 'sync', 'async'",
        ),
        (
            {"service_tier": "gold"},
            "'service_tier' must be one of 'priority', 'default', 'flex', 'reserved' (got 'gold')",
        ),
        ({"performance_config_latency": "fast"}, "'performance_config_latency' must be one of"),
        (
            {"request_metadata": {"team": 1}},
            "'request_metadata' must be a mapping of strings to strings",
        ),
        (
            {"thinking_budget_tokens": 1000},
            "'thinking_budget_tokens' must be at least 1024 (got 1000)",
        ),
        ({"cache_system": "yes"}, "'cache_system' must be True or False"),
    ],
)
def test_bad_feature_options_are_refused(options, message):
    with pytest.raises(pkg.InvalidParameterError) as caught:
        check_options(**options)
    assert message in str(caught.value)


def test_service_tier_latency_and_request_metadata():
    kwargs = request(
        service_tier="FLEX",
        performance_config_latency="optimized",
        request_metadata={"team": "search", "env": "prod"},
    ).boto_kwargs()
    assert kwargs["serviceTier"] == "flex"
    assert kwargs["performanceConfigLatency"] == "optimized"
    assert json.loads(kwargs["requestMetadata"]) == {"team": "search", "env": "prod"}
    assert set(request().boto_kwargs()) == {"modelId", "body", "contentType", "accept"}


def test_thinking_enables_a_budget():
    body = json.loads(request(thinking_budget_tokens=2048, max_tokens=4096).body)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"thinking_budget_tokens": 2048, "max_tokens": 2048},
            "'max_tokens_to_sample' must exceed 'thinking_budget_tokens'",
        ),
        (
            {"thinking_budget_tokens": 2048, "max_tokens": 4096, "temperature": 0.5},
            "does not work with 'temperature'",
        ),
        (
            {"thinking_budget_tokens": 2048, "max_tokens": 4096, "top_k": 5},
            "does not work with 'top_k'",
        ),
        (
            {"thinking_budget_tokens": 2048, "max_tokens": 4096, "top_p": 0.5},
            "'top_p' must be between 0.95 and 1",
        ),
        (
            {
                "thinking_budget_tokens": 2048,
                "max_tokens": 4096,
                "model": "anthropic.claude-3-5-sonnet-20240620-v1:0",
            },
            "does not support extended thinking",
        ),
        (
            {"thinking_budget_tokens": 2048, "max_tokens": 4096, "model": "anthropic.claude-v2"},
            "extended thinking needs the Messages API",
        ),
        (
            {
                "thinking_budget_tokens": 2048,
                "max_tokens": 4096,
                "model": "us.anthropic.claude-opus-4-7",
            },
            "thinks adaptively and takes no thinking budget",
        ),
        (
            {
                "thinking_budget_tokens": 2048,
                "max_tokens": 4096,
                "model": "us.anthropic.claude-sonnet-5",
            },
            "thinks adaptively",
        ),
        ({"cache_system": True}, "'cache_system' needs a 'system' prompt"),
        (
            {"cache_system": True, "system": "s", "model": "anthropic.claude-v2"},
            "prompt caching needs the Messages API",
        ),
        ({"prompt": CACHE_POINT.join("abcdef")}, "at most 4 cache points per request (got 5"),
    ],
)
def test_thinking_and_caching_rules_are_checked_before_any_request(kwargs, message):
    with pytest.raises(pkg.InvalidParameterError) as caught:
        request(**kwargs)
    assert message in str(caught.value)


def test_thinking_allows_top_p_close_to_one():
    body = json.loads(request(thinking_budget_tokens=1024, max_tokens=2000, top_p=0.97).body)
    assert body["top_p"] == 0.97


def test_cache_system_and_cache_points_mark_prompt_prefixes():
    body = json.loads(
        request(
            system="You are a librarian.",
            cache_system=True,
            prompt=f"Here is the whole book.{CACHE_POINT}Question: who is Ishmael?",
        ).body
    )
    assert body["system"] == [
        {"type": "text", "text": "You are a librarian.", "cache_control": {"type": "ephemeral"}}
    ]
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": "Here is the whole book.",
                    "cache_control": {"type": "ephemeral"},
                },
                {"type": "text", "text": "Question: who is Ishmael?"},
            ],
        }
    ]


def test_count_tokens_uses_the_foundation_model_id_and_the_invoke_body():
    for model, expected in [
        (SONNET_45, "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("global.anthropic.claude-opus-4-8", "anthropic.claude-opus-4-8"),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-haiku-4-5-20251001-v1:0",
            "anthropic.claude-haiku-4-5-20251001-v1:0",
        ),
        ("anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"),
    ]:
        prepared = request(model=model, system="s")
        kwargs = count_tokens_kwargs(prepared)
        assert kwargs["modelId"] == expected
        assert kwargs["input"] == {"invokeModel": {"body": prepared.body}}


@pytest.mark.parametrize(
    "model", ["anthropic.claude-v2:1", "anthropic.claude-3-haiku-20240307-v1:0"]
)
def test_count_tokens_refuses_models_it_does_not_support(model):
    with pytest.raises(pkg.InvalidParameterError, match="does not support Bedrock's CountTokens"):
        count_tokens_kwargs(request(model=model))


def test_reroute_sends_the_request_to_the_suggested_inference_profile():
    prepared = request(model="anthropic.claude-sonnet-4-5-20250929-v1:0")
    error = pkg.OnDemandNotSupportedError(
        "x", suggested_model_id="eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
    )
    other = reroute(prepared, error, enabled=True)
    assert other.model_id == "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert other.body == prepared.body
    assert reroute(prepared, error, enabled=False) is None
    assert reroute(prepared, pkg.ThrottlingError("x"), enabled=True) is None
    assert reroute(prepared, pkg.OnDemandNotSupportedError("x"), enabled=True) is None


def _completion(stop_reason):
    return Completion(
        "Sorry.",
        stop_reason,
        None,
        SONNET_45,
        None,
        "r-1",
        Usage(),
        metadata={"guardrail_trace": {"t": 1}},
    )


def test_guardrail_intervention_raises_only_when_asked():
    asked = request(guardrail_identifier="gr", raise_on_guardrail_intervention=True)
    with pytest.raises(pkg.GuardrailInterventionError) as caught:
        check_guardrail(asked, _completion("guardrail_intervened"))
    assert caught.value.completion == "Sorry." and caught.value.trace == {"t": 1}
    assert caught.value.request_id == "r-1"
    check_guardrail(asked, _completion("end_turn"))
    check_guardrail(request(guardrail_identifier="gr"), _completion("guardrail_intervened"))


def test_intervened_bodies_and_events_report_guardrail_intervened():
    from langchain_bedrock_claude._formats import messages, text_completions

    body = {
        "content": [{"type": "text", "text": "Sorry."}],
        "stop_reason": "end_turn",
        "amazon-bedrock-guardrailAction": "INTERVENED",
        "amazon-bedrock-trace": {"guardrail": {}},
    }
    parsed = messages.parse_response(body, {})
    assert parsed.stop_reason == "guardrail_intervened"
    assert parsed.metadata["guardrail_action"] == "INTERVENED"
    assert parsed.metadata["guardrail_trace"] == {"guardrail": {}}
    legacy = text_completions.parse_response(
        {
            "completion": "Sorry.",
            "stop_reason": "stop_sequence",
            "amazon-bedrock-guardrailAction": "INTERVENED",
        },
        {},
    )
    assert legacy.stop_reason == "guardrail_intervened"
    parser = messages.StreamParser()
    parser.feed(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 1},
        }
    )
    parser.feed({"type": "message_stop", "amazon-bedrock-guardrailAction": "INTERVENED"})
    assert parser.result().stop_reason == "guardrail_intervened"
    quiet = messages.parse_response({**body, "amazon-bedrock-guardrailAction": "NONE"}, {})
    assert quiet.stop_reason == "end_turn"


def test_every_option_is_taken_by_the_client_the_llm_and_the_checker():
    # One list of options (InvocationOptions' fields): create() must accept each one, and
    # BedrockClaude must have a field for each, or a feature would silently not reach Bedrock.
    create_options = tuple(pkg.CompletionOptions.__annotations__)
    assert create_options[-len(OPTION_NAMES) :] == OPTION_NAMES
    assert set(OPTION_NAMES) <= set(pkg.BedrockClaude.model_fields)
    assert set(OPTION_NAMES) == set(inspect.signature(check_options).parameters)
