"""Foreign errors -> ours: the code table, the status fallback, the exception table, redaction."""

import subprocess
import sys

import botocore.session
import pytest
from botocore.eventstream import ChecksumMismatch
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    InvalidRegionError,
    ProfileNotFound,
    ReadTimeoutError,
)
from langchain_core import exceptions as core
from urllib3.exceptions import NewConnectionError, ProtocolError

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import _translate
from langchain_bedrock_claude._model_rules import replacement_for
from langchain_bedrock_claude._redact import register_secret
from langchain_bedrock_claude._regions import with_geo_of
from langchain_bedrock_claude._retry import should_retry
from langchain_bedrock_claude._translate import error_from_exception, map_aws_errors

from ..exposure import everything_shown

# Every code _translate knows, and the class it must become (whatever the HTTP status).
CODE_TO_CLASS = {
    "AccessDeniedException": pkg.AccessDeniedError,
    "UnrecognizedClientException": pkg.AuthenticationError,
    "InvalidSignatureException": pkg.AuthenticationError,
    "IncompleteSignatureException": pkg.AuthenticationError,
    "MissingAuthenticationTokenException": pkg.AuthenticationError,
    "ExpiredTokenException": pkg.AuthenticationError,
    "InvalidClientTokenId": pkg.AuthenticationError,
    "ValidationException": pkg.ValidationError,
    "TooManyTagsException": pkg.ValidationError,
    "ResourceNotFoundException": pkg.ModelNotFoundError,
    "ThrottlingException": pkg.ThrottlingError,
    "ServiceQuotaExceededException": pkg.QuotaExceededError,
    "ModelNotReadyException": pkg.ModelNotReadyError,
    "ModelTimeoutException": pkg.ModelTimeoutError,
    "ModelErrorException": pkg.ModelError,
    "ModelStreamErrorException": pkg.ModelError,
    "ConflictException": pkg.ConflictError,
    "ResourceInUseException": pkg.ConflictError,
    "InternalServerException": pkg.ServiceError,
    "InternalFailure": pkg.ServiceError,
    "ServiceUnavailableException": pkg.ServiceUnavailableError,
    "ServiceUnavailable": pkg.ServiceUnavailableError,
}


def client_error(code, message="x", status=None, request_id="req-1"):
    metadata = {"RequestId": request_id}
    if status is not None:
        metadata["HTTPStatusCode"] = status
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": metadata}, "InvokeModel"
    )


def modelled_errors(service):
    """(code as sent, HTTP status) of every error botocore's model for ``service`` declares."""
    model = botocore.session.get_session().get_service_model(service)
    errors = {
        (shape.name, shape.metadata.get("error", {}).get("httpStatusCode"))
        for shape in model.error_shapes
    }
    for name in model.operation_names:  # stream frames spell their codes lowerCamelCase
        operation = model.operation_model(name)
        if operation.has_event_stream_output:
            for member, shape in operation.get_event_stream_output().members.items():
                if shape.metadata.get("exception"):
                    errors.add((member, shape.metadata.get("error", {}).get("httpStatusCode")))
    return errors


@pytest.mark.parametrize(
    ("service", "some_codes"),
    [
        ("bedrock-runtime", {"ThrottlingException", "modelStreamErrorException"}),
        ("bedrock", {"ThrottlingException", "ResourceInUseException"}),  # the control plane
    ],
)
def test_every_error_in_botocores_service_models_maps_to_its_pinned_class(service, some_codes):
    errors = modelled_errors(service)
    assert some_codes <= {code for code, _ in errors}  # the walk finds shapes and stream frames
    for code, status in sorted(errors):
        normalized = code[:1].upper() + code[1:]
        assert normalized in CODE_TO_CLASS, f"{service}: {code} has no row in _translate._CODES"
        for sent_status in (status, None):  # the code decides, not the status fallback
            error = error_from_exception(client_error(code, status=sent_status), model_id="m")
            assert type(error) is CODE_TO_CLASS[normalized], code
            assert error.error_code == code


def test_the_code_table_is_exactly_the_pinned_mapping():
    assert {code: row[0] for code, row in _translate._CODES.items()} == CODE_TO_CLASS


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("InternalError", 500, pkg.ServiceError),
        ("", 500, pkg.ServiceError),
        ("502", 502, pkg.ServiceError),
        ("", 503, pkg.ServiceUnavailableError),
        ("GatewayTimeout", 504, pkg.ServiceError),
        ("", 599, pkg.ServiceError),
        ("TooManyRequestsException", 429, pkg.ThrottlingError),
        ("", 400, pkg.ValidationError),
        ("NotAuthorized", 401, pkg.AuthenticationError),
        ("Forbidden", 403, pkg.AccessDeniedError),
        ("", 404, pkg.ModelNotFoundError),
        ("", 408, pkg.ModelTimeoutError),
        ("", 409, pkg.ConflictError),
        ("", 424, pkg.ModelError),
        ("SomethingNewException", 418, pkg.APIStatusError),
        ("SomethingNewException", None, pkg.APIStatusError),
        ("ThrottlingException", 400, pkg.ThrottlingError),  # a known code wins
    ],
)
def test_an_unknown_code_falls_back_on_the_http_status(code, status, cls):
    error = error_from_exception(client_error(code, "down", status), model_id="m")
    assert type(error) is cls
    assert (error.status_code, error.request_id, error.model_id) == (status, "req-1", "m")
    assert error.error_code == (code or None)


@pytest.mark.parametrize(
    ("status", "retried"), [(429, True), (500, True), (502, True), (503, True), (504, True)]
)
def test_status_fallback_errors_are_retried_like_the_known_codes(status, retried):
    error = error_from_exception(client_error("Unknown", "x", status), model_id="m")
    assert should_retry(error) is retried


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        # urllib3 2 makes NewConnectionError a ConnectTimeoutError: the more specific row wins.
        (NewConnectionError(None, "refused"), pkg.APIConnectionError),
        (ReadTimeoutError(endpoint_url="https://x"), pkg.RequestTimeoutError),
        (ConnectionClosedError(endpoint_url="https://x"), pkg.APIConnectionError),
        (EndpointConnectionError(endpoint_url="https://x"), pkg.APIConnectionError),
        (ProtocolError("Connection broken"), pkg.APIConnectionError),
        (ConnectionResetError("reset by peer"), pkg.APIConnectionError),
        (ChecksumMismatch(1, 2), pkg.APIConnectionError),
        (ProfileNotFound(profile="nope"), pkg.CredentialsError),
        (InvalidRegionError(region_name="x y"), pkg.BedrockClaudeError),
    ],
)
def test_foreign_exceptions_map_by_their_most_specific_type(exc, cls):
    with pytest.raises(pkg.BedrockClaudeError) as caught, map_aws_errors("m", request_id="r-1"):
        raise exc
    assert type(caught.value) is cls
    assert caught.value.__cause__ is exc
    assert (caught.value.model_id, caught.value.request_id) == ("m", "r-1")


def test_our_errors_pass_through_and_never_become_their_own_cause():
    error = pkg.ThrottlingError("slow", request_id="r-1")
    with pytest.raises(pkg.ThrottlingError) as caught, map_aws_errors("m"):
        raise error
    assert caught.value is error
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    "message",
    [
        # recordings/pydantic-ai/test_context_window_exceeded[bedrock_claude].yaml
        "The model returned the following errors: Input is too long for requested model.",
        # github.com/daisuke-awaji/moca/issues/254
        "The model returned the following errors: prompt is too long: 200049 tokens > 200000 "
        "maximum",
    ],
)
def test_input_too_long_is_a_context_overflow_error(message):
    error = error_from_exception(client_error("ValidationException", message, 400), model_id="m")
    assert type(error) is pkg.ContextOverflowError
    assert isinstance(error, pkg.ValidationError)
    assert isinstance(error, core.ContextOverflowError)
    assert message in str(error)


@pytest.mark.parametrize(
    ("region", "geo"),
    [
        ("eu-west-1", "eu"),
        ("ap-northeast-1", "jp"),
        ("ap-southeast-2", "au"),
        ("ap-south-1", "apac"),
        ("us-west-2", "us"),
    ],
)
def test_a_retired_models_replacement_uses_the_callers_geography(region, geo):
    model = "anthropic.claude-instant-v1"
    error = error_from_exception(
        client_error(
            "ResourceNotFoundException", "This model version has reached the end of its life."
        ),
        model_id=model,
        region=region,
    )
    assert isinstance(error, pkg.ModelRetiredError)
    expected = f"{geo}.{replacement_for(model).split('.', 1)[1]}"
    assert error.replacement == expected
    assert repr(expected) in str(error)


@pytest.mark.parametrize(
    ("model_id", "region", "expected"),
    [
        ("eu.anthropic.claude-3-haiku-20240307-v1:0", "us-east-1", "eu.anthropic.x"),
        ("anthropic.claude-v2", "ap-northeast-3", "jp.anthropic.x"),
        ("anthropic.claude-v2", None, "us.anthropic.x"),
        ("anthropic.claude-v2", "mars-north-1", "us.anthropic.x"),
    ],
)
def test_a_profile_moves_to_the_geography_of_the_callers_id_else_region(model_id, region, expected):
    assert with_geo_of("us.anthropic.x", model_id, region) == expected


SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENVALUE"
API_KEY = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleS0xMjM0NTY3ODkw"


def test_secrets_echoed_in_aws_messages_never_reach_str_repr_pickle_or_traceback():
    register_secret(SESSION_TOKEN)  # as building a client with this session token does
    message = f"The security token {SESSION_TOKEN} is invalid (key {API_KEY})"
    original = client_error("UnrecognizedClientException", message, 403)
    with pytest.raises(pkg.AuthenticationError) as caught, map_aws_errors("m"):
        raise original
    error = caught.value
    assert error.__cause__ is original
    for text in everything_shown(error):
        assert SESSION_TOKEN not in text
        assert API_KEY not in text
    assert "The security token <redacted> is invalid" in str(error)


def test_secrets_in_the_error_a_foreign_one_was_raised_while_handling_are_redacted_too():
    # A traceback prints the whole chain: __cause__ ("raise ... from") and __context__ (raised
    # while handling another, without "from").
    with pytest.raises(pkg.APIConnectionError) as caught, map_aws_errors("m"):
        try:
            raise OSError(f"Authorization: Bearer {API_KEY}")
        except OSError:
            raise ProtocolError("Connection broken")  # noqa: B904 (the context is the point)
    assert isinstance(caught.value.__cause__.__context__, OSError)
    for text in everything_shown(caught.value):
        assert API_KEY not in text


def test_a_message_we_build_from_foreign_text_is_redacted_too():
    error = pkg.APIConnectionError(f"broke ({ProtocolError(f'Bearer {API_KEY}')!r})")
    assert API_KEY not in str(error)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (pkg.ThrottlingError, core.ModelRateLimitError),
        (pkg.QuotaExceededError, core.ModelRateLimitError),
        (pkg.AuthenticationError, core.ModelAuthenticationError),
        (pkg.CredentialsError, core.ModelAuthenticationError),
        (pkg.AccessDeniedError, core.ModelPermissionDeniedError),
        (pkg.ValidationError, core.ModelInvalidRequestError),
        (pkg.OnDemandNotSupportedError, core.ModelInvalidRequestError),
        (pkg.ContextOverflowError, core.ContextOverflowError),
        (pkg.ModelNotFoundError, core.ModelNotFoundError),
        (pkg.ModelRetiredError, core.ModelNotFoundError),
        (pkg.ServiceError, core.ModelAPIError),
        (pkg.ServiceUnavailableError, core.ModelAPIError),
        (pkg.ModelNotReadyError, core.ModelAPIError),
        (pkg.ModelError, core.ModelAPIError),
        (pkg.APIConnectionError, core.ModelConnectionError),
        (pkg.RequestTimeoutError, core.ModelTimeoutError),
        (pkg.RequestTimeoutError, core.ModelConnectionError),
        (pkg.ModelTimeoutError, core.ModelTimeoutError),
        (pkg.StreamInterruptedError, core.ModelConnectionError),
        (pkg.APIStatusError, core.ModelError),
        (pkg.ConflictError, core.ModelError),
        (pkg.MalformedResponseError, core.ModelError),
    ],
)
def test_our_errors_are_langchain_cores_errors(ours, theirs):
    error = ours("x", request_id="r-1")
    assert isinstance(error, theirs)
    assert error.request_id == "r-1"


def test_parameter_errors_stay_value_errors_and_outside_langchain_cores_model_errors():
    error = pkg.InvalidParameterError("x")
    assert isinstance(error, ValueError)
    assert not isinstance(error, core.ModelError)


def test_an_older_langchain_core_without_the_model_errors_still_gives_the_whole_tree():
    code = (
        "import sys, types, langchain_core\n"
        "old = types.ModuleType('langchain_core.exceptions')\n"
        "class LangChainException(Exception): pass\n"
        "old.LangChainException = LangChainException\n"
        "sys.modules['langchain_core.exceptions'] = langchain_core.exceptions = old\n"
        "import pickle\n"
        "from langchain_bedrock_claude import _errors as e\n"
        "error = pickle.loads(pickle.dumps(e.RequestTimeoutError('slow', request_id='r')))\n"
        "print(type(error).__name__, isinstance(error, TimeoutError), error.is_retryable,\n"
        "      issubclass(e.ServiceUnavailableError, e.ServiceError), str(error))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "RequestTimeoutError True False True slow [request_id=r]"


def test_a_secret_of_the_shortest_length_kept_is_redacted_and_a_shorter_one_is_not() -> None:
    from langchain_bedrock_claude._redact import MIN_SECRET_LENGTH, redact

    shortest = "Q7v!" * (MIN_SECRET_LENGTH // 4)  # exactly MIN_SECRET_LENGTH characters
    shorter = "Zx9?" * (MIN_SECRET_LENGTH // 4 - 1)  # too short to tell from ordinary text
    assert len(shortest) == MIN_SECRET_LENGTH
    register_secret(shortest)
    register_secret(shorter)
    assert shortest not in redact(f"signed with {shortest}")
    assert shorter in redact(f"signed with {shorter}")
