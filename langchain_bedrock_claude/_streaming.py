"""Streams: :class:`Stream` and :class:`AsyncStream` over botocore's event stream.

One blocking core, :class:`StreamSession`, opens the response (with retries), decodes events,
retries a stream that failed before its first piece, and turns every way a stream can break
into a typed error. :class:`Stream` iterates it directly; :class:`AsyncStream` runs it on a
worker thread (a "pump") that hands pieces to the event loop in batches, so the loop never
blocks on a socket, and one wake-up of the loop serves every stream that has new pieces.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Hashable, Iterator, Mapping
from concurrent.futures import Executor
from functools import partial
from itertools import groupby
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, cast

from ._boto import RuntimeHandle
from ._bridge import Channel
from ._errors import (
    APIConnectionError,
    BedrockClaudeError,
    StreamInterruptedError,
)
from ._exchange import Exchange, aborted_here, current_exchange
from ._formats import ParsedResponse
from ._models import Completion, CompletionChunk, Usage
from ._preparing import preparing
from ._request import PreparedRequest, check_guardrail, completion_from, final_chunk
from ._retry import RetryPolicy, Tries
from ._translate import map_aws_errors

if TYPE_CHECKING:
    from ._native import NativeChunks

__all__ = ["AsyncStream", "Reading", "SessionState", "Stream", "StreamSession", "coalesced"]


class _StreamClosed(BedrockClaudeError):
    """Internal: the caller closed the stream while it was opening or retrying.

    It never reaches the caller, who stopped reading.
    """


class Reading:
    """One attempt at reading a stream: its pieces from the ``chunk`` events, then its end.

    What every stream session shares, whichever way its bytes arrive: decoding each event
    (a malformed one is a connection error, retried like one), the check that the stream
    reached its final event, the error of a stream broken after its first piece, and the
    finished result with its guardrail check.
    """

    __slots__ = ("_chunk_event", "_parser", "_request", "request_id", "yielded")

    def __init__(self, request: PreparedRequest, request_id: str | None) -> None:
        # Here rather than at the top: botocore is loaded once the first client is built.
        from ._events import chunk_event

        self._chunk_event = chunk_event
        self._request = request
        self._parser = request.new_parser()
        self.request_id = request_id
        self.yielded = False
        """Whether a piece was yielded: after that, a failure cannot be retried."""

    @property
    def model_id(self) -> str:
        """The model id or ARN of the request."""
        return self._request.model_id

    def feed(self, chunk: bytes | Mapping[str, Any]) -> CompletionChunk | None:
        """The piece a ``chunk`` event (from :func:`._events.chunk_events`) makes, if any.

        Raises:
            APIConnectionError: the event is malformed.
        """
        try:
            piece = self._parser.feed(self._chunk_event(chunk))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise APIConnectionError(
                f"Bedrock sent a malformed stream event ({exc!r}); retry.",
                model_id=self.model_id,
                request_id=self.request_id,
            ) from exc
        if piece is None:
            return None
        self.yielded = True
        if isinstance(piece, CompletionChunk):  # the chat parser's
            return piece
        return CompletionChunk(piece[0], piece[1])

    def check_complete(self) -> None:
        """After the last event: raise if the stream ended before its final event."""
        if not self._parser.done:
            raise APIConnectionError(
                "The stream ended before its final event (the connection was cut short); the "
                "answer is incomplete.",
                model_id=self.model_id,
                request_id=self.request_id,
            )

    def interrupted(self, error: BedrockClaudeError) -> StreamInterruptedError:
        """The error of a stream that broke with ``error`` after its first piece."""
        so_far: ParsedResponse = self._parser.result()
        text = so_far.text
        return StreamInterruptedError(
            f"The stream broke after {len(text)} characters of text: {error.message} The text "
            "received so far is in partial_text; send the request again for a complete answer.",
            partial_text=text,
            usage=so_far.usage,
            model_id=self.model_id,
            request_id=self.request_id,
            status_code=error.status_code,
            error_code=error.error_code,
        )

    def finish(self) -> tuple[Completion, CompletionChunk]:
        """The finished result and the stream's last piece, which carries it.

        Raises:
            GuardrailInterventionError: asked to, and a guardrail intervened.
        """
        completion = completion_from(
            self._parser.result(), model_id=self.model_id, request_id=self.request_id
        )
        check_guardrail(self._request, completion)
        return completion, final_chunk(completion)


class SessionState:
    """What every stream session holds: the request, its tries, and the result once known."""

    def __init__(
        self,
        runtime: RuntimeHandle,
        request: PreparedRequest,
        policy: RetryPolicy,
        *,
        auto_inference_profile: bool = False,
    ) -> None:
        self._runtime = runtime
        self._request = request
        self._tries = Tries(policy, auto_inference_profile=auto_inference_profile)
        self.request_id: str | None = None
        self.completion: Completion | None = None
        """The finished result, once the stream's final event arrived."""

    @property
    def model_id(self) -> str:
        """The model id or ARN of the request."""
        return self._request.model_id


class StreamSession(SessionState):
    """The blocking core shared by :class:`Stream` and :class:`AsyncStream`."""

    def __init__(
        self,
        runtime: RuntimeHandle,
        request: PreparedRequest,
        policy: RetryPolicy,
        *,
        auto_inference_profile: bool = False,
    ) -> None:
        super().__init__(runtime, request, policy, auto_inference_profile=auto_inference_profile)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._body: Any = None
        self._exchange: Exchange | None = None

    def _wait(self, delay: float) -> None:
        # Waiting on the close event lets close() (from any thread) cut a backoff short.
        if self._closed.wait(delay):
            raise _StreamClosed("the stream was closed", model_id=self.model_id)

    def _retry_or_raise(self, error: BedrockClaudeError) -> None:
        """Reroute or wait out the backoff, as the policy says; else raise ``error``."""
        following = self._tries.after(self._request, error)
        if following is None or self._closed.is_set() or aborted_here():
            raise error
        self._request, delay = following
        self._wait(delay)

    def open(self) -> None:
        """Send the request and wait for the response headers, retrying transient failures."""
        while True:
            with self._lock:
                if self._closed.is_set():
                    raise _StreamClosed("the stream was closed", model_id=self.model_id)
                # One exchange per request, so that close() from another thread aborts the
                # request in flight, whether it still waits for its headers or is read.
                exchange = self._exchange = Exchange()
            try:
                client = self._runtime.get(self.model_id)
                send = partial(
                    client.invoke_model_with_response_stream, **self._request.boto_kwargs()
                )
                with map_aws_errors(self.model_id, region=self._runtime.region), preparing():
                    response = exchange.run(send)
            except BedrockClaudeError as error:
                self._retry_or_raise(error)
                continue
            with self._lock:
                self._body = response["body"]
                self.request_id = response["ResponseMetadata"].get("RequestId")
                closed_meanwhile = self._closed.is_set()
            if closed_meanwhile:
                self._release()
                raise _StreamClosed("the stream was closed", model_id=self.model_id)
            return

    def chunks(self) -> Iterator[CompletionChunk]:
        """Yield pieces as their events arrive, then a final piece with the metadata."""
        # Here rather than at the top: botocore is loaded once the first client is built.
        from ._events import chunk_events

        try:
            while True:
                reading = Reading(self._request, self.request_id)
                try:
                    with map_aws_errors(self.model_id, request_id=self.request_id):
                        for chunk in chunk_events(self._body):
                            piece = reading.feed(chunk)
                            if piece is not None:
                                yield piece
                    reading.check_complete()
                except BedrockClaudeError as error:
                    if self._closed.is_set():
                        raise _StreamClosed(
                            "the stream was closed", model_id=self.model_id
                        ) from error
                    if reading.yielded:
                        raise reading.interrupted(error) from error
                    self._release()
                    self._retry_or_raise(error)
                    self.open()
                    continue
                # Read to its end, the connection is back in the pool: closing the stream
                # must not shut it down (the next request reuses it, as raw boto3's does).
                self._read_to_end()
                self.completion, last = reading.finish()
                yield last
                return
        finally:
            self.close()

    def async_chunks(self, executor: Executor | None) -> _AsyncChunks:
        """The async iterator of an :class:`AsyncStream` over this session: read on a thread."""
        assert executor is not None  # a blocking session is always read on a worker
        return _AsyncChunks(self, executor)

    def _read_to_end(self) -> None:
        with self._lock:
            exchange, self._exchange = self._exchange, None
        if exchange is not None:
            exchange.finish()

    def _release(self) -> None:
        with self._lock:
            body, self._body = self._body, None
            exchange, self._exchange = self._exchange, None
        if exchange is not None:
            exchange.abort()  # wakes a thread blocked on the connection, then closes it
        if body is not None:
            with contextlib.suppress(Exception):  # closing a broken stream may fail; it is closed
                body.close()

    def close(self) -> None:
        """Release the HTTP connection now, from any thread; a blocked read wakes and ends."""
        self._closed.set()
        self._release()

    def __del__(self) -> None:
        # A stream opened and never read: release its connection rather than leak it.
        if self._body is not None:
            self._release()


COALESCE_BACKLOG = 8
"""Pieces that must be waiting for a consumer before they are joined: a consumer this far
behind the stream (at Claude's pace, 0.1 to 0.3 s of text) takes them in one piece, so its
per-piece work (LangChain's message chunks, callbacks, a UI update) is done once for them.
One that keeps up still gets each event as its own piece."""


def coalesced(items: list[object]) -> list[object]:
    """``items`` (which arrived together), each run of joinable pieces made one piece.

    Only once :data:`COALESCE_BACKLOG` items wait; which pieces join is
    :meth:`CompletionChunk.join_key`'s call, and a run is joined at once
    (:meth:`CompletionChunk.merged`), not piece by piece: joining pairwise cost 3 us a piece
    and copied a long run's text over and over. Nothing waits for more: only what has
    arrived joins.
    """
    if len(items) < COALESCE_BACKLOG:
        return items
    joined: list[object] = []
    for _, group in groupby(items, _run_key):
        run = list(group)
        if len(run) == 1:
            joined.append(run[0])
        else:  # only pieces share a key
            pieces = cast("list[CompletionChunk]", run)
            joined.append(pieces[0].merged(pieces))
    return joined


def _run_key(item: object) -> Hashable:
    # What ``item`` joins with; for what stays apart, a fresh object, equal to nothing.
    key = item.join_key() if isinstance(item, CompletionChunk) else None
    return object() if key is None else key


class AsyncSession(Protocol):
    """What an :class:`AsyncStream` reads.

    A threaded :class:`StreamSession`, or the native transport's
    :class:`._native.NativeStreamSession`.
    """

    completion: Completion | None
    request_id: str | None

    @property
    def model_id(self) -> str:
        """The model id or ARN of the request."""
        ...  # pragma: no cover

    def close(self) -> None:
        """Release the connection now."""
        ...  # pragma: no cover

    def async_chunks(self, executor: Executor | None) -> _AsyncChunks | NativeChunks:
        """The stream's async iterator."""
        ...  # pragma: no cover


class _StreamState:
    """The stream's metadata, readable once it is over."""

    _session: AsyncSession

    @property
    def completion(self) -> Completion | None:
        """The finished result (full text, stop reason, usage), once the stream is over."""
        return self._session.completion

    @property
    def usage(self) -> Usage | None:
        """Token usage, once the stream is over."""
        return self.completion.usage if self.completion else None

    @property
    def stop_reason(self) -> str | None:
        """Why generation stopped, once the stream is over."""
        return self.completion.stop_reason if self.completion else None

    @property
    def request_id(self) -> str | None:
        """The AWS request id of the (last) request."""
        return self._session.request_id

    @property
    def model_id(self) -> str:
        """The model id or ARN of the request."""
        return self._session.model_id


class Stream(_StreamState):
    """An iterator of :class:`CompletionChunk`; ``str(chunk)`` is the text piece.

    A worker thread reads the response and hands the pieces over, so that reading goes on
    while the caller works on a piece, and a caller that falls behind takes what has arrived
    in one piece (:data:`COALESCE_BACKLOG`). Breaking out of the loop, ``close()``, or leaving
    a ``with`` block releases the connection and ends the worker promptly.
    """

    _session: StreamSession

    def __init__(self, session: StreamSession, executor: Executor) -> None:
        self._session = session
        self._executor = executor
        self._started = False

    def __iter__(self) -> _Chunks:
        if self._started:
            raise RuntimeError("a Stream can be iterated only once")
        self._started = True
        return _Chunks(self._session, self._executor, outer=current_exchange())

    def close(self) -> None:
        """Release the HTTP connection (the stream yields nothing more)."""
        self._session.close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Stream model_id={self.model_id!r} request_id={self.request_id!r}>"


_END = object()


class _Pumped:
    """What the iterators of :class:`Stream` and :class:`AsyncStream` share.

    A worker thread (the "pump") reads the session into a :class:`Channel`; the iterator
    yields its items.

    Plain objects rather than generators: when a loop over one ends early, CPython drops it at
    once and ``__del__`` releases the connection, where a generator would wait to be finalized.
    """

    def __init__(
        self, session: StreamSession, executor: Executor, *, outer: Exchange | None = None
    ) -> None:
        self._session = session
        self._executor = executor
        self._outer = outer
        self._channel: Channel | None = None
        self._ready: deque[object] = deque()
        self._finished = False

    @staticmethod
    def _pump(session: StreamSession, channel: Channel) -> None:
        # Holds no reference to the iterator, so dropping the iterator can release the stream.
        try:
            for chunk in session.chunks():
                channel.put(chunk)
        except BaseException as error:  # handed to the consumer, raised there
            channel.put(error, last=True)
        finally:
            channel.put(_END, last=True)

    def _start(self, loop: asyncio.AbstractEventLoop | None) -> Channel:
        channel = self._channel = Channel(loop)
        pump = partial(self._pump, self._session, channel)
        if self._outer is not None:
            # The caller's exchange (a batch's prompt) goes on aborting the stream's requests,
            # retries made on the pump's thread included.
            pump = partial(self._outer.run, pump)
        self._executor.submit(pump)
        return channel

    def _take(self, batch: list[object]) -> None:
        self._ready.extend(coalesced(batch))

    def _next(self) -> CompletionChunk:
        item = self._ready.popleft()
        if item is _END:
            self._finish()
            raise StopIteration
        if isinstance(item, BaseException):
            self._finish()
            raise item
        return item  # type: ignore[return-value]

    def _finish(self) -> None:
        self._finished = True
        self._ready.clear()
        self._session.close()
        if self._channel is not None:
            self._channel.close()

    def __del__(self) -> None:
        self._finish()


class _Chunks(_Pumped):
    """The iterator of a :class:`Stream`."""

    def __iter__(self) -> _Chunks:
        return self

    def __next__(self) -> CompletionChunk:
        channel = self._channel or self._start(None)
        while not self._ready:
            if self._finished:
                raise StopIteration
            try:
                self._take(channel.take_batch())
            except BaseException:  # interrupted (Ctrl-C): stop the pump, release the connection
                self._finish()
                raise
        return self._next()

    def close(self) -> None:
        """Release the HTTP connection (the iterator yields nothing more)."""
        self._finish()


class _AsyncChunks(_Pumped):
    """The async iterator of an :class:`AsyncStream`."""

    def __aiter__(self) -> _AsyncChunks:
        return self

    async def __anext__(self) -> CompletionChunk:
        channel = self._channel or self._start(asyncio.get_running_loop())
        while not self._ready:
            if self._finished:
                raise StopAsyncIteration
            try:
                self._take(await channel.get_batch())
            except BaseException:  # cancelled: stop the pump and release the connection now
                self._finish()
                raise
        try:
            return self._next()
        except StopIteration:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        """Release the HTTP connection (the iterator yields nothing more)."""
        self._finish()


class AsyncStream(_StreamState):
    """An async iterator of :class:`CompletionChunk`.

    Read on the event loop (the aiohttp transport), or by a worker thread off it.
    Cancelling the task, breaking out of the loop, ``aclose()``, or leaving an ``async with``
    block releases the connection (and ends a worker) promptly.
    """

    def __init__(self, session: AsyncSession, executor: Executor | None) -> None:
        self._session = session
        self._executor = executor
        self._started = False

    def __aiter__(self) -> _AsyncChunks | NativeChunks:
        if self._started:
            raise RuntimeError("an AsyncStream can be iterated only once")
        self._started = True
        return self._session.async_chunks(self._executor)

    async def aclose(self) -> None:
        """Release the HTTP connection (the stream yields nothing more)."""
        self._session.close()

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncStream model_id={self.model_id!r} request_id={self.request_id!r}>"
