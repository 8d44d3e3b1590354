"""``ChatBedrockClaude``: Claude on AWS Bedrock as a LangChain chat model, with tools.

```python
from langchain.agents import create_agent
from langchain_bedrock_claude import ChatBedrockClaude

model = ChatBedrockClaude(model="us.anthropic.claude-sonnet-4-5-20250929-v1:0")
agent = create_agent(model, tools=[get_weather])
```

The same client as :class:`BedrockClaude` (request building, routing, the model rules, retries,
typed errors, usage, the non-blocking async machinery), speaking InvokeModel and
InvokeModelWithResponseStream with the Messages body.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import aclosing
from functools import cached_property, partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, cast
from uuid import UUID

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
    Callbacks,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.messages.ai import InputTokenDetails, UsageMetadata
from langchain_core.messages.tool import tool_call, tool_call_chunk
from langchain_core.output_parsers import (
    JsonOutputKeyToolsParser,
    JsonOutputParser,
    PydanticOutputParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult, LLMResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel

from ._batching import amap_concurrently, map_concurrently
from ._errors import InvalidParameterError
from ._exchange import Exchange
from ._formats.chat import (
    BlockPiece,
    ChatInput,
    ChatWire,
    format_messages,
    is_forced,
    to_tool,
    to_tool_choice,
)
from ._lc_base import SECRET_ENVIRONMENT, BedrockClaudeFields
from ._lc_batches import GENERATE_THREADS, ConcurrentBatches
from ._lc_bound import BindsJobArguments
from ._model_checks import (
    check_forced_tool_choice,
    check_prefill,
    check_system_turns,
    thinking_active,
)
from ._models import Completion, CompletionChunk, Usage
from ._options import OPTION_NAMES
from ._params import (
    CONVERSATION,
    MAX_CACHE_POINTS,
    CompletionParams,
    check_params,
    reject_unknown,
)
from ._request import PreparedRequest, prepare
from ._routing import ModelRef

if TYPE_CHECKING:
    from .batch import ChatBatchJobs

__all__ = ["ChatBedrockClaude"]

_CALL_OPTIONS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "system",
    "model",
    "model_kwargs",
    "tools",
    "tool_choice",
    "output_config",
    *OPTION_NAMES,
)
_PASSED_THROUGH = frozenset({"stream"})
"""Keys LangChain itself passes down to ``_stream`` (``stream=True``): not request options."""
_PROVIDER = "bedrock"
"""``response_metadata["model_provider"]``: LangChain's translator of Bedrock InvokeModel's
Anthropic content blocks into its standard blocks (``content_blocks``, ``output_version="v1"``)."""

StructuredMethod = Literal["function_calling", "json_schema", "json_mode"]


def usage_metadata(usage: Usage) -> UsageMetadata:
    """Bedrock's token counts as LangChain reports them.

    LangChain's ``input_tokens`` is every prompt token, of which ``input_token_details`` says
    how many were read from or written to the prompt cache; Bedrock's ``input_tokens`` counts
    only those billed at the normal rate.
    """
    details = InputTokenDetails(
        cache_read=usage.cache_read_input_tokens, cache_creation=usage.cache_write_input_tokens
    )
    prompt = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_write_input_tokens
    # Bedrock reports no separate count of thinking tokens for Claude: no output details.
    metadata = {
        "input_tokens": prompt,
        "output_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "input_token_details": details,
    }
    return cast("UsageMetadata", metadata)


def _response_metadata(completion: Completion | CompletionChunk) -> dict[str, Any]:
    metadata = {key: value for key, value in (completion.metadata or {}).items()}
    metadata.pop("content", None)
    return {
        **metadata,
        "stop_reason": completion.stop_reason,
        "stop_sequence": completion.stop_sequence,
        "model": completion.model,
        "model_id": completion.model_id,
        "model_name": completion.model_id,
        "request_id": completion.request_id,
        "usage": (completion.usage or Usage()).to_dict(),
        "model_provider": _PROVIDER,
    }


def _clean(block: Mapping[str, Any]) -> dict[str, Any]:
    # Bedrock sends "citations": null on plain text blocks; it is not content.
    return {key: value for key, value in block.items() if value is not None}


def message_from(completion: Completion) -> AIMessage:
    """A finished response -> an :class:`AIMessage` with its tool calls, usage and metadata."""
    blocks = [_clean(block) for block in completion.metadata.get("content") or ()]
    calls = [
        tool_call(name=block["name"], args=block.get("input") or {}, id=block["id"])
        for block in blocks
        if block.get("type") == "tool_use"
    ]
    content: str | list[str | dict[str, Any]]
    if not blocks:
        content = ""
    elif len(blocks) == 1 and blocks[0].keys() == {"type", "text"}:
        content = blocks[0]["text"]
    else:
        content = list(blocks)
    fields: dict[str, Any] = {"tool_calls": calls} if calls else {}  # none: skip validating []
    return AIMessage(
        content=content,
        usage_metadata=usage_metadata(completion.usage),
        response_metadata=_response_metadata(completion),
        id=completion.metadata.get("id"),
        **fields,
    )


def chunk_from(piece: CompletionChunk, *, blocks: bool) -> AIMessageChunk:
    """One stream piece -> an :class:`AIMessageChunk` (``blocks``: content as indexed blocks)."""
    if piece.is_final:
        return AIMessageChunk(
            content=[] if blocks else "",
            usage_metadata=usage_metadata(piece.usage or Usage()),
            response_metadata=_response_metadata(piece),
            chunk_position="last",
            # Bedrock's message id: the merged message has it, as an invoked one does.
            id=(piece.metadata or {}).get("id"),
        )
    index = piece.index if isinstance(piece, BlockPiece) else 0
    meta = {"model_provider": _PROVIDER}
    if isinstance(piece, BlockPiece) and piece.block is not None:
        block = dict(piece.block)
        if block.get("type") == "tool_use":
            arguments = block.get("input")
            return AIMessageChunk(
                content=[{**block, "index": index}],
                tool_call_chunks=[
                    tool_call_chunk(
                        name=block.get("name"),
                        id=block.get("id"),
                        args=json.dumps(arguments) if arguments else "",
                        index=index,
                    )
                ],
                response_metadata=meta,
            )
        return AIMessageChunk(content=[{**block, "index": index}], response_metadata=meta)
    if isinstance(piece, BlockPiece) and piece.delta is not None:
        delta = piece.delta
        kind = delta.get("type")
        if kind == "input_json_delta":
            partial = delta.get("partial_json", "")
            return AIMessageChunk(
                content=[{"type": "input_json_delta", "partial_json": partial, "index": index}],
                tool_call_chunks=[tool_call_chunk(args=partial, index=index)],
                response_metadata=meta,
            )
        if kind == "citations_delta":
            content = {"type": "text", "citations": [delta.get("citation")], "index": index}
        else:  # as it came: a signature_delta merges into its thinking block by index
            content = {**delta, "index": index}
        return AIMessageChunk(content=[content], response_metadata=meta)
    if piece.thinking:
        return AIMessageChunk(
            content=[{"type": "thinking", "thinking": piece.thinking, "index": index}],
            response_metadata=meta,
        )
    # Text needs no model_provider to become standard blocks, and leaving response_metadata
    # out halves what langchain-core spends building each chunk (about 13 us of 22).
    if blocks:
        return AIMessageChunk(content=[{"type": "text", "text": piece.completion, "index": index}])
    return AIMessageChunk(content=piece.completion)


def check_media(model: ModelRef, chat: ChatInput) -> None:
    """Refuse images or documents for a model that cannot read them (the model rules)."""
    rules = model.rules
    if rules is None:
        return  # unknown to the table: sent as asked, and Bedrock's answer speaks
    for count, supported, what in (
        (chat.images, rules.vision, "images"),
        (chat.documents, rules.pdf, "documents (PDF or text)"),
    ):
        if count and not supported:
            raise InvalidParameterError(
                f"{model.model_id} ({rules.name}) does not read {what}, and the messages hold "
                f"{count}: use a model that does (Claude Sonnet 4.5, for one), or send text."
            )


def check_native_output(model: ModelRef) -> None:
    """Refuse Bedrock's native JSON-schema output for a model without it (the model rules)."""
    rules = model.rules
    if rules is not None and not rules.structured_output:
        raise InvalidParameterError(
            f"{model.model_id} ({rules.name}) has no native structured output "
            "(output_config.format): use with_structured_output(method='function_calling'), "
            "or a model that has it."
        )


def _cache_points(chat: ChatInput, tools: Sequence[Mapping[str, Any]]) -> int:
    return chat.cache_points + sum(
        1 for tool in tools if isinstance(tool, Mapping) and "cache_control" in tool
    )


def _strict_objects(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` on every object.

    Native JSON output requires it (Anthropic's structured outputs guide).
    """
    if isinstance(schema, dict):
        fixed = {key: _strict_objects(value) for key, value in schema.items()}
        if fixed.get("type") == "object" and "additionalProperties" not in fixed:
            fixed["additionalProperties"] = False
        return fixed
    if isinstance(schema, list):
        return [_strict_objects(item) for item in schema]
    return schema


def _generate_options(
    stop: list[str] | None,
    callbacks: Callbacks,
    tags: list[str] | None,
    metadata: dict[str, Any] | None,
    run_name: str | None,
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    """What ``generate`` and ``agenerate`` pass on to langchain-core's, stated once."""
    return {
        "stop": stop,
        "callbacks": callbacks,
        "tags": tags,
        "metadata": metadata,
        "run_name": run_name,
        **kwargs,
    }


def _with_run_ids(
    messages: list[list[BaseMessage]], run_id: UUID | None
) -> list[tuple[list[BaseMessage], UUID | None]]:
    """Each message list with its run's id: ``run_id`` for the first, as langchain-core does."""
    return [(listed, run_id if index == 0 else None) for index, listed in enumerate(messages)]


class ChatBedrockClaude(
    BindsJobArguments,
    ConcurrentBatches[AIMessage],
    BaseChatModel,
    BedrockClaudeFields,
):
    """Anthropic's Claude on AWS Bedrock, as a LangChain chat model.

    System, human, AI and tool messages with text, images, PDF and text documents, prompt
    caching (``cache_control`` on blocks) and thinking blocks; tools (``bind_tools``,
    ``tool_choice``, parallel calls, streamed ``tool_call_chunks``); ``with_structured_output``
    through a tool or Bedrock's native JSON-schema output; ``usage_metadata`` with cache
    details. Streams token by token to every listener (callbacks, ``astream_events``,
    LangGraph's ``stream_mode="messages"``), and async without blocking the event loop.

    What Bedrock cannot take is refused with :class:`InvalidParameterError` before any
    request: nothing a message holds is dropped.

    ``batch``, ``abatch``, the ``*_as_completed`` paths, and ``generate`` / ``agenerate`` of
    several message lists run their inputs at once, each its own run, bounded by
    ``max_concurrency`` or the connection pool (as :class:`BedrockClaude` does).
    """

    def _check_request(self) -> None:
        # The same checks a call makes (sampling, options, the model's rules).
        self._params(None, {}, None)

    # --- LangChain identity -------------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "bedrock-claude-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Secret fields and the environment variables they are read from."""
        return dict(SECRET_ENVIRONMENT)

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return self._shown_params()

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return self._ls_params("chat", stop, **kwargs)

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """``dumps(model)`` works, with secrets replaced by their environment variable names."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The module path, as it appears in serialized ids."""
        return ["langchain_bedrock_claude", "chat_models"]

    @cached_property
    def batch_jobs(self) -> ChatBatchJobs:
        """Run conversations as Bedrock batch inference jobs (half price; answers in hours)."""
        from .batch import ChatBatchJobs

        return ChatBatchJobs(self)

    # --- requests -------------------------------------------------------------------------------

    def _params(
        self, chat: ChatInput | None, options: Mapping[str, Any], stop: list[str] | None
    ) -> CompletionParams:
        extra = {**self.model_kwargs, **(options.get("model_kwargs") or {})}
        system = " ".join(block["text"] for block in chat.system) if chat else self.system
        params = check_params(
            model=options.get("model", self.model),
            prompt=CONVERSATION,
            max_tokens=options.get("max_tokens", self.max_tokens),
            stop_sequences=self._stops(stop),
            temperature=options.get("temperature", self.temperature),
            top_p=options.get("top_p", self.top_p),
            top_k=options.get("top_k", self.top_k),
            system=system or None,
            api="messages",
            extra_body=extra,
            options=self.invocation_options(options),
            base_model=self.base_model_id,
            max_tokens_name="max_tokens",
        )
        return params

    def _request(
        self,
        messages: Sequence[BaseMessage],
        stop: list[str] | None,
        options: Mapping[str, Any],
        *,
        stream: bool = False,
    ) -> tuple[PreparedRequest, bool]:
        """The request for ``messages``, and whether its content streams as blocks."""
        if options:  # a plain invoke passes none
            options = {key: value for key, value in options.items() if key not in _PASSED_THROUGH}
            reject_unknown(
                {key: value for key, value in options.items() if key not in _CALL_OPTIONS},
                _CALL_OPTIONS,
            )
        chat = format_messages(messages, options.get("system", self.system))
        params = self._params(chat, options, stop)
        model = params.model
        thinking = thinking_active(
            model, params.options.thinking_budget_tokens, params.options.thinking
        )
        tools: list[dict[str, Any]] = []
        choice: dict[str, Any] | None = None
        if options.get("tools") or options.get("tool_choice") is not None:
            tools = [to_tool(tool) for tool in options.get("tools") or ()]
            choice = to_tool_choice(options.get("tool_choice"), [tool["name"] for tool in tools])
            if choice is not None and not tools and choice["type"] != "none":
                raise InvalidParameterError(
                    f"tool_choice {choice!r} needs tools; bind them with bind_tools(...)."
                )
            if is_forced(choice):
                check_forced_tool_choice(model, thinking=thinking)
        last = chat.messages[-1]["role"] if chat.messages else None
        check_prefill(model, last, source="the messages (the last is an AIMessage)")
        if chat.images or chat.documents:
            check_media(model, chat)
        check_system_turns(model, chat.system_turns)
        if options.get("output_config") is not None:
            check_native_output(model)
        points = _cache_points(chat, tools) + int(params.options.cache_system)
        if points > MAX_CACHE_POINTS:
            raise InvalidParameterError(
                f"at most {MAX_CACHE_POINTS} cache points per request (got {points} blocks "
                "with 'cache_control'"
                + (" and cache_system" if params.options.cache_system else "")
                + ")."
            )
        fields: dict[str, Any] = {}
        if tools:
            fields["tools"] = tools
        if choice is not None:
            fields["tool_choice"] = choice
        if options.get("output_config") is not None:
            fields["output_config"] = options["output_config"]
        wire = ChatWire(
            system=chat.system_field(cache=params.options.cache_system),
            messages=chat.messages,
            fields=fields,
        )
        return prepare(params, stream=stream, wire=wire), bool(tools) or thinking

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool] | None = None,
    ) -> int:
        """Count the input tokens of ``messages`` (and ``tools``) with Bedrock's CountTokens.

        Raises:
            InvalidParameterError: the model does not support CountTokens (before any request).
        """
        options = {"tools": list(tools)} if tools else {}
        request, _ = self._request(messages, None, options)
        return self._sync_client._count(request)

    def get_num_tokens(self, text: str) -> int:
        """Count ``text``'s tokens, sent as one human message, with Bedrock's CountTokens.

        The count includes the few tokens of the message framing (no local guesswork).
        """
        return self.get_num_tokens_from_messages([HumanMessage(text)])

    # --- batches: every message list at once, each its own run (batch: ConcurrentBatches) -----

    def generate(
        self,
        messages: list[list[BaseMessage]],
        stop: list[str] | None = None,
        callbacks: Callbacks = None,
        *,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        run_name: str | None = None,
        run_id: UUID | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        """As :meth:`BaseChatModel.generate`, with every message list answered at once.

        langchain-core answers the lists one after another. Here each list is the run that
        ``generate([that_list], ...)`` makes (its callbacks, LLM cache entry, rate limiter
        turn, streamed tokens and usage; ``run_id`` names the first list's run), at most as
        many at once as the connection pool holds; the results are joined in order. The
        first error is raised once the other requests are stopped (those not sent are never
        sent, those in flight are aborted and report ``on_llm_error``).
        """
        options = _generate_options(stop, callbacks, tags, metadata, run_name, kwargs)
        if len(messages) <= 1:  # one run: langchain-core's own, with nothing in between
            return super().generate(messages, run_id=run_id, **options)
        one = partial(super().generate, **options)
        results = map_concurrently(
            lambda pair: one(messages=[pair[0]], run_id=pair[1]),
            _with_run_ids(messages, run_id),
            limit=self._concurrency(),
            abortable=Exchange,
            name=GENERATE_THREADS,
        )
        return self._joined(cast("list[LLMResult]", results))

    async def agenerate(
        self,
        messages: list[list[BaseMessage]],
        stop: list[str] | None = None,
        callbacks: Callbacks = None,
        *,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        run_name: str | None = None,
        run_id: UUID | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        """The async twin of :meth:`generate`, bounded by the connection pool.

        langchain-core awaits every list at once, unbounded, and lets the others finish
        after a first error; here that error cancels them (as a cancelled ``ainvoke``, they
        report no end), and so does cancelling the caller.
        """
        options = _generate_options(stop, callbacks, tags, metadata, run_name, kwargs)
        if len(messages) <= 1:  # one run: langchain-core's own, with nothing in between
            return await super().agenerate(messages, run_id=run_id, **options)
        one = partial(super().agenerate, **options)
        results = await amap_concurrently(
            lambda pair: one(messages=[pair[0]], run_id=pair[1]),
            _with_run_ids(messages, run_id),
            limit=self._concurrency(),
        )
        return self._joined(cast("list[LLMResult]", results))

    def _joined(self, results: list[LLMResult]) -> LLMResult:
        """One result per message list, as one, as langchain-core's ``generate`` makes it."""
        return LLMResult(
            generations=[generations for result in results for generations in result.generations],
            llm_output=self._combine_llm_outputs([result.llm_output for result in results]),
            run=[run for result in results for run in result.run or ()],
        )

    # --- calls ----------------------------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request, _ = self._request(messages, stop, kwargs)
        return _result(self._sync_client._invoke(request))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request, _ = self._request(messages, stop, kwargs)
        return _result(await self._async_client._invoke(request))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request, blocks = self._request(messages, stop, kwargs, stream=True)
        stream = self._sync_client._open_stream(request)
        with stream:
            for piece in stream:
                chunk = ChatGenerationChunk(message=chunk_from(piece, blocks=blocks))
                # langchain-core before 1.0 passes it; no handler, no call (as BedrockClaude).
                if run_manager is not None and run_manager.handlers:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        request, blocks = self._request(messages, stop, kwargs, stream=True)
        stream = await self._async_client._open_stream(request)
        async with stream, aclosing(stream.__aiter__()) as pieces:
            async for piece in pieces:
                chunk = ChatGenerationChunk(message=chunk_from(piece, blocks=blocks))
                if run_manager is not None and run_manager.handlers:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    # --- tools and structured output -----------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer ``tools`` to the model on every call of the returned runnable.

        Args:
            tools: LangChain tools, pydantic models, TypedDicts, functions, JSON schemas or
                Claude tool dicts.
            tool_choice: ``"auto"`` (default), ``"any"`` / ``"required"`` / ``True`` (some
                tool), ``"none"``, or a tool's name (that tool).
            parallel_tool_calls: ``False`` to get at most one tool call per turn.
            strict: Make the model's tool inputs match each schema exactly (models with
                Bedrock's structured outputs).
            **kwargs: Other call options, bound too.

        Raises:
            InvalidParameterError: a tool Bedrock does not take, or a ``tool_choice`` naming no
                bound tool.
        """
        formatted = [to_tool(tool) for tool in tools]
        if strict is not None:
            formatted = [{**tool, "strict": strict} for tool in formatted]
        choice = to_tool_choice(
            tool_choice, [tool["name"] for tool in formatted], parallel=parallel_tool_calls
        )
        return self.bind(tools=formatted, tool_choice=choice, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        method: StructuredMethod = "function_calling",
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """A runnable answering with an instance of ``schema`` (a dict for a JSON schema).

        Args:
            schema: A pydantic model, TypedDict, JSON schema or tool schema.
            include_raw: Answer ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}``.
            method: ``"function_calling"`` (a forced tool call, the default) or
                ``"json_schema"`` (Bedrock's native structured output: the answer's text is
                the JSON). Claude has no JSON mode: ``"json_mode"`` is refused.
            strict: With ``"function_calling"``, make the tool input match the schema
                exactly (Bedrock's strict tool use); native JSON output is always strict.
            **kwargs: Other call options, bound too.

        Raises:
            InvalidParameterError: a method the model does not support.
        """
        pydantic_schema = isinstance(schema, type) and is_basemodel_subclass(schema)
        parser: Runnable[Any, Any]
        # The calls' model and options, checked now: a method the model cannot do is an
        # error here, before any request.
        params = self._params(None, kwargs, None)
        if method == "function_calling":
            tool = to_tool(schema)
            thinking = thinking_active(
                params.model, params.options.thinking_budget_tokens, params.options.thinking
            )
            check_forced_tool_choice(params.model, thinking=thinking)
            model = self.bind_tools(
                [schema],
                tool_choice=tool["name"],
                strict=strict,
                ls_structured_output_format={
                    "kwargs": {"method": method},
                    "schema": convert_to_openai_tool(schema),
                },
                **kwargs,
            )
            parser = (
                PydanticToolsParser(tools=[schema], first_tool_only=True)
                if pydantic_schema
                else JsonOutputKeyToolsParser(key_name=tool["name"], first_tool_only=True)
            )
        elif method == "json_schema":
            check_native_output(params.model)
            json_schema = _strict_objects(convert_to_json_schema(schema))
            model = self.bind(
                output_config={"format": {"type": "json_schema", "schema": json_schema}},
                ls_structured_output_format={"kwargs": {"method": method}, "schema": json_schema},
                **kwargs,
            )
            parser = (
                PydanticOutputParser(pydantic_object=schema)
                if pydantic_schema
                else JsonOutputParser()
            )
        else:
            raise InvalidParameterError(
                f"Claude on Bedrock has no {method!r} structured output; use "
                "method='function_calling' or method='json_schema'."
            )
        if not include_raw:
            return model | parser
        parsed = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=model) | parsed.with_fallbacks(
            [fallback], exception_key="parsing_error"
        )


def _result(completion: Completion) -> ChatResult:
    message = message_from(completion)
    # Usage and ids are on the message (usage_metadata, response_metadata), as when streaming.
    return ChatResult(generations=[ChatGeneration(message=message)])


def _remember_signatures() -> None:
    # langchain-core looks up whether _generate takes a run_manager with inspect.signature on
    # every call; inspect returns __signature__ when set (see llms.py).
    for name in ("_generate", "_agenerate"):
        method = getattr(ChatBedrockClaude, name)
        method.__signature__ = inspect.signature(method)


_remember_signatures()
