"""Small shared types: the wire API names, the values Bedrock's options take, a type variable.

Light on purpose: the ``bedrock-claude`` command's ``--help`` takes its choices from here.
"""

from __future__ import annotations

from typing import Literal, TypeVar, get_args

__all__ = [
    "APIS",
    "CACHE_POINT",
    "EFFORTS",
    "GUARDRAIL_TRACES",
    "LATENCIES",
    "SERVICE_TIERS",
    "STREAM_MODES",
    "THINKING_MODES",
    "Api",
    "Effort",
    "GuardrailTrace",
    "Latency",
    "ServiceTier",
    "StreamProcessingMode",
    "T",
    "ThinkingMode",
]

Api = Literal["messages", "text_completions"]
"""Claude's two wire APIs on Bedrock: the Messages API and the legacy Text Completions API."""
ServiceTier = Literal["priority", "default", "flex", "reserved"]
Latency = Literal["standard", "optimized"]
GuardrailTrace = Literal["enabled", "disabled", "enabled_full"]
StreamProcessingMode = Literal["sync", "async"]
ThinkingMode = Literal["adaptive", "disabled"]
"""The ``thinking`` option: ``{"type": "adaptive"}`` or ``{"type": "disabled"}``."""
Effort = Literal["low", "medium", "high", "xhigh", "max"]
"""The ``output_config.effort`` levels, lowest first."""

APIS: tuple[str, ...] = get_args(Api)
SERVICE_TIERS: tuple[str, ...] = get_args(ServiceTier)
LATENCIES: tuple[str, ...] = get_args(Latency)
GUARDRAIL_TRACES: tuple[str, ...] = get_args(GuardrailTrace)
STREAM_MODES: tuple[str, ...] = get_args(StreamProcessingMode)
THINKING_MODES: tuple[str, ...] = get_args(ThinkingMode)
EFFORTS: tuple[str, ...] = get_args(Effort)

T = TypeVar("T")

CACHE_POINT = "<|cache_point|>"
"""Put this in a prompt to cache everything before it (the prompt cache's breakpoint).

A wire-format marker: the Messages format (``_formats``) turns it into ``cache_control``."""
