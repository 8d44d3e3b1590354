"""What streams rely on inside botocore and urllib3, and what a broken frame or a quiet server
does: each test here fails if a botocore or urllib3 release switches one of them off."""

from __future__ import annotations

import json
import threading
import time

import pytest

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import AnthropicBedrock
from langchain_bedrock_claude._events import fast_path
from langchain_bedrock_claude.testing._eventstream import encode_chunk

from ._frames import frame, opening, text_delta
from ._sockets import connections_to
from .conftest import CREDENTIALS, SONNET_45, sigv4_boto3

_STREAM_HEADERS = [
    ("Content-Type", "application/vnd.amazon.eventstream"),
    ("Transfer-Encoding", "chunked"),
    ("x-amzn-RequestId", "r-corrupt"),
]


def test_botocores_event_stream_takes_the_fast_path(emu):
    runtime = sigv4_boto3(emu)
    body = json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 20,
            "messages": [{"role": "user", "content": "hi"}],
        }
    )
    response = runtime.invoke_model_with_response_stream(modelId=SONNET_45, body=body)
    try:
        assert fast_path(response["body"]) is not None
    finally:
        response["body"].close()
        runtime.close()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_corrupted_frame_after_text_raises_stream_interrupted_with_the_partial_text(
    make_twin, emu, kind
):
    twin = make_twin(kind)
    damaged = bytearray(frame(text_delta(" world")))
    damaged[-1] ^= 0xFF  # the message CRC no longer matches
    body = opening("Hello") + bytes(damaged)
    emu.reply_raw(200, _STREAM_HEADERS, body)
    with pytest.raises(pkg.StreamInterruptedError) as caught:
        twin.stream()
    error = caught.value
    assert error.partial_text == "Hello"
    assert error.request_id == "r-corrupt"
    assert "corrupted" in str(error)
    assert isinstance(error.__cause__, pkg.APIConnectionError)
    assert len(emu.requests) == 1  # text had arrived: not retried


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_server_quiet_before_any_text_raises_a_request_timeout(make_twin, emu, kind):
    twin = make_twin(kind, timeout=0.5)
    emu.reply(["slow", " tokens"], token_latency=3.0)  # message_start, then 3 s of silence
    started = time.monotonic()
    with pytest.raises(pkg.RequestTimeoutError) as caught:
        twin.stream()
    assert not isinstance(caught.value, pkg.StreamInterruptedError)
    assert time.monotonic() - started < 2.5
    assert len(emu.requests) == 1  # a read timeout is reported, not retried


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_failed_attempts_connection_is_closed_before_a_stream_is_retried(make_twin, emu, kind):
    twin = make_twin(kind)
    twin.create()  # warm: the pool holds one idle connection
    baseline = connections_to(emu.port)
    # The first attempt breaks before any text, on a malformed event with more of the body
    # unread (so only our release closes its connection); the retry waits 0.6 s for its
    # first byte, while the sockets are counted.
    body = opening() + encode_chunk(b"not json", 0) + frame(text_delta("x"))
    emu.reply_raw(200, _STREAM_HEADERS, body)
    emu.reply("fine", first_byte_latency=0.6)
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, connections_to(emu.port))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        _, pieces = twin.stream()
    finally:
        done.set()
        sampler.join()
    assert "".join(map(str, pieces)) == "fine"
    assert len(emu.requests) == 3  # the warm-up, the failed attempt, the retry
    # One connection at a time (the pooled one, taken by the failed attempt): it was closed
    # before the retry opened its own.
    assert peak <= baseline, (peak, baseline)


def test_a_started_stream_blocked_on_a_quiet_server_is_woken_by_close(emu):
    client = AnthropicBedrock(
        region="us-east-1", endpoint_url=emu.endpoint_url, timeout=60, **CREDENTIALS
    )
    emu.reply(["never"], token_latency=30)  # message_start, then silence
    stream = client.Completion.create(model=SONNET_45, prompt="hi", stream=True)
    outcome: list[BaseException | str] = []

    def read() -> None:
        try:
            outcome.append("".join(map(str, stream)))
        except BaseException as error:
            outcome.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.3)  # the reader is blocked on the silent socket
    started = time.monotonic()
    stream.close()
    reader.join(5)
    assert not reader.is_alive()
    assert time.monotonic() - started < 2.0
    assert outcome and isinstance(outcome[0], pkg.BedrockClaudeError)
    client.close()


def test_a_boto3_client_given_to_several_clients_is_used_by_each(emu):
    # The first one tracks its connections for aborts; the next ones find it tracked already
    # and must still use it (not build one of their own from the environment).
    runtime = sigv4_boto3(emu)
    try:
        for _ in range(3):
            client = AnthropicBedrock(client=runtime)
            assert client.Completion.create(model=SONNET_45, prompt="hi").completion
        assert len(emu.requests) == 3
        assert all(
            f"Credential={CREDENTIALS['access_key']}/" in request.headers["authorization"]
            for request in emu.requests
        )
    finally:
        runtime.close()
