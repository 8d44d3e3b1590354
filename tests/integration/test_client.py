"""The bedrock_anthropic-compatible client, sync and async, against the emulator."""

from __future__ import annotations

import time
from functools import partial

import boto3
import pytest

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import AnthropicBedrock

from .conftest import CREDENTIALS, LEGACY, SONNET_45

# What each API reports for an answer that ends by itself: the Messages API says end_turn; the
# legacy Text Completions API says stop_sequence, the "\n\nHuman:" turn marker it stopped at.
STOP_REASON = {SONNET_45: "end_turn", LEGACY: "stop_sequence"}
STOP_SEQUENCE = {SONNET_45: None, LEGACY: "\n\nHuman:"}

BEDROCK_ANTHROPIC_EXAMPLE = """
import os
from langchain_bedrock_claude import AnthropicBedrock

anthropic = AnthropicBedrock(
    access_key=os.getenv("AWS_ACCESS_KEY"),
    secret_key=os.getenv("AWS_SECRET_KEY"),
    region=os.getenv("AWS_REGION")
)

stream = anthropic.Completion.create(
    model=MODEL,
    prompt="Why is the sky blue?",
    max_tokens_to_sample=300,
    stream=True
)

for completion in stream:
    print(completion, end="", flush=True)
"""


@pytest.mark.parametrize(
    "model", [LEGACY, SONNET_45, "anthropic.claude-instant-v1", "global.anthropic.claude-opus-4-8"]
)
def test_the_bedrock_anthropic_usage_example_streams_the_text(model, emu, monkeypatch, capsys):
    emu.legacy_end_of_life = False  # the retired ids' wire is what is tested here
    monkeypatch.setenv("AWS_ACCESS_KEY", CREDENTIALS["access_key"])
    monkeypatch.setenv("AWS_SECRET_KEY", CREDENTIALS["secret_key"])
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emu.endpoint_url)
    expected = AnthropicBedrock(region="us-east-1", **CREDENTIALS).Completion.create(
        model=model, prompt="Why is the sky blue?", max_tokens_to_sample=300
    )
    exec(BEDROCK_ANTHROPIC_EXAMPLE.replace("MODEL", repr(model)), {})
    printed = capsys.readouterr().out
    assert printed == expected.completion
    assert len(printed.split()) > 5
    sent = emu.requests[-1]
    assert sent.operation == "invoke-with-response-stream"
    if model in (LEGACY, "anthropic.claude-instant-v1"):
        assert sent.json == {
            "prompt": "\n\nHuman: Why is the sky blue?\n\nAssistant:",
            "max_tokens_to_sample": 300,
        }
    else:
        assert sent.json == {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 300,
            "messages": [{"role": "user", "content": "Why is the sky blue?"}],
        }


def test_invoke_result_carries_text_and_metadata(twin, emu):
    emu.reply("Rayleigh scattering.")
    result = twin.create()
    assert result.completion == str(result) == "Rayleigh scattering."
    assert result.stop_reason == "end_turn"
    assert result.stop_sequence is None
    assert result.model_id == SONNET_45
    assert result.model == "claude-sonnet-4-5-20250929"
    assert result.request_id and len(result.request_id) == 36
    assert result.usage.output_tokens == 3
    assert result.usage.input_tokens > 0


@pytest.mark.parametrize("model", [SONNET_45, LEGACY])
def test_stream_yields_pieces_as_sent_and_metadata_last(twin, emu, model):
    emu.legacy_end_of_life = False  # the retired ids' wire is what is tested here
    emu.reply(["Hello", " world", "!"])
    stream, pieces = twin.stream(model=model)
    assert [str(piece) for piece in pieces] == ["Hello", " world", "!", ""]
    assert all(piece.usage is None for piece in pieces[:-1])
    last = pieces[-1]
    assert last.is_final
    assert last.usage.output_tokens == 3
    assert last.request_id == stream.request_id
    assert last.stop_reason == STOP_REASON[model]
    assert last.stop_sequence == STOP_SEQUENCE[model]
    assert stream.completion.completion == "Hello world!"
    assert stream.usage == last.usage


def test_streamed_text_equals_the_non_streamed_answer(twin):
    whole = twin.create(max_tokens_to_sample=40)
    _, pieces = twin.stream(max_tokens_to_sample=40)
    assert "".join(map(str, pieces)) == whole.completion
    assert pieces[-1].usage == whole.usage


def test_only_the_parameters_set_are_sent(twin, emu):
    twin.create(temperature=0.5, top_k=3)
    body = emu.requests[-1].json
    assert body["temperature"] == 0.5 and body["top_k"] == 3
    assert "top_p" not in body and "stop_sequences" not in body
    assert body["max_tokens"] == 256


def test_stop_sequences_reach_the_server_which_cuts_the_text(twin, emu):
    emu.reply("one two STOP three four")
    result = twin.create(stop_sequences=["STOP"])
    assert emu.requests[-1].json["stop_sequences"] == ["STOP"]
    assert result.stop_reason == "stop_sequence"
    assert result.stop_sequence == "STOP"
    assert "three" not in result.completion and result.completion.startswith("one two")


def test_max_tokens_stops_generation(twin, emu):
    emu.reply("one two three four five six")
    result = twin.create(max_tokens_to_sample=2)
    assert result.stop_reason == "max_tokens"
    assert result.usage.output_tokens == 2


def test_human_assistant_prompt_becomes_messages_with_system_and_prefill(twin, emu):
    twin.create(prompt="Be terse.\n\nHuman: Capital of France?\n\nAssistant: The capital is")
    assert emu.requests[-1].json["system"] == "Be terse."
    assert emu.requests[-1].json["messages"] == [
        {"role": "user", "content": "Capital of France?"},
        {"role": "assistant", "content": "The capital is"},
    ]


@pytest.mark.parametrize(
    "model",
    [
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
        "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
        "anthropic.claude-sonnet-4-6",
    ],
)
def test_arns_and_profiles_reach_the_service_as_given(twin, emu, model):
    emu.require_inference_profile = False  # a bare id goes as given; Bedrock would want a profile
    result = twin.create(model=model)
    assert emu.requests[-1].model_id == model
    assert result.model_id == model
    assert result.completion


def test_bad_input_is_refused_before_any_request(twin, emu):
    for kwargs in (
        {"top_k": 501},
        {"prompt": ""},
        {"model": "amazon.nova-lite-v1:0"},
        {"stop_sequences": "\n\nHuman:"},
        {"temperature": 0.5, "top_p": 0.5},
        {"max_tokens_to_sample": 64001},
        {"temprature": 0.5},
    ):
        with pytest.raises(pkg.InvalidParameterError):
            twin.create(**kwargs)
        with pytest.raises(pkg.InvalidParameterError):
            twin.stream(**kwargs)
    assert emu.requests == []


def test_throttling_is_retried_up_to_max_retries(twin, emu):
    emu.throttle(2)
    assert twin.create().completion
    assert len(emu.requests) == 3
    emu.reset()
    emu.throttle(3)
    with pytest.raises(pkg.ThrottlingError) as caught:
        twin.create()
    assert len(emu.requests) == 3  # max_retries=2: three requests, not botocore's extra ones
    assert caught.value.status_code == 429
    assert caught.value.request_id
    assert "Too many requests" in str(caught.value)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_policy_without_waits_still_stops_after_max_retries(make_twin, emu, kind):
    # With no backoff at all, every retry still counts: three requests, then the error.
    twin = make_twin(kind, retry_policy=pkg.RetryPolicy(max_retries=2, initial_delay=0.0))
    for read in (twin.create, twin.stream, partial(twin.count_tokens, prompt="hi")):
        emu.reset()
        emu.throttle(10)
        with pytest.raises(pkg.ThrottlingError):
            read()
        assert len(emu.requests) == 3


@pytest.mark.parametrize(
    ("error", "status", "cls"),
    [
        ("ServiceUnavailableException", 503, pkg.ServiceUnavailableError),
        ("InternalServerException", 500, pkg.ServiceError),
        ("ModelNotReadyException", 429, pkg.ModelNotReadyError),
    ],
)
def test_transient_errors_are_retried_for_calls_and_streams(twin, emu, error, status, cls):
    emu.fail_next(error, status, times=2)
    assert twin.create().completion
    emu.fail_next(error, status, times=2)
    _, pieces = twin.stream()
    assert pieces[-1].is_final
    assert len(emu.requests) == 6
    emu.fail_next(error, status, times=3)
    with pytest.raises(cls):
        twin.stream()


@pytest.mark.parametrize(
    ("error", "status", "message", "cls"),
    [
        (
            "ValidationException",
            400,
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
            pkg.ValidationError,
        ),
        (
            "AccessDeniedException",
            403,
            "You don't have access to the model with the specified model ID.",
            pkg.AccessDeniedError,
        ),
        ("ResourceNotFoundException", 404, "Model not found", pkg.ModelNotFoundError),
        ("ModelTimeoutException", 408, "Model timed out", pkg.ModelTimeoutError),
        (
            "UnrecognizedClientException",
            403,
            "The security token included in the request is invalid.",
            pkg.AuthenticationError,
        ),
    ],
)
def test_permanent_errors_are_not_retried(twin, emu, error, status, message, cls):
    emu.fail_next(error, status, message)
    with pytest.raises(cls) as caught:
        twin.create()
    assert len(emu.requests) == 1
    assert caught.value.status_code == status
    assert caught.value.model_id == SONNET_45
    assert message in str(caught.value)
    assert caught.value.request_id


def test_retired_legacy_model_names_a_replacement(twin, emu):
    emu.legacy_end_of_life = True
    with pytest.raises(pkg.ModelRetiredError) as caught:
        twin.create(model="anthropic.claude-instant-v1")
    assert caught.value.replacement == "us.anthropic.claude-haiku-5-5"
    assert caught.value.status_code == 404
    assert "claude-haiku-5-5" in str(caught.value)


def test_a_stream_that_fails_before_its_first_piece_is_retried(twin, emu):
    emu.reply(["a", "b", "c"], times=2)
    emu.interrupt_stream(after_events=1, mode="exception", exception_type="throttlingException")
    _, pieces = twin.stream()
    assert "".join(map(str, pieces)) == "abc"
    assert len(emu.requests) == 2


@pytest.mark.parametrize("mode", ["exception", "drop", "early_end", "cut_frame"])
def test_a_stream_broken_after_text_raises_with_the_partial_text(twin, emu, mode):
    emu.reply(["one", " two", " three", " four"])
    # message_start, content_block_start, then two deltas: "one two" has been delivered.
    emu.interrupt_stream(after_events=4, mode=mode)
    with pytest.raises(pkg.StreamInterruptedError) as caught:
        twin.stream()
    error = caught.value
    assert error.partial_text == "one two"
    assert (
        [str(piece) for piece in error.pieces] == ["one", " two"]
        if hasattr(error, "pieces")
        else True
    )
    assert error.usage is not None and error.usage.input_tokens > 0
    assert error.request_id
    assert error.model_id == SONNET_45
    assert len(emu.requests) == 1  # never retried after text was delivered
    assert isinstance(error.__cause__, pkg.BedrockClaudeError)


def test_a_legacy_stream_without_its_final_chunk_is_not_complete(twin, emu):
    emu.legacy_end_of_life = False  # the retired ids' wire is what is tested here
    emu.reply(["one", " two", " three"])
    emu.interrupt_stream(after_events=2, mode="early_end")
    with pytest.raises(pkg.StreamInterruptedError) as caught:
        twin.stream(model=LEGACY)
    assert caught.value.partial_text == "one two"


def test_breaking_out_of_a_stream_releases_the_connection_and_the_client_goes_on(twin, emu):
    emu.reply([f" w{i}" for i in range(200)], token_latency=0.001)
    stream, pieces = twin.stream(limit=2)
    # No gc.collect(): CPython drops the loop's iterator at once, and that alone must release.
    assert len(pieces) == 2
    assert stream._session._body is None  # released
    emu.reply("next answer")
    assert twin.create().completion == "next answer"


def test_closing_a_stream_releases_its_connection(emu):
    client = AnthropicBedrock(region="us-east-1", endpoint_url=emu.endpoint_url, **CREDENTIALS)
    with client.Completion.create(model=SONNET_45, prompt="hi", stream=True) as stream:
        first = next(iter(stream))
    assert str(first)
    assert stream._session._body is None
    client.close()


def test_a_hung_server_raises_a_timeout_within_the_timeout(make_twin, emu):
    for kind in ("sync", "async"):
        twin = make_twin(kind, timeout=0.5)
        emu.hang(timeout=5)
        started = time.monotonic()
        with pytest.raises(pkg.RequestTimeoutError):
            twin.create()
        assert time.monotonic() - started < 2.5


def test_no_credentials_is_a_clear_error_and_nothing_is_sent(emu):
    client = AnthropicBedrock(region="us-east-1", endpoint_url=emu.endpoint_url)
    with pytest.raises(pkg.CredentialsError, match="No AWS credentials found"):
        client.Completion.create(model=SONNET_45, prompt="hi")
    assert emu.requests == []


def test_no_region_is_a_clear_error(emu):
    client = AnthropicBedrock(endpoint_url=emu.endpoint_url, **CREDENTIALS)
    with pytest.raises(pkg.CredentialsError, match="No AWS region"):
        client.Completion.create(model=SONNET_45, prompt="hi")


def test_profile_credentials_and_endpoint_from_the_environment(emu, tmp_path, monkeypatch):
    (tmp_path / "credentials").write_text(
        "[dev]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n"
    )
    (tmp_path / "config").write_text("[profile dev]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emu.endpoint_url)
    client = AnthropicBedrock(profile="dev")
    assert client.Completion.create(model=SONNET_45, prompt="hi").completion
    authorization = emu.requests[-1].headers["authorization"]
    assert "Credential=AKIDPROFILE/" in authorization and "/eu-west-1/bedrock/" in authorization


def test_a_ready_boto3_client_is_used_as_given(emu):
    runtime = boto3.Session().client(
        "bedrock-runtime",
        region_name="ap-southeast-2",
        endpoint_url=emu.endpoint_url,
        aws_access_key_id="AKIDREADY",
        aws_secret_access_key="secret",
    )
    client = AnthropicBedrock(client=runtime)
    assert client.Completion.create(model=SONNET_45, prompt="hi").completion
    assert "Credential=AKIDREADY/" in emu.requests[-1].headers["authorization"]
    runtime.close()
