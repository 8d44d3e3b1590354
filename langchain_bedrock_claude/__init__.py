"""Claude on AWS Bedrock as a first-class LangChain LLM.

- :class:`BedrockClaude`: a LangChain ``LLM`` (chains, callbacks, ``batch``, agents).
- :class:`ChatBedrockClaude`: a LangChain chat model (tools, structured output, agents).
- :class:`AnthropicBedrock` / :class:`AsyncAnthropicBedrock`: a client with the
  ``bedrock_anthropic`` interface, on boto3, for every current Claude model.
- ``langchain_bedrock_claude.testing``: a local Bedrock emulator for tests (imported separately).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__

if TYPE_CHECKING:
    from ._client import AnthropicBedrock, AsyncAnthropicBedrock, CompletionOptions
    from ._errors import (
        AccessDeniedError,
        APIConnectionError,
        APIStatusError,
        AuthenticationError,
        BatchJobError,
        BatchJobTimeoutError,
        BedrockClaudeError,
        ConflictError,
        ContextOverflowError,
        CredentialsError,
        GuardrailInterventionError,
        InvalidParameterError,
        MalformedResponseError,
        ModelError,
        ModelNotFoundError,
        ModelNotReadyError,
        ModelRetiredError,
        ModelTimeoutError,
        OnDemandNotSupportedError,
        QuotaExceededError,
        RecordNotProcessedError,
        RequestTimeoutError,
        ServiceError,
        ServiceUnavailableError,
        StreamInterruptedError,
        ThrottlingError,
        ValidationError,
    )
    from ._model_checks import ModelRuleWarning
    from ._model_rules import DEFAULT_MODEL
    from ._models import Completion, CompletionChunk, Usage
    from ._retry import RetryPolicy
    from ._streaming import AsyncStream, Stream
    from ._types import CACHE_POINT
    from .batch import BatchJob, BatchJobConfig, BatchQuotas, BatchResult, ChatBatchResult
    from .chat_models import ChatBedrockClaude
    from .llms import BedrockClaude
    from .usage import UsageTracker, get_usage_callback

# Public name -> the module defining it. Imported on first use, so that ``import
# langchain_bedrock_claude`` (and the ``bedrock-claude`` command's start-up) stays cheap.
_EXPORTS: dict[str, str] = {
    "AnthropicBedrock": "._client",
    "AsyncAnthropicBedrock": "._client",
    "AccessDeniedError": "._errors",
    "APIConnectionError": "._errors",
    "APIStatusError": "._errors",
    "AuthenticationError": "._errors",
    "BatchJob": ".batch",
    "BatchJobConfig": ".batch",
    "BatchJobError": "._errors",
    "BatchJobTimeoutError": "._errors",
    "BatchQuotas": ".batch",
    "BatchResult": ".batch",
    "ChatBatchResult": ".batch",
    "BedrockClaudeError": "._errors",
    "ConflictError": "._errors",
    "ContextOverflowError": "._errors",
    "CredentialsError": "._errors",
    "GuardrailInterventionError": "._errors",
    "CACHE_POINT": "._types",
    "CompletionOptions": "._client",
    "InvalidParameterError": "._errors",
    "MalformedResponseError": "._errors",
    "ModelError": "._errors",
    "ModelNotFoundError": "._errors",
    "ModelNotReadyError": "._errors",
    "ModelRetiredError": "._errors",
    "ModelTimeoutError": "._errors",
    "OnDemandNotSupportedError": "._errors",
    "QuotaExceededError": "._errors",
    "RecordNotProcessedError": "._errors",
    "RequestTimeoutError": "._errors",
    "ServiceError": "._errors",
    "ServiceUnavailableError": "._errors",
    "StreamInterruptedError": "._errors",
    "ThrottlingError": "._errors",
    "ValidationError": "._errors",
    "DEFAULT_MODEL": "._model_rules",
    "ModelRuleWarning": "._model_checks",
    "Completion": "._models",
    "CompletionChunk": "._models",
    "Usage": "._models",
    "RetryPolicy": "._retry",
    "AsyncStream": "._streaming",
    "Stream": "._streaming",
    "BedrockClaude": ".llms",
    "ChatBedrockClaude": ".chat_models",
    "UsageTracker": ".usage",
    "get_usage_callback": ".usage",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


__all__ = [
    "CACHE_POINT",
    "DEFAULT_MODEL",
    "APIConnectionError",
    "APIStatusError",
    "AccessDeniedError",
    "AnthropicBedrock",
    "AsyncAnthropicBedrock",
    "AsyncStream",
    "AuthenticationError",
    "BatchJob",
    "BatchJobConfig",
    "BatchJobError",
    "BatchJobTimeoutError",
    "BatchQuotas",
    "BatchResult",
    "BedrockClaude",
    "BedrockClaudeError",
    "ChatBatchResult",
    "ChatBedrockClaude",
    "Completion",
    "CompletionChunk",
    "CompletionOptions",
    "ConflictError",
    "ContextOverflowError",
    "CredentialsError",
    "GuardrailInterventionError",
    "InvalidParameterError",
    "MalformedResponseError",
    "ModelError",
    "ModelNotFoundError",
    "ModelNotReadyError",
    "ModelRetiredError",
    "ModelRuleWarning",
    "ModelTimeoutError",
    "OnDemandNotSupportedError",
    "QuotaExceededError",
    "RecordNotProcessedError",
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
