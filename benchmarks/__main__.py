"""``python -m benchmarks``: run the scenario groups against one emulator and print a table.

Examples::

    python -m benchmarks                     # everything (3-4 minutes on 2 cores)
    python -m benchmarks --quick             # everything, fewer iterations (under a minute)
    python -m benchmarks invoke stream       # some groups
    python -m benchmarks invoke --invoke-iterations 2000 --json results.json
    python -m benchmarks jobs                # only the 100,000-record batch job
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from . import _contenders, batch, chat, concurrency, imports, jobs, memory, overhead, streaming
from ._harness import Report, Settings, load_average, machine_info
from ._server import EmulatorProcess

GROUPS: dict[str, tuple[Callable[[str, Settings, Report], None], str]] = {
    "invoke": (overhead.run, "per-call overhead of a short completion, both wire APIs"),
    "stream": (streaming.run, "sync streaming: 2,000 tokens and time to first piece"),
    "async": (concurrency.run, "256 concurrent astreams with default settings, event-loop ticker"),
    "batch": (batch.run, "every batch path, 16 and 256 prompts at 0.2 s a call, vs langchain-aws"),
    "chat": (chat.run, "ChatBedrockClaude: short call and 2,000-token stream, vs langchain-aws"),
    "memory": (memory.run, "RSS growth over many calls; one stream's memory vs length"),
    "import": (imports.run, "import time and what the package imports"),
    "jobs": (jobs.run, "a 100,000-record batch inference job end to end; RSS, time per record"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark langchain-bedrock-claude against raw boto3, langchain-aws and "
        "the Anthropic SDK, on a local Bedrock emulator in its own process.",
    )
    parser.add_argument(
        "groups",
        nargs="*",
        metavar="GROUP",
        help=f"groups to run (default: all): {', '.join(GROUPS)}",
    )
    parser.add_argument("--quick", action="store_true", help="fewer iterations: under a minute")
    parser.add_argument("--list", action="store_true", help="list the groups and exit")
    parser.add_argument("--invoke-iterations", type=int, help="calls per contender (invoke)")
    parser.add_argument(
        "--stream-iterations", type=int, help="2,000-token streams per contender (stream)"
    )
    parser.add_argument(
        "--short-stream-iterations", type=int, help="short streams per contender (stream)"
    )
    parser.add_argument("--async-rounds", type=int, help="rounds of each concurrent batch")
    parser.add_argument("--concurrency", type=int, help="concurrent streams (async; 256)")
    parser.add_argument("--ticker-streams", type=int, help="streams beside the ticker (64)")
    parser.add_argument(
        "--slow-deadline", type=float, help="seconds before a serializing contender is cut off"
    )
    parser.add_argument("--memory-calls", type=int, help="invoke calls in the RSS test")
    parser.add_argument("--memory-streams", type=int, help="streams (and astreams), RSS test")
    parser.add_argument("--import-runs", type=int, help="fresh interpreters per import case")
    parser.add_argument("--jobs-records", type=int, help="records of the bulk job (jobs)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="pin the emulator to the last CPU and this process to the others (Linux)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    unknown = [name for name in args.groups if name not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    if args.list:
        for name, (_, description) in GROUPS.items():
            print(f"{name:8s} {description}")
        return 0
    settings = Settings.create(quick=args.quick).override(
        invoke_iterations=args.invoke_iterations,
        stream_iterations=args.stream_iterations,
        short_stream_iterations=args.short_stream_iterations,
        async_rounds=args.async_rounds,
        concurrency=args.concurrency,
        ticker_streams=args.ticker_streams,
        slow_deadline=args.slow_deadline,
        memory_calls=args.memory_calls,
        memory_streams=args.memory_streams,
        import_runs=args.import_runs,
        jobs_records=args.jobs_records,
    )
    _contenders.isolate_environment()
    report = Report(machine_info(settings))
    server_cpus: set[int] | None = None
    cpus = os.cpu_count() or 1
    if args.pin and cpus > 1 and hasattr(os, "sched_setaffinity"):
        server_cpus = {cpus - 1}
        os.sched_setaffinity(0, set(range(cpus - 1)))
        report.info["pinning"] = f"emulator on CPU {cpus - 1}, benchmark on CPUs 0-{cpus - 2}"
    started = time.perf_counter()
    with EmulatorProcess(cpus=server_cpus) as emulator:
        for name in args.groups or list(GROUPS):
            run, _ = GROUPS[name]
            group_started = time.perf_counter()
            print(f"running {name} ...", file=sys.stderr, flush=True)
            run(emulator.endpoint_url, settings, report)
            took = time.perf_counter() - group_started
            print(f"  {name} took {took:.1f} s", file=sys.stderr, flush=True)
    report.info["load average at end"] = load_average()
    report.info["wall time"] = f"{time.perf_counter() - started:.1f} s"
    print(report.render())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            out.write(report.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
