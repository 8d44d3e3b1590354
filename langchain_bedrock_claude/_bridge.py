"""Blocking work -> the event loop: worker threads, a doorbell, channels. No Bedrock knowledge.

* :class:`Workers` runs blocking calls on threads that are started when every thread is busy
  and end when idle, so concurrency follows demand (up to a ceiling) and nothing lingers.
* :func:`run_blocking` awaits one call on them; a cancelled caller stops waiting at once and
  may abort the call (``on_cancel``) so its thread is free again.
* :class:`Channel` hands items from a worker thread to the event loop in batches, and
  :class:`Doorbell` wakes a loop once for any number of channels with new items.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from functools import partial
from typing import Any, ClassVar, TypeVar

__all__ = ["IDLE_WORKER_SECONDS", "Channel", "Doorbell", "Workers", "run_blocking"]

T = TypeVar("T")

IDLE_WORKER_SECONDS = 10.0
"""Seconds a worker thread waits for work before it ends. Starting a thread costs about 0.1 ms,
so a burst that comes back within this window reuses its threads, and an idle client holds
none for long."""

_READ_AHEAD = 64
"""Items a worker may hold for the loop before it waits: workers that wait release the GIL to
the event loop instead of starving it, and a slow consumer's channel holds less memory."""
_READ_AHEAD_PATIENCE = 0.05
"""Seconds a worker waits on a full channel before it goes on regardless. The wait is bounded
because the consumer may be waiting on another channel whose worker cannot start until this
one's thread is free (more channels read at once than the workers' ceiling): an unbounded wait
would deadlock them."""


class _WorkItem:
    __slots__ = ("function", "future")

    def __init__(self, future: Future[Any], function: Callable[[], Any]) -> None:
        self.future = future
        self.function = function

    def run(self) -> None:
        if not self.future.set_running_or_notify_cancel():
            return  # cancelled while it waited for a thread
        try:
            result = self.function()
        except BaseException as error:
            self.future.set_exception(error)
        else:
            self.future.set_result(result)


class _Crew:
    """The state :class:`Workers` shares with its threads.

    The threads hold no reference to the executor, so dropping the executor ends them.
    """

    def __init__(self, max_workers: int, idle_seconds: float, name: str) -> None:
        self.max_workers = max_workers
        self.idle_seconds = idle_seconds
        self.name = name
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.items: deque[_WorkItem] = deque()
        self.threads: set[threading.Thread] = set()
        self.idle = 0
        self.closed = False
        self.started = 0

    def submit(self, item: _WorkItem) -> None:
        with self.lock:
            if self.closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            self.items.append(item)
            # Every idle thread will take one item; start one more only if none is left over.
            spawn = len(self.items) > self.idle and len(self.threads) < self.max_workers
            if spawn:
                self.started += 1
                thread = threading.Thread(
                    target=self.work, name=f"{self.name}-{self.started}", daemon=True
                )
                self.threads.add(thread)
            else:
                self.wake.notify()
        if spawn:
            thread.start()

    def work(self) -> None:
        me = threading.current_thread()
        while True:
            with self.lock:
                while not self.items:
                    if self.closed:
                        self.threads.discard(me)
                        return
                    self.idle += 1
                    notified = self.wake.wait(self.idle_seconds)
                    self.idle -= 1
                    if not notified and not self.items:
                        self.threads.discard(me)
                        return
                item = self.items.popleft()
            item.run()
            del item  # nothing of a finished call is kept while waiting for the next

    def close(self, cancel_pending: bool) -> list[threading.Thread]:
        with self.lock:
            self.closed = True
            if cancel_pending:
                pending, self.items = self.items, deque()
            else:
                pending = deque()
            self.wake.notify_all()
            threads = list(self.threads)
        for item in pending:
            item.future.cancel()
        return threads


class Workers(Executor):
    """Worker threads that grow with demand and end when idle.

    A call submitted while every thread is busy starts a new thread, up to ``max_workers``;
    beyond that, calls wait their turn. A thread idle for ``idle_seconds`` ends. ``shutdown()``
    (or dropping the executor) lets every thread end once its current call returns.

    Args:
        max_workers: The most threads at once.
        idle_seconds: How long an idle thread waits for work before it ends.
        name: The threads' name prefix.
    """

    def __init__(
        self,
        max_workers: int,
        *,
        idle_seconds: float = IDLE_WORKER_SECONDS,
        name: str = "worker",
    ) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1 (got {max_workers})")
        self._crew = _Crew(max_workers, idle_seconds, name)
        # Collected without shutdown(): the threads end after their current call.
        weakref.finalize(self, self._crew.close, False)

    @property
    def max_workers(self) -> int:
        """The most threads at once."""
        return self._crew.max_workers

    @property
    def threads(self) -> int:
        """Threads alive now (busy or idle)."""
        with self._crew.lock:
            return len(self._crew.threads)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run ``fn(*args, **kwargs)`` on a worker thread; its :class:`Future`."""
        future: Future[T] = Future()
        self._crew.submit(_WorkItem(future, partial(fn, *args, **kwargs) if args or kwargs else fn))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Accept no more work; with ``wait``, return once every thread has ended."""
        threads = self._crew.close(cancel_futures)
        if wait:
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join()


async def run_blocking(
    executor: Executor, function: Callable[[], T], *, on_cancel: Callable[[], None] | None = None
) -> T:
    """Run ``function`` on ``executor`` and await it without blocking the loop.

    If the caller is cancelled, it stops waiting at once: a call still queued never runs, and
    ``on_cancel`` (from the loop's thread) is the chance to make a running one return early.
    """
    future = executor.submit(function)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        if not future.cancel() and on_cancel is not None:
            on_cancel()
        raise


class Doorbell:
    """Wakes one event loop for any number of channels that have new items.

    Every wake-up from another thread writes to the loop's self-pipe, a system call on each
    side plus a hand-over of the GIL. With many channels, an item on each of them would wake
    the loop once per item; a doorbell rung while a wake-up is already on its way only adds
    its channel to the list the loop will serve, so a busy loop serves more at each wake-up.
    """

    _by_loop: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Doorbell]] = (
        weakref.WeakKeyDictionary()
    )
    _by_loop_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop: Callable[[], asyncio.AbstractEventLoop | None]
        try:
            # Weakly, or the registry's value would keep its own key (the loop) alive for ever.
            self._loop = weakref.ref(loop)
        except TypeError:  # a loop type without weak references is never registered
            self._loop = lambda: loop
        self._lock = threading.Lock()
        self._ringing: list[Channel] = []
        self._scheduled = False

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> Doorbell:
        """The doorbell of ``loop``, made on first use."""
        with cls._by_loop_lock:
            try:
                doorbell = cls._by_loop.get(loop)
                if doorbell is None:
                    doorbell = cls._by_loop[loop] = cls(loop)
            except TypeError:  # no weak references: a doorbell for this channel alone
                return cls(loop)
            return doorbell

    def ring(self, channel: Channel) -> None:
        """From any thread: have the loop serve ``channel`` soon."""
        with self._lock:
            self._ringing.append(channel)
            if self._scheduled:
                return
            self._scheduled = True
        loop = self._loop()
        try:
            if loop is None:
                raise RuntimeError("the event loop is gone")
            loop.call_soon_threadsafe(self._serve)
        except RuntimeError:  # the loop is closed or gone: nobody is listening
            with self._lock:
                self._scheduled = False

    def _serve(self) -> None:
        with self._lock:
            ringing, self._ringing = self._ringing, []
            self._scheduled = False
        for channel in ringing:
            channel._wake()


class Channel:
    """Hands items from a worker thread to the event loop, waking the loop once per batch.

    When ``_READ_AHEAD`` items wait in it, a worker waits for the loop to take them, for
    :meth:`close`, or for ``_READ_AHEAD_PATIENCE`` seconds; a consumer that took nothing in
    that time is not waited for again until it takes something.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._doorbell = Doorbell.of(loop)
        self._items: deque[object] = deque()
        self._lock = threading.Lock()
        self._taken = threading.Condition(self._lock)
        self._closed = False
        self._patient = True
        self._waiter: asyncio.Future[None] | None = None
        self._wake_scheduled = False

    def put(self, item: object, *, last: bool = False) -> None:
        """From the worker thread: add an item; schedule one wake-up if none is pending.

        Waits while the channel is full, unless ``last`` (the end or an error, which must
        never wait); after :meth:`close`, drops the item.
        """
        with self._lock:
            if not last and len(self._items) >= _READ_AHEAD and self._patient:
                # A consumer that takes nothing for a while may be waiting on another channel:
                # stop holding back until it takes again.
                self._patient = self._taken.wait(_READ_AHEAD_PATIENCE) or self._closed
            if self._closed:
                return
            self._items.append(item)
            if self._wake_scheduled or self._waiter is None:
                return
            self._wake_scheduled = True
        self._doorbell.ring(self)

    def _wake(self) -> None:
        with self._lock:
            self._wake_scheduled = False
            waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def close(self) -> None:
        """From any thread: drop what is waiting and let a waiting worker go."""
        with self._lock:
            self._closed = True
            self._items.clear()
            self._taken.notify_all()

    async def get_batch(self) -> list[object]:
        """On the loop: every item available now, waiting for at least one."""
        while True:
            with self._lock:
                if self._items:
                    batch = list(self._items)
                    self._items.clear()
                    self._patient = True
                    self._taken.notify_all()
                    return batch
                waiter = self._waiter = self._loop.create_future()
            await waiter
