"""The batch paths of both LangChain classes: every input at once, each its own run.

langchain-core sends an LLM's batch as one ``generate`` call (every streamed token reported on
the first prompt's run; with ``max_concurrency``, in chunks one after another), runs a chat
model's ``batch`` and every ``batch_as_completed`` on a thread pool of ``min(32, cpus + 4)``
threads, and ``abatch`` / ``abatch_as_completed`` unbounded without ``max_concurrency``,
leaving the other calls running after a first error.
:class:`ConcurrentBatches` replaces all four for :class:`BedrockClaude` and
:class:`ChatBedrockClaude` with the one bounded map of :mod:`._batching`: each input is its
own ``invoke`` / ``ainvoke`` (its callbacks, streamed tokens, LLM cache entry and usage are
that call's), at most :meth:`BedrockClaudeFields._concurrency` at once, and a first error
stops the rest, aborting the requests in flight.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar, cast, overload

from langchain_core.language_models import LanguageModelInput
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import get_config_list

from ._batching import aiter_concurrently, amap_concurrently, iter_concurrently, map_concurrently
from ._exchange import Exchange

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["BATCH_THREADS", "GENERATE_THREADS", "ConcurrentBatches"]

OutputT = TypeVar("OutputT")
OutputT_co = TypeVar("OutputT_co", covariant=True)

BATCH_THREADS = "bedrock-claude-batch"
"""The name prefix of a sync batch's threads (started for it, all ended when it returns)."""
GENERATE_THREADS = "bedrock-claude-generate"
"""The name prefix of a sync ``generate``'s threads."""

Pair = tuple[LanguageModelInput, RunnableConfig]
"""One input of a batch, with its own config."""


class _Model(Protocol[OutputT_co]):
    """What a batch needs of the LangChain class it is mixed into."""

    def invoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> OutputT_co: ...

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> OutputT_co: ...

    def _concurrency(self, config: RunnableConfig | None = None) -> int: ...

    def _for_call(self, kwargs: dict[str, Any]) -> tuple[Self, dict[str, Any]]: ...


@dataclass(frozen=True)
class _Batch(Generic[OutputT]):
    """A batch's inputs, each with its config, and how one of them is answered."""

    model: _Model[OutputT]
    """The model each input is invoked on."""
    options: dict[str, Any]
    """The call's other keyword arguments, passed to every ``invoke``."""
    pairs: list[Pair]
    """Every input with its config, in order."""
    limit: int
    """The most inputs in flight at once."""

    def invoke(self, pair: Pair) -> OutputT:
        return self.model.invoke(pair[0], pair[1], **self.options)

    async def ainvoke(self, pair: Pair) -> OutputT:
        return await self.model.ainvoke(pair[0], pair[1], **self.options)


def _batch(
    model: _Model[OutputT],
    inputs: Sequence[LanguageModelInput],
    config: RunnableConfig | Sequence[RunnableConfig] | None,
    kwargs: dict[str, Any],
) -> _Batch[OutputT]:
    configs = get_config_list(config, len(inputs))
    limit = model._concurrency(configs[0])  # a bad max_concurrency: before any request
    target, options = model._for_call(kwargs)
    return _Batch(target, options, list(zip(inputs, configs, strict=True)), limit)


async def _no_answers() -> AsyncIterator[Any]:
    return
    yield  # makes this an async generator (of nothing)


class ConcurrentBatches(Generic[OutputT]):
    """``batch``, ``abatch``, ``batch_as_completed`` and ``abatch_as_completed`` at once.

    Listed before the LangChain base class (``class BedrockClaude(ConcurrentBatches[str],
    LLM, ...)``) so that these replace its methods. Each input is its own ``invoke`` (or
    ``ainvoke``) with its own config; at most the first config's ``max_concurrency`` are in
    flight at once, else as many as the connection pool holds (``max_connections``, or a
    passed boto3 client's ``max_pool_connections``).
    """

    def _for_call(self, kwargs: dict[str, Any]) -> tuple[Self, dict[str, Any]]:
        """The model every input of a batch is invoked on, and the other arguments.

        This model and the arguments as given; a class may return a copy instead.
        """
        return self, kwargs

    def batch(
        self: _Model[OutputT],
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[OutputT]:
        """Answer every input at once, each as its own ``invoke``; answers in input order.

        At most ``max_concurrency`` (from ``config``) inputs are in flight at a time, else as
        many as the connection pool holds (``max_connections``). Each input is its own run:
        callbacks, streamed tokens, the LLM cache and usage are those of its ``invoke``.

        Args:
            inputs: The inputs (strings, prompt values or message lists).
            config: One config for all inputs, or one per input.
            return_exceptions: Put a failed input's own error in its place and go on;
                without it, the first error is raised and the other requests are stopped
                (those not sent are never sent; those in flight are aborted).
            **kwargs: Per-call options, as for ``invoke``.

        Returns:
            The answers, in the order of ``inputs``.

        Raises:
            InvalidParameterError: ``max_concurrency`` is not a positive integer (before any
                request).
        """
        if not inputs:
            return []
        batch = _batch(self, inputs, config, kwargs)
        answers = map_concurrently(
            batch.invoke,
            batch.pairs,
            limit=batch.limit,
            return_exceptions=return_exceptions,
            abortable=Exchange,
            name=BATCH_THREADS,
        )
        return cast("list[OutputT]", answers)

    async def abatch(
        self: _Model[OutputT],
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[OutputT]:
        """The async twin of :meth:`batch`: each input as its own ``ainvoke``.

        Without ``return_exceptions``, the first error cancels the other calls (their
        requests are aborted) before it is raised; so does cancelling the caller.
        """
        if not inputs:
            return []
        batch = _batch(self, inputs, config, kwargs)
        answers = await amap_concurrently(
            batch.ainvoke, batch.pairs, limit=batch.limit, return_exceptions=return_exceptions
        )
        return cast("list[OutputT]", answers)

    @overload
    def batch_as_completed(
        self: _Model[OutputT],
        inputs: Sequence[LanguageModelInput],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: Literal[False] = False,
        **kwargs: Any,
    ) -> Iterator[tuple[int, OutputT]]: ...

    @overload
    def batch_as_completed(
        self: _Model[OutputT],
        inputs: Sequence[LanguageModelInput],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: Literal[True],
        **kwargs: Any,
    ) -> Iterator[tuple[int, OutputT | Exception]]: ...

    def batch_as_completed(
        self: _Model[OutputT],
        inputs: Sequence[LanguageModelInput],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> Iterator[tuple[int, OutputT | Exception]]:
        """As :meth:`batch`, yielding ``(index, answer)`` as each input's answer comes.

        Concurrent and bounded as :meth:`batch`. Closing the iterator early (or a first
        error, without ``return_exceptions``) aborts the requests still in flight, and no
        thread of the batch outlives it.

        Raises:
            InvalidParameterError: ``max_concurrency`` is not a positive integer (now, before
                any request).
        """
        if not inputs:
            return iter(())
        batch = _batch(self, inputs, config, kwargs)
        pairs = iter_concurrently(
            batch.invoke,
            batch.pairs,
            limit=batch.limit,
            return_exceptions=return_exceptions,
            abortable=Exchange,
            name=BATCH_THREADS,
        )
        return cast("Iterator[tuple[int, OutputT | Exception]]", pairs)

    @overload
    def abatch_as_completed(
        self: _Model[OutputT],
        inputs: Sequence[LanguageModelInput],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: Literal[False] = False,
        **kwargs: Any,
    ) -> AsyncIterator[tuple[int, OutputT]]: ...

    @overload
    def abatch_as_completed(
        self: _Model[OutputT],
        inputs: Sequence[LanguageModelInput],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: Literal[True],
        **kwargs: Any,
    ) -> AsyncIterator[tuple[int, OutputT | Exception]]: ...

    def abatch_as_completed(
        self: _Model[OutputT],
        inputs: Sequence[LanguageModelInput],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> AsyncIterator[tuple[int, OutputT | Exception]]:
        """The async twin of :meth:`batch_as_completed` (each input as its own ``ainvoke``).

        ``aclose()`` before the end, a first error (without ``return_exceptions``) or the
        consumer's cancellation cancels the calls still running.
        """
        if not inputs:
            return _no_answers()
        batch = _batch(self, inputs, config, kwargs)
        pairs = aiter_concurrently(
            batch.ainvoke, batch.pairs, limit=batch.limit, return_exceptions=return_exceptions
        )
        return cast("AsyncIterator[tuple[int, OutputT | Exception]]", pairs)
