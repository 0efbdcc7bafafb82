"""Benchmark: the main job's sweep on ``process`` (2 workers) against ``serial``, in one run.

Run from the repository root::

    python benchmarks/bench_sweep.py                 # the figures in benchmarks/README.md
    python benchmarks/bench_sweep.py --repeats 1     # once each
    python benchmarks/bench_sweep.py --study experiments/textbook_fig2_6.toml
    python benchmarks/bench_sweep.py --quick         # a smoke test: 100 runs x 100 steps

What is timed (each into a fresh temporary output folder, so nothing is resumed):

* **serial** and **process, 2 workers**: :func:`boltzmann_rl.sweep.runner.run_study` on
  the study (default ``experiments/temperature_sweep.toml``: 35 settings x 2000 runs x
  1000 steps), report and figures off. ``compute`` is the time from the first batch sent
  to the last cell committed; ``wall`` adds loading the store and planning. The
  speedup is serial over process; the target is at least 1.7x on a 2-core machine.
  Every figure is the best of ``--repeats`` runs: other load on the machine inflates
  nothing but the spread.
* **main job on defaults**: ``boltzmann-rl run FILE`` as a user types it (process
  backend, all cores, report and figures), in a subprocess, interpreter start-up
  included. The target is under two minutes on a 2-core machine.

The script also checks that both backends stored identical results (summaries and
every per-step curve, bit for bit).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from boltzmann_rl.sweep.config import load_study, loads_study
from boltzmann_rl.sweep.runner import run_study
from boltzmann_rl.sweep.store import Store

ROOT = Path(__file__).resolve().parents[1]


def _results(out: Path) -> dict[str, tuple[dict, dict[str, np.ndarray]]]:
    with Store(out, readonly=True) as store:
        return {c["cell_id"]: (c["summary"], store.arrays(c["cell_id"])) for c in store.cells()}


def _same(a: Path, b: Path) -> bool:
    ra, rb = _results(a), _results(b)
    if ra.keys() != rb.keys():
        return False
    for cid, (summary, arrays) in ra.items():
        other_summary, other_arrays = rb[cid]
        if summary != other_summary or arrays.keys() != other_arrays.keys():
            return False
        if not all(np.array_equal(arrays[k], other_arrays[k], equal_nan=True) for k in arrays):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default=str(ROOT / "experiments" / "temperature_sweep.toml"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-defaults", action="store_true", help="skip the CLI run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--quick", action="store_true", help="100 runs x 100 steps, once each (a smoke test)"
    )
    args = parser.parse_args(argv)

    study = load_study(args.study)
    if args.quick:
        text = Path(args.study).read_text(encoding="utf-8")
        for key in ("runs", "steps"):
            if key in study.budget:
                text = re.sub(rf"(?m)^{key}\s*=\s*\d+", f"{key} = 100", text)
        study = loads_study(text, args.study)
        args.repeats = 1
    budget = ", ".join(f"{k}={v}" for k, v in study.budget.items())
    print(f"study: {args.study} ({len(study.cells)} cells, {budget}); cpus: {os.cpu_count()}")
    figures: dict[str, float | bool | int] = {"cells": len(study.cells)}
    with tempfile.TemporaryDirectory() as tmp:
        best: dict[str, tuple[float, float]] = {}
        outs = {}
        for r in range(args.repeats):
            for backend in ("serial", "process"):
                out = Path(tmp) / f"{backend}-{r}"
                workers = 1 if backend == "serial" else args.workers
                res = run_study(study, out, backend=backend, workers=workers, report=False)
                compute, wall = res.compute_time, res.wall_time
                print(
                    f"  {backend:8s} workers={workers}: "
                    f"compute {compute:6.2f} s, wall {wall:6.2f} s"
                )
                old = best.get(backend)
                if old is None or compute < old[0]:
                    best[backend] = (compute, wall)
                outs[backend] = out
        identical = _same(outs["serial"], outs["process"])
        speedup = best["serial"][0] / best["process"][0]
        speedup_wall = best["serial"][1] / best["process"][1]
        figures.update(
            serial_compute=best["serial"][0],
            serial_wall=best["serial"][1],
            process_compute=best["process"][0],
            process_wall=best["process"][1],
            workers=args.workers,
            speedup_compute=speedup,
            speedup_wall=speedup_wall,
            identical=identical,
        )
        print(
            f"speedup (process, {args.workers} workers, over serial): {speedup:.2f}x compute, "
            f"{speedup_wall:.2f}x wall; results identical: {identical}"
        )
        if not args.no_defaults and not args.quick:
            out = Path(tmp) / "defaults"
            cmd = [sys.executable, "-m", "boltzmann_rl", "run", args.study, "--out", str(out)]
            t0 = time.perf_counter()
            subprocess.run([*cmd, "--quiet"], check=True)
            elapsed = time.perf_counter() - t0
            figures["defaults_wall"] = elapsed
            print(f"main job on defaults (`boltzmann-rl run`, figures included): {elapsed:.1f} s")
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0 if figures["identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
