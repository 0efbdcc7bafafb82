"""``boltzmann-rl run FILE``: run a study, resuming from the store in its output folder."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

from boltzmann_rl.cli._types import output_folder, positive_int

_EPILOG = """\
Results go to --out (default results/<study name>/): store.sqlite, report.md and
figures/. Running the same file again resumes: finished cells are skipped. A folder
holds one study (same name, problem, budget and seed; grids may grow). While the
study runs, stdout is sent to stderr, so stdout holds only the final table or, with
--json, the JSON, whatever the backend prints.

exit codes:
  0    done
  2    invalid study or options, too many cells (--max-cells), too large for memory,
       or the folder holds another study
  3    another run holds the store
  4    a path cannot be written (a file, read-only, no permission, disk full);
       finished cells are kept: run again to resume
  130  interrupted by Ctrl-C, 143 terminated by SIGTERM (cells in flight dropped,
       finished cells kept, the run recorded as interrupted)
"""


def register(subparsers: Any) -> None:
    """Add the ``run`` subcommand.

    Examples
    --------
    >>> import argparse
    >>> from boltzmann_rl.cli import run
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> run.register(sub)
    """
    from boltzmann_rl.sweep.backends import BACKENDS

    p = subparsers.add_parser(
        "run",
        help="run a study file (TOML) on all cores, resumable",
        description="Run every cell of a study file not yet in the results store, then "
        "write report.md and the figures. The study file format (every section and "
        "key, its type and default, every agent and grid form, complete examples) is "
        "documented in docs/studies.md; `boltzmann-rl list` shows the environments, "
        "agents, policies and schedules with their defaults.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="the study file, e.g. experiments/temperature_sweep.toml")
    p.add_argument("--out", help="output folder (default: results/<study name>)")
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="process",
        help="where cells run: serial, process (default: one process per core) or ray",
    )
    p.add_argument(
        "--workers", type=positive_int, help="worker processes or Ray tasks (default: all CPUs)"
    )
    p.add_argument("--ray-address", help="connect to this Ray cluster (default: a local Ray)")
    p.add_argument(
        "--max-cells",
        type=positive_int,
        help="refuse a study of more cells than this (default: its [study] max_cells, else 100000)",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="run again the cells recorded as failed (by default they are skipped)",
    )
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from boltzmann_rl._progress import Progress
    from boltzmann_rl.cli import interrupted_code
    from boltzmann_rl.sweep.backends import RayNotInstalled
    from boltzmann_rl.sweep.config import load_study
    from boltzmann_rl.sweep.report import format_table
    from boltzmann_rl.sweep.runner import default_out, run_study
    from boltzmann_rl.sweep.store import StoreLocked

    study = load_study(args.file, max_cells=args.max_cells)
    # the store creates the folder, after the backend is checked
    out = output_folder(args.out or default_out(study), create=False)
    quiet = args.quiet or args.json
    progress = Progress("run", "cells", sys.stderr, mode="quiet" if quiet else "auto")
    try:
        with _stdout_to_stderr():
            result = run_study(
                study,
                out,
                backend=args.backend,
                workers=args.workers,
                ray_address=args.ray_address,
                progress=progress,
                figures=not args.no_figures,
                retry_failed=args.retry_failed,
            )
    except RayNotInstalled as exc:
        print(f"boltzmann-rl: error: {exc}", file=sys.stderr)
        return 2
    except StoreLocked as exc:
        print(f"boltzmann-rl: error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt as exc:
        code = interrupted_code(exc)
        print(
            f"\nboltzmann-rl: {'terminated' if code == 143 else 'interrupted'}; finished "
            f"cells are saved in {out}. Run the same command again to resume.",
            file=sys.stderr,
        )
        return code
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False, default=str))
    elif not args.quiet:
        extra = tuple(k for k in ("final_optimal", "regret") if k != study.metric)
        extra = extra if study.kind == "bandit" else ()
        print(format_table(result.summary, extra))
        print(
            f"\n{result.ran} cells run, {result.skipped} already done, "
            f"{result.wall_time:.1f} s ({result.backend}, {result.workers} "
            f"worker{'s' if result.workers != 1 else ''}); "
            f"report: {result.report}"
        )
        if result.failed:
            print(
                f"{result.failed} cell{'s' if result.failed != 1 else ''} failed (their errors "
                "are in the report); --retry-failed runs them again"
            )
    return 0


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send this process's stdout (file descriptor 1 and ``sys.stdout``) to stderr.

    Backends and their subprocesses (Ray's raylet and workers inherit the descriptor)
    may print log lines; during the run they land on stderr, so stdout holds only
    what the command prints at the end.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no file descriptors (an embedded interpreter)
        saved = None
    previous = sys.stdout
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = previous
        if saved is not None:
            sys.stderr.flush()
            os.dup2(saved, 1)
            os.close(saved)
