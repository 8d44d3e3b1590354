"""Per-call overhead: one short completion (16 tokens), end to end, on both wire APIs.

Target: ``BedrockClaude.invoke`` within 1.15x of raw boto3 (``invoke_model`` + ``read`` +
``json.loads``). The "LLM floor" row shows how much of that langchain-core alone costs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _contenders as c
from ._harness import (
    Contender,
    Report,
    Settings,
    Table,
    Target,
    column,
    interleave_and_close,
    median,
    ms,
    paired_difference,
    paired_ratio,
    percentile,
    timed,
    times,
)
from ._server import directive

SHORT_TOKENS = 16
MAX_TOKENS = 64
TARGET_RATIO = 1.15
BASELINE = "raw boto3"
FLOOR = "LLM floor (langchain-core + raw boto3)"
LLM = "BedrockClaude.invoke"


def _contenders(endpoint_url: str, wire: c.Wire) -> tuple[list[Contender], list[Any]]:
    prompt = directive(SHORT_TOKENS)
    clients = c.sync_clients(endpoint_url, wire, MAX_TOKENS)
    runtime, floor, llm, ours = clients.runtime, clients.floor, clients.llm, clients.ours

    def ours_create() -> object:
        return ours.Completion.create(
            model=wire.model_id, prompt=prompt, max_tokens_to_sample=MAX_TOKENS
        )

    calls: list[tuple[str, Callable[[], object]]] = [
        (BASELINE, lambda: c.raw_invoke(runtime, wire, c.raw_body(wire, prompt, MAX_TOKENS))),
        (FLOOR, lambda: floor.invoke(prompt)),
        (LLM, lambda: llm.invoke(prompt)),
        ("AnthropicBedrock Completion.create", ours_create),
    ]
    if clients.lc_aws is not None:
        lc_aws = clients.lc_aws
        calls.append((f"{c.langchain_aws_name(wire)}.invoke", lambda: lc_aws.invoke(prompt)))
    if clients.sdk is not None:
        sdk = clients.sdk
        messages = c.sdk_messages(prompt)

        def sdk_create() -> object:
            return sdk.messages.create(
                model=wire.model_id, max_tokens=MAX_TOKENS, messages=messages
            )

        calls.append(("anthropic SDK messages.create", sdk_create))
    return [Contender(name, timed(call)) for name, call in calls], clients.closers


def run(endpoint_url: str, settings: Settings, report: Report) -> None:
    table = Table(
        f"Per-call overhead: a {SHORT_TOKENS}-token completion ({settings.invoke_iterations} "
        "interleaved calls per contender)",
        ("wire / contender", "median ms", "p10 ms", "p90 ms", "vs boto3", "overhead us"),
    )
    raw: dict[str, Any] = {}
    for wire in c.WIRES:
        contenders, closers = _contenders(endpoint_url, wire)
        samples = interleave_and_close(contenders, closers, settings.invoke_iterations, warmup=20)
        seconds = column(samples, 0)
        base = seconds[BASELINE]
        ratios = {name: paired_ratio(values, base) for name, values in seconds.items()}
        table.add(f"[{wire.name}: {wire.model_id}]", "", "", "", "", "")
        for contender in contenders:
            values = seconds[contender.name]
            table.add(
                f"  {contender.name}",
                ms(median(values)),
                ms(percentile(values, 10)),
                ms(percentile(values, 90)),
                times(ratios[contender.name]),
                f"{paired_difference(values, base) * 1e6:+.0f}",
            )
        raw[wire.name] = {
            name: {"median": median(values), "ratio": ratios[name]}
            for name, values in seconds.items()
        }
        report.targets.append(
            Target(
                f"invoke overhead ({wire.name})",
                f"BedrockClaude.invoke <= {TARGET_RATIO:.2f}x raw boto3",
                f"{ratios[LLM]:.3f}x ({ms(median(seconds[LLM]))} vs "
                f"{ms(median(base))} ms); langchain-core floor alone {ratios[FLOOR]:.3f}x",
                ratios[LLM] <= TARGET_RATIO,
            )
        )
    table.notes += [
        "vs boto3 and overhead us are paired: the median over iterations of each call's "
        "ratio to (difference from) the raw boto3 call of the same round.",
        "'LLM floor' is a bare langchain-core LLM around the raw boto3 call: its overhead is "
        "langchain-core's own (callback manager, LLMResult), paid by every LangChain "
        "integration.",
    ]
    report.tables.append(table)
    report.raw["invoke"] = raw
