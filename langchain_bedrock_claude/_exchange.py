"""The HTTP exchange of one blocking boto3 call, which another thread can abort.

A thread blocked reading a socket is not woken when another thread closes it; shutting the
socket down wakes it. To shut down the right socket, each boto3 client this package uses
gets connection classes that record which :class:`Exchange` (bound to the calling thread)
sent a request on them: :func:`track_connections`, once per client.

botocore offers no public way to reach the connection of a call in flight, so
:func:`track_connections` sets the pool classes of the client's urllib3 pool managers
(botocore's ``client._endpoint.http_session``: ``_pool_classes_by_scheme``, ``_manager`` and
``_proxy_managers``). If a botocore release renames them, nothing breaks but aborting, and
the cancellation tests in ``tests/integration/test_cancellation.py`` fail.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Exchange", "aborted_here", "current_exchange", "track_connections"]

T = TypeVar("T")

_logger = logging.getLogger(__name__)
_bound = threading.local()
_lock = threading.Lock()
"""Guards every connection's owner: an abort never shuts down a connection that another
exchange took over meanwhile."""
_OWNER = "_bedrock_claude_exchange"
_TRACKED = "_bedrock_claude_tracked"


class Exchange:
    """One call's HTTP exchange: run the call with :meth:`run`, abort it from anywhere.

    After :meth:`abort`, the call's blocked read or write fails at once with a connection
    error, a call that has not sent yet fails before sending, and the connection is closed,
    never handed back to the pool half-read.
    """

    __slots__ = ("_aborted", "_connection", "_finished", "_inner")

    def __init__(self) -> None:
        self._connection: Any = None
        self._aborted = False
        self._finished = False
        # An exchange made while another runs on this thread (a stream opened in a batch's
        # call) is part of it: aborting the outer one aborts it too.
        self._inner: list[Exchange] = []
        outer = current_exchange()
        if outer is not None:
            with _lock:
                if outer._aborted:
                    self._aborted = True
                elif not outer._finished:
                    outer._inner.append(self)

    @property
    def aborted(self) -> bool:
        """Whether :meth:`abort` was called."""
        return self._aborted

    def run(self, function: Callable[[], T], *, finish: bool = False) -> T:
        """``function()`` (a blocking boto3 call), its requests recorded by this exchange.

        With ``finish``, the exchange is over when ``function`` returns (a call read to the
        end, its connection back in the pool); else it can still abort the connection while
        its body is read (a stream).
        """
        previous = current_exchange()
        _bound.exchange = self
        try:
            return function()
        finally:
            _bound.exchange = previous
            if finish:
                self.finish()

    def finish(self) -> None:
        """The call is over and its connection may be back in the pool: abort nothing now."""
        with _lock:
            self._finished = True
            self._connection = None
            self._inner = []

    def abort(self) -> None:
        """From any thread: make the call's I/O fail now and close its connection."""
        with _lock:
            self._aborted = True
            inner, self._inner = self._inner, []
            connection, self._connection = self._connection, None
            if connection is not None and not self._finished:
                _shut_down(connection, self)
        for exchange in inner:
            exchange.abort()

    def _attach(self, connection: Any) -> None:
        with _lock:
            setattr(connection, _OWNER, self)
            if not self._aborted:
                self._connection = connection
                return
        raise ConnectionAbortedError("the call was cancelled before its request was sent")


def _shut_down(connection: Any, owner: Exchange) -> None:
    if getattr(connection, _OWNER) is not owner:
        return
    sock = connection.sock
    if isinstance(sock, socket.socket):
        # socket.socket's own shutdown: SSLSocket's would also drop its SSL object under the
        # thread still reading through it.
        with contextlib.suppress(OSError):  # already closed by the peer
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def current_exchange() -> Exchange | None:
    """The exchange running on this thread (see :meth:`Exchange.run`), if any."""
    exchange: Exchange | None = getattr(_bound, "exchange", None)
    return exchange


def aborted_here() -> bool:
    """Whether the call running on this thread was aborted: a retry would only fail again."""
    exchange = current_exchange()
    return exchange is not None and bool(exchange._aborted)


def _check_not_aborted(connection: Any) -> None:
    exchange = getattr(connection, _OWNER, None)
    if exchange is not None and exchange._aborted:
        raise ConnectionAbortedError("the call was cancelled")


@functools.cache
def _tracked_connection(base: type) -> type:
    class TrackedConnection(base):  # type: ignore[misc]
        def request(self, *args: Any, **kwargs: Any) -> Any:
            exchange = current_exchange()
            if exchange is not None:
                exchange._attach(self)
            else:
                setattr(self, _OWNER, None)
            return super().request(*args, **kwargs)

        def send(self, data: Any) -> Any:
            # Aborted while connecting (no socket to shut down yet): do not send.
            _check_not_aborted(self)
            return super().send(data)

    TrackedConnection.__name__ = TrackedConnection.__qualname__ = f"Tracked{base.__name__}"
    return TrackedConnection


@functools.cache
def _tracked_pool(base: type) -> type:
    connection = _tracked_connection(base.ConnectionCls)  # type: ignore[attr-defined]
    return type(f"Tracked{base.__name__}", (base,), {"ConnectionCls": connection})


def track_connections(client: Any) -> Any:
    """Let :class:`Exchange` abort calls made with the boto3 ``client``; returns ``client``.

    Idempotent. A client whose internals are not botocore's usual ones is left as it is
    (its calls then cannot be aborted, only abandoned).
    """
    session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    if session is None or getattr(session, _TRACKED, False):
        return client
    try:
        classes = session._pool_classes_by_scheme
        managers = [session._manager, *session._proxy_managers.values()]
    except AttributeError:
        _logger.debug("botocore's HTTP session has changed: calls cannot be aborted")
        return client
    tracked = {scheme: _tracked_pool(pool) for scheme, pool in classes.items()}
    session._pool_classes_by_scheme = tracked
    for manager in managers:
        manager.pool_classes_by_scheme = tracked
        for key in list(manager.pools.keys()):  # pools of a client used before it came here
            pool = manager.pools.get(key)
            if pool is not None:
                pool.ConnectionCls = _tracked_connection(pool.ConnectionCls)
    setattr(session, _TRACKED, True)
    return client
