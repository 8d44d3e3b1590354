"""Against real AWS Bedrock: opt-in, skipped unless BEDROCK_CLAUDE_AWS_TESTS=1.

Uses the machine's normal AWS credentials and region. Pick the model with
BEDROCK_CLAUDE_AWS_MODEL (default: the package's default model); a legacy id for the Text
Completions API with BEDROCK_CLAUDE_AWS_LEGACY_MODEL (skipped when unset: Bedrock retired them).
"""

from __future__ import annotations

import asyncio
import os

import pytest

from langchain_bedrock_claude import DEFAULT_MODEL, AnthropicBedrock, BedrockClaude

pytestmark = [
    pytest.mark.aws,
    pytest.mark.skipif(
        os.environ.get("BEDROCK_CLAUDE_AWS_TESTS") != "1",
        reason="real AWS tests are opt-in: set BEDROCK_CLAUDE_AWS_TESTS=1",
    ),
]
MODEL = os.environ.get("BEDROCK_CLAUDE_AWS_MODEL", DEFAULT_MODEL)


def test_the_bedrock_anthropic_interface_streams_and_reports_usage() -> None:
    client = AnthropicBedrock()
    stream = client.Completion.create(
        model=MODEL, prompt="Say hello in five words.", max_tokens_to_sample=50, stream=True
    )
    text = "".join(map(str, stream))
    assert text.strip()
    assert stream.completion is not None and stream.completion.usage.output_tokens > 0
    assert stream.request_id
    completion = client.Completion.create(model=MODEL, prompt="Say hi.", max_tokens_to_sample=20)
    assert completion.completion.strip() and completion.usage.input_tokens > 0
    client.close()


def test_bedrock_claude_sync_async_and_counting() -> None:
    llm = BedrockClaude(model=MODEL, max_tokens=50)
    assert llm.invoke("Name one color.").strip()
    assert "".join(llm.stream("Name one animal.")).strip()

    async def async_side() -> str:
        return "".join([piece async for piece in llm.astream("Name one fruit.")])

    assert asyncio.run(async_side()).strip()
    assert llm.get_num_tokens("How many tokens is this?") > 0


@pytest.mark.skipif(
    not os.environ.get("BEDROCK_CLAUDE_AWS_LEGACY_MODEL"), reason="no legacy model id given"
)
def test_a_legacy_text_completions_model() -> None:
    client = AnthropicBedrock()
    completion = client.Completion.create(
        model=os.environ["BEDROCK_CLAUDE_AWS_LEGACY_MODEL"],
        prompt="Say hi.",
        max_tokens_to_sample=20,
    )
    assert completion.completion.strip()
