"""At most a few boto3 calls prepare their request at once: the CPU-bound part before sending.

botocore builds, serializes and signs a request on the calling thread: about 0.7 ms of CPU
here, all of it holding the GIL. When hundreds of threads start calls at once (256 concurrent
``astream`` calls, each on a worker thread), they all compete for the GIL with the event loop,
which then waits its turn behind them: a 5 ms ticker beside such a burst saw gaps of 260 to
440 ms. Letting :data:`PREPARING_AT_ONCE` threads into that phase at a time costs no throughput
(with one GIL they could not prepare in parallel anyway) and keeps the loop's wait short.

A thread leaves the phase when botocore is about to send (its public ``before-send`` event,
registered on each client by :func:`gate_sends`) or when its call ends, whichever comes first:
waiting for the network is never gated.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, TypeVar

__all__ = ["PREPARING_AT_ONCE", "gate_sends", "preparing"]

ClientT = TypeVar("ClientT")

PREPARING_AT_ONCE = 2
"""Threads preparing a request at once, process-wide (the GIL is process-wide too). Two, so
that one thread's pause (a credential refresh, a page fault) does not stall the others."""

_slots: queue.SimpleQueue[None] = queue.SimpleQueue()
"""One token per slot: taking and returning one are single C calls, a call's cost in
microseconds (``threading.Semaphore`` is Python code, several times dearer)."""
for _ in range(PREPARING_AT_ONCE):
    _slots.put(None)
_held = threading.local()
_HANDLER_ID = "langchain-bedrock-claude-preparing"


class _Preparing:
    """The context manager of :func:`preparing` (a class: cheaper than a generator's)."""

    __slots__ = ("_entered",)

    def __enter__(self) -> None:
        self._entered = not getattr(_held, "slot", False)  # a call inside a call: one slot
        if self._entered:
            _slots.get()
            _held.slot = True

    def __exit__(self, *exc_info: object) -> None:
        if self._entered:
            _leave()


def preparing() -> _Preparing:
    """Around one blocking boto3 call: wait for a slot, leave it once the request is sent."""
    return _Preparing()


def _leave(**_: Any) -> None:
    # Also botocore's ``before-send`` handler: it must return None (else it is the response).
    if getattr(_held, "slot", False):
        _held.slot = False
        _slots.put(None)


def gate_sends(client: ClientT) -> ClientT:
    """Have ``client`` (a boto3 client) free the slot of a call about to send; idempotent."""
    events = getattr(getattr(client, "meta", None), "events", None)
    if events is not None:
        events.register("before-send.bedrock-runtime", _leave, unique_id=_HANDLER_ID)
    return client
