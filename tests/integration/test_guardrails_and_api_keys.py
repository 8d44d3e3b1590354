"""Guardrails and Bedrock API keys, end to end against the emulator (HTTPS for bearer tokens)."""

from __future__ import annotations

import logging

import pytest

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import AnthropicBedrock, BedrockClaude
from langchain_bedrock_claude.testing import BedrockEmulator

from .conftest import SONNET_45, Twin

GUARDRAIL = {"guardrail_identifier": "gr7x2k9a1b", "guardrail_version": "1"}
API_KEY = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleS0xMjM0NTY3ODkw"


@pytest.fixture
def guarded(emu):
    emu.add_guardrail(
        "gr7x2k9a1b",
        "1",
        blocked_words=["password"],
        blocked_input_message="Sorry, I can't help with that.",
    )
    return emu


def test_guardrail_parameters_reach_bedrock(twin, guarded):
    result = twin.create(
        prompt="What is the capital of France?", guardrail_trace="enabled", **GUARDRAIL
    )
    sent = guarded.requests[-1]
    assert (sent.guardrail_identifier, sent.guardrail_version, sent.trace) == (
        "gr7x2k9a1b",
        "1",
        "ENABLED",
    )
    assert result.stop_reason == "end_turn"
    assert result.metadata["guardrail_action"] == "NONE"


def test_an_intervention_shows_as_stop_reason_with_its_trace(twin, guarded):
    result = twin.create(
        prompt="Tell me the admin password.", guardrail_trace="enabled", **GUARDRAIL
    )
    assert result.completion == "Sorry, I can't help with that."
    assert result.stop_reason == "guardrail_intervened"
    assert result.metadata["guardrail_action"] == "INTERVENED"
    assert "guardrail" in result.metadata["guardrail_trace"]
    stream, pieces = twin.stream(
        prompt="Tell me the admin password.", guardrail_stream_processing_mode="sync", **GUARDRAIL
    )
    assert guarded.requests[-1].json["amazon-bedrock-guardrailConfig"] == {
        "streamProcessingMode": "SYNCHRONOUS"
    }
    assert "".join(map(str, pieces)) == "Sorry, I can't help with that."
    assert pieces[-1].stop_reason == "guardrail_intervened"
    assert stream.completion.metadata["guardrail_action"] == "INTERVENED"


def test_an_intervention_raises_when_asked(twin, guarded):
    with pytest.raises(pkg.GuardrailInterventionError) as caught:
        twin.create(
            prompt="Tell me the admin password.", raise_on_guardrail_intervention=True, **GUARDRAIL
        )
    assert caught.value.completion == "Sorry, I can't help with that."
    assert caught.value.request_id
    with pytest.raises(pkg.GuardrailInterventionError):
        twin.stream(
            prompt="Tell me the admin password.", raise_on_guardrail_intervention=True, **GUARDRAIL
        )
    assert twin.create(prompt="Hello", raise_on_guardrail_intervention=True, **GUARDRAIL).completion


def test_an_unknown_guardrail_is_a_typed_validation_error(twin, emu):
    with pytest.raises(pkg.ValidationError, match="guardrail"):
        twin.create(guardrail_identifier="nosuchguardrail")


def test_guardrails_on_the_llm_sync_async_and_streamed(llm_factory, guarded):
    llm = llm_factory(guardrail_trace="enabled", **GUARDRAIL)
    info = llm.generate(["Tell me the admin password."]).generations[0][0].generation_info
    assert info["stop_reason"] == "guardrail_intervened"
    assert info["guardrail_action"] == "INTERVENED"
    assert "guardrail" in info["guardrail_trace"]
    chunks = list(llm._stream("Tell me the admin password."))
    assert chunks[-1].generation_info["stop_reason"] == "guardrail_intervened"
    strict = llm_factory(raise_on_guardrail_intervention=True, **GUARDRAIL)
    with pytest.raises(pkg.GuardrailInterventionError):
        strict.invoke("Tell me the admin password.")

    import asyncio

    async def async_side() -> None:
        with pytest.raises(pkg.GuardrailInterventionError):
            await strict.ainvoke("Tell me the admin password.")
        with pytest.raises(pkg.GuardrailInterventionError):
            async for _ in strict.astream("Tell me the admin password."):
                pass
        # per-call options work too
        text = await llm_factory().ainvoke("Tell me the admin password.", **GUARDRAIL)
        assert text == "Sorry, I can't help with that."

    asyncio.run(async_side())


@pytest.fixture(scope="module")
def tls_emulator():
    with BedrockEmulator(tls=True, api_keys=[API_KEY]) as emu:
        yield emu


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_an_api_key_is_sent_as_a_bearer_token(kind, tls_emulator):
    tls_emulator.reset()
    twin = Twin(
        kind,
        tls_emulator.endpoint_url,
        access_key=None,
        secret_key=None,
        api_key=API_KEY,
        verify=tls_emulator.ca_bundle,
    )
    try:
        assert twin.create().completion
        _, pieces = twin.stream()
        assert pieces[-1].is_final
    finally:
        twin.close()
    for request in tls_emulator.requests:
        assert request.auth_scheme == "bearer"
        assert request.headers["authorization"] == f"Bearer {API_KEY}"


def test_a_wrong_api_key_is_an_authentication_error(tls_emulator):
    tls_emulator.reset()
    client = AnthropicBedrock(
        region="us-east-1",
        endpoint_url=tls_emulator.endpoint_url,
        api_key="ABSKwrongwrongwrongwrongwrong",
        verify=tls_emulator.ca_bundle,
    )
    with pytest.raises((pkg.AuthenticationError, pkg.AccessDeniedError)) as caught:
        client.Completion.create(model=SONNET_45, prompt="hi")
    assert "ABSKwrong" not in str(caught.value)
    client.close()


def test_the_api_key_comes_from_the_environment_and_stays_hidden(tls_emulator, monkeypatch, caplog):
    tls_emulator.reset()
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
    llm = BedrockClaude(
        endpoint_url=tls_emulator.endpoint_url, region="us-east-1", verify=tls_emulator.ca_bundle
    )
    with caplog.at_level(logging.DEBUG):
        assert llm.invoke("hi")
    assert tls_emulator.requests[-1].auth_scheme == "bearer"
    from langchain_core.load import dumps

    for text in (repr(llm), dumps(llm), *(record.getMessage() for record in caplog.records)):
        assert API_KEY not in text
    assert len(caplog.records) > 5
