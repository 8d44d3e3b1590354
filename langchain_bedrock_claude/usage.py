"""Add up token usage across every Bedrock Claude call made inside a ``with`` block.

```python
with get_usage_callback() as usage:
    chain.invoke(...)
    await chain.ainvoke(...)
    for _ in llm.stream(...): ...
print(usage.usage.input_tokens, usage.usage.output_tokens, usage.calls)
```
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from langchain_core.tracers.context import register_configure_hook

from ._models import Usage

__all__ = ["UsageTracker", "get_usage_callback"]


class UsageTracker(BaseCallbackHandler):
    """A callback handler that adds up the usage ``BedrockClaude`` reports, thread-safely."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.usage = Usage()
        """Tokens so far, over every call."""
        self.calls = 0
        """Completed generations counted so far."""

    @property
    def always_verbose(self) -> bool:
        """Called whatever the LLM's ``verbose`` setting."""
        return True

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Count the usage of every generation of a finished call or stream."""
        for generations in response.generations:
            for generation in generations:
                counts = (generation.generation_info or {}).get("usage")
                if isinstance(counts, Mapping):
                    add = Usage.from_dict(counts)
                    with self._lock:
                        self.usage = self.usage + add
                        self.calls += 1

    def __repr__(self) -> str:
        return f"UsageTracker(calls={self.calls}, usage={self.usage})"


_tracker: ContextVar[UsageTracker | None] = ContextVar("bedrock_claude_usage", default=None)
register_configure_hook(_tracker, inheritable=True)


@contextmanager
def get_usage_callback() -> Iterator[UsageTracker]:
    """Track the usage of every call made in this context, streamed and async included."""
    tracker = UsageTracker()
    token = _tracker.set(tracker)
    try:
        yield tracker
    finally:
        _tracker.reset(token)
