"""Progress of a counted job: a tqdm bar where one can be drawn, plain lines otherwise.

One display for the whole toolkit: the bandit simulation counts steps, a sweep counts
cells. Where a bar can be drawn (a terminal, or a Jupyter notebook, where ``tqdm.auto``
gives a widget) it is a tqdm bar; into a log file or a pipe it is plain lines, one per
event (at most one every ``interval`` seconds), so logs stay readable.

Examples
--------
>>> import io
>>> from boltzmann_rl._progress import Progress
>>> out = io.StringIO()
>>> p = Progress("run", "cells", out, mode="lines", clock=iter([0.0, 4.0]).__next__)
>>> p.start(total=4, done=1)
>>> p.running(2); p.finished(2); p.close()
>>> print(out.getvalue())
run: 4 cells, 1 already done, 3 to run
run: 3/4 cells done, 0 running, elapsed 0:00:04, ETA 0:00:02
<BLANKLINE>
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["MODES", "Progress", "can_draw", "format_duration"]

MODES = ("auto", "bar", "terminal", "lines", "quiet")
"""``auto``: a bar where one can be drawn, plain lines elsewhere; ``bar``: always a bar;
``terminal``: a bar where one can be drawn, nothing elsewhere; ``lines``: plain lines;
``quiet``: nothing."""


def format_duration(seconds: float | None) -> str:
    """``h:mm:ss`` for a number of seconds; ``?`` when unknown.

    Examples
    --------
    >>> from boltzmann_rl._progress import format_duration
    >>> format_duration(3725.2), format_duration(None), format_duration(float("nan"))
    ('1:02:05', '?', '?')
    """
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _in_notebook() -> bool:
    # without a Jupyter kernel loaded there is no notebook, and tqdm need not be imported
    if "ipykernel" not in sys.modules:
        return False
    from tqdm.auto import tqdm

    return any(cls.__module__ == "tqdm.notebook" for cls in tqdm.__mro__)


def can_draw(stream: TextIO) -> bool:
    """Whether a bar can be drawn for ``stream``: a terminal, or a notebook's own output.

    Examples
    --------
    >>> import io
    >>> from boltzmann_rl._progress import can_draw
    >>> can_draw(io.StringIO())
    False
    """
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return True
    return stream in (sys.stdout, sys.stderr) and _in_notebook()


class Progress:
    """Report how many of a job's units are done, how many are running, and the time left.

    Parameters
    ----------
    desc : str
        What is running (``"run"``, ``"simulate"``): the prefix of every line.
    unit : str
        What is counted (``"cells"``, ``"steps"``).
    stream : text stream, default sys.stderr
    mode : {"auto", "bar", "terminal", "lines", "quiet"}, default "auto"
        See `MODES`: ``auto`` draws a bar where one can be drawn and plain lines
        elsewhere; ``terminal`` draws nothing elsewhere.
    clock : callable, default time.monotonic
        The time source of the plain lines (tests pass a fake one).
    refresh : float or None, default 0.5
        Seconds between redraws of the bar while work is running but nothing finishes
        (elapsed time and ETA keep moving); None redraws only on events.
    interval : float, default 0.0
        Least seconds between two plain lines (the last one is always written).

    Examples
    --------
    >>> import io
    >>> from boltzmann_rl._progress import Progress
    >>> Progress("run", "cells", io.StringIO()).mode   # not a terminal
    'lines'
    >>> Progress("simulate", "steps", io.StringIO(), mode="terminal").mode
    'quiet'
    """

    def __init__(
        self,
        desc: str,
        unit: str,
        stream: TextIO | None = None,
        mode: str = "auto",
        clock: Callable[[], float] = time.monotonic,
        refresh: float | None = 0.5,
        interval: float = 0.0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}; actual value: {mode!r}")
        self.desc, self.unit = desc, unit
        self.stream = sys.stderr if stream is None else stream
        if mode in ("auto", "terminal"):
            drawable = can_draw(self.stream)
            mode = "bar" if drawable else ("lines" if mode == "auto" else "quiet")
        self.mode = mode
        self.clock = clock
        self.refresh = refresh
        self.interval = interval
        self.total = 0
        self.done_before = 0
        self.done = 0
        self.in_flight: int | None = None  # None until the job reports running work
        self.t0 = 0.0
        self._last_line = -float("inf")
        self._bar: Any = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # ----------------------------------------------------------------- events

    def start(self, total: int, done: int = 0, unit: str | None = None) -> None:
        """Begin: ``total`` units in the job, ``done`` of them done already.

        ``unit`` renames what is counted, when the job knows better than its caller
        (a sweep whose cells run seed by seed counts ``"seeds"``).
        """
        if unit is not None:
            self.unit = unit
        self.total, self.done_before, self.done = total, done, done
        self.t0 = self.clock()
        if self.mode == "lines":
            todo = total - done
            self._line(f"{self.desc}: {total} {self.unit}, {done} already done, {todo} to run")
        elif self.mode == "bar":
            self._bar = _new_bar(self.desc, self.unit, self.stream, total, done)

    def running(self, n: int) -> None:
        """``n`` more units were sent to a worker."""
        with self._lock:
            self.in_flight = (self.in_flight or 0) + n
            if self._bar is not None:
                self._bar.set_postfix_str(f"{self.in_flight} running")
        if self._bar is not None and self.refresh is not None and self._ticker is None:
            # The redraw thread starts with the first unit sent, after the worker pool
            # exists: a process with no other thread can fork its workers (fast).
            if not self._stop.is_set():
                self._ticker = threading.Thread(
                    target=self._tick, args=(self.refresh,), daemon=True
                )
                self._ticker.start()

    def finished(self, n: int) -> None:
        """``n`` more units are done."""
        with self._lock:
            if self.in_flight is not None:
                self.in_flight = max(0, self.in_flight - n)
            self.done += n
            if self._bar is not None:
                if self.in_flight is not None:
                    self._bar.set_postfix_str(f"{self.in_flight} running", refresh=False)
                self._bar.update(n)
        if self.mode == "lines":
            now = self.clock()
            if self.done >= self.total or now - self._last_line >= self.interval:
                self._last_line = now
                self._line(self._status(now))

    def close(self) -> None:
        """Stop the bar (leaving its last state on screen)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
            self._ticker = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    # ----------------------------------------------------------------- the lines

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left at the rate of this job so far (None before the first unit)."""
        ran = self.done - self.done_before
        if ran <= 0:
            return None
        elapsed = (self.clock() if now is None else now) - self.t0
        return elapsed / ran * (self.total - self.done)

    def _status(self, now: float) -> str:
        running = "" if self.in_flight is None else f", {self.in_flight} running"
        return (
            f"{self.desc}: {self.done}/{self.total} {self.unit} done{running}, "
            f"elapsed {format_duration(now - self.t0)}, ETA {format_duration(self.eta(now))}"
        )

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def _tick(self, period: float) -> None:
        while not self._stop.wait(period):
            with self._lock:
                if self._bar is not None:
                    self._bar.refresh()


def _new_bar(desc: str, unit: str, stream: TextIO, total: int, done: int) -> Any:
    from tqdm.auto import tqdm

    class Bar(tqdm):
        # tqdm's monitor thread would start with the first bar, before a sweep forks
        # its workers; the redraw thread above does its job
        monitor_interval = 0

    return Bar(
        total=total,
        initial=done,
        desc=desc,
        unit=f" {unit}",
        file=stream,
        dynamic_ncols=True,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{unit} done"
        "{postfix} [{elapsed}<{remaining}]",
    )
