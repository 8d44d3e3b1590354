"""Blocking work done once on a worker thread for all the coroutines that need it meanwhile.

Building a boto3 client (it walks the credential chain) and loading a TLS context (a botocore
session and the CA bundle, about 25 ms of CPU) may block, so coroutines do them on the loop's
default executor. When many calls start together on a fresh client, each used to do its own,
one after another on that executor, and the last request went out seconds late. A
:class:`SingleFlight` lets the first caller start the work and the others, on any event loop,
await the same work.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

_T = TypeVar("_T")


class SingleFlight(Generic[_T]):
    """Runs ``make`` once per key for the callers that ask for that key while it runs.

    A flight ends with its work: its value is not kept (the caller keeps what it needs), and
    after an error the next call starts afresh. The callers of one flight share its value or
    its error; they asked for the same key (a model id, say), so the error is each one's.
    """

    __slots__ = ("_flights", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Hashable, concurrent.futures.Future[_T]] = {}

    async def run(self, key: Hashable, make: Callable[[], _T]) -> _T:
        """``make()``'s value, made on the running loop's default executor or awaited."""
        with self._lock:
            flight = self._flights.get(key)
            starting = flight is None
            if flight is None:
                flight = self._flights[key] = concurrent.futures.Future()
        if starting:
            try:
                asyncio.get_running_loop().run_in_executor(None, self._fly, key, flight, make)
            except BaseException as exc:  # the executor refused (shut down): no flight
                self._land(key, flight)
                flight.set_exception(exc)
                raise
        # Shielded: a caller cancelled while it waits must not cancel the others' wait.
        return await asyncio.shield(asyncio.wrap_future(flight))

    def _fly(
        self, key: Hashable, flight: concurrent.futures.Future[_T], make: Callable[[], _T]
    ) -> None:
        try:
            value = make()
        except BaseException as exc:  # each waiter's error, raised in each of them
            flight.set_exception(exc)
        else:
            flight.set_result(value)
        finally:  # settled first: a caller arriving meanwhile joins the ended flight
            self._land(key, flight)

    def _land(self, key: Hashable, flight: concurrent.futures.Future[_T]) -> None:
        with self._lock:
            if self._flights.get(key) is flight:
                del self._flights[key]
