"""Argument types shared by the subcommands: each parses one word or says why not.

They raise :class:`argparse.ArgumentTypeError`, which argparse turns into a usage
error naming the option and the value.

>>> positive_int("3"), nonnegative_int("0"), finite_float("-1.5")
(3, 0, -1.5)
>>> positive_int("0")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: expected a positive integer, got '0'
"""

from __future__ import annotations

import argparse
import errno
import math
import os
from pathlib import Path

__all__ = ["finite_float", "nonnegative_int", "output_folder", "positive_int"]


def _integer(text: str, least: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1."""
    return _integer(text, 1, "a positive integer")


def nonnegative_int(text: str) -> int:
    """An integer >= 0."""
    return _integer(text, 0, "an integer >= 0")


def finite_float(text: str) -> float:
    """A finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def output_folder(path: str | os.PathLike[str], *, create: bool = True) -> Path:
    """Create the ``--out`` folder now, before any work, or raise the :class:`OSError`.

    With ``create=False`` only an existing path is checked (the caller creates the
    folder later, after its own checks).

    A path naming an existing file, a read-only filesystem or a folder without write
    permission fails here, with the path in the error, rather than after a long run
    whose results would then have nowhere to go.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     output_folder(pathlib.Path(d) / "new").is_dir()
    True
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     output_folder(f.name)
    Traceback (most recent call last):
    ...
    FileExistsError: [Errno 17] exists and is not a folder: '...'
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(errno.EEXIST, "exists and is not a folder", str(folder))
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    elif not folder.exists():
        return folder
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "the folder is not writable", str(folder))
    return folder
