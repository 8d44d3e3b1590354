"""The chat model: a short call and a 2,000-token stream, beside langchain-aws' chat models.

Contenders, all on the Messages wire (``us.anthropic.claude-sonnet-4-5``):

* raw boto3: ``invoke_model`` + ``read()`` + ``json.loads``, or iterating
  ``invoke_model_with_response_stream`` with ``json.loads`` per chunk;
* "chat floor": a bare langchain-core ``BaseChatModel`` whose ``_generate`` is exactly that
  raw boto3 call (and whose ``_stream`` is that loop, one ``AIMessageChunk`` per piece): what
  langchain-core alone costs a chat model;
* ``ChatBedrockClaude.invoke`` / ``.stream``;
* langchain-aws ``ChatBedrock`` (InvokeModel) and ``ChatAnthropicBedrock`` (the Anthropic
  SDK's Bedrock client; needs ``langchain-anthropic``), when installed.

Targets: ``ChatBedrockClaude.invoke`` within 1.05x of the chat floor; its 2,000-token stream
within 1.0x of raw boto3 per token (first to last piece: the emulator sends the whole reply
at once, so that is the client's decoding speed).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from . import _contenders as c
from ._harness import (
    Contender,
    Report,
    Settings,
    Table,
    Target,
    column,
    interleave_and_close,
    median,
    ms,
    paired_ratio,
    timed,
    times,
)
from ._server import directive
from .streaming import FIRST, SPREAD, TOTAL, time_stream

SHORT_TOKENS = 16
LONG_TOKENS = 2_000
INVOKE_TARGET = 1.05
STREAM_TARGET = 1.0
BASELINE = "raw boto3"
FLOOR = "chat floor (langchain-core + raw boto3)"
CHAT = "ChatBedrockClaude"
WIRE = c.MESSAGES


class FloorChatModel(BaseChatModel):
    """The least a LangChain chat model can do: raw boto3 inside ``_generate`` and ``_stream``."""

    runtime: Any
    max_tokens: int

    @property
    def _llm_type(self) -> str:
        return "benchmark-chat-floor"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        body = c.raw_body(WIRE, str(messages[-1].content), self.max_tokens)
        text = c.raw_invoke(self.runtime, WIRE, body)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        body = c.raw_body(WIRE, str(messages[-1].content), self.max_tokens)
        for text in c.raw_stream(self.runtime, WIRE, body):
            yield ChatGenerationChunk(message=AIMessageChunk(content=text))


def _chat_models(endpoint_url: str, max_tokens: int) -> tuple[list[tuple[str, Any]], list[Any]]:
    from langchain_bedrock_claude import ChatBedrockClaude

    runtime = c.boto3_client(endpoint_url)
    floor = FloorChatModel(runtime=c.boto3_client(endpoint_url), max_tokens=max_tokens)
    ours = ChatBedrockClaude(
        model=WIRE.model_id,
        max_tokens=max_tokens,
        region=c.REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id=c.ACCESS_KEY,
        aws_secret_access_key=c.SECRET_KEY,
    )
    models: list[tuple[str, Any]] = [(BASELINE, runtime), (FLOOR, floor), (CHAT, ours)]
    closers: list[Any] = [runtime, floor.runtime]
    if c.have("langchain_aws"):
        chat_bedrock = c.langchain_aws_model(endpoint_url, WIRE, max_tokens)
        models.append(("langchain-aws ChatBedrock", chat_bedrock))
        closers.append(chat_bedrock.client)
        if c.have("langchain_anthropic"):
            from langchain_aws import ChatAnthropicBedrock

            # The Anthropic SDK's Bedrock client reads its endpoint from the environment only.
            os.environ["ANTHROPIC_BEDROCK_BASE_URL"] = endpoint_url
            anthropic_bedrock = ChatAnthropicBedrock(
                model=WIRE.model_id,
                max_tokens=max_tokens,
                region_name=c.REGION,
                aws_access_key_id=c.ACCESS_KEY,
                aws_secret_access_key=c.SECRET_KEY,
                max_retries=0,
            )
            models.append(("langchain-aws ChatAnthropicBedrock", anthropic_bedrock))
    return models, closers


def _invoke_contenders(endpoint_url: str) -> tuple[list[Contender], list[Any]]:
    prompt = directive(SHORT_TOKENS)
    max_tokens = SHORT_TOKENS * 4
    models, closers = _chat_models(endpoint_url, max_tokens)
    contenders = []
    for name, model in models:
        if name == BASELINE:
            call: Callable[[], object] = lambda runtime=model: c.raw_invoke(  # noqa: E731
                runtime, WIRE, c.raw_body(WIRE, prompt, max_tokens)
            )
        else:
            call = lambda model=model: model.invoke(prompt)  # noqa: E731
        contenders.append(Contender(f"{name}.invoke" if name != BASELINE else name, timed(call)))
    return contenders, closers


def _stream_contenders(endpoint_url: str) -> tuple[list[Contender], list[Any]]:
    prompt = directive(LONG_TOKENS)
    max_tokens = LONG_TOKENS + 16
    models, closers = _chat_models(endpoint_url, max_tokens)
    contenders = []
    for name, model in models:
        if name == BASELINE:
            pieces: Callable[[], Iterable[object]] = lambda runtime=model: c.raw_stream(  # noqa: E731
                runtime, WIRE, c.raw_body(WIRE, prompt, max_tokens)
            )
        else:
            pieces = lambda model=model: model.stream(prompt)  # noqa: E731
        label = f"{name}.stream" if name != BASELINE else name
        contenders.append(Contender(label, time_stream(pieces, LONG_TOKENS)))
    return contenders, closers


def run(endpoint_url: str, settings: Settings, report: Report) -> None:
    short = Table(
        f"Chat model, a {SHORT_TOKENS}-token call ({settings.invoke_iterations} interleaved "
        "calls per contender; medians)",
        ("contender", "median ms", "vs boto3", "vs chat floor"),
    )
    contenders, closers = _invoke_contenders(endpoint_url)
    samples = interleave_and_close(contenders, closers, settings.invoke_iterations, warmup=20)
    call = column(samples, 0)
    floor_name, ours_name = f"{FLOOR}.invoke", f"{CHAT}.invoke"
    for contender in contenders:
        name = contender.name
        short.add(
            name,
            ms(median(call[name])),
            times(paired_ratio(call[name], call[BASELINE])),
            times(paired_ratio(call[name], call[floor_name])),
        )
    invoke_ratio = paired_ratio(call[ours_name], call[floor_name])
    report.tables.append(short)

    long = Table(
        f"Chat model, a {LONG_TOKENS:,}-token stream ({settings.stream_iterations} interleaved "
        "streams per contender; medians)",
        ("contender", "1st piece ms", "1st->last ms", "vs boto3", "total ms", "vs boto3"),
    )
    contenders, closers = _stream_contenders(endpoint_url)
    samples = interleave_and_close(contenders, closers, settings.stream_iterations, warmup=2)
    first, spread, total = (column(samples, index) for index in (FIRST, SPREAD, TOTAL))
    for contender in contenders:
        name = contender.name
        long.add(
            name,
            ms(median(first[name])),
            ms(median(spread[name])),
            times(paired_ratio(spread[name], spread[BASELINE])),
            ms(median(total[name])),
            times(paired_ratio(total[name], total[BASELINE])),
        )
    stream_name = f"{CHAT}.stream"
    stream_ratio = paired_ratio(spread[stream_name], spread[BASELINE])
    floor_ratio = paired_ratio(spread[f"{FLOOR}.stream"], spread[BASELINE])
    long.notes.append(
        "1st->last: decoding 2,000 events already on the wire; the chat floor's ratio is "
        "langchain-core's own cost per message chunk."
    )
    report.tables.append(long)
    report.targets += [
        Target(
            f"chat invoke, {SHORT_TOKENS} tokens",
            f"ChatBedrockClaude.invoke <= {INVOKE_TARGET:.2f}x the chat floor",
            f"{invoke_ratio:.3f}x ({ms(median(call[ours_name]))} vs "
            f"{ms(median(call[floor_name]))} ms)",
            invoke_ratio <= INVOKE_TARGET,
        ),
        Target(
            f"chat stream, {LONG_TOKENS:,} tokens",
            f"ChatBedrockClaude.stream first->last <= {STREAM_TARGET:.2f}x raw boto3",
            f"{stream_ratio:.3f}x ({ms(median(spread[stream_name]))} vs "
            f"{ms(median(spread[BASELINE]))} ms); chat floor alone {floor_ratio:.3f}x",
            stream_ratio <= STREAM_TARGET,
        ),
    ]
    report.raw["chat"] = {
        "invoke": {name: median(values) for name, values in call.items()},
        "stream_first_to_last": {name: median(values) for name, values in spread.items()},
        "invoke_ratio_vs_floor": invoke_ratio,
        "stream_ratio_vs_boto3": stream_ratio,
    }
