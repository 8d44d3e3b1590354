"""Stock boto3 against the emulator: every response shape and every error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from langchain_bedrock_claude.testing import BedrockEmulator, Reply
from langchain_bedrock_claude.testing._generate import split_tokens

from .conftest import sigv4_boto3

HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"
HAIKU_45 = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
OPUS_48 = "global.anthropic.claude-opus-4-8"


@pytest.fixture
def client(server: BedrockEmulator) -> Iterator[Any]:
    runtime = sigv4_boto3(server)
    yield runtime
    runtime.close()


def messages_body(text: str = "What is the capital of France?", **extra: Any) -> str:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
        **extra,
    }
    return json.dumps(body)


def legacy_body(**extra: Any) -> str:
    body = {
        "prompt": "\n\nHuman: What is the capital of France?\n\nAssistant:",
        "max_tokens_to_sample": 300,
        **extra,
    }
    return json.dumps(body)


def invoke(client: Any, model_id: str, body: str, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    response = client.invoke_model(modelId=model_id, body=body, **kwargs)
    return response, json.loads(response["body"].read())


def stream(
    client: Any, model_id: str, body: str, **kwargs: Any
) -> tuple[dict[str, Any], list[Any]]:
    response = client.invoke_model_with_response_stream(modelId=model_id, body=body, **kwargs)
    events = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    return response, events


def text_of(events: list[Any]) -> str:
    return "".join(
        e["delta"].get("text", "") for e in events if e.get("type") == "content_block_delta"
    )


# -- shapes --------------------------------------------------------------------------


def test_invoke_messages_reads_body_and_token_headers(emu: BedrockEmulator, client: Any) -> None:
    emu.reply("Paris is the capital.")
    response, body = invoke(client, HAIKU_3, messages_body())
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert body["content"] == [{"type": "text", "text": "Paris is the capital."}]
    assert body["model"] == "claude-3-haiku-20240307"
    assert body["id"].startswith("msg_bdrk_01") and len(body["id"]) == len("msg_bdrk_") + 24
    assert body["stop_reason"] == "end_turn" and body["stop_sequence"] is None
    assert list(body) == [
        "id",
        "type",
        "role",
        "model",
        "content",
        "stop_reason",
        "stop_sequence",
        "usage",
    ]
    assert body["usage"]["output_tokens"] == 5  # "Paris", " is", " the", " capital", "."
    assert headers["x-amzn-bedrock-output-token-count"] == "5"
    assert headers["x-amzn-bedrock-input-token-count"] == str(body["usage"]["input_tokens"])
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 0
    assert response["contentType"] == "application/json"
    assert len(response["ResponseMetadata"]["RequestId"]) == 36
    assert "x-amzn-bedrock-cache-read-input-token-count" not in headers


def test_invoke_haiku_45_puts_model_first(emu: BedrockEmulator, client: Any) -> None:
    _, body = invoke(client, HAIKU_45, messages_body())
    assert list(body)[:2] == ["model", "id"]
    assert body["model"] == "claude-haiku-4-5-20251001"
    assert list(body["usage"]) == [
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "cache_creation",
        "output_tokens",
    ]


def test_stream_messages_event_sequence(emu: BedrockEmulator, client: Any) -> None:
    emu.reply(["Hel", "lo", " world"])
    response, events = stream(client, SONNET_4, messages_body())
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert headers["transfer-encoding"] == "chunked"
    assert headers["x-amzn-bedrock-content-type"] == "application/json"
    assert not [name for name in headers if name.endswith("token-count")]
    assert [e["type"] for e in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert [e["delta"]["text"] for e in events[2:5]] == ["Hel", "lo", " world"]
    assert events[0]["message"]["model"] == "claude-sonnet-4-20250514"
    assert events[-2]["usage"] == {"output_tokens": 3}
    metrics = events[-1]["amazon-bedrock-invocationMetrics"]
    assert list(metrics) == [
        "inputTokenCount",
        "outputTokenCount",
        "invocationLatency",
        "firstByteLatency",
    ]
    assert metrics["outputTokenCount"] == 3
    assert all("amazon-bedrock-invocationMetrics" not in e for e in events[:-1])


def test_default_responder_is_deterministic(emu: BedrockEmulator, client: Any) -> None:
    _, first = invoke(client, HAIKU_3, messages_body("Tell me about rivers"))
    _, again = invoke(client, HAIKU_3, messages_body("Tell me about rivers"))
    _, other = invoke(client, HAIKU_3, messages_body("Tell me about mountains"))
    _, events = stream(client, HAIKU_3, messages_body("Tell me about rivers"))
    text = first["content"][0]["text"]
    assert text == again["content"][0]["text"] == text_of(events)
    assert text != other["content"][0]["text"]
    assert 20 <= first["usage"]["output_tokens"] <= 80
    deltas = [e for e in events if e["type"] == "content_block_delta"]
    # Several tokens per delta, as recorded ("4200 + 42 =", haiku-4.5); the first has one.
    assert 1 < len(deltas) < first["usage"]["output_tokens"] / 3
    assert len(split_tokens(deltas[0]["delta"]["text"])) == 1


def test_max_tokens_cuts_with_stop_reason(emu: BedrockEmulator, client: Any) -> None:
    emu.reply("one two three four five", times=2)
    _, body = invoke(client, HAIKU_3, messages_body(max_tokens=3))
    _, events = stream(client, HAIKU_3, messages_body(max_tokens=3))
    assert body["content"][0]["text"] == "one two three" == text_of(events)
    assert body["stop_reason"] == "max_tokens" == events[-2]["delta"]["stop_reason"]
    assert body["usage"]["output_tokens"] == 3


def test_stop_sequences_cut_before_the_sequence(emu: BedrockEmulator, client: Any) -> None:
    emu.reply("Counting: 1, 2, 3, 4, 5", times=2)
    body_json = messages_body(stop_sequences=["3,", "9"])
    _, body = invoke(client, HAIKU_3, body_json)
    _, events = stream(client, HAIKU_3, body_json)
    assert body["content"][0]["text"] == "Counting: 1, 2, " == text_of(events)
    assert body["stop_reason"] == "stop_sequence" and body["stop_sequence"] == "3,"
    assert events[-2]["delta"] == {"stop_reason": "stop_sequence", "stop_sequence": "3,"}


def test_legacy_invoke_and_stream(emu: BedrockEmulator, client: Any) -> None:
    emu.legacy_end_of_life = False  # the retired ids' wire is what is tested here
    emu.reply(" The capital of France is Paris.", times=2)
    response, body = invoke(client, "anthropic.claude-v2:1", legacy_body(temperature=0.5))
    assert body == {
        "type": "completion",
        "completion": " The capital of France is Paris.",
        "stop_reason": "stop_sequence",
        "stop": "\n\nHuman:",
    }
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-output-token-count"] == "7"
    _, events = stream(client, "anthropic.claude-v2:1", legacy_body())
    assert [e["completion"] for e in events] == [
        " The",
        " capital",
        " of",
        " France",
        " is",
        " Paris",
        ".",
        "",
    ]
    assert list(events[0]) == ["type", "completion", "stop_reason", "stop"]
    assert events[0]["stop_reason"] is None and events[0]["stop"] is None
    assert events[-1]["stop_reason"] == "stop_sequence" and events[-1]["stop"] == "\n\nHuman:"
    assert events[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 7


def test_legacy_max_tokens_and_stop_sequence(emu: BedrockEmulator, client: Any) -> None:
    emu.legacy_end_of_life = False  # the retired ids' wire is what is tested here
    emu.reply(" a b c d", times=2)
    _, cut = invoke(client, "anthropic.claude-instant-v1", legacy_body(max_tokens_to_sample=2))
    assert (
        cut["completion"] == " a b" and cut["stop_reason"] == "max_tokens" and cut["stop"] is None
    )
    _, stopped = invoke(client, "anthropic.claude-v2", legacy_body(stop_sequences=[" c"]))
    assert stopped["completion"] == " a b"
    assert (stopped["stop_reason"], stopped["stop"]) == ("stop_sequence", " c")


def test_legacy_id_with_messages_body_answers_messages(emu: BedrockEmulator, client: Any) -> None:
    emu.legacy_end_of_life = False  # the retired ids' wire is what is tested here
    _, body = invoke(client, "anthropic.claude-v2", messages_body())
    assert body["type"] == "message" and body["model"] == "claude-2.0"


def test_thinking_blocks(emu: BedrockEmulator, client: Any) -> None:
    emu.reply(Reply(text="The answer is 4.", thinking="Two plus two is four."), times=2)
    body_json = messages_body(max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024})
    _, body = invoke(client, SONNET_4, body_json)
    assert [b["type"] for b in body["content"]] == ["thinking", "text"]
    assert body["content"][0]["thinking"] == "Two plus two is four."
    assert body["content"][0]["signature"]
    _, events = stream(client, SONNET_4, body_json)
    deltas = [e["delta"]["type"] for e in events if e["type"] == "content_block_delta"]
    assert deltas[0] == "thinking_delta" and deltas.count("signature_delta") == 1
    assert deltas.index("signature_delta") == deltas.index("text_delta") - 1
    starts = [e["content_block"] for e in events if e["type"] == "content_block_start"]
    assert starts == [
        {"type": "thinking", "thinking": "", "signature": ""},
        {"type": "text", "text": ""},
    ]
    assert body["usage"]["output_tokens"] == 6 + 5


def test_prompt_caching_write_then_read(emu: BedrockEmulator, client: Any) -> None:
    system = [
        {
            "type": "text",
            "text": "You are a geography expert. " * 200,
            "cache_control": {"type": "ephemeral"},
        }
    ]
    body_json = messages_body(system=system)
    first, body = invoke(client, SONNET_4, body_json)
    second, again = invoke(client, SONNET_4, body_json)
    _, events = stream(client, SONNET_4, body_json)
    write = int(
        first["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-cache-write-input-token-count"]
    )
    assert write > 1024
    assert (
        first["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-cache-read-input-token-count"]
        == "0"
    )
    assert body["usage"]["cache_creation_input_tokens"] == write
    assert second["ResponseMetadata"]["HTTPHeaders"][
        "x-amzn-bedrock-cache-read-input-token-count"
    ] == str(write)
    assert (
        again["usage"]["cache_read_input_tokens"] == write
        and again["usage"]["cache_creation_input_tokens"] == 0
    )
    metrics = events[-1]["amazon-bedrock-invocationMetrics"]
    assert (
        metrics["cacheReadInputTokenCount"] == write and metrics["cacheWriteInputTokenCount"] == 0
    )


def test_short_cache_prefix_is_not_cached(emu: BedrockEmulator, client: Any) -> None:
    system = [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    response, body = invoke(client, HAIKU_45, messages_body(system=system))
    assert body["usage"]["cache_creation_input_tokens"] == 0
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-cache-write-input-token-count"] == "0"
    assert headers["x-amzn-bedrock-cache-read-input-token-count"] == "0"
    _, events = stream(client, HAIKU_45, messages_body(system=system))
    assert "cacheReadInputTokenCount" not in events[-1]["amazon-bedrock-invocationMetrics"]


def test_count_tokens(emu: BedrockEmulator, client: Any) -> None:
    short = client.count_tokens(
        modelId="anthropic.claude-sonnet-4-20250514-v1:0",
        input={"invokeModel": {"body": messages_body("hi")}},
    )
    long = client.count_tokens(
        modelId="anthropic.claude-sonnet-4-20250514-v1:0",
        input={"invokeModel": {"body": messages_body("hi " * 100)}},
    )
    assert 0 < short["inputTokens"] < long["inputTokens"]
    sent = emu.requests[0]
    assert sent.operation == "count-tokens"
    assert (
        json.loads(__import__("base64").b64decode(sent.json["input"]["invokeModel"]["body"]))[
            "max_tokens"
        ]
        == 200
    )
    converse = client.count_tokens(
        modelId="anthropic.claude-sonnet-4-20250514-v1:0",
        input={
            "converse": {"messages": [{"role": "user", "content": [{"text": "Hello, world!"}]}]}
        },
    )
    assert converse["inputTokens"] > 0


@pytest.mark.parametrize("model_id", ["anthropic.claude-v2", HAIKU_3, SONNET_4])
def test_count_tokens_unsupported(emu: BedrockEmulator, client: Any, model_id: str) -> None:
    emu.legacy_end_of_life = False  # the retired ids' wire is what is tested here
    with pytest.raises(
        client.exceptions.ValidationException, match="doesn't support counting tokens"
    ):
        client.count_tokens(modelId=model_id, input={"invokeModel": {"body": messages_body()}})


def test_invoke_headers_are_recorded_and_echoed(emu: BedrockEmulator, client: Any) -> None:
    emu.add_guardrail("abc123", "1")
    response, _ = invoke(
        client,
        HAIKU_45,
        messages_body(),
        trace="ENABLED",
        guardrailIdentifier="abc123",
        guardrailVersion="1",
        performanceConfigLatency="optimized",
        serviceTier="priority",
    )
    sent = emu.requests[-1]
    assert (sent.trace, sent.guardrail_identifier, sent.guardrail_version) == (
        "ENABLED",
        "abc123",
        "1",
    )
    assert sent.performance_config_latency == "optimized" and sent.service_tier == "priority"
    assert response["performanceConfigLatency"] == "optimized"
    assert response["serviceTier"] == "priority"
    streamed = client.invoke_model_with_response_stream(
        modelId=HAIKU_45, body=messages_body(), serviceTier="flex", accept="application/json"
    )
    assert streamed["serviceTier"] == "flex"
    list(streamed["body"])
    assert emu.requests[-1].headers["X-AMZN-BEDROCK-ACCEPT"] == "application/json"


def test_model_ids_arrive_decoded(emu: BedrockEmulator, client: Any) -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0"
    for model_id in (
        HAIKU_3,
        arn,
        "arn:aws:bedrock:us-east-1::foundation-model/" + HAIKU_3,
        OPUS_48,
        "eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "apac.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
    ):
        invoke(client, model_id, messages_body())
        assert emu.requests[-1].model_id == model_id
    assert "%3A" in emu.requests[0].path


# -- errors --------------------------------------------------------------------------


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response
    return (
        error["Error"]["Code"],
        error["Error"]["Message"],
        error["ResponseMetadata"]["HTTPStatusCode"],
    )


@pytest.mark.parametrize(
    ("model_id", "body", "message"),
    [
        ("anthropic.claude-9", messages_body(), "The provided model identifier is invalid."),
        (
            "us.anthropic.claude-3-haiku-20990101-v1:0",
            messages_body(),
            "The provided model identifier is invalid.",
        ),
        (
            HAIKU_3,
            messages_body(stream=True),
            'Malformed input request: #: subject must not be valid against schema {"required":["messages"]}'
            "#: extraneous key [stream] is not permitted, please reformat your input and try again.",
        ),
        (
            HAIKU_3,
            json.dumps(
                {
                    "anthropic_version": "bedrock-2023-05-31",
                    "messages": [{"role": "user", "content": "hi"}],
                }
            ),
            'Malformed input request: #: subject must not be valid against schema {"required":["messages"]}'
            "#: required key [max_tokens] not found, please reformat your input and try again.",
        ),
        (
            "anthropic.claude-v2",
            legacy_body(max_tokens_to_sample=8192),
            "Malformed input request: 8192 is not less or equal to 8191, please reformat your input and try again.",
        ),
        (
            "anthropic.claude-v2",
            legacy_body(stream=True),
            "Malformed input request: #: extraneous key [stream] is not permitted, please reformat your input and try again.",
        ),
        (
            HAIKU_3,
            messages_body(max_tokens=4097),
            "The maximum tokens you requested exceeds the model limit of 4096. "
            "Try again with a maximum tokens value that is lower than 4096.",
        ),
        (
            HAIKU_3,
            messages_body(temperature=1.5),
            "Malformed input request: 1.5 is not less or equal to 1, please reformat your input and try again.",
        ),
        (
            HAIKU_45,
            messages_body(temperature=0.5, top_p=0.9),
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
        ),
        (OPUS_48, messages_body(temperature=0.5), "`temperature` is deprecated for this model."),
        (OPUS_48, messages_body(top_k=5), "`top_k` is deprecated for this model."),
        (
            HAIKU_3,
            legacy_body(),
            '"claude-3-haiku-20240307" is not supported on this API. Please use the Messages API instead.',
        ),
    ],
)
def test_validation_errors(
    emu: BedrockEmulator, client: Any, model_id: str, body: str, message: str
) -> None:
    emu.legacy_end_of_life = False  # the retired ids' wire is what is tested here
    for call in (client.invoke_model, client.invoke_model_with_response_stream):
        with pytest.raises(client.exceptions.ValidationException) as excinfo:
            call(modelId=model_id, body=body)
        assert error_of(excinfo) == ("ValidationException", message, 400)


def test_sampling_pair_accepted_before_45(client: Any) -> None:
    invoke(
        client,
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        messages_body(temperature=0.5, top_p=0.9),
    )


def test_missing_authentication(server: BedrockEmulator) -> None:
    from botocore import UNSIGNED

    unsigned = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=server.endpoint_url,
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )
    try:
        with pytest.raises(ClientError) as excinfo:
            unsigned.invoke_model(modelId=HAIKU_3, body=messages_body())
    finally:
        unsigned.close()
    assert error_of(excinfo) == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
        403,
    )
    assert type(excinfo.value) is ClientError


@pytest.mark.parametrize(
    ("error", "exception"),
    [
        ("AccessDeniedException", "AccessDeniedException"),
        ("ResourceNotFoundException", "ResourceNotFoundException"),
        ("ThrottlingException", "ThrottlingException"),
        ("ModelTimeoutException", "ModelTimeoutException"),
        ("InternalServerException", "InternalServerException"),
        ("ServiceUnavailableException", "ServiceUnavailableException"),
        ("ServiceQuotaExceededException", "ServiceQuotaExceededException"),
        ("ModelNotReadyException", "ModelNotReadyException"),
        ("ModelErrorException", "ModelErrorException"),
    ],
)
def test_fail_next_raises_the_modelled_exception(
    emu: BedrockEmulator, client: Any, error: str, exception: str
) -> None:
    emu.fail_next(error, times=2)
    with pytest.raises(getattr(client.exceptions, exception)):
        client.invoke_model(modelId=HAIKU_3, body=messages_body())
    with pytest.raises(getattr(client.exceptions, exception)):
        client.invoke_model_with_response_stream(modelId=HAIKU_3, body=messages_body())
    invoke(client, HAIKU_3, messages_body())  # the fault is used up


def test_unmodelled_auth_errors_are_client_errors(emu: BedrockEmulator, client: Any) -> None:
    emu.fail_next("ExpiredTokenException")
    with pytest.raises(ClientError) as excinfo:
        client.invoke_model(modelId=HAIKU_3, body=messages_body())
    assert error_of(excinfo) == (
        "ExpiredTokenException",
        "The security token included in the request is expired",
        403,
    )
