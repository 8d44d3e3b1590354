"""What the batch tests of both LangChain classes share: answers, arrival counting, faults.

Concurrency is counted at the emulator, not timed: :class:`Arrivals` notes when each request
arrives there, and every answer waits ``latency`` seconds before its first byte. A request is
therefore in flight at the server for at least ``[arrival, arrival + latency)``, and the
most of those intervals that overlap is never more than the requests truly in flight at once
(it can only be fewer). A client that sends its fifth request only after one of four came
back can never show five.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler

from langchain_bedrock_claude import ThrottlingError, ValidationError
from langchain_bedrock_claude.testing import BedrockEmulator, EmulatedRequest, Reply

from ._sockets import connections_to, wait_until

SLOW = 1.0
"""Seconds the emulator waits before answering where a test counts requests in flight: far
longer than a loaded machine takes to send a batch's requests."""
READ_TIMEOUT = 60.0
"""Far longer than any wait below: a hung request nobody aborted would be waited for."""
STOPPED_WITHIN = 10.0
"""Seconds a stopped batch may take to return: the hung requests never answer on their own."""
BATCH_THREADS = ("bedrock-claude-batch", "bedrock-claude-generate")

Run = Callable[[Any, list[str]], list[Any]]
"""A batch path: (model, prompts) -> the answers' texts, in order."""
AsyncRun = Callable[[Any, list[str]], Awaitable[list[Any]]]


def answer(prompt: str) -> list[str]:
    """The emulated model's exact tokens for ``prompt``: three, naming it."""
    return [f"{prompt}:", " answered", " alone."]


def answer_text(prompt: str) -> str:
    return "".join(answer(prompt))


def numbered(count: int) -> list[str]:
    """``count`` distinct prompts: ``Question 0``, ``Question 1``, ..."""
    return [f"Question {index}" for index in range(count)]


class Arrivals:
    """A responder: answers each prompt with :func:`answer`, after ``latency(prompt)``
    seconds, and notes when each request arrived at the emulator."""

    def __init__(self, latency: float | Callable[[str], float] = 0.0) -> None:
        self._latency = latency if callable(latency) else (lambda _prompt: latency)
        self._lock = threading.Lock()
        self.times: list[tuple[float, float]] = []
        """(arrival, latency) of every request, in arrival order."""
        self.prompts: list[str] = []

    def __call__(self, request: EmulatedRequest) -> Reply:
        prompt = request.prompt_text
        latency = self._latency(prompt)
        with self._lock:
            self.times.append((time.monotonic(), latency))
            self.prompts.append(prompt)
        return Reply(text=answer(prompt), first_byte_latency=latency)

    def peak(self) -> int:
        """The most requests in flight at the emulator at once (a lower bound, see above)."""
        return max(
            (
                sum(start <= arrival < start + latency for start, latency in self.times)
                for arrival, _ in self.times
            ),
            default=0,
        )


def fails_on(prompt: str) -> Callable[[EmulatedRequest], Reply]:
    """Answers with :func:`answer`, and fails (500, ``InternalServerException``) on ``prompt``."""

    def respond(request: EmulatedRequest) -> Reply:
        if request.prompt_text == prompt:
            raise RuntimeError("this prompt fails")
        return Reply(text=answer(request.prompt_text), first_byte_latency=0.2)

    return respond


class Runs(BaseCallbackHandler):
    """What the callbacks saw, by run (an LLM's or a chat model's, of one prompt each)."""

    def __init__(self) -> None:
        self.prompts: dict[UUID, str] = {}
        self.tokens: dict[UUID, list[str]] = defaultdict(list)
        self.ends: dict[UUID, Any] = {}

    def on_llm_start(
        self, serialized: Any, prompts: list[str], *, run_id: UUID, **kwargs: Any
    ) -> None:
        assert len(prompts) == 1
        self.prompts[run_id] = prompts[0]

    def on_chat_model_start(
        self, serialized: Any, messages: list[list[Any]], *, run_id: UUID, **kwargs: Any
    ) -> None:
        assert len(messages) == 1 and len(messages[0]) == 1
        self.prompts[run_id] = messages[0][0].content

    def on_llm_new_token(self, token: str, *, run_id: UUID, **kwargs: Any) -> None:
        self.tokens[run_id].append(token)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.ends[run_id] = response


def in_order(pairs: Iterable[tuple[int, Any]]) -> list[Any]:
    """``batch_as_completed``'s ``(index, answer)`` pairs as ``batch`` returns them."""
    found = list(pairs)
    indexes = sorted(index for index, _ in found)
    assert indexes == list(range(len(found))), indexes  # every input once
    return [result for _, result in sorted(found, key=lambda pair: pair[0])]


async def ain_order(pairs: AsyncIterable[tuple[int, Any]]) -> list[Any]:
    """:func:`in_order` of ``abatch_as_completed``'s pairs."""
    return in_order([pair async for pair in pairs])


def sync_threads() -> list[str]:
    """Threads of a sync batch or generate (the async client's own workers are not counted:
    they serve later calls, and end after 10 s idle)."""
    return [t.name for t in threading.enumerate() if t.name.startswith(BATCH_THREADS)]


def stoppable(factory: Callable[..., Any], **fields: Any) -> Any:
    """A model with eight connections (and async workers): a hung request still holding one
    would keep the next batch of eight waiting for it."""
    model = factory(max_connections=8, timeout=(5.0, READ_TIMEOUT), **fields)
    model.invoke("warm")  # the client and one pooled connection exist before counting
    return model


def next_batch_runs(run: Run, model: Any, emu: BedrockEmulator) -> None:
    """Eight more prompts on the same model are answered: no worker or connection is stuck."""
    emu.set_responder(Arrivals())
    prompts = [f"Again {index}" for index in range(8)]
    finished: list[list[Any]] = []
    runner = threading.Thread(target=lambda: finished.append(run(model, prompts)))
    runner.start()
    runner.join(STOPPED_WITHIN)
    assert finished == [[answer_text(prompt) for prompt in prompts]]


def a_throttled_one_fails_alone(model: Any, emu: BedrockEmulator, run: Callable[..., Any]) -> None:
    """With ``return_exceptions``, the one prompt of four that is throttled gets its own
    ``ThrottlingError`` in its place; the others are answered."""
    emu.set_responder(Arrivals(latency=0.2))
    emu.throttle(1)  # whichever request arrives first
    prompts = numbered(4)
    results = run(model, prompts, return_exceptions=True)
    throttled = [index for index, result in enumerate(results) if not isinstance(result, str)]
    assert len(throttled) == 1
    assert isinstance(results[throttled[0]], ThrottlingError)
    assert results[throttled[0]].status_code == 429
    assert [result for result in results if isinstance(result, str)] == [
        answer_text(prompt) for index, prompt in enumerate(prompts) if index not in throttled
    ]


# --- a batch stopped: by its first error, an interrupt, a cancel; nothing left behind --------


def first_error_stops_the_rest(
    model: Any, emu: BedrockEmulator, run: Run, arun: AsyncRun | None = None
) -> None:
    """Eight prompts of which the last to arrive is refused: its error is raised, and the
    seven hung ones are aborted, not retried (``model``: :func:`stoppable`, retrying).

    ``arun``: the async path, awaited in a loop of its own (``run`` answers the next batch).
    """
    connections_before = connections_to(emu.port)
    # The first seven requests to arrive hang; the eighth, sent while they are in flight, is
    # refused. With max_retries=2, an aborted request must not be retried either.
    emu.hang(times=7)
    emu.fail_next("ValidationException", message="This prompt is refused.")
    started = time.monotonic()
    if arun is not None:

        async def fail() -> None:
            with pytest.raises(ValidationError, match="This prompt is refused"):
                await arun(model, numbered(8))
            # Nothing of the batch still runs once its error is raised.
            assert asyncio.all_tasks() == {asyncio.current_task()}

        asyncio.run(fail())
    else:
        with pytest.raises(ValidationError, match="This prompt is refused"):
            run(model, numbered(8))
    assert time.monotonic() - started < STOPPED_WITHIN
    assert emu.request_count == 1 + 8  # the warm-up and the batch: nothing retried
    assert sync_threads() == []
    # The seven hung requests' connections are closed, not kept (nor back in the pool).
    assert wait_until(lambda: connections_to(emu.port) <= connections_before + 1)
    next_batch_runs(run, model, emu)


def interrupt_stops_the_rest(model: Any, emu: BedrockEmulator, run: Run) -> None:
    """Ctrl-C while eight prompts hang: raised at once, requests aborted, threads ended."""
    connections_before = connections_to(emu.port)
    emu.hang(times=8)

    def interrupt_once_all_are_sent() -> None:
        wait_until(lambda: emu.request_count == 1 + 8, STOPPED_WITHIN)
        # A real SIGINT, as Ctrl-C sends: it wakes the main thread's wait.
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_once_all_are_sent)
    interrupter.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run(model, numbered(8))
    assert time.monotonic() - started < STOPPED_WITHIN
    interrupter.join()
    assert emu.request_count == 1 + 8
    assert sync_threads() == []
    assert wait_until(lambda: connections_to(emu.port) <= connections_before)
    next_batch_runs(run, model, emu)


def cancel_stops_the_rest(model: Any, emu: BedrockEmulator, run: Run, arun: AsyncRun) -> None:
    """An async batch cancelled while its eight prompts hang: no task, connection or worker
    of it is left (``run``: the same path, in a loop of its own, for the next batch)."""
    connections_before = connections_to(emu.port)
    emu.hang(times=8)

    async def cancel_once_all_are_sent() -> None:
        batch = asyncio.ensure_future(arun(model, numbered(8)))
        deadline = time.monotonic() + STOPPED_WITHIN
        while emu.request_count < 1 + 8 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        batch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batch
        assert asyncio.all_tasks() == {asyncio.current_task()}

    started = time.monotonic()
    asyncio.run(cancel_once_all_are_sent())
    assert time.monotonic() - started < STOPPED_WITHIN  # not the hung requests' read timeout
    assert emu.request_count == 1 + 8
    assert wait_until(lambda: connections_to(emu.port) <= connections_before)
    # Its eight workers are free: with one stuck, eight more prompts would wait for it.
    next_batch_runs(run, model, emu)
