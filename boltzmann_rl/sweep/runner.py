"""Run a study: plan batches of the cells not yet in the store, run them, commit each one.

The run loop:

1. the backend is checked (a missing Ray is reported before anything starts);
2. the store in the output folder is opened and locked (a second concurrent run
   refuses with :class:`~boltzmann_rl.sweep.store.StoreLocked`);
3. the cells already finished (or failed) are skipped; the others are grouped into
   batches (cells of one problem and budget share a vectorized simulation, each
   with its own seed), at least two batches per worker so that the work spreads
   evenly; a cell whose task splits it into parts (the training seeds of a per-env
   gym cell, DQN's above all) is instead one batch per part not yet stored;
4. each batch runs on the backend; each of its cells is committed in its own
   transaction as soon as the batch returns, and so is each part: when the last
   part of a cell is in, the task combines the parts into the cell's result, which
   is committed as the cell (the same numbers as the cell run whole);
5. the report and figures are written from the store.

A cell that raises while it runs (``normalize`` meeting a negative estimate raises
``ValueError``) does not stop the study: its batch is run again cell by cell, the
cell is recorded in the store as failed with its error message, the report shows
``failed: <message>``, and the other cells finish. A failed cell is not retried by
later runs (a cell's result is a function of its parameters, so it would fail
again), unless ``retry_failed=True``.

A part that raises fails its cell the same way, with the part's message (the
lowest part's, if several fail); the parts that finished stay stored and a retry
reruns only the others.

Stopping a run (Ctrl-C, SIGTERM through the command line, ``kill -9``) loses only the
batches in flight (for a cell in parts: the parts in flight); running
the same study again finishes the rest, and the results are identical to an
uninterrupted run because a cell's random numbers come only from its id.

Progress counts cells, or parts (``seeds``) in a study whose cells split.

Examples
--------
>>> from boltzmann_rl.sweep.runner import plan_batches
>>> from boltzmann_rl.sweep.cells import Cell
>>> cells = [Cell("bandit", "gaussian", {}, "action_value", {}, f"egreedy(epsilon={e})",
...               {"runs": 10, "steps": 10}) for e in (0.1, 0.2, 0.3, 0.4, 0.5)]
>>> [len(b) for b in plan_batches(cells, workers=2)]
[2, 1, 1, 1]
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boltzmann_rl._progress import Progress
from boltzmann_rl.sweep import tasks
from boltzmann_rl.sweep.backends import make_backend
from boltzmann_rl.sweep.cells import Cell
from boltzmann_rl.sweep.config import Study
from boltzmann_rl.sweep.store import Store, code_version

__all__ = ["RunResult", "default_out", "plan_batches", "run_study"]

BATCHES_PER_WORKER = 2


def default_out(study: Study) -> Path:
    """The default output folder of a study: ``results/<study name>``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from boltzmann_rl.sweep.runner import default_out
    >>> default_out(SimpleNamespace(name="temperature_sweep")).as_posix()
    'results/temperature_sweep'
    """
    return Path("results") / study.name


def plan_batches(cells: Sequence[Cell], workers: int = 1) -> list[list[Cell]]:
    """Group cells into batches: the units of work sent to a worker.

    Cells that share a problem and a budget (:attr:`Cell.batch_key`) and whose
    task can vectorize them are split round-robin into
    ``max(BATCHES_PER_WORKER * workers, ceil(n / max_batch))`` batches of nearly
    equal size; other cells are batches of one. Which batch a cell lands in never
    changes its result.

    Parameters
    ----------
    cells : sequence of Cell
    workers : int, default 1

    Returns
    -------
    list of list of Cell
        Larger batches first (they are started first).

    Examples
    --------
    >>> from boltzmann_rl.sweep.runner import plan_batches
    >>> plan_batches([], workers=4)
    []
    """
    groups: dict[str, list[Cell]] = {}
    for c in cells:
        groups.setdefault(c.batch_key, []).append(c)
    batches: list[list[Cell]] = []
    for group in groups.values():
        task = tasks.TASKS[group[0].kind]
        limit = task.max_batch(group[0])
        if limit <= 1:
            batches.extend([c] for c in group)
            continue
        n = max(BATCHES_PER_WORKER * workers, math.ceil(len(group) / limit))
        n = min(n, len(group))
        batches.extend([group[i::n] for i in range(n)])
    batches.sort(key=len, reverse=True)
    return batches


def _commit_parts(store: Store, task: tasks.Task, cell: Cell, version: str) -> None:
    """Combine the stored parts of ``cell`` into its result and commit it as the cell.

    Its time is the sum of its parts' times, its start the earliest, its worker the
    workers of its parts (comma-separated).
    """
    assert task.parts is not None  # only cells of a task with parts have parts
    stored = store.parts(cell.id)
    timing = {
        "wall_time": sum(p["wall_time"] for p in stored),
        "started_at": min(p["started_at"] for p in stored),
        "worker": ",".join(dict.fromkeys(p["worker"] for p in stored)),
    }
    try:
        res = task.parts.combine(cell, [p["arrays"] for p in stored])
    except Exception as exc:
        store.add_failure(cell, tasks.error_text(exc), code=version, **timing)
        return
    store.add_result(
        cell,
        res["summary"],
        res["arrays"],
        batch_size=1,
        batch_wall_time=timing["wall_time"],
        code=version,
        **timing,
    )


@dataclass
class RunResult:
    """What a run did.

    Attributes
    ----------
    out : Path
        The output folder.
    total, skipped, ran : int
        Cells in the study, found finished in the store, computed now.
    wall_time : float
        Seconds from start to finish, report and figures included.
    backend : str
    workers : int
    compute_time : float
        Seconds spent running cells (from the first batch sent to the last committed).
    failed : int
        Cells of the study recorded as failed (in this run or an earlier one).
    report : Path or None
        The ``report.md`` written (None with ``report=False``).
    summary : list of dict
        The best setting of each family (see :func:`boltzmann_rl.sweep.report.best_rows`).

    Examples
    --------
    >>> from pathlib import Path
    >>> from boltzmann_rl.sweep.runner import RunResult
    >>> RunResult(Path("x"), 3, 1, 2, 0.5, "serial", 1).ran
    2
    """

    out: Path
    total: int
    skipped: int
    ran: int
    wall_time: float
    backend: str
    workers: int
    compute_time: float = 0.0
    failed: int = 0
    report: Path | None = None
    summary: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (what ``--json`` prints)."""
        return {
            "out": str(self.out),
            "cells": self.total,
            "skipped": self.skipped,
            "ran": self.ran,
            "failed": self.failed,
            "wall_time": self.wall_time,
            "compute_time": self.compute_time,
            "backend": self.backend,
            "workers": self.workers,
            "report": None if self.report is None else str(self.report),
            "summary": self.summary,
        }


def run_study(
    study: Study,
    out: str | Path | None = None,
    *,
    backend: str = "process",
    workers: int | None = None,
    ray_address: str | None = None,
    progress: Progress | None = None,
    report: bool = True,
    figures: bool = True,
    argv: list[str] | None = None,
    retry_failed: bool = False,
) -> RunResult:
    """Run every cell of ``study`` not yet in the store of ``out``; write the report.

    Parameters
    ----------
    study : Study
        From :func:`~boltzmann_rl.sweep.config.load_study`.
    out : str or Path, optional
        The output folder; default ``results/<study name>``.
    backend : {"serial", "process", "ray"}, default "process"
    workers : int, optional
        Worker processes or Ray tasks in flight; default all CPUs.
    ray_address : str, optional
        A Ray cluster to connect to (``ray`` only).
    progress : Progress, optional
        Default: quiet.
    report, figures : bool, default True
        Write ``report.md`` and the figures after the run.
    argv : list of str, optional
        Recorded with the run (default ``sys.argv``).
    retry_failed : bool, default False
        Run again the cells recorded as failed (after fixing what made them fail);
        by default they are skipped like finished ones.

    Returns
    -------
    RunResult

    Raises
    ------
    ValueError
        Bad backend options.
    RayNotInstalled
        ``backend="ray"`` without Ray.
    StoreLocked
        Another run is writing to ``out``.
    OtherStudy
        ``out`` holds the results of a different study.
    OSError
        ``out`` cannot be created or written (a
        :class:`~boltzmann_rl.sweep.store.StoreWriteError` for a full disk): the cells
        committed before it stay, and a later run resumes from them.
    KeyboardInterrupt
        Passed on after the run is recorded as interrupted (finished cells stay).

    Examples
    --------
    >>> import tempfile
    >>> from boltzmann_rl.sweep.config import loads_study
    >>> from boltzmann_rl.sweep.runner import run_study
    >>> study = loads_study('''
    ... study = { name = "tiny" }
    ... problem = { type = "bandit", env = "gaussian" }
    ... budget = { runs = 10, steps = 20 }
    ... [[family]]
    ... name = "Boltzmann"
    ... policy = "boltzmann(temperature={T})"
    ... grid = { T = [0.1, 1] }
    ... ''')
    >>> with tempfile.TemporaryDirectory() as out:
    ...     first = run_study(study, out, backend="serial", figures=False)
    ...     again = run_study(study, out, backend="serial", figures=False)  # resumes: all done
    >>> (first.ran, first.skipped), (again.ran, again.skipped)
    ((2, 0), (0, 2))
    >>> [(row["family"], row["setting"], row["metric"]) for row in first.summary]
    [('Boltzmann', 'T=0.1', 'mean_reward')]
    """
    t_start = time.perf_counter()
    engine = make_backend(backend, workers, ray_address)
    engine.check()
    out_path = Path(out) if out is not None else default_out(study)
    progress = progress if progress is not None else Progress("run", "cells", mode="quiet")
    cells = list(study.cells)
    task = tasks.TASKS[study.kind]
    store = Store(out_path, lock=True)
    try:
        store.record_study(study.name, study.source, study.text, study.to_dict())
        done = store.done_ids()
        if not retry_failed:
            done |= set(store.failures())
        todo = [c for c in cells if c.id not in done]
        # a cell in parts runs as one batch per part not yet stored
        counts = {c.id: task.part_count(c) for c in cells}
        stored = store.part_indices()
        whole = [c for c in todo if counts[c.id] == 1]
        parts = [
            (c, i)
            for c in todo
            if counts[c.id] > 1
            for i in range(counts[c.id])
            if i not in stored.get(c.id, ())
        ]
        # With nothing to run, start nothing (parallelism() would start a local Ray).
        nworkers = engine.parallelism() if whole or parts else (engine.workers or 1)
        # a batch: its cells, and the part of its one cell it runs (None: whole cells)
        batches: list[tuple[list[Cell], int | None]] = [
            (b, None) for b in plan_batches(whole, nworkers)
        ]
        batches += [([c], i) for c, i in parts]
        payloads = [tasks.batch_payload(b, part) for b, part in batches]
        missing = Counter(c.id for c, _ in parts)
        store.begin_run(backend, nworkers, argv)
        version = code_version()
        units = sum(counts.values())
        unit = task.parts.unit if task.parts is not None and units > len(cells) else "cells"
        progress.start(total=units, done=units - len(whole) - len(parts), unit=unit)
        status = "failed"
        t_compute = time.perf_counter()
        failed_part: dict[str, int] = {}  # the lowest part of a cell that failed in this run
        try:
            for c in todo:  # every part stored already (a run stopped before its commit)
                if counts[c.id] > 1 and c.id not in missing:
                    _commit_parts(store, task, c, version)
            for i, results in engine.run(
                tasks.execute_batch,
                payloads,
                on_start=lambda i: progress.running(len(batches[i][0])),
            ):
                batch, part = batches[i]
                for cell, res in zip(batch, results, strict=True):
                    if res["cell_id"] != cell.id:  # pragma: no cover - a broken worker
                        raise RuntimeError(f"worker returned {res['cell_id']} for {cell.id}")
                    if "error" in res:
                        if part is not None:
                            if part > failed_part.get(cell.id, part):
                                continue  # the cell's lowest failing part names its error
                            failed_part[cell.id] = part
                        store.add_failure(
                            cell,
                            res["error"],
                            wall_time=res["wall_time"],
                            started_at=res["started_at"],
                            worker=res["worker"],
                            code=version,
                        )
                    elif part is None:
                        store.add_result(
                            cell,
                            res["summary"],
                            res["arrays"],
                            wall_time=res["wall_time"],
                            started_at=res["started_at"],
                            batch_size=res["batch_size"],
                            batch_wall_time=res["batch_wall_time"],
                            worker=res["worker"],
                            code=version,
                        )
                    else:
                        store.add_part(
                            cell,
                            part,
                            res["arrays"],
                            wall_time=res["wall_time"],
                            started_at=res["started_at"],
                            worker=res["worker"],
                        )
                        missing[cell.id] -= 1
                        if missing[cell.id] == 0 and cell.id not in failed_part:
                            _commit_parts(store, task, cell, version)
                progress.finished(len(results))
            status = "finished"
            compute_time = time.perf_counter() - t_compute
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            progress.close()
            try:
                store.end_run(status)
            except OSError:
                # the disk that stopped a cell's commit may refuse this row too: the
                # run stays "running" in the store, its finished cells are intact
                if status != "failed":
                    raise
        result = RunResult(
            out=out_path,
            total=len(cells),
            skipped=len(cells) - len(todo),
            ran=len(todo),
            wall_time=0.0,
            backend=backend,
            workers=nworkers,
            compute_time=compute_time,
            failed=len({c.id for c in cells} & set(store.failures())),
        )
        from boltzmann_rl.sweep import report as report_mod

        results_view = report_mod.load_results(store, study.to_dict())
        result.summary = report_mod.best_rows(results_view)
        if report:
            result.report = report_mod.write_report(out_path, results_view, figures=figures)
    finally:
        store.close()
    result.wall_time = time.perf_counter() - t_start
    return result
