"""The native async transport: aiohttp moves the bytes on the event loop, botocore the rest.

botocore signs each request and reads each answer (:mod:`._aws_wire`); no thread is used per
call or stream.

One ``aiohttp.ClientSession`` per event loop, its pool as large as ``max_connections``: a
client used across several ``asyncio.run()`` calls gets a pool per loop, each closed as its
loop ends (or at :meth:`AiohttpTransport.aclose`). TLS verification is boto3's: ``verify``,
else ``AWS_CA_BUNDLE`` or the profile's ``ca_bundle``, else botocore's bundled CA
certificates; proxies are the environment's (``HTTPS_PROXY``, ``NO_PROXY``), as boto3's are,
or those of a passed client's ``Config(proxies=...)``. Timeouts are the client's: connect, and
read (the longest wait for the next bytes).

aiohttp's failures are raised as the botocore exceptions boto3 raises for the same failure
(``EndpointConnectionError``, ``ReadTimeoutError``, ...), so :mod:`._translate` maps both
transports' errors by one table. Imported only when the transport is used: aiohttp is optional
(``pip install 'langchain-bedrock-claude[aiohttp]'``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import yarl

from ._aws_wire import parsed_response, signed_request
from ._boto import ClientSettings
from ._errors import InvalidParameterError

__all__ = ["AiohttpTransport", "OpenStream"]

_SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "Content-Type", "User-Agent")
"""Headers aiohttp would add by itself: the request carries botocore's, or none as boto3's."""
_UNSIGNED_HEADERS = {"Accept-Encoding": "identity"}
"""What boto3's HTTP stack (``http.client``) adds unsigned: no compressed answers."""
_TIME_SLICE = 0.001
"""Seconds a stream may keep the event loop while it decodes what already arrived."""
_KEPT_SESSIONS = 8
"""Event loops whose session keeper is kept referenced (a loop's keeper closes its session)."""


def _botocore_error(exc: BaseException, url: str) -> BaseException:
    """The botocore exception boto3 raises for the failure aiohttp reports as ``exc``."""
    from botocore import exceptions as bce

    if isinstance(exc, aiohttp.ServerTimeoutError | asyncio.TimeoutError):
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return bce.ConnectTimeoutError(endpoint_url=url, error=exc)
        return bce.ReadTimeoutError(endpoint_url=url, error=exc)
    if isinstance(exc, aiohttp.ClientSSLError):
        return bce.SSLError(endpoint_url=url, error=exc)
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return bce.ProxyConnectionError(proxy_url=str(exc.host), error=exc)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return bce.EndpointConnectionError(endpoint_url=url, error=exc)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return bce.ConnectionClosedError(endpoint_url=url, error=exc)
    return bce.HTTPClientError(error=exc)


_SIGNING_BUDGET = 0.002
"""Seconds of signing per event-loop iteration: a burst of calls (256 ``astream`` calls started
at once) signs a few requests per iteration instead of all of them in one, so the loop's other
tasks wait at most about this long. botocore signs a request in about 0.3-0.5 ms here."""


class _Pacing:
    """Spreads a burst of request signing over the event loop's iterations.

    The threaded transport's twin is :mod:`._preparing`. A call takes its turn (:meth:`turn`):
    at once while this iteration's budget lasts and nobody waits, else in line. Each
    iteration's reset lets in as many of the waiting as the budget holds, at the last
    signing's cost.
    """

    __slots__ = ("_cost", "_loop", "_reset_due", "_spent", "_waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._spent = 0.0
        self._cost = _SIGNING_BUDGET / 4
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._reset_due = False

    async def turn(self) -> None:
        """Return when this call may sign its request."""
        if self._spent < _SIGNING_BUDGET and not self._waiting:
            return
        waiter = self._loop.create_future()
        self._waiting.append(waiter)
        self._reset_soon()
        await waiter

    def spent(self, seconds: float) -> None:
        """Record a signing's cost."""
        self._spent += seconds
        self._cost = seconds
        self._reset_soon()

    def _reset_soon(self) -> None:
        if not self._reset_due:
            self._reset_due = True
            self._loop.call_soon(self._reset)

    def _reset(self) -> None:
        # The next iteration: a fresh budget, and the first in line let in.
        self._reset_due = False
        self._spent = 0.0
        room = max(1, int(_SIGNING_BUDGET / max(self._cost, 1e-5)))
        while self._waiting and room:
            waiter = self._waiting.popleft()
            if not waiter.done():  # a cancelled caller left the line
                waiter.set_result(None)
                room -= 1
        if self._waiting:
            self._reset_soon()


class OpenStream:
    """A streaming response whose head is read: botocore's parse of it, and its body's bytes."""

    __slots__ = ("_response", "_url", "parsed")

    def __init__(self, parsed: dict[str, Any], response: aiohttp.ClientResponse, url: str) -> None:
        self.parsed = parsed
        """What boto3 returns for the head: ``ResponseMetadata`` and the modeled headers."""
        self._response = response
        self._url = url

    async def pieces(self) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive.

        Raises:
            botocore.exceptions.ReadTimeoutError, ConnectionClosedError: as boto3's would.
        """
        content = self._response.content
        loop = asyncio.get_running_loop()
        yield_at = loop.time() + _TIME_SLICE
        read = 0
        while True:
            waits = content.total_bytes <= read  # else ``readany`` returns at once
            if not waits and loop.time() >= yield_at:
                # The socket is ahead of the reader (a fast stream), so the caller's work on
                # each piece runs here without a pause: let the loop's other tasks run first.
                await asyncio.sleep(0)
                yield_at = loop.time() + _TIME_SLICE
            try:
                data = await content.readany()
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise _botocore_error(exc, self._url) from exc
            if not data:
                return
            if waits:
                yield_at = loop.time() + _TIME_SLICE
            read += len(data)
            yield data

    def release(self) -> None:
        """Read to the end: the connection goes back to the pool."""
        self._response.release()

    def close(self) -> None:
        """Close the connection now (never handed back to the pool half-read); idempotent."""
        # From a finalizer, the loop may be closed already, and its connections with it.
        with contextlib.suppress(RuntimeError):
            self._response.close()


def _ssl(settings: ClientSettings) -> ssl.SSLContext | bool:
    """The TLS verification boto3 would apply with these settings."""
    verify = settings.verify
    if verify is False:
        return False
    if not isinstance(verify, str):
        verify = os.environ.get("AWS_CA_BUNDLE") or _profile_ca_bundle(settings.profile)
    if not isinstance(verify, str):
        from botocore.httpsession import get_cert_path

        verify = get_cert_path(True)
    return ssl.create_default_context(cafile=verify)


def _profile_ca_bundle(profile: str | None) -> str | None:
    import botocore.session

    bundle = botocore.session.Session(profile=profile).get_config_variable("ca_bundle")
    return bundle if isinstance(bundle, str) else None


def _proxy(client: Any, url: str) -> str | None:
    """The proxy boto3 would use for ``url``.

    The client's ``Config(proxies=...)``, else the environment's (``HTTPS_PROXY``,
    ``NO_PROXY``, ..., as botocore reads them).
    """
    from botocore.utils import get_environ_proxies

    config = client.meta.config
    if getattr(config, "proxies_config", None) or getattr(config, "client_cert", None):
        raise InvalidParameterError(
            "The boto3 client's Config sets proxies_config or client_cert, which the aiohttp "
            "transport does not apply: use async_transport='threads' with this client."
        )
    scheme = yarl.URL(url).scheme
    proxy = (getattr(config, "proxies", None) or {}).get(scheme)
    if proxy is None:
        proxy = get_environ_proxies(url).get(scheme)
    return str(proxy) if proxy else None


class AiohttpTransport:
    """Sends Bedrock requests with aiohttp, one pooled session per event loop.

    Args:
        settings: Timeouts, pool size and TLS verification.
    """

    def __init__(self, settings: ClientSettings) -> None:
        connect, read = settings.timeouts()
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        self._settings = settings
        self._proxies: dict[tuple[int, str], str | None] = {}
        """The proxy per (client, endpoint), found at its first request (never re-read)."""
        self._ssl: ssl.SSLContext | bool | None = None
        self._sessions: dict[asyncio.AbstractEventLoop, tuple[aiohttp.ClientSession, _Pacing]] = {}
        self._keepers: list[AsyncIterator[None]] = []

    async def _session(self) -> tuple[aiohttp.ClientSession, _Pacing]:
        loop = asyncio.get_running_loop()
        known = self._sessions.get(loop)
        if known is not None and not known[0].closed:
            return known
        for other in [other for other in self._sessions if other.is_closed()]:
            del self._sessions[other]
        if self._ssl is None:
            self._ssl = _ssl(self._settings)
        connector = aiohttp.TCPConnector(limit=self._settings.max_connections, ssl=self._ssl)
        session = aiohttp.ClientSession(
            # trust_env stays off: proxies are found as botocore finds them (_proxy), and
            # aiohttp's would also read ~/.netrc, on a thread, for every request.
            connector=connector,
            timeout=self._timeout,
            auto_decompress=False,
        )
        known = self._sessions[loop] = (session, _Pacing(loop))
        # A loop ended by asyncio.run() (or by pytest-asyncio) first closes its live async
        # generators: this one then closes the session, so nothing outlives its loop.
        keeper = self._keep(session)
        await keeper.__anext__()
        self._keepers = [*self._keepers[-_KEPT_SESSIONS:], keeper]
        return known

    @staticmethod
    async def _keep(session: aiohttp.ClientSession) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await session.close()

    async def _post(self, client: Any, operation: str, kwargs: Mapping[str, Any]) -> Any:
        session, pacing = await self._session()
        await pacing.turn()
        started = time.perf_counter()
        request = signed_request(client, operation, kwargs)
        pacing.spent(time.perf_counter() - started)
        headers = {**_UNSIGNED_HEADERS}
        for key, value in request.headers.items():
            headers[key] = value.decode() if isinstance(value, bytes) else value
        url: str = request.url
        origin = url.split("/", 3)[:3]
        key = (id(client), "/".join(origin))
        proxy = self._proxies.get(key, "")
        if proxy == "":
            proxy = self._proxies[key] = _proxy(client, url)
        try:
            return url, await session.post(
                # As signed: yarl would otherwise decode the model id's %3A back to ":".
                yarl.URL(url, encoded=True),
                data=request.body,
                headers=headers,
                skip_auto_headers=_SKIP_AUTO_HEADERS,
                proxy=proxy,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise _botocore_error(exc, url) from exc

    async def call(self, client: Any, operation: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """``operation(**kwargs)``, read to the end: what boto3 returns for it.

        Raises:
            botocore.exceptions.ClientError, BotoCoreError: what boto3 raises for the same.
        """
        url, response = await self._post(client, operation, kwargs)
        try:
            body = await response.read()
        except BaseException as exc:  # cut short or cancelled: never back in the pool half-read
            response.close()
            if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError):
                raise _botocore_error(exc, url) from exc
            raise
        response.release()
        return parsed_response(client, operation, response.status, response.headers, body)

    async def open_stream(
        self, client: Any, operation: str, kwargs: Mapping[str, Any]
    ) -> OpenStream:
        """Send ``operation(**kwargs)`` and read the response's head; its body is the caller's.

        Raises:
            botocore.exceptions.ClientError, BotoCoreError: what boto3 raises for the same.
        """
        url, response = await self._post(client, operation, kwargs)
        try:
            if response.status >= 300:
                try:
                    body = await response.read()
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    raise _botocore_error(exc, url) from exc
                parsed_response(client, operation, response.status, response.headers, body)
            parsed = parsed_response(client, operation, response.status, response.headers, None)
        except BaseException:
            response.close()
            raise
        return OpenStream(parsed, response, url)

    async def aclose(self) -> None:
        """Close the running loop's connections (other loops' close as their loops end)."""
        known = self._sessions.pop(asyncio.get_running_loop(), None)
        if known is not None:
            await known[0].close()
