"""Calls and streams on the native async transport (:mod:`._aio_transport`), on the event loop.

The async twins of :func:`._client.invoke_once`, :func:`._client.count_once` and
:class:`._streaming.StreamSession`: the same request (``boto_kwargs``), the same reading of the
answer (:class:`._streaming.Reading`, ``parse_body``), retries by the same :class:`Tries`, and
errors through the same :func:`map_aws_errors`. Only the waiting differs: awaited on the loop,
where the threaded transport blocks a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, cast

from ._boto import RuntimeHandle
from ._errors import BedrockClaudeError
from ._models import Completion, CompletionChunk
from ._request import PreparedRequest, completion_of, count_tokens_kwargs
from ._retry import RetryPolicy
from ._streaming import Reading, SessionState, _StreamClosed, coalesced
from ._translate import map_aws_errors

if TYPE_CHECKING:
    from ._aio_transport import AiohttpTransport, OpenStream

__all__ = ["NativeStreamSession", "acount_once", "ainvoke_once"]

_STREAM = "InvokeModelWithResponseStream"


async def ainvoke_once(
    transport: AiohttpTransport, runtime: RuntimeHandle, request: PreparedRequest
) -> Completion:
    """One InvokeModel request, read to the end."""
    model_id = request.model_id
    with map_aws_errors(model_id, region=runtime.region):
        response = await transport.call(runtime, model_id, "InvokeModel", request.boto_kwargs())
        raw = response["body"].read()
    return completion_of(request, response, raw)


async def acount_once(
    transport: AiohttpTransport, runtime: RuntimeHandle, request: PreparedRequest
) -> int:
    """One CountTokens request."""
    kwargs = count_tokens_kwargs(request)
    with map_aws_errors(kwargs["modelId"], region=runtime.region):
        response = await transport.call(runtime, kwargs["modelId"], "CountTokens", kwargs)
    return int(response["inputTokens"])


class NativeStreamSession(SessionState):
    """A stream on the event loop, the twin of :class:`._streaming.StreamSession`.

    Opened with retries, read, and retried if it breaks before its first piece, as the
    threaded session does on a worker thread.
    """

    def __init__(
        self,
        transport: AiohttpTransport,
        runtime: RuntimeHandle,
        request: PreparedRequest,
        policy: RetryPolicy,
        *,
        auto_inference_profile: bool = False,
    ) -> None:
        super().__init__(runtime, request, policy, auto_inference_profile=auto_inference_profile)
        self._transport = transport
        self._closed = False
        self._wakeup = asyncio.Event()
        self._body: OpenStream | None = None
        self._loop = asyncio.get_running_loop()

    def _check_open(self) -> None:
        if self._closed:
            raise _StreamClosed("the stream was closed", model_id=self.model_id)

    async def _retry_or_raise(self, error: BedrockClaudeError) -> None:
        """Reroute or wait out the backoff, as the policy says; else raise ``error``."""
        following = self._tries.after(self._request, error)
        if following is None or self._closed:
            raise error
        self._request, delay = following
        if delay > 0:
            # close() cuts the wait short.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), delay)
        self._check_open()

    async def open(self) -> None:
        """Send the request and wait for the response head, retrying transient failures."""
        while True:
            self._check_open()
            try:
                with map_aws_errors(self.model_id, region=self._runtime.region):
                    opened = await self._transport.open_stream(
                        self._runtime, self.model_id, _STREAM, self._request.boto_kwargs()
                    )
            except BedrockClaudeError as error:
                await self._retry_or_raise(error)
                continue
            self._body = opened
            self.request_id = opened.parsed["ResponseMetadata"].get("RequestId")
            if self._closed:  # closed by another task while the head arrived
                self._release()
                self._check_open()
            return

    async def chunks(self) -> AsyncGenerator[CompletionChunk, None]:
        """Yield pieces as their events arrive, then a final piece with the metadata.

        Pieces that arrived together, :data:`._streaming.COALESCE_BACKLOG` or more, are joined
        as :func:`._streaming.coalesced` joins those a slow consumer of a threaded stream
        finds waiting.
        """
        from ._aws_wire import EventParser
        from ._events import buffered_chunks, new_buffer

        parse_event: EventParser | None = None
        try:
            while True:
                reading = Reading(self._request, self.request_id)
                opened = self._body
                try:
                    if opened is None:  # closed meanwhile
                        self._check_open()
                        raise AssertionError("a stream is read once it is open")
                    if parse_event is None:
                        parse_event = EventParser(opened.client, _STREAM)
                    with map_aws_errors(self.model_id, request_id=self.request_id):
                        buffer = new_buffer()
                        async for data in opened.pieces():
                            buffer.add_data(data)
                            arrived: list[object] = []
                            failure: BaseException | None = None
                            try:
                                for chunk in buffered_chunks(buffer, parse_event):
                                    piece = reading.feed(chunk)
                                    if piece is not None:
                                        arrived.append(piece)
                            except BaseException as error:  # after the pieces before it
                                failure = error
                            for joined in coalesced(arrived):
                                yield cast("CompletionChunk", joined)
                            if failure is not None:
                                raise failure
                    reading.check_complete()
                except BedrockClaudeError as error:
                    if self._closed:
                        raise _StreamClosed(
                            "the stream was closed", model_id=self.model_id
                        ) from error
                    if reading.yielded:
                        raise reading.interrupted(error) from error
                    self._release()
                    await self._retry_or_raise(error)
                    await self.open()
                    continue
                opened.release()  # read to its end: the connection goes back to the pool
                self._body = None
                self.completion, last = reading.finish()
                yield last
                return
        finally:
            self.close()

    def async_chunks(self, executor: Executor | None) -> NativeChunks:
        """The async iterator of an :class:`AsyncStream` over this session (no thread)."""
        return NativeChunks(self)

    def _release(self) -> None:
        opened, self._body = self._body, None
        if opened is not None:
            opened.close()

    def close(self) -> None:
        """Close the connection now; a wait for a retry ends at once. From the loop's thread."""
        self._closed = True
        self._wakeup.set()
        self._release()

    def close_from_anywhere(self) -> None:
        """:meth:`close`, from any thread: a finalizer may run on another than the loop's."""
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is self._loop or self._loop.is_closed():
            self.close()
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            self._loop.call_soon_threadsafe(self.close)

    def __del__(self) -> None:
        # A stream opened and never read: close its connection rather than leave it open.
        if self._body is not None:
            self.close_from_anywhere()


class NativeChunks:
    """The async iterator of an :class:`AsyncStream` on the native transport.

    A plain object around the session's generator, as the threaded iterators are: a loop that
    ends early drops it at once, and ``__del__`` closes the connection then, where a generator
    would wait for the loop to finalize it.
    """

    def __init__(self, session: NativeStreamSession) -> None:
        self._session = session
        self._pieces = session.chunks()

    def __aiter__(self) -> NativeChunks:
        return self

    def __anext__(self) -> Awaitable[CompletionChunk]:
        # The generator's own step, with no coroutine around it (one less per piece): at its
        # end, on an error or a cancellation, its ``finally`` closes the connection.
        return self._pieces.__anext__()

    async def aclose(self) -> None:
        """Close the connection (the iterator yields nothing more)."""
        self._session.close()
        await self._pieces.aclose()

    def __del__(self) -> None:
        self._session.close_from_anywhere()
