"""What a stream shows of itself, pinned by mutation testing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

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


def test_a_finished_stream_says_why_it_stopped(twin: Any, emu: Any) -> None:
    emu.reply("one two STOP three")
    stream, _ = twin.stream(stop_sequences=["STOP"])
    assert stream.stop_reason == "stop_sequence"
    emu.reply("one two three four")
    stream, _ = twin.stream(max_tokens_to_sample=2)
    assert stream.stop_reason == "max_tokens"
    assert stream.usage is not None and stream.usage.output_tokens == 2


def test_an_async_streams_iterator_closed_before_it_is_read_yields_nothing(emu: Any) -> None:
    options = {"region": "us-east-1", "endpoint_url": emu.endpoint_url, **CREDENTIALS}

    async def scenario() -> list[Any]:
        emu.reply(["a", "b"])
        client = AsyncAnthropicBedrock(**options)
        try:
            stream = await client.Completion.create(model=SONNET_45, prompt="hi", stream=True)
            chunks = aiter(stream)
            await chunks.aclose()  # type: ignore[attr-defined]
            return [chunk async for chunk in chunks]
        finally:
            await client.aclose()

    assert asyncio.run(scenario()) == []


def test_a_stream_read_to_its_end_leaves_its_connection_for_the_next_request(emu: Any) -> None:
    # Found by the 256-stream benchmark: closing a finished stream shut its socket down, so
    # every stream paid a new TCP (on Bedrock, TLS) connection. Raw boto3 reuses it.
    options = {"region": "us-east-1", "endpoint_url": emu.endpoint_url, **CREDENTIALS}
    client = AnthropicBedrock(**options)
    before = emu.connection_count
    for _ in range(3):
        emu.reply(["a", "b"])
        with client.Completion.create(model=SONNET_45, prompt="hi", stream=True) as stream:
            assert "".join(chunk.completion for chunk in stream) == "ab"
        emu.reply("c")
        assert client.Completion.create(model=SONNET_45, prompt="hi").completion == "c"
    assert emu.connection_count - before == 1
    client.close()

    async def scenario() -> int:
        async_client = AsyncAnthropicBedrock(**options)
        opened = emu.connection_count
        try:
            for _ in range(3):
                emu.reply(["c", "d"])
                stream = await async_client.Completion.create(
                    model=SONNET_45, prompt="hi", stream=True
                )
                async with stream:
                    assert "".join([chunk.completion async for chunk in stream]) == "cd"
        finally:
            await async_client.aclose()
        return emu.connection_count - opened

    assert asyncio.run(scenario()) == 1


def test_a_stream_closed_before_its_end_does_not_hand_its_connection_back(emu: Any) -> None:
    options = {"region": "us-east-1", "endpoint_url": emu.endpoint_url, **CREDENTIALS}
    client = AnthropicBedrock(**options)
    before = emu.connection_count
    emu.reply(["a", "b", "c"], token_latency=0.5)  # still streaming when it is closed
    with client.Completion.create(model=SONNET_45, prompt="hi", stream=True) as stream:
        assert next(iter(stream)).completion == "a"
    emu.reply("d")
    # Half-read, the connection was closed: the next request needs a new one.
    assert client.Completion.create(model=SONNET_45, prompt="hi").completion == "d"
    assert emu.connection_count - before == 2
    client.close()


def test_a_sync_stream_is_iterated_once_and_an_unread_iterator_drops_quietly(emu: Any) -> None:
    import gc
    import sys

    options = {"region": "us-east-1", "endpoint_url": emu.endpoint_url, **CREDENTIALS}
    client = AnthropicBedrock(**options)
    emu.reply(["a", "b"])
    with client.Completion.create(model=SONNET_45, prompt="hi", stream=True) as stream:
        assert "".join(chunk.completion for chunk in stream) == "ab"
        with pytest.raises(RuntimeError, match="a Stream can be iterated only once"):
            iter(stream)
    unraisable: list[object] = []
    previous, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        emu.reply(["c"])
        stream = client.Completion.create(model=SONNET_45, prompt="hi", stream=True)
        pieces = iter(stream)  # dropped before it is read: nothing to close but the stream
        assert iter(pieces) is pieces  # an iterator, as zip() and itertools expect
        del pieces
        gc.collect()
        stream.close()
    finally:
        sys.unraisablehook = previous
    assert unraisable == []
    client.close()
