"""``BedrockClaude``: Claude on AWS Bedrock as a LangChain ``LLM``.

```python
from langchain_bedrock_claude import BedrockClaude

llm = BedrockClaude(model="us.anthropic.claude-sonnet-4-5-20250929-v1:0", max_tokens=512)
chain = prompt | llm | StrOutputParser()
```
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import aclosing
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
    Callbacks,
)
from langchain_core.language_models import LLM, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from langchain_core.prompt_values import ChatPromptValue, PromptValue
from langchain_core.runnables import RunnableConfig

from ._batching import amap_concurrently, map_concurrently
from ._exchange import Exchange
from ._lc_base import SECRET_ENVIRONMENT, BedrockClaudeFields
from ._lc_batches import GENERATE_THREADS, ConcurrentBatches
from ._lc_bound import BindsJobArguments
from ._models import Completion, CompletionChunk, Usage
from ._options import OPTION_NAMES
from ._params import check_params, reject_unknown
from ._request import PreparedRequest, prepare
from ._types import Api

if TYPE_CHECKING:
    from typing_extensions import Self

    from .batch import LLMBatchJobs

__all__ = ["BedrockClaude"]

_CALL_OPTIONS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "system",
    "model_kwargs",
    *OPTION_NAMES,
)


def generation_info(completion: Completion | CompletionChunk) -> dict[str, Any]:
    """What a finished call or stream reports in ``generation_info``."""
    usage = completion.usage or Usage()
    return {
        **(completion.metadata or {}),
        "stop_reason": completion.stop_reason,
        "stop_sequence": completion.stop_sequence,
        "model_id": completion.model_id,
        "model": completion.model,
        "request_id": completion.request_id,
        "usage": usage.to_dict(),
    }


def _to_generation_chunk(piece: CompletionChunk) -> GenerationChunk:
    if piece.is_final:
        return GenerationChunk(text="", generation_info=generation_info(piece))
    if piece.thinking:
        return GenerationChunk(text=piece.completion, generation_info={"thinking": piece.thinking})
    return GenerationChunk(text=piece.completion)


class BedrockClaude(BindsJobArguments, ConcurrentBatches[str], LLM, BedrockClaudeFields):
    """Anthropic's Claude on AWS Bedrock, as a LangChain LLM (text in, text out).

    Works with every current Claude model, inference profile and ARN (Messages API), and with
    the legacy Text Completions ids. Streams token by token (``on_llm_new_token``), async
    without blocking the event loop, and reports token usage in ``generation_info`` and
    ``llm_output["token_usage"]``.

    Every Bedrock feature option (guardrails, service tier, thinking, caching, ...) is a field,
    inherited with the connection and sampling fields from :class:`BedrockClaudeFields` (as
    :class:`ChatBedrockClaude` does), and can be overridden per call.

    ``batch``, ``abatch``, ``generate``, ``agenerate`` and the ``*_as_completed`` paths run
    their prompts at once, bounded by ``max_concurrency`` or the connection pool
    (:class:`ConcurrentBatches`).
    """

    api: Api | None = None
    """Force ``"messages"`` or ``"text_completions"``; by default chosen from the model id."""

    def _check_request(self) -> None:
        # The same checks a call makes, on a stand-in prompt.
        self._request("check", None, {})

    # --- LangChain identity -------------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "bedrock-claude"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return self._shown_params(api=self.api)

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return self._ls_params("llm", stop, **kwargs)

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """``dumps(llm)`` works, with secrets replaced by their environment variable names."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The module path, as it appears in serialized ids."""
        return ["langchain_bedrock_claude", "llms"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Secret fields and the environment variables they are read from."""
        return dict(SECRET_ENVIRONMENT)

    @cached_property
    def batch_jobs(self) -> LLMBatchJobs:
        """Run prompts as Bedrock batch inference jobs (half price; results in hours)."""
        from .batch import LLMBatchJobs

        return LLMBatchJobs(self)

    # --- requests -------------------------------------------------------------------------------

    def _request(
        self,
        prompt: str,
        stop: list[str] | None,
        options: Mapping[str, Any],
        *,
        stream: bool = False,
    ) -> PreparedRequest:
        unknown = {key: value for key, value in options.items() if key not in _CALL_OPTIONS}
        reject_unknown(unknown, _CALL_OPTIONS)
        extra = {**self.model_kwargs, **(options.get("model_kwargs") or {})}
        return prepare(
            check_params(
                model=self.model,
                prompt=prompt,
                max_tokens=options.get("max_tokens", self.max_tokens),
                stop_sequences=self._stops(stop),
                temperature=options.get("temperature", self.temperature),
                top_p=options.get("top_p", self.top_p),
                top_k=options.get("top_k", self.top_k),
                system=options.get("system", self.system),
                api=self.api,
                extra_body=extra,
                options=self.invocation_options(options),
                max_tokens_name="max_tokens",
                base_model=self.base_model_id,
            ),
            stream=stream,
        )

    # --- per-call options as fields: part of the LLM cache key ---------------------------------

    def _for_call(self, kwargs: dict[str, Any]) -> tuple[Self, dict[str, Any]]:
        """This model with the call's options as fields, and the other arguments.

        langchain-core keys its LLM cache on the model's fields and ``stop`` only: an option
        given per call would otherwise get the answer cached without it.
        """
        update = {name: kwargs[name] for name in _CALL_OPTIONS if name in kwargs}
        if not update:
            return self, kwargs
        if "model_kwargs" in update:
            update["model_kwargs"] = {**self.model_kwargs, **(update["model_kwargs"] or {})}
        rest = {name: value for name, value in kwargs.items() if name not in update}
        # Built first so the copy shares them: one boto3 client and pool for every call.
        self._sync_client, self._async_client  # noqa: B018
        return self.model_copy(update=update), rest

    def generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        callbacks: Callbacks | list[Callbacks] | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        """As :meth:`LLM.generate`; options given per call are part of the LLM cache key."""
        model, rest = self._for_call(kwargs)
        return super(BedrockClaude, model).generate(
            prompts, self._stops_or_none(stop), callbacks, **rest
        )

    async def agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        callbacks: Callbacks | list[Callbacks] | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        """As :meth:`LLM.agenerate`; options given per call are part of the LLM cache key."""
        model, rest = self._for_call(kwargs)
        return await super(BedrockClaude, model).agenerate(
            prompts, self._stops_or_none(stop), callbacks, **rest
        )

    # --- batches (batch, abatch, *_as_completed): ConcurrentBatches, each prompt its own run ---

    @staticmethod
    def _stops_or_none(stop: list[str] | str | None) -> list[str] | None:
        # A string is one stop sequence, also in the LLM cache key and the tracers' params.
        return [stop] if isinstance(stop, str) else stop

    # --- streams: no empty token reaches a consumer ---------------------------------------------

    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[str]:
        """As :meth:`LLM.stream`, without empty pieces.

        The stream's last chunk carries only its metadata (usage, stop reason, request id):
        it still reaches ``generation_info`` and the callbacks' ``on_llm_end``.
        """
        stops = self._stops_or_none(stop)
        for text in super().stream(input, config, stop=stops, **kwargs):
            if text:
                yield text

    async def astream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[str]:
        """As :meth:`LLM.astream`, without empty pieces (see :meth:`stream`)."""
        stops = self._stops_or_none(stop)
        async for text in super().astream(input, config, stop=stops, **kwargs):
            if text:
                yield text

    def _convert_input(self, model_input: LanguageModelInput) -> PromptValue:
        prompt = super()._convert_input(model_input)
        if isinstance(prompt, ChatPromptValue):  # refuse what text would drop (images, tools)
            # Here, not at the top: the chat conversion is not needed to import BedrockClaude.
            from ._formats.chat import reject_non_text

            reject_non_text(prompt.messages)
        return prompt

    def get_num_tokens(self, text: str) -> int:
        """Count ``text``'s tokens with Bedrock's CountTokens operation (no local guesswork).

        The count is of ``text`` sent as the prompt, so it includes the few tokens of the
        message framing. Raises :class:`InvalidParameterError` for models CountTokens does
        not support.
        """
        return self._sync_client._count(
            self._request(text, None, {"system": None, "cache_system": False})
        )

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        return self._generate([prompt], stop, run_manager, **kwargs).generations[0][0].text

    async def _acall(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        result = await self._agenerate([prompt], stop, run_manager, **kwargs)
        return result.generations[0][0].text

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        stream = self._sync_client._open_stream(self._request(prompt, stop, kwargs, stream=True))
        with stream:
            for piece in stream:
                chunk = _to_generation_chunk(piece)
                if run_manager is not None and run_manager.handlers and chunk.text:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        stream = await self._async_client._open_stream(
            self._request(prompt, stop, kwargs, stream=True)
        )
        async with stream, aclosing(stream.__aiter__()) as pieces:
            async for piece in pieces:
                chunk = _to_generation_chunk(piece)
                # No handler, no call: a coroutine per piece costs the loop.
                if run_manager is not None and run_manager.handlers and chunk.text:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        # All prompts at once. langchain-core hands this method the first prompt's run
        # manager only, so with several prompts every streamed token is reported on it.
        generations = map_concurrently(
            lambda prompt: self._generate_one(prompt, stop, run_manager, kwargs),
            prompts,
            limit=self._concurrency(),
            abortable=Exchange,
            name=GENERATE_THREADS,
        )
        return self._result(cast("list[Generation]", generations))

    def _generate_one(
        self,
        prompt: str,
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
    ) -> Generation:
        if not self.streaming:
            return _generation(self._sync_client._invoke(self._request(prompt, stop, kwargs)))
        merged: GenerationChunk | None = None
        for chunk in self._stream(prompt, stop, run_manager, **kwargs):
            merged = chunk if merged is None else merged + chunk
        return _streamed_generation(merged)

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        generations = await amap_concurrently(
            lambda prompt: self._agenerate_one(prompt, stop, run_manager, kwargs),
            prompts,
            limit=self._concurrency(),
        )
        return self._result(cast("list[Generation]", generations))

    async def _agenerate_one(
        self,
        prompt: str,
        stop: list[str] | None,
        run_manager: AsyncCallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
    ) -> Generation:
        if not self.streaming:
            request = self._request(prompt, stop, kwargs)
            return _generation(await self._async_client._invoke(request))
        merged: GenerationChunk | None = None
        async for chunk in self._astream(prompt, stop, run_manager, **kwargs):
            merged = chunk if merged is None else merged + chunk
        return _streamed_generation(merged)

    def _result(self, generations: list[Generation]) -> LLMResult:
        usage = Usage()
        for generation in generations:
            usage = usage + Usage.from_dict((generation.generation_info or {}).get("usage"))
        return LLMResult(
            generations=[[generation] for generation in generations],
            llm_output={"token_usage": usage.to_dict(), "model_id": self.model},
        )


def _streamed_generation(merged: GenerationChunk | None) -> Generation:
    assert merged is not None  # a finished stream always yields its final chunk
    return Generation(text=merged.text, generation_info=merged.generation_info)


def _generation(completion: Completion) -> Generation:
    info = generation_info(completion)
    if completion.thinking:
        info["thinking"] = completion.thinking
    return Generation(text=completion.completion, generation_info=info)


def _remember_signatures() -> None:
    # langchain-core looks up whether _generate takes a run_manager with inspect.signature on
    # every call, about 15% of its cost per call; inspect returns __signature__ when set.
    for name in ("_generate", "_agenerate"):
        method = getattr(BedrockClaude, name)
        method.__signature__ = inspect.signature(method)


_remember_signatures()
