import langchain_bedrock_claude as pkg

EXPECTED = {
    "CACHE_POINT",
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
    "CompletionOptions",
    "GuardrailInterventionError",
    "ConflictError",
    "ContextOverflowError",
    "CredentialsError",
    "InvalidParameterError",
    "MalformedResponseError",
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
}


def test_all_is_pinned():
    assert set(pkg.__all__) == EXPECTED
    for name in pkg.__all__:
        assert getattr(pkg, name) is not None


def test_every_error_is_a_bedrock_claude_error():
    for name in pkg.__all__:
        value = getattr(pkg, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, pkg.BedrockClaudeError), name
    assert issubclass(pkg.InvalidParameterError, ValueError)
    assert issubclass(pkg.RequestTimeoutError, TimeoutError)
