"""Sync streaming: a 2,000-token completion, and a short one for time to first piece.

Per stream: time to the first text piece (from the call), first to last piece, and the total.
The emulator sends a whole reply at once (no token latency), so "first to last" is the
client's own decoding speed; "first piece" includes the emulator building the reply, the
same for every contender.

Targets: ``BedrockClaude.stream`` first-to-last within 1.15x of raw boto3 on both wire APIs,
and its time to first piece no more than raw boto3's plus 1 ms.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from . import _contenders as c
from ._harness import (
    Contender,
    Report,
    Sample,
    Settings,
    Table,
    Target,
    column,
    interleave_and_close,
    median,
    ms,
    paired_difference,
    paired_ratio,
    times,
)
from ._server import directive, reply_pieces

LONG_TOKENS = 2_000
SHORT_TOKENS = 16
TARGET_RATIO = 1.15
TARGET_FIRST_PIECE_SLACK = 0.001
BASELINE = "raw boto3"
FLOOR = "LLM floor (langchain-core + raw boto3)"
LLM = "BedrockClaude.stream"
FIRST, SPREAD, TOTAL = 0, 1, 2
"""Indexes into a stream's sample."""


def time_stream(pieces: Callable[[], Iterable[object]], tokens: int) -> Callable[[], Sample]:
    """Time one stream of ``tokens``: (first text piece, first to last, total, characters)."""
    expected = len("".join(reply_pieces(tokens)))

    def run() -> Sample:
        started = time.perf_counter()
        first, characters = c.first_piece_and_count(pieces())
        ended = time.perf_counter()
        if characters != expected:
            raise RuntimeError(f"a stream gave {characters} characters, expected {expected}")
        return (first - started, ended - first, ended - started, float(characters))

    return run


def _contenders(endpoint_url: str, wire: c.Wire, tokens: int) -> tuple[list[Contender], list[Any]]:
    prompt = directive(tokens)
    max_tokens = tokens + 16
    clients = c.sync_clients(endpoint_url, wire, max_tokens)
    runtime, floor, llm, ours = clients.runtime, clients.floor, clients.llm, clients.ours

    def ours_stream() -> Iterable[object]:
        return ours.Completion.create(
            model=wire.model_id, prompt=prompt, max_tokens_to_sample=max_tokens, stream=True
        )

    streams: list[tuple[str, Callable[[], Iterable[object]]]] = [
        (BASELINE, lambda: c.raw_stream(runtime, wire, c.raw_body(wire, prompt, max_tokens))),
        (FLOOR, lambda: floor.stream(prompt)),
        (LLM, lambda: llm.stream(prompt)),
        ("AnthropicBedrock Completion.create(stream=True)", ours_stream),
    ]
    if clients.lc_aws is not None:
        lc_aws = clients.lc_aws
        streams.append((f"{c.langchain_aws_name(wire)}.stream", lambda: lc_aws.stream(prompt)))
    if clients.sdk is not None:
        sdk = clients.sdk
        messages = c.sdk_messages(prompt)

        def sdk_stream() -> Iterable[object]:
            with sdk.messages.stream(
                model=wire.model_id, max_tokens=max_tokens, messages=messages
            ) as stream:
                yield from stream.text_stream

        streams.append(("anthropic SDK messages.stream", sdk_stream))
    contenders = [
        Contender(name, time_stream(open_stream, tokens)) for name, open_stream in streams
    ]
    return contenders, clients.closers


def _measure(
    endpoint_url: str, wire: c.Wire, tokens: int, iterations: int
) -> tuple[list[str], dict[str, list[Sample]]]:
    contenders, closers = _contenders(endpoint_url, wire, tokens)
    samples = interleave_and_close(contenders, closers, iterations, warmup=2)
    return [contender.name for contender in contenders], samples


def _long(endpoint_url: str, settings: Settings, report: Report) -> dict[str, Any]:
    table = Table(
        f"Sync streaming, {LONG_TOKENS:,} tokens ({settings.stream_iterations} interleaved "
        "streams per contender; medians)",
        ("wire / contender", "1st piece ms", "1st->last ms", "vs boto3", "total ms", "vs boto3"),
    )
    raw: dict[str, Any] = {}
    for wire in c.WIRES:
        names, samples = _measure(endpoint_url, wire, LONG_TOKENS, settings.stream_iterations)
        first, spread, total = (column(samples, index) for index in (FIRST, SPREAD, TOTAL))
        spread_ratio = {name: paired_ratio(spread[name], spread[BASELINE]) for name in names}
        total_ratio = {name: paired_ratio(total[name], total[BASELINE]) for name in names}
        table.add(f"[{wire.name}: {wire.model_id}]", "", "", "", "", "")
        for name in names:
            table.add(
                f"  {name}",
                ms(median(first[name])),
                ms(median(spread[name])),
                times(spread_ratio[name]),
                ms(median(total[name])),
                times(total_ratio[name]),
            )
        extra_first = paired_difference(first[LLM], first[BASELINE])
        raw[wire.name] = {
            name: {
                "first": median(first[name]),
                "first_to_last": median(spread[name]),
                "total": median(total[name]),
                "first_to_last_ratio": spread_ratio[name],
                "total_ratio": total_ratio[name],
            }
            for name in names
        }
        report.targets += [
            Target(
                f"stream {LONG_TOKENS:,} tokens ({wire.name})",
                f"BedrockClaude.stream first->last <= {TARGET_RATIO:.2f}x raw boto3",
                f"{spread_ratio[LLM]:.3f}x ({ms(median(spread[LLM]))} vs "
                f"{ms(median(spread[BASELINE]))} ms); total {total_ratio[LLM]:.3f}x; "
                f"langchain-core floor alone {spread_ratio[FLOOR]:.3f}x",
                spread_ratio[LLM] <= TARGET_RATIO,
            ),
            Target(
                f"first piece, {LONG_TOKENS:,}-token stream ({wire.name})",
                "BedrockClaude.stream <= raw boto3 + 1 ms",
                f"{extra_first * 1e3:+.3f} ms (medians {ms(median(first[LLM]))} vs "
                f"{ms(median(first[BASELINE]))} ms)",
                extra_first <= TARGET_FIRST_PIECE_SLACK,
            ),
        ]
    table.notes += [
        "1st piece: from the call to the first non-empty text piece (includes the emulator "
        "encoding the whole reply). 1st->last: the client decoding 2,000 events already on "
        "the wire.",
        "vs boto3: the median of per-round ratios to the raw boto3 stream of the same round.",
    ]
    report.tables.append(table)
    return raw


def _short(endpoint_url: str, settings: Settings, report: Report) -> dict[str, Any]:
    table = Table(
        f"Sync streaming, {SHORT_TOKENS} tokens: time to first piece "
        f"({settings.short_stream_iterations} interleaved streams per contender; medians)",
        ("wire / contender", "1st piece ms", "vs boto3 us", "total ms", "vs boto3"),
    )
    raw: dict[str, Any] = {}
    for wire in c.WIRES:
        names, samples = _measure(
            endpoint_url, wire, SHORT_TOKENS, settings.short_stream_iterations
        )
        first, total = column(samples, FIRST), column(samples, TOTAL)
        extra = {name: paired_difference(first[name], first[BASELINE]) for name in names}
        total_ratio = {name: paired_ratio(total[name], total[BASELINE]) for name in names}
        table.add(f"[{wire.name}: {wire.model_id}]", "", "", "", "")
        for name in names:
            table.add(
                f"  {name}",
                ms(median(first[name])),
                f"{extra[name] * 1e6:+.0f}",
                ms(median(total[name])),
                times(total_ratio[name]),
            )
        raw[wire.name] = {
            name: {"first": median(first[name]), "first_extra": extra[name]} for name in names
        }
        report.targets.append(
            Target(
                f"first piece, {SHORT_TOKENS}-token stream ({wire.name})",
                "BedrockClaude.stream <= raw boto3 + 1 ms",
                f"{extra[LLM] * 1e3:+.3f} ms (medians {ms(median(first[LLM]))} vs "
                f"{ms(median(first[BASELINE]))} ms)",
                extra[LLM] <= TARGET_FIRST_PIECE_SLACK,
            )
        )
    table.notes.append(
        "vs boto3 us: the median of per-round differences from the raw boto3 stream's first piece."
    )
    report.tables.append(table)
    return raw


def run(endpoint_url: str, settings: Settings, report: Report) -> None:
    report.raw["stream"] = {
        "long": _long(endpoint_url, settings, report),
        "short": _short(endpoint_url, settings, report),
    }
