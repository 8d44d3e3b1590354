"""Small shared types: the "not passed" sentinel and the wire API names."""

from __future__ import annotations

from typing import Final, Literal, TypeVar

__all__ = ["NOT_GIVEN", "Api", "NotGiven", "T", "or_none"]

Api = Literal["messages", "text_completions"]
"""Claude's two wire APIs on Bedrock: the Messages API and the legacy Text Completions API."""

T = TypeVar("T")


class NotGiven:
    """Marks a parameter the caller did not pass, as distinct from one passed as ``None``."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


def or_none(value: T | NotGiven | None) -> T | None:
    """Return ``value``, or ``None`` where it was not given."""
    return None if isinstance(value, NotGiven) else value
