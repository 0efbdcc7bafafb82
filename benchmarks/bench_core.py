"""Benchmark: the softmax core against the np.exp floor and scipy.special (issue 2).

Every figure is a ratio against a baseline timed in the same run, on the same array:

* ``softmax`` on a (2000, 10) float64 array (a vectorized bandit step, along the last
  axis): at most 3x ``np.exp`` of that array, the floor (a softmax cannot do less than
  one exp per entry);
* ``softmax`` on a (256, 50257) float64 array (a batch of language-model logits): at
  most 2.5x the floor;
* ``softmax`` of one row of 4 to 18 logits (a gym agent's decision), as a 1-D float64
  array and as a list: at least 5x faster than ``scipy.special.softmax``;
* for the record, ``log_softmax`` and ``logsumexp`` on the same inputs, against the
  floor and their scipy counterparts, and the batched shape with wide logits (which
  takes the general path, one shift per row);
* ``softmax_sample`` (inverse CDF, one uniform per row) against the Gumbel-max trick
  ``argmax(z + G)`` written below, on (2000, 10) and on single rows: which is faster.

The logits are standard normal (seed 0) and the temperature is 1. Each function of a
case is timed in turn, ``--repeat`` rounds of about 2 ms each (so that load from other
processes spreads over all of them, and some samples fit between the scheduler's
preemptions); the minimum is the estimate of the cost and the ratios use it, the
median is shown beside it.

Run: ``python benchmarks/bench_core.py`` (``--quick`` for a smoke run of a few
seconds, with 16 instead of 256 rows of 50257 logits).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import scipy.special

import boltzmann_rl as br
from boltzmann_rl._floor import shifted

# --------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the best and the median of the repeats."""

    best: float
    median: float

    def __str__(self) -> str:
        return f"{_fmt(self.best)} (median {_fmt(self.median)})"


def _fmt(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.2f} us"


def measure(fns: dict[str, Callable[[], Any]], repeat: int, budget: float) -> dict[str, Timing]:
    """Time every function of ``fns``, interleaved, ``repeat`` rounds of ~``budget`` s each."""
    numbers = {}
    for name, fn in fns.items():
        fn()  # warm up (and fail early)
        n, elapsed = 1, 0.0
        while True:
            elapsed = timeit.timeit(fn, number=n)
            if elapsed >= budget / 5 or n >= 1_000_000:
                break
            n *= 10 if elapsed < budget / 50 else 2
        numbers[name] = max(1, int(n * budget / max(elapsed, 1e-9)))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            samples[name].append(timeit.timeit(fn, number=numbers[name]) / numbers[name])
    return {
        name: Timing(min(values), statistics.median(values)) for name, values in samples.items()
    }


# ------------------------------------------------------------------- Gumbel-max sampling


def gumbel_sample(x: Any, rng: Any, temperature: float = 1.0) -> Any:
    """``softmax_sample`` along the last axis by the Gumbel-max trick: ``argmax(z + G)``.

    ``G = -log(-log U)`` is standard Gumbel, with ``U`` uniform on [0, 1); ``U = 0``
    gives ``G = -inf``, an entry that is not drawn (probability 2**-53 per entry). As in
    the core, a 1-D float64 array of at most 32 finite logits takes a pure-Python path
    (with checks like the core's; it is timed at T = 1 only); everything else uses the
    core's shifted logits ``z``, so the validation and the exact limits are the same.
    """
    gen = br.as_generator(rng)
    if type(x) is np.ndarray and x.ndim == 1 and x.dtype == np.float64 and 0 < len(x) <= 32:
        row = x.tolist()
        t = float(temperature)
        if math.isfinite(sum(row)) and 0.0 < t <= 1e305:
            log = math.log
            u = gen.random(len(row)).tolist()
            best, arg = -math.inf, 0
            for i, v in enumerate(row):
                if u[i] > 0.0:
                    s = v / t - log(-log(u[i]))
                    if s > best:
                        best, arg = s, i
            return arg
    z, _, _, _ = shifted(x, temperature, -1, None)
    g = gen.random(z.shape)
    with np.errstate(divide="ignore"):
        np.log(g, out=g)  # log U in [-inf, 0)
    np.negative(g, out=g)  # E = -log U, exponential, in (0, inf]
    np.log(g, out=g)  # log E = -G
    np.subtract(z, g, out=z)  # z + G; -inf (excluded) stays -inf
    idx = z.argmax(axis=-1)
    return int(idx) if idx.ndim == 0 else idx


# ---------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    case: str
    floor: Timing | None
    ours: Timing
    scipy: Timing | None
    target: str
    met: bool | None

    def ratio(self) -> str:
        if self.floor is None:
            return "-"
        return f"{self.ours.best / self.floor.best:.2f}x"

    def speedup(self) -> str:
        if self.scipy is None:
            return "-"
        return f"{self.scipy.best / self.ours.best:.1f}x"


def machine() -> str:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({model}), python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}"
    )


def batched_cases(shape: tuple[int, int], repeat: int, budget: float) -> list[Row]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    rows = []
    target = {10: 3.0, 50257: 2.5}.get(shape[1])  # --quick has 16 rows of 50257, not 256
    for name, ours, ref in (
        ("softmax", br.softmax, scipy.special.softmax),
        ("log_softmax", br.log_softmax, scipy.special.log_softmax),
        ("logsumexp", br.logsumexp, scipy.special.logsumexp),
    ):
        t = measure(
            {
                "floor": lambda: np.exp(x),
                "ours": lambda ours=ours: ours(x),
                "scipy": lambda ref=ref: ref(x, axis=-1),
            },
            repeat,
            budget,
        )
        if name == "softmax" and target is not None:
            met: bool | None = t["ours"].best <= target * t["floor"].best
            label = f"<= {target:g}x floor"
        else:
            met, label = None, "record"
        rows.append(Row(f"{name} {shape}", t["floor"], t["ours"], t["scipy"], label, met))
    if shape == (2000, 10):
        wide = x * 20.0  # a span of ~170 temperatures: the general path, one shift per row
        t = measure(
            {
                "floor": lambda: np.exp(wide),
                "ours": lambda: br.softmax(wide),
                "scipy": lambda: scipy.special.softmax(wide, axis=-1),
            },
            repeat,
            budget,
        )
        rows.append(
            Row(f"softmax {shape}, logits x20", t["floor"], t["ours"], t["scipy"], "record", None)
        )
    return rows


def single_row_cases(repeat: int, budget: float) -> list[Row]:
    rng = np.random.default_rng(0)
    rows = []
    for k in (4, 10, 18):
        x = rng.standard_normal(k)
        for kind, arg in (("array", x), ("list", x.tolist())):
            t = measure(
                {
                    "floor": lambda arg=arg: np.exp(arg),
                    "ours": lambda arg=arg: br.softmax(arg),
                    "scipy": lambda arg=arg: scipy.special.softmax(arg),
                },
                repeat,
                budget,
            )
            met = t["scipy"].best >= 5.0 * t["ours"].best
            rows.append(
                Row(
                    f"softmax one row of {k} ({kind})",
                    t["floor"],
                    t["ours"],
                    t["scipy"],
                    ">= 5x faster than scipy",
                    met,
                )
            )
    return rows


def sampling_cases(repeat: int, budget: float) -> list[tuple[str, Timing, Timing]]:
    rng = np.random.default_rng(0)
    gen = np.random.default_rng(1)
    out = []
    inputs: list[tuple[str, Any]] = [("(2000, 10)", rng.standard_normal((2000, 10)))]
    for k in (4, 18):
        inputs.append((f"one row of {k} (array)", rng.standard_normal(k)))
    for label, x in inputs:
        t = measure(
            {
                "inverse": lambda x=x: br.softmax_sample(x, gen),
                "gumbel": lambda x=x: gumbel_sample(x, gen),
            },
            repeat,
            budget,
        )
        out.append((label, t["inverse"], t["gumbel"]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument(
        "--repeat", type=int, default=31, help="rounds of timings per function (default 31)"
    )
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else args.repeat
    budget = 0.0005 if args.quick else 0.002
    big = (16, 50257) if args.quick else (256, 50257)

    print(f"machine: {machine()}")
    print(
        f"command: python benchmarks/bench_core.py{' --quick' if args.quick else ''} "
        f"--repeat {repeat}"
    )
    print("times per call: best of the rounds (median); ratios use the best times\n")
    rows = batched_cases((2000, 10), repeat, budget)
    rows += batched_cases(big, repeat, budget)
    rows += single_row_cases(repeat, budget)
    print("| case | np.exp floor | ours | ours / floor | scipy | scipy / ours | target | met? |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        met = "-" if r.met is None else ("yes" if r.met else "NO")
        print(
            f"| {r.case} | {r.floor or '-'} | {r.ours} | {r.ratio()} | {r.scipy or '-'} | "
            f"{r.speedup()} | {r.target} | {met} |"
        )
    print()
    for r in rows:
        if r.met is not None:
            print(
                f"ratio {r.case}: {r.ratio()} the np.exp floor, {r.speedup()} faster than "
                f"scipy (target {r.target}): {'met' if r.met else 'NOT met'}"
            )
    print()
    for label, inverse, gumbel in sampling_cases(repeat, budget):
        faster = "inverse CDF" if inverse.best <= gumbel.best else "Gumbel-max"
        ratio = max(inverse.best, gumbel.best) / min(inverse.best, gumbel.best)
        print(
            f"ratio sampling {label}: inverse CDF {inverse}, Gumbel-max {gumbel}: "
            f"{faster} is {ratio:.2f}x faster"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
