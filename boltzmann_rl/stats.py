r"""Confidence intervals for means across independent runs, and the trailing mean of a curve.

Every interval in the toolkit is the two-sided **Student t** interval for a mean,

.. math::

    \bar x \pm t_{(1 + c)/2,\; n - 1} \, \frac{s}{\sqrt{n}}, \qquad
    s^2 = \frac{1}{n - 1} \sum_i (x_i - \bar x)^2,

with ``c`` the confidence level (0.95 by default) and ``n`` the number of runs. The
functions here return the mean and the *half-width* of the interval (the ``±`` part),
which is what tables and plots show. For the thousands of runs of a bandit study the t
quantile is within 0.1 % of the normal one (1.959963984540054 at 95 %); for small ``n``
it is noticeably wider, which is the point of using it.

The quantiles are computed here, without scipy (a test-only dependency): the normal
quantile by :class:`statistics.NormalDist` and the t quantile by Newton's method on the
t distribution function, itself from the regularized incomplete beta function
(continued fraction). Both agree with ``scipy.stats`` to about 1e-12 relative.

Rules: ``n = 1`` gives a NaN half-width (a single run says nothing about the spread),
``n = 0`` and confidence levels outside ``(0, 1)`` raise ``ValueError``.

Examples
--------
>>> import numpy as np
>>> from boltzmann_rl.stats import mean_ci
>>> mean, half = mean_ci([1.0, 2.0, 3.0, 4.0])
>>> float(mean), round(float(half), 6)
(2.5, 2.05426)
"""

from __future__ import annotations

import functools
import math
from statistics import NormalDist
from typing import Any

import numpy as np

from boltzmann_rl._checks import open_unit, positive_int, real

__all__ = ["ci_halfwidth", "mean_ci", "moving_average", "normal_quantile", "t_quantile"]

_NORMAL = NormalDist()


def normal_quantile(p: float) -> float:
    """Quantile (inverse distribution function) of the standard normal distribution.

    Parameters
    ----------
    p : float
        A probability strictly between 0 and 1.

    Returns
    -------
    float

    Examples
    --------
    >>> from boltzmann_rl.stats import normal_quantile
    >>> normal_quantile(0.975)
    1.959963984540054
    """
    return _NORMAL.inv_cdf(open_unit(p, "p"))


# ------------------------------------------------------------------ t distribution


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            return h
    raise ArithmeticError(f"incomplete beta did not converge for a={a}, b={b}, x={x}")


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta function ``I_x(a, b)``."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def _t_tail(t: float, df: float) -> float:
    """``P(T > t)`` for ``t >= 0``."""
    return 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))


def _t_central(t: float, df: float) -> float:
    """``P(0 < T < t)`` for ``t >= 0``, accurate when it is small."""
    return 0.5 * _betainc(0.5, df / 2.0, t * t / (df + t * t))


def _t_pdf(t: float, df: float) -> float:
    log_c = math.lgamma((df + 1.0) / 2.0) - math.lgamma(df / 2.0) - 0.5 * math.log(df * math.pi)
    return math.exp(log_c - (df + 1.0) / 2.0 * math.log1p(t * t / df))


@functools.lru_cache(maxsize=256)
def _t_quantile_upper(p: float, df: float) -> float:
    """The ``t >= 0`` with ``P(T <= t) = p`` for ``0.5 < p < 1``."""
    q = 1.0 - p  # exact for p >= 0.5
    c = p - 0.5  # exact too (Sterbenz)
    if df == 1.0:
        return math.tan(math.pi * c)
    if df == 2.0:
        return 2.0 * c / math.sqrt(2.0 * p * q)
    z = _NORMAL.inv_cdf(p)
    if df > 1e5:
        # Cornish-Fisher expansion (Abramowitz and Stegun 26.7.5); the first omitted
        # term is O(df**-4), below double precision here.
        g1 = (z**3 + z) / 4.0
        g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96.0
        g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384.0
        return z + g1 / df + g2 / df**2 + g3 / df**3
    # Newton's method from a Cornish-Fisher start, bracketed for safety. Near the
    # centre the equation is P(0 < T < t) = p - 1/2, in the tail P(T > t) = 1 - p,
    # so the target is always known to full relative precision.
    central = c < 0.25
    t = z + (z**3 + z) / (4.0 * df)
    lo, hi = 0.0, math.inf
    for _ in range(100):
        f = (c - _t_central(t, df)) if central else (_t_tail(t, df) - q)  # decreasing in t
        if f > 0:
            lo = t
        else:
            hi = t
        new = t + f / _t_pdf(t, df)
        if not lo < new < hi:
            new = (lo + hi) / 2.0 if math.isfinite(hi) else 2.0 * t + 1.0
        if abs(new - t) <= 1e-15 * max(1e-300, abs(new)):
            return new
        t = new
    return t


def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t distribution with ``df`` degrees of freedom.

    Parameters
    ----------
    p : float
        A probability strictly between 0 and 1.
    df : float
        Degrees of freedom, ``> 0``; ``inf`` gives the normal quantile.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        ``p`` outside ``(0, 1)`` or ``df`` not positive (NaN included).

    Notes
    -----
    ``df = 1`` (Cauchy) and ``df = 2`` have closed forms; otherwise Newton's method on
    ``P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2`` (regularized incomplete beta by
    continued fraction), started from a Cornish-Fisher expansion. For large ``df``
    (``> 1e5``) the expansion alone is exact to double precision.

    Examples
    --------
    >>> from boltzmann_rl.stats import t_quantile
    >>> round(t_quantile(0.975, 3), 10)
    3.1824463053
    >>> round(t_quantile(0.975, 1999), 10)
    1.9611514202
    >>> t_quantile(0.975, float("inf"))
    1.959963984540054
    """
    v = open_unit(p, "p")
    d = real(df, "df")
    if not d > 0.0:  # +inf is allowed: the normal limit
        raise ValueError(f"df (degrees of freedom) must be > 0, actual value: {df!r}")
    if math.isinf(d):
        return _NORMAL.inv_cdf(v)
    if v == 0.5:
        return 0.0
    if v > 0.5:
        return _t_quantile_upper(v, d)
    return -_t_quantile_upper(1.0 - v, d)


def ci_halfwidth(sd: Any, n: int, confidence: float = 0.95) -> Any:
    """Half-width of the t confidence interval for a mean: ``t * sd / sqrt(n)``.

    Parameters
    ----------
    sd : float or array_like
        Sample standard deviation(s) (``ddof=1``).
    n : int
        Number of observations behind each ``sd`` (the same for all).
    confidence : float, default 0.95
        Two-sided confidence level.

    Returns
    -------
    float or ndarray
        NaN where ``n == 1``.

    Examples
    --------
    >>> from boltzmann_rl.stats import ci_halfwidth
    >>> round(ci_halfwidth(1.0, 2000), 6)
    0.043853
    """
    n = positive_int(n, "n")
    c = open_unit(confidence, "confidence")
    if n == 1:
        return np.full(np.shape(sd), np.nan)[()] + 0.0
    factor = t_quantile((1.0 + c) / 2.0, n - 1) / math.sqrt(n)
    out = np.multiply(sd, factor)
    return float(out) if np.ndim(out) == 0 else out


def mean_ci(x: Any, axis: int = 0, confidence: float = 0.95) -> tuple[Any, Any]:
    """Mean of ``x`` along ``axis`` and the half-width of its t confidence interval.

    Parameters
    ----------
    x : array_like
        Observations, one per run along ``axis`` (any other axes are kept, so a
        ``(runs, steps)`` array gives one interval per step). NaN propagates.
    axis : int, default 0
        The axis of independent observations.
    confidence : float, default 0.95
        Two-sided confidence level, strictly between 0 and 1.

    Returns
    -------
    mean, half : float or ndarray
        ``mean ± half`` is the interval. ``half`` is NaN when there is one
        observation. Both are floats for 1-D input.

    Raises
    ------
    ValueError
        An empty axis or a confidence level outside ``(0, 1)``.
    TypeError
        Non-numeric input.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.stats import mean_ci
    >>> rng = np.random.default_rng(0)
    >>> mean, half = mean_ci(rng.normal(size=(1000, 3)), axis=0)
    >>> mean.shape, half.shape
    ((3,), (3,))
    >>> bool(np.all(np.abs(mean) < half * 3))
    True
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"x must be numeric, got an array of dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim == 0:
        raise ValueError("x must have at least one dimension, got a scalar")
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis {axis} is out of bounds for x with {arr.ndim} dimension(s)")
    n = arr.shape[axis]
    if n == 0:
        raise ValueError(f"x has no observations along axis {axis} (shape {arr.shape})")
    open_unit(confidence, "confidence")
    mean = arr.mean(axis=axis)
    if n == 1:
        half = np.full(np.shape(mean), np.nan)
    else:
        half = ci_halfwidth(arr.std(axis=axis, ddof=1), n, confidence)
    if np.ndim(mean) == 0:
        return float(mean), float(half)
    return mean, np.asarray(half)


def moving_average(x: Any, window: int) -> np.ndarray:
    """Trailing mean over ``window`` values (over the values so far for the first ones).

    Parameters
    ----------
    x : array_like
        The values in order (one per episode, say); flattened.
    window : int
        ``>= 1``.

    Returns
    -------
    ndarray of float64, the length of ``x``

    Examples
    --------
    >>> from boltzmann_rl.stats import moving_average
    >>> moving_average([1.0, 3.0, 5.0, 7.0], 2).tolist()
    [1.0, 2.0, 4.0, 6.0]
    """
    window = positive_int(window, "window")
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    c = np.concatenate([[0.0], np.cumsum(a)])
    i = np.arange(1, a.size + 1)
    lo = np.maximum(i - window, 0)
    return (c[i] - c[lo]) / (i - lo)
