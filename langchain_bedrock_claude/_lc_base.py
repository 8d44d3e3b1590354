"""What both LangChain classes share: the model, sampling and connection fields, and clients.

:class:`BedrockClaude` (an ``LLM``) and :class:`ChatBedrockClaude` (a ``BaseChatModel``) inherit
:class:`BedrockClaudeFields`, so each field is declared once, with the same name and alias in
both, and both build the same twin clients on one boto3 client and connection pool.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, TypeVar

from langchain_core.utils import secret_from_env
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ._boto import DEFAULT_MAX_CONNECTIONS, ClientSettings, RuntimeHandle
from ._client import AnthropicBedrock, AsyncAnthropicBedrock
from ._model_rules import DEFAULT_LLM_MAX_TOKENS, DEFAULT_MODEL
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


class BedrockClaudeFields(BaseModel):
    """The fields of both LangChain classes, and the clients they build from them."""

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    model: str = Field(default=DEFAULT_MODEL, alias="model_id")
    """Model id, inference profile id (``us.anthropic...``, ``global.anthropic...``) or ARN."""
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
    timeout: float | None = None
    """Seconds for connect and read (default 10 s connect, 300 s read)."""
    max_connections: int | None = None
    """HTTP connections (and async worker threads) kept; default 64."""
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
            max_connections=self.max_connections or DEFAULT_MAX_CONNECTIONS,
            verify=self.verify,
        )

    @cached_property
    def _runtime(self) -> RuntimeHandle:
        return RuntimeHandle(self._settings(), self.client)

    def _twin(self, kind: type[ClientT]) -> ClientT:
        client = kind(
            max_retries=self.max_retries, auto_inference_profile=self.auto_inference_profile
        )
        client._runtime = self._runtime  # one boto3 client and pool for both twins
        return client

    @cached_property
    def _sync_client(self) -> AnthropicBedrock:
        return self._twin(AnthropicBedrock)

    @cached_property
    def _async_client(self) -> AsyncAnthropicBedrock:
        return self._twin(AsyncAnthropicBedrock)

    def _stops(self, stop: list[str] | None) -> list[str]:
        # A new list: neither the field nor the caller's list is ever mutated.
        return list(dict.fromkeys([*(self.stop or ()), *(stop or ())]))
