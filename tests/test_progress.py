"""The one progress display: a tqdm bar where one can be drawn, plain lines elsewhere."""

from __future__ import annotations

import io
import re
import threading

import pytest

from boltzmann_rl._progress import Progress, can_draw, format_duration


class Tty(io.StringIO):
    def isatty(self):
        return True


def fake_clock(*times):
    ticks = iter(times)
    return lambda: next(ticks)


def test_plain_lines_off_a_terminal():
    out = io.StringIO()
    p = Progress("run", "cells", out, clock=fake_clock(0.0, 10.0, 30.0))
    assert p.mode == "lines"
    p.start(total=4, done=1)
    p.running(2)
    p.finished(1)
    p.finished(1)
    p.close()
    assert out.getvalue().splitlines() == [
        "run: 4 cells, 1 already done, 3 to run",
        "run: 2/4 cells done, 1 running, elapsed 0:00:10, ETA 0:00:20",
        "run: 3/4 cells done, 0 running, elapsed 0:00:30, ETA 0:00:15",
    ]


def test_lines_say_running_only_for_a_job_that_reports_it():
    out = io.StringIO()
    p = Progress("simulate", "steps", out, mode="lines", clock=fake_clock(0.0, 2.0))
    p.start(64)
    p.finished(64)
    assert out.getvalue().splitlines()[-1] == (
        "simulate: 64/64 steps done, elapsed 0:00:02, ETA 0:00:00"
    )


def test_lines_at_most_every_interval_and_always_the_last():
    out = io.StringIO()
    p = Progress(
        "simulate", "steps", out, mode="lines", interval=10.0, clock=fake_clock(0.0, *range(1, 31))
    )
    p.start(30)
    for _ in range(30):
        p.finished(1)
    done = [line.split()[1] for line in out.getvalue().splitlines()[1:]]
    assert done == ["1/30", "11/30", "21/30", "30/30"]


def test_a_bar_on_a_terminal():
    stream = Tty()
    p = Progress("run", "cells", stream, refresh=None)
    assert p.mode == "bar" and can_draw(stream)
    p.start(total=4, done=0)
    p.running(2)
    p.finished(2)
    p.close()
    text = stream.getvalue()
    assert "\r" in text and text.endswith("\n")
    assert re.search(r"50%\|#+ *\| 2/4 cells done, 0 running \[", text)


def test_the_bar_keeps_moving_while_cells_run_and_stops_on_close():
    stream = Tty()
    before = threading.active_count()
    p = Progress("run", "cells", stream, refresh=0.01)
    p.start(total=2)
    assert threading.active_count() == before  # no thread before work is sent out
    p.running(1)
    assert p._ticker is not None and p._ticker.is_alive()
    p._stop.wait(0.1)
    p.finished(1)
    p.close()
    assert threading.active_count() == before
    assert stream.getvalue().count("1 running") >= 3  # redrawn while nothing finished


@pytest.mark.parametrize("mode", ["quiet", "terminal"])
def test_nothing_written_when_quiet_or_no_bar_can_be_drawn(mode):
    stream = io.StringIO()
    p = Progress("run", "cells", stream, mode=mode)
    assert p.mode == "quiet"
    p.start(3)
    p.running(1)
    p.finished(1)
    p.close()
    assert stream.getvalue() == ""


def test_terminal_mode_draws_on_a_terminal():
    assert Progress("simulate", "steps", Tty(), mode="terminal").mode == "bar"


def test_an_unknown_mode_is_refused_by_name():
    with pytest.raises(ValueError, match=re.escape("actual value: 'loud'")):
        Progress("run", "cells", io.StringIO(), mode="loud")


def test_format_duration():
    assert format_duration(59.6) == "0:01:00"
    assert format_duration(3725.2) == "1:02:05"
    assert format_duration(-1.0) == format_duration(None) == "?"
