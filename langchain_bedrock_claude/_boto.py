"""The one place boto3 ``bedrock-runtime`` clients are built.

Clients are built through a ``boto3.Session`` (never boto3's global default session) and only on
first use, since resolving credentials may call the network (SSO, instance metadata).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import urlsplit

from ._errors import InvalidParameterError
from ._exchange import track_connections
from ._logging import install_redaction, register_secret
from ._preparing import gate_sends
from ._single_flight import SingleFlight
from ._translate import map_aws_errors

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "AsyncTransport",
    "ClientSettings",
    "RuntimeHandle",
    "build_client",
    "have_aiohttp",
]

AsyncTransport = Literal["auto", "aiohttp", "threads"]
"""How async calls reach Bedrock.

* ``"aiohttp"``: on the event loop itself, with aiohttp (the ``aiohttp`` extra), botocore
  signing each request and reading each answer: no thread per call or stream, so hundreds of
  concurrent streams cost far less CPU and never wait for a thread.
* ``"threads"``: each call and stream on a worker thread, with boto3 itself.
* ``"auto"`` (the default): aiohttp when it is installed and the boto3 client is this
  package's own, else threads (a boto3 client passed in keeps boto3's own HTTP stack, with
  whatever its config and hooks do).
"""

DEFAULT_MAX_CONNECTIONS = 1024
"""The most HTTP connections per client, and async worker threads (botocore's pool is 10).

A ceiling, not a reservation: connections and threads are made as calls need them. 1024 is
the usual limit on a process's open files (``ulimit -n``), so more could not be open anyway."""
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 300.0
"""Seconds without a byte before a read fails: long enough for a long generation to start."""
MAX_TIMEOUT = 3600.0
"""The longest timeout accepted, in seconds: a Bedrock inference request runs at most 60 minutes
(AWS's knowledge-center article "bedrock-large-model-read-timeouts" recommends read_timeout=3600
as the value to start from), so a longer wait is never answered, and a huge one (1e12) overflows
the socket layer at the first call instead of failing here."""
_REGION = re.compile(r"^(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$")
"""A region name is one DNS host label: the rule botocore's ``validate_region_name`` applies."""
_SCHEMES = ("http", "https")
_USER_AGENT = "langchain-bedrock-claude"


@dataclass(frozen=True)
class ClientSettings:
    """How to reach Bedrock. Secret fields never appear in ``repr``."""

    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    timeout: float | tuple[float, float] | None = None
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    verify: bool | str | None = None
    async_transport: AsyncTransport = "auto"

    def __post_init__(self) -> None:
        if (self.access_key is None) != (self.secret_key is None):
            raise InvalidParameterError(
                "'access_key' and 'secret_key' go together: pass both, or neither to use a "
                "profile or the default credential chain."
            )
        if (
            isinstance(self.max_connections, bool)
            or not isinstance(self.max_connections, int)
            or (self.max_connections < 1)
        ):
            raise InvalidParameterError(
                "'max_connections' must be an integer of at least 1 "
                f"(got {self.max_connections!r})."
            )
        self.timeouts()  # checked now, not on first request
        _check_async_transport(self.async_transport)
        _check_region(self.region)
        _check_endpoint_url(self.endpoint_url)

    def timeouts(self) -> tuple[float, float]:
        """``(connect, read)`` timeouts in seconds."""
        timeout = self.timeout
        if timeout is None:
            return DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
        if isinstance(timeout, tuple) and len(timeout) == 2:
            connect, read = timeout
        else:
            connect = read = timeout
        for value in (connect, read):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 < value <= MAX_TIMEOUT  # also false for nan
            ):
                raise InvalidParameterError(
                    "'timeout' must be a positive number of seconds, at most "
                    f"{MAX_TIMEOUT:g} (Bedrock's own limit on a call), or a (connect, read) pair "
                    f"of them (got {timeout!r})."
                )
        return float(connect), float(read)


def _check_async_transport(transport: object) -> None:
    choices = get_args(AsyncTransport)
    if transport not in choices:
        raise InvalidParameterError(
            f"'async_transport' must be one of {', '.join(map(repr, choices))} (got {transport!r})."
        )
    if transport == "aiohttp" and not have_aiohttp():
        raise InvalidParameterError(
            "async_transport='aiohttp' needs aiohttp: pip install "
            "'langchain-bedrock-claude[aiohttp]' (or leave the default, 'auto', which uses "
            "threads without it)."
        )


def have_aiohttp() -> bool:
    """Whether aiohttp can be imported (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("aiohttp") is not None


def _check_region(region: object) -> None:
    if region is None:
        return
    if not isinstance(region, str) or not _REGION.match(region):
        raise InvalidParameterError(
            f"'region' must be an AWS region name such as 'us-east-1' (got {region!r})."
        )


def _check_endpoint_url(url: object) -> None:
    """An ``http(s)://host[:port]`` URL, checked now rather than by botocore at the first call."""
    if url is None:
        return
    problem = None
    if not isinstance(url, str):
        problem = "it is not a string"
    else:
        try:
            parts = urlsplit(url)
            port = parts.port  # raises ValueError for a port out of range or not a number
        except ValueError as exc:
            problem, port, parts = str(exc), None, None
        if parts is not None:
            if parts.scheme not in _SCHEMES:
                problem = "it needs an http:// or https:// scheme"
            elif not parts.hostname:
                problem = "it has no host"
            elif port == 0:
                problem = "port 0 cannot be connected to"
    if problem is not None:
        raise InvalidParameterError(
            "'endpoint_url' must be a URL such as 'https://bedrock-runtime.us-east-1.amazonaws.com'"
            f" or 'http://127.0.0.1:8000' ({problem}; got {url!r})."
        )


def build_runtime_client(
    settings: ClientSettings,
    model_id: str | None = None,
    *,
    keep_session: Callable[[Any], None] | None = None,
) -> BedrockRuntimeClient:
    """A boto3 ``bedrock-runtime`` client with retries off (ours own them) and our timeouts.

    ``model_id``: the model of the request that needs the client, for the errors raised while
    building it (no credentials, no region). ``keep_session``: given the boto3 session the
    client is made from.
    """
    client: BedrockRuntimeClient = build_client(
        settings, "bedrock-runtime", model_id=model_id, keep_session=keep_session
    )
    return client


# Bedrock API keys (bearer tokens) are accepted by Bedrock's endpoints, never by S3's.
_BEARER_SERVICES = ("bedrock-runtime", "bedrock")


def build_client(
    settings: ClientSettings,
    service: str,
    *,
    endpoint_url: str | None = None,
    retries: dict[str, Any] | None = None,
    model_id: str | None = None,
    keep_session: Callable[[Any], None] | None = None,
) -> Any:
    """A boto3 client of ``service`` with the settings' credentials, region and timeouts.

    ``endpoint_url`` and ``retries`` are for the clients of batch jobs (the ``bedrock`` control
    plane and S3): ``bedrock-runtime`` always uses the settings' endpoint, and ``None`` lets
    boto3 apply ``AWS_ENDPOINT_URL_<SERVICE>`` / ``AWS_ENDPOINT_URL``. Retries default to off
    (ours own them).
    """
    import boto3
    from botocore.config import Config

    from ._version import __version__

    install_redaction()
    for secret in (settings.secret_key, settings.session_token, settings.api_key):
        register_secret(secret)
    connect, read = settings.timeouts()
    config = Config(
        connect_timeout=connect,
        read_timeout=read,
        max_pool_connections=settings.max_connections,
        retries=retries or {"total_max_attempts": 1, "mode": "standard"},  # type: ignore[arg-type]
        user_agent_extra=f"{_USER_AGENT}/{__version__}",
        tcp_keepalive=True,
        # Every argument is built and checked by this package before a request is made;
        # botocore's re-check of them costs about 5% of a short call's CPU.
        parameter_validation=False,
        # An explicit API key: sign with it. (botocore prefers bearer by itself only when the
        # key comes from AWS_BEARER_TOKEN_BEDROCK.)
        signature_version="bearer" if settings.api_key and service in _BEARER_SERVICES else None,
    )
    with map_aws_errors(model_id, region=settings.region):
        session = boto3.Session(
            aws_access_key_id=settings.access_key,
            aws_secret_access_key=settings.secret_key,
            aws_session_token=settings.session_token,
            profile_name=settings.profile,
            region_name=settings.region,
            botocore_session=_session_with_api_key(settings.api_key),
        )
        if keep_session is not None:
            keep_session(session)
        # boto3 reads AWS_DEFAULT_REGION; the other AWS SDKs (and Lambda) also set AWS_REGION.
        region = None if session.region_name else os.environ.get("AWS_REGION") or None
        # endpoint_url=None lets boto3 apply AWS_ENDPOINT_URL_BEDROCK_RUNTIME / AWS_ENDPOINT_URL.
        return session.client(
            service,  # type: ignore[call-overload]
            region_name=region,
            endpoint_url=endpoint_url if service != "bedrock-runtime" else settings.endpoint_url,
            config=config,
            verify=settings.verify,
        )


class _ApiKeyProvider:
    """Gives botocore a Bedrock API key as the bearer token, as AWS_BEARER_TOKEN_BEDROCK would."""

    METHOD = "bedrock-api-key"

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def load_token(self, **kwargs: Any) -> Any:
        from botocore.tokens import FrozenAuthToken

        return FrozenAuthToken(self._api_key)

    def __repr__(self) -> str:
        return "_ApiKeyProvider(<redacted>)"


def _session_with_api_key(api_key: str | None) -> Any:
    """A botocore session whose token provider returns ``api_key`` (``None``: boto3's own)."""
    if api_key is None:
        return None
    import botocore.session

    session = botocore.session.Session()
    session.register_component("token_provider", _ApiKeyProvider(api_key))
    return session


class RuntimeHandle:
    """A boto3 client built on first use (thread-safe), or the ready one the caller passed."""

    def __init__(self, settings: ClientSettings, client: Any | None = None) -> None:
        self.settings = settings
        # Tracked, so that a cancelled async call can abort its request (see _exchange).
        self._client: BedrockRuntimeClient | None = gate_sends(track_connections(client))
        self._owned = client is None
        self._session: Any = None
        """The boto3 session of a client built here (its credentials are the client's)."""
        if client is not None:
            install_redaction()
        self._lock = threading.Lock()
        self._building: SingleFlight[BedrockRuntimeClient] = SingleFlight()

    @property
    def owned(self) -> bool:
        """Whether this handle builds its boto3 client (else the caller passed one)."""
        return self._owned

    @property
    def region(self) -> str | None:
        """The region requests go to, where known without building the client."""
        if self._client is not None:
            return str(self._client.meta.region_name)
        return self.settings.region

    def get(self, model_id: str | None = None) -> BedrockRuntimeClient:
        """The boto3 client, built now if this is the first use.

        Args:
            model_id: The model of the request about to be sent, carried by the errors
                building the client may raise (e.g. :class:`CredentialsError`).
        """
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    built = build_runtime_client(
                        self.settings, model_id, keep_session=self._keep_session
                    )
                    self._client = gate_sends(track_connections(built))
                client = self._client
        return client

    async def aget(self, model_id: str | None = None) -> BedrockRuntimeClient:
        """:meth:`get` for a coroutine: the client, built on a worker thread if need be.

        Building may block (the credential chain), and is done once for all the calls that
        wait for it meanwhile; after :meth:`close`, the next call builds another.
        """
        client = self._client
        if client is not None:
            return client
        return await self._building.run(model_id, lambda: self.get(model_id))

    def _keep_session(self, session: Any) -> None:
        self._session = session

    def signing_may_block(self) -> bool:
        """Whether signing the next request may first fetch credentials: a blocking call.

        A refresh from STS, SSO or instance metadata, or a first deferred load.

        Known for a client built here, from its session's credentials (botocore's public
        ``refresh_needed``); ``False`` for a passed client, whose credentials are its own.
        """
        session = self._session
        if session is None:
            return False
        credentials = session.get_credentials()
        refresh_needed = getattr(credentials, "refresh_needed", None)
        return bool(refresh_needed()) if callable(refresh_needed) else False

    def close(self) -> None:
        """Close the connections of a client this handle built; the next use builds another.

        A client passed in is the caller's to close.
        """
        with self._lock:
            client, self._client = (self._client, None) if self._owned else (None, self._client)
        if client is not None:
            close_runtime_client(client)

    def __repr__(self) -> str:
        return f"RuntimeHandle({self.settings!r})"

    def __getstate__(self) -> dict[str, Any]:
        # A pickle or deep copy carries the settings; the copy builds its own boto3 client on
        # first use (a client, its pool and its lock cannot cross a process).
        if not self._owned:
            raise TypeError(
                "cannot pickle or copy a client made with client=<a boto3 client>: pass the "
                "connection settings (region, credentials, endpoint_url) instead"
            )
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"])  # type: ignore[misc]

    def __deepcopy__(self, memo: dict[int, Any]) -> RuntimeHandle:
        # A client passed in is shared (boto3 clients are thread-safe); one built here is not.
        return RuntimeHandle(self.settings, None if self._owned else self._client)


def close_runtime_client(client: Any) -> None:
    """Close a boto3 client's connections now.

    With urllib3 2, boto3's ``client.close()`` only forgets its connection pools, which then
    close their sockets when garbage-collected: anything still referring to a pool (an error's
    traceback, say) keeps its sockets open. Closing the pools first makes closing immediate.
    """
    session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    managers = [getattr(session, "_manager", None)]
    managers += list(getattr(session, "_proxy_managers", {}).values())
    for manager in managers:
        pools = getattr(manager, "pools", None)
        if pools is None:
            continue
        for key in list(pools.keys()):
            pool = pools.get(key)
            if pool is not None:
                pool.close()
    client.close()
