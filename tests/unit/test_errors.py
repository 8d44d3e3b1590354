import pickle
import re
from pathlib import Path

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    EventStreamError,
    NoCredentialsError,
    NoRegionError,
    ReadTimeoutError,
)
from urllib3.exceptions import ProtocolError

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import _errors
from langchain_bedrock_claude._retry import RetryPolicy, should_retry
from langchain_bedrock_claude._translate import error_from_exception, map_aws_errors


def client_error(code, message, status, request_id="req-1"):
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": status},
        },
        "InvokeModel",
    )


@pytest.mark.parametrize(
    ("code", "message", "status", "cls"),
    [
        (
            "ValidationException",
            "The provided model identifier is invalid.",
            400,
            pkg.ModelNotFoundError,
        ),
        (
            "ValidationException",
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
            400,
            pkg.ValidationError,
        ),
        (
            "AccessDeniedException",
            "You don't have access to the model with the specified model ID.",
            403,
            pkg.AccessDeniedError,
        ),
        (
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            403,
            pkg.AuthenticationError,
        ),
        (
            "ExpiredTokenException",
            "The security token included in the request is expired",
            403,
            pkg.AuthenticationError,
        ),
        (
            "InvalidSignatureException",
            "Signature expired: 20250325T235114Z is now earlier than 20250521T030314Z (20250521T030814Z - 5 min.)",
            403,
            pkg.AuthenticationError,
        ),
        (
            "ThrottlingException",
            "Too many requests, please wait before trying again.",
            429,
            pkg.ThrottlingError,
        ),
        (
            "throttlingException",
            "Too many requests, please wait before trying again.",
            None,
            pkg.ThrottlingError,
        ),
        (
            "ResourceNotFoundException",
            "This model version has reached the end of its life. Please refer to the AWS documentation for more details.",
            404,
            pkg.ModelRetiredError,
        ),
        ("ServiceUnavailableException", "Bedrock is unavailable", 503, pkg.ServiceUnavailableError),
        ("InternalServerException", "oops", 500, pkg.ServiceError),
        ("ModelNotReadyException", "not ready", 429, pkg.ModelNotReadyError),
        ("ModelTimeoutException", "slow", 408, pkg.ModelTimeoutError),
        (
            "modelStreamErrorException",
            "Bedrock is unable to process your request.",
            None,
            pkg.ModelError,
        ),
        ("ServiceQuotaExceededException", "quota", 400, pkg.QuotaExceededError),
        ("SomethingNewException", "new", 418, pkg.APIStatusError),
    ],
)
def test_aws_errors_map_to_typed_errors_with_facts_and_advice(code, message, status, cls):
    error = error_from_exception(
        client_error(code, message, status), model_id="anthropic.claude-v2"
    )
    assert type(error) is cls
    assert error.status_code == status
    assert error.request_id == "req-1"
    assert error.model_id == "anthropic.claude-v2"
    assert message in error.message
    text = str(error)
    assert "request_id=req-1" in text and "model=anthropic.claude-v2" in text


def test_retired_legacy_ids_name_a_current_replacement():
    error = error_from_exception(
        client_error(
            "ResourceNotFoundException", "This model version has reached the end of its life.", 404
        ),
        model_id="anthropic.claude-instant-v1",
    )
    assert isinstance(error, pkg.ModelRetiredError)
    assert error.replacement == "us.anthropic.claude-haiku-5-5"
    assert error.replacement in str(error)


def test_on_demand_error_names_the_inference_profile_for_the_region():
    message = (
        "Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput "
        "isn\u2019t supported. Retry your request with the ID or ARN of an inference profile that "
        "contains this model."
    )
    error = error_from_exception(
        client_error("ValidationException", message, 400),
        model_id="anthropic.claude-3-5-sonnet-20241022-v2:0",
        region="eu-west-1",
    )
    assert isinstance(error, pkg.OnDemandNotSupportedError)
    assert error.suggested_model_id == "eu.anthropic.claude-3-5-sonnet-20241022-v2:0"


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (NoCredentialsError(), pkg.CredentialsError),
        (NoRegionError(), pkg.CredentialsError),
        (EndpointConnectionError(endpoint_url="https://x"), pkg.APIConnectionError),
        (ConnectTimeoutError(endpoint_url="https://x"), pkg.RequestTimeoutError),
        (ReadTimeoutError(endpoint_url="https://x"), pkg.RequestTimeoutError),
        (ProtocolError("Connection broken"), pkg.APIConnectionError),
        (
            EventStreamError(
                {"Error": {"Code": "throttlingException", "Message": "slow"}},
                "InvokeModelWithResponseStream",
            ),
            pkg.ThrottlingError,
        ),
    ],
)
def test_sdk_and_network_errors_never_escape_raw(exc, cls):
    with pytest.raises(cls) as caught, map_aws_errors("m", request_id="r-9"):
        raise exc
    assert caught.value.__cause__ is exc
    assert caught.value.request_id == "r-9"
    assert caught.value.model_id == "m"


def test_foreign_errors_pass_through_untouched():
    with pytest.raises(KeyError), map_aws_errors("m"):
        raise KeyError("x")


def test_errors_pickle_with_their_facts():
    error = pkg.StreamInterruptedError("broke", partial_text="abc", model_id="m", request_id="r")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.partial_text, copy.model_id, copy.request_id, str(copy)) == (
        "abc",
        "m",
        "r",
        str(error),
    )


def test_secret_looking_text_in_aws_messages_is_redacted():
    message = (
        "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, Signature=abc123def"
    )
    error = error_from_exception(
        client_error("IncompleteSignatureException", message, 403), model_id="m"
    )
    assert "AKIDEXAMPLE" not in str(error)
    assert "abc123def" not in str(error)


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (pkg.ThrottlingError("x"), True),
        (pkg.ModelNotReadyError("x"), True),
        (pkg.ServiceError("x"), True),
        (pkg.ServiceUnavailableError("x"), True),
        (pkg.APIConnectionError("x"), True),
        (pkg.RequestTimeoutError("x"), False),
        (pkg.ValidationError("x"), False),
        (pkg.AccessDeniedError("x"), False),
        (pkg.ModelNotFoundError("x"), False),
        (pkg.ModelTimeoutError("x"), False),
        (pkg.AuthenticationError("x"), False),
        (pkg.StreamInterruptedError("x"), False),
    ],
)
def test_which_errors_are_retried(error, retried):
    assert should_retry(error) is retried
    assert error.is_retryable is retried  # what langchain-core's middleware reads


def test_backoff_is_exponential_with_jitter_and_capped_and_counts_retries():
    low = RetryPolicy(max_retries=10, initial_delay=1.0, max_delay=5.0, jitter=lambda: 0.0)
    high = RetryPolicy(max_retries=10, initial_delay=1.0, max_delay=5.0, jitter=lambda: 1.0)
    error = pkg.ThrottlingError("x")
    assert [low.delay(error, n) for n in range(4)] == [0.5, 1.0, 2.0, 2.5]
    assert [high.delay(error, n) for n in range(4)] == [1.0, 2.0, 4.0, 5.0]
    assert RetryPolicy(max_retries=2).delay(error, 2) is None
    assert RetryPolicy(max_retries=0).delay(error, 0) is None


def test_backoff_defaults():
    policy = RetryPolicy()
    assert (policy.max_retries, policy.initial_delay, policy.max_delay) == (2, 0.5, 8.0)
    full = RetryPolicy(max_retries=10, jitter=lambda: 1.0)
    error = pkg.ThrottlingError("x")
    assert [full.delay(error, n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"initial_delay": -1}, "'initial_delay' must be a finite number of seconds of at least 0"),
        ({"initial_delay": float("nan")}, "'initial_delay' must be a finite number"),
        ({"initial_delay": float("inf")}, "'initial_delay' must be a finite number"),
        ({"max_delay": float("nan")}, "'max_delay' must be a finite number"),
        ({"max_delay": -0.5}, "'max_delay' must be a finite number"),
        ({"max_delay": "8"}, "'max_delay' must be a finite number"),
        ({"max_retries": -1}, "'max_retries' must be an integer of at least 0 (got -1)"),
        ({"max_retries": float("inf")}, "'max_retries' must be an integer of at least 0"),
        ({"max_retries": True}, "'max_retries' must be an integer of at least 0"),
        ({"jitter": 0.5}, "'jitter' must be a callable"),
    ],
)
def test_retry_policy_values_are_checked_when_it_is_made(kwargs, message):
    with pytest.raises(pkg.InvalidParameterError) as caught:
        RetryPolicy(**kwargs)
    assert message in str(caught.value)


def test_the_readme_draws_the_same_error_tree_as_the_module():
    tree = _errors.__doc__.split("```\n", 1)[1].split("```", 1)[0]
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"```\n{tree}```" in readme.split("## Errors", 1)[1]
    drawn = {re.search(r"\w+Error", line)[0] for line in tree.splitlines()}
    assert drawn == {name for name in _errors.__all__ if name.endswith("Error")}
