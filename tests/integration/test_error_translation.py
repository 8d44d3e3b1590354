"""What a user sees when Bedrock (or something in front of it) answers badly: the emulator on
loopback sends the answers, both twins read them."""

from __future__ import annotations

import pytest
from langchain_core import exceptions as core

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import RetryPolicy
from langchain_bedrock_claude.testing import BedrockEmulator

from ..exposure import everything_shown
from .conftest import CREDENTIALS, SONNET_45

HTML = {"Content-Type": "text/html"}
JSON = {"Content-Type": "application/json", "x-amzn-RequestId": "rid-raw"}

# Answers whose error type is unknown or absent: the HTTP status decides, so each is retried
# like the known codes and raised as the class of its status.
UNKNOWN_TYPE = {
    "500 InternalError": (
        lambda emu, n: emu.fail_next("InternalError", 500, "boom", times=n),
        pkg.ServiceError,
    ),
    "429 TooManyRequestsException": (
        lambda emu, n: emu.fail_next("TooManyRequestsException", 429, "slow down", times=n),
        pkg.ThrottlingError,
    ),
    "502 proxy HTML page": (
        lambda emu, n: emu.reply_raw(502, HTML, b"<html>502 Bad Gateway</html>", times=n),
        pkg.ServiceError,
    ),
    "503 without an error type": (
        lambda emu, n: emu.reply_raw(503, JSON, b'{"message": "down"}', times=n),
        pkg.ServiceUnavailableError,
    ),
    "504 proxy HTML page": (
        lambda emu, n: emu.reply_raw(504, HTML, b"<html>Gateway Timeout</html>", times=n),
        pkg.ServiceError,
    ),
}


@pytest.mark.parametrize("case", list(UNKNOWN_TYPE))
def test_an_unknown_or_absent_error_type_is_retried_by_its_status(twin, emu, case):
    fail, _ = UNKNOWN_TYPE[case]
    fail(emu, 2)
    completion = twin.create(prompt="Hi")
    assert completion.completion
    assert len(emu.requests) == 3


@pytest.mark.parametrize("case", list(UNKNOWN_TYPE))
def test_an_unknown_or_absent_error_type_is_raised_as_the_class_of_its_status(twin, emu, case):
    fail, cls = UNKNOWN_TYPE[case]
    fail(emu, 3)
    with pytest.raises(pkg.APIStatusError) as caught:
        twin.create(prompt="Hi")
    assert type(caught.value) is cls
    assert caught.value.model_id == SONNET_45
    assert len(emu.requests) == 3  # max_retries=2: three requests, then the error


def test_a_stream_is_retried_by_status_too(twin, emu):
    emu.reply_raw(502, HTML, b"<html>502 Bad Gateway</html>", times=2)
    _, pieces = twin.stream(prompt="Hi")
    assert "".join(piece.completion for piece in pieces)
    assert len(emu.requests) == 3


@pytest.mark.parametrize(
    "body",
    [b"<html><body>Sign in to the corporate proxy</body></html>", b"[]", b'{"content": "text"}'],
    ids=["html", "list", "content-string"],
)
def test_a_malformed_200_body_is_a_typed_error_with_the_request_id(twin, emu, body):
    emu.reply_raw(200, JSON, body)
    with pytest.raises(pkg.BedrockClaudeError) as caught:  # not a raw JSONDecodeError
        twin.create(prompt="Hi")
    error = caught.value
    assert type(error).__name__ == "MalformedResponseError"
    assert (error.request_id, error.model_id, error.status_code) == ("rid-raw", SONNET_45, 200)
    assert "request_id=rid-raw" in str(error)
    assert len(emu.requests) == 1  # a 200: the model may have run, so it is not sent again


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_errors_while_building_the_client_carry_the_model_id(make_twin, kind, stream):
    twin = make_twin(kind, region=None)  # the test environment has no AWS_REGION
    with pytest.raises(pkg.CredentialsError) as caught:
        twin.stream(prompt="Hi") if stream else twin.create(prompt="Hi")
    assert caught.value.model_id == SONNET_45
    assert "No AWS region configured" in str(caught.value)


SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEECHOEDTOKEN0123456789"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_secrets_a_server_echoes_never_reach_the_error(make_twin, emu: BedrockEmulator, kind):
    twin = make_twin(kind, session_token=SESSION_TOKEN)
    secret = CREDENTIALS["secret_key"]
    emu.fail_next(
        "UnrecognizedClientException",
        403,
        f"The security token {SESSION_TOKEN} signed with {secret} is invalid.",
    )
    with pytest.raises(pkg.AuthenticationError) as caught:
        twin.create(prompt="Hi")
    error = caught.value
    assert error.__cause__ is not None
    for text in everything_shown(error):
        assert SESSION_TOKEN not in text
        assert secret not in text
    assert "The security token <redacted> signed with <redacted> is invalid." in str(error)


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_reroute_to_the_inference_profile_is_not_a_retry(make_twin, emu, kind, stream):
    emu.require_inference_profile = True
    bare = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    twin = make_twin(kind, auto_inference_profile=True, retry_policy=RetryPolicy(max_retries=0))
    if stream:
        _, pieces = twin.stream(model=bare)
        assert pieces[-1].model_id == "us." + bare
    else:
        assert twin.create(model=bare).model_id == "us." + bare
    assert [request.model_id for request in emu.requests] == [bare, "us." + bare]


TOO_LONG = "The model returned the following errors: Input is too long for requested model."


def test_a_prompt_over_the_context_window_is_langchain_cores_context_overflow(twin, emu):
    emu.fail_next("ValidationException", 400, TOO_LONG)
    with pytest.raises(core.ContextOverflowError) as caught:
        twin.create(prompt="Hi")
    assert type(caught.value) is pkg.ContextOverflowError
    assert len(emu.requests) == 1


def test_the_llm_raises_langchain_cores_errors_for_middleware_to_catch(llm_factory, emu):
    llm = llm_factory(max_retries=0)
    emu.throttle()
    with pytest.raises(core.ModelRateLimitError) as caught:
        llm.invoke("Hi")
    assert caught.value.is_retryable
    emu.fail_next("ValidationException", 400, TOO_LONG)
    with pytest.raises(core.ContextOverflowError):
        llm.invoke("Hi")
