"""Claude on AWS Bedrock as a first-class LangChain LLM.

- :class:`BedrockClaude`: a LangChain ``LLM`` (chains, callbacks, ``batch``, agents).
- :class:`AnthropicBedrock` / :class:`AsyncAnthropicBedrock`: a client with the
  ``bedrock_anthropic`` interface, on boto3, for every current Claude model.
- ``langchain_bedrock_claude.testing``: a local Bedrock emulator for tests (imported separately).
"""

from ._client import AnthropicBedrock, AsyncAnthropicBedrock
from ._errors import (
    AccessDeniedError,
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BedrockClaudeError,
    ConflictError,
    CredentialsError,
    InvalidParameterError,
    ModelError,
    ModelNotFoundError,
    ModelNotReadyError,
    ModelRetiredError,
    ModelTimeoutError,
    OnDemandNotSupportedError,
    QuotaExceededError,
    RequestTimeoutError,
    ServiceError,
    ServiceUnavailableError,
    StreamInterruptedError,
    ThrottlingError,
    ValidationError,
)
from ._model_rules import DEFAULT_MODEL
from ._models import Completion, CompletionChunk, Usage
from ._retry import RetryPolicy
from ._streaming import AsyncStream, Stream
from ._version import __version__
from .llms import BedrockClaude
from .usage import UsageTracker, get_usage_callback

__all__ = [
    "DEFAULT_MODEL",
    "APIConnectionError",
    "APIStatusError",
    "AccessDeniedError",
    "AnthropicBedrock",
    "AsyncAnthropicBedrock",
    "AsyncStream",
    "AuthenticationError",
    "BedrockClaude",
    "BedrockClaudeError",
    "Completion",
    "CompletionChunk",
    "ConflictError",
    "CredentialsError",
    "InvalidParameterError",
    "ModelError",
    "ModelNotFoundError",
    "ModelNotReadyError",
    "ModelRetiredError",
    "ModelTimeoutError",
    "OnDemandNotSupportedError",
    "QuotaExceededError",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServiceError",
    "ServiceUnavailableError",
    "Stream",
    "StreamInterruptedError",
    "ThrottlingError",
    "Usage",
    "UsageTracker",
    "ValidationError",
    "__version__",
    "get_usage_callback",
]
