"""Async: many concurrent streams, connection-pool sizing, and whether the event loop blocks.

* **256 concurrent streams** of 50 tokens, 20 ms apart (latency-bound, like a real model):
  the ideal is one stream's duration (~1 s), since they overlap completely.
  ``BedrockClaude`` with default settings should finish within 1.35x of it and ahead of
  langchain-aws, while a ticker beside it sees a p99 gap under 30 ms and no gap over
  100 ms. Raw boto3 in 256 threads is the floor for any design on boto3.
* **Default settings**: with aiohttp installed (the ``aiohttp`` extra), ``async_transport``
  ``"auto"`` reads every stream on the event loop itself, with no thread per stream; the
  ``'threads'`` row is the transport without it, which starts a worker thread whenever every
  one is busy (up to ``max_connections``, default 1024). The default row and the
  ``max_connections=256`` row should be alike.
* **Sweep** (full run): raw boto3 threads and ``BedrockClaude`` at 64, 128 and 256 streams,
  to show where this machine's CPU, not the design, sets the limit.
* **The loop never blocks**: a ticker (``asyncio.sleep(0.005)`` in a loop, recording the real
  gaps) runs beside 64 concurrent streams; a gap over 30 ms at the 99th percentile means the
  loop was blocked. Paced streams (50 tokens, 20 ms apart) are the target; "bulk" streams
  (500 tokens, no latency) are a stress test of the hand-over to the loop.

Contenders that serialize streams (langchain-aws) get one round, cut off after a deadline,
and report how many streams finished.

Every batch runs in a fresh event loop, after a full garbage collection (this process holds
every contender's objects) and after as many streams as the batch has, open together in that
loop, so that every contender starts with as many warm connections as its pool keeps of them:
the threaded ones keep theirs across loops, and a long-running application's loop keeps its
own.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LLM
from langchain_core.outputs import GenerationChunk

from . import _contenders as c
from ._harness import Report, Settings, Table, Target, median, ms, percentile
from ._server import directive

BULK_TOKENS = 500
MAX_TOKENS = 600
TICK = 0.005
TARGET_IDEAL_RATIO = 1.35
TARGET_TICK_P99 = 0.030
TARGET_TICK_MAX = 0.100
POOL = 256
IDEAL_RUNS = 3
NO_DEADLINE = 120.0
RAW = f"raw boto3 in {POOL} threads"
OURS = "BedrockClaude.astream (default settings)"
OURS_SIZED = f"BedrockClaude.astream (max_connections={POOL})"
OURS_THREADS = "BedrockClaude.astream (async_transport='threads')"

StreamOnce = Callable[[str], Coroutine[Any, Any, tuple[float, int]]]
"""Runs one stream of the prompt; returns (``perf_counter()`` at its first text piece, text
characters)."""


@dataclass
class Batch:
    """One batch of concurrent streams."""

    wall: float
    done: int
    first_pieces: list[float]
    """Seconds from the batch's start to each stream's first text piece."""
    gaps: list[float] = field(default_factory=list)
    """Ticker gaps, seconds, when a ticker ran."""
    cut_off: bool = False
    full_collections: int = 0
    """Full (generation 2) garbage collections while the batch ran."""


@dataclass
class AsyncContender:
    """An async streaming contender; ``setup``/``teardown`` run inside each batch's loop."""

    name: str
    stream: StreamOnce
    slow: bool = False
    """Serializes streams: one round, bounded by the deadline."""
    setup: Callable[[], Awaitable[None]] | None = None
    teardown: Callable[[], Awaitable[None]] | None = None
    close: Callable[[], None] | None = None


async def _tick(stop: asyncio.Event, gaps: list[float]) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(TICK)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


async def _batch(
    contender: AsyncContender, prompt: str, count: int, deadline: float, ticker: bool
) -> Batch:
    if contender.setup is not None:
        await contender.setup()
    await _warm_connections(contender, count, deadline)
    gaps: list[float] = []
    stop = asyncio.Event()
    tick_task = asyncio.create_task(_tick(stop, gaps)) if ticker else None
    await asyncio.sleep(TICK * 2)  # let the ticker settle
    gaps.clear()
    started = time.perf_counter()
    tasks = [asyncio.create_task(contender.stream(prompt)) for _ in range(count)]
    done, pending = await asyncio.wait(tasks, timeout=deadline)
    wall = time.perf_counter() - started
    stop.set()
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    if tick_task is not None:
        await tick_task
    if contender.teardown is not None:
        await contender.teardown()
    firsts = []
    finished = 0
    for task in done:
        error = task.exception()
        if error is not None:
            raise RuntimeError(f"{contender.name}: a stream failed") from error
        first, characters = task.result()
        firsts.append(first - started)
        finished += characters > 0
    return Batch(wall, finished, firsts, gaps, cut_off=bool(pending))


WARM_HOLD = 0.002
"""Seconds per stream of the batch that each warm-up stream waits for each of its two tokens:
its connection stays busy about twice that many times the batch's streams (1 s for 256), longer
than any contender here takes to open them all."""
WARM_DEADLINE = 5.0
"""Seconds at most for the warm-up: a contender slower to open its streams (langchain-aws
ChatBedrock pulls every piece through the loop's six default threads) warms fewer."""


async def _warm_connections(contender: AsyncContender, count: int, deadline: float) -> None:
    """``count`` streams at once, in the batch's own event loop, before it starts.

    A transport on the event loop keeps its pool per loop, and each batch runs in a fresh
    loop, so without this every batch of the native transport would open ``count`` TCP
    connections while the threaded contenders' pools stayed warm across batches. A
    long-running application's loop keeps its connections too: so every contender starts
    with as many warm connections as its pool keeps of the ``count`` it opens (httpx, under
    the Anthropic SDK, keeps 100). Each stream keeps its connection busy until all have
    opened theirs (see :data:`WARM_HOLD`): a burst of 256 one-token streams, each ending at
    once, left only 5 to 44 connections in the pool, and the batch opened the rest.

    Raises:
        RuntimeError: a warm-up stream failed.
    """
    prompt = directive(2, WARM_HOLD * count)
    tasks = [asyncio.create_task(contender.stream(prompt)) for _ in range(count)]
    done, pending = await asyncio.wait(tasks, timeout=min(deadline, WARM_DEADLINE))
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        if task.exception() is not None:
            raise RuntimeError(f"{contender.name}: a warm-up stream failed") from task.exception()


def _full_collections() -> int:
    return int(gc.get_stats()[2]["collections"])


def run_batch(
    contender: AsyncContender, prompt: str, count: int, deadline: float, ticker: bool = False
) -> Batch:
    """``count`` concurrent streams in a fresh event loop, after a full garbage collection.

    This process holds every contender's clients, pools and threads: a full collection costs
    it 150-600 ms, and when one landed inside a batch, that batch's wall time and ticker gap
    were the collection's, set by the objects all the contenders before it left. Collecting
    first (as the batch benchmark does) charges each batch only for what it allocates; the
    full collections that still happen inside a batch are counted (:attr:`Batch.full_collections`).
    """
    gc.collect()
    before = _full_collections()
    batch = asyncio.run(_batch(contender, prompt, count, deadline, ticker))
    batch.full_collections = _full_collections() - before
    return batch


# --- contenders ---------------------------------------------------------------------------------


def _llm_contender(name: str, model: Any, slow: bool = False) -> AsyncContender:
    async def stream(prompt: str) -> tuple[float, int]:
        return await c.afirst_piece_and_count(model.astream(prompt))

    return AsyncContender(name, stream, slow=slow)


def _raw_threads(endpoint_url: str, wire: c.Wire) -> AsyncContender:
    runtime = c.boto3_client(endpoint_url, max_connections=POOL)
    pool = ThreadPoolExecutor(POOL, thread_name_prefix="raw-boto3")

    def one(prompt: str) -> tuple[float, int]:
        body = c.raw_body(wire, prompt, MAX_TOKENS)
        return c.first_piece_and_count(c.raw_stream(runtime, wire, body))

    async def stream(prompt: str) -> tuple[float, int]:
        return await asyncio.get_running_loop().run_in_executor(pool, one, prompt)

    def close() -> None:
        pool.shutdown()
        runtime.close()

    return AsyncContender(RAW, stream, close=close)


def _sdk(endpoint_url: str, wire: c.Wire) -> AsyncContender:
    # httpx's async pool belongs to one event loop: a new client for each batch's loop.
    holder: dict[str, Any] = {}

    async def setup() -> None:
        holder["sdk"] = c.async_anthropic_sdk(endpoint_url)

    async def teardown() -> None:
        await holder.pop("sdk").close()

    async def stream(prompt: str) -> tuple[float, int]:
        manager = holder["sdk"].messages.stream(
            model=wire.model_id, max_tokens=MAX_TOKENS, messages=c.sdk_messages(prompt)
        )
        async with manager as events:
            return await c.afirst_piece_and_count(events.text_stream)

    return AsyncContender(
        "anthropic SDK AsyncAnthropicBedrock", stream, setup=setup, teardown=teardown
    )


def _contenders(endpoint_url: str) -> list[AsyncContender]:
    wire = c.MESSAGES
    contenders = [
        _raw_threads(endpoint_url, wire),
        _llm_contender(OURS, c.bedrock_claude(endpoint_url, wire, MAX_TOKENS)),
        _llm_contender(
            OURS_SIZED, c.bedrock_claude(endpoint_url, wire, MAX_TOKENS, max_connections=POOL)
        ),
        _llm_contender(
            OURS_THREADS,
            c.bedrock_claude(endpoint_url, wire, MAX_TOKENS, async_transport="threads"),
        ),
    ]
    if c.have("anthropic"):
        contenders.append(_sdk(endpoint_url, wire))
    if c.have("langchain_aws"):
        for lc_wire in (c.MESSAGES, c.LEGACY):
            model = c.langchain_aws_model(endpoint_url, lc_wire, MAX_TOKENS, max_connections=POOL)
            contender = _llm_contender(
                f"{c.langchain_aws_name(lc_wire)}.astream ({lc_wire.name})", model, slow=True
            )
            contender.close = model.client.close
            contenders.append(contender)
    return contenders


def _default_transport(endpoint_url: str) -> str:
    return c.bedrock_claude(endpoint_url, c.MESSAGES, MAX_TOKENS)._async_client.transport


def _rotate(items: list[AsyncContender], by: int) -> list[AsyncContender]:
    by %= len(items)
    return items[by:] + items[:by]


# --- the scenarios ------------------------------------------------------------------------------


def _ideal(endpoint_url: str, prompt: str, runs: int) -> float:
    """One stream alone, raw boto3: what perfectly overlapped streams would take."""
    runtime = c.boto3_client(endpoint_url)
    body = c.raw_body(c.MESSAGES, prompt, MAX_TOKENS)
    durations = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        for _ in c.raw_stream(runtime, c.MESSAGES, body):
            pass
        durations.append(time.perf_counter() - started)
    runtime.close()
    return median(durations[1:])


def _opening_cpu(endpoint_url: str, count: int) -> float:
    """CPU seconds botocore spends opening ``count`` streams, one after another, in one thread.

    Each ``invoke_model_with_response_stream`` call (building, signing and sending the request,
    reading the response headers) is timed with the thread's CPU clock, so waiting on the
    server is left out and no thread competes for the GIL: the least any boto3-based client
    pays before its last stream can start. The concurrent streams cannot finish before
    ``ideal + this`` on a machine where one GIL does all the work.
    """
    runtime = c.boto3_client(endpoint_url)
    body = c.raw_body(c.MESSAGES, directive(1), MAX_TOKENS)
    kwargs = {"modelId": c.MESSAGES.model_id, "body": body}
    kwargs |= {"contentType": "application/json", "accept": "application/json"}
    for _ in range(20):  # warm: connection, endpoint resolution, code paths
        for _ in runtime.invoke_model_with_response_stream(**kwargs)["body"]:
            pass
    spent = 0.0
    for _ in range(count):
        started = time.thread_time()
        response = runtime.invoke_model_with_response_stream(**kwargs)
        spent += time.thread_time() - started
        for _ in response["body"]:
            pass
    runtime.close()
    return spent


class _NoIOLLM(LLM):
    """A LangChain LLM whose ``_astream`` yields one piece at once: langchain-core's own cost."""

    @property
    def _llm_type(self) -> str:
        return "benchmark-no-io"

    def _call(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> str:
        return "x"

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        chunk = GenerationChunk(text="x")
        if run_manager is not None:
            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
        yield chunk


def _langchain_cpu(count: int) -> float:
    """CPU seconds langchain-core spends starting and ending ``count`` concurrent ``astream``
    calls of one piece each (no I/O): its part of every LangChain stream's opening."""
    llm = _NoIOLLM()

    async def one() -> None:
        async for _ in llm.astream("x"):
            pass

    async def batch() -> float:
        for _ in range(20):
            await one()
        # The loop's thread alone: other threads of this process may still be winding down.
        started = time.thread_time()
        await asyncio.gather(*(one() for _ in range(count)))
        return time.thread_time() - started

    return asyncio.run(batch())


def _label(settings: Settings) -> str:
    return f"{settings.async_tokens} tokens, {settings.async_latency * 1e3:g} ms apart"


def _concurrent(
    endpoint_url: str,
    contenders: list[AsyncContender],
    ideal: float,
    settings: Settings,
    report: Report,
) -> None:
    count = settings.concurrency
    prompt = directive(settings.async_tokens, settings.async_latency)
    fast = [contender for contender in contenders if not contender.slow]
    results: dict[str, list[Batch]] = {contender.name: [] for contender in contenders}
    for round_index in range(settings.async_rounds):
        for contender in _rotate(fast, round_index):
            ticker = contender.name == OURS  # the loop's gaps, in the same run
            batch = run_batch(contender, prompt, count, NO_DEADLINE, ticker=ticker)
            results[contender.name].append(batch)
    for contender in contenders:
        if contender.slow:
            batch = run_batch(contender, prompt, count, settings.slow_deadline)
            results[contender.name].append(batch)
    table = Table(
        f"Async: {count} concurrent streams of {_label(settings)} (ideal = one stream "
        f"alone, raw boto3: {ms(ideal)} ms)",
        ("contender", "rounds", "wall ms", "vs ideal", "done", "1st piece p50 ms", "p90 ms"),
    )
    raw: dict[str, Any] = {"ideal": ideal}
    for contender in contenders:
        batches = results[contender.name]
        wall = median([batch.wall for batch in batches])
        cut = any(batch.cut_off for batch in batches)
        firsts = [first for batch in batches for first in batch.first_pieces]
        mark = ">" if cut else ""
        table.add(
            contender.name,
            len(batches),
            mark + ms(wall),
            mark + f"{wall / ideal:.2f}x",
            f"{min(batch.done for batch in batches)}/{count}",
            ms(median(firsts)),
            ms(percentile(firsts, 90)),
        )
        raw[contender.name] = {
            "wall": wall,
            "done": min(batch.done for batch in batches),
            "cut_off": cut,
            "first_p50": median(firsts),
            "first_p90": percentile(firsts, 90),
        }
    table.notes += [
        f"langchain-aws rows: one round, cut off after {settings.slow_deadline:g} s; '>' marks "
        "a cut-off. BedrockLLM reads each stream on the event loop (blocking it; see the "
        "ticker), ChatBedrock pulls every piece through the loop's default executor "
        "(min(32, CPUs + 4) threads).",
        f"Every other boto3 client here has a {POOL}-connection pool (botocore's default is "
        "10); BedrockClaude's default allows 1024, made as calls need them.",
        f"BedrockClaude's default transport here: {_default_transport(endpoint_url)} "
        "(async_transport='auto': aiohttp on the event loop when installed, else worker "
        "threads, the 'threads' row).",
        "1st piece: from the batch's start to each stream's first text piece.",
        "Each batch runs in a fresh event loop, after a full garbage collection and after as "
        "many streams as it has, open together, which warm as many connections as each "
        "contender's pool keeps (a long-running app's loop keeps its pool; httpx keeps 100); "
        "full garbage collections inside the rounds: "
        + ", ".join(
            f"{contender.name} {sum(batch.full_collections for batch in results[contender.name])}"
            for contender in contenders
        )
        + ".",
    ]
    opening = raw["opening_cpu"] = _opening_cpu(endpoint_url, count)
    langchain = raw["langchain_cpu"] = _langchain_cpu(count)
    bound = (ideal + opening + langchain) / ideal
    table.notes.append(
        f"Lower bound on this machine for a LangChain LLM on boto3: botocore spends "
        f"{ms(opening)} ms of CPU opening {count} streams (one after another in one thread, "
        f"no contention) and langchain-core {ms(langchain)} ms starting and ending {count} "
        f"astreams (no I/O); with one GIL, the last stream cannot start before that: "
        f"{bound:.2f}x ideal, before any token is decoded or any thread is woken."
    )
    report.tables.append(table)
    report.raw["async"] = raw
    ours = raw[OURS]["wall"]
    floor = raw[RAW]["wall"]
    lc_walls = {name: value for name, value in raw.items() if name.startswith("langchain-aws")}
    report.targets.append(
        Target(
            f"{count} concurrent astreams",
            f"BedrockClaude (default settings) <= {TARGET_IDEAL_RATIO}x ideal",
            f"{ours / ideal:.3f}x ({ms(ours)} vs ideal {ms(ideal)} ms); raw boto3 threads "
            f"{floor / ideal:.3f}x; lower bound (botocore + langchain-core opening CPU) "
            f"{bound:.3f}x",
            ours / ideal <= TARGET_IDEAL_RATIO,
        )
    )
    gaps = [gap for batch in results[OURS] for gap in batch.gaps]
    p99, biggest = percentile(gaps, 99), max(gaps, default=float("nan"))
    raw[OURS] |= {"tick_p99": p99, "tick_max": biggest}
    report.targets.append(
        Target(
            f"loop free during {count} astreams",
            f"5 ms ticker beside them: p99 gap <= {ms(TARGET_TICK_P99)} ms, max <= "
            f"{ms(TARGET_TICK_MAX)} ms",
            f"p99 {ms(p99)} ms, max {ms(biggest)} ms over {len(gaps)} ticks",
            p99 <= TARGET_TICK_P99 and biggest <= TARGET_TICK_MAX,
        )
    )
    report.targets.append(
        Target(
            f"{count} concurrent astreams vs langchain-aws",
            "BedrockClaude finishes ahead of ChatBedrock and BedrockLLM astream",
            "; ".join(
                f"{name.split('.')[0].removeprefix('langchain-aws ')} "
                f"{'>' if value['cut_off'] else ''}{ms(value['wall'])} ms"
                for name, value in lc_walls.items()
            )
            + f" vs {ms(ours)} ms"
            if lc_walls
            else "langchain-aws not installed",
            all(ours < value["wall"] for value in lc_walls.values()) if lc_walls else None,
        )
    )
    sized = raw[OURS_SIZED]
    report.targets.append(
        Target(
            "default settings do not cap concurrency",
            f"{count} streams: default settings within 10% of max_connections={POOL}",
            f"wall {ms(raw[OURS]['wall'])} vs {ms(sized['wall'])} ms; 1st piece p90 "
            f"{ms(raw[OURS]['first_p90'])} vs {ms(sized['first_p90'])} ms",
            raw[OURS]["wall"] <= sized["wall"] * 1.1,
        )
    )


def _sweep(
    contenders: list[AsyncContender], ideal: float, settings: Settings, report: Report
) -> None:
    prompt = directive(settings.async_tokens, settings.async_latency)
    pair = [contender for contender in contenders if contender.name in (RAW, OURS)]
    table = Table(
        f"Async sweep: concurrent streams of {_label(settings)}, raw boto3 threads vs "
        f"BedrockClaude (wall / ideal {ms(ideal)} ms, median of {settings.async_rounds})",
        ("streams", *(contender.name for contender in pair)),
    )
    raw: dict[str, dict[str, float]] = {}
    for count in settings.sweep:
        walls: dict[str, list[float]] = {contender.name: [] for contender in pair}
        for round_index in range(settings.async_rounds):
            for contender in _rotate(pair, round_index):
                walls[contender.name].append(run_batch(contender, prompt, count, NO_DEADLINE).wall)
        raw[str(count)] = {name: median(values) for name, values in walls.items()}
        table.add(count, *(f"{raw[str(count)][c.name] / ideal:.2f}x" for c in pair))
    table.notes.append(
        "Where raw boto3 threads fall behind the ideal too, the limit is this machine's CPU "
        "(one GIL: signing and sending each request, waking a thread per token), not the "
        "library's design."
    )
    report.tables.append(table)
    report.raw["async_sweep"] = raw


def _ticker(contenders: list[AsyncContender], settings: Settings, report: Report) -> None:
    count = settings.ticker_streams
    loads = [("paced", directive(settings.async_tokens, settings.async_latency), _label(settings))]
    if settings.bulk_ticker:
        loads.append(("bulk", directive(BULK_TOKENS), f"{BULK_TOKENS} tokens, no latency"))
    table = Table(
        f"Event loop responsiveness: a {TICK * 1e3:.0f} ms ticker beside {count} concurrent "
        "streams (gap = time between ticks; 5 ms means never blocked)",
        ("load / contender", "wall ms", "ticks", "p50 gap ms", "p99 gap ms", "max gap ms"),
    )
    raw: dict[str, Any] = {}
    tickered = [contender for contender in contenders if contender.name != OURS_SIZED]
    for load, prompt, label in loads:
        table.add(f"[{load}: {label}]", "", "", "", "", "")
        for contender in tickered:
            deadline = settings.slow_deadline if contender.slow else NO_DEADLINE
            batch = run_batch(contender, prompt, count, deadline, ticker=True)
            biggest = max(batch.gaps, default=float("nan"))
            table.add(
                f"  {contender.name}",
                (">" if batch.cut_off else "") + ms(batch.wall),
                len(batch.gaps),
                ms(percentile(batch.gaps, 50)),
                ms(percentile(batch.gaps, 99)),
                ms(biggest),
            )
            raw[f"{load}/{contender.name}"] = {
                "p50": percentile(batch.gaps, 50),
                "p99": percentile(batch.gaps, 99),
                "max": biggest,
                "ticks": len(batch.gaps),
            }
        ours = raw[f"{load}/{OURS}"]
        report.targets.append(
            Target(
                f"loop never blocked ({load})",
                f"5 ms ticker beside {count} BedrockClaude astreams: p99 gap <= 30 ms",
                f"p99 {ms(ours['p99'])} ms, max {ms(ours['max'])} ms over {ours['ticks']} ticks",
                ours["p99"] <= TARGET_TICK_P99 if load == "paced" else None,
            )
        )
    table.notes.append(
        "The paced load is the target; the bulk load (no latency) is a stress test reported "
        "for information (n/a in Targets). BedrockClaude's row uses default settings."
    )
    report.tables.append(table)
    report.raw["ticker"] = raw


def run(endpoint_url: str, settings: Settings, report: Report) -> None:
    prompt = directive(settings.async_tokens, settings.async_latency)
    ideal = _ideal(endpoint_url, prompt, 1 if settings.quick else IDEAL_RUNS)
    contenders = _contenders(endpoint_url)
    try:
        for contender in contenders:  # connections, worker threads, lazy imports
            if settings.quick:  # a short reply: seconds saved, the first batch pays the rest
                run_batch(contender, directive(2), 8, settings.slow_deadline)
            elif contender.slow:
                run_batch(contender, prompt, 8, settings.slow_deadline)
            else:
                run_batch(contender, prompt, settings.concurrency, NO_DEADLINE)
        _concurrent(endpoint_url, contenders, ideal, settings, report)
        if settings.sweep:
            _sweep(contenders, ideal, settings, report)
        _ticker(contenders, settings, report)
    finally:
        for contender in contenders:
            if contender.close is not None:
                contender.close()
