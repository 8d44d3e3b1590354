"""A consumer that falls behind a stream takes what has arrived in one piece, at every layer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessageChunk

from langchain_bedrock_claude import AnthropicBedrock, AsyncAnthropicBedrock, ChatBedrockClaude
from langchain_bedrock_claude._streaming import COALESCE_BACKLOG

from .conftest import CREDENTIALS, SONNET_45

PIECES = [f" w{n}" for n in range(5 * COALESCE_BACKLOG)]
BEHIND = 0.5
"""Seconds the consumer spends on its first piece: the rest of the reply arrives meanwhile."""


def _options(emu: Any) -> dict[str, Any]:
    return {"region": "us-east-1", "endpoint_url": emu.endpoint_url, **CREDENTIALS}


def _check(pieces: list[str]) -> None:
    assert "".join(pieces) == "".join(PIECES)  # nothing lost, nothing reordered
    assert len(pieces) < len(PIECES) // 2  # the rest came in a few pieces, not one per event


def test_a_sync_stream_read_slowly_yields_what_arrived_in_one_piece(emu: Any) -> None:
    emu.reply(PIECES)
    client = AnthropicBedrock(**_options(emu))
    texts = []
    with client.Completion.create(model=SONNET_45, prompt="hi", stream=True) as stream:
        for chunk in stream:
            if chunk.completion:
                texts.append(chunk.completion)
            if len(texts) == 1:
                time.sleep(BEHIND)
    client.close()
    _check(texts)
    assert stream.completion is not None and stream.completion.completion == "".join(PIECES)


def test_an_async_stream_read_slowly_yields_what_arrived_in_one_piece(emu: Any) -> None:
    async def scenario() -> list[str]:
        emu.reply(PIECES)
        client = AsyncAnthropicBedrock(**_options(emu))
        texts = []
        try:
            stream = await client.Completion.create(model=SONNET_45, prompt="hi", stream=True)
            async with stream:
                async for chunk in stream:
                    if chunk.completion:
                        texts.append(chunk.completion)
                    if len(texts) == 1:
                        await asyncio.sleep(BEHIND)
        finally:
            await client.aclose()
        return texts

    _check(asyncio.run(scenario()))


class _Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)
        if len(self.tokens) == 1:
            time.sleep(BEHIND)  # a slow handler (a UI update) is what falls behind


def test_a_slow_callback_handler_gets_the_backlog_of_a_chat_stream_in_few_tokens(emu: Any) -> None:
    emu.reply(PIECES)
    handler = _Tokens()
    chat = ChatBedrockClaude(
        model=SONNET_45,
        region="us-east-1",
        endpoint_url=emu.endpoint_url,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
        callbacks=[handler],
    )
    chunks = [chunk for chunk in chat.stream("hi") if isinstance(chunk, AIMessageChunk)]
    _check([token for token in handler.tokens if token])
    texts = [chunk.content for chunk in chunks if chunk.content]
    assert texts == [token for token in handler.tokens if token]
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.content == "".join(PIECES)
    assert merged.usage_metadata is not None  # the final piece still carries the usage
