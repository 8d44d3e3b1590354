"""A minimal HTTP/1.1 server on loopback, run by asyncio in a background thread.

Keep-alive, Content-Length and chunked responses, over plain TCP or TLS. It knows nothing
about Bedrock: each request goes to a handler coroutine with a :class:`Connection` to
answer on.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from email.utils import formatdate

from ._request import Headers

_MAX_HEAD = 1024 * 1024
"""Largest request line + headers accepted (bytes)."""
_MAX_BODY = 32 * 1024 * 1024
"""Larger than Bedrock's 25,000,000-byte body limit, so the service's check can answer."""
_BACKLOG = 2048
_STOP_TIMEOUT = 10.0
_TLS_HANDSHAKE_TIMEOUT = 10.0
"""Seconds a client has to finish the TLS handshake."""
_ACCEPT_SETTLE_ROUNDS = 3
"""Loop iterations for an accepted socket to reach ``connection_made``."""
_REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    413: "Payload Too Large",
    424: "Failed Dependency",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class HttpRequest:
    """A parsed request: what the handler gets."""

    method: str
    target: str
    headers: Headers
    body: bytes


class _DateCache:
    """``Date`` header value, formatted at most once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second, self._value = second, formatdate(second, usegmt=True)
        return self._value


_DATE = _DateCache()


def _head(status: int, headers: Sequence[tuple[str, str]], *, date: bool) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
    if date:
        lines.append(f"Date: {_DATE.now()}")
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    """One HTTP/1.1 chunk carrying ``data``."""
    return b"%x\r\n%s\r\n" % (len(data), data)


LAST_CHUNK = b"0\r\n\r\n"


class Connection:
    """One client connection: answer the current request on it."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.keep_alive = True
        """Whether the connection stays open after this response."""

    def send(
        self, status: int, headers: Sequence[tuple[str, str]], body: bytes, *, date: bool = True
    ) -> None:
        """Send a whole response; ``Content-Length`` (and ``Date``) are added."""
        head = _head(status, [*headers, ("Content-Length", str(len(body)))], date=date)
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
        head = _head(status, [*headers, ("Transfer-Encoding", "chunked")], date=date)
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


class _TrackedProtocol(asyncio.StreamReaderProtocol):
    """Keeps every open transport in a set, so stopping can close them all."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        on_connect: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
        registry: set[asyncio.BaseTransport],
    ) -> None:
        super().__init__(reader, on_connect)
        self._registry = registry
        self._tracked: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._tracked = transport
        self._registry.add(transport)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._tracked is not None:
            self._registry.discard(self._tracked)
        super().connection_lost(exc)


class HttpServer:
    """Serves ``handler`` on ``host:port`` from an event loop in a daemon thread.

    With ``ssl_context``, connections are TLS (HTTPS).
    """

    def __init__(
        self,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the emulator binds loopback addresses only (got {host!r})")
        self._handler = handler
        self._host = host
        self._requested_port = port
        self._ssl_context = ssl_context
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._transports: set[asyncio.BaseTransport] = set()
        self.port = 0
        """The bound port (0 until started)."""

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
        """Bind and serve in the background; returns once the port is known."""
        if self._thread is not None:
            return
        loop = asyncio.new_event_loop()
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

        def protocol() -> _TrackedProtocol:
            reader = asyncio.StreamReader(limit=_MAX_HEAD, loop=loop)
            return _TrackedProtocol(reader, self._on_connect, self._transports)

        self._server = await loop.create_server(
            protocol,
            self._host,
            self._requested_port,
            backlog=_BACKLOG,
            ssl=self._ssl_context,
            ssl_handshake_timeout=_TLS_HANDSHAKE_TIMEOUT if self._ssl_context else None,
        )
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
        for transport in list(self._transports):
            if isinstance(transport, asyncio.WriteTransport):
                transport.abort()  # unstarted handlers and unread buffers too
            else:
                transport.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)
        if self._server is not None:
            await self._server.wait_closed()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        connection = Connection(writer)
        try:
            while connection.keep_alive:
                request = await _read_request(reader, writer)
                if request is None:
                    break
                if request.headers.get("connection", "").lower() == "close":
                    connection.keep_alive = False
                await self._handler(request, connection)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, asyncio.CancelledError):
            pass
        except asyncio.LimitOverrunError:
            connection.send(431, [("Connection", "close")], b"")
            connection.keep_alive = False
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> HttpRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if error.partial.strip():
            raise
        return None  # the client closed an idle keep-alive connection
    lines = head[:-4].decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    raw_headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        raw_headers.append((name.strip(), value.strip()))
    headers = Headers(raw_headers)
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        length = int(headers.get("content-length", "0") or 0)
        if length > _MAX_BODY:
            raise ConnectionError(f"request body of {length} bytes is too large")
        body = await reader.readexactly(length) if length else b""
    return HttpRequest(method, target, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    size_total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return b"".join(parts)
        size_total += size
        if size_total > _MAX_BODY:
            raise ConnectionError("chunked request body is too large")
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
