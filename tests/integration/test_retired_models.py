"""The bedrock_anthropic interface's ``claude-v2`` code against a strict emulator.

Bedrock answers the retired ids with its end-of-life 404: the error names the successor in the
caller's geography; with the ``reroute_retired_models`` opt-in (argument, field, flag or the
environment variable) the same code runs unchanged on the successor, with a warning naming both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import AnthropicBedrock, BedrockClaude, ModelRuleWarning
from langchain_bedrock_claude.testing import BedrockEmulator

from .conftest import CREDENTIALS


def client(emu: BedrockEmulator, region: str = "us-east-1") -> AnthropicBedrock:
    return AnthropicBedrock(
        CREDENTIALS["access_key"],
        CREDENTIALS["secret_key"],
        region,
        endpoint_url=emu.endpoint_url,
        max_retries=0,
    )


def test_claude_v2_gets_model_retired_naming_the_successor_in_the_callers_region(emu):
    anthropic = client(emu, "eu-west-1")
    with pytest.raises(pkg.ModelRetiredError) as caught:
        anthropic.Completion.create(
            model="anthropic.claude-v2", prompt="\n\nHuman: Hi\n\nAssistant:", temperature=0.7
        )
    assert caught.value.status_code == 404
    assert caught.value.replacement == "eu.anthropic.claude-sonnet-5-5"
    assert "'eu.anthropic.claude-sonnet-5-5'" in str(caught.value)
    assert len(emu.requests) == 1  # no reroute without the opt-in
    anthropic.close()


def test_the_opt_in_sends_the_same_code_to_the_successor_with_a_warning(emu):
    anthropic = client(emu)
    emu.reply(" Paris.", times=2)
    with pytest.warns(ModelRuleWarning) as warned:
        stream = anthropic.Completion.create(
            model="anthropic.claude-v2",
            prompt="\n\nHuman: What is the capital of France?\n\nAssistant:",
            max_tokens_to_sample=300,
            temperature=0.7,
            stream=True,
            reroute_retired_models=True,
        )
        text = "".join(piece.completion for piece in stream)
    assert text == " Paris."
    message = str(warned[0].message)
    assert "anthropic.claude-v2 is retired on Bedrock" in message
    assert "us.anthropic.claude-sonnet-5-5" in message
    assert "left out 'temperature'" in message
    first, second = emu.requests
    assert first.model_id == "anthropic.claude-v2"
    assert second.model_id == "us.anthropic.claude-sonnet-5-5"
    sent = json.loads(second.body)
    assert sent["messages"] == [{"role": "user", "content": "What is the capital of France?"}]
    assert sent["max_tokens"] == 300 and "temperature" not in sent
    anthropic.close()


def test_the_environment_variable_opts_in_for_code_that_cannot_change(emu, monkeypatch):
    monkeypatch.setenv("BEDROCK_CLAUDE_REROUTE_RETIRED", "1")
    emu.reply("Hello.")
    anthropic = client(emu)
    with pytest.warns(
        ModelRuleWarning, match=r"claude-instant-v1 .* us\.anthropic\.claude-haiku-5-5"
    ):
        result = anthropic.Completion.create(
            model="anthropic.claude-instant-v1", prompt="Hi", max_tokens_to_sample=50
        )
    assert result.completion == "Hello."
    assert result.model_id == "us.anthropic.claude-haiku-5-5"
    # Explicitly off wins over the environment.
    with pytest.raises(pkg.ModelRetiredError):
        anthropic.Completion.create(
            model="anthropic.claude-instant-v1", prompt="Hi", reroute_retired_models=False
        )
    anthropic.close()


def test_bedrock_claude_field_opts_in(emu):
    emu.reply("Hi there.")
    llm = BedrockClaude(
        model="anthropic.claude-v2:1",
        region="us-east-1",
        endpoint_url=emu.endpoint_url,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
        reroute_retired_models=True,
    )
    with pytest.warns(ModelRuleWarning, match="us.anthropic.claude-sonnet-5-5"):
        assert llm.invoke("Hello") == "Hi there."


def test_the_command_opts_in_with_its_flag(emu):
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["access_key"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["secret_key"],
        "AWS_REGION": "us-east-1",
    }
    emu.reply("Blue.")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "langchain_bedrock_claude",
            "--endpoint-url",
            emu.endpoint_url,
            "--model",
            "anthropic.claude-v2",
            "--reroute-retired-models",
            "Why is the sky blue?",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Blue."
    assert "us.anthropic.claude-sonnet-5-5" in result.stderr


def test_a_rerouted_stream_keeps_its_guardrail_and_stream_mode(emu):
    emu.add_guardrail("gr7x2k9a1b", "1", blocked_words=["password"])
    anthropic = client(emu)
    emu.reply(" Paris.", times=2)
    with pytest.warns(ModelRuleWarning, match="is retired on Bedrock"):
        stream = anthropic.Completion.create(
            model="anthropic.claude-v2",
            prompt="\n\nHuman: What is the capital of France?\n\nAssistant:",
            max_tokens_to_sample=300,
            stream=True,
            reroute_retired_models=True,
            guardrail_identifier="gr7x2k9a1b",
            guardrail_version="1",
            guardrail_stream_processing_mode="async",
        )
        assert "".join(piece.completion for piece in stream) == " Paris."
    first, second = emu.requests
    assert second.model_id == "us.anthropic.claude-sonnet-5-5"
    assert second.guardrail_identifier == "gr7x2k9a1b"
    assert second.json["amazon-bedrock-guardrailConfig"] == {"streamProcessingMode": "ASYNCHRONOUS"}
    assert (
        first.json["amazon-bedrock-guardrailConfig"]
        == second.json["amazon-bedrock-guardrailConfig"]
    )
    anthropic.close()
