"""``boltzmann-rl plot DIR``: redraw the figures and report.md from the store, no rerun."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``plot`` subcommand.

    Examples
    --------
    >>> import argparse
    >>> from boltzmann_rl.cli import plot
    >>> plot.register(argparse.ArgumentParser().add_subparsers())
    """
    p = subparsers.add_parser(
        "plot",
        help="redraw the figures and report.md of a results folder",
        description="Read the results store in DIR and write report.md and figures/*.png|svg "
        "again, without running anything.",
    )
    p.add_argument("dir", help="an output folder of `boltzmann-rl run` (holds store.sqlite)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=_cmd_plot)


def _cmd_plot(args: argparse.Namespace) -> int:
    from boltzmann_rl.sweep.report import load_results, write_report
    from boltzmann_rl.sweep.store import Store

    with Store(args.dir, readonly=True) as store:
        results = load_results(store)
        report = write_report(args.dir, results)
    if not args.quiet:
        print(f"wrote {report} and figures in {report.parent / 'figures'}")
    return 0
