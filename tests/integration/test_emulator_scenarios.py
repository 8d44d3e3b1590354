"""Scripted replies and fault scenarios, seen through stock boto3."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
from botocore.exceptions import ClientError, EventStreamError, ReadTimeoutError

from langchain_bedrock_claude.testing import BedrockEmulator, EmulatedRequest, Reply

from .conftest import sigv4_boto3

HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"
BODY = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "Say hello"}],
    }
)


@pytest.fixture
def client(server: BedrockEmulator) -> Iterator[Any]:
    runtime = sigv4_boto3(server)
    yield runtime
    runtime.close()


def stream_events(client: Any, model_id: str = HAIKU_3, body: str = BODY) -> list[Any]:
    response = client.invoke_model_with_response_stream(modelId=model_id, body=body)
    return [json.loads(e["chunk"]["bytes"]) for e in response["body"]]


def invoke_text(client: Any, model_id: str = HAIKU_3, body: str = BODY) -> str:
    answer = json.loads(client.invoke_model(modelId=model_id, body=body)["body"].read())
    return str(answer["content"][0]["text"])


# -- replies -------------------------------------------------------------------------


def test_replies_are_used_in_order_and_times(emu: BedrockEmulator, client: Any) -> None:
    emu.reply("first", times=2)
    emu.reply(["sec", "ond"])
    assert [invoke_text(client) for _ in range(3)] == ["first", "first", "second"]
    assert invoke_text(client) != "second"  # back to the default responder


def test_callable_reply_and_responder(emu: BedrockEmulator, client: Any) -> None:
    seen: list[EmulatedRequest] = []

    def echo(request: EmulatedRequest) -> Reply:
        seen.append(request)
        return Reply(text=f"You said: {request.prompt_text}", stop_reason="refusal")

    emu.reply(lambda request: ["only", " once"])
    emu.set_responder(echo)
    assert invoke_text(client) == "only once"
    answer = json.loads(client.invoke_model(modelId=HAIKU_3, body=BODY)["body"].read())
    assert answer["content"][0]["text"] == "You said: Say hello"
    assert answer["stop_reason"] == "refusal"
    assert seen[0].json["max_tokens"] == 100 and seen[0].model_id == HAIKU_3
    emu.reset()  # restores the constructor's (default) responder
    assert not invoke_text(client).startswith("You said")


def test_failing_responder_is_an_internal_error(emu: BedrockEmulator, client: Any) -> None:
    emu.reply(lambda request: 1 / 0)  # type: ignore[arg-type, return-value]
    with pytest.raises(client.exceptions.InternalServerException, match="ZeroDivisionError"):
        client.invoke_model(modelId=HAIKU_3, body=BODY)


def test_reply_raw_serves_exact_bytes(emu: BedrockEmulator, client: Any) -> None:
    body = b'{"id":"msg_bdrk_01","type":"message","content":[{"type":"text","text":"raw"}]}'
    emu.reply_raw(200, {"Content-Type": "application/json", "x-amzn-RequestId": "rid-1"}, body)
    response = client.invoke_model(modelId="anything-at-all", body=b"not json")
    assert response["body"].read() == body
    assert response["ResponseMetadata"]["RequestId"] == "rid-1"


def test_requests_are_recorded(emu: BedrockEmulator, client: Any) -> None:
    invoke_text(client)
    stream_events(client, "us.anthropic.claude-3-5-haiku-20241022-v1:0")
    first, second = emu.requests
    assert (first.method, first.operation, first.stream) == ("POST", "invoke", False)
    assert first.path == "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke"
    assert first.headers["user-agent"] == first.headers["User-Agent"]
    assert first.headers["user-agent"].startswith("Boto3/")
    assert first.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert first.body == BODY.encode() and first.json["messages"][0]["content"] == "Say hello"
    assert first.query == {}
    assert second.operation == "invoke-with-response-stream" and second.stream
    assert second.model_id == "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    emu.reset()
    assert emu.requests == []


def test_requests_survive_concurrent_clients(emu: BedrockEmulator) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        runtime = sigv4_boto3(emu)
        try:
            for _ in range(5):
                stream_events(runtime)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            runtime.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(emu.requests) == 40


# -- errors before the answer ----------------------------------------------------------


def test_throttle_then_retry_succeeds(emu: BedrockEmulator) -> None:
    emu.throttle(1)
    emu.reply("after the storm")
    runtime = sigv4_boto3(emu, retries={"total_max_attempts": 2, "mode": "standard"})
    try:
        assert invoke_text(runtime) == "after the storm"
    finally:
        runtime.close()
    assert len(emu.requests) == 2


def test_throttle_body_and_type(emu: BedrockEmulator, client: Any) -> None:
    emu.throttle(2, operation="invoke-with-response-stream")
    invoke_text(client)  # not a stream: not throttled
    for _ in range(2):
        with pytest.raises(client.exceptions.ThrottlingException) as excinfo:
            stream_events(client)
        error = excinfo.value.response
        assert error["Error"]["Message"] == "Too many requests, please wait before trying again."
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == (
            "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"
        )
    assert len(stream_events(client)) > 3


def test_fail_next_with_custom_status_and_message(emu: BedrockEmulator, client: Any) -> None:
    emu.fail_next(error="ServiceUnavailableException", status=503, message="down", times=1)
    with pytest.raises(client.exceptions.ServiceUnavailableException, match="down"):
        client.invoke_model(modelId=HAIKU_3, body=BODY)


def test_legacy_end_of_life(client: Any, emu: BedrockEmulator) -> None:
    legacy = json.dumps({"prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 5})
    emu.legacy_end_of_life = True
    for model_id in (
        "anthropic.claude-v2",
        "us.anthropic.claude-v2:1",
        "anthropic.claude-instant-v1",
    ):
        with pytest.raises(client.exceptions.ResourceNotFoundException) as excinfo:
            client.invoke_model(modelId=model_id, body=legacy)
        assert excinfo.value.response["Error"]["Message"] == (
            "This model version has reached the end of its life. "
            "Please refer to the AWS documentation for more details."
        )
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    invoke_text(client)  # Claude 3 is unaffected
    emu.legacy_end_of_life = False
    client.invoke_model(modelId="anthropic.claude-v2", body=legacy)


def test_legacy_end_of_life_from_constructor() -> None:
    with BedrockEmulator(legacy_end_of_life=True) as emu:
        runtime = sigv4_boto3(emu)
        try:
            with pytest.raises(runtime.exceptions.ResourceNotFoundException):
                runtime.invoke_model(modelId="anthropic.claude-v2", body=BODY)
        finally:
            runtime.close()


def test_on_demand_not_supported(emu: BedrockEmulator, client: Any) -> None:
    emu.require_inference_profile = True
    with pytest.raises(client.exceptions.ValidationException) as excinfo:
        client.invoke_model(modelId="anthropic.claude-3-5-sonnet-20241022-v2:0", body=BODY)
    assert excinfo.value.response["Error"]["Message"] == (
        "Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand "
        "throughput isn\u2019t supported. Retry your request with the ID or ARN of an "
        "inference profile that contains this model."
    )
    invoke_text(client, "us.anthropic.claude-3-5-sonnet-20241022-v2:0")
    invoke_text(client, HAIKU_3)  # on demand is fine for Claude 3 Haiku


def test_hang_until_client_timeout(emu: BedrockEmulator) -> None:
    emu.hang(times=1)
    runtime = sigv4_boto3(emu, read_timeout=0.3)
    try:
        started = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            runtime.invoke_model(modelId=HAIKU_3, body=BODY)
        assert time.monotonic() - started >= 0.3
        assert invoke_text(runtime)  # the next request is answered
    finally:
        runtime.close()


def test_hang_with_timeout_closes_the_connection(emu: BedrockEmulator, client: Any) -> None:
    emu.hang(timeout=0.05)
    with pytest.raises(Exception) as excinfo:
        client.invoke_model(modelId=HAIKU_3, body=BODY)
    assert "ClientError" not in type(excinfo.value).__name__


# -- stream interruptions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("exception_type", "message"),
    [
        ("modelStreamErrorException", "Bedrock is unable to process your request."),
        ("throttlingException", "Too many requests, please wait before trying again."),
        ("internalServerException", None),
    ],
)
def test_exception_frame_raises_event_stream_error(
    emu: BedrockEmulator, client: Any, exception_type: str, message: str | None
) -> None:
    emu.reply(["a", "b", "c", "d"])
    emu.interrupt_stream(after_events=3, exception_type=exception_type)
    response = client.invoke_model_with_response_stream(modelId=HAIKU_3, body=BODY)
    received = []
    with pytest.raises(EventStreamError) as excinfo, closing(response["body"]):
        for event in response["body"]:
            received.append(json.loads(event["chunk"]["bytes"]))
    assert [e["type"] for e in received] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
    ]
    assert excinfo.value.response["Error"]["Code"] == exception_type
    if message:
        assert excinfo.value.response["Error"]["Message"] == message
    assert len(stream_events(client)) > 3  # the connection is still usable


def test_early_end_misses_message_stop(emu: BedrockEmulator, client: Any) -> None:
    emu.interrupt_stream(after_events=4, mode="early_end", times=2)
    for _ in range(2):
        events = stream_events(client)
        assert len(events) == 4 and events[-1]["type"] == "content_block_delta"
    assert stream_events(client)[-1]["type"] == "message_stop"


@pytest.mark.parametrize("mode", ["drop", "cut_frame"])
def test_connection_dropped_mid_stream(emu: BedrockEmulator, client: Any, mode: str) -> None:
    emu.interrupt_stream(after_events=2, mode=mode)  # type: ignore[arg-type]
    response = client.invoke_model_with_response_stream(modelId=HAIKU_3, body=BODY)
    received = []
    with pytest.raises(Exception) as excinfo, closing(response["body"]):
        for event in response["body"]:
            received.append(event)
    assert not isinstance(excinfo.value, ClientError)
    assert len(received) == 2
    assert stream_events(client)[-1]["type"] == "message_stop"


def test_interrupt_applies_to_streams_only(emu: BedrockEmulator, client: Any) -> None:
    emu.interrupt_stream(after_events=1, mode="early_end")
    invoke_text(client)
    assert len(stream_events(client)) == 1


# -- latency ---------------------------------------------------------------------------


def test_latencies_per_reply(emu: BedrockEmulator, client: Any) -> None:
    emu.reply(["a", "b", "c", "d", "e"], first_byte_latency=0.15, token_latency=0.03)
    started = time.monotonic()
    response = client.invoke_model_with_response_stream(modelId=HAIKU_3, body=BODY)
    stamps = []
    for event in response["body"]:
        stamps.append((time.monotonic() - started, json.loads(event["chunk"]["bytes"])))
    assert stamps[0][0] >= 0.15
    deltas = [t for t, e in stamps if e["type"] == "content_block_delta"]
    assert deltas[-1] - deltas[0] >= 4 * 0.03 * 0.9
    metrics = stamps[-1][1]["amazon-bedrock-invocationMetrics"]
    assert metrics["firstByteLatency"] >= 150 and metrics["invocationLatency"] >= 270


def test_latency_from_constructor_applies_to_invoke() -> None:
    with BedrockEmulator(first_byte_latency=0.1, token_latency=0.01) as emu:
        emu.reply(["x"] * 10)
        runtime = sigv4_boto3(emu)
        try:
            started = time.monotonic()
            response = runtime.invoke_model(modelId=HAIKU_3, body=BODY)
            assert time.monotonic() - started >= 0.2
            latency = int(
                response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-invocation-latency"]
            )
            assert latency >= 190
        finally:
            runtime.close()
