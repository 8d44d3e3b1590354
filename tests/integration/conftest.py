"""Clients of both twins pointed at the emulator, so one test body serves sync and async."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import anthropic
import boto3
import pytest
from botocore.config import Config

from langchain_bedrock_claude import (
    AnthropicBedrock,
    AsyncAnthropicBedrock,
    BedrockClaude,
    ChatBedrockClaude,
    Completion,
    CompletionChunk,
    RetryPolicy,
)
from langchain_bedrock_claude.testing import BedrockEmulator

CREDENTIALS = {
    "access_key": "AKIDEXAMPLE",
    "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
}
API_KEY = "bedrock-api-key-ABSKexample"
"""The Bedrock API key ``tls_boto3`` sends."""
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
FAST_RETRIES = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
LEGACY = "anthropic.claude-v2:1"
PLAIN_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
"""Takes temperature or top_p and thinks only when asked (the previous default model)."""


ASYNC_TRANSPORTS = ("aiohttp", "threads")
"""The async transports every test that awaits runs on (``auto`` picks the first here)."""


_ASYNC_SIGNS = (
    "async def",
    "await ",
    "asyncio.run",
    "run_until_complete",
    "ainvoke",
    "astream",
    "abatch",
    "agenerate",
    "Async",
)


def _awaits(function: Any) -> bool:
    """Whether a test drives async code: a coroutine, or one that defines one."""
    if inspect.iscoroutinefunction(function):
        return True
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return any(sign in source for sign in _ASYNC_SIGNS)


def _async_value(value: object) -> bool:
    return isinstance(value, str) and any(sign in value for sign in _ASYNC_SIGNS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Each test that awaits runs on both async transports: the default ("auto", aiohttp here)
    # and worker threads, as "auto" is without aiohttp installed. A test parametrized over
    # call paths ("abatch", ...) runs its async paths on both (pytest_collection_modifyitems).
    if "async_transport" in metafunc.fixturenames:  # asked for by name: always both
        metafunc.parametrize("async_transport", ASYNC_TRANSPORTS, indirect=True)
        return
    if "twin" in metafunc.fixturenames or getattr(metafunc.module, "EXPLICIT_TRANSPORTS", False):
        return  # its own parameters name the transport, or its tests ask by name
    paths = any(
        _async_value(value)
        for mark in metafunc.definition.iter_markers("parametrize")
        for value in (mark.args[1] if len(mark.args) > 1 else ())
    )
    if paths or _awaits(metafunc.function):
        metafunc.fixturenames.append("async_transport")
        metafunc.parametrize("async_transport", ASYNC_TRANSPORTS, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The threads run of a sync path ("batch" beside "abatch") would repeat its first run.
    repeats = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or callspec.params.get("async_transport") != "threads":
            continue
        if _awaits(getattr(item, "function", None)):
            continue
        if not any(_async_value(value) for value in callspec.params.values() if value != "threads"):
            repeats.append(item)
    if repeats:
        config.hook.pytest_deselected(items=repeats)
        kept = set(map(id, repeats))
        items[:] = [item for item in items if id(item) not in kept]


@pytest.fixture
def async_transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The transport ``async_transport="auto"`` picks in this test (see pytest_generate_tests)."""
    transport: str = request.param
    if transport == "threads":
        import langchain_bedrock_claude._client as client_module

        monkeypatch.setattr(client_module, "have_aiohttp", lambda: False)
    return transport


class Twin:
    """Drives the sync or the async client with the same calls.

    ``kind``: ``"sync"``, ``"async"`` (the default transport), or ``"async-threads"``.
    """

    def __init__(self, kind: str, endpoint_url: str, **options: Any) -> None:
        self.kind = kind
        options = {
            "region": "us-east-1",
            "endpoint_url": endpoint_url,
            "retry_policy": FAST_RETRIES,
            **CREDENTIALS,
            **options,
        }
        if kind == "sync":
            self.client: Any = AnthropicBedrock(**options)
        else:
            if kind == "async-threads":
                options.setdefault("async_transport", "threads")
            self.loop = asyncio.new_event_loop()
            self.client = AsyncAnthropicBedrock(**options)

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def create(self, **kwargs: Any) -> Completion:
        kwargs.setdefault("model", SONNET_45)
        kwargs.setdefault("prompt", "Why is the sky blue?")
        if self.kind == "sync":
            return self.client.Completion.create(**kwargs)
        return self.run(self.client.Completion.create(**kwargs))

    def count_tokens(self, **kwargs: Any) -> int:
        kwargs.setdefault("model", SONNET_45)
        if self.kind == "sync":
            return self.client.count_tokens(**kwargs)
        return self.run(self.client.count_tokens(**kwargs))

    def stream(self, limit: int | None = None, **kwargs: Any) -> tuple[Any, list[CompletionChunk]]:
        """Open a stream and read it (``limit``: stop early after that many pieces)."""
        kwargs.setdefault("model", SONNET_45)
        kwargs.setdefault("prompt", "Why is the sky blue?")
        pieces: list[CompletionChunk] = []
        if self.kind == "sync":
            stream = self.client.Completion.create(stream=True, **kwargs)
            for piece in stream:
                pieces.append(piece)
                if limit is not None and len(pieces) >= limit:
                    break
            return stream, pieces

        async def read() -> Any:
            stream = await self.client.Completion.create(stream=True, **kwargs)
            async for piece in stream:
                pieces.append(piece)
                if limit is not None and len(pieces) >= limit:
                    break
            return stream

        try:
            return self.run(read()), pieces
        except BaseException as error:
            error.pieces = pieces  # type: ignore[attr-defined]
            raise

    def close(self) -> None:
        if self.kind == "sync":
            self.client.close()
        else:
            self.run(self.client.aclose())
            self.loop.close()


@pytest.fixture
def emu(bedrock_emulator: BedrockEmulator) -> BedrockEmulator:
    """The session's emulator, reset before and after each test (the plugin's fixture)."""
    return bedrock_emulator


@pytest.fixture
def server(bedrock_emulator_session: BedrockEmulator) -> BedrockEmulator:
    """The running emulator without a reset, for fixtures that only need its address."""
    return bedrock_emulator_session


@pytest.fixture(params=["sync", "async", "async-threads"])
def twin(request: pytest.FixtureRequest, emu: BedrockEmulator) -> Iterator[Twin]:
    client = Twin(request.param, emu.endpoint_url)
    yield client
    client.close()


@pytest.fixture
def make_twin(request: pytest.FixtureRequest, emu: BedrockEmulator) -> Iterator[Any]:
    made: list[Twin] = []

    def make(kind: str, **options: Any) -> Twin:
        made.append(Twin(kind, emu.endpoint_url, **options))
        return made[-1]

    yield make
    for twin in made:
        twin.close()


def _on_emulator(emu: BedrockEmulator, fields: dict[str, Any]) -> dict[str, Any]:
    """A LangChain class's fields for the emulator, over ``fields`` given."""
    # LangChain plumbing is under test, not the model: one that takes sampling parameters
    # and thinks only when asked (the default model, Sonnet 5.5, always thinks).
    fields.setdefault("model", PLAIN_MODEL)
    fields.setdefault("endpoint_url", emu.endpoint_url)
    fields.setdefault("region_name", "us-east-1")
    fields.setdefault("aws_access_key_id", CREDENTIALS["access_key"])
    fields.setdefault("aws_secret_access_key", CREDENTIALS["secret_key"])
    fields.setdefault("max_retries", 2)
    return fields


@pytest.fixture
def llm_factory(emu: BedrockEmulator) -> Any:
    def make(**fields: Any) -> BedrockClaude:
        return BedrockClaude(**_on_emulator(emu, fields))

    return make


@pytest.fixture
def chat_factory(emu: BedrockEmulator) -> Any:
    """As ``llm_factory``, for :class:`ChatBedrockClaude`."""

    def make(**fields: Any) -> ChatBedrockClaude:
        return ChatBedrockClaude(**_on_emulator(emu, fields))

    return make


def sigv4_boto3(emu: BedrockEmulator, **config: Any) -> Any:
    """Stock boto3 signing SigV4 with dummy keys; ``config``: ``Config`` options over
    ``NO_RETRIES``."""
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=emu.endpoint_url,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
        config=NO_RETRIES.merge(Config(**config)),
    )


def bearer_client(emu: BedrockEmulator, **options: Any) -> Any:
    """boto3 as a Bedrock API key user configures it: the env var, and the emulator's CA."""
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=emu.endpoint_url,
        config=NO_RETRIES,
        **{"verify": emu.ca_bundle, **options},
    )


@pytest.fixture
def tls_boto3(
    bedrock_emulator_tls: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """Stock boto3 on the HTTPS emulator, signing with a Bedrock API key (bearer token)."""
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
    runtime = bearer_client(bedrock_emulator_tls)
    yield runtime
    runtime.close()


@pytest.fixture
def client(emu: BedrockEmulator, tls_boto3: Any) -> Any:
    """``tls_boto3``, once the module's ``emu`` is ready (modules on plain HTTP override it)."""
    return tls_boto3


@pytest.fixture
def sdk(server: BedrockEmulator) -> Iterator[anthropic.AnthropicBedrock]:
    """The Anthropic SDK's ``AnthropicBedrock`` (SigV4, no retries) on the emulator."""
    client = anthropic.AnthropicBedrock(
        aws_access_key="AKIDEXAMPLE",
        aws_secret_key="secret",
        aws_region="us-east-1",
        base_url=server.endpoint_url,
        max_retries=0,
    )
    yield client
    client.close()


@pytest.fixture
def runtime(server: BedrockEmulator) -> Iterator[Any]:
    """Stock boto3 on the plain-HTTP emulator, signing with SigV4."""
    client = sigv4_boto3(server)
    yield client
    client.close()


# --- batch inference jobs: moto's S3 server on loopback (test-only dependency) -------------

BATCH_ROLE = "arn:aws:iam::123456789012:role/bedrock-batch"
"""A service role ARN of the right shape (the emulator checks the pattern, not IAM)."""


@pytest.fixture(scope="session")
def moto_s3_url() -> Iterator[str]:
    """moto's S3 server, on 127.0.0.1 and a free port, for the whole session."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(url: str) -> Any:
    """Stock boto3 ``s3`` on moto, with dummy keys."""
    return boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )


@pytest.fixture
def bucket(moto_s3_url: str, emu: BedrockEmulator, request: pytest.FixtureRequest) -> str:
    """A new empty bucket for this test; the emulator's jobs use moto's S3."""
    import re
    import uuid

    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    name = f"{name}-{uuid.uuid4().hex[:8]}"
    s3_client(moto_s3_url).create_bucket(Bucket=name)
    emu.jobs.s3_endpoint_url = moto_s3_url
    return name
