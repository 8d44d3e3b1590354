"""Request validation: statuses, error names, namespaces and texts."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from langchain_bedrock_claude.testing._catalog import resolve_model
from langchain_bedrock_claude.testing._errors import BedrockError, make_error
from langchain_bedrock_claude.testing._request import load_json
from langchain_bedrock_claude.testing._validation import (
    check_auth,
    check_invoke_headers,
    count_tokens,
    parse_invocation,
)

SIGV4 = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


def spec(model_id: str):  # type: ignore[no-untyped-def]
    resolved = resolve_model(model_id, opaque_arn_model="anthropic.claude-3-haiku-20240307-v1:0")
    assert resolved is not None
    return resolved


def body(**fields: Any) -> bytes:
    base: dict[str, Any] = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 2000,
        "messages": [{"role": "user", "content": "hi"}],
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None}).encode()


def parse_raw(model_spec: Any, raw: bytes) -> Any:
    """``parse_invocation`` on a raw body, parsed as the emulator parses it."""
    return parse_invocation(model_spec, load_json(raw), empty=not raw)


def error(call: Any, *args: Any) -> BedrockError:
    with pytest.raises(BedrockError) as excinfo:
        call(*args)
    return excinfo.value


def test_auth_accepts_sigv4_and_bearer() -> None:
    check_auth({"authorization": SIGV4, "x-amz-date": "20250101T000000Z"})
    check_auth({"authorization": "Bearer ABSKQmVkcm9ja0FQSUtleQ=="})


@pytest.mark.parametrize(
    ("headers", "name", "start"),
    [
        ({}, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        (
            {"authorization": "  "},
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ),
        (
            {"authorization": "AWS4-HMAC-SHA256 test-api-key", "x-amz-date": "x"},
            "IncompleteSignatureException",
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
            "Authorization=AWS4-HMAC-SHA256 test-api-key",
        ),
        (
            {"authorization": SIGV4},
            "IncompleteSignatureException",
            "Authorization header requires existence",
        ),
        (
            {"authorization": "Bearer", "x-amz-date": "x"},
            "IncompleteSignatureException",
            "Authorization header",
        ),
    ],
)
def test_auth_errors(headers: dict[str, str], name: str, start: str) -> None:
    failure = error(check_auth, headers)
    assert (failure.status, failure.name) == (403, name)
    assert failure.message.startswith(start)
    assert (
        failure.error_type == f"{name}:http://internal.amazon.com/coral/com.amazon.coral.service/"
    )


def test_header_enums() -> None:
    check_invoke_headers(
        {"x-amzn-bedrock-service-tier": "flex", "x-amzn-bedrock-trace": "ENABLED_FULL"}
    )
    failure = error(check_invoke_headers, {"x-amzn-bedrock-performanceconfig-latency": "fast"})
    assert failure.message == (
        "1 validation error detected: Value 'fast' at 'performanceConfigLatency' failed to satisfy "
        "constraint: Member must satisfy enum value set: [standard, optimized]"
    )


@pytest.mark.parametrize(
    ("model_id", "raw", "message"),
    [
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            b"",
            "Malformed input request: #: expected type: JSONObject, found: null, please reformat your input and try again.",
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            body(anthropic_version=None),
            'Malformed input request: #: subject must not be valid against schema {"required":["messages"]}#: required key [anthropic_version] not found, please reformat your input and try again.',
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            body(anthropic_version="v1"),
            'Malformed input request: #: subject must not be valid against schema {"required":["messages"]}#/anthropic_version: v1 is not a valid enum value, please reformat your input and try again.',
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            body(max_tokens="5", model="x"),
            'Malformed input request: #: subject must not be valid against schema {"required":["messages"]}#: extraneous key [model] is not permitted#/max_tokens: expected type: Integer, found: String, please reformat your input and try again.',
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            body(max_tokens=0),
            "Malformed input request: 0 is not greater or equal to 1, please reformat your input and try again.",
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            body(top_k=501),
            "Malformed input request: 501 is not less or equal to 500, please reformat your input and try again.",
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            body(messages=[]),
            "messages: at least one message is required",
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            body(messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}]),
            "messages: text content blocks must be non-empty",
        ),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            body(thinking={"type": "enabled", "budget_tokens": 100}),
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
        ),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            body(max_tokens=1500, thinking={"type": "enabled", "budget_tokens": 1500}),
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
        ),
        (
            "anthropic.claude-sonnet-4-20250514-v1:0",
            body(tools=[{"type": "web_search_20250305", "name": "web_search"}]),
            "tools.0: Input tag 'web_search_20250305' found using 'type' does not match any of the expected tags: 'bash_20250124', 'custom', 'text_editor_20250124', 'text_editor_20250429', 'text_editor_20250728'",
        ),
        (
            "anthropic.claude-v2",
            json.dumps({"prompt": "x"}).encode(),
            "Malformed input request: #: required key [max_tokens_to_sample] not found, please reformat your input and try again.",
        ),
        (
            "anthropic.claude-v2",
            json.dumps({"prompt": "x", "max_tokens_to_sample": 5, "top_p": 2}).encode(),
            "Malformed input request: 2 is not less or equal to 1, please reformat your input and try again.",
        ),
    ],
)
def test_body_errors(model_id: str, raw: bytes, message: str) -> None:
    failure = error(parse_raw, spec(model_id).spec, raw)
    assert (failure.status, failure.name, failure.message) == (400, "ValidationException", message)
    assert failure.body == json.dumps({"message": message}, separators=(",", ":")).encode()


def test_valid_bodies() -> None:
    legacy = parse_raw(
        spec("anthropic.claude-v2").spec,
        json.dumps({"prompt": "x", "max_tokens_to_sample": 8191, "stop_sequences": ["a"]}).encode(),
    )
    assert (legacy.api, legacy.max_tokens, legacy.stop_sequences) == (
        "text_completions",
        8191,
        ("a",),
    )
    thinking = parse_raw(
        spec("anthropic.claude-sonnet-4-20250514-v1:0").spec,
        body(thinking={"type": "enabled", "budget_tokens": 1024}),
    )
    assert (thinking.api, thinking.thinking_budget) == ("messages", 1024)
    parse_raw(
        spec("anthropic.claude-3-haiku-20240307-v1:0").spec,
        body(
            messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": ""}],
            anthropic_version="2026-10-21",
        ),
    )


def test_count_tokens_shapes() -> None:
    sonnet = spec("anthropic.claude-sonnet-4-20250514-v1:0")
    encoded = base64.b64encode(body()).decode()
    assert (
        count_tokens(sonnet, json.dumps({"input": {"invokeModel": {"body": encoded}}}).encode()) > 0
    )
    assert (
        count_tokens(
            sonnet,
            json.dumps(
                {
                    "input": {
                        "converse": {"messages": [{"role": "user", "content": [{"text": "Hello"}]}]}
                    }
                }
            ).encode(),
        )
        > 0
    )
    assert "Member must not be null" in error(count_tokens, sonnet, b"{}").message
    assert (
        "not valid base64"
        in error(count_tokens, sonnet, b'{"input":{"invokeModel":{"body":"%%%"}}}').message
    )
    for unsupported in (
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "anthropic.claude-v2:1",
    ):
        assert (
            error(count_tokens, spec(unsupported), b"{}").message
            == "The provided model doesn't support counting tokens."
        )


def test_make_error_defaults() -> None:
    assert make_error("ThrottlingException").status == 429
    assert make_error("ModelNotReadyException").status == 429
    assert make_error("ExpiredTokenException").namespace == "com.amazon.coral.service"
    assert make_error("SomethingNew").status == 400
    assert make_error("ServiceUnavailableException", status=500, message="m").status == 500
