"""Progress of a run: a bar on a terminal, plain lines otherwise, nothing when quiet.

Examples
--------
>>> import io
>>> from boltzmann_rl.sweep.progress import Progress
>>> out = io.StringIO()
>>> p = Progress(out, mode="lines", clock=iter(range(100)).__next__)
>>> p.start(total=4, done=1)
>>> p.running(2); p.finished(2); p.close()
>>> print(out.getvalue().strip().splitlines()[-1])
run: 3/4 cells done, 0 running, elapsed 0:00:01, ETA 0:00:01
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float | None) -> str:
    """``h:mm:ss`` for a number of seconds; ``?`` when unknown.

    Examples
    --------
    >>> from boltzmann_rl.sweep.progress import format_duration
    >>> format_duration(3725.2), format_duration(None)
    ('1:02:05', '?')
    """
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Progress:
    """Report cells done, running and the estimated time left.

    Parameters
    ----------
    stream : text stream, default sys.stderr
    mode : {"auto", "bar", "lines", "quiet"}, default "auto"
        ``auto`` draws a bar when ``stream`` is a terminal and plain lines otherwise.
    clock : callable, default time.monotonic
        The time source (tests pass a fake one).
    refresh : float or None, default 0.5
        Seconds between redraws of the bar while nothing happens (elapsed time and
        ETA keep moving); None redraws only on events.

    Examples
    --------
    >>> import io
    >>> from boltzmann_rl.sweep.progress import Progress
    >>> Progress(io.StringIO()).mode
    'lines'
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        mode: str = "auto",
        clock: Callable[[], float] = time.monotonic,
        refresh: float | None = 0.5,
    ) -> None:
        if mode not in ("auto", "bar", "lines", "quiet"):
            raise ValueError(f"mode must be auto, bar, lines or quiet, got {mode!r}")
        self.stream = sys.stderr if stream is None else stream
        if mode == "auto":
            isatty = getattr(self.stream, "isatty", None)
            mode = "bar" if isatty is not None and isatty() else "lines"
        self.mode = mode
        self.clock = clock
        self.refresh = refresh
        self.total = 0
        self.done_before = 0
        self.done = 0
        self.in_flight = 0
        self.t0 = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # ----------------------------------------------------------------- events

    def start(self, total: int, done: int = 0) -> None:
        """Begin: ``total`` cells in the study, ``done`` of them already in the store."""
        self.total, self.done_before, self.done = total, done, done
        self.t0 = self.clock()
        if self.mode == "quiet":
            return
        if self.mode == "lines":
            todo = total - done
            self._line(f"run: {total} cells, {done} already done, {todo} to run")
        else:
            self._draw()

    def running(self, n: int) -> None:
        """``n`` more cells were sent to a worker."""
        with self._lock:
            self.in_flight += n
        if self.mode == "bar":
            self._draw()
            # The redraw thread starts with the first cell sent, after the worker pool
            # exists: a process with no other thread can fork its workers (fast).
            if self.refresh is not None and self._ticker is None and not self._stop.is_set():
                self._ticker = threading.Thread(target=self._tick, daemon=True)
                self._ticker.start()

    def finished(self, n: int) -> None:
        """``n`` cells finished (and were committed)."""
        with self._lock:
            self.in_flight = max(0, self.in_flight - n)
            self.done += n
        if self.mode == "bar":
            self._draw()
        elif self.mode == "lines":
            self._line(self._status())

    def close(self) -> None:
        """Stop the bar (leaving its last state on screen)."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
            self._ticker = None
        if self.mode == "bar":
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    # ----------------------------------------------------------------- drawing

    def eta(self) -> float | None:
        """Seconds left at the rate of this run so far (None before the first cell)."""
        ran = self.done - self.done_before
        if ran <= 0:
            return None
        elapsed = self.clock() - self.t0
        return elapsed / ran * (self.total - self.done)

    def _status(self) -> str:
        elapsed = self.clock() - self.t0
        return (
            f"run: {self.done}/{self.total} cells done, {self.in_flight} running, "
            f"elapsed {format_duration(elapsed)}, ETA {format_duration(self.eta())}"
        )

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def _draw(self) -> None:
        with self._lock:
            width = 30
            frac = self.done / self.total if self.total else 1.0
            filled = int(frac * width)
            bar = "#" * filled + "-" * (width - filled)
            text = f"\r[{bar}] {self._status()[5:]}"
            self.stream.write(text + "\x1b[K")
            self.stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(self.refresh):
            self._draw()
