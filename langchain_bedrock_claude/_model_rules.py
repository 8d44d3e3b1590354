"""What each Claude model on Bedrock accepts: the one table of model rules.

Rows match a model by family and version, parsed from the id by :mod:`._routing`, so a new
date, geo prefix or ``-v1:0`` suffix needs no new row. A model no row matches is sent as asked,
and whatever Bedrock answers becomes a typed error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ._types import Api

__all__ = [
    "DEFAULT_MODEL",
    "ModelRules",
    "Sampling",
    "replacement_for",
    "rules_for",
]

DEFAULT_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
"""The model used when none is given: a current Sonnet, through the US inference profile."""

Sampling = Literal["any", "temperature_or_top_p", "none"]
"""Which sampling parameters a model takes: all, ``temperature`` or ``top_p`` (not both), none."""

Version = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ModelRules:
    """The known rules of one model family and version range."""

    api: Api
    """The wire API the model speaks."""
    max_output_tokens: int | None
    """The largest ``max_tokens`` the model accepts, where known."""
    sampling: Sampling = "any"
    """Which sampling parameters the model accepts."""
    thinking: bool = False
    """Whether the model supports extended thinking with a token budget."""
    adaptive_thinking: bool = False
    """Whether the model thinks adaptively only (``thinking.type`` ``adaptive``, no budget)."""
    count_tokens: bool = True
    """Whether Bedrock's CountTokens operation supports the model."""
    replacement: str | None = None
    """For a model Bedrock retired: a current model of the same tier to use instead."""


@dataclass(frozen=True, slots=True)
class _Row:
    family: str  # "opus", "sonnet", "haiku", "instant", "v"
    lowest: Version  # inclusive
    below: Version | None  # exclusive; None: and every later version
    rules: ModelRules


# Bedrock retired the legacy Text Completions models on 2025-07-21; the body stays supported
# for whoever still reaches them (provisioned throughput, other partitions, emulators).
_LEGACY_V2 = ModelRules(
    "text_completions",
    8191,
    count_tokens=False,
    replacement="us.anthropic.claude-sonnet-4-5-20250929-v1:0",
)
_LEGACY_INSTANT = ModelRules(
    "text_completions",
    8191,
    count_tokens=False,
    replacement="us.anthropic.claude-haiku-4-5-20251001-v1:0",
)
# Sources: Anthropic's model overview and migration guides, the Bedrock model cards, and the
# recorded Bedrock answers in shared/recordings (e.g. haiku-4.5 rejecting temperature + top_p).
_TABLE: tuple[_Row, ...] = (
    _Row("v", (2,), (3,), _LEGACY_V2),
    _Row("instant", (1,), (2,), _LEGACY_INSTANT),
    _Row("haiku", (3,), (3, 5), ModelRules("messages", 4096, count_tokens=False)),
    _Row("sonnet", (3,), (3, 5), ModelRules("messages", 4096, count_tokens=False)),
    _Row("opus", (3,), (3, 5), ModelRules("messages", 4096, count_tokens=False)),
    _Row("haiku", (3, 5), (4,), ModelRules("messages", 8192)),
    _Row("sonnet", (3, 5), (3, 7), ModelRules("messages", 8192)),
    _Row("sonnet", (3, 7), (4,), ModelRules("messages", 64000, thinking=True)),
    _Row("sonnet", (4,), (4, 5), ModelRules("messages", 64000, thinking=True)),
    _Row("opus", (4,), (4, 1), ModelRules("messages", 32000, thinking=True)),
    _Row(
        "opus",
        (4, 1),
        (4, 5),
        ModelRules("messages", 32000, sampling="temperature_or_top_p", thinking=True),
    ),
    _Row(
        "sonnet",
        (4, 5),
        (4, 7),
        ModelRules("messages", 64000, sampling="temperature_or_top_p", thinking=True),
    ),
    _Row(
        "haiku",
        (4, 5),
        (4, 6),
        ModelRules("messages", 64000, sampling="temperature_or_top_p", thinking=True),
    ),
    _Row(
        "opus",
        (4, 5),
        (4, 6),
        ModelRules("messages", 64000, sampling="temperature_or_top_p", thinking=True),
    ),
    _Row(
        "opus",
        (4, 6),
        (4, 7),
        ModelRules("messages", 128000, sampling="temperature_or_top_p", thinking=True),
    ),
    # Opus 4.7 removed temperature, top_p and top_k, and budgeted thinking (adaptive only);
    # later Opus models keep those rules, and Bedrock answers Sonnet 5 the same way.
    _Row(
        "opus",
        (4, 7),
        None,
        ModelRules("messages", 128000, sampling="none", adaptive_thinking=True),
    ),
    _Row(
        "sonnet", (5,), None, ModelRules("messages", None, sampling="none", adaptive_thinking=True)
    ),
)


def rules_for(family: str | None, version: Version | None) -> ModelRules | None:
    """The rules of ``family`` at ``version``; ``None`` for a model the table does not know."""
    if family is None or version is None:
        return None
    for row in _TABLE:
        if (
            row.family == family
            and row.lowest <= version
            and (row.below is None or version < row.below)
        ):
            return row.rules
    return None


def replacement_for(model_id: str) -> str | None:
    """A current model to use instead of a retired legacy id found anywhere in ``model_id``."""
    if "claude-instant-v1" in model_id:
        return _LEGACY_INSTANT.replacement
    if "claude-v2" in model_id:
        return _LEGACY_V2.replacement
    return None
