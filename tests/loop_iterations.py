"""Counting an event loop's iterations, for tests of what runs in one iteration."""

from __future__ import annotations

import asyncio


class LoopIterations:
    """The running loop's iteration count since :meth:`start`, until :meth:`stop`.

    A callback that schedules itself again with ``call_soon`` runs once per iteration: it
    is what :attr:`count` counts.
    """

    def __init__(self) -> None:
        self.count = 0
        self._loop = asyncio.get_running_loop()
        self._running = False

    def start(self) -> None:
        """Count from now (from this iteration)."""
        self._running = True
        self._tick()

    def stop(self) -> None:
        """Stop counting (the callback ends at its next run)."""
        self._running = False

    def _tick(self) -> None:
        self.count += 1
        if self._running:
            self._loop.call_soon(self._tick)
