"""Run one function over many items at once, at most ``limit`` at a time. No LangChain knowledge.

* :func:`iter_concurrently` calls a blocking function on threads of its own, started for the
  call and all ended before it is done, and yields each item's result as soon as it is ready;
  :func:`map_concurrently` returns them all, in the items' order.
* :func:`aiter_concurrently` and :func:`amap_concurrently` do the same for a coroutine
  function, one task per item.

With ``return_exceptions`` a failed item's result is its own exception and the others go on;
without it the first failure is raised once the rest are stopped: items not started never
start, and those in flight are cancelled (async) or aborted (sync, through an
:class:`Abortable` per item, such as the :class:`~langchain_bedrock_claude._exchange.Exchange`
of its HTTP request). They are stopped the same way when the caller is interrupted or
cancelled, or stops iterating early (``close()``, ``aclose()``). Each item runs in its own
copy of the caller's ``contextvars`` context, as it would when called alone.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Sequence
from contextlib import aclosing
from typing import Protocol, TypeVar

__all__ = [
    "Abortable",
    "aiter_concurrently",
    "amap_concurrently",
    "iter_concurrently",
    "map_concurrently",
]

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
T = TypeVar("T")


class Abortable(Protocol):
    """Runs one item's blocking work so that another thread can make it fail at once."""

    def run(self, function: Callable[[], T], *, finish: bool) -> T:
        """``function()``; with ``finish``, nothing is aborted once it has returned."""
        ...  # pragma: no cover

    def abort(self) -> None:
        """From another thread: make the work's blocked I/O fail now."""
        ...  # pragma: no cover


def _check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer (got {limit!r})")


def _is_result(error: BaseException, return_exceptions: bool) -> bool:
    """Whether ``error`` is its item's result, rather than what stops the batch.

    Only :class:`Exception` can be an item's result: anything else (``KeyboardInterrupt``,
    ``SystemExit``, a ``CancelledError``) always stops the batch, as it would stop a plain loop.
    """
    return return_exceptions and isinstance(error, Exception)


def _ordered(pairs: Iterator[tuple[int, T]], count: int) -> list[T]:
    results: list[T | None] = [None] * count
    for index, result in pairs:
        results[index] = result
    return results  # type: ignore[return-value]  # every slot has been filled


# --- threads --------------------------------------------------------------------------------


def map_concurrently(
    function: Callable[[ItemT], ResultT],
    items: Sequence[ItemT],
    *,
    limit: int,
    return_exceptions: bool = False,
    abortable: Callable[[], Abortable] | None = None,
    name: str = "batch",
) -> list[ResultT | BaseException]:
    """``[function(item) for item in items]``, at most ``limit`` calls at once, on threads.

    Args:
        function: A blocking function of one item.
        items: The items, in the order of the results.
        limit: The most calls at once (threads started for this call).
        return_exceptions: Put a failed item's exception in its place instead of raising.
        abortable: Makes one :class:`Abortable` per item, through which a first failure
            aborts the items still in flight; without it they are waited for.
        name: The threads' name prefix.

    Returns:
        One result per item, in order (exceptions in place with ``return_exceptions``).

    Raises:
        BaseException: The first failure, once no item is running any more.
    """
    pairs = iter_concurrently(
        function,
        items,
        limit=limit,
        return_exceptions=return_exceptions,
        abortable=abortable,
        name=name,
    )
    return _ordered(pairs, len(items))


def iter_concurrently(
    function: Callable[[ItemT], ResultT],
    items: Sequence[ItemT],
    *,
    limit: int,
    return_exceptions: bool = False,
    abortable: Callable[[], Abortable] | None = None,
    name: str = "batch",
) -> Iterator[tuple[int, ResultT | BaseException]]:
    """``(index, function(item))`` for every item, as each finishes, at most ``limit`` at once.

    Arguments as for :func:`map_concurrently`. Closing the iterator before its end (or the
    consumer raising into it) stops the items as a first failure does. ``limit`` is checked
    now, the rest happens as the iterator is read.

    Yields:
        ``(index, result)`` pairs, in the order the items finish (a failed item's exception
        as its result with ``return_exceptions``).

    Raises:
        BaseException: The first failure, once no item is running any more.
    """
    _check_limit(limit)
    if len(items) <= 1 or limit == 1:
        return _one_by_one(function, items, return_exceptions)
    return _on_threads(function, items, limit, return_exceptions, abortable, name)


def _one_by_one(
    function: Callable[[ItemT], ResultT], items: Sequence[ItemT], return_exceptions: bool
) -> Iterator[tuple[int, ResultT | BaseException]]:
    # One at a time in the caller's own thread: nothing to abort, nothing to start.
    for index, item in enumerate(items):
        try:
            result = function(item)
        except BaseException as error:
            if not _is_result(error, return_exceptions):
                raise
            yield index, error
        else:
            yield index, result


def _on_threads(
    function: Callable[[ItemT], ResultT],
    items: Sequence[ItemT],
    limit: int,
    return_exceptions: bool,
    abortable: Callable[[], Abortable] | None,
    name: str,
) -> Iterator[tuple[int, ResultT | BaseException]]:
    context = contextvars.copy_context()
    lock = threading.Lock()
    waiting = iter(range(len(items)))
    running: dict[int, Abortable] = {}
    stopped = False
    failures: list[BaseException] = []  # the first failure, which stopped the batch
    # Every finished item's (index, result); None once the last thread has ended.
    finished: queue.SimpleQueue[tuple[int, ResultT | BaseException] | None] = queue.SimpleQueue()

    def stop() -> None:
        nonlocal stopped
        with lock:
            stopped = True
            in_flight = list(running.values())
        for work in in_flight:
            work.abort()

    def call(index: int) -> None:
        run = context.copy().run
        if abortable is None:
            finished.put((index, run(function, items[index])))
            return
        work = abortable()
        with lock:
            if stopped:
                return  # stopped before it started: it never runs
            running[index] = work
        try:
            result = work.run(lambda: run(function, items[index]), finish=True)
        finally:
            with lock:
                del running[index]
        finished.put((index, result))

    count = min(limit, len(items))
    working = [count]  # threads not ended yet; the last one to end says so

    def ended(threads: int) -> None:
        with lock:
            working[0] -= threads
            last = working[0] == 0
        if last:
            finished.put(None)

    def worker() -> None:
        try:
            while True:
                with lock:
                    index = None if stopped else next(waiting, None)
                if index is None:
                    return
                try:
                    call(index)
                except BaseException as error:
                    if _is_result(error, return_exceptions):
                        finished.put((index, error))
                        continue
                    with lock:
                        first = not stopped
                        if not failures:
                            failures.append(error)
                    if first:
                        stop()
        finally:
            ended(1)

    threads = [
        threading.Thread(target=worker, name=f"{name}-{number}", daemon=True)
        for number in range(1, count + 1)
    ]
    # The caller waits on a queue, not in Thread.join: a KeyboardInterrupt inside join()
    # makes CPython (3.11) mark the joined thread as ended while it still runs.
    try:
        for number, thread in enumerate(threads):
            try:
                thread.start()
            except Exception:  # no thread could be started: this one and the rest never run
                ended(count - number)
                raise
        while (pair := finished.get()) is not None:
            with lock:
                if stopped:
                    continue  # a failure stopped the batch: only its error comes out
            yield pair
    except BaseException:
        # The caller was interrupted (KeyboardInterrupt), or stopped reading (GeneratorExit).
        stop()
        while finished.get() is not None:
            pass
        raise
    finally:
        for thread in threads:
            if thread.ident is not None:  # started (every started one has finished its work)
                thread.join()
    if failures:
        failure = failures.pop()  # no reference cycle through this frame
        try:
            raise failure
        finally:
            del failure


# --- tasks ----------------------------------------------------------------------------------


async def amap_concurrently(
    function: Callable[[ItemT], Awaitable[ResultT]],
    items: Sequence[ItemT],
    *,
    limit: int,
    return_exceptions: bool = False,
) -> list[ResultT | BaseException]:
    """``[await function(item) for item in items]``, at most ``limit`` at once, as tasks.

    A first failure (without ``return_exceptions``) or the caller's cancellation cancels
    every task still running and waits for them to end before it is raised.

    Args:
        function: A coroutine function of one item.
        items: The items, in the order of the results.
        limit: The most items awaited at once.
        return_exceptions: Put a failed item's exception in its place instead of raising.

    Returns:
        One result per item, in order (exceptions in place with ``return_exceptions``).

    Raises:
        BaseException: The first failure, once no item is running any more.
    """
    results: list[ResultT | BaseException | None] = [None] * len(items)
    pairs = aiter_concurrently(function, items, limit=limit, return_exceptions=return_exceptions)
    async with aclosing(pairs):
        async for index, result in pairs:
            results[index] = result
    return results  # type: ignore[return-value]  # every slot has been filled


def aiter_concurrently(
    function: Callable[[ItemT], Awaitable[ResultT]],
    items: Sequence[ItemT],
    *,
    limit: int,
    return_exceptions: bool = False,
) -> AsyncGenerator[tuple[int, ResultT | BaseException], None]:
    """``(index, await function(item))`` for every item, as each finishes; async.

    Arguments as for :func:`amap_concurrently`. ``aclose()`` before the end (or the
    consumer's cancellation) cancels the tasks still running, as a first failure does.
    ``limit`` is checked now, the rest happens as the iterator is read.

    Yields:
        ``(index, result)`` pairs, in the order the items finish.

    Raises:
        BaseException: The first failure, once no item is running any more.
    """
    _check_limit(limit)
    if len(items) == 1:
        return _awaited_here(function, items[0], return_exceptions)
    return _as_tasks(function, items, limit, return_exceptions)


async def _awaited_here(
    function: Callable[[ItemT], Awaitable[ResultT]], item: ItemT, return_exceptions: bool
) -> AsyncGenerator[tuple[int, ResultT | BaseException], None]:
    # Awaited in the caller's task: cancelling the caller cancels the item.
    try:
        result = await function(item)
    except BaseException as error:
        if not _is_result(error, return_exceptions):
            raise
        yield 0, error
    else:
        yield 0, result


async def _as_tasks(
    function: Callable[[ItemT], Awaitable[ResultT]],
    items: Sequence[ItemT],
    limit: int,
    return_exceptions: bool,
) -> AsyncGenerator[tuple[int, ResultT | BaseException], None]:
    async def call(item: ItemT) -> ResultT:
        return await function(item)

    waiting = iter(range(len(items)))
    running: dict[asyncio.Future[ResultT], int] = {}

    def start() -> None:
        while len(running) < limit:
            index = next(waiting, None)
            if index is None:
                return
            # A task per item: each runs in its own copy of the caller's context.
            running[asyncio.ensure_future(call(items[index]))] = index

    try:
        start()
        while running:
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            ready: list[tuple[int, ResultT | BaseException]] = []
            failure: BaseException | None = None
            for task in sorted(done, key=running.__getitem__):  # ties: the first item's wins
                index = running.pop(task)
                # Cancelled from elsewhere (not by us): as a plain await would see it.
                error = asyncio.CancelledError() if task.cancelled() else task.exception()
                if error is None:
                    ready.append((index, task.result()))
                elif _is_result(error, return_exceptions):
                    ready.append((index, error))
                elif failure is None:
                    failure = error
            if failure is not None:
                try:
                    raise failure
                finally:
                    del failure  # no reference cycle through this frame
            start()  # the next items run while the consumer handles these
            for pair in ready:
                yield pair
    finally:
        # A failure, the caller cancelled or stopped reading: nothing of the batch outlives it.
        for task in running:
            task.cancel()
        if running:
            # wait(), unlike gather(), is not cancelled with its caller: a second cancel
            # stops the waiting only, the tasks are cancelled already.
            await asyncio.wait(running)
            for task in running:
                if not task.cancelled():
                    task.exception()  # retrieved: no "never retrieved" warning for it
