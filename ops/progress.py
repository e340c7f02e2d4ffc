"""Waiting for AWS resources: progress lines on stderr, --timeout, --poll-seconds."""

import sys
import time
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import TextIO

from ops.errors import Failed, TimedOut


def fmt_elapsed(seconds: float) -> str:
    """`mm:ss` under an hour, `h:mm:ss` from an hour on."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


@dataclass
class Waiter:
    """Polls a state until it is done, failed or out of time; clock and sleep are injectable."""

    timeout: float
    poll: float = 15.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    stream: TextIO | None = None
    started: float = field(default=0.0, init=False)

    def wait(self, label: str, state: Callable[[], str], done: Container[str],
             failed: Container[str] = ()) -> float:
        """Seconds waited until state() is in done; Failed or TimedOut otherwise."""
        self.started = self.clock()
        while True:
            current = state()
            elapsed = self.clock() - self.started
            print(f"[{fmt_elapsed(elapsed)}] {label} {current}", file=self.stream or sys.stderr, flush=True)
            if current in done:
                return elapsed
            if current in failed:
                raise Failed(f"{label} is {current} after {fmt_elapsed(elapsed)}")
            remaining = self.timeout - elapsed
            if remaining <= 0:
                raise TimedOut(f"timed out after {fmt_elapsed(elapsed)} waiting for {label} "
                               f"(state {current}, --timeout {self.timeout:g}s)")
            self.sleep(min(self.poll, remaining))  # the last check lands on the deadline
