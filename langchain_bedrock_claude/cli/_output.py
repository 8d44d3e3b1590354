"""What the command prints: the completion (text or JSON lines) on stdout, the rest on stderr."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ._parser import PROG

if TYPE_CHECKING:
    from .._models import Completion

__all__ = ["Output", "Timing", "format_stats"]


@dataclass
class Timing:
    """When the request started, its first text arrived and it finished (``perf_counter``)."""

    started: float
    """When the request was sent."""
    first_text: float | None = None
    """When its first text arrived (``None``: none yet, or not streamed)."""
    finished: float | None = None
    """When the completion ended."""

    def time_to_first_token(self) -> float | None:
        return None if self.first_text is None else self.first_text - self.started

    def elapsed(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    def tokens_per_second(self, output_tokens: int) -> float | None:
        # Generation speed after the first token; the whole call when nothing streamed.
        begin = self.first_text if self.first_text is not None else self.started
        span = (self.finished or time.perf_counter()) - begin
        if output_tokens <= 0 or span <= 0:
            return None
        return output_tokens / span


class Output:
    """Writes the completion (plain text or JSON lines), and errors and stats to stderr."""

    def __init__(
        self, stdout: TextIO, stderr: TextIO, *, as_json: bool, show_thinking: bool = False
    ) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.as_json = as_json
        self.show_thinking = show_thinking
        self._thinking_open = False
        self._ends_with_newline = True

    def _line(self, obj: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.stdout.flush()

    def piece(self, text: str) -> None:
        if not text:
            return
        if self._thinking_open:  # the thinking on stderr ends where the answer starts
            self.stderr.write("\n")
            self._thinking_open = False
        # Noted before writing: a Ctrl-C right after the write must still end the line.
        self._ends_with_newline = text.endswith("\n")
        if self.as_json:
            self._line({"type": "piece", "text": text})
        else:
            self.stdout.write(text)
            self.stdout.flush()

    def count(self, tokens: int) -> None:
        """The answer of --count-tokens."""
        if self.as_json:
            self._line({"type": "count", "input_tokens": tokens})
        else:
            self.stdout.write(f"{tokens}\n")
            self.stdout.flush()

    def thinking(self, text: str) -> None:
        """A piece of extended thinking: shown on stderr only if asked for, never on stdout."""
        if self.show_thinking:
            self.stderr.write(text)
            self.stderr.flush()
            self._thinking_open = True

    def end_text(self) -> None:
        """End the printed text with a newline, so the shell prompt starts on its own line."""
        if not self.as_json and not self._ends_with_newline:
            self.stdout.write("\n")
            self.stdout.flush()
            self._ends_with_newline = True

    def result(self, completion: Completion, timing: Timing) -> None:
        usage = completion.usage
        ttft = timing.time_to_first_token()
        speed = timing.tokens_per_second(usage.output_tokens)
        if self.as_json:
            self._line(
                {
                    "type": "result",
                    "text": completion.completion,
                    "stop_reason": completion.stop_reason,
                    "stop_sequence": completion.stop_sequence,
                    "usage": usage.to_dict(),
                    "request_id": completion.request_id,
                    "model_id": completion.model_id,
                    "model": completion.model,
                    "time_to_first_token": _round(ttft),
                    "elapsed": _round(timing.elapsed()),
                    "tokens_per_second": _round(speed),
                }
            )
            return
        self.end_text()
        self.info(format_stats(completion, timing))

    def info(self, line: str) -> None:
        self.stderr.write(line + "\n")
        self.stderr.flush()

    def error(self, message: str, code: int, *, error: str) -> None:
        self.end_text()
        if self.as_json:
            self._line({"type": "error", "error": error, "message": message, "exit_code": code})
        self.info(f"{PROG}: error: {' '.join(message.split())}")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def format_stats(completion: Completion, timing: Timing) -> str:
    """The stderr line after a completion: usage, time to first token, speed, stop reason."""
    usage = completion.usage
    ttft = timing.time_to_first_token()
    speed = timing.tokens_per_second(usage.output_tokens)
    parts = [
        f"tokens: {usage.input_tokens} in, {usage.output_tokens} out",
        f"time to first token: {ttft:.2f} s" if ttft is not None else "time to first token: n/a",
        f"{speed:.1f} tokens/s" if speed is not None else "tokens/s: n/a",
        f"total: {timing.elapsed():.2f} s",
        f"stop: {completion.stop_reason}",
    ]
    if usage.cache_read_input_tokens or usage.cache_write_input_tokens:
        parts.insert(
            1,
            f"cache: {usage.cache_read_input_tokens} read, "
            f"{usage.cache_write_input_tokens} written",
        )
    if completion.request_id:
        parts.append(f"request id: {completion.request_id}")
    return "[" + " | ".join(parts) + "]"
