"""Memory: resident-set growth over many calls, and one stream's memory against its length.

Each measurement runs in a fresh child process (``python -m benchmarks.memory ...``) so
nothing else the benchmark did is counted.

* **Growth**: after a warm-up, ``BedrockClaude`` makes 10,000 ``invoke`` calls, 1,000
  ``stream`` and 1,000 ``astream`` streams of a short completion; resident memory (RSS) is
  read after ``gc.collect()`` before and after. Target: less than 10 MB. Raw boto3 does the
  same calls and streams for comparison.
* **One stream vs its length**: the tracemalloc peak while one stream of 2,000 and of 20,000
  tokens is consumed piece by piece (no piece kept by the caller). The library keeps the
  completion's text (``stream.completion``, and ``partial_text`` if the stream breaks), and
  ``BaseLLM.stream`` in langchain-core adds the pieces up too, so this grows with the text:
  O(text), reported as bytes per token.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from . import _contenders as c
from ._harness import Report, Settings, Table, Target
from ._server import ROOT, directive, reply_pieces

SHORT_TOKENS = 16
WARMUP_CALLS = 200
WARMUP_STREAMS = 50
TARGET_GROWTH_MB = 10.0
_MB = 1024 * 1024
_PEAK_CONTENDERS = (
    "raw boto3",
    "AnthropicBedrock stream",
    "BedrockClaude.stream",
    "BedrockClaude.astream",
)


def rss_bytes() -> int:
    """This process's resident set size."""
    try:
        import psutil  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return int(psutil.Process().memory_info().rss)


def _settled_rss() -> int:
    gc.collect()
    return rss_bytes()


# --- children -----------------------------------------------------------------------------------


def _growth_child(endpoint_url: str, contender: str, calls: int, streams: int) -> dict[str, Any]:
    wire = c.MESSAGES
    prompt = directive(SHORT_TOKENS)
    max_tokens = SHORT_TOKENS + 16
    invoke: Callable[[], object]
    stream: Callable[[], Iterable[object]]
    astream: Callable[[int], Coroutine[Any, Any, None]] | None = None
    if contender == "raw boto3":
        runtime = c.boto3_client(endpoint_url)
        body = c.raw_body(wire, prompt, max_tokens)

        def invoke() -> object:
            return c.raw_invoke(runtime, wire, body)

        def stream() -> Iterable[object]:
            return c.raw_stream(runtime, wire, body)

    else:
        llm = c.bedrock_claude(endpoint_url, wire, max_tokens)

        def invoke() -> object:
            return llm.invoke(prompt)

        def stream() -> Iterable[object]:
            return llm.stream(prompt)

        async def llm_astream(count: int) -> None:
            for _ in range(count):
                async for _piece in llm.astream(prompt):
                    pass

        astream = llm_astream

    for _ in range(WARMUP_CALLS):
        invoke()
    for _ in range(WARMUP_STREAMS):
        for _piece in stream():
            pass
    if astream is not None:
        asyncio.run(astream(WARMUP_STREAMS))
    before = _settled_rss()
    marks = {"start": before}
    for _ in range(calls):
        invoke()
    marks["after invoke"] = _settled_rss()
    for _ in range(streams):
        for _piece in stream():
            pass
    marks["after stream"] = _settled_rss()
    if astream is not None:
        asyncio.run(astream(streams))
        marks["after astream"] = _settled_rss()
    return {"marks": marks, "growth": max(marks.values()) - before}


def _peak_child(endpoint_url: str, contender: str, sizes: list[int]) -> dict[str, Any]:
    wire = c.MESSAGES
    biggest = max(sizes)
    runtime = c.boto3_client(endpoint_url)
    ours = c.our_client(endpoint_url)
    llm = c.bedrock_claude(endpoint_url, wire, biggest + 16)

    def consume(tokens: int) -> int:
        """Read one stream of ``tokens``; its text's length (pieces may arrive joined)."""
        prompt = directive(tokens)
        count = 0
        if contender == "raw boto3":
            for text in c.raw_stream(runtime, wire, c.raw_body(wire, prompt, biggest + 16)):
                count += len(text)
        elif contender == "AnthropicBedrock stream":
            stream = ours.Completion.create(
                model=wire.model_id, prompt=prompt, max_tokens_to_sample=biggest + 16, stream=True
            )
            for chunk in stream:
                count += len(chunk.completion)
        elif contender == "BedrockClaude.stream":
            for text in llm.stream(prompt):
                count += len(text)
        else:

            async def drain() -> int:
                characters = 0
                async for text in llm.astream(prompt):
                    characters += len(text)
                return characters

            count = asyncio.run(drain())
        return count

    consume(200)  # warm: connections, lazy imports, caches
    consume(200)
    results: dict[str, Any] = {}
    tracemalloc.start()
    for tokens in sizes:
        gc.collect()
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        characters = consume(tokens)
        _, peak = tracemalloc.get_traced_memory()
        results[str(tokens)] = {"peak": peak - base, "characters": characters}
    tracemalloc.stop()
    return results


def _child(arguments: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode != 0:
        raise RuntimeError(f"memory child {arguments} failed:\n{output.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


# --- the scenario -------------------------------------------------------------------------------


def run(endpoint_url: str, settings: Settings, report: Report) -> None:
    calls, streams = settings.memory_calls, settings.memory_streams
    growth_table = Table(
        f"Memory: RSS growth over {calls:,} invoke calls + {streams:,} stream + {streams:,} "
        "astream (short completions), fresh process, after warm-up and gc.collect()",
        ("contender", "RSS start MB", "after invoke", "after stream", "after astream", "growth MB"),
    )
    raw: dict[str, Any] = {}
    for contender in ("raw boto3", "BedrockClaude"):
        result = _child(["growth", endpoint_url, contender, str(calls), str(streams)])
        marks = result["marks"]
        start = marks["start"]

        def delta(key: str, marks: dict[str, int] = marks, start: int = start) -> str:
            return f"{(marks[key] - start) / _MB:+.2f}" if key in marks else "-"

        growth_table.add(
            contender,
            f"{start / _MB:.1f}",
            delta("after invoke"),
            delta("after stream"),
            delta("after astream"),
            f"{result['growth'] / _MB:.2f}",
        )
        raw[contender] = result
    growth = raw["BedrockClaude"]["growth"] / _MB
    scaled = "" if calls >= 10_000 else f" (quick mode: {calls:,} calls, {streams:,} streams)"
    report.targets.append(
        Target(
            "memory growth",
            f"10,000 calls + 1,000 streams grow RSS < {TARGET_GROWTH_MB:g} MB",
            f"{growth:+.2f} MB (raw boto3 {raw['raw boto3']['growth'] / _MB:+.2f} MB){scaled}",
            growth < TARGET_GROWTH_MB,
        )
    )
    growth_table.notes.append("Columns after 'RSS start' are the change since the start, MB.")
    report.tables.append(growth_table)

    small, large = settings.memory_long_tokens
    peak_table = Table(
        "Memory: one stream's tracemalloc peak vs completion length (pieces not kept by the "
        "caller)",
        ("contender", f"{small:,} tokens KB", f"{large:,} tokens KB", "bytes/token"),
    )
    peaks: dict[str, Any] = {}
    for contender in _PEAK_CONTENDERS:
        result = _child(["peak", endpoint_url, contender, str(small), str(large)])
        low, high = result[str(small)]["peak"], result[str(large)]["peak"]
        peak_table.add(
            contender,
            f"{low / 1024:.0f}",
            f"{high / 1024:.0f}",
            f"{(high - low) / (large - small):.0f}",
        )
        peaks[contender] = result
    text_bytes = len("".join(reply_pieces(large)).encode()) - len(
        "".join(reply_pieces(small)).encode()
    )
    peak_table.notes += [
        f"The completion text itself is {text_bytes / (large - small):.1f} bytes/token "
        "(as UTF-8); everything above that per token is bookkeeping.",
        "raw boto3 keeps nothing. AnthropicBedrock keeps the text pieces for stream.completion "
        "and partial_text; BedrockClaude.stream adds langchain-core's running sum of the pieces.",
    ]
    report.tables.append(peak_table)
    raw["peak"] = peaks
    report.raw["memory"] = raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    sub = parser.add_subparsers(dest="kind", required=True)
    growth = sub.add_parser("growth")
    growth.add_argument("endpoint_url")
    growth.add_argument("contender")
    growth.add_argument("calls", type=int)
    growth.add_argument("streams", type=int)
    peak = sub.add_parser("peak")
    peak.add_argument("endpoint_url")
    peak.add_argument("contender")
    peak.add_argument("sizes", type=int, nargs="+")
    args = parser.parse_args(argv)
    c.isolate_environment()
    if args.kind == "growth":
        result = _growth_child(args.endpoint_url, args.contender, args.calls, args.streams)
    else:
        result = _peak_child(args.endpoint_url, args.contender, args.sizes)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
