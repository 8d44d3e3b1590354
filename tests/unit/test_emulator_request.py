"""What the emulator records of a request's authentication and metadata, and its API-key check."""

from __future__ import annotations

import json

import pytest

from langchain_bedrock_claude.testing._errors import BedrockError
from langchain_bedrock_claude.testing._request import EmulatedRequest, Headers
from langchain_bedrock_claude.testing._validation import check_auth, check_invoke_headers

SIGV4 = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


def request(*headers: tuple[str, str], body: bytes = b"") -> EmulatedRequest:
    return EmulatedRequest("POST", "/model/m/invoke", "invoke", "m", Headers(headers), body)


@pytest.mark.parametrize(
    ("authorization", "scheme", "token"),
    [
        (SIGV4, "sigv4", None),
        ("Bearer  abc-123 ", "bearer", "abc-123"),
        ("Basic dXNlcg==", None, None),
        (None, None, None),
    ],
)
def test_auth_scheme(authorization: str | None, scheme: str | None, token: str | None) -> None:
    headers = [("Authorization", authorization)] if authorization is not None else []
    sent = request(*headers)
    assert (sent.auth_scheme, sent.bearer_token) == (scheme, token)


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ('{"team":"a","env":"b"}', {"team": "a", "env": "b"}),
        ("not json", None),
        ('["a"]', None),
        ('{"n": 1}', None),
    ],
)
def test_request_metadata(header: str, parsed: dict[str, str] | None) -> None:
    sent = request(("X-Amzn-Bedrock-Request-Metadata", header))
    assert sent.request_metadata == parsed and sent.request_metadata_header == header
    assert request().request_metadata is None


def test_guardrail_config_property() -> None:
    config = {"streamProcessingMode": "ASYNCHRONOUS"}
    body = json.dumps({"amazon-bedrock-guardrailConfig": config}).encode()
    assert request(body=body).guardrail_config == config
    assert request(body=b'{"amazon-bedrock-guardrailConfig": 1}').guardrail_config is None


def test_api_keys() -> None:
    check_auth({"authorization": "Bearer anything"})
    check_auth({"authorization": "Bearer k1"}, api_keys={"k1"})
    check_auth({"authorization": SIGV4, "x-amz-date": "20250101T000000Z"}, api_keys=set())
    with pytest.raises(BedrockError) as caught:
        check_auth({"authorization": "Bearer k2"}, api_keys={"k1"})
    error = caught.value
    assert (error.status, error.name) == (403, "AccessDeniedException")
    assert (
        error.body
        == b'{"Message":"Authentication failed: Please make sure your API Key is valid."}'
    )
    assert error.error_type.endswith("/com.amazon.coral.service/")


def test_request_metadata_length_limit() -> None:
    check_invoke_headers({"x-amzn-bedrock-request-metadata": json.dumps({"k": "v" * 256})})
    too_long = json.dumps({f"k{i:02}": "v" * 250 for i in range(40)})
    assert len(too_long) > 8500
    with pytest.raises(BedrockError, match="length less than or equal to 8500"):
        check_invoke_headers({"x-amzn-bedrock-request-metadata": too_long})
