"""What each Claude model on Bedrock accepts: the one table of model rules.

Rows match a model by family and version, parsed from the id by :mod:`._routing`, so a new
date, geo prefix or ``-v1:0`` suffix needs no new row. A Claude id no row matches (a version
the table does not list yet, or a family with no version) takes the rules of the newest row
of its family, and a Claude id of a family the table does not know takes the newest row of
all: never "send everything unchecked".

Sources, in order of weight: the genuine Bedrock answers in ``shared/recordings`` (README of
that folder), botocore's service model, then Anthropic's model pages and migration guides
(platform.claude.com/docs/en/models/<model>/overview, .../migration-guide,
.../about-claude/models/migration-guide), AWS model cards, and public threads quoting real
Bedrock or Anthropic answers. Each row names its sources; where none exists for a fact the
comment says so and the rule is the stricter choice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from ._types import Api, Effort

__all__ = [
    "DEFAULT_MODEL",
    "ModelRules",
    "Sampling",
    "Thinking",
    "known_rows",
    "replacement_for",
    "rules_for",
]

DEFAULT_MODEL = "us.anthropic.claude-sonnet-5-5"
"""The model used when none is given, by ``BedrockClaude`` and the ``bedrock-claude`` command.

Claude Sonnet 5.5 through the US inference profile: Anthropic's "best combination of speed and
intelligence" in the current lineup (platform.claude.com/docs/en/about-claude/models), active
with no deprecation date on Bedrock, and answered only through an inference profile (the bare
``anthropic.claude-sonnet-5-5`` id gets the on-demand 400). The previous default, a Sonnet 4.5
profile, is listed as deprecated."""

Sampling = Literal["any", "temperature_or_top_p", "none"]
"""Which sampling parameters a model takes: all, ``temperature`` or ``top_p`` (not both), none."""
Thinking = Literal["none", "budget", "budget_or_adaptive", "adaptive"]
"""Which ``thinking`` a model takes: none; ``{"type": "enabled", "budget_tokens": N}`` only;
that or ``{"type": "adaptive"}``; ``{"type": "adaptive"}`` only."""

Version = tuple[int, ...]

_EFFORT_4_5: tuple[Effort, ...] = ("low", "medium", "high")
_EFFORT_4_6: tuple[Effort, ...] = ("low", "medium", "high", "max")
_EFFORT_ALL: tuple[Effort, ...] = ("low", "medium", "high", "xhigh", "max")
MILLION = 1_000_000
"""The 1M-token context window of the 4.6 and later models."""
_200K = 200_000


@dataclass(frozen=True, slots=True)
class ModelRules:
    """The known rules of one model: what a request to it may carry."""

    name: str
    """The model's name, e.g. ``Claude Sonnet 4.5``."""
    api: Api
    """The wire API the model speaks."""
    context_window: int
    """Input plus output tokens the model takes (Bedrock: "Input is too long" beyond it)."""
    max_output_tokens: int
    """The largest ``max_tokens`` the model accepts (thinking counts toward it)."""
    sampling: Sampling = "any"
    """Which sampling parameters the model accepts."""
    thinking: Thinking = "none"
    """Which ``thinking`` settings the model accepts."""
    thinks_by_default: bool = False
    """The model thinks (adaptively) when the request has no ``thinking`` field."""
    thinking_can_be_disabled: bool = True
    """``{"type": "disabled"}`` is accepted (``False``: thinking is always on)."""
    efforts: tuple[Effort, ...] = ()
    """The ``output_config.effort`` levels accepted; empty: no ``effort`` at all."""
    prefill: bool = True
    """A conversation may end with an assistant turn (the answer continues it)."""
    forced_tool_choice: bool = True
    """``tool_choice`` ``any``/``tool`` may be used (never together with thinking)."""
    count_tokens: bool = False
    """Whether Bedrock's CountTokens operation supports the model."""
    structured_output: bool = False
    """Native JSON-schema output (``output_config.format``)."""
    vision: bool = False
    """Image content blocks."""
    pdf: bool = False
    """PDF document content blocks."""
    system_turns: bool = False
    """``{"role": "system"}`` turns in ``messages`` after the conversation started
    (mid-conversation system messages); without it only the top-level ``system`` is taken."""
    replacement: str | None = None
    """For a model Bedrock retired: the bare id of a current model of the same tier."""

    @property
    def budget_thinking(self) -> bool:
        """Whether ``{"type": "enabled", "budget_tokens": N}`` is accepted."""
        return self.thinking in ("budget", "budget_or_adaptive")

    @property
    def adaptive_thinking(self) -> bool:
        """Whether ``{"type": "adaptive"}`` is accepted."""
        return self.thinking in ("adaptive", "budget_or_adaptive")


@dataclass(frozen=True, slots=True)
class _Row:
    family: str  # "opus", "sonnet", "haiku", "fable", or legacy "instant", "v"
    version: Version
    rules: ModelRules


# --- Legacy Text Completions models -------------------------------------------------------
# Retired on Bedrock (end-of-life 404 "This model version has reached the end of its life",
# aws-samples/serverless-patterns#2855). Limit 8191 from the real error "8192 is not less or
# equal to 8191" (langchain-ai/langchain#9697). No tools, images or token counting.
_V2 = ModelRules(
    "Claude 2",
    "text_completions",
    100_000,
    8191,
    forced_tool_choice=False,
    replacement="anthropic.claude-sonnet-5-5",
)
_INSTANT = replace(_V2, name="Claude Instant", replacement="anthropic.claude-haiku-5-5")

# --- Messages models ----------------------------------------------------------------------
# Vision: every Messages model ("All current models support text and image input", models
# overview). PDF: Claude 3.5 Sonnet, 3.5 Haiku and later (Anthropic "PDF support"); not the
# Claude 3 models. Prefill: accepted up to the 4.5 models; "Prefilling assistant messages
# returns a 400 error on Claude 4.6 models" and every later one (Anthropic migration guide,
# Opus 5.5 / Haiku 5.5 migration guides). CountTokens: recorded 200s for Sonnet 4 bare ids
# (pydantic-ai); for 3.5 Haiku and 3.5 Sonnet v2 no Bedrock source says yes (Google's
# Vertex lists them, Bedrock's emulator-facing docs do not), so they count as unsupported.
# Structured output: recorded for Sonnet 4.5 and 4.6 (pydantic-ai native output); the 4.5
# generation and later per Anthropic's structured-outputs page.
# Budgeted thinking, CountTokens, images and PDFs: Claude 3.7 Sonnet and every later model.
_BUDGETED = ModelRules(
    "Claude 3.7 Sonnet",
    "messages",
    _200K,
    64_000,
    thinking="budget",
    count_tokens=True,
    vision=True,
    pdf=True,
)
_ONE_SAMPLER = replace(_BUDGETED, sampling="temperature_or_top_p")
"""Opus 4.1 on: ``temperature`` or ``top_p``, not both."""
_GENERATION_4_5 = replace(_ONE_SAMPLER, structured_output=True)
_GENERATION_4_6 = replace(
    _GENERATION_4_5,
    context_window=MILLION,
    thinking="budget_or_adaptive",
    efforts=_EFFORT_4_6,
    prefill=False,
)

# The adaptive-only generation (Opus 4.7 on): no sampling, no budget, no prefill, 1M / 128K.
_ADAPTIVE = ModelRules(
    "Claude Opus 4.7",
    "messages",
    MILLION,
    128_000,
    sampling="none",
    thinking="adaptive",
    efforts=_EFFORT_ALL,
    prefill=False,
    count_tokens=True,
    structured_output=True,
    vision=True,
    pdf=True,
)
_ON_BY_DEFAULT = replace(_ADAPTIVE, thinks_by_default=True)
"""Thinks without a ``thinking`` field; ``{"type": "disabled"}`` turns it off."""
_ALWAYS_ON = replace(_ON_BY_DEFAULT, thinking_can_be_disabled=False, forced_tool_choice=False)
"""Thinks on every request: ``disabled`` and forced ``tool_choice`` are refused."""

_ROWS: tuple[_Row, ...] = (
    # One row for 2.0 and 2.1 (ids claude-v2 and claude-v2:1): the smaller 2.0 context.
    _Row("v", (2,), _V2),
    _Row("instant", (1,), _INSTANT),
    # Claude 3: 4096 output tokens (vercel/ai#2772 "exceeds the model limit of 4096").
    _Row("haiku", (3,), ModelRules("Claude 3 Haiku", "messages", _200K, 4096, vision=True)),
    _Row("sonnet", (3,), ModelRules("Claude 3 Sonnet", "messages", _200K, 4096, vision=True)),
    _Row("opus", (3,), ModelRules("Claude 3 Opus", "messages", _200K, 4096, vision=True)),
    # Claude 3.5: 8192 output tokens (Anthropic models overview, legacy table).
    _Row(
        "haiku",
        (3, 5),
        ModelRules("Claude 3.5 Haiku", "messages", _200K, 8192, vision=True, pdf=True),
    ),
    _Row(
        "sonnet",
        (3, 5),
        ModelRules("Claude 3.5 Sonnet", "messages", _200K, 8192, vision=True, pdf=True),
    ),
    # 3.7 Sonnet: budgeted thinking, 64K output (Anthropic extended-thinking page; recorded
    # redacted-thinking stream, pydantic-ai).
    _Row("sonnet", (3, 7), _BUDGETED),
    # Claude 4 / 4.1: recorded thinking stream and CountTokens 200s for Sonnet 4 (pydantic-ai).
    _Row("sonnet", (4,), replace(_BUDGETED, name="Claude Sonnet 4")),
    _Row("opus", (4,), replace(_BUDGETED, name="Claude Opus 4", max_output_tokens=32_000)),
    # Opus 4.1 and the 4.5 models: temperature or top_p, not both (recorded 400 for Haiku 4.5,
    # mirascope; aws-samples/bedrock-access-gateway#191).
    _Row("opus", (4, 1), replace(_ONE_SAMPLER, name="Claude Opus 4.1", max_output_tokens=32_000)),
    # Sonnet 4.5 rejects effort (Anthropic effort page); Haiku 4.5 has no effort either.
    _Row("sonnet", (4, 5), replace(_GENERATION_4_5, name="Claude Sonnet 4.5")),
    _Row("haiku", (4, 5), replace(_GENERATION_4_5, name="Claude Haiku 4.5")),
    # Opus 4.5: effort low/medium/high, 64K output (Anthropic effort page, models overview).
    _Row("opus", (4, 5), replace(_GENERATION_4_5, name="Claude Opus 4.5", efforts=_EFFORT_4_5)),
    # 4.6: adaptive thinking added, budget deprecated but working; prefill removed; effort adds
    # max; 1M context; Opus 128K / Sonnet 64K output (Anthropic migration guide "Migrating to
    # Claude 4.6"; tygartmedia "Sonnet 4.6 keeps one of temperature or top_p").
    _Row(
        "opus", (4, 6), replace(_GENERATION_4_6, name="Claude Opus 4.6", max_output_tokens=128_000)
    ),
    _Row("sonnet", (4, 6), replace(_GENERATION_4_6, name="Claude Sonnet 4.6")),
    # Opus 4.7 removed temperature/top_p/top_k ("`temperature` is deprecated for this model.",
    # Comfy-Org/ComfyUI#13923) and budgeted thinking ("thinking.type.enabled is not supported
    # for this model", anthropics/claude-code#51711); adds effort xhigh (promptfoo#8763).
    # No thinking unless asked: the recorded Opus 4.8 answer has thinking_tokens 0 (pydantic-ai).
    _Row("opus", (4, 7), _ADAPTIVE),
    # Opus 4.8 alone takes mid-conversation system turns (system_turns). Bedrock answered one
    # with 200: a {"role": "system"} turn after a user turn, top-level system beside it, no
    # anthropic_beta (recorded, pydantic-ai test_mid_conversation_system_prompt_on_bedrock,
    # us.anthropic.claude-opus-4-8); AWS's Bedrock guide "Mid-conversation system messages"
    # (docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-mid-conversation-system
    # .html): "available on Claude Opus 4.8 only. No beta header is required" (Anthropic's
    # own page, platform.claude.com/docs/en/build-with-claude/mid-conversation-system-
    # messages, says "not available on Amazon Bedrock": the recording wins). Refused on
    # real Bedrock by Opus 4.7 ("role 'system' is not supported on this model"), Haiku 4.5
    # and Sonnet 4.6 ('messages: Unexpected role "system"...'), live invoke-model calls in
    # BerriAI/litellm#32831. The 2026 rows below keep it off:
    # - Sonnet 5: refuses it ("Sonnet 5 rejects a mid-conversation system message" in public
    #   client tests; gproxy's supports_mid_conv_system lists claude-sonnet-5 among the
    #   models without it); pydantic-ai folds it into the user turn for Sonnet 5 (recorded).
    # - Opus 5, Opus 5.5, Fable 5, Fable 5.1: third-party catalogs say Anthropic's own API
    #   takes it for them (litellm "Claude 4.8+ and the 5 family"; a client's
    #   midConversationSystem flag "Opus 4.8, Opus 5 / 5.5 and Fable 5 / 5.1"), but AWS's
    #   guide names Opus 4.8 only and no Bedrock answer for them is recorded: conservative
    #   off until one is.
    # - Sonnet 5.5, Haiku 5.5: no source either way: off.
    _Row("opus", (4, 8), replace(_ADAPTIVE, name="Claude Opus 4.8", system_turns=True)),
    # Fable 5 / 5.1: 1M / 128K (Fable 5 overview); thinking "Adaptive (always on)" (models
    # overview) and cannot be disabled (docs.apiyi.com thinking guide, 2026-11), so forced
    # tool_choice, which needs thinking off, never works. Effort levels: no public list; all
    # five assumed.
    _Row("fable", (5,), replace(_ALWAYS_ON, name="Claude Fable 5")),
    # Sonnet 5: sampling and budget rejected (HKUDS/nanobot#4685, AAClause/nvda-OpenAI#126),
    # thinks when thinking is omitted (micz/ThunderAI#875) and Bedrock answers it with a
    # signature-only thinking block first (recorded, pydantic-ai); {"type": "disabled"} works
    # (mnfst/modelparams.dev#92, langgenius/dify-official-plugins#3372); 128K output.
    _Row("sonnet", (5,), replace(_ON_BY_DEFAULT, name="Claude Sonnet 5")),
    # Opus 5: thinking on by default; "disabled" with effort xhigh or max is a 400 (Anthropic
    # Opus 5 migration, via apidog "Claude Opus 5 API"); profile-only on Bedrock (dify#3511).
    _Row("opus", (5,), replace(_ON_BY_DEFAULT, name="Claude Opus 5")),
    _Row("fable", (5, 1), replace(_ALWAYS_ON, name="Claude Fable 5.1")),
    # Opus 5.5: "Adaptive (always on)", default effort medium (models overview); cannot
    # disable thinking (docs.apiyi.com; aebrer/dreb v2.72.0 "You can't choose off on Opus 5.5").
    _Row("opus", (5, 5), replace(_ALWAYS_ON, name="Claude Opus 5.5")),
    # Sonnet 5.5: thinks by default (models overview "Adaptive"); it turns thinking down with
    # {"type": "between_tools"} rather than "disabled" (experientiallabs/experiential
    # v0.7.129, docs.apiyi.com): no public source says "disabled" is accepted, so it is
    # refused here, and with it forced tool_choice.
    _Row("sonnet", (5, 5), replace(_ALWAYS_ON, name="Claude Sonnet 5.5")),
    # Haiku 5.5: adaptive only and on by default, effort default medium, "non-default sampling
    # parameters, prefill: 400" (Haiku 5.5 migration guide; apidog "Haiku 5.5 vs Haiku 4.5");
    # thinking can be disabled at effort high or lower (docs.apiyi.com).
    _Row("haiku", (5, 5), replace(_ON_BY_DEFAULT, name="Claude Haiku 5.5")),
)
"""Every known model, oldest release first (the last row of a family is its newest)."""

_BY_KEY = {(row.family, row.version): row.rules for row in _ROWS}
_NEWEST = {row.family: row.rules for row in _ROWS}  # later rows overwrite earlier ones
_NEWEST_OF_ALL = _ROWS[-1].rules


def known_rows() -> tuple[tuple[str, Version, ModelRules], ...]:
    """Every row of the table as ``(family, version, rules)``, oldest release first."""
    return tuple((row.family, row.version, row.rules) for row in _ROWS)


def rules_for(family: str | None, version: Version | None) -> ModelRules:
    """The rules of the Claude model ``family`` at ``version``.

    A version the table does not list, or none at all, takes the newest row of the family; a
    family the table does not know (``None``) takes the newest row of all.
    """
    if family is None or family not in _NEWEST:
        return _NEWEST_OF_ALL
    if version is not None:
        # Trailing zeros name the same version: claude-3-0 is claude-3.
        while len(version) > 1 and version[-1] == 0:
            version = version[:-1]
        exact = _BY_KEY.get((family, version))
        if exact is not None:
            return exact
    return _NEWEST[family]


def replacement_for(model_id: str) -> str | None:
    """The US inference profile of a current model to use instead of a retired legacy id.

    ``_regions.with_geo_of`` moves it to the caller's geography.
    """
    if "claude-instant-v1" in model_id:
        return f"us.{_INSTANT.replacement}"
    if "claude-v2" in model_id:
        return f"us.{_V2.replacement}"
    return None
