"""``boltzmann-rl run FILE``: run a study, resuming from the store in its output folder."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from boltzmann_rl.cli._types import positive_int

_EPILOG = """\
Results go to --out (default results/<study name>/): store.sqlite, report.md and
figures/. Running the same file again resumes: finished cells are skipped. Exit
codes: 0 done, 2 invalid study or options, 3 another run holds the store, 130
interrupted (finished cells are kept).
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
        "write report.md and the figures.",
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
    from boltzmann_rl.sweep.backends import RayNotInstalled
    from boltzmann_rl.sweep.config import load_study
    from boltzmann_rl.sweep.report import format_table
    from boltzmann_rl.sweep.runner import default_out, run_study
    from boltzmann_rl.sweep.store import StoreLocked

    study = load_study(args.file)
    out = args.out if args.out is not None else default_out(study)
    quiet = args.quiet or args.json
    progress = Progress("run", "cells", sys.stderr, mode="quiet" if quiet else "auto")
    try:
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
    except KeyboardInterrupt:
        print(
            f"\nboltzmann-rl: interrupted; finished cells are saved in {out}. "
            "Run the same command again to resume.",
            file=sys.stderr,
        )
        return 130
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
