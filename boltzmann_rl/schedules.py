"""Schedules: temperatures, epsilons and step sizes that change with a count.

A schedule is a small frozen object mapping a step ``t`` to a value. The convention,
shared by every schedule in the toolkit:

* the step ``t`` counts from 0, so ``schedule(0)`` is the starting value;
* ``t`` is whatever count the caller chooses. The same schedule can be evaluated
  at a global step, at an episode number, or at a per-state or per-action visit
  count. The last is how "a temperature that decreases with the number of
  samples" is expressed: ``temperature(visits[state])``;
* a schedule is vectorized: given an array of steps (for example the visit counts
  of every action) it returns a float64 array of the same shape without a Python
  loop; given a scalar it returns a Python float;
* steps must be ``>= 0`` and not NaN (``+inf`` is allowed and gives the limit);
  anything else raises ``ValueError`` naming the offending value;
* every value a schedule produces is ``>= 0``: temperatures, exploration rates and
  step sizes are never negative. Only :class:`Constant` may be ``+inf``
  (``constant(inf)`` is the infinite temperature, the uniform policy);
* ``repr(schedule)`` is its text form (see :mod:`boltzmann_rl.spec`), for example
  ``linear(1.0, 0.05, 500)``, and parsing it back gives an equal schedule, so a
  schedule can name an experiment cell.

============  ============================  ==========================================
text name     class                         value at step ``t``
============  ============================  ==========================================
``constant``  :class:`Constant`             ``value``
``linear``    :class:`Linear`               ``start + (end - start) * min(t / steps, 1)``
``exp``       :class:`Exponential`          ``start * (end / start) ** min(t / steps, 1)``
``inverse``   :class:`InverseTime`          ``c / (1 + t / t0)``
``log``       :class:`Logarithmic`          ``c / log(t + e)``
============  ============================  ==========================================

Anything callable as ``schedule(step)`` satisfies the :class:`Schedule` protocol;
:func:`as_schedule` turns a plain number into a :class:`Constant`.

Examples
--------
>>> import numpy as np
>>> from boltzmann_rl.schedules import Linear
>>> temperature = Linear(1.0, 0.1, 10)
>>> temperature(5)
0.55
>>> visits = np.array([0, 5, 10, 100])  # per-action visit counts
>>> temperature(visits)
array([1.  , 0.55, 0.1 , 0.1 ])
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Protocol, overload, runtime_checkable

import numpy as np
import numpy.typing as npt

from boltzmann_rl._checks import nonnegative, positive, positive_int, real

__all__ = [
    "Constant",
    "Exponential",
    "InverseTime",
    "Linear",
    "Logarithmic",
    "Schedule",
    "as_schedule",
    "format_value",
]

FloatArray = npt.NDArray[np.float64]


@runtime_checkable
class Schedule(Protocol):
    """Anything that maps a step (or an array of steps) to a value.

    The protocol has a single method, ``__call__(step)``: a scalar step gives a
    float, an array of steps gives a float64 array of the same shape. All schedules
    of this module satisfy it, and so does any plain function of the step.

    Parameters
    ----------
    step : int, float or array_like
        Count from 0: a global step, an episode number or a visit count.

    Returns
    -------
    float or ndarray
        The value at ``step``.

    Examples
    --------
    >>> from boltzmann_rl.schedules import Schedule, Linear
    >>> isinstance(Linear(1.0, 0.0, 10), Schedule)
    True
    >>> isinstance(lambda t: 1.0 / (1.0 + t), Schedule)
    True
    >>> isinstance(0.5, Schedule)
    False
    """

    def __call__(self, step: Any) -> Any: ...


# --------------------------------------------------------------------------- checks


def _positive_int(value: Any, name: str, owner: str) -> int:
    v = real(value, name, owner)
    if not isinstance(value, numbers.Integral) and math.isfinite(v) and v.is_integer() and v >= 1:
        return int(v)  # 1e3 in the text form is a float; accept it as 1000
    return positive_int(value, name, owner)


def _steps(step: Any) -> tuple[FloatArray, bool]:
    """Validate steps; return them as a float64 array and whether ``step`` was a scalar."""
    if isinstance(step, bool | np.bool_ | str | bytes):
        raise TypeError(f"step must be a number or an array of numbers, got {step!r}")
    scalar = not isinstance(step, np.ndarray) and np.ndim(step) == 0
    try:
        arr = np.asarray(step)
        if arr.dtype.kind not in "iuf":
            raise TypeError
        t = arr.astype(np.float64, copy=False)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(
            f"step must be a number or an array of numbers, got {type(step).__name__}: {step!r}"
        ) from None
    bad = ~(t >= 0)  # NaN compares False
    if bad.any():
        if scalar:
            raise ValueError(f"step must be >= 0 and not NaN, actual value: {step!r}")
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"steps must be >= 0 and not NaN, actual value: {float(t[index])!r} at index {index}"
        )
    return t, scalar


def format_value(value: Any) -> str:
    """Write a parameter as the text form does, for the ``__repr__`` of schedules and policies.

    The one formatter of the toolkit: every ``__repr__`` of a schedule or a policy
    writes its parameters with it, and so can a policy of your own.

    Parameters
    ----------
    value : int, float, Constant, ndarray or object
        Integers (Python or numpy) are written as ints, other real numbers as
        ``repr(float(value))`` (``0.5``, ``1e-05``, ``inf``), a :class:`Constant` as
        its value, an array as a bracketed list, anything else (a schedule, a
        policy) as its ``repr``.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.schedules import Constant, Linear, format_value
    >>> [format_value(v) for v in (3, np.int64(-4), np.float32(0.5), 1e-5, float("inf"))]
    ['3', '-4', '0.5', '1e-05', 'inf']
    >>> format_value(Constant(2)), format_value(Linear(1, 0, 10))
    ('2.0', 'linear(1.0, 0.0, 10)')
    >>> format_value(np.array([0.5, 2.0]))
    '[0.5, 2. ]'
    """
    if isinstance(value, Constant):
        value = value.value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return repr(float(value))
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ")
    return repr(value)


# --------------------------------------------------------------------------- schedules


@dataclass(frozen=True, repr=False)
class _Base:
    """Shared ``__call__`` (validation, scalar/array handling) and text-form ``__repr__``."""

    text_name: ClassVar[str]

    @overload
    def __call__(self, step: float) -> float: ...

    @overload
    def __call__(self, step: npt.NDArray[Any]) -> FloatArray: ...

    def __call__(self, step: Any) -> float | FloatArray:
        """Evaluate the schedule.

        Parameters
        ----------
        step : int, float or array_like
            Step(s) counted from 0, each ``>= 0`` and not NaN.

        Returns
        -------
        float or ndarray
            A Python float for a scalar step, otherwise a float64 array of the same
            shape as ``step``.

        Raises
        ------
        TypeError
            If ``step`` is not a number or an array of numbers.
        ValueError
            If a step is negative or NaN.
        """
        if type(step) is int:
            # One step, as agents ask once per decision: plain float arithmetic,
            # the same IEEE operations as the array path, without numpy's overhead.
            if step >= 0:
                return self._scalar(float(step))
        elif type(step) is float and 0.0 <= step < math.inf:
            return self._scalar(step)
        t, scalar = _steps(step)
        out = np.asarray(self._evaluate(t), dtype=np.float64)  # 0-d stays an array
        return float(out) if scalar else out

    def _evaluate(self, t: FloatArray) -> FloatArray:
        raise NotImplementedError

    def _scalar(self, t: float) -> float:
        return float(self._evaluate(np.asarray(t)))

    def __repr__(self) -> str:
        values = ", ".join(format_value(getattr(self, f.name)) for f in fields(self) if f.init)
        return f"{self.text_name}({values})"


@dataclass(frozen=True, repr=False)
class Constant(_Base):
    """The same value at every step.

    Parameters
    ----------
    value : int or float
        ``>= 0``; ``inf`` is allowed (an infinite temperature is the uniform
        policy).

    Raises
    ------
    TypeError
        If ``value`` is not an int or a float (bools and strings are rejected).
    ValueError
        If ``value`` is negative, NaN or ``-inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.schedules import Constant
    >>> Constant(0.1)
    constant(0.1)
    >>> Constant(0.1)(1000)
    0.1
    >>> Constant(float("inf"))(np.array([0, 1]))
    array([inf, inf])
    """

    value: float
    text_name: ClassVar[str] = "constant"

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "value", nonnegative(self.value, "value", "constant", allow_inf=True)
        )

    def _evaluate(self, t: FloatArray) -> FloatArray:
        return np.full(t.shape, self.value)

    def _scalar(self, t: float) -> float:
        return self.value


@dataclass(frozen=True, repr=False)
class Linear(_Base):
    """Linear interpolation from ``start`` at step 0 to ``end`` at ``steps``, then ``end``.

    .. math::

        v(t) = \\text{start} + (\\text{end} - \\text{start}) \\min(t / \\text{steps}, 1)

    Parameters
    ----------
    start, end : int or float
        Finite, ``>= 0``. ``end`` may be larger than ``start`` (an increasing
        schedule).
    steps : int
        Positive number of steps of the ramp (an integral float such as ``1e3`` is
        accepted).

    Raises
    ------
    TypeError
        If a parameter is not an int or a float.
    ValueError
        If ``start`` or ``end`` is negative, NaN or infinite, or ``steps`` is not a
        positive integer.

    Examples
    --------
    >>> from boltzmann_rl.schedules import Linear
    >>> eps = Linear(1.0, 0.05, 500)
    >>> eps
    linear(1.0, 0.05, 500)
    >>> eps(0), eps(250), eps(500), eps(10_000)
    (1.0, 0.525, 0.05, 0.05)
    """

    start: float
    end: float
    steps: int
    text_name: ClassVar[str] = "linear"

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", nonnegative(self.start, "start", "linear"))
        object.__setattr__(self, "end", nonnegative(self.end, "end", "linear"))
        object.__setattr__(self, "steps", _positive_int(self.steps, "steps", "linear"))

    def _evaluate(self, t: FloatArray) -> FloatArray:
        frac = np.minimum(t / self.steps, 1.0)
        v = self.start + (self.end - self.start) * frac
        # Exact endpoints, and rounding can never leave [min, max] of start and end.
        v = np.where(frac >= 1.0, self.end, v)
        return np.clip(v, min(self.start, self.end), max(self.start, self.end))

    def _scalar(self, t: float) -> float:
        # Plain comparisons instead of min/max calls (~60 ns each): an agent asks once
        # per decision.
        frac = t / self.steps
        if frac >= 1.0:
            return self.end
        start, end = self.start, self.end
        v = start + (end - start) * frac
        lo, hi = (start, end) if start <= end else (end, start)
        return lo if v < lo else (hi if v > hi else v)


@dataclass(frozen=True, repr=False)
class Exponential(_Base):
    """Geometric decay from ``start`` at step 0 to ``end`` at ``steps``, then ``end``.

    .. math::

        v(t) = \\text{start} \\left(\\frac{\\text{end}}{\\text{start}}\\right)^{\\min(t /
        \\text{steps}, 1)}

    computed in log space, so ratios beyond the float range are fine.

    Parameters
    ----------
    start, end : int or float
        Finite and ``> 0`` (a geometric schedule cannot reach 0; use
        :class:`Linear` for that).
    steps : int
        Positive number of steps of the decay.

    Raises
    ------
    TypeError
        If a parameter is not an int or a float.
    ValueError
        If ``start`` or ``end`` is not finite and positive, or ``steps`` is not a
        positive integer.

    Examples
    --------
    >>> from boltzmann_rl.schedules import Exponential
    >>> temperature = Exponential(1.0, 0.01, 1000)
    >>> temperature
    exp(1.0, 0.01, 1000)
    >>> temperature(0), temperature(500), temperature(1000), temperature(5000)
    (1.0, 0.1, 0.01, 0.01)
    """

    start: float
    end: float
    steps: int
    # log start and log(end / start), computed once; equality and the text form see
    # start, end and steps only
    _log_start: float = field(init=False, repr=False, compare=False)
    _log_ratio: float = field(init=False, repr=False, compare=False)
    text_name: ClassVar[str] = "exp"

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", positive(self.start, "start", "exp"))
        object.__setattr__(self, "end", positive(self.end, "end", "exp"))
        object.__setattr__(self, "steps", _positive_int(self.steps, "steps", "exp"))
        log_start = math.log(self.start)
        object.__setattr__(self, "_log_start", log_start)
        object.__setattr__(self, "_log_ratio", math.log(self.end) - log_start)

    def _evaluate(self, t: FloatArray) -> FloatArray:
        frac = np.minimum(t / self.steps, 1.0)
        v = np.exp(self._log_start + self._log_ratio * frac)
        v = np.where(frac >= 1.0, self.end, np.where(frac <= 0.0, self.start, v))
        return np.clip(v, min(self.start, self.end), max(self.start, self.end))

    def _scalar(self, t: float) -> float:
        frac = t / self.steps
        if frac >= 1.0:
            return self.end
        start, end = self.start, self.end
        if frac <= 0.0:
            return start
        v = math.exp(self._log_start + self._log_ratio * frac)
        lo, hi = (start, end) if start <= end else (end, start)
        return lo if v < lo else (hi if v > hi else v)


@dataclass(frozen=True, repr=False)
class InverseTime(_Base):
    """Inverse-time decay ``c / (1 + t / t0)``: ``c`` at step 0, ``c / 2`` at ``t0``.

    With a visit count as the step this is the classic step size ``1 / n`` family
    (``InverseTime(1.0, 1.0)`` at ``n - 1`` visits is ``1 / n``), which satisfies
    the Robbins-Monro conditions.

    Parameters
    ----------
    c : int or float
        Finite, ``>= 0``: the value at step 0.
    t0 : int or float, default 1.0
        Finite, ``> 0``: the step at which the value has halved.

    Raises
    ------
    TypeError
        If a parameter is not an int or a float.
    ValueError
        If ``c`` is negative, NaN or infinite, or ``t0`` is not finite and positive.

    Examples
    --------
    >>> from boltzmann_rl.schedules import InverseTime
    >>> alpha = InverseTime(1.0, 100.0)
    >>> alpha
    inverse(1.0, 100.0)
    >>> alpha(0), alpha(100), alpha(300)
    (1.0, 0.5, 0.25)
    """

    c: float
    t0: float = 1.0
    text_name: ClassVar[str] = "inverse"

    def __post_init__(self) -> None:
        object.__setattr__(self, "c", nonnegative(self.c, "c", "inverse"))
        object.__setattr__(self, "t0", positive(self.t0, "t0", "inverse"))

    def _evaluate(self, t: FloatArray) -> FloatArray:
        with np.errstate(over="ignore"):  # t / t0 -> inf only gives the limit 0
            return self.c / (1.0 + t / self.t0)

    def _scalar(self, t: float) -> float:
        return self.c / (1.0 + t / self.t0)


@dataclass(frozen=True, repr=False)
class Logarithmic(_Base):
    """Logarithmic annealing ``c / log(t + e)``: exactly ``c`` at step 0.

    The classic cooling rule of simulated annealing (Geman and Geman, 1984; Hajek,
    1988): the temperature falls so slowly that every state keeps being visited.

    Parameters
    ----------
    c : int or float
        Finite, ``>= 0``: the value at step 0.

    Raises
    ------
    TypeError
        If ``c`` is not an int or a float.
    ValueError
        If ``c`` is negative, NaN or infinite.

    References
    ----------
    .. [1] S. Geman and D. Geman, "Stochastic relaxation, Gibbs distributions, and
       the Bayesian restoration of images", IEEE TPAMI 6(6), 1984.
    .. [2] B. Hajek, "Cooling schedules for optimal annealing", Mathematics of
       Operations Research 13(2), 1988.

    Examples
    --------
    >>> import math
    >>> from boltzmann_rl.schedules import Logarithmic
    >>> temperature = Logarithmic(2.0)
    >>> temperature
    log(2.0)
    >>> temperature(0)
    2.0
    >>> temperature(math.e ** 2 - math.e)
    1.0
    """

    c: float
    text_name: ClassVar[str] = "log"

    def __post_init__(self) -> None:
        object.__setattr__(self, "c", nonnegative(self.c, "c", "log"))

    def _evaluate(self, t: FloatArray) -> FloatArray:
        return self.c / np.log(t + math.e)

    def _scalar(self, t: float) -> float:
        return self.c / math.log(t + math.e)


def as_schedule(value: Any, name: str = "value") -> Schedule:
    """Return ``value`` as a schedule: a number becomes a :class:`Constant`.

    Policies call this on every parameter that may change over time, so users can
    pass either ``temperature=0.5`` or ``temperature=Linear(1.0, 0.1, 100)``.

    Parameters
    ----------
    value : int, float or Schedule
        A number (``>= 0``, ``inf`` allowed) or anything callable as
        ``value(step)``, which is returned unchanged.
    name : str, default "value"
        The parameter name used in error messages.

    Returns
    -------
    Schedule

    Raises
    ------
    TypeError
        If ``value`` is neither a number nor callable (bools and strings included).
    ValueError
        If ``value`` is a negative or NaN number.

    Examples
    --------
    >>> from boltzmann_rl.schedules import Linear, as_schedule
    >>> as_schedule(0.5, "temperature")
    constant(0.5)
    >>> s = Linear(1.0, 0.0, 10)
    >>> as_schedule(s) is s
    True
    >>> as_schedule(-1, "temperature")
    Traceback (most recent call last):
    ...
    ValueError: temperature must be >= 0, actual value: -1
    """
    if isinstance(value, bool | np.bool_ | str | bytes):
        raise TypeError(
            f"{name} must be a number or a schedule, got {type(value).__name__}: {value!r}"
        )
    if isinstance(value, numbers.Real):
        return Constant(nonnegative(value, name, "", allow_inf=True))
    if isinstance(value, Schedule):
        return value
    raise TypeError(
        f"{name} must be a number or a schedule (callable as schedule(step)), "
        f"got {type(value).__name__}: {value!r}"
    )
