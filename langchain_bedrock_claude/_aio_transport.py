"""The native async transport: aiohttp moves the bytes on the event loop, botocore the rest.

botocore signs each request and reads each answer (:mod:`._aws_wire`). No thread is used per
call or stream: only work that may block runs on the loop's default executor, as it comes
(building the boto3 client and TLS context the first time, signing when the credentials are
due a refresh, and aiohttp's own name resolution of a host name).

One ``aiohttp.ClientSession`` per event loop, its pool as large as ``max_connections``: a
client used across several ``asyncio.run()`` calls gets a pool per loop, each closed as its
loop ends (or at :meth:`AiohttpTransport.aclose`). TLS verification is boto3's: ``verify``,
else ``AWS_CA_BUNDLE`` or the profile's ``ca_bundle``, else botocore's bundled CA
certificates; proxies are boto3's too (a client's ``Config(proxies=...)``, else the
environment's ``HTTPS_PROXY`` / ``NO_PROXY``, with botocore's reading of them). Timeouts are
the client's: connect, and read (the longest wait for the next bytes).

Work on the loop is paced (:class:`_Pacing`): per iteration, about 2 ms of signing and 4 ms of
reading streams (decoding what arrived and handing it to the readers); the rest waits its turn
in the next iteration, so hundreds of streams never hold the loop's other tasks up for long.

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
from ._boto import ClientSettings, RuntimeHandle
from ._errors import InvalidParameterError
from ._single_flight import SingleFlight

__all__ = ["AiohttpTransport", "OpenStream"]

_SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "Content-Type", "User-Agent")
"""Headers aiohttp would add by itself: the request carries botocore's, or none as boto3's."""
_UNSIGNED_HEADERS = {"Accept-Encoding": "identity"}
"""What boto3's HTTP stack (``http.client``) adds unsigned: no compressed answers."""
_READ_SIZE = 16_384
"""Bytes of a response body read at most at once: about 100 stream events, a few
milliseconds of decoding, where a fast stream's whole buffer (64 KiB and more) took tens."""


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


_SENDING_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)
"""What aiohttp raises for a failed exchange (mapped by :func:`_botocore_error`)."""


_SIGNING_BUDGET = 0.002
"""Seconds of signing per event-loop iteration: a burst of calls (256 ``astream`` calls started
at once) signs a few requests per iteration instead of all of them in one, so the loop's other
tasks wait at most about this long. botocore signs a request in about 0.3-0.5 ms here."""
_READING_BUDGET = 0.004
"""Seconds per event-loop iteration for the streams to decode what arrived and hand it to
their readers. Hundreds of streams whose events arrive together (or a few fast ones) would
otherwise take one iteration each time, and the loop's other tasks (a ticker, a web server's
requests) waited 30-200 ms; in line, they wait about this long, and the streams lose nothing
(the same work, in more iterations)."""


class _Pacing:
    """Spreads a burst of work (signing, or reading streams) over the event loop's iterations.

    The threaded transport's twin is :mod:`._preparing`. A call takes its turn (:meth:`turn`):
    at once while this iteration's budget lasts and nobody waits, else in line. Each
    iteration's reset lets in as many of the waiting as the budget holds, at the recent turns'
    cost.
    """

    __slots__ = ("_again", "_budget", "_cost", "_loop", "_reset_due", "_spent", "_waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop, budget: float = _SIGNING_BUDGET) -> None:
        self._loop = loop
        self._budget = budget
        self._spent = 0.0
        self._cost = budget / 4
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._again: deque[asyncio.Future[None]] = deque()
        """Let in, found the budget spent: first in line at the next reset, in their order."""
        self._reset_due = False

    @property
    def free(self) -> bool:
        """Whether a turn now needs no wait (for callers that skip :meth:`turn`'s coroutine)."""
        return self._spent < self._budget and not self._waiting and not self._again

    async def turn(self) -> None:
        """Return when this call may do its work."""
        if self.free:
            return
        waiter = self._loop.create_future()
        self._waiting.append(waiter)
        self._reset_soon()
        await waiter
        while self._spent >= self._budget:
            # Let in at an estimated cost, and the turns before this one spent the budget
            # already: first in line for the next iteration, so one iteration's work stays
            # near the budget however far the estimate is off.
            waiter = self._loop.create_future()
            self._again.append(waiter)
            self._reset_soon()
            await waiter

    def spent(self, seconds: float) -> None:
        """Record a turn's cost.

        One turn counts for at most the whole budget: a turn that also waited (a reader that
        awaited something else between two pieces) neither stops the next iteration's turns
        nor sets the cost by which they are let in.
        """
        seconds = min(seconds, self._budget)
        self._spent += seconds
        self._cost = (self._cost + seconds) / 2
        self._reset_soon()

    def _reset_soon(self) -> None:
        if not self._reset_due:
            self._reset_due = True
            self._loop.call_soon(self._reset)

    def _reset(self) -> None:
        # The next iteration: a fresh budget, and the first in line let in.
        self._reset_due = False
        self._spent = 0.0
        room = max(1, int(self._budget / max(self._cost, 1e-5)))
        if self._again:
            self._waiting.extendleft(reversed(self._again))
            self._again.clear()
        while self._waiting and room:
            waiter = self._waiting.popleft()
            if not waiter.done():  # a cancelled caller left the line
                waiter.set_result(None)
                room -= 1
        if self._waiting:
            self._reset_soon()


class OpenStream:
    """A streaming response whose head is read: botocore's parse of it, and its body's bytes."""

    __slots__ = ("_reading", "_response", "_url", "client", "parsed")

    def __init__(
        self,
        parsed: dict[str, Any],
        response: aiohttp.ClientResponse,
        url: str,
        client: Any,
        reading: _Pacing,
    ) -> None:
        self.parsed = parsed
        """What boto3 returns for the head: ``ResponseMetadata`` and the modeled headers."""
        self.client = client
        """The boto3 client that signed the request (its parser reads the stream's events)."""
        self._response = response
        self._url = url
        self._reading = reading

    async def pieces(self) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive, in pieces of at most :data:`_READ_SIZE`.

        Each piece waits its turn in the loop's reading budget (:data:`_READING_BUDGET`),
        which counts the time until the caller asks for the next: its decoding, and what its
        readers do with the result.

        Raises:
            botocore.exceptions.ReadTimeoutError, ConnectionClosedError: as boto3's would.
        """
        content = self._response.content
        reading = self._reading
        while True:
            try:
                data = await content.read(_READ_SIZE)
            except _SENDING_ERRORS as exc:
                raise _botocore_error(exc, self._url) from exc
            if not data:
                return
            if not reading.free:
                await reading.turn()
            started = time.perf_counter()
            yield data
            reading.spent(time.perf_counter() - started)

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


def _proxy(client: Any, url: str) -> tuple[str | None, dict[str, str]]:
    """The proxy boto3 would use for ``url``, and its headers (``Proxy-Authorization``).

    As botocore's endpoint finds them: the client's ``Config(proxies=...)``, else the
    environment's for the endpoint (``HTTPS_PROXY``, ``NO_PROXY``, ...), read by botocore's
    ``ProxyConfiguration`` (which also reads a proxy given without a scheme as ``http://``).
    """
    from botocore.httpsession import ProxyConfiguration
    from botocore.utils import get_environ_proxies

    config = client.meta.config
    if getattr(config, "proxies_config", None) or getattr(config, "client_cert", None):
        raise InvalidParameterError(
            "The boto3 client's Config sets proxies_config or client_cert, which the aiohttp "
            "transport does not apply: use async_transport='threads' with this client."
        )
    proxies = ProxyConfiguration(getattr(config, "proxies", None) or get_environ_proxies(url))
    proxy = proxies.proxy_url_for(url)
    if not proxy:
        return None, {}
    headers: dict[str, str] = proxies.proxy_headers_for(proxy)
    # The credentials travel in Proxy-Authorization, as botocore sends them, and never in the
    # URL aiohttp may show in an error.
    return str(yarl.URL(proxy).with_user(None)), headers


class _LoopState:
    """One event loop's session (its connection pool), pacing, and the keeper closing both."""

    __slots__ = ("keeper", "pacing", "reading", "session")

    def __init__(self, session: aiohttp.ClientSession, keeper: AsyncIterator[None]) -> None:
        loop = asyncio.get_running_loop()
        self.session = session
        self.pacing = _Pacing(loop, _SIGNING_BUDGET)
        """Signing requests."""
        self.reading = _Pacing(loop, _READING_BUDGET)
        """Decoding streams and handing their pieces on."""
        self.keeper = keeper


class AiohttpTransport:
    """Sends Bedrock requests with aiohttp, one pooled session per event loop.

    Args:
        settings: Timeouts, pool size and TLS verification.
    """

    def __init__(self, settings: ClientSettings) -> None:
        connect, read = settings.timeouts()
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        self._settings = settings
        self._proxies: dict[tuple[int, str], tuple[str | None, dict[str, str]]] = {}
        """The proxy per (client, endpoint), found at its first request, as botocore finds
        its endpoint's once."""
        self._ssl: ssl.SSLContext | bool | None = None
        self._loading_ssl: SingleFlight[ssl.SSLContext | bool] = SingleFlight()
        self._loops: dict[asyncio.AbstractEventLoop, _LoopState] = {}

    async def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is not None and not state.session.closed:
            return state
        for other in [other for other in self._loops if other.is_closed()]:
            del self._loops[other]
        settings = self._settings
        context = self._ssl
        if context is None:  # reads files: off the loop, once for the calls that wait for it
            context = self._ssl = await self._loading_ssl.run(None, lambda: _ssl(settings))
            # Another call of this loop may have made the session while this one waited.
            state = self._loops.get(loop)
            if state is not None and not state.session.closed:
                return state
        connector = aiohttp.TCPConnector(limit=settings.max_connections, ssl=context)
        session = aiohttp.ClientSession(
            # trust_env stays off: proxies are found as botocore finds them (_proxy), and
            # aiohttp's would also read ~/.netrc, on a thread, for every request.
            connector=connector,
            timeout=self._timeout,
            auto_decompress=False,
        )
        state = self._loops[loop] = _LoopState(session, self._keep(session))
        # A loop ended by asyncio.run() (or by pytest-asyncio) first closes its live async
        # generators: this one then closes the session, so nothing outlives its loop.
        await state.keeper.__anext__()
        return state

    @staticmethod
    async def _keep(session: aiohttp.ClientSession) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await session.close()

    async def _sign(
        self, runtime: RuntimeHandle, client: Any, operation: str, kwargs: Mapping[str, Any]
    ) -> tuple[_LoopState, Any]:
        state = await self._state()
        if runtime.signing_may_block():
            # The credentials are due a refresh (STS, SSO, instance metadata): a network
            # call, made on a thread. botocore's own lock makes the other calls wait for it.
            return state, await asyncio.to_thread(signed_request, client, operation, kwargs)
        await state.pacing.turn()
        started = time.perf_counter()
        request = signed_request(client, operation, kwargs)
        state.pacing.spent(time.perf_counter() - started)
        return state, request

    async def _post(
        self, runtime: RuntimeHandle, model_id: str, operation: str, kwargs: Mapping[str, Any]
    ) -> tuple[Any, str, aiohttp.ClientResponse, _LoopState]:
        client = await runtime.aget(model_id)
        state, request = await self._sign(runtime, client, operation, kwargs)
        headers = {**_UNSIGNED_HEADERS}
        for key, value in request.headers.items():
            headers[key] = value.decode() if isinstance(value, bytes) else value
        url: str = request.url
        key = (id(client), "/".join(url.split("/", 3)[:3]))
        proxy = self._proxies.get(key)
        if proxy is None:
            proxy = self._proxies[key] = _proxy(client, url)
        try:
            response = await state.session.post(
                # As signed: yarl would otherwise decode the model id's %3A back to ":".
                yarl.URL(url, encoded=True),
                data=request.body,
                headers=headers,
                skip_auto_headers=_SKIP_AUTO_HEADERS,
                proxy=proxy[0],
                proxy_headers=proxy[1] or None,
            )
        except _SENDING_ERRORS as exc:
            raise _botocore_error(exc, url) from exc
        except RuntimeError as exc:  # the session closed under us (aclose() meanwhile)
            from botocore.exceptions import HTTPClientError

            raise HTTPClientError(error=exc) from exc
        return client, url, response, state

    async def call(
        self, runtime: RuntimeHandle, model_id: str, operation: str, kwargs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``operation(**kwargs)`` on the runtime's client, read to the end: what boto3 returns.

        Raises:
            botocore.exceptions.ClientError, BotoCoreError: what boto3 raises for the same.
        """
        client, url, response, _ = await self._post(runtime, model_id, operation, kwargs)
        try:
            body = await response.read()
        except BaseException as exc:  # cut short or cancelled: never back in the pool half-read
            response.close()
            if isinstance(exc, _SENDING_ERRORS):
                raise _botocore_error(exc, url) from exc
            raise
        response.release()
        return parsed_response(client, operation, response.status, response.headers, body)

    async def open_stream(
        self, runtime: RuntimeHandle, model_id: str, operation: str, kwargs: Mapping[str, Any]
    ) -> OpenStream:
        """Send ``operation(**kwargs)`` and read the response's head; its body is the caller's.

        Raises:
            botocore.exceptions.ClientError, BotoCoreError: what boto3 raises for the same.
        """
        client, url, response, state = await self._post(runtime, model_id, operation, kwargs)
        try:
            if response.status >= 300:
                try:
                    body = await response.read()
                except _SENDING_ERRORS as exc:
                    raise _botocore_error(exc, url) from exc
                parsed_response(client, operation, response.status, response.headers, body)
            parsed = parsed_response(client, operation, response.status, response.headers, None)
        except BaseException:
            response.close()
            raise
        return OpenStream(parsed, response, url, client, state.reading)

    async def aclose(self) -> None:
        """Close the running loop's connections (other loops' close as their loops end)."""
        state = self._loops.pop(asyncio.get_running_loop(), None)
        if state is not None:
            await state.session.close()
