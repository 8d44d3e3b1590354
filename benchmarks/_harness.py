"""What every scenario group shares: run settings, interleaved timing, statistics, the report.

Contenders are timed round-robin, one operation each in turn, with the starting contender
rotating every iteration. Machine noise (other processes, frequency changes, the emulator's
own work) then lands on every contender alike, and ratios taken from one run stay meaningful
even on a busy machine.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any, Protocol

__all__ = [
    "Closable",
    "Contender",
    "Report",
    "Settings",
    "Table",
    "Target",
    "interleave",
    "interleave_and_close",
    "machine_info",
    "median",
    "paired_difference",
    "paired_ratio",
    "percentile",
]


@dataclass(frozen=True)
class Settings:
    """How much to run; ``--quick`` and the full run differ only here."""

    quick: bool
    invoke_iterations: int
    """Calls per contender in the per-call overhead scenario."""
    stream_iterations: int
    """Streams per contender in the 2,000-token streaming scenario."""
    short_stream_iterations: int
    """Streams per contender in the short (time to first piece) scenario."""
    async_rounds: int
    """Rounds of the 256-stream batch per contender (langchain-aws: one, bounded by a deadline)."""
    concurrency: int
    """Concurrent streams in the async scenario."""
    async_tokens: int
    """Tokens per stream in the async scenarios."""
    async_latency: float
    """Seconds between those tokens (the emulator's token latency)."""
    sweep: tuple[int, ...]
    """Concurrency levels of the async sweep (none: skipped)."""
    ticker_streams: int
    """Concurrent streams beside the 5 ms ticker."""
    slow_deadline: float
    """Seconds a contender that serializes streams gets before it is cut off."""
    bulk_ticker: bool
    """Also run the ticker beside bulk (no latency) streams, a stress test."""
    memory_calls: int
    memory_streams: int
    memory_long_tokens: tuple[int, int]
    """Completion lengths whose single-stream memory is compared."""
    import_runs: int
    """Fresh interpreters per import case."""
    jobs_records: int = 100_000
    """Records of the bulk (batch inference) job."""

    @classmethod
    def create(cls, *, quick: bool) -> Settings:
        if quick:
            return cls(
                quick=True,
                invoke_iterations=60,
                stream_iterations=4,
                short_stream_iterations=15,
                async_rounds=1,
                concurrency=256,
                async_tokens=50,
                async_latency=0.02,
                sweep=(),
                ticker_streams=64,
                slow_deadline=1.5,
                bulk_ticker=False,
                memory_calls=1_000,
                memory_streams=100,
                memory_long_tokens=(1_000, 10_000),
                import_runs=2,
                jobs_records=10_000,
            )
        return cls(
            quick=False,
            invoke_iterations=600,
            stream_iterations=30,
            short_stream_iterations=200,
            async_rounds=3,
            concurrency=256,
            async_tokens=50,
            async_latency=0.02,
            sweep=(64, 128, 256),
            ticker_streams=64,
            slow_deadline=15.0,
            bulk_ticker=True,
            memory_calls=10_000,
            memory_streams=1_000,
            memory_long_tokens=(2_000, 20_000),
            import_runs=9,
        )

    def override(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (``None`` values are ignored)."""
        values = asdict(self)
        values.update({key: value for key, value in changes.items() if value is not None})
        return Settings(**values)


# --- statistics ---------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), nearest-rank on sorted values; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def paired_ratio(values: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of per-iteration ratios ``values[i] / baseline[i]``.

    Both were measured in the same round, moments apart, so a slow spell on a busy machine
    cancels out of each ratio instead of landing on one contender's median.
    """
    ratios = [value / base for value, base in zip(values, baseline, strict=True) if base > 0]
    return median(ratios)


def paired_difference(values: Sequence[float], baseline: Sequence[float]) -> float:
    """The median of per-iteration differences ``values[i] - baseline[i]`` (see above)."""
    return median([value - base for value, base in zip(values, baseline, strict=True)])


# --- interleaved timing -------------------------------------------------------------------------

Sample = tuple[float, ...]
"""One operation's measurements, e.g. ``(seconds,)`` or ``(first_piece, first_to_last, total)``."""


@dataclass(frozen=True)
class Contender:
    """A named operation to time: ``run()`` performs it once and returns its ``Sample``."""

    name: str
    run: Callable[[], Sample]


def interleave(
    contenders: Sequence[Contender], iterations: int, warmup: int = 3
) -> dict[str, list[Sample]]:
    """Run each contender ``iterations`` times, round-robin, rotating who goes first.

    Each contender first runs ``warmup`` times untimed (connections, caches, lazy imports).
    """
    for contender in contenders:
        for _ in range(warmup):
            contender.run()
    samples: dict[str, list[Sample]] = {contender.name: [] for contender in contenders}
    count = len(contenders)
    for iteration in range(iterations):
        start = iteration % count
        for contender in (*contenders[start:], *contenders[:start]):
            samples[contender.name].append(contender.run())
    return samples


class Closable(Protocol):
    """A client whose connections are released by ``close()``."""

    def close(self) -> Any: ...


def interleave_and_close(
    contenders: Sequence[Contender], closers: Iterable[Closable], iterations: int, warmup: int
) -> dict[str, list[Sample]]:
    """:func:`interleave`, then close the contenders' clients (``closers``), even on failure."""
    try:
        return interleave(contenders, iterations, warmup)
    finally:
        for closer in closers:
            closer.close()


def timed(operation: Callable[[], object]) -> Callable[[], Sample]:
    """Wrap ``operation`` to return its wall time in seconds."""

    def run() -> Sample:
        started = time.perf_counter()
        operation()
        return (time.perf_counter() - started,)

    return run


# --- the report ---------------------------------------------------------------------------------

_NUMBER = re.compile(r"[-+>]?[\d.,]+(x|%| MB| ms)?|-|")
"""Cells aligned right: numbers, ratios, blanks."""


@dataclass
class Table:
    """One scenario's results: a title, column headings, rows of cells, and notes."""

    title: str
    columns: Sequence[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(cell) for cell in cells])

    def render(self) -> str:
        widths = [len(column) for column in self.columns]
        for row in self.rows:
            widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=False)]

        def line(cells: Sequence[str]) -> str:
            out = []
            for index, (cell, width) in enumerate(zip(cells, widths, strict=False)):
                numeric = index > 0 and _NUMBER.fullmatch(cell) is not None
                out.append(cell.rjust(width) if numeric else cell.ljust(width))
            return "  ".join(out).rstrip()

        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        parts = [f"## {self.title}", line(self.columns), rule, *(line(row) for row in self.rows)]
        parts += [f"  * {note}" for note in self.notes]
        return "\n".join(parts)


@dataclass(frozen=True)
class Target:
    """A stated performance goal and what this run measured."""

    name: str
    goal: str
    measured: str
    met: bool | None
    """``None`` when the run could not decide (a contender was missing)."""

    @property
    def verdict(self) -> str:
        return {True: "MET", False: "NOT MET", None: "n/a"}[self.met]


@dataclass
class Report:
    """Everything a run measured: printed as tables, optionally saved as JSON."""

    info: dict[str, str]
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    """Per-scenario raw numbers, for ``--json``."""

    def render(self) -> str:
        head = ["# langchain-bedrock-claude benchmarks"]
        head += [f"{key}: {value}" for key, value in self.info.items()]
        parts = ["\n".join(head), *(table.render() for table in self.tables)]
        if self.targets:
            summary = Table("Targets", ("target", "goal", "measured", "verdict"))
            for target in self.targets:
                summary.add(target.name, target.goal, target.measured, target.verdict)
            parts.append(summary.render())
        return "\n\n".join(parts)

    def to_json(self) -> str:
        return json.dumps(
            {
                "info": self.info,
                "tables": [asdict(table) for table in self.tables],
                "targets": [
                    {**asdict(target), "verdict": target.verdict} for target in self.targets
                ],
                "raw": self.raw,
            },
            indent=2,
            default=str,
        )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def load_average() -> str:
    """The 1/5/15-minute load averages (other processes distort timings)."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def machine_info(settings: Settings) -> dict[str, str]:
    """What the numbers depend on: hardware, interpreter, package versions, load."""
    packages = (
        "langchain-bedrock-claude",
        "boto3",
        "botocore",
        "urllib3",
        "langchain-core",
        "langchain-aws",
        "anthropic",
    )
    return {
        "mode": "quick" if settings.quick else "full",
        "cpus": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "platform": platform.platform(),
        "packages": ", ".join(f"{name} {_version(name)}" for name in packages),
        "load average at start": load_average(),
    }


# --- formatting ---------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    """Seconds as milliseconds, to 3 significant figures-ish."""
    if math.isnan(seconds):
        return "-"
    value = seconds * 1e3
    return f"{value:.3f}" if value < 10 else f"{value:.2f}" if value < 100 else f"{value:.1f}"


def times(value: float) -> str:
    """A ratio as ``1.07x``."""
    return "-" if math.isnan(value) else f"{value:.2f}x"


def column(samples: dict[str, list[Sample]], index: int) -> dict[str, list[float]]:
    """One measurement (``index`` into each sample) of every contender."""
    return {name: [sample[index] for sample in values] for name, values in samples.items()}
