"""How each contender is built and pointed at the emulator, with dummy credentials.

Contenders:

* raw boto3: ``invoke_model`` + ``read()`` + ``json.loads``, or iterating
  ``invoke_model_with_response_stream`` with ``json.loads`` per chunk: the floor.
* "LLM floor": the least a LangChain ``LLM`` can do, a bare subclass whose ``_call`` and
  ``_stream`` are the raw boto3 loops above. Its distance from raw boto3 is langchain-core's
  own cost, which no integration can avoid.
* ``BedrockClaude`` (invoke/stream/astream) and our ``AnthropicBedrock`` client.
* langchain-aws: ``BedrockLLM`` (legacy Text Completions ids) and ``ChatBedrock`` (Messages).
* The Anthropic SDK's ``AnthropicBedrock`` / ``AsyncAnthropicBedrock`` (httpx).

langchain-aws and the Anthropic SDK are optional (``pip install -e .[bench]``): without them
their rows are left out and say so.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import time
from collections.abc import AsyncIterable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LLM
from langchain_core.outputs import GenerationChunk

if TYPE_CHECKING:
    from langchain_bedrock_claude import AnthropicBedrock, BedrockClaude

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
ANTHROPIC_VERSION = "bedrock-2023-05-31"
"""The ``anthropic_version`` every Messages body on Bedrock carries."""


@dataclass(frozen=True)
class Wire:
    """One of Bedrock's two Claude wire APIs, and the model id that speaks it."""

    name: str
    model_id: str
    legacy: bool


LEGACY = Wire("legacy", "anthropic.claude-v2:1", legacy=True)
MESSAGES = Wire("messages", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", legacy=False)
WIRES = (LEGACY, MESSAGES)


def isolate_environment() -> None:
    """Dummy credentials and region, no instance metadata, quiet urllib3 pool warnings."""
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["AWS_ACCESS_KEY_ID"] = ACCESS_KEY
    os.environ["AWS_SECRET_ACCESS_KEY"] = SECRET_KEY
    os.environ["AWS_DEFAULT_REGION"] = REGION
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    # A pool smaller than the concurrency logs one warning per extra connection.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)


def have(module: str) -> bool:
    """Whether an optional contender's package is installed."""
    return importlib.util.find_spec(module) is not None


# --- raw boto3 ----------------------------------------------------------------------------------


def boto3_client(endpoint_url: str, max_connections: int | None = None) -> Any:
    """A stock boto3 ``bedrock-runtime`` client (botocore's defaults, bar the pool size)."""
    import boto3
    from botocore.config import Config

    config = Config(max_pool_connections=max_connections) if max_connections else None
    return boto3.client(
        "bedrock-runtime",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=config,
    )


def raw_body(wire: Wire, prompt: str, max_tokens: int) -> bytes:
    """The request body a boto3 user writes by hand."""
    body: dict[str, Any]
    if wire.legacy:
        body = {
            "prompt": f"\n\nHuman: {prompt}\n\nAssistant:",
            "max_tokens_to_sample": max_tokens,
        }
    else:
        body = {
            "anthropic_version": ANTHROPIC_VERSION,
            "max_tokens": max_tokens,
            "messages": [{"role": "user", "content": prompt}],
        }
    return json.dumps(body).encode()


def raw_invoke(client: Any, wire: Wire, body: bytes) -> str:
    """``invoke_model`` + ``read()`` + ``json.loads``: the text."""
    response = client.invoke_model(
        modelId=wire.model_id, body=body, contentType="application/json", accept="application/json"
    )
    parsed = json.loads(response["body"].read())
    if wire.legacy:
        return str(parsed["completion"])
    return str(parsed["content"][0]["text"])


def raw_stream(client: Any, wire: Wire, body: bytes) -> Iterator[str]:
    """Iterate ``invoke_model_with_response_stream``, ``json.loads`` per chunk: text pieces."""
    response = client.invoke_model_with_response_stream(
        modelId=wire.model_id, body=body, contentType="application/json", accept="application/json"
    )
    stream = response["body"]
    try:
        for event in stream:
            chunk = event.get("chunk")
            if chunk is None:
                continue
            data = json.loads(chunk["bytes"])
            if wire.legacy:
                text = data.get("completion")
            elif data.get("type") == "content_block_delta":
                text = data["delta"].get("text")
            else:
                text = None
            if text:
                yield text
    finally:
        stream.close()


class FloorLLM(LLM):
    """The least a LangChain ``LLM`` can do: raw boto3 inside ``_call`` and ``_stream``."""

    runtime: Any
    wire: Wire
    max_tokens: int

    @property
    def _llm_type(self) -> str:
        return "benchmark-floor"

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        return raw_invoke(self.runtime, self.wire, raw_body(self.wire, prompt, self.max_tokens))

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        body = raw_body(self.wire, prompt, self.max_tokens)
        for text in raw_stream(self.runtime, self.wire, body):
            chunk = GenerationChunk(text=text)
            if run_manager is not None:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk


def floor_llm(endpoint_url: str, wire: Wire, max_tokens: int) -> FloorLLM:
    return FloorLLM(runtime=boto3_client(endpoint_url), wire=wire, max_tokens=max_tokens)


# --- this package -------------------------------------------------------------------------------


def bedrock_claude(
    endpoint_url: str,
    wire: Wire,
    max_tokens: int,
    max_connections: int | None = None,
    **fields: Any,
) -> BedrockClaude:
    from langchain_bedrock_claude import BedrockClaude

    return BedrockClaude(
        **fields,
        model=wire.model_id,
        max_tokens=max_tokens,
        region=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        max_connections=max_connections,
    )


def our_client(endpoint_url: str) -> AnthropicBedrock:
    from langchain_bedrock_claude import AnthropicBedrock

    return AnthropicBedrock(
        access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION, endpoint_url=endpoint_url
    )


# --- langchain-aws ------------------------------------------------------------------------------


def langchain_aws_model(
    endpoint_url: str, wire: Wire, max_tokens: int, max_connections: int | None = None
) -> Any:
    """``BedrockLLM`` for the legacy wire, ``ChatBedrock`` for Messages."""
    from botocore.config import Config
    from langchain_aws import BedrockLLM, ChatBedrock

    options: dict[str, Any] = {
        "model_id": wire.model_id,
        "region_name": REGION,
        "endpoint_url": endpoint_url,
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": SECRET_KEY,
    }
    if max_connections:
        options["config"] = Config(max_pool_connections=max_connections)
    if wire.legacy:
        return BedrockLLM(**options, model_kwargs={"max_tokens_to_sample": max_tokens})
    return ChatBedrock(**options, max_tokens=max_tokens)


def langchain_aws_name(wire: Wire) -> str:
    return "langchain-aws BedrockLLM" if wire.legacy else "langchain-aws ChatBedrock"


# --- the Anthropic SDK --------------------------------------------------------------------------


def anthropic_sdk(endpoint_url: str) -> Any:
    import anthropic

    return anthropic.AnthropicBedrock(
        aws_access_key=ACCESS_KEY,
        aws_secret_key=SECRET_KEY,
        aws_region=REGION,
        base_url=endpoint_url,
        max_retries=0,
    )


def async_anthropic_sdk(endpoint_url: str) -> Any:
    import anthropic

    return anthropic.AsyncAnthropicBedrock(
        aws_access_key=ACCESS_KEY,
        aws_secret_key=SECRET_KEY,
        aws_region=REGION,
        base_url=endpoint_url,
        max_retries=0,
    )


def sdk_messages(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


# --- every sync contender of one wire -----------------------------------------------------------


@dataclass
class SyncClients:
    """The sync contenders' clients for one wire, and the clients to close when done."""

    runtime: Any
    """Raw boto3."""
    llm: BedrockClaude
    ours: AnthropicBedrock
    floor: FloorLLM
    lc_aws: Any = None
    """langchain-aws ``BedrockLLM`` / ``ChatBedrock``; ``None`` when not installed."""
    sdk: Any = None
    """The Anthropic SDK; ``None`` when not installed and on the legacy wire (Messages only)."""
    closers: list[Any] = field(default_factory=list)


def sync_clients(endpoint_url: str, wire: Wire, max_tokens: int) -> SyncClients:
    """Every sync contender's client on ``wire`` (the optional ones when installed)."""
    clients = SyncClients(
        runtime=boto3_client(endpoint_url),
        llm=bedrock_claude(endpoint_url, wire, max_tokens),
        ours=our_client(endpoint_url),
        floor=floor_llm(endpoint_url, wire, max_tokens),
    )
    clients.closers += [clients.runtime, clients.ours, clients.floor.runtime]
    if have("langchain_aws"):
        clients.lc_aws = langchain_aws_model(endpoint_url, wire, max_tokens)
        clients.closers.append(clients.lc_aws.client)
    if have("anthropic") and not wire.legacy:
        clients.sdk = anthropic_sdk(endpoint_url)
        clients.closers.append(clients.sdk)
    return clients


# --- reading streams ----------------------------------------------------------------------------


def text_of(piece: object) -> str:
    """The text of a streamed piece from any contender (str, CompletionChunk, message chunk)."""
    if isinstance(piece, str):
        return piece
    content = getattr(piece, "content", None)
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Messages content blocks
        return "".join(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return str(piece)


def first_piece_and_count(pieces: Iterable[object]) -> tuple[float, int]:
    """Read a stream: (``perf_counter()`` at its first non-empty text piece, text characters).

    An empty opening piece (a message start) is not a token: it is neither timed nor counted.
    Characters, not pieces: a client may join pieces that arrived together.
    """
    first = 0.0
    characters = 0
    for piece in pieces:
        text = text_of(piece)
        if not first:
            if not text:
                continue
            first = time.perf_counter()
        characters += len(text)
    return first, characters


async def afirst_piece_and_count(pieces: AsyncIterable[object]) -> tuple[float, int]:
    """The async twin of :func:`first_piece_and_count`."""
    first = 0.0
    characters = 0
    async for piece in pieces:
        text = text_of(piece)
        if not first:
            if not text:
                continue
            first = time.perf_counter()
        characters += len(text)
    return first, characters
