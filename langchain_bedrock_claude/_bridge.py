"""Blocking work -> the event loop: worker threads, a doorbell, channels. No Bedrock knowledge.

* :class:`Workers` runs blocking calls on threads that are started when every thread is busy
  and end when idle, so concurrency follows demand (up to a ceiling) and nothing lingers.
* :func:`run_blocking` awaits one call on them; a cancelled caller stops waiting at once and
  may abort the call (``on_cancel``) so its thread is free again.
* :class:`Channel` hands items from a worker thread to the event loop in batches, and
  :class:`Doorbell` wakes a loop once for any number of channels with new items.
"""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import threading
import time
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


_HAND_OVER_SECONDS = 0.00005
"""How long a worker sleeps after waking a consuming thread, so that the consumer takes the GIL
at once rather than after the interpreter's switch interval. Only on a wake-up (a consumer that
is behind is not waiting, and the worker reads on without pause), and at most once per
:data:`_HAND_OVER_EVERY`."""
_HAND_OVER_EVERY = 0.02
"""Seconds between hand-overs at most. Only a worker with more to decode keeps the GIL (one
that waits for the network releases it at once), and then for at most CPython's switch interval
(5 ms): so a hand-over matters for the first piece of a burst, not for every piece in one."""


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

    Handing a call over takes no lock the threads also take: the event loop submits calls, and
    a lock held by a worker thread that waits for the GIL (as hundreds do while they sign and
    send requests at once) would stall the loop behind all of them. The calls wait in a deque,
    each idle thread waits on a lock of its own in the ``idle`` deque (both atomic), and a
    submitter wakes one by releasing it. New threads are started by the thread started before
    them, not by the submitter: ``Thread.start()`` waits until the new thread runs, which under
    the same contention stalled the loop for hundreds of milliseconds in a 256-stream burst.
    """

    def __init__(self, max_workers: int, idle_seconds: float, name: str) -> None:
        self.max_workers = max_workers
        self.idle_seconds = idle_seconds
        self.name = name
        self.items: deque[_WorkItem] = deque()
        self.idle: deque[threading.Lock] = deque()
        """One held lock per idle thread, which it waits to acquire; a submitter releases it."""
        self.threads: set[threading.Thread] = set()
        """Threads made and not ended, started or still waiting in ``unstarted``."""
        self.unstarted: deque[threading.Thread] = deque()
        self.starting = threading.Lock()
        """Held while a chain of starts runs: taken without waiting by whoever starts the
        first thread, handed to each new thread, released by the last."""
        self.growing = threading.Lock()
        """Keeps ``threads`` within ``max_workers`` when several threads submit at once."""
        self.closed = False
        self.started = 0

    def submit(self, item: _WorkItem) -> None:
        self.items.append(item)
        # Checked after the append, not before: a close in between would strand the call.
        if self.closed:
            with contextlib.suppress(ValueError):
                self.items.remove(item)
                raise RuntimeError("cannot schedule new work after shutdown")
            return  # a thread took it already
        try:
            waiting = self.idle.pop()
        except IndexError:  # every thread is busy: one more, if the ceiling allows
            try:
                self.grow()
            except BaseException:
                with contextlib.suppress(ValueError):
                    self.items.remove(item)
                raise
        else:
            waiting.release()

    def grow(self) -> None:
        with self.growing:
            if len(self.threads) >= self.max_workers:
                return  # the call waits for a thread to finish its current one
            self.started += 1
            thread = threading.Thread(
                target=self.work, name=f"{self.name}-{self.started}", daemon=True
            )
            self.threads.add(thread)
            self.unstarted.append(thread)
        if self.starting.acquire(blocking=False):
            try:
                # The first start of a chain on a bare thread of its own, so not even that one
                # waits here: ``_thread.start_new_thread`` returns once the thread exists.
                _thread.start_new_thread(self.start_next, ())
            except BaseException:
                self.starting.release()
                raise

    def start_next(self) -> None:
        """Start the next unstarted thread, which goes on with the chain; holds ``starting``."""
        while True:
            try:
                thread = self.unstarted.popleft()
            except IndexError:
                self.starting.release()
                # One made after the pop above, whose maker found the chain still running.
                if self.unstarted and self.starting.acquire(blocking=False):
                    continue
                return
            if self.closed:
                self.threads.discard(thread)
                continue
            try:
                thread.start()
            except BaseException:  # no thread to be had (a resource limit): stop the chain
                self.threads.discard(thread)
                self.starting.release()
                return
            return

    def work(self) -> None:
        me = threading.current_thread()
        self.start_next()
        wake = threading.Lock()
        wake.acquire()
        while True:
            try:
                item = self.items.popleft()
            except IndexError:
                if self.closed or not self.wait_for_work(wake):
                    self.threads.discard(me)
                    # A call that came while this thread was ending, at the ceiling, found
                    # no idle thread and started none: serve it rather than strand it.
                    if self.closed or not self.items:
                        return
                    self.threads.add(me)
                continue
            item.run()
            del item  # nothing of a finished call is kept while waiting for the next

    def wait_for_work(self, wake: threading.Lock) -> bool:
        """Wait idle until a submitter wakes this thread: ``True``.

        ``False`` once idle too long, when closed, or when a call came before this thread was
        listed as idle: the caller looks at the calls (and ``closed``) again either way.
        """
        self.idle.append(wake)
        if not self.items and not self.closed and wake.acquire(timeout=self.idle_seconds):
            return True
        try:
            self.idle.remove(wake)
        except ValueError:  # a submitter took this thread off the list: its wake-up is due
            wake.acquire()
            return True
        return False

    def close(self, cancel_pending: bool) -> None:
        self.closed = True
        pending: list[_WorkItem] = []
        if cancel_pending:
            while True:
                try:
                    pending.append(self.items.popleft())
                except IndexError:
                    break
        while True:  # wake every idle thread: each sees ``closed`` and ends
            try:
                self.idle.pop().release()
            except IndexError:
                break
        for item in pending:
            item.future.cancel()

    def wait_for_starts(self) -> list[threading.Thread]:
        """After :meth:`close`: wait for a chain of starts to stop; every thread, started."""
        with self.starting:  # the chain sees ``closed`` and ends
            return list(self.threads)


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
        return len(self._crew.threads)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Run ``fn(*args, **kwargs)`` on a worker thread; its :class:`Future`."""
        future: Future[T] = Future()
        self._crew.submit(_WorkItem(future, partial(fn, *args, **kwargs) if args or kwargs else fn))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Accept no more work; with ``wait``, return once every thread has ended."""
        self._crew.close(cancel_futures)
        if wait:
            for thread in self._crew.wait_for_starts():
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
        # On the loop, which never waits for a lock a worker holds: that worker may itself be
        # waiting for the GIL behind hundreds of others. Busy, the lock is tried again on the
        # loop's next iteration (``_scheduled`` stays set, so rings add no other call).
        if not self._lock.acquire(blocking=False):
            loop = self._loop()
            if loop is not None:
                loop.call_soon(self._serve)
            return
        try:
            ringing, self._ringing = self._ringing, []
            self._scheduled = False
        finally:
            self._lock.release()
        for channel in ringing:
            channel._wake()


class Channel:
    """Hands items from a worker thread to a consumer, waking it once per batch.

    The consumer is an event loop (``loop``, awaiting :meth:`get_batch`) or, with ``loop``
    ``None``, a thread (blocking in :meth:`take_batch`). When ``_READ_AHEAD`` items wait in
    it, a worker waits for the consumer to take them, for :meth:`close`, or for
    ``_READ_AHEAD_PATIENCE`` seconds; a consumer that took nothing in that time is not waited
    for again until it takes something.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self._loop = loop
        self._doorbell = Doorbell.of(loop) if loop is not None else None
        self._items: deque[object] = deque()
        self._lock = threading.Lock()
        self._taken = threading.Condition(self._lock)
        self._arrived = threading.Condition(self._lock)
        self._closed = False
        self._patient = True
        self._waiter: asyncio.Future[None] | None = None
        self._wake_scheduled = False
        self._consumer_waiting = False
        self._worker_waiting = False
        self._handed_over_at = -_HAND_OVER_EVERY

    def put(self, item: object, *, last: bool = False) -> None:
        """From the worker thread: add an item; wake the consumer if it is not woken yet.

        Waits while the channel is full, unless ``last`` (the end or an error, which must
        never wait); after :meth:`close`, drops the item.
        """
        with self._lock:
            if not last and len(self._items) >= _READ_AHEAD and self._patient:
                # A consumer that takes nothing for a while may be waiting on another channel:
                # stop holding back until it takes again.
                self._worker_waiting = True
                self._patient = self._taken.wait(_READ_AHEAD_PATIENCE) or self._closed
                self._worker_waiting = False
            if self._closed:
                return
            self._items.append(item)
            if self._doorbell is not None:
                if self._wake_scheduled or self._waiter is None:
                    return
                self._wake_scheduled = True
            else:
                # A Condition's notify is Python code (two lock calls, a deque walk): only
                # when the consumer waits, which it marks under this lock before it waits.
                hand_over, self._consumer_waiting = self._consumer_waiting, False
                if hand_over:
                    self._arrived.notify()
        if self._doorbell is None:
            if hand_over:
                self._hand_over()
            return
        self._doorbell.ring(self)

    def _hand_over(self) -> None:
        # The woken thread needs the GIL, which this one would keep for up to the switch
        # interval (5 ms) while it decodes on: a short sleep hands it over (``sleep(0)`` does
        # not: measured, a first piece came 1.9 ms after raw boto3's with it, 0.2 ms with
        # this). At most once per interval: a consumer in step with the worker is woken by
        # every item, and a sleep per item would bound the stream's speed by the sleep.
        now = time.monotonic()
        if now - self._handed_over_at >= _HAND_OVER_EVERY:
            self._handed_over_at = now
            time.sleep(_HAND_OVER_SECONDS)

    def take_batch(self) -> list[object]:
        """On the consuming thread (``loop`` ``None``): every item there, waiting for one."""
        with self._lock:
            while not self._items:
                self._consumer_waiting = True
                self._arrived.wait()
            return self._take()

    def _take(self) -> list[object]:
        batch = list(self._items)
        self._items.clear()
        self._patient = True
        if self._worker_waiting:  # a Condition's notify is Python code: only when it wakes one
            self._taken.notify()
        return batch

    def _wake(self) -> None:
        # On the loop: never waits for the worker's hold on the lock (see Doorbell._serve).
        if not self._lock.acquire(blocking=False):
            assert self._loop is not None  # only a loop's channel is woken by a doorbell
            self._loop.call_soon(self._wake)
            return
        try:
            self._wake_scheduled = False
            waiter, self._waiter = self._waiter, None
        finally:
            self._lock.release()
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
        if self._loop is None:
            raise RuntimeError("a channel to a thread is read with take_batch()")
        while True:
            # Never waits for the worker's hold on the lock (see Doorbell._serve): busy, the
            # loop runs the other tasks once and this one tries again.
            if not self._lock.acquire(blocking=False):
                await asyncio.sleep(0)
                continue
            try:
                if self._items:
                    return self._take()
                waiter = self._waiter = self._loop.create_future()
            finally:
                self._lock.release()
            await waiter
