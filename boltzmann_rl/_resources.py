"""Memory guard: refuse work that cannot fit before allocating it.

A simulation or a table whose arrays need more memory than the machine has would
either fail deep inside numpy with a traceback or be killed by the operating
system without a message. The entry points that allocate in proportion to their
arguments (the bandit simulation, a tabular agent's table, a study's cells)
estimate what they need first and call :func:`check_memory`, which raises
:class:`ResourceLimitError` naming the estimate and the limit.

The limit is the environment variable ``BOLTZMANN_RL_MEMORY_LIMIT`` when it is set
(plain bytes or a number with a unit: ``"500MB"``, ``"64GiB"``, ``"1.5T"``; decimal
units are powers of 1000, binary ones of 1024), else the memory the machine has
available now (``MemAvailable`` of ``/proc/meminfo`` on Linux, the physical memory
elsewhere). Set it to raise the limit on purpose (swap, a machine that frees
caches late) or to lower it for a shared machine.

Examples
--------
>>> from boltzmann_rl._resources import check_memory, ResourceLimitError
>>> check_memory(1024, "a small table", limit=2048)
>>> try:
...     check_memory(3 * 2**40, "the simulation", limit=23 * 2**30)
... except ResourceLimitError as exc:
...     print(exc)
the simulation needs about 3 TiB, more than the limit of 23 GiB
(set BOLTZMANN_RL_MEMORY_LIMIT to raise it)
"""

from __future__ import annotations

import math
import os
import re

__all__ = ["ResourceLimitError", "check_memory", "format_bytes", "memory_limit", "table_memory"]

ENV_VAR = "BOLTZMANN_RL_MEMORY_LIMIT"

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "p": 1000**5,
    "pb": 1000**5,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
    "pib": 1024**5,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d{1,3}))?\s*([a-zA-Z]*)\s*")


class ResourceLimitError(ValueError):
    """The work asked for needs more memory than the limit allows.

    A :class:`ValueError`, so callers that report bad arguments report it too.

    Examples
    --------
    >>> issubclass(ResourceLimitError, ValueError)
    True
    """


def format_bytes(nbytes: float) -> str:
    """Format a byte count with a binary unit and three significant digits.

    Parameters
    ----------
    nbytes : float
        A non-negative number of bytes.

    Returns
    -------
    str
        For example ``"2.91 TiB"``, ``"512 B"``.

    Examples
    --------
    >>> format_bytes(3.2e12), format_bytes(512), format_bytes(23.1 * 2**30)
    ('2.91 TiB', '512 B', '23.1 GiB')
    """
    try:
        value = float(nbytes)
    except OverflowError:
        # An estimate beyond any float (a 400-digit run count) is still refused.
        return "more than 1e308 B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            break
        value /= 1024
    if unit == "B":
        return f"{int(value)} B"
    return f"{value:.3g} {unit}"


def parse_size(text: str) -> int:
    """Read a memory size: plain bytes or a number with a unit (``500MB``, ``64GiB``).

    Parameters
    ----------
    text : str
        The size. Units (case-insensitive): B, K/KB, M/MB, G/GB, T/TB, P/PB (powers
        of 1000) and KiB, MiB, GiB, TiB, PiB (powers of 1024).

    Returns
    -------
    int
        The number of bytes (rounded down).

    Raises
    ------
    ValueError
        If the text is not a positive size.

    Examples
    --------
    >>> parse_size("64GiB"), parse_size("500MB"), parse_size("1024")
    (68719476736, 500000000, 1024)
    """
    match = _SIZE.fullmatch(text) if len(text) <= 64 else None
    unit = match.group(3).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise ValueError(
            f"{ENV_VAR} must be a size such as 500MB, 64GiB or a number of bytes; "
            f"actual value: {text!r}"
        )
    number = float(match.group(1) + (f"e{match.group(2)}" if match.group(2) else ""))
    nbytes = number * _UNITS[unit]
    if not math.isfinite(nbytes) or nbytes < 1:
        raise ValueError(f"{ENV_VAR} must be at least one byte; actual value: {text!r}")
    return int(nbytes)


def _available_memory() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        # No way to ask: do not refuse anything on an unknown platform.
        return 2**63 - 1


def memory_limit() -> int:
    """The memory, in bytes, that one allocation of the toolkit may ask for.

    ``BOLTZMANN_RL_MEMORY_LIMIT`` when set, else the memory available now.

    Returns
    -------
    int
        The limit in bytes.

    Raises
    ------
    ValueError
        If ``BOLTZMANN_RL_MEMORY_LIMIT`` is set but is not a size.

    Examples
    --------
    >>> import os
    >>> os.environ["BOLTZMANN_RL_MEMORY_LIMIT"] = "2GiB"
    >>> memory_limit()
    2147483648
    >>> del os.environ["BOLTZMANN_RL_MEMORY_LIMIT"]
    >>> memory_limit() > 0
    True
    """
    text = os.environ.get(ENV_VAR)
    if text is not None and text.strip():
        return parse_size(text)
    return _available_memory()


def check_memory(nbytes: int, what: str, *, limit: int | None = None) -> None:
    """Refuse work whose estimated memory exceeds the limit.

    Parameters
    ----------
    nbytes : int
        The estimated number of bytes the work needs (arbitrarily large Python
        integers are fine: the estimate itself never overflows).
    what : str
        What needs it, the start of the message ("the simulation", "the Q table
        of 1000000000 states x 4 actions").
    limit : int, optional
        The limit in bytes; :func:`memory_limit` when omitted.

    Raises
    ------
    ResourceLimitError
        If ``nbytes > limit``, with the estimate and the limit in the message.

    Examples
    --------
    >>> check_memory(10, "ten bytes", limit=10)
    >>> check_memory(11, "eleven bytes", limit=10)
    Traceback (most recent call last):
    ...
    boltzmann_rl._resources.ResourceLimitError: eleven bytes needs about 11 B, more than ...
    """
    if limit is None:
        limit = memory_limit()
    if nbytes > limit:
        raise ResourceLimitError(
            f"{what} needs about {format_bytes(nbytes)}, more than the limit of "
            f"{format_bytes(limit)} (set {ENV_VAR} to raise it)"
        )


def table_memory(n_rows: int, n_actions: int, what: str = "Q table") -> None:
    """Refuse a tabular agent's table that cannot fit, before allocating it.

    A table of ``n_rows`` states (or tile features) by ``n_actions`` holds a float64
    value and an integer count per entry, and a visit count per row: about
    ``n_rows * (16 * n_actions + 64)`` bytes.

    Raises
    ------
    ResourceLimitError
        Naming the table's shape, the estimate and the limit.

    Examples
    --------
    >>> table_memory(100, 4)
    >>> table_memory(10**12, 4)
    Traceback (most recent call last):
    ...
    boltzmann_rl._resources.ResourceLimitError: the Q table of 1000000000000 states x 4 actions ...
    """
    rows = "states" if what == "Q table" else "rows"
    check_memory(
        n_rows * (16 * n_actions + 64), f"the {what} of {n_rows} {rows} x {n_actions} actions"
    )
