"""Cancellation, leaks and load with faults sprinkled in: nothing lost, nothing leaked."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import AnthropicBedrock, AsyncAnthropicBedrock

from ._frames import opening
from ._sockets import client_sockets as _client_sockets
from ._sockets import wait_until as _wait_until
from ._stall import StallingServer
from .conftest import CREDENTIALS, FAST_RETRIES, SONNET_45, Twin


async def test_cancelling_an_async_stream_task_releases_it_promptly(emu):
    # One worker: the pump of the cancelled stream holds it while blocked on a silent socket,
    # so the next call can only run once that blocked read has been woken.
    client = AsyncAnthropicBedrock(
        region="us-east-1",
        endpoint_url=emu.endpoint_url,
        max_connections=1,
        timeout=60,
        **CREDENTIALS,
    )
    emu.reply(["first"] + [f" w{i}" for i in range(5)], token_latency=30)  # then silence
    sockets_before = _client_sockets(emu.port)
    streams = []

    async def consume() -> None:
        stream = await client.Completion.create(model=SONNET_45, prompt="hi", stream=True)
        streams.append(stream)
        async for _ in stream:
            pass

    task = asyncio.create_task(consume())

    async def opened() -> None:
        while not streams:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(opened(), 10)
    await asyncio.sleep(0.3)  # the pump is now blocked reading the silent socket
    task.cancel()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    session = streams[0]._session
    assert session._body is None
    emu.reply("still works")
    assert (
        await asyncio.wait_for(client.Completion.create(model=SONNET_45, prompt="hi"), 5)
    ).completion == "still works"
    # The pump thread woke from its blocked read, well before the server's next token.
    assert time.monotonic() - started < 2.0
    assert _wait_until(lambda: _client_sockets(emu.port) <= sockets_before + 1, 2.0)
    await client.aclose()
    assert _wait_until(
        lambda: not [t for t in threading.enumerate() if t.name.startswith("bedrock-claude")]
    )


def test_load_with_faults_loses_nothing_and_leaks_nothing(emu):
    prompts = [f"question {i}" for i in range(16)]
    reference = AnthropicBedrock(region="us-east-1", endpoint_url=emu.endpoint_url, **CREDENTIALS)
    expected = {
        p: reference.Completion.create(
            model=SONNET_45, prompt=p, max_tokens_to_sample=60
        ).completion
        for p in prompts
    }
    reference.close()
    emu.reset()
    threads_before = {t.ident for t in threading.enumerate()}
    sockets_before = _client_sockets(emu.port)

    # Faults go to whichever requests come next: throttles (retried), mid-stream errors,
    # drops and early ends (before or after the first piece), all mixed into the load.
    emu.throttle(20)
    for mode in ("exception", "drop", "early_end", "cut_frame"):
        emu.interrupt_stream(after_events=1, mode=mode, times=5)
        emu.interrupt_stream(after_events=5, mode=mode, times=5)

    outcomes: list[tuple[str, str | BaseException]] = []
    lock = threading.Lock()

    async def async_side() -> None:
        client = AsyncAnthropicBedrock(
            region="us-east-1",
            endpoint_url=emu.endpoint_url,
            max_connections=256,
            retry_policy=FAST_RETRIES,
            **CREDENTIALS,
        )

        async def one(i: int) -> None:
            prompt = prompts[i % len(prompts)]
            try:
                stream = await client.Completion.create(
                    model=SONNET_45, prompt=prompt, max_tokens_to_sample=60, stream=True
                )
                text = "".join([str(piece) async for piece in stream])
                assert stream.completion is not None
                result: str | BaseException = text
            except BaseException as error:
                result = error
            with lock:
                outcomes.append((prompt, result))

        await asyncio.gather(*(one(i) for i in range(256)))
        await client.aclose()
        assert asyncio.all_tasks() == {asyncio.current_task()}

    def sync_one(client: AnthropicBedrock, i: int) -> None:
        prompt = prompts[i % len(prompts)]
        try:
            stream = client.Completion.create(
                model=SONNET_45, prompt=prompt, max_tokens_to_sample=60, stream=True
            )
            result: str | BaseException = "".join(map(str, stream))
        except BaseException as error:
            result = error
        with lock:
            outcomes.append((prompt, result))

    sync_client = AnthropicBedrock(
        region="us-east-1",
        endpoint_url=emu.endpoint_url,
        max_connections=64,
        retry_policy=FAST_RETRIES,
        **CREDENTIALS,
    )
    with ThreadPoolExecutor(64) as pool:
        futures = [pool.submit(sync_one, sync_client, i) for i in range(64)]
        asyncio.run(async_side())
        for future in futures:
            future.result()
    sync_client.close()

    assert len(outcomes) == 320
    successes = [(p, r) for p, r in outcomes if isinstance(r, str)]
    failures = [r for _, r in outcomes if not isinstance(r, str)]
    assert len(successes) >= 250  # most requests survive; faults before the first piece are retried
    for prompt, text in successes:
        assert text == expected[prompt]  # complete and identical to the non-streamed answer
    for error in failures:
        assert isinstance(error, pkg.BedrockClaudeError), repr(error)
        if isinstance(error, pkg.StreamInterruptedError):
            assert error.partial_text and any(
                expected[p].startswith(error.partial_text) for p in prompts
            )
    assert any(isinstance(error, pkg.StreamInterruptedError) for error in failures)

    assert _wait_until(lambda: {t.ident for t in threading.enumerate()} <= threads_before), [
        t.name for t in threading.enumerate() if t.ident not in threads_before
    ]
    assert _wait_until(lambda: _client_sockets(emu.port) <= sockets_before), (
        _client_sockets(emu.port),
        sockets_before,
    )


def test_a_server_that_goes_quiet_mid_stream_raises_a_timeout_with_the_partial_text(make_twin, emu):
    for kind in ("sync", "async"):
        twin = make_twin(kind, timeout=0.5)
        emu.reply(["one", " two", " three"], token_latency=0.0)
        _, pieces = twin.stream()
        assert "".join(map(str, pieces)) == "one two three"
        with StallingServer(opening("slow")) as server:  # "slow", then silence
            quiet = Twin(kind, server.endpoint_url, timeout=0.5)
            started = time.monotonic()
            with pytest.raises(pkg.StreamInterruptedError) as caught:
                quiet.stream()
            assert time.monotonic() - started < 2.5
            error = caught.value
            assert isinstance(error.__cause__, pkg.RequestTimeoutError)
            assert error.partial_text == "slow"
            assert server.requests == 1
            quiet.close()
        emu.reset()


def test_a_stream_opened_and_dropped_unread_releases_its_connection(emu):
    client = AnthropicBedrock(region="us-east-1", endpoint_url=emu.endpoint_url, **CREDENTIALS)
    sockets_before = _client_sockets(emu.port)
    for _ in range(5):
        client.Completion.create(model=SONNET_45, prompt="hi", stream=True)
    gc.collect()
    assert _wait_until(lambda: _client_sockets(emu.port) <= sockets_before + 1)
    assert client.Completion.create(model=SONNET_45, prompt="hi").completion
    client.close()


async def test_reading_more_streams_at_once_than_workers_never_deadlocks(emu):
    # Two worker threads, four streams read a piece at a time in turn: each pump fills its
    # channel and must not hold its thread forever while the reader waits on another stream.
    emu.set_responder(lambda request: [f" w{i}" for i in range(300)])
    client = AsyncAnthropicBedrock(
        region="us-east-1", endpoint_url=emu.endpoint_url, max_connections=2, **CREDENTIALS
    )
    streams = [
        await client.Completion.create(
            model=SONNET_45, prompt=f"p{i}", max_tokens_to_sample=400, stream=True
        )
        for i in range(4)
    ]
    iterators = [stream.__aiter__() for stream in streams]
    texts = ["" for _ in iterators]

    async def round_robin() -> None:
        active = set(range(len(iterators)))
        while active:
            for index in sorted(active):
                try:
                    texts[index] += str(await iterators[index].__anext__())
                except StopAsyncIteration:
                    active.discard(index)

    await asyncio.wait_for(round_robin(), timeout=30)
    assert all(text == "".join(f" w{i}" for i in range(300)) for text in texts)
    await client.aclose()
