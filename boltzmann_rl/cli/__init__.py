"""The ``boltzmann-rl`` command line (also ``python -m boltzmann_rl``).

Each subcommand is a thin layer over the library: it parses arguments, calls the
library, and prints or writes what the library returns. A subcommand lives in its
own module of this package with a ``register(subparsers)`` function, listed in
``_COMMANDS``; the library never imports the command line.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

import numpy as np

from boltzmann_rl._version import __version__
from boltzmann_rl.core import softmax

# Modules of this package that add a subcommand, in the order --help lists them.
_COMMANDS: tuple[str, ...] = ("bandit", "gym", "run", "plot", "export", "list")


def _parse_floats(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected at least one number, got {text!r}")
    return values


def _cmd_demo(args: argparse.Namespace) -> int:
    q = np.asarray(args.values, dtype=float)
    temps = args.temperatures
    width = max(8, *(len(f"{v:g}") + 4 for v in q))
    header = "T".rjust(10) + "".join(f"q={v:g}".rjust(width) for v in q)
    print(header)
    for t in temps:
        p = softmax(q, temperature=t)
        print(f"{t:>10g}" + "".join(f"{v:{width}.4f}" for v in p))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``boltzmann-rl`` command.

    Examples
    --------
    >>> parser = build_parser()
    >>> parser.parse_args(["demo"]).command
    'demo'
    """
    parser = argparse.ArgumentParser(
        prog="boltzmann-rl",
        description="Boltzmann (softmax) action selection for reinforcement learning.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="print softmax probabilities of some action values across temperatures",
        description="Show how the temperature moves a Boltzmann policy from argmax "
        "(T=0) to uniform (T=inf) for one vector of action values.",
    )
    demo.add_argument(
        "--values",
        type=_parse_floats,
        default=[1.0, 2.0, 3.0, 3.5],
        help="comma-separated action values (default: 1,2,3,3.5)",
    )
    demo.add_argument(
        "--temperatures",
        type=_parse_floats,
        default=[0.0, 0.1, 0.5, 1.0, 2.0, 10.0, float("inf")],
        help="comma-separated temperatures >= 0, inf allowed (default: 0,0.1,0.5,1,2,10,inf)",
    )
    demo.set_defaults(func=_cmd_demo)
    for name in _COMMANDS:
        module = importlib.import_module(f"boltzmann_rl.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Examples
    --------
    >>> main(["demo", "--values", "0,1", "--temperatures", "0,inf"])
             T     q=0     q=1
             0  0.0000  1.0000
           inf  0.5000  0.5000
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except (ValueError, TypeError) as exc:
        print(f"boltzmann-rl: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a reader that stopped (| head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
