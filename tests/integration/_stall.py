"""A server that starts a stream, sends some frames, then goes quiet until it is stopped."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class StallingServer:
    """Answers every request with a 200 event stream holding ``frames``, then says nothing.

    Used as ``with StallingServer(frames) as server:``; ``server.endpoint_url`` for clients.
    """

    def __init__(self, frames: bytes) -> None:
        self._frames = frames
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.requests = 0

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        self._listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._connections.append(conn)
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):  # the client went away, or the server is stopping
            self._respond(conn)

    def _respond(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += conn.recv(65536)
        self.requests += 1
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n"
            b"x-amzn-RequestId: r-stall\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n" % len(self._frames)
            + self._frames
            + b"\r\n"
        )
        self._stop.wait()

    def __enter__(self) -> StallingServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._listener.close()
        for conn in self._connections:
            conn.close()
        self._thread.join()
