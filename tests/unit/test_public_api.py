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
}


def test_all_is_pinned():
    assert set(pkg.__all__) == EXPECTED
    for name in pkg.__all__:
        assert getattr(pkg, name) is not None


def test_every_error_is_a_bedrock_claude_error():
    for name in pkg.__all__:
        value = getattr(pkg, name)
        if isinstance(value, type) and issubclass(value, Warning):
            assert value is pkg.ModelRuleWarning and issubclass(value, UserWarning), name
        elif isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, pkg.BedrockClaudeError), name
    assert issubclass(pkg.InvalidParameterError, ValueError)
    assert issubclass(pkg.RequestTimeoutError, TimeoutError)


def _init_lists():
    """The three lists in ``__init__.py``: TYPE_CHECKING imports, ``_EXPORTS``, ``__all__``."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(pkg.__file__).read_text())
    imported: dict[str, str] = {}
    exports: dict[str, str] = {}
    listed: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for item in node.body:
                assert isinstance(item, ast.ImportFrom), ast.dump(item)
                for alias in item.names:
                    imported[alias.asname or alias.name] = "." * item.level + (item.module or "")
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        name = getattr(target, "id", None)
        if name == "_EXPORTS":
            exports = ast.literal_eval(node.value)
        elif name == "__all__":
            listed = ast.literal_eval(node.value)
    return imported, exports, listed


def test_each_public_name_is_listed_alike_in_all_three_places():
    # A name in _EXPORTS but not in __all__ (or imported for type checkers from another module
    # than the one it is loaded from) would go unnoticed without this.
    imported, exports, listed = _init_lists()
    assert imported == exports
    assert sorted(listed) == sorted([*exports, "__version__"])
    assert len(listed) == len(set(listed))
    for name, module in exports.items():
        assert getattr(pkg, name) is getattr(
            __import__(f"langchain_bedrock_claude{module}", fromlist=[name]), name
        )
