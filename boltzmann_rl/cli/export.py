"""``boltzmann-rl export DIR --format csv|json``: tidy tables out of the results store."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``export`` subcommand.

    Examples
    --------
    >>> import argparse
    >>> from boltzmann_rl.cli import export
    >>> export.register(argparse.ArgumentParser().add_subparsers())
    """
    from boltzmann_rl.sweep.export import EXPORT_FORMATS

    p = subparsers.add_parser(
        "export",
        help="write the results of a folder as tidy CSV or JSON tables",
        description="Write cells.<format> (one row per setting: a numeric column per "
        "parameter such as temperature, epsilon or c, empty where it does not apply, then "
        "its summaries with their 95%% CI half-widths), seeds.<format> (gym studies: one "
        "row per setting and training seed) and curves.<format> (one row per cell, curve "
        "and step or episode, including the greedy evaluation curve of gym studies) from "
        "the store in DIR. Fractions (final_optimal, the optimal curve) stay in [0, 1]. "
        "From Python, SweepResults.to_frame() gives the same tables as pandas DataFrames.",
    )
    p.add_argument("dir", help="an output folder of `boltzmann-rl run` (holds store.sqlite)")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="csv", help="default: csv")
    p.add_argument("--to", help="where to write the tables (default: DIR/export)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=_cmd_export)


def _cmd_export(args: argparse.Namespace) -> int:
    from boltzmann_rl.sweep.export import export_store

    paths = export_store(args.dir, args.format, args.to)
    if not args.quiet:
        for p in paths:
            print(p)
    return 0
