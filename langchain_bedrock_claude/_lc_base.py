"""What both LangChain classes share: their fields, constructor checks, clients and copies.

:class:`BedrockClaude` (an ``LLM``) and :class:`ChatBedrockClaude` (a ``BaseChatModel``) inherit
:class:`BedrockClaudeFields`: each field is declared once, with the same name and alias in both
(the Bedrock feature options come from the one declaration, through
:class:`BedrockOptionFields`), both check their constructor arguments the same way, and both
build the same twin clients over one boto3 client and connection pool, whose size bounds
their batches (:meth:`BedrockClaudeFields._concurrency`).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, TypeVar

from langchain_core.language_models.base import LangSmithParams
from langchain_core.runnables import RunnableConfig
from langchain_core.utils import secret_from_env
from pydantic import ConfigDict, Field, SecretStr

from ._boto import DEFAULT_MAX_CONNECTIONS, AsyncTransport, ClientSettings, RuntimeHandle
from ._client import AnthropicBedrock, AsyncAnthropicBedrock, retry_policy_for
from ._constructor import constructor_arguments
from ._errors import InvalidParameterError
from ._model_rules import DEFAULT_MODEL
from ._option_fields import BedrockOptionFields
from ._options import OPTION_NAMES, option_values
from ._params import DEFAULT_LLM_MAX_TOKENS
from ._retry import DEFAULT_MAX_RETRIES

__all__ = ["SECRET_ENVIRONMENT", "BedrockClaudeFields"]

ClientT = TypeVar("ClientT", AnthropicBedrock, AsyncAnthropicBedrock)

SECRET_ENVIRONMENT = {
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "aws_session_token": "AWS_SESSION_TOKEN",
    "api_key": "AWS_BEARER_TOKEN_BEDROCK",
}
"""Secret fields and the environment variables they are read from (``lc_secrets``)."""


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


class BedrockClaudeFields(BedrockOptionFields):
    """The fields of both LangChain classes, and the clients they build from them.

    A subclass defines ``_check_request()``: the checks a call makes, run at construction.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    model: str = Field(default=DEFAULT_MODEL, alias="model_id")
    """Model id, inference profile id (``us.anthropic...``, ``global.anthropic...``) or ARN."""
    base_model_id: str | None = Field(default=None, alias="base_model")
    """For an ARN that names no model (a custom or provisioned model, an application inference
    profile): the foundation model it runs, whose rules and wire API then apply."""
    max_tokens: int = DEFAULT_LLM_MAX_TOKENS
    """The most tokens to generate."""
    temperature: float | None = None
    """Randomness, 0-1; sent only if set."""
    top_p: float | None = None
    """Nucleus sampling, 0-1; sent only if set."""
    top_k: int | None = None
    """Sample only from the top K tokens, 0-500; sent only if set."""
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Stop sequences, sent to the server together with any given at call time."""
    system: str | None = None
    """A system prompt."""
    region_name: str | None = Field(default=None, alias="region")
    """AWS region; else the profile's, or ``AWS_REGION`` / ``AWS_DEFAULT_REGION``."""
    credentials_profile_name: str | None = Field(default=None, alias="profile")
    """A named profile from ``~/.aws/config``."""
    aws_access_key_id: SecretStr | None = Field(
        default_factory=secret_from_env("AWS_ACCESS_KEY_ID", default=None)
    )
    """AWS access key id (default: ``AWS_ACCESS_KEY_ID``)."""
    aws_secret_access_key: SecretStr | None = Field(
        default_factory=secret_from_env("AWS_SECRET_ACCESS_KEY", default=None)
    )
    """AWS secret access key (default: ``AWS_SECRET_ACCESS_KEY``)."""
    aws_session_token: SecretStr | None = Field(
        default_factory=secret_from_env("AWS_SESSION_TOKEN", default=None)
    )
    """AWS session token for temporary credentials (default: ``AWS_SESSION_TOKEN``)."""
    endpoint_url: str | None = None
    """Another endpoint (VPC endpoint, emulator); ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` works too."""
    client: Any = Field(default=None, exclude=True)
    """A ready boto3 ``bedrock-runtime`` client to use instead of building one."""
    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries for throttling, 5xx and connection failures (streams: before the first token)."""
    timeout: float | tuple[float, float] | None = None
    """Seconds for connect and read, or a ``(connect, read)`` pair (default 10 s, 300 s)."""
    max_connections: int | None = None
    """The most HTTP connections (and async worker threads) at once; default 1024, made as
    calls need them."""
    streaming: bool = False
    """Stream under the hood in ``invoke`` too, so callback handlers see every token."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra request body fields, sent as given."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("AWS_BEARER_TOKEN_BEDROCK", default=None)
    )
    """A Bedrock API key (bearer token) instead of SigV4 keys (default:
    ``AWS_BEARER_TOKEN_BEDROCK``)."""
    verify: bool | str | None = None
    """TLS verification: ``False``, or the path of a CA bundle."""
    auto_inference_profile: bool = False
    """When Bedrock says a model needs an inference profile, retry once with it."""
    async_transport: AsyncTransport = "auto"
    """How ``ainvoke``/``astream``/``abatch`` reach Bedrock: ``"aiohttp"`` on the event loop
    (the ``aiohttp`` extra; no thread per call or stream), ``"threads"`` with boto3 on worker
    threads, or ``"auto"``: aiohttp when installed and ``client`` is not given."""

    def __init__(self, **data: Any) -> None:
        # Unknown names are refused and langchain-aws spellings translated before pydantic,
        # which would ignore the first and read True as 1.
        super().__init__(**constructor_arguments(type(self), data))
        # Fail at construction, not at the first call, for a bad id or value. Checked here
        # rather than in a validator so the error stays an InvalidParameterError (pydantic
        # would wrap it in its own ValidationError).
        self._check_request()
        self._settings()
        retry_policy_for(self.max_retries, None)

    def _check_request(self) -> None:
        raise NotImplementedError  # each class: the checks a call makes, on a stand-in

    def _shown_params(self, **extra: Any) -> dict[str, Any]:
        """``_identifying_params``: what tracers show and LangChain's cache keys on."""
        params = {
            "model": self.model,
            **extra,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "stop": self.stop,
            "system": self.system,
            "region_name": self.region_name,
            "model_kwargs": self.model_kwargs,
        }
        # They change what comes back, so LangChain's LLM cache must tell them apart.
        params.update(zip(OPTION_NAMES, option_values(self), strict=True))
        # Unset ones are left out: tracers show what was asked for, and langchain-core turns
        # this into a string (the LLM cache key) on every call.
        return {name: value for name, value in params.items() if value is not None}

    def _ls_params(self, model_type: str, stop: list[str] | None, **kwargs: Any) -> LangSmithParams:
        """What LangSmith shows of a call: provider, model, type, max tokens, sampling, stops."""
        params = LangSmithParams(
            ls_provider="amazon_bedrock",
            ls_model_name=kwargs.get("model", self.model),
            ls_model_type=model_type,  # type: ignore[typeddict-item]
            ls_max_tokens=kwargs.get("max_tokens", self.max_tokens),
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        stops = self._stops(stop)
        if stops:
            params["ls_stop"] = stops
        return params

    # --- clients --------------------------------------------------------------------------------

    def _settings(self) -> ClientSettings:
        # Keys found only in the environment defer to an explicit profile.
        use_keys = self.credentials_profile_name is None or "aws_access_key_id" in (
            self.model_fields_set
        )
        return ClientSettings(
            access_key=_secret(self.aws_access_key_id) if use_keys else None,
            secret_key=_secret(self.aws_secret_access_key) if use_keys else None,
            session_token=_secret(self.aws_session_token) if use_keys else None,
            api_key=_secret(self.api_key),
            profile=self.credentials_profile_name,
            region=self.region_name,
            endpoint_url=self.endpoint_url,
            timeout=self.timeout,
            max_connections=(
                DEFAULT_MAX_CONNECTIONS if self.max_connections is None else self.max_connections
            ),
            verify=self.verify,
            async_transport=self.async_transport,
        )

    @cached_property
    def _runtime(self) -> RuntimeHandle:
        return RuntimeHandle(self._settings(), self.client)

    def _twin(self, kind: type[ClientT]) -> ClientT:
        # One boto3 client and connection pool for both twins.
        return kind.sharing(
            self._runtime,
            retry_policy=retry_policy_for(self.max_retries, None),
            auto_inference_profile=self.auto_inference_profile,
        )

    @cached_property
    def _sync_client(self) -> AnthropicBedrock:
        return self._twin(AnthropicBedrock)

    @cached_property
    def _async_client(self) -> AsyncAnthropicBedrock:
        return self._twin(AsyncAnthropicBedrock)

    def _concurrency(self, config: RunnableConfig | None = None) -> int:
        """How many inputs of one batch are in flight at once.

        The caller's ``max_concurrency``, else the connection pool's size: more would only
        queue for a connection (or, async, for a worker thread).

        Raises:
            InvalidParameterError: ``max_concurrency`` is not a positive integer.
        """
        given = (config or {}).get("max_concurrency")
        if given is not None:
            if isinstance(given, bool) or not isinstance(given, int) or given < 1:
                raise InvalidParameterError(
                    f"'max_concurrency' must be a positive integer (got {given!r})."
                )
            return given
        if self.client is not None:
            # A boto3 client passed in brings its own pool (botocore's default is 10).
            return int(self.client.meta.config.max_pool_connections)
        return self._runtime.settings.max_connections

    def _stops(self, stop: list[str] | str | None) -> list[str]:
        # A new list: neither the field nor the caller's list is ever mutated. A string is one
        # stop sequence (iterating it would make one per character).
        if stop is None and not self.stop:
            return []  # the usual call: nothing to merge
        given = [stop] if isinstance(stop, str) else (stop or ())
        return list(dict.fromkeys([*(self.stop or ()), *given]))

    # --- pickle and copy ------------------------------------------------------------------------

    def __getstate__(self) -> dict[Any, Any]:
        # The built clients pickle as their settings (RuntimeHandle); a passed one cannot.
        if self.client is not None:
            raise TypeError(
                f"cannot pickle a {type(self).__name__} made with client=<a boto3 client>: "
                "pass the connection settings (region_name, credentials, endpoint_url) instead"
            )
        return super().__getstate__()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        memo = {} if memo is None else memo
        if self.client is not None:
            memo[id(self.client)] = self.client  # a boto3 client is shared, never copied
        return super().__deepcopy__(memo)
