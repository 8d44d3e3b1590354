"""The guardrail layer without sockets: naming, checks, screening and the wire keys."""

from __future__ import annotations

import json
from typing import Any

import pytest

from langchain_bedrock_claude.testing import _wire
from langchain_bedrock_claude.testing._cache import PromptCache
from langchain_bedrock_claude.testing._catalog import resolve_model
from langchain_bedrock_claude.testing._completion import build_completion
from langchain_bedrock_claude.testing._errors import BedrockError
from langchain_bedrock_claude.testing._generate import Generation
from langchain_bedrock_claude.testing._guardrails import (
    GuardrailCall,
    GuardrailRegistry,
    bare_identifier,
    guardrail_call,
    make_guardrail,
    screen_input,
    screen_output,
)
from langchain_bedrock_claude.testing._request import EmulatedRequest, Headers
from langchain_bedrock_claude.testing._script import Reply
from langchain_bedrock_claude.testing._validation import parse_invocation

GUARD = make_guardrail("abc123", "DRAFT", ["moon base", "x"], "in blocked", "out blocked")


def registry() -> GuardrailRegistry:
    found = GuardrailRegistry()
    found.add(GUARD)
    return found


def headers(**named: str) -> Headers:
    names = {
        "identifier": "X-Amzn-Bedrock-GuardrailIdentifier",
        "version": "X-Amzn-Bedrock-GuardrailVersion",
        "trace": "X-Amzn-Bedrock-Trace",
    }
    return Headers([(names[key], value) for key, value in named.items()])


def call(trace: str = "DISABLED", mode: Any = "SYNCHRONOUS") -> GuardrailCall:
    return GuardrailCall(GUARD, trace, mode)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Build a Moon Base now", [(8, "Moon Base")]),
        ("moonbase", []),
        ("a moon base, x and y", [(2, "moon base"), (13, "x")]),
        ("xylophone", []),
    ],
)
def test_matches_whole_words_case_insensitively(text: str, found: list[Any]) -> None:
    assert GUARD.matches(text) == found


def test_identifiers_and_versions() -> None:
    arn = "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:guardrail/abc123"
    assert bare_identifier(arn) == "abc123" and bare_identifier("abc123") == "abc123"
    assert make_guardrail(arn, "12", [" ", "w"], "i", "o").blocked_words == ("w",)
    assert registry().get(arn, "DRAFT") is GUARD and registry().get("abc123", "1") is None
    for identifier, version in (("ABC", "DRAFT"), ("", "DRAFT"), ("a-b", "1"), ("ab", "01")):
        with pytest.raises(ValueError):
            make_guardrail(identifier, version, [], "i", "o")


def test_guardrail_call_reads_headers_and_config() -> None:
    assert guardrail_call(Headers(), {"messages": []}, registry()) is None
    named = guardrail_call(headers(identifier="abc123", version="DRAFT"), None, registry())
    assert named == GuardrailCall(GUARD, "DISABLED", "SYNCHRONOUS") and not named.traced
    body = {"amazon-bedrock-guardrailConfig": {"streamProcessingMode": "ASYNCHRONOUS"}}
    full = guardrail_call(
        headers(identifier="abc123", version="DRAFT", trace="ENABLED_FULL"), body, registry()
    )
    assert full is not None and full.stream_mode == "ASYNCHRONOUS" and full.traced


@pytest.mark.parametrize(
    ("named", "body", "message"),
    [
        ({"identifier": "abc123"}, None, "Guardrail version must be provided"),
        ({"identifier": "abc123", "version": "2"}, None, "does not exist"),
        ({"identifier": "nope", "version": "DRAFT"}, None, "does not exist"),
        ({"identifier": "a_b", "version": "DRAFT"}, None, "at 'guardrailIdentifier'"),
        ({"identifier": "abc123", "version": "v1"}, None, "at 'guardrailVersion'"),
        ({}, {"amazon-bedrock-guardrailConfig": {}}, "can only be specified"),
        (
            {"identifier": "abc123", "version": "DRAFT"},
            {"amazon-bedrock-guardrailConfig": "SYNCHRONOUS"},
            "expected type: JSONObject, found: String",
        ),
        (
            {"identifier": "abc123", "version": "DRAFT"},
            {"amazon-bedrock-guardrailConfig": {"mode": "x"}},
            "extraneous key [mode] is not permitted",
        ),
    ],
)
def test_guardrail_call_errors(named: dict[str, str], body: Any, message: str) -> None:
    with pytest.raises(BedrockError) as caught:
        guardrail_call(headers(**named), body, registry())
    assert (caught.value.status, caught.value.name) == (400, "ValidationException")
    assert message in caught.value.message


def test_screen_input() -> None:
    assert screen_input(call(), "fine") is None
    blocked = screen_input(call("ENABLED"), "moon base?")
    assert blocked is not None and blocked.generation.pieces == ("in blocked",)
    assert blocked.generation.output_tokens == 0 and not blocked.keep_thinking
    trace = blocked.outcome.trace
    assert trace is not None and set(trace["guardrail"]) == {"input", "actionReason"}
    assert blocked.outcome.fields()["amazon-bedrock-guardrailAction"] == "INTERVENED"


GENERATED = Generation(("We", " saw", " a", " moon", " base", "."), 6, "max_tokens", None)


@pytest.mark.parametrize(
    ("mode", "stream", "pieces", "keep_thinking"),
    [
        ("SYNCHRONOUS", True, ("out blocked",), False),
        ("ASYNCHRONOUS", False, ("out blocked",), False),  # InvokeModel checks it all first
        ("ASYNCHRONOUS", True, ("We", " saw", " a", "out blocked"), True),
    ],
)
def test_screen_output(
    mode: Any, stream: bool, pieces: tuple[str, ...], keep_thinking: bool
) -> None:
    screened = screen_output(call(mode=mode), "hi", GENERATED, stream=stream)
    assert screened.generation.pieces == pieces and screened.keep_thinking is keep_thinking
    assert screened.generation.output_tokens == 6
    assert screened.generation.stop_reason == "end_turn"
    assert screened.outcome.intervened and screened.outcome.trace is None


def test_screen_output_passes_clean_text_untouched() -> None:
    clean = Generation(("Fine",), 1, "end_turn", None)
    screened = screen_output(call("ENABLED"), "hi", clean, stream=True)
    assert screened.generation is clean and screened.outcome.action == "NONE"
    assert screened.outcome.trace is not None
    assert "actionReason" not in screened.outcome.trace["guardrail"]


def _completion(text: str, guard: GuardrailCall | None, reply: str = "ok") -> _wire.Completion:
    spec = resolve_model("anthropic.claude-3-haiku-20240307-v1:0", opaque_arn_model="")
    assert spec is not None
    raw = json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 50,
            "messages": [{"role": "user", "content": text}],
        }
    ).encode()
    request = EmulatedRequest("POST", "/", "invoke", spec.model_id, Headers(), raw)
    return build_completion(
        request,
        parse_invocation(spec.spec, request.json, empty=False),
        Reply(text=reply),
        cache=PromptCache(),
        cache_minimum=True,
        guardrail=guard,
    )


def test_wire_keys_come_last() -> None:
    body = json.loads(_wire.body(_completion("hi", call())))
    assert list(body)[-1] == "amazon-bedrock-guardrailAction" and body["usage"]["input_tokens"]
    blocked = json.loads(_wire.body(_completion("moon base", call("ENABLED"))))
    assert list(blocked)[-2:] == ["amazon-bedrock-guardrailAction", "amazon-bedrock-trace"]
    assert blocked["usage"] == {"input_tokens": 0, "output_tokens": 0}
    plain = _completion("moon base", None)
    assert "amazon-bedrock-guardrailAction" not in json.loads(_wire.body(plain))
    final = json.loads(_wire.final_event(_completion("x", call()), {"inputTokenCount": 0}))
    assert list(final) == [
        "type",
        "amazon-bedrock-invocationMetrics",
        "amazon-bedrock-guardrailAction",
    ]
