"""SIGINT and SIGTERM: raised as `Interrupted` between steps, deferred while a step must finish.

A command that changes AWS state wraps each mutating call in `shielded()`: a signal that arrives during the
call is remembered and raised once the call has returned, so the command knows exactly what exists and can
undo it or report it. A second signal during a shielded step is raised at once (the operator insists).
"""

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A SIGINT or SIGTERM; a KeyboardInterrupt so no `except Exception` in a library swallows it."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def name(self) -> str:
        """`SIGINT` / `SIGTERM`."""
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process killed by it (130, 143)."""
        return 128 + self.signum


class _State:
    shield_depth = 0
    pending: int | None = None
    step = ""


def _handle(signum, _frame) -> None:
    if _State.shield_depth and _State.pending is None:
        _State.pending = signum
        print(f"{signal.Signals(signum).name} received: finishing {_State.step} first "
              "(send it again to stop at once)", file=sys.stderr, flush=True)
        return
    raise Interrupted(signum)


@contextmanager
def installed() -> Iterator[None]:
    """Route SIGINT and SIGTERM to `Interrupted` for the duration (main thread only), then restore."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _handle) for signum in HANDLED}
    _State.shield_depth, _State.pending = 0, None
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def shielded(step: str, then_raise: bool = True) -> Iterator[None]:
    """Let `step` finish even if a signal arrives; raise the deferred signal right after it.

    `then_raise=False` for clean-up that runs while the command is already failing: the deferred signal is
    dropped (the command stops anyway), so it cannot replace the error being reported.
    """
    outer_step = _State.step
    _State.shield_depth += 1
    _State.step = step
    failed = True
    try:
        yield
        failed = False
    finally:
        _State.shield_depth -= 1
        _State.step = outer_step
        if _State.shield_depth == 0 and _State.pending is not None and (failed or not then_raise):
            _State.pending = None
    if _State.shield_depth == 0 and _State.pending is not None:
        signum, _State.pending = _State.pending, None
        raise Interrupted(signum)


@contextmanager
def ignored() -> Iterator[None]:
    """Ignore SIGINT while a child process owns the terminal (it gets Ctrl-C itself)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
