"""The argument checks of the toolkit: a number in, the number out, or one clear error.

Every check takes the value, its parameter ``name`` and an optional ``owner`` (the
class or text name it belongs to, written ``owner: name ...``), returns the value
as a plain Python number and raises

* ``TypeError`` for what is not a number (bools and numpy bools included), naming
  its type: ``must be a number, got str: '1'``;
* ``ValueError`` for a number out of range, ending with ``actual value: <repr>``.

Examples
--------
>>> from boltzmann_rl._checks import nonnegative, positive_int
>>> nonnegative(0.5, "temperature"), positive_int(3, "steps", "linear")
(0.5, 3)
>>> nonnegative(-1, "noise", "gaussian")
Traceback (most recent call last):
...
ValueError: gaussian: noise must be >= 0, actual value: -1
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "finite",
    "nonnegative",
    "nonnegative_int",
    "open_unit",
    "positive",
    "positive_int",
    "real",
    "unit_interval",
]


def _where(name: str, owner: str) -> str:
    return f"{owner}: {name}" if owner else name


def real(value: Any, name: str, owner: str = "") -> float:
    """``value`` as a float; ``TypeError`` for bools, strings and other non-numbers.

    Examples
    --------
    >>> from boltzmann_rl._checks import real
    >>> real(3, "offset"), real(float("nan"), "offset")
    (3.0, nan)
    >>> real(True, "offset", "gaussian")
    Traceback (most recent call last):
    ...
    TypeError: gaussian: offset must be a number, got bool: True
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{_where(name, owner)} must be a number, got {type(value).__name__}: {value!r}"
        )
    return float(value)


def finite(value: Any, name: str, owner: str = "") -> float:
    """``value`` as a finite float (not NaN, not ±inf).

    Examples
    --------
    >>> from boltzmann_rl._checks import finite
    >>> finite(-2, "mean")
    -2.0
    >>> finite(float("inf"), "mean", "gaussian")
    Traceback (most recent call last):
    ...
    ValueError: gaussian: mean must be finite, actual value: inf
    """
    v = real(value, name, owner)
    if math.isnan(v):
        raise ValueError(f"{_where(name, owner)} must not be NaN, actual value: {value!r}")
    if math.isinf(v):
        raise ValueError(f"{_where(name, owner)} must be finite, actual value: {value!r}")
    return v


def nonnegative(value: Any, name: str, owner: str = "", *, allow_inf: bool = False) -> float:
    """``value`` as a float ``>= 0`` (``-0.0`` becomes ``0.0``); ``+inf`` only if allowed.

    Examples
    --------
    >>> from boltzmann_rl._checks import nonnegative
    >>> nonnegative(-0.0, "c"), nonnegative(float("inf"), "value", allow_inf=True)
    (0.0, inf)
    >>> nonnegative(float("-inf"), "value", "constant", allow_inf=True)
    Traceback (most recent call last):
    ...
    ValueError: constant: value must be finite or +inf, actual value: -inf
    """
    v = real(value, name, owner)
    where = _where(name, owner)
    if math.isnan(v):
        raise ValueError(f"{where} must not be NaN, actual value: {value!r}")
    if math.isinf(v) and not (allow_inf and v > 0):
        kind = "finite or +inf" if allow_inf else "finite"
        raise ValueError(f"{where} must be {kind}, actual value: {value!r}")
    if v < 0:
        raise ValueError(f"{where} must be >= 0, actual value: {value!r}")
    return v + 0.0  # -0.0 -> 0.0, so equal objects have equal reprs


def positive(value: Any, name: str, owner: str = "") -> float:
    """``value`` as a finite float ``> 0``.

    Examples
    --------
    >>> from boltzmann_rl._checks import positive
    >>> positive(2, "t0")
    2.0
    >>> positive(0, "t0", "inverse")
    Traceback (most recent call last):
    ...
    ValueError: inverse: t0 must be > 0, actual value: 0
    """
    v = nonnegative(value, name, owner)
    if v == 0:
        raise ValueError(f"{_where(name, owner)} must be > 0, actual value: {value!r}")
    return v


def positive_int(value: Any, name: str, owner: str = "") -> int:
    """``value`` as an int ``>= 1``; ``ValueError`` for anything else (bools, 2.0, '3').

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl._checks import positive_int
    >>> positive_int(np.int64(8), "tilings")
    8
    >>> positive_int(2.0, "tilings")
    Traceback (most recent call last):
    ...
    ValueError: tilings must be a positive integer, actual value: 2.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(
            f"{_where(name, owner)} must be a positive integer, actual value: {value!r}"
        )
    return int(value)


def nonnegative_int(value: Any, name: str, owner: str = "") -> int:
    """``value`` as an int ``>= 0``; ``ValueError`` for anything else.

    Examples
    --------
    >>> from boltzmann_rl._checks import nonnegative_int
    >>> nonnegative_int(0, "seed")
    0
    >>> nonnegative_int(-1, "seed")
    Traceback (most recent call last):
    ...
    ValueError: seed must be a non-negative integer, actual value: -1
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(
            f"{_where(name, owner)} must be a non-negative integer, actual value: {value!r}"
        )
    return int(value)


def open_unit(value: Any, name: str, owner: str = "") -> float:
    """``value`` as a float strictly between 0 and 1 (a probability, a confidence level).

    Examples
    --------
    >>> from boltzmann_rl._checks import open_unit
    >>> open_unit(0.95, "confidence")
    0.95
    >>> open_unit(1, "confidence")
    Traceback (most recent call last):
    ...
    ValueError: confidence must be strictly between 0 and 1, actual value: 1
    """
    v = real(value, name, owner)
    if not 0.0 < v < 1.0:  # NaN too
        raise ValueError(
            f"{_where(name, owner)} must be strictly between 0 and 1, actual value: {value!r}"
        )
    return v


def unit_interval(value: Any, name: str, owner: str = "") -> float:
    """``value`` as a float in ``[0, 1]`` (a discount, an exploration rate).

    Examples
    --------
    >>> from boltzmann_rl._checks import unit_interval
    >>> unit_interval(1, "gamma")
    1.0
    >>> unit_interval(float("nan"), "gamma")
    Traceback (most recent call last):
    ...
    ValueError: gamma must be in [0, 1], actual value: nan
    """
    v = real(value, name, owner)
    if not 0.0 <= v <= 1.0:  # NaN too
        raise ValueError(f"{_where(name, owner)} must be in [0, 1], actual value: {value!r}")
    return v
