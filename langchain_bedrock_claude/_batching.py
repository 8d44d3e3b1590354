"""Run one function over many items at once, at most ``limit`` at a time. No LangChain knowledge.

* :func:`map_concurrently` calls a blocking function on threads of its own, started for the
  call and all ended before it returns.
* :func:`amap_concurrently` awaits a coroutine function, one task per item.

Both return the results in the items' order, whatever order they finish in. With
``return_exceptions`` a failed item's place holds its own exception and the others go on;
without it the first failure is raised once the rest are stopped: items not started never
start, and those in flight are cancelled (async) or aborted (sync, through an
:class:`Abortable` per item, such as the :class:`~langchain_bedrock_claude._exchange.Exchange`
of its HTTP request). Each item runs in its own copy of the caller's ``contextvars``
context, as it would when called alone.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

__all__ = ["Abortable", "amap_concurrently", "map_concurrently"]

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


class _Outcome(Generic[ResultT]):
    """Every item's result or exception, and the first failure that stops the rest."""

    def __init__(self, count: int, return_exceptions: bool) -> None:
        self.results: list[ResultT | BaseException | None] = [None] * count
        self.return_exceptions = return_exceptions
        self.failure: BaseException | None = None

    def record(self, index: int, error: BaseException) -> bool:
        """Keep ``error`` as item ``index``'s outcome; whether it stops the batch.

        Only :class:`Exception` can be an item's result: anything else (``KeyboardInterrupt``,
        ``SystemExit``) always stops the batch, as it would stop a plain loop.
        """
        if self.return_exceptions and isinstance(error, Exception):
            self.results[index] = error
            return False
        if self.failure is None:
            self.failure = error
        return True

    def finish(self) -> list[ResultT | BaseException]:
        if self.failure is not None:
            failure, self.failure = self.failure, None  # no reference cycle through the frame
            raise failure
        return self.results  # type: ignore[return-value]  # every slot has been filled


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
    _check_limit(limit)
    outcome: _Outcome[ResultT] = _Outcome(len(items), return_exceptions)
    if len(items) <= 1 or limit == 1:
        # One at a time in the caller's own thread: nothing to abort, nothing to start.
        for index, item in enumerate(items):
            try:
                outcome.results[index] = function(item)
            except BaseException as error:
                if outcome.record(index, error):
                    break
        return outcome.finish()

    context = contextvars.copy_context()
    lock = threading.Lock()
    waiting = iter(range(len(items)))
    running: dict[int, Abortable] = {}
    stopped = False

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
            outcome.results[index] = run(function, items[index])
            return
        work = abortable()
        with lock:
            if stopped:
                return
            running[index] = work
        try:
            outcome.results[index] = work.run(lambda: run(function, items[index]), finish=True)
        finally:
            with lock:
                del running[index]

    count = min(limit, len(items))
    working = [count]  # threads not ended yet; the last one to end sets ``ended``
    ended = threading.Event()

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
                    with lock:
                        stops = outcome.record(index, error) and not stopped
                    if stops:
                        stop()
        finally:
            with lock:
                working[0] -= 1
                if working[0] == 0:
                    ended.set()

    threads = [
        threading.Thread(target=worker, name=f"{name}-{number}", daemon=True)
        for number in range(1, count + 1)
    ]
    # The caller waits on an event, not in Thread.join: a KeyboardInterrupt inside join()
    # makes CPython (3.11) mark the joined thread as ended while it still runs.
    try:
        for number, thread in enumerate(threads):
            try:
                thread.start()
            except Exception:  # no thread could be started: this one and the rest never run
                with lock:
                    working[0] -= count - number
                    if working[0] == 0:
                        ended.set()
                raise
        ended.wait()
    except BaseException as error:  # the caller was interrupted (KeyboardInterrupt)
        outcome.failure = error
        stop()
        ended.wait()
    for thread in threads:
        if thread.ident is not None:  # started (every started one has finished its work)
            thread.join()
    return outcome.finish()


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
    _check_limit(limit)
    outcome: _Outcome[ResultT] = _Outcome(len(items), return_exceptions)
    if len(items) == 1:
        # Awaited in the caller's task: cancelling the caller cancels the item.
        try:
            outcome.results[0] = await function(items[0])
        except BaseException as failed:
            outcome.record(0, failed)
        return outcome.finish()

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
            for task in done:
                index = running.pop(task)
                # Cancelled from elsewhere (not by us): as a plain await would see it.
                error = asyncio.CancelledError() if task.cancelled() else task.exception()
                if error is None:
                    outcome.results[index] = task.result()
                elif outcome.record(index, error):
                    return outcome.finish()
            start()
        return outcome.finish()
    finally:
        # A failure, or the caller cancelled: nothing of the batch outlives it.
        for task in running:
            task.cancel()
        if running:
            # wait(), unlike gather(), is not cancelled with its caller: a second cancel
            # stops the waiting only, the tasks are cancelled already.
            await asyncio.wait(running)
            for task in running:
                if not task.cancelled():
                    task.exception()  # retrieved: no "never retrieved" warning for it
