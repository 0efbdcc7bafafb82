r"""Alternatives to the softmax, and the soft operators behind two value backups.

Why exponentiate at all, when ``q / Σ q`` also sums to one? This module holds the
alternatives people propose, each as a policy with the same protocol and tests as
:class:`~boltzmann_rl.policies.Boltzmann`, so they can be compared on equal terms
(``docs/why-softmax.md`` does that), and the soft operators that replace the ``max``
of a Bellman backup.

Policies (text form in the first column, usable wherever a policy text is):

==============================  =====================  ===================================
text form                       class                  rule
==============================  =====================  ===================================
``normalize``                   :class:`Normalize`     ``q_i / Σ q`` (``q >= 0`` only)
``normalize(kind=abs)``         :class:`Normalize`     ``|q_i| / Σ |q|``
``normalize(kind=square)``      :class:`Normalize`     ``q_i² / Σ q²``
``sparsemax(temperature=T)``    :class:`Sparsemax`     projection of ``q / T`` on the simplex
``entmax15(temperature=T)``     :class:`Entmax15`      1.5-entmax of ``q / T``
``mellowmax(omega=W)``          :class:`Mellowmax`     Boltzmann with a per-state β
``softmax_base(base=B)``        :class:`SoftmaxBase`   ``p ∝ B ** q``: Boltzmann at ``T = 1/ln B``
==============================  =====================  ===================================

Operators (plain vectorized functions over the last axis):

=====================================  ===============================================
:func:`mellowmax`                      ``log(mean(exp(ω q))) / ω``, between mean and max
:func:`boltzmann_weighted_average`     ``Σ softmax(q / T)_i q_i`` (not a non-expansion)
=====================================  ===============================================

The value backups built on them, ``soft_backup`` (soft Q-learning) and
``mellowmax_backup``, are backups, not policies: they live with the other backups in
:mod:`boltzmann_rl.gym.backups`; the names stay importable from here (the same
objects).

What each alternative gives up is the point of ``docs/why-softmax.md``: plain
normalization is undefined for negative values and changes when a constant is added
to the rewards; the absolute and squared variants are defined but not monotone (a
value of ``-5`` is as likely as ``+5``); sparsemax and 1.5-entmax keep monotonicity and
translation invariance and put exactly zero probability on actions far enough below
the best, which is what they are for, and what makes ``log_prob`` ``-inf`` there.

Examples
--------
>>> import numpy as np
>>> from boltzmann_rl.alternatives import Normalize, Sparsemax
>>> q = np.array([1.0, 2.0, 5.0])
>>> Normalize().probs(q)
array([0.125, 0.25 , 0.625])
>>> Normalize().probs(q + 10.0)  # adding a constant changes the policy
array([0.28947368, 0.31578947, 0.39473684])
>>> Sparsemax(temperature=2.0).probs(q)  # exact zeros, translation invariant
array([0., 0., 1.])
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import numpy as np

from boltzmann_rl.core import _shifted, log_softmax, softmax, softmax_entropy
from boltzmann_rl.core import softmax_sample as _softmax_sample
from boltzmann_rl.policies import (
    _actions,
    _Base,
    _evaluate,
    _parameter,
    _values,
    register_policy,
)

__all__ = [
    "ALTERNATIVE_NAMES",
    "Entmax15",
    "Mellowmax",
    "Normalize",
    "SoftmaxBase",
    "Sparsemax",
    "boltzmann_weighted_average",
    "mellowmax",
]

# Shifted, scaled values below this can never be in the support of sparsemax
# (whose threshold is >= max - 1) or 1.5-entmax (>= max/2 - 1 on the halved scale),
# so they are clipped here: the result is unchanged and no -inf or huge magnitude
# reaches the arithmetic of the threshold.
_FLOOR = -4.0


def _rowwise(value: np.ndarray | np.floating[Any]) -> Any:
    """A Python float for a 0-d result, the array otherwise."""
    return float(value) if np.ndim(value) == 0 else value


# ------------------------------------------------------------------ normalization


@register_policy
class Normalize(_Base):
    r"""Plain normalization and its variants: :math:`p_i = w(q_i) / \sum_j w(q_j)`.

    The answer people give first to "why exponentiate?", with the weights
    ``w(q) = q`` (``kind="plain"``), ``|q|`` (``"abs"``) or ``q²`` (``"square"``).
    Each is used only where it *is* a probability: plain normalization raises
    ``ValueError`` for a negative value (it would be a negative "probability"), and
    every kind raises for a row whose weights sum to zero (``0 / 0``), for infinite
    and for NaN values. Nothing is ever clipped or silently repaired.

    Parameters
    ----------
    kind : {"plain", "abs", "square"}, default "plain"

    Raises
    ------
    ValueError
        An unknown ``kind`` (at construction); values outside the domain (on use).
    TypeError
        A ``kind`` that is not a string.

    Notes
    -----
    All three are invariant to *scaling* the values (``q`` and ``10 q`` give the
    same policy) but not to *shifting* them: adding a constant to every reward
    changes the policy, and a large enough negative shift makes plain normalization
    undefined. The ``abs`` and ``square`` variants are defined for every non-zero
    row but are not monotone: ``-5`` is as likely as ``+5``. The softmax is the
    opposite on both counts: unchanged by a shift, changed by a scale (its
    temperature is in the units of the values). ``docs/why-softmax.md`` shows both on
    bandits.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.alternatives import Normalize
    >>> Normalize(kind="abs").probs(np.array([-1.0, 0.0, 3.0]))
    array([0.25, 0.  , 0.75])
    >>> Normalize(kind="square")
    normalize(kind=square)
    >>> Normalize().probs(np.array([-1.0, 0.0, 3.0]))
    Traceback (most recent call last):
    ...
    ValueError: normalize(kind=plain) is defined only for values >= 0 (q_i / sum(q) would
    be a negative "probability"), got -1.0 at index [0]; shift the values, or use
    kind=abs, kind=square or a softmax
    """

    text_name = "normalize"
    _fields = ("kind",)
    kind: str
    KINDS: ClassVar[tuple[str, ...]] = ("plain", "abs", "square")

    def __init__(self, kind: str = "plain") -> None:
        if not isinstance(kind, str):
            raise TypeError(
                f"normalize: kind must be a string, got {type(kind).__name__}: {kind!r}"
            )
        if kind not in self.KINDS:
            raise ValueError(
                f"normalize: kind must be one of {', '.join(self.KINDS)}, got {kind!r}"
            )
        object.__setattr__(self, "kind", kind)

    def __repr__(self) -> str:
        return f"normalize(kind={self.kind})"

    def probs(self, q: Any, *, step: Any = 0, counts: Any = None) -> np.ndarray:
        """``w(q) / Σ w(q)`` per row; ``ValueError`` outside the domain (see the class)."""
        x = _values(q)
        if not np.isfinite(x).all():
            bad = ~np.isfinite(x)
            where = np.argwhere(bad)[0].tolist()
            value = x[tuple(where)]
            what = "NaN" if np.isnan(value) else f"a non-finite value {value}"
            raise ValueError(
                f"{self!r}: action values contain {what} at index {where} (shape {x.shape})"
            )
        if self.kind == "plain":
            negative = x < 0
            if negative.any():
                where = np.argwhere(negative)[0].tolist()
                raise ValueError(
                    f"{self!r} is defined only for values >= 0 (q_i / sum(q) would be a "
                    f'negative "probability"), got {x[tuple(where)]} at index {where}; shift '
                    "the values, or use kind=abs, kind=square or a softmax"
                )
            w = x
        else:
            w = np.abs(x)
        # Divide by the row maximum first: the sum (and the square) cannot overflow.
        scale = w.max(axis=-1, keepdims=True)
        zero = scale == 0
        if zero.any():
            row = np.argwhere(zero[..., 0])[0].tolist() if x.ndim > 1 else []
            raise ValueError(
                f"{self!r} is undefined for a row of zeros (its weights sum to 0, so every "
                f"'probability' is 0/0): row {row} of action values with shape {x.shape}"
            )
        w = w / scale
        if self.kind == "square":
            w = w * w
        return w / w.sum(axis=-1, keepdims=True)


# --------------------------------------------------------- sparsemax and 1.5-entmax


def _sorted_rows(q: Any, temperature: Any) -> tuple[np.ndarray, np.ndarray]:
    """``z = (q - max q) / T`` clipped at ``_FLOOR``, and ``z`` sorted descending."""
    z, _, _, _ = _shifted(_values(q), temperature, -1, None)
    np.maximum(z, _FLOOR, out=z)
    return z, -np.sort(-z, axis=-1)


@register_policy
class Sparsemax(_Base):
    r"""Sparsemax: the Euclidean projection of ``q / T`` onto the probability simplex.

    .. math:: p = \arg\min_{p \in \Delta} \lVert p - q / T \rVert^2
              = [q / T - \tau]_+, \quad \sum_i p_i = 1

    Computed exactly by the sort-based algorithm of Martins & Astudillo (vectorized
    over rows): sort ``z = q / T`` in decreasing order, take the largest ``k`` with
    ``1 + k z_(k) > Σ_{j <= k} z_(j)``, then ``τ = (Σ_{j <= k} z_(j) - 1) / k``.

    Parameters
    ----------
    temperature : float, Schedule or array_like, default 1.0
        ``T >= 0``, as for :class:`~boltzmann_rl.policies.Boltzmann`: a number, a
        schedule evaluated at ``step``, or one per row. ``0`` is greedy with ties
        split, ``inf`` uniform (both exact limits).

    Raises
    ------
    ValueError
        A negative or NaN temperature; NaN action values.

    Notes
    -----
    Like the softmax, sparsemax is monotone, unchanged by adding a constant to
    every value and changed by scaling them. Unlike it, an action whose value is
    ``T`` or more below the best gets probability *exactly* 0 (and ``log_prob``
    ``-inf``): sparsemax stops exploring clearly bad actions, which also means it
    never revisits an action whose estimate was unluckily low.

    References
    ----------
    .. [1] A. F. T. Martins and R. F. Astudillo, "From Softmax to Sparsemax: A Sparse
       Model of Attention and Multi-Label Classification", ICML 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.alternatives import Sparsemax
    >>> pi = Sparsemax(temperature=1.0)
    >>> pi.probs(np.array([0.0, 0.5, 1.0, -3.0]))
    array([0.  , 0.25, 0.75, 0.  ])
    >>> pi.probs(np.array([0.0, 0.5, 1.0, -3.0]) + 100.0)
    array([0.  , 0.25, 0.75, 0.  ])
    >>> Sparsemax(temperature=0).probs(np.array([1.0, 3.0, 3.0]))
    array([0. , 0.5, 0.5])
    """

    text_name = "sparsemax"
    _fields = ("temperature",)
    temperature: Any  # a number, a Schedule or a per-row float64 array

    def __init__(self, temperature: Any = 1.0) -> None:
        object.__setattr__(self, "temperature", _parameter(temperature, "temperature", "sparsemax"))

    def probs(self, q: Any, *, step: Any = 0, counts: Any = None) -> np.ndarray:
        """``[q / T - τ]_+`` per row, exact zeros outside the support."""
        z, zs = _sorted_rows(q, _evaluate(self.temperature, step))
        k = np.arange(1, z.shape[-1] + 1, dtype=z.dtype)
        cs = np.cumsum(zs, axis=-1)
        support = (1.0 + k * zs > cs).sum(axis=-1, keepdims=True)
        tau = (np.take_along_axis(cs, support - 1, axis=-1) - 1.0) / support.astype(z.dtype)
        p = np.maximum(z - tau, 0.0)
        return p / p.sum(axis=-1, keepdims=True)


@register_policy
class Entmax15(_Base):
    r"""1.5-entmax: between softmax (α = 1) and sparsemax (α = 2), and sparse.

    .. math:: p = \arg\max_{p \in \Delta} \; p \cdot q / T + H^{T}_{1.5}(p)
              = [q / (2T) - \tau]_+^2,

    with :math:`H^T_{1.5}(p) = (1 - \sum_i p_i^{3/2}) / 0.75` the Tsallis entropy of
    order 1.5. Computed exactly (no iteration) by the sort-based algorithm of
    Peters, Niculae & Martins: with ``x = q / (2T)`` sorted in decreasing order, for
    each ``k`` the threshold of the top-``k`` support is
    ``τ_k = mean_k - sqrt(max(0, (1 - k (meansq_k - mean_k²)) / k))``, and the
    support is the set of ``k`` with ``τ_k <= x_(k)``.

    Parameters
    ----------
    temperature : float, Schedule or array_like, default 1.0
        ``T >= 0`` as for :class:`Sparsemax`; ``0`` greedy with ties split, ``inf``
        uniform.

    Raises
    ------
    ValueError
        A negative or NaN temperature; NaN action values.

    Notes
    -----
    Monotone and translation invariant; an action ``2T`` or more below the best has
    probability exactly 0. Near the best action it behaves more like the softmax
    than sparsemax does (probabilities fall off quadratically, not linearly).

    References
    ----------
    .. [1] B. Peters, V. Niculae and A. F. T. Martins, "Sparse Sequence-to-Sequence
       Models", ACL 2019, Algorithm 2.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.alternatives import Entmax15
    >>> Entmax15(temperature=1.0).probs(np.array([0.0, 1.0, 2.0, -5.0])).round(4)
    array([0.    , 0.1693, 0.8307, 0.    ])
    >>> Entmax15(temperature=0.5)
    entmax15(temperature=0.5)
    """

    text_name = "entmax15"
    _fields = ("temperature",)
    temperature: Any  # a number, a Schedule or a per-row float64 array

    def __init__(self, temperature: Any = 1.0) -> None:
        object.__setattr__(self, "temperature", _parameter(temperature, "temperature", "entmax15"))

    def probs(self, q: Any, *, step: Any = 0, counts: Any = None) -> np.ndarray:
        """``[q / (2T) - τ]_+²`` per row, exact zeros outside the support."""
        z, zs = _sorted_rows(q, _evaluate(self.temperature, step))
        x, xs = z * 0.5, zs * 0.5
        k = np.arange(1, z.shape[-1] + 1, dtype=z.dtype)
        mean = np.cumsum(xs, axis=-1) / k
        mean_sq = np.cumsum(xs * xs, axis=-1) / k
        delta = (1.0 - k * (mean_sq - mean * mean)) / k
        tau = mean - np.sqrt(np.maximum(delta, 0.0))
        support = (tau <= xs).sum(axis=-1, keepdims=True)
        tau_star = np.take_along_axis(tau, support - 1, axis=-1)
        p = np.maximum(x - tau_star, 0.0)
        p *= p
        return p / p.sum(axis=-1, keepdims=True)


# ----------------------------------------------------------------------- mellowmax


def _omega(omega: Any) -> Any:
    """Validate ω (>= 0, inf allowed): a float, or a float64 array of per-row values."""
    if isinstance(omega, bool | np.bool_):
        raise TypeError(f"omega must be a number or an array of numbers, got {omega!r}")
    if isinstance(omega, numbers.Real):
        w = float(omega)
        if not w >= 0.0:
            raise ValueError(f"omega must be >= 0 (0 is the mean, inf the max), got {w}")
        return w
    arr = np.asarray(omega)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"omega must be a number or an array of numbers, got {omega!r}")
    arr = arr.astype(np.float64)
    bad = ~(arr >= 0.0)
    if bad.any():
        raise ValueError(
            f"omega must be >= 0 (0 is the mean, inf the max), got {arr[bad].flat[0]} "
            f"at index {np.argwhere(bad)[0].tolist()}"
        )
    return float(arr) if arr.ndim == 0 else arr


def _mellowmax(
    x: Any, omega: Any, axis: int, mask: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(mm, m, x, allowed)``, all keepdims along ``axis`` (``x`` as float)."""
    w = _omega(omega)
    raw = np.asarray(x)
    arr = _values(np.moveaxis(raw, axis, -1) if raw.ndim else raw)
    if mask is not None:
        mask = np.moveaxis(np.broadcast_to(np.asarray(mask), raw.shape), axis, -1)
    if isinstance(w, np.ndarray):
        try:
            w = np.broadcast_to(w, arr.shape[:-1])
        except ValueError:
            raise ValueError(
                f"omega of shape {w.shape} does not match the rows of values with shape "
                f"{raw.shape}: expected a scalar or shape {arr.shape[:-1]}"
            ) from None
        with np.errstate(divide="ignore"):
            t: Any = 1.0 / w
    else:
        t = math.inf if w == 0.0 else 1.0 / w
    # The core shifts by the row maximum and validates (NaN, empty, all excluded):
    # z = ω (x - max x), 0 at the maximum, -inf for excluded entries.
    z, m, _, _ = _shifted(arr, t, -1, mask)
    allowed = arr > -np.inf
    if mask is not None:
        allowed &= mask
    n = allowed.sum(axis=-1, keepdims=True)
    w_col = np.asarray(w)[..., None] if isinstance(w, np.ndarray) else w
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # log(mean(exp(z))) as log1p(mean(expm1(z))): exact for small ω, where the
        # textbook logsumexp(ω x) - log K cancels. Allowed entries far below the max
        # (z = -inf after underflow, or at ω = inf) contribute expm1(-inf) = -1.
        s = np.where(allowed, np.expm1(z), 0.0).sum(axis=-1, keepdims=True) / n
        mm = m + np.log1p(s) / w_col
        mean = np.where(allowed, arr - m, 0.0).sum(axis=-1, keepdims=True) / n + m
    mm = np.where(np.asarray(w_col) == 0.0, mean, mm)
    mm = np.where(m == np.inf, np.inf, mm)
    return mm, m, arr, allowed


def mellowmax(q: Any, omega: Any, *, axis: int = -1, mask: Any = None) -> Any:
    r"""The mellowmax operator :math:`mm_\omega(q) = \log(\frac1K \sum_i e^{\omega q_i}) / \omega`.

    It lies between the mean (``ω -> 0``, exact at ``ω = 0``) and the max (``ω ->
    inf``, exact at ``ω = inf``), is increasing in ``ω``, and, unlike the
    Boltzmann-weighted average :func:`boltzmann_weighted_average`, is a
    non-expansion: ``|mm(q) - mm(q')| <= max_i |q_i - q'_i|``, so value iteration
    with it converges to a unique fixed point.

    Parameters
    ----------
    q : array_like
        Values, any real numbers; ``-inf`` entries and ``mask=False`` entries are
        excluded (``K`` counts the allowed entries). NaN raises.
    omega : float or array_like
        ``ω >= 0``, a scalar or one per row (the shape of ``q`` without ``axis``).
    axis : int, default -1
    mask : array_like of bool, optional
        As in :func:`boltzmann_rl.softmax`.

    Returns
    -------
    numpy float64 scalar or ndarray
        The shape of ``q`` without ``axis``.

    Raises
    ------
    ValueError
        A negative or NaN ``omega``, NaN values, an empty axis, a row with no allowed
        entry.

    Notes
    -----
    Equal to ``logsumexp(q, 1/ω) - log(K)/ω`` (the core's log-sum-exp at temperature
    ``1/ω``), i.e. the soft maximum minus its upper bias. It is computed on the
    core's max-shifted values ``z = ω (q - max q)`` as
    ``max q + log1p(mean(expm1(z))) / ω``, which never overflows and keeps full
    precision at small ``ω``, where the difference of the two log-sum-exp terms
    would cancel.

    References
    ----------
    .. [1] K. Asadi and M. L. Littman, "An Alternative Softmax Operator for
       Reinforcement Learning", ICML 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.alternatives import mellowmax
    >>> q = np.array([1.0, 2.0, 6.0])
    >>> float(mellowmax(q, 0)), float(mellowmax(q, np.inf))
    (3.0, 6.0)
    >>> round(float(mellowmax(q, 1.0)), 6)
    4.926133
    >>> mellowmax([[0.0, 1e3], [0.0, 1e3]], omega=[1.0, 1e-9]).round(6)  # no overflow
    array([999.306853, 500.000125])
    """
    mm, _, _, _ = _mellowmax(q, omega, axis, mask)
    out = mm[..., 0]
    return out[()] if out.ndim == 0 else out


def _mellowmax_beta(x: np.ndarray, allowed: np.ndarray, mm: np.ndarray, m: np.ndarray) -> Any:
    """Solve ``Σ_i exp(β x_i) (x_i - mm) = 0`` for β >= 0, per row (rows on the last axis).

    Safeguarded Newton on ``h(β) = E_β[x] - mm`` (increasing, ``h' = Var_β[x]``)
    inside the bracket ``[0, (ln((K-1) R/δ) + 1) / δ]``, with ``δ = max - mm`` and
    ``R = max - min``: at its right end the best actions alone outweigh every action
    below ``mm``, so ``h > 0`` there.
    """
    shape = x.shape[:-1]
    finite_max = np.isfinite(m.reshape(-1))
    with np.errstate(invalid="ignore", over="ignore"):  # +inf rows are handled below
        xf = np.where(allowed, x - m, 0.0).reshape(-1, x.shape[-1])  # <= 0 where allowed
        target = (mm - m).reshape(-1)  # mm - max, <= 0
    ok = allowed.reshape(xf.shape)
    if (finite_max & ~np.isfinite(np.where(ok, xf, 0.0)).all(axis=-1)).any():
        raise ValueError(
            "mellowmax: the spread max(q) - min(q) of a row overflows float64 "
            f"(values of magnitude {np.abs(x[np.isfinite(x)]).max():.3g}); rescale the values"
        )
    lo_x = np.where(ok, xf, np.inf).min(axis=-1)
    spread = -lo_x  # R
    delta = -target  # δ
    kk = ok.sum(axis=-1)
    beta = np.zeros(xf.shape[0])
    uniform = finite_max & (spread == 0.0)  # all allowed values equal: any β solves
    greedy = finite_max & (spread > 0.0) & ~(delta > 0.0)  # mm rounded to the max
    mean_x = np.where(ok, xf, 0.0).sum(axis=-1) / kk
    at_mean = ~(target > mean_x)  # mm at (or rounded below) the mean: β = 0
    beta[greedy] = np.inf
    beta[~finite_max] = np.inf
    solve = ~uniform & ~greedy & ~at_mean
    if solve.any():
        beta[solve] = _newton_bracketed(
            xf[solve], ok[solve], target[solve], delta[solve], spread[solve], kk[solve]
        )
    return beta.reshape(shape)


def _newton_bracketed(
    x: np.ndarray,
    ok: np.ndarray,
    target: np.ndarray,
    delta: np.ndarray,
    spread: np.ndarray,
    k: np.ndarray,
) -> np.ndarray:
    d = np.where(ok, x - target[:, None], 0.0)

    def moments(b: np.ndarray, rows: Any) -> tuple[np.ndarray, np.ndarray]:
        e = np.where(ok[rows], np.exp(b[:, None] * x[rows]), 0.0)  # b x <= 0: no overflow
        p = e / e.sum(axis=-1, keepdims=True)
        dr = d[rows]
        h = (p * dr).sum(axis=-1)
        var = (p * (dr - h[:, None]) ** 2).sum(axis=-1)
        return h, var

    lo = np.zeros(x.shape[0])
    hi = (np.log((k - 1) * spread / delta) + 1.0) / delta
    beta = lo.copy()
    h, var = moments(beta, slice(None))
    # h is a sum of K terms of size <= R: below this it is rounding noise.
    tol = 2.0 * k * np.finfo(np.float64).eps * spread
    rows = np.arange(x.shape[0])
    for _ in range(200):  # Newton converges in about 10 steps; bisection in at most 60 more
        b, lo_r, hi_r = beta[rows], lo[rows], hi[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = b - h / var
        newton_ok = (newton > lo_r) & (newton < hi_r)
        step = np.where(newton_ok, newton, 0.5 * (lo_r + hi_r))
        moved = np.abs(step - b)
        beta[rows] = step
        h, var = moments(step, rows)
        lo[rows] = lo_r = np.where(h < 0, step, lo_r)
        hi[rows] = hi_r = np.where(h > 0, step, hi_r)
        done = (
            (np.abs(h) <= tol[rows])
            | (hi_r - lo_r <= 4e-16 * hi_r)
            | (newton_ok & (moved <= 4e-16 * step))
        )
        rows, h, var = rows[~done], h[~done], var[~done]
        if rows.size == 0:
            break
    return beta


@register_policy
class Mellowmax(_Base):
    r"""The maximum-entropy mellowmax policy (Asadi & Littman 2017).

    The Boltzmann policy :math:`\pi(a) \propto \exp(\beta q_a)` whose inverse
    temperature β is chosen, per state (row), so that its expected value equals
    :func:`mellowmax` of the values:

    .. math:: \sum_a \exp(\beta (q_a - mm_\omega(q)))\,(q_a - mm_\omega(q)) = 0.

    Among all distributions with that expected value it has the largest entropy.
    The temperature adapts to the values: rows whose values are spread widely get a
    smaller β than rows with nearly equal values.

    Parameters
    ----------
    omega : float, Schedule or array_like, default 1.0
        ``ω >= 0`` in inverse units of the values: a number, a schedule evaluated
        at ``step``, or one per row. ``0`` gives the uniform policy (mm is the
        mean), ``inf`` the greedy one (mm is the max).

    Raises
    ------
    ValueError
        A negative or NaN ω; NaN action values.

    Notes
    -----
    The left side of the equation is increasing in β, negative at ``β = 0`` (where
    it is ``K (mean - mm) <= 0``) and positive beyond
    ``(ln((K-1) R / δ) + 1) / δ`` with ``R = max - min`` and ``δ = max - mm``, so it
    has exactly one root, found by Newton's method safeguarded by bisection on that
    bracket, for all rows at once, to about machine precision (no SciPy needed).

    When all values of a row are equal, ``mm`` equals them and *every* β solves the
    equation; the maximum-entropy answer, returned here, is the uniform policy
    (``β = 0``). With ``-inf`` values those actions are excluded and the rest is
    treated as above.

    References
    ----------
    .. [1] K. Asadi and M. L. Littman, "An Alternative Softmax Operator for
       Reinforcement Learning", ICML 2017, Algorithm 1.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.alternatives import Mellowmax, mellowmax
    >>> pi = Mellowmax(omega=2.0)
    >>> q = np.array([0.0, 1.0, 2.0])
    >>> p = pi.probs(q)
    >>> p.round(4)
    array([0.1083, 0.2613, 0.6304])
    >>> bool(np.isclose(p @ q, mellowmax(q, 2.0)))  # the expected value is mm
    True
    >>> round(pi.beta(q), 4)
    0.8808
    >>> pi.probs(np.array([3.0, 3.0, 3.0]))  # all equal: uniform
    array([0.33333333, 0.33333333, 0.33333333])
    """

    text_name = "mellowmax"
    _fields = ("omega",)
    omega: Any  # a number, a Schedule or a per-row float64 array

    def __init__(self, omega: Any = 1.0) -> None:
        object.__setattr__(self, "omega", _parameter(omega, "omega", "mellowmax"))

    def beta(self, q: Any, *, step: Any = 0) -> Any:
        """The inverse temperature β of each row (``0`` uniform, ``inf`` greedy).

        Returns
        -------
        float or ndarray
            One per row: the shape of ``q`` without its last axis.
        """
        omega = _evaluate(self.omega, step)
        mm, m, x, allowed = _mellowmax(_values(q), omega, -1, None)
        w = np.broadcast_to(np.asarray(omega, dtype=np.float64), x.shape[:-1])
        beta = _mellowmax_beta(x, allowed, mm, m)
        beta = np.where(w == np.inf, np.inf, np.where(w == 0.0, 0.0, beta))
        return _rowwise(beta)

    def _temperature(self, q: Any, step: Any) -> Any:
        with np.errstate(divide="ignore"):
            return np.divide(1.0, self.beta(q, step=step))

    def probs(self, q: Any, *, step: Any = 0, counts: Any = None) -> np.ndarray:
        """``softmax(q, 1/β)`` with β from :meth:`beta`, shape ``(..., K)``."""
        qv = _values(q)
        return softmax(qv, self._temperature(qv, step))

    def sample(self, q: Any, rng: Any, *, step: Any = 0, counts: Any = None) -> int | np.ndarray:
        """Draw actions with :func:`boltzmann_rl.softmax_sample` at temperature ``1/β``."""
        qv = _values(q)
        return _softmax_sample(qv, rng, self._temperature(qv, step))

    def log_prob(self, q: Any, action: Any, *, step: Any = 0, counts: Any = None) -> Any:
        """``log_softmax(q, 1/β)`` at ``action``."""
        qv = _values(q)
        lp = log_softmax(qv, self._temperature(qv, step))
        a = _actions(action, lp)
        return _rowwise(np.take_along_axis(lp, a[..., None], axis=-1)[..., 0])

    def entropy(self, q: Any, *, step: Any = 0, counts: Any = None) -> Any:
        """Entropy of ``softmax(q, 1/β)`` in nats."""
        qv = _values(q)
        return _rowwise(softmax_entropy(qv, self._temperature(qv, step)))


# ------------------------------------------------------------------- softmax, base b


@register_policy
class SoftmaxBase(_Base):
    r"""The softmax with base ``b``, :math:`p_i \propto b^{q_i}`: Boltzmann at ``T = 1/ln b``.

    ``b ** q == exp(q ln b)``, so a base is a temperature in disguise: base ``e`` is
    ``T = 1``, base ``2`` is ``T = 1/ln 2 ≈ 1.44``, base ``10`` is ``T ≈ 0.43``. The
    base is therefore not a free design choice beyond what the temperature already
    offers; this class exists to show (and test) exactly that.

    Parameters
    ----------
    base : float, default e
        ``b >= 1``. ``b = 1`` is the uniform policy (``T = inf``) and ``b = inf`` the
        greedy one (``T = 0``).

    Raises
    ------
    ValueError
        ``b < 1`` or NaN. A base in ``(0, 1)`` is a *negative* temperature
        ``1/ln b < 0``: it prefers the worst actions (a softmin), which is never an
        action-selection rule for rewards, so it is rejected rather than silently
        reinterpreted; write ``softmax_base(base=1/b)`` on negated values if a softmin
        is what you want.
    TypeError
        A base that is not a number.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.alternatives import SoftmaxBase
    >>> from boltzmann_rl.policies import Boltzmann
    >>> q = np.array([0.0, 1.0, 3.0])
    >>> SoftmaxBase(base=2.0).probs(q)
    array([0.09090909, 0.18181818, 0.72727273])
    >>> (2.0 ** q) / (2.0 ** q).sum()
    array([0.09090909, 0.18181818, 0.72727273])
    >>> round(SoftmaxBase(base=2.0).temperature, 6)
    1.442695
    >>> bool(np.allclose(SoftmaxBase(10.0).probs(q), Boltzmann(1 / np.log(10.0)).probs(q)))
    True
    """

    text_name = "softmax_base"
    _fields = ("base",)
    base: float

    def __init__(self, base: float = math.e) -> None:
        if isinstance(base, bool | np.bool_) or not isinstance(base, numbers.Real):
            raise TypeError(f"softmax_base: base must be a number, got {base!r}")
        b = float(base)
        if math.isnan(b) or b < 1.0:
            detail = ""
            if 0.0 < b < 1.0:
                detail = (
                    f" (a base in (0, 1) is the negative temperature 1/ln b = "
                    f"{1.0 / math.log(b):.6g}: it would prefer the worst actions)"
                )
            raise ValueError(f"softmax_base: base must be >= 1, got {base}{detail}")
        object.__setattr__(self, "base", b)

    @property
    def temperature(self) -> float:
        """The equivalent Boltzmann temperature ``1 / ln b`` (``inf`` at ``b = 1``)."""
        lnb = math.log(self.base)
        return math.inf if lnb == 0.0 else 1.0 / lnb

    def probs(self, q: Any, *, step: Any = 0, counts: Any = None) -> np.ndarray:
        """``b ** q / Σ b ** q``, computed as ``softmax(q, 1/ln b)``."""
        return softmax(_values(q), self.temperature)

    def sample(self, q: Any, rng: Any, *, step: Any = 0, counts: Any = None) -> int | np.ndarray:
        """Draw actions with :func:`boltzmann_rl.softmax_sample`."""
        return _softmax_sample(_values(q), rng, self.temperature)

    def log_prob(self, q: Any, action: Any, *, step: Any = 0, counts: Any = None) -> Any:
        """``log_softmax(q, 1/ln b)`` at ``action``."""
        lp = log_softmax(_values(q), self.temperature)
        a = _actions(action, lp)
        return _rowwise(np.take_along_axis(lp, a[..., None], axis=-1)[..., 0])

    def entropy(self, q: Any, *, step: Any = 0, counts: Any = None) -> Any:
        """Entropy in nats."""
        return _rowwise(softmax_entropy(_values(q), self.temperature))


# ------------------------------------------------------------------ soft operators


def boltzmann_weighted_average(
    q: Any, temperature: Any = 1.0, *, axis: int = -1, mask: Any = None
) -> Any:
    r"""The Boltzmann-weighted average :math:`\sum_i \mathrm{softmax}(q/T)_i\, q_i`.

    The expected value of ``q`` under the Boltzmann policy: the backup of expected
    SARSA with that policy. It tends to the max as ``T -> 0`` (exact at 0) and to
    the mean as ``T -> inf`` (exact at inf), but it is **not** a non-expansion:
    ``|f(q) - f(q')|`` can exceed ``max_i |q_i - q'_i|`` (for two values ``[0, a]``
    its slope in ``a`` is ``σ(a/T) (1 + (a/T)(1 - σ(a/T)))``, above 1 near
    ``a ≈ 1.5 T``), which is how value iteration with it can have several fixed
    points. :func:`mellowmax` is the non-expansive alternative.

    Parameters
    ----------
    q, temperature, axis, mask
        As in :func:`boltzmann_rl.softmax`; excluded entries do not contribute.

    Returns
    -------
    numpy scalar or ndarray
        The shape of ``q`` without ``axis``.

    References
    ----------
    .. [1] K. Asadi and M. L. Littman, "An Alternative Softmax Operator for
       Reinforcement Learning", ICML 2017, sec. 3.

    Examples
    --------
    >>> from boltzmann_rl.alternatives import boltzmann_weighted_average as boltz
    >>> round(float(boltz([0.0, 1.5], 1.0)), 4), round(float(boltz([0.0, 2.0], 1.0)), 4)
    (1.2264, 1.7616)

    The inputs differ by 0.5, the outputs by more: not a non-expansion.
    """
    p = softmax(q, temperature, axis=axis, mask=mask)
    x = np.asarray(q, dtype=p.dtype)
    with np.errstate(invalid="ignore"):
        out = np.where(p > 0, p * np.where(p > 0, x, 0.0), 0.0).sum(axis=axis)
    return out[()] if out.ndim == 0 else out


ALTERNATIVE_NAMES: dict[str, type] = {
    "normalize": Normalize,
    "sparsemax": Sparsemax,
    "entmax15": Entmax15,
    "mellowmax": Mellowmax,
    "softmax_base": SoftmaxBase,
}
"""The alternative policy classes by text-form name (see :mod:`boltzmann_rl.spec`)."""


_MOVED = {"soft_backup", "mellowmax_backup"}


def __getattr__(name: str) -> Any:
    # The two soft backups moved to boltzmann_rl.gym.backups; imported on first use
    # only, so that this module (below the gym layer) does not import it.
    if name in _MOVED:
        from boltzmann_rl.gym import backups

        return getattr(backups, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
