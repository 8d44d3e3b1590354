"""What a stream shows of itself, pinned by mutation testing."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_bedrock_claude import AnthropicBedrock, AsyncAnthropicBedrock

from .conftest import CREDENTIALS, SONNET_45


def test_a_streams_repr_names_its_model_and_request_and_nothing_secret(emu: Any) -> None:
    options = {"region": "us-east-1", "endpoint_url": emu.endpoint_url, **CREDENTIALS}
    emu.reply(["a", "b"])
    client = AnthropicBedrock(**options)
    with client.Completion.create(model=SONNET_45, prompt="hi", stream=True) as stream:
        shown = repr(stream)
        assert shown == f"<Stream model_id={SONNET_45!r} request_id={stream.request_id!r}>"
        assert "".join(chunk.completion for chunk in stream) == "ab"
    client.close()

    async def scenario() -> str:
        emu.reply(["c"])
        async_client = AsyncAnthropicBedrock(**options)
        try:
            stream = await async_client.Completion.create(model=SONNET_45, prompt="hi", stream=True)
            async with stream:
                shown = repr(stream)
                assert shown == (
                    f"<AsyncStream model_id={SONNET_45!r} request_id={stream.request_id!r}>"
                )
                return "".join([chunk.completion async for chunk in stream])
        finally:
            await async_client.aclose()

    assert asyncio.run(scenario()) == "c"
    assert CREDENTIALS["secret_key"] not in shown
