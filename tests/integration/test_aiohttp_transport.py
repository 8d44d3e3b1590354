"""The native async transport (aiohttp on the event loop, botocore signing and parsing).

Every async test of the suite already runs on both transports (conftest's
``pytest_generate_tests``); these are what only this transport has to show: the request on the
wire is byte for byte the threaded transport's, no thread is used, connections end with their
loop, and what it cannot do is refused with a clear error.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import datetime
import functools
import http.server
import json
import threading
import time
from typing import Any

import pytest
from botocore.stub import Stubber

import langchain_bedrock_claude as pkg
import langchain_bedrock_claude._boto as boto_module
from langchain_bedrock_claude import AnthropicBedrock, AsyncAnthropicBedrock, BedrockClaude
from langchain_bedrock_claude.testing import BedrockEmulator
from tests.loop_iterations import LoopIterations

from ._sockets import connections_to, wait_until
from .conftest import CREDENTIALS, FAST_RETRIES, SONNET_45, sigv4_boto3

EXPLICIT_TRANSPORTS = True
"""Each test here names its transports: conftest does not run them once per transport."""

GUARDED = {
    "guardrail_identifier": "gr7x2k9a1b",
    "guardrail_version": "1",
    "guardrail_trace": "ENABLED",
    "service_tier": "priority",
    "performance_config_latency": "optimized",
    "request_metadata": {"team": "search"},
}
_VARYING = {"x-amz-date", "authorization", "amz-sdk-invocation-id"}
"""Headers that differ between any two requests (time, signature over it, a fresh id)."""


def _client(emu: BedrockEmulator, transport: str, **options: Any) -> AsyncAnthropicBedrock:
    return AsyncAnthropicBedrock(
        region="us-east-1",
        endpoint_url=emu.endpoint_url,
        retry_policy=FAST_RETRIES,
        async_transport=transport,  # type: ignore[arg-type]
        **CREDENTIALS,
        **options,
    )


def _complete(client: AsyncAnthropicBedrock) -> str:
    """One completion of "hi" on an event loop of its own; the client is closed after it."""

    async def call() -> str:
        try:
            return (await client.Completion.create(model=SONNET_45, prompt="hi")).completion
        finally:
            await client.aclose()

    return asyncio.run(call())


def _wire(request: Any) -> tuple[Any, ...]:
    headers = {
        name.lower(): value
        for name, value in request.headers.items()
        if name.lower() not in _VARYING
    }
    return request.method, request.path, headers, request.body


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_the_request_on_the_wire_is_the_threaded_transports_byte_for_byte(
    emu: BedrockEmulator, stream: bool
) -> None:
    emu.add_guardrail(GUARDED["guardrail_identifier"], "1")
    sent = []
    for transport in ("threads", "aiohttp"):
        client = _client(emu, transport)
        assert client.transport == transport

        async def call(client: AsyncAnthropicBedrock = client) -> None:
            if stream:
                answer = await client.Completion.create(
                    model=SONNET_45, prompt="hi", stream=True, **GUARDED
                )
                async for _ in answer:
                    pass
            else:
                await client.Completion.create(model=SONNET_45, prompt="hi", **GUARDED)
            await client.aclose()

        emu.reply("fine")
        asyncio.run(call())
        sent.append(_wire(emu.requests[-1]))
    threads, native = sent
    assert native == threads
    assert native[2]["x-amzn-bedrock-guardrailidentifier"] == "gr7x2k9a1b"
    assert native[2]["x-amzn-bedrock-service-tier"] == "priority"


def test_a_bedrock_api_key_is_sent_as_the_bearer_token_over_tls(
    bedrock_emulator_tls: BedrockEmulator,
) -> None:
    emu = bedrock_emulator_tls
    client = AsyncAnthropicBedrock(
        region="us-east-1",
        endpoint_url=emu.endpoint_url,
        api_key="bedrock-api-key-ABSKnative",
        verify=emu.ca_bundle,
        async_transport="aiohttp",
    )

    emu.reply("over tls")
    assert _complete(client) == "over tls"
    assert emu.requests[-1].bearer_token == "bedrock-api-key-ABSKnative"


def test_an_untrusted_certificate_is_a_connection_error_naming_the_ssl_failure(
    bedrock_emulator_tls: BedrockEmulator,
) -> None:
    # Without verify=<the emulator's CA>, botocore's own CA bundle is used, as boto3 does.
    client = _client(bedrock_emulator_tls, "aiohttp", max_retries=0)
    with pytest.raises(pkg.APIConnectionError) as caught:
        _complete(client)
    assert "SSLError" in str(caught.value)
    assert bedrock_emulator_tls.requests == []


def test_streams_use_no_thread_and_each_loops_connections_end_with_it(
    emu: BedrockEmulator,
) -> None:
    client = _client(emu, "auto")
    emu.reply("warm")
    emu.reply([f" w{i}" for i in range(5)], token_latency=0.01, times=64)
    # The first call builds the boto3 client and the TLS context on a thread (both may block).
    warm = asyncio.run(client.Completion.create(model=SONNET_45, prompt="hi"))
    assert warm.completion == "warm"
    threads_before = threading.active_count()

    async def many() -> tuple[list[str], int, int]:
        async def one() -> str:
            stream = await client.Completion.create(model=SONNET_45, prompt="hi", stream=True)
            return "".join([str(piece) async for piece in stream])

        answers = await asyncio.gather(*(one() for _ in range(32)))
        return answers, threading.active_count(), connections_to(emu.port)

    for _ in range(2):  # a second asyncio.run() gets a pool of its own
        answers, threads_during, open_during = asyncio.run(many())
        assert answers == [" w0 w1 w2 w3 w4"] * 32
        assert open_during >= 1  # kept for reuse while the loop runs
        assert client._executor is None  # no worker was ever needed
        assert threads_during == threads_before, "no thread per stream"
        assert wait_until(lambda: connections_to(emu.port) == 0), "closed with their loop"


class _CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    """A loop's default executor that records what it is given to run."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.jobs: list[str] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        # asyncio.to_thread hands over partial(context.run, the function, ...)
        work = fn.args[0] if isinstance(fn, functools.partial) and fn.args else fn
        self.jobs.append(getattr(work, "__qualname__", type(work).__name__))
        return super().submit(fn, *args, **kwargs)


def test_calls_started_together_on_a_fresh_client_make_its_boto3_client_and_tls_context_once(
    emu: BedrockEmulator,
) -> None:
    # Each call used to make its own on the loop's default executor, one after another (a
    # TLS context is about 25 ms of CPU), so the last of many requests went out seconds late.
    client = _client(emu, "aiohttp")
    emu.reply("together", times=64)

    async def together() -> tuple[list[str], collections.Counter[str]]:
        executor = _CountingExecutor()
        asyncio.get_running_loop().set_default_executor(executor)
        try:
            calls = (client.Completion.create(model=SONNET_45, prompt="hi") for _ in range(32))
            answers = [answer.completion for answer in await asyncio.gather(*calls)]
        finally:
            await client.aclose()
        return answers, collections.Counter(executor.jobs)

    for _ in range(2):  # closed, the client builds both again at its next use
        answers, jobs = asyncio.run(together())
        assert answers == ["together"] * 32
        assert sum(jobs.values()) == 2, f"one job each for the boto3 client and TLS: {jobs}"
    assert len(emu.requests) == 64


def test_a_langchain_llm_streams_on_aiohttp_by_default(emu: BedrockEmulator) -> None:
    llm = BedrockClaude(
        model=SONNET_45,
        region_name="us-east-1",
        endpoint_url=emu.endpoint_url,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )
    emu.reply([" one", " two"], token_latency=0.01, times=8)

    async def many() -> list[str]:
        async def one() -> str:
            return "".join([piece async for piece in llm.astream("hi")])

        return await asyncio.gather(*(one() for _ in range(8)))

    assert asyncio.run(many()) == [" one two"] * 8
    assert llm._async_client.transport == "aiohttp"
    assert llm._async_client._executor is None


def test_a_cancelled_stream_closes_its_connection_at_once(emu: BedrockEmulator) -> None:
    client = _client(emu, "aiohttp", max_connections=1)
    emu.reply(["first"] + [f" w{i}" for i in range(5)], token_latency=30)  # then silence

    async def scenario() -> None:
        stream = await client.Completion.create(model=SONNET_45, prompt="hi", stream=True)

        async def read() -> None:
            async for _ in stream:
                pass

        task = asyncio.create_task(read())
        await asyncio.sleep(0.3)
        assert connections_to(emu.port) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert connections_to(emu.port) == 0  # closed, not handed back half-read
        emu.reply("next")  # the one-connection pool is free for the next call
        assert (await client.Completion.create(model=SONNET_45, prompt="hi")).completion == "next"
        await client.aclose()

    asyncio.run(asyncio.wait_for(scenario(), 20))


def test_auto_is_aiohttp_when_installed_and_threads_for_a_passed_client(
    emu: BedrockEmulator,
) -> None:
    assert _client(emu, "auto").transport == "aiohttp"
    assert _client(emu, "threads").transport == "threads"
    passed = AsyncAnthropicBedrock(client=sigv4_boto3(emu), async_transport="auto")
    assert passed.transport == "threads"  # boto3's own HTTP stack, with its config and hooks


def test_aiohttp_without_aiohttp_installed_is_refused_with_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(boto_module, "have_aiohttp", lambda: False)
    with pytest.raises(pkg.InvalidParameterError, match=r"langchain-bedrock-claude\[aiohttp\]"):
        AsyncAnthropicBedrock(region="us-east-1", async_transport="aiohttp")
    with pytest.raises(pkg.InvalidParameterError, match=r"\[aiohttp\]"):
        BedrockClaude(region_name="us-east-1", async_transport="aiohttp")
    assert AsyncAnthropicBedrock(region="us-east-1").transport == "aiohttp"  # auto: installed


def test_async_transport_is_refused_where_it_could_only_be_ignored() -> None:
    with pytest.raises(pkg.InvalidParameterError, match="AsyncAnthropicBedrock"):
        AnthropicBedrock(region="us-east-1", async_transport="aiohttp")
    with pytest.raises(pkg.InvalidParameterError, match="'async_transport' must be one of"):
        AsyncAnthropicBedrock(region="us-east-1", async_transport="httpx")  # type: ignore[arg-type]


def test_a_stubbed_client_is_refused_on_aiohttp_rather_than_answered_by_the_stub(
    emu: BedrockEmulator,
) -> None:
    runtime = sigv4_boto3(emu)
    stubber = Stubber(runtime)
    stubber.add_response("invoke_model", {"body": b"{}", "contentType": "application/json"})
    client = AsyncAnthropicBedrock(client=runtime, async_transport="aiohttp")

    with stubber, pytest.raises(pkg.InvalidParameterError, match="async_transport='threads'"):
        _complete(client)
    assert emu.requests == []


def test_a_passed_clients_proxy_settings_it_cannot_apply_are_refused(emu: BedrockEmulator) -> None:
    runtime = sigv4_boto3(emu, proxies_config={"proxy_ca_bundle": "/nonexistent/ca.pem"})
    client = AsyncAnthropicBedrock(client=runtime, async_transport="aiohttp")

    with pytest.raises(pkg.InvalidParameterError, match="proxies_config"):
        _complete(client)
    assert emu.requests == []


def test_a_passed_clients_proxy_is_used(emu: BedrockEmulator) -> None:
    # The emulator's port as an HTTP proxy: aiohttp then sends it the absolute URL of the
    # request, which the emulator does not serve; reaching it at all shows the proxy was used.
    runtime = sigv4_boto3(emu, proxies={"http": "http://127.0.0.1:9"})
    client = AsyncAnthropicBedrock(
        client=runtime, async_transport="aiohttp", retry_policy=FAST_RETRIES, max_retries=0
    )

    with pytest.raises(pkg.APIConnectionError) as caught:
        _complete(client)
    assert "ProxyConnectionError" in str(caught.value)
    assert emu.requests == []  # went to the (absent) proxy, never straight to the emulator


def test_read_timeout_is_the_same_typed_error_as_on_threads(emu: BedrockEmulator) -> None:
    messages = []
    for transport in ("threads", "aiohttp"):
        client = _client(emu, transport, timeout=(5, 0.3), max_retries=0)
        emu.hang(timeout=3)
        with pytest.raises(pkg.RequestTimeoutError) as caught:
            _complete(client)
        messages.append(str(caught.value).split("(")[0])
    assert messages[0] == messages[1]


class _SlowCredentials(http.server.BaseHTTPRequestHandler):
    """A container credentials endpoint (ECS, EKS Pod Identity) that takes 1 s to answer,
    with credentials inside botocore's refresh window: every signing refreshes them."""

    def do_GET(self) -> None:
        time.sleep(1.0)
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
        body = json.dumps(
            {
                "AccessKeyId": "AKIDCONTAINER",
                "SecretAccessKey": "secret",
                "Token": "token",
                "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_credentials_that_must_be_fetched_are_fetched_off_the_loop(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowCredentials)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", f"http://127.0.0.1:{server.server_port}/creds"
    )
    client = AsyncAnthropicBedrock(
        region="us-east-1", endpoint_url=emu.endpoint_url, async_transport="aiohttp"
    )
    emu.reply("fresh", times=2)

    async def scenario() -> tuple[list[str], float]:
        gaps: list[float] = []
        done = False

        async def tick() -> None:
            last = time.perf_counter()
            while not done:
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        ticker = asyncio.create_task(tick())
        try:
            answers = [
                (await client.Completion.create(model=SONNET_45, prompt="hi")).completion
                for _ in range(2)
            ]
        finally:
            done = True
            await ticker
            await client.aclose()
        return answers, max(gaps)

    try:
        answers, biggest_gap = asyncio.run(scenario())
    finally:
        server.shutdown()
        server.server_close()
    assert answers == ["fresh", "fresh"]
    assert (
        emu.requests[-1]
        .headers["authorization"]
        .startswith("AWS4-HMAC-SHA256 Credential=AKIDCONTAINER/")
    )
    # Well under the 1 s fetch (a garbage collection of this test process may take 0.2 s).
    assert biggest_gap < 0.5, f"the loop stopped for {biggest_gap:.3f} s"


def test_a_proxy_is_read_as_botocore_reads_it(
    emu: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_bedrock_claude._aio_transport import _proxy

    runtime = sigv4_boto3(emu)
    url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke"
    monkeypatch.setenv("HTTPS_PROXY", "proxy.internal:3128")  # no scheme: botocore adds http://
    assert _proxy(runtime, url) == ("http://proxy.internal:3128", {})
    monkeypatch.setenv("HTTPS_PROXY", "http://alice:s3cret@proxy.internal:3128")
    proxy, headers = _proxy(runtime, url)
    assert proxy == "http://proxy.internal:3128"  # the password never in a URL
    assert headers["Proxy-Authorization"].startswith("Basic ")
    monkeypatch.setenv("NO_PROXY", "amazonaws.com")
    assert _proxy(runtime, url) == (None, {})
    configured = sigv4_boto3(emu, proxies={"https": "proxy.config:8080"})
    assert _proxy(configured, url) == ("http://proxy.config:8080", {})


def test_fast_streams_take_turns_so_the_loop_is_never_held_up_behind_all_of_them(
    emu: BedrockEmulator,
) -> None:
    # Sixteen streams whose whole answers already wait in their sockets, each piece costing
    # its reader 1 ms: read as they come, every stream would take its turn in each loop
    # iteration (16 pieces and more, 16 ms and more, before the loop's other tasks run);
    # in turn, an iteration hands out about the reading budget's worth (4 ms: 4-6 pieces).
    client = _client(emu, "aiohttp")
    words = [f" w{i}" for i in range(1500)]
    emu.reply(words, token_latency=0, times=16)
    streams = 16

    async def scenario() -> tuple[list[str], int]:
        iterations = LoopIterations()
        opened = [
            await client.Completion.create(
                model=SONNET_45, prompt="hi", stream=True, max_tokens_to_sample=4000
            )
            for _ in range(streams)
        ]
        await asyncio.sleep(0.5)  # every answer sent, waiting to be read
        iterations.start()
        per_iteration: collections.Counter[int] = collections.Counter()

        async def read(stream: Any) -> str:
            text = []
            async for piece in stream:
                per_iteration[iterations.count] += 1
                started = time.perf_counter()
                while time.perf_counter() - started < 0.001:  # the reader's work
                    pass
                text.append(str(piece))
            return "".join(text)

        answers = await asyncio.gather(*(read(stream) for stream in opened))
        iterations.stop()
        await client.aclose()
        return answers, max(per_iteration.values())

    answers, most = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert answers == ["".join(words)] * streams
    assert most <= 8, f"{most} pieces handed out in one loop iteration"
