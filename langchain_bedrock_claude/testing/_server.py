"""A minimal HTTP/1.1 server on loopback, run by asyncio in a background thread.

Keep-alive, Content-Length and chunked requests and responses, over plain TCP or TLS. It
knows nothing about Bedrock: each request goes to a handler coroutine with a
:class:`Connection` to answer on, and each request it cannot hand over (malformed, too
large, or one its handler failed on before answering) to an error responder, so every
request gets an answer and no input stops the server.

Limits, so that misbehaving clients cannot hold it (defaults in :class:`ServerLimits`):

* A request's head must arrive within ``header_timeout`` of its first byte (of the
  connection being accepted, for a connection's first request).
* Its body may pause at most ``body_timeout`` between two reads.
* A keep-alive connection idle for ``idle_timeout`` between requests is closed.
* A body over ``max_body`` bytes gets a 413; the body is read and thrown away first (up to
  :data:`DRAIN_FACTOR` times the limit), so that a client that sends all of it before
  reading, as urllib3 does, reads the answer instead of a reset.
* At most ``max_connections`` connections are open (by default a little under the
  process's open-file limit); one more closes the connection that has waited longest for
  its request.
* An HTTP/1.0 request without ``Connection: keep-alive``, and any ``Connection: close``,
  closes the connection after the answer.
* The server's own warnings (timeouts, failed handlers, accept errors) go to the
  ``langchain_bedrock_claude.testing`` logger, at most :data:`LOG_BURST` of them every
  :data:`LOG_WINDOW` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ._http import (
    MAX_HEAD,
    HttpError,
    HttpRequest,
    chunk_size,
    content_length,
    is_chunked,
    keeps_alive,
    parse_head,
    response_head,
    too_large,
)

LOG = logging.getLogger("langchain_bedrock_claude.testing")
"""The emulator's log: one INFO line per request, and the server's own warnings."""

HEADER_TIMEOUT = 10.0
"""Seconds a request's head may take: a client on loopback sends it in microseconds, so
this leaves slow CI machines ample room and still frees a stalled connection in 10 s."""
BODY_TIMEOUT = 10.0
"""Seconds a request body may pause between two reads (nginx's ``client_body_timeout``
measures the same gap)."""
IDLE_TIMEOUT = 60.0
"""Seconds a keep-alive connection may sit idle between requests: the default idle timeout
of AWS's Application Load Balancer (not a published Bedrock figure)."""
DRAIN_FACTOR = 4
"""A too-large body is read and discarded up to this many times ``max_body``; a larger one
is answered and cut off (the client may then see a reset instead of the 413)."""
FD_RESERVE = 64
"""File descriptors left free below the open-file limit for the listening socket, the
event loop, log files and the like."""
LOG_BURST = 10
LOG_WINDOW = 10.0
"""At most ``LOG_BURST`` server warnings per ``LOG_WINDOW`` seconds; the rest are counted."""
_DRAIN_READ = 256 * 1024
_BACKLOG = 2048
"""The kernel's queue of connections not yet accepted."""
_ACCEPT_BATCH = 16
"""Connections asyncio accepts per wake-up (it uses the ``backlog`` it is given). They reach
``connection_made``, where the connection limit is applied, only after the whole batch, so
a batch must fit in :data:`FD_RESERVE`."""
_STOP_TIMEOUT = 10.0
_TLS_HANDSHAKE_TIMEOUT = 10.0
"""Seconds a client has to finish the TLS handshake."""
_ACCEPT_SETTLE_ROUNDS = 3
"""Loop iterations for an accepted socket to reach ``connection_made``."""
_MAX_PORT = 65535


@dataclass(frozen=True)
class ServerLimits:
    """How long and how much the server waits for and accepts from a client."""

    max_body: int
    """Largest request body accepted (bytes); larger ones get a 413."""
    header_timeout: float = HEADER_TIMEOUT
    """Seconds for a request's head, from its first byte (from the accept, for the first)."""
    body_timeout: float = BODY_TIMEOUT
    """Seconds a request body may pause between two reads."""
    idle_timeout: float = IDLE_TIMEOUT
    """Seconds a keep-alive connection may sit idle between requests."""
    max_connections: int | None = None
    """Open connections at most; ``None``: the open-file limit less :data:`FD_RESERVE`."""


class Connection:
    """One client connection: answer the current request on it."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.keep_alive = True
        """Whether the connection stays open after this response."""
        self.status: int | None = None
        """The status of the answer to the current request, once its head is sent."""

    def send(
        self, status: int, headers: Sequence[tuple[str, str]], body: bytes, *, date: bool = True
    ) -> None:
        """Send a whole response; ``Content-Length`` (and ``Date``) are added."""
        self.status = status
        head = response_head(
            status,
            [*headers, ("Content-Length", str(len(body)))],
            date=date,
            close=not self.keep_alive,
        )
        self._writer.write(head + body)

    def start_chunked(
        self,
        status: int,
        headers: Sequence[tuple[str, str]],
        first: bytes = b"",
        *,
        date: bool = True,
    ) -> None:
        """Send the head of a chunked response, plus already-framed chunks ``first``."""
        self.status = status
        head = response_head(
            status,
            [*headers, ("Transfer-Encoding", "chunked")],
            date=date,
            close=not self.keep_alive,
        )
        self._writer.write(head + first)

    def write(self, data: bytes) -> None:
        """Queue raw bytes (already framed as chunks)."""
        self._writer.write(data)

    async def drain(self) -> None:
        """Wait until the socket buffer drains."""
        await self._writer.drain()

    def close(self) -> None:
        """Close after what was written is flushed; no more responses on it."""
        self.keep_alive = False
        self._writer.close()


Handler = Callable[[HttpRequest, Connection], Awaitable[None]]
ErrorResponder = Callable[[Connection, HttpError], None]
"""Answers a request the server could not hand to the handler (the connection then closes)."""


def plain_error(connection: Connection, error: HttpError) -> None:
    """The default :data:`ErrorResponder`: the status and the message as plain text."""
    body = error.message.encode("utf-8", "replace")
    connection.send(error.status, [("Content-Type", "text/plain; charset=utf-8")], body)


class _Throttled:
    """Log at most ``burst`` messages every ``window`` seconds; count the others.

    The count goes with the next message let through (and with :meth:`flush`).
    """

    def __init__(self, burst: int = LOG_BURST, window: float = LOG_WINDOW) -> None:
        self._burst = burst
        self._window = window
        self._start = -window
        self._sent = 0
        self.suppressed = 0
        """Messages dropped since the last one logged."""

    def warning(self, message: str) -> None:
        now = time.monotonic()
        if now - self._start >= self._window:
            self._start, self._sent = now, 0
        if self._sent >= self._burst:
            self.suppressed += 1
            return
        self._sent += 1
        if self.suppressed:
            message += f" ({self.suppressed} similar messages suppressed before this one)"
            self.suppressed = 0
        LOG.warning(message)

    def flush(self) -> None:
        if self.suppressed:
            LOG.warning("%d server messages suppressed", self.suppressed)
            self.suppressed = 0


# What a connection is doing; all but _ANSWERING wait on the client.
_IDLE, _HEAD, _BODY, _ANSWERING = "idle", "head", "body", "answering"


class _Protocol(asyncio.StreamReaderProtocol):
    """A connection's protocol: tracks what it waits for, and closes it when that takes too long."""

    def __init__(self, server: HttpServer, loop: asyncio.AbstractEventLoop) -> None:
        reader = asyncio.StreamReader(limit=MAX_HEAD, loop=loop)
        super().__init__(reader, self._connected, loop=loop)
        self.reader = reader
        self._server = server
        self._event_loop = loop
        self.tcp: asyncio.BaseTransport | None = None
        self.phase = _HEAD
        self.since = loop.time()
        """When the current wait began (loop time)."""
        self._phase_timeout = 0.0
        self._last_data = 0.0
        self._deadline: asyncio.TimerHandle | None = None

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._server._serve(reader, writer, self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.tcp = transport
        self._server._admit(self)
        self._wait(_HEAD, self._server.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._server._release(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.phase == _IDLE:
            self._wait(_HEAD, self._server.limits.header_timeout)
        elif self.phase == _BODY:
            self._last_data = self._event_loop.time()
        super().data_received(data)

    # -- phases, set by HttpServer._serve -------------------------------------------------

    def idle(self) -> None:
        """Between requests on a keep-alive connection."""
        self._wait(_IDLE, self._server.limits.idle_timeout)

    def reading_body(self) -> None:
        self._wait(_BODY, self._server.limits.body_timeout)

    def answering(self) -> None:
        self._disarm()
        self.phase = _ANSWERING

    def _wait(self, phase: str, timeout: float) -> None:
        self._disarm()
        self.phase, self._phase_timeout = phase, timeout
        self.since = self._last_data = self._event_loop.time()
        self._deadline = self._event_loop.call_later(timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.phase == _BODY:  # a timeout between reads: data may have come since
            remaining = self._last_data + self._phase_timeout - self._event_loop.time()
            if remaining > 0:
                self._deadline = self._event_loop.call_later(remaining, self._expired)
                return
        if self.phase == _ANSWERING or self.tcp is None:
            return
        if self.phase == _IDLE:
            LOG.debug("closed a keep-alive connection idle for %.0f s", self._phase_timeout)
            self.tcp.close()
        else:
            waited = "took over" if self.phase == _HEAD else "paused for over"
            self._server.log.warning(
                f"closed a connection whose request {self.phase} {waited} {self._phase_timeout:g} s"
            )
            _abort(self.tcp)

    def evict(self, reason: str) -> None:
        self._server.log.warning(f"closed a connection waiting for its request {reason}")
        if self.tcp is not None:
            _abort(self.tcp)


def _abort(transport: asyncio.BaseTransport) -> None:
    if isinstance(transport, asyncio.WriteTransport):
        transport.abort()  # unread buffers too; TLS without waiting for close_notify
    else:
        transport.close()


class HttpServer:
    """Serves ``handler`` on ``host:port`` from an event loop in a daemon thread.

    With ``ssl_context``, connections are TLS (HTTPS). Requests the handler can't get, or
    that it fails on before answering, go to ``on_error`` (default: :func:`plain_error`).
    """

    def __init__(
        self,
        handler: Handler,
        *,
        limits: ServerLimits,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        on_error: ErrorResponder = plain_error,
    ) -> None:
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the emulator binds loopback addresses only (got {host!r})")
        if not 0 <= port <= _MAX_PORT:
            raise ValueError(f"the port must be between 0 and {_MAX_PORT} (got {port})")
        self._handler = handler
        self._on_error = on_error
        self.limits = limits
        """The timeouts and sizes in force."""
        self._host = host
        self._requested_port = port
        self._ssl_context = ssl_context
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._connections: set[_Protocol] = set()
        self._max_connections = limits.max_connections or _connection_limit()
        self.log = _Throttled()
        """The server's own warnings, rate limited."""
        self.port = 0
        """The bound port (0 until started)."""
        self.accepted = 0
        """Connections admitted since the start (a client that reuses its connections keeps
        this low)."""

    @property
    def tls(self) -> bool:
        """Whether connections are TLS."""
        return self._ssl_context is not None

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._thread is not None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The server's event loop (only while running)."""
        if self._loop is None:
            raise RuntimeError("the server is not running")
        return self._loop

    def start(self) -> None:
        """Bind and serve in the background; returns once the port is known.

        Raises:
            OSError: When the address can't be bound (in use, not permitted).
        """
        if self._thread is not None:
            return
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(self._on_loop_error)
        ready = threading.Event()
        thread = threading.Thread(
            target=self._run, args=(loop, ready), name="bedrock-emulator", daemon=True
        )
        self._loop, self._thread = loop, thread
        thread.start()
        ready.wait()
        try:
            future = asyncio.run_coroutine_threadsafe(self._listen(), loop)
            future.result(timeout=_STOP_TIMEOUT)
        except BaseException:
            self.stop()
            raise

    def _run(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        loop.run_forever()

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Protocol(self, loop),
            self._host,
            self._requested_port,
            backlog=_ACCEPT_BATCH,
            ssl=self._ssl_context,
            ssl_handshake_timeout=_TLS_HANDSHAKE_TIMEOUT if self._ssl_context else None,
        )
        for listening in self._server.sockets:
            with contextlib.suppress(OSError), listening.dup() as sock:
                sock.listen(_BACKLOG)  # the same socket: a long queue, short accept batches
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Stop serving: close every connection (hung ones too) and the loop."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(_STOP_TIMEOUT)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(_STOP_TIMEOUT)
        loop.close()
        self.log.flush()
        self._loop = self._thread = self._server = None

    async def _shutdown(self) -> None:
        if self._server is not None:
            # Stop accepting first and let sockets already accepted become transports:
            # Python 3.11 drops (and leaks) sockets accepted after Server.close().
            loop = asyncio.get_running_loop()
            for sock in self._server.sockets:
                loop.remove_reader(sock.fileno())
            for _ in range(_ACCEPT_SETTLE_ROUNDS):
                await asyncio.sleep(0)
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        # Abort before waiting for the handlers: a graceful TLS close would wait for the
        # client's close_notify, which an idle keep-alive client never sends.
        for protocol in list(self._connections):
            if protocol.tcp is not None:
                _abort(protocol.tcp)
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)
        if self._server is not None:
            await self._server.wait_closed()

    # -- connections ----------------------------------------------------------------------

    def _admit(self, protocol: _Protocol) -> None:
        """Count a new connection; at the limit, close the one waiting longest for a request."""
        if len(self._connections) >= self._max_connections and not self._evict_oldest(
            f"(over {self._max_connections} connections)"
        ):
            self.log.warning(f"refused a connection: {self._max_connections} are being answered")
            if protocol.tcp is not None:
                _abort(protocol.tcp)
            return
        self.accepted += 1
        self._connections.add(protocol)

    def _release(self, protocol: _Protocol) -> None:
        self._connections.discard(protocol)

    def _evict_oldest(self, reason: str) -> bool:
        waiting = [c for c in self._connections if c.phase != _ANSWERING]
        if not waiting:
            return False
        oldest = min(waiting, key=_waiting_since)
        self._connections.discard(oldest)
        oldest.evict(reason)
        return True

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The loop's exception handler: one rate-limited line, never a traceback flood."""
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in (errno.EMFILE, errno.ENFILE):
            # asyncio retries the accept in a second; free a descriptor for it meanwhile.
            self._evict_oldest("(out of file descriptors)")
        detail = f": {type(error).__name__}: {error}" if error is not None else ""
        self.log.warning(f"{context.get('message', 'event loop error')}{detail}")

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, protocol: _Protocol
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        connection = Connection(writer)
        try:
            while connection.keep_alive:
                try:
                    request = await _read_request(reader, writer, protocol, self.limits.max_body)
                except HttpError as error:
                    connection.keep_alive = False
                    self._on_error(connection, error)
                    break
                if request is None:
                    break
                protocol.answering()
                connection.status = None
                connection.keep_alive = keeps_alive(request)
                await self._answer(request, connection)
                await writer.drain()
                protocol.idle()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(self, request: HttpRequest, connection: Connection) -> None:
        try:
            await self._handler(request, connection)
        except (ConnectionError, ssl.SSLError, asyncio.CancelledError):
            raise
        except Exception as error:  # a handler bug must not cost the client its answer
            what = f"{type(error).__name__}: {error}"
            self.log.warning(f"the handler failed on {request.method} {request.target}: {what}")
            LOG.debug("handler failure", exc_info=True)
            if connection.status is not None:  # the answer had started: it can only be cut
                connection.close()
                return
            connection.keep_alive = False
            failure = HttpError(500, what, method=request.method, target=request.target)
            self._on_error(connection, failure)


def _waiting_since(protocol: _Protocol) -> float:
    return protocol.since


def _connection_limit() -> int:
    try:
        import resource
    except ImportError:  # not on Windows
        return 1 << 30
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 30
    return max(soft - FD_RESERVE, soft // 2, 1)


async def _read_request(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    protocol: _Protocol,
    max_body: int,
) -> HttpRequest | None:
    """The next request, ``None`` when the client closed an idle connection.

    Raises:
        HttpError: 400 for a malformed request, 413 for a body over ``max_body`` (after
            reading what of it can be read), 431 for a head over 1 MiB.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if error.partial.strip():
            raise
        return None  # the client closed an idle keep-alive connection
    except asyncio.LimitOverrunError:
        raise HttpError(431, f"the request head is over {MAX_HEAD} bytes") from None
    method, target, version, headers = parse_head(head)
    chunked = is_chunked(headers, method, target)
    length = None if chunked else content_length(headers, method, target)
    protocol.reading_body()
    if length is not None and length > max_body:
        refusal = too_large(max_body, method, target)
        if headers.get("expect", "").lower() != "100-continue":
            await _discard(reader, length, max_body)
        raise refusal
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    if chunked:
        body = await _read_chunked(reader, max_body, method, target)
    else:
        body = await reader.readexactly(length) if length else b""
    return HttpRequest(method, target, headers, body, version)


async def _discard(reader: asyncio.StreamReader, length: int, max_body: int) -> None:
    """Read and drop ``length`` bytes, if there are not too many to be worth it."""
    if length > DRAIN_FACTOR * max_body:
        return
    while length > 0:
        data = await reader.read(min(length, _DRAIN_READ))
        if not data:
            raise asyncio.IncompleteReadError(b"", length)
        length -= len(data)


async def _read_chunked(
    reader: asyncio.StreamReader, max_body: int, method: str, target: str
) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await _chunk_line(reader, method, target)
        size = chunk_size(size_line, method, target)
        if size == 0:
            while (await _chunk_line(reader, method, target)) != b"\r\n":
                pass  # trailers
            if total > max_body:
                raise too_large(max_body, method, target)
            return b"".join(parts)
        total += size
        if total > DRAIN_FACTOR * max_body:
            raise too_large(max_body, method, target)
        data = await reader.readexactly(size)
        if total <= max_body:
            parts.append(data)
        else:
            parts.clear()  # read on to the end, so the client can read the 413
        if await reader.readexactly(2) != b"\r\n":
            raise HttpError(400, "a chunk is longer than its size", method=method, target=target)


async def _chunk_line(reader: asyncio.StreamReader, method: str, target: str) -> bytes:
    try:
        return await reader.readuntil(b"\r\n")
    except asyncio.LimitOverrunError:
        raise HttpError(
            400,
            f"a chunk-size or trailer line is over {MAX_HEAD} bytes",
            method=method,
            target=target,
        ) from None
