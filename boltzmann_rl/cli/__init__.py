"""The ``boltzmann-rl`` command line (also ``python -m boltzmann_rl``).

Each subcommand is a thin layer over the library: it parses arguments, calls the
library, and prints or writes what the library returns. A subcommand lives in its
own module of this package with a ``register(subparsers)`` function, listed in
``_COMMANDS``; the library never imports the command line.

Every error ends in one line on stderr, ``boltzmann-rl: error: ...``, and an exit
code from :data:`EXIT_CODES` (also in ``--help``); never a traceback. SIGTERM (what
``timeout``, batch schedulers and container stops send) is handled like Ctrl-C: a
study run drops the cells in flight, records the run as interrupted, keeps every
finished cell, and exits with 143.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import signal
import sqlite3
import sys
import textwrap
import threading
from collections.abc import Iterator, Sequence

import numpy as np

from boltzmann_rl._version import __version__
from boltzmann_rl.core import softmax

# Modules of this package that add a subcommand, in the order --help lists them.
_COMMANDS: tuple[str, ...] = ("bandit", "gym", "run", "plot", "export", "list")

EXIT_CODES: dict[int, str] = {
    0: "done",
    2: "invalid input: options, a study file, a value out of range, work too large for "
    "the memory limit or the cell limit, a folder holding another study",
    3: "another run holds the results store of --out",
    4: "a file or folder cannot be read or written (a file where a folder should be, "
    "a read-only filesystem, no permission, a full disk); finished cells are kept",
    130: "interrupted by Ctrl-C (SIGINT); finished cells are kept",
    141: "the output pipe was closed (| head)",
    143: "terminated by SIGTERM; finished cells are kept",
}
"""The exit codes of ``boltzmann-rl``, as listed in ``--help`` and the README."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: raised in the main thread, handled wherever Ctrl-C is.

    Examples
    --------
    >>> issubclass(Terminated, KeyboardInterrupt)
    True
    """


_signals = {"terminated": False}  # set by the SIGTERM handler of this process


def interrupted_code(exc: BaseException | None = None) -> int:
    """The exit code of an interruption: 143 after SIGTERM, 130 for Ctrl-C.

    SIGTERM is recognised by the exception or by the handler having run (code that
    catches the interruption and raises a plain ``KeyboardInterrupt``, or returns
    partial results, loses the exception's type).

    Examples
    --------
    >>> interrupted_code(Terminated()), interrupted_code(KeyboardInterrupt())
    (143, 130)
    """
    return 143 if isinstance(exc, Terminated) or _signals["terminated"] else 130


def _raise_terminated(signum: int, frame: object) -> None:
    _signals["terminated"] = True
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while the command runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    _signals["terminated"] = False
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


_OS_HINTS = {
    errno.EEXIST: "choose a folder, or a path that does not exist yet",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EROFS: "the filesystem is read-only: choose a folder elsewhere",
    errno.EACCES: "no permission: choose a folder you can write",
    errno.EPERM: "no permission: choose a folder you can write",
    errno.ENOSPC: "free some space and run the same command again; finished cells are kept",
    errno.EDQUOT: "over the disk quota: free some space and run the same command again",
}


def os_error_message(exc: OSError) -> str:
    """One line naming the path and the cause of an OS error, with what to do.

    Examples
    --------
    >>> os_error_message(FileExistsError(17, "exists and is not a folder", "out"))
    'out: exists and is not a folder (choose a folder, or a path that does not exist yet)'
    >>> print(os_error_message(OSError(28, "No space left on device", "out/a.png")))
    out/a.png: No space left on device (free some space and run the same command again; ...)
    """
    cause = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is not None:
        where = os.fsdecode(exc.filename)
        if exc.filename2 is not None:
            where += f" -> {os.fsdecode(exc.filename2)}"
        text = f"{where}: {cause}"
    else:
        text = cause
    hint = _OS_HINTS.get(exc.errno or 0)
    return f"{text} ({hint})" if hint else text


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
        epilog="exit codes:\n"
        + "\n".join(
            textwrap.fill(text, 88, initial_indent=f"  {code:>3}  ", subsequent_indent=" " * 7)
            for code, text in EXIT_CODES.items()
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        with _sigterm_as_interrupt():
            return args.func(args)
    except BrokenPipeError:  # output piped into a reader that stopped (| head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except (ValueError, TypeError, OverflowError) as exc:
        return _error(str(exc) or type(exc).__name__, 2)
    except OSError as exc:
        return _error(os_error_message(exc), 4)
    except sqlite3.Error as exc:  # a store error the store did not translate
        return _error(f"results store: {exc}", 4)
    except MemoryError:
        return _error("out of memory: ask for fewer runs, steps or states", 4)
    except KeyboardInterrupt as exc:
        code = interrupted_code(exc)
        print(f"\nboltzmann-rl: {'terminated' if code == 143 else 'interrupted'}", file=sys.stderr)
        return code


def _error(message: str, code: int) -> int:
    # one line: a message with newlines (a TOML error's context) is joined
    print("boltzmann-rl: error: " + " ".join(message.split("\n")), file=sys.stderr)
    return code
