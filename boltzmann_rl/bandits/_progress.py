"""A tiny progress bar on a stream (stderr), drawn only when it is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``[#########.........]  45%  450/1000 steps  0.3 s`` redrawn in place.

    Parameters
    ----------
    total : int
        The count at completion.
    enabled : bool or None, default None
        ``None``: draw only when ``stream`` is a terminal.
    stream : text stream, default sys.stderr
    width : int, default 30
        Characters of the bar.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = Progress(4, enabled=True, stream=out)
    >>> bar.update(2); bar.close()
    >>> "50%" in out.getvalue() and out.getvalue().endswith("\\n")
    True
    >>> Progress(4, stream=io.StringIO()).enabled   # not a terminal
    False
    """

    def __init__(
        self, total: int, enabled: bool | None = None, stream: TextIO | None = None, width: int = 30
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = bool(enabled)
        self.total = max(int(total), 1)
        self.width = width
        self.start = time.perf_counter()
        self.last = -1.0
        self.drawn = False

    def update(self, done: int) -> None:
        """Redraw at ``done`` (at most ten times a second, and always at the end)."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < self.total and now - self.last < 0.1:
            return
        self.last = now
        frac = min(done / self.total, 1.0)
        filled = round(frac * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(
            f"\r[{bar}] {frac:4.0%}  {done}/{self.total} steps  {now - self.start:.1f} s"
        )
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """End the line."""
        if self.enabled and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
