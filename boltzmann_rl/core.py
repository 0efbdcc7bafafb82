"""The stable softmax core: one code path for every probability in the toolkit.

Convention, used in every docstring of the package: a *temperature* ``T >= 0``
turns logits (action values) ``x`` into the Boltzmann distribution

.. math::

    p_i = \\frac{\\exp(x_i / T)}{\\sum_j \\exp(x_j / T)},

with ``T -> 0`` the argmax (mass split equally among tied maxima) and ``T -> inf``
the uniform distribution over the allowed entries. Both limits are exact here.

The contract of every function in this module:

* the logits are shifted by their maximum before exponentiation (each row's, or
  the whole array's when many short float64 rows all lie within a few temperatures
  of each other), so no input overflows, and the warnings numpy would emit for
  intermediate overflow or underflow are never emitted for valid input;
* ``-inf`` logits and ``mask=False`` entries are excluded (probability exactly 0);
  ``+inf`` logits share all the mass equally, at every temperature;
* ``temperature`` is a scalar or an array with the shape of ``x`` without ``axis``
  (one temperature per row), so one call can evaluate many temperatures at once;
* NaN logits, a negative or NaN temperature, an empty axis, a row with every
  entry excluded, and a mask that does not broadcast raise ``ValueError`` naming
  the offending value;
* floating input keeps its dtype, except float16, which is computed in float32
  (and returned as float32); integer and boolean input is computed in float64.

The arithmetic lives in the private numeric floor, :mod:`boltzmann_rl._floor`,
which the policies, the bandit kernels and the gym agents use too: its
:func:`~boltzmann_rl._floor.shifted` is the one place where logits become the
shifted, scaled values ``z = (x - max x) / T`` (0 at the maximum, ``-inf`` for
excluded entries), and :func:`softmax`, :func:`log_softmax`, :func:`logsumexp`,
:func:`softmax_entropy` and :func:`softmax_sample` are all built on it. Three fast
paths of :func:`softmax` and :func:`softmax_sample`, in the floor, skip it where its
generality costs more than the arithmetic, each tested against it: a pure-Python one
for a single row of at most 32 logits, one for many short float64 rows within a
narrow span and one for arrays of more than 4 MiB, taken a block of rows at a time.
Their timings against ``np.exp`` and scipy are in ``benchmarks/bench_core.py``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.random import Generator

from boltzmann_rl._floor import (
    _ONES,
    _SAMPLE_SPAN,
    _SPAN,
    blocked_softmax,
    draw_rows,
    entropy_of_logits,
    lse_shifted,
    pick_tie,
    shift,
    small_argmax,
    small_choice,
    small_row,
    small_weights,
    span_weights,
    validate,
)
from boltzmann_rl._floor import shifted as _shifted

__all__ = [
    "as_generator",
    "log_softmax",
    "logsumexp",
    "softmax",
    "softmax_entropy",
    "softmax_sample",
]

ArrayLike = Any
RNGLike = Generator | int | np.random.SeedSequence | None


def as_generator(rng: RNGLike = None) -> Generator:
    """Return a :class:`numpy.random.Generator` for ``rng``.

    Every random entry point of the toolkit takes ``rng: Generator | int | None``
    and normalises it once, here. No global random state is ever used.

    Parameters
    ----------
    rng : Generator, int, SeedSequence or None
        An existing generator is returned as is (so draws continue its stream);
        an int or a :class:`numpy.random.SeedSequence` seeds a new PCG64 generator;
        ``None`` seeds one from fresh OS entropy.

    Returns
    -------
    Generator

    Raises
    ------
    TypeError
        If ``rng`` is of any other type (for example the legacy ``RandomState``).
    ValueError
        If ``rng`` is a negative integer.

    Examples
    --------
    >>> from boltzmann_rl import as_generator
    >>> g = as_generator(42)
    >>> as_generator(g) is g
    True
    >>> float(as_generator(42).random()) == float(as_generator(42).random())
    True
    """
    if isinstance(rng, Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng seed must be a non-negative integer, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        "rng must be a numpy.random.Generator, an int seed or None, "
        f"got {type(rng).__name__}: {rng!r}"
    )


# --------------------------------------------------------------------- public API


def softmax(
    x: ArrayLike,
    temperature: ArrayLike = 1.0,
    *,
    axis: int = -1,
    mask: ArrayLike | None = None,
) -> np.ndarray:
    r"""Softmax (Boltzmann) probabilities of ``x`` at ``temperature``.

    .. math:: p_i = \exp(x_i / T) / \sum_j \exp(x_j / T)

    computed as ``exp(z) / sum(exp(z))`` with ``z = (x - max x) / T``, so no entry
    overflows whatever the magnitude of ``x`` or the smallness of ``T``.

    Parameters
    ----------
    x : array_like
        Logits (action values). Any real values, ``-inf`` included (an excluded
        action); NaN raises.
    temperature : float or array_like, default 1.0
        ``T >= 0``. A scalar, or one temperature per row: an array with the shape
        of ``x`` without ``axis`` (broadcastable to it). ``0`` is the argmax with
        ties sharing the mass equally; ``inf`` is uniform over allowed entries.
    axis : int, default -1
        The axis over which the probabilities sum to one.
    mask : array_like of bool, optional
        Broadcastable to ``x``; ``False`` marks an action that is not allowed
        (probability exactly 0).

    Returns
    -------
    ndarray
        Probabilities with the shape of ``x``, in ``x``'s floating dtype (float32
        for float16), float64 for integer or boolean ``x``.

    Raises
    ------
    ValueError
        NaN in ``x``, a negative or NaN temperature, an empty axis, a row with no
        allowed entry, a temperature or mask whose shape does not fit.
    TypeError
        Non-numeric logits or temperature, a non-boolean mask.

    Notes
    -----
    Softmax is invariant to adding a constant to every logit but not to scaling
    them: temperature ``T`` is the same as dividing the logits by ``T``, so ``T``
    is measured in the units of the action values. With two classes it is the
    logistic function, ``softmax([a, 0])[0] == 1 / (1 + exp(-a))``.

    References
    ----------
    .. [1] J. S. Bridle, "Probabilistic interpretation of feedforward classification
       network outputs, with relationships to statistical pattern recognition",
       Neurocomputing, 1990.
    .. [2] R. S. Sutton and A. G. Barto, *Reinforcement Learning: An Introduction*,
       2nd ed., MIT Press, 2018, sec. 2.8 and 13.1.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl import softmax
    >>> softmax([1.0, 2.0, 3.0])
    array([0.09003057, 0.24472847, 0.66524096])

    Naive ``exp(x) / exp(x).sum()`` overflows here; this does not:

    >>> softmax([1000.0, 1000.0, -1000.0])
    array([0.5, 0.5, 0. ])

    The temperature moves the policy between argmax and uniform, exactly:

    >>> softmax([1.0, 3.0, 3.0], temperature=0)
    array([0. , 0.5, 0.5])
    >>> softmax([1.0, 3.0, 3.0], temperature=np.inf)
    array([0.33333333, 0.33333333, 0.33333333])

    One temperature per row evaluates a whole sweep in one call:

    >>> softmax([[0.0, 1.0], [0.0, 1.0]], temperature=[1.0, 0.1]).round(6)
    array([[0.268941, 0.731059],
           [0.000045, 0.999955]])
    """
    e = small_weights(x, temperature, axis, mask)
    if e is not None:
        s = sum(e)  # 1 <= s <= len(e): as accurate as np.sum's pairwise sum here
        if s == s:  # NaN: the general path decides (see small_weights)
            return np.array([v / s for v in e])
    arr, axis, t = validate(x, temperature, axis)
    if mask is None and isinstance(t, float) and 0.0 < t < math.inf:
        z = span_weights(arr, t, axis, _SPAN)
        if z is not None:
            if axis == z.ndim - 1:
                s = np.matmul(z, _ONES[: z.shape[axis]])[..., None]
            else:
                s = z.sum(axis=axis, keepdims=True)
            # Multiplying by the reciprocal of the row sum costs one rounding more than
            # dividing by it (1 ulp) and is cheaper per entry.
            z *= np.reciprocal(s, out=s)
            return z
        p = blocked_softmax(arr, t, axis)
        if p is not None:
            return p
    w, _, _, axis = shift(arr, t, axis, mask, weights=True)
    w /= w.sum(axis=axis, keepdims=True)
    return w


def log_softmax(
    x: ArrayLike,
    temperature: ArrayLike = 1.0,
    *,
    axis: int = -1,
    mask: ArrayLike | None = None,
) -> np.ndarray:
    r"""Logarithm of :func:`softmax`, computed without forming the probabilities.

    .. math:: \log p_i = z_i - \log \sum_j \exp(z_j), \quad z = (x - \max x) / T

    Parameters
    ----------
    x, temperature, axis, mask
        As in :func:`softmax`.

    Returns
    -------
    ndarray
        Log-probabilities, ``-inf`` exactly for excluded actions and, at
        ``temperature=0``, for every non-maximal action.

    Raises
    ------
    ValueError, TypeError
        As in :func:`softmax`.

    Notes
    -----
    ``log(softmax(x))`` loses every probability that underflows to 0; the direct
    form keeps them, and it keeps full relative precision for the largest entry
    (``log1p`` of the sum of the others).

    Examples
    --------
    >>> from boltzmann_rl import log_softmax
    >>> log_softmax([1000.0, 1.0])
    array([   0., -999.])

    where ``np.log(softmax([1000.0, 1.0]))`` would give ``-inf`` for the second.
    """
    z, _, _, axis = _shifted(x, temperature, axis, mask)
    lse = lse_shifted(z, axis)
    z -= lse
    return z


def logsumexp(
    x: ArrayLike,
    temperature: ArrayLike = 1.0,
    *,
    axis: int = -1,
    mask: ArrayLike | None = None,
) -> np.ndarray | np.floating:
    r"""The smooth maximum ``T * log(sum(exp(x / T)))`` along ``axis``.

    Its gradient with respect to ``x`` is ``softmax(x, T)``. It lies between
    ``max(x)`` and ``max(x) + T * log(K)`` for ``K`` allowed entries, tends to
    ``max(x)`` as ``T -> 0`` (exact at ``T = 0``) and to ``mean(x) + T * log(K)`` as
    ``T -> inf`` (``+inf`` at ``T = inf`` when more than one entry is allowed).

    Parameters
    ----------
    x, temperature, axis, mask
        As in :func:`softmax`; excluded entries do not enter the sum.

    Returns
    -------
    ndarray or numpy scalar
        The shape of ``x`` without ``axis`` (a numpy scalar for 1-D input).

    Raises
    ------
    ValueError, TypeError
        As in :func:`softmax`.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl import logsumexp
    >>> float(logsumexp([1000.0, 1000.0]))  # 1000 + log 2, no overflow
    1000.6931471805599
    >>> float(logsumexp([1.0, 2.0, 3.0], temperature=0))
    3.0
    >>> logsumexp([[0.0, 0.0], [1.0, 3.0]], temperature=[1.0, 0.5])
    array([0.69314718, 3.00907496])
    """
    z, m, t, axis = _shifted(x, temperature, axis, mask)
    lse = lse_shifted(z, axis)
    # Overflow here is the correctly rounded value: T * lse beyond the float range, or
    # a result beyond the logits' dtype (float32 logits, T = 1e300) cast to +-inf.
    with np.errstate(over="ignore", invalid="ignore"):
        out = m + t * lse
        # A single allowed (or +inf) entry: the result is that entry, exactly, not
        # m + T * 0, which is NaN where T is inf.
        out = np.where(lse == 0.0, m, out)
        out = out.squeeze(axis=axis).astype(z.dtype, copy=False)
    return out[()] if out.ndim == 0 else out


def softmax_entropy(
    x: ArrayLike,
    temperature: ArrayLike = 1.0,
    *,
    axis: int = -1,
    mask: ArrayLike | None = None,
) -> np.ndarray | np.floating:
    r"""Shannon entropy (in nats) of the softmax distribution of ``x``.

    .. math:: H = -\sum_i p_i \log p_i

    with ``log p`` from :func:`log_softmax`'s formula, so that every term keeps its
    relative precision even when the entropy is tiny; 0 for a single allowed action,
    ``log(n)`` for ``n`` tied maxima at ``T = 0`` and ``log(K)`` at ``T = inf``.

    Parameters
    ----------
    x, temperature, axis, mask
        As in :func:`softmax`.

    Returns
    -------
    ndarray or numpy scalar
        The shape of ``x`` without ``axis``.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl import softmax_entropy
    >>> bool(np.isclose(softmax_entropy([0.0, 0.0, 0.0, 0.0]), np.log(4)))
    True
    >>> float(softmax_entropy([1.0, 5.0, 5.0], temperature=0)) == float(np.log(2))
    True
    """
    z, _, _, axis = _shifted(x, temperature, axis, mask)
    h = entropy_of_logits(z, axis)
    return h[()] if h.ndim == 0 else h


def softmax_sample(
    x: ArrayLike,
    rng: RNGLike = None,
    temperature: ArrayLike = 1.0,
    *,
    axis: int = -1,
    mask: ArrayLike | None = None,
) -> int | np.ndarray:
    r"""Draw one index per row from the softmax distribution of ``x``.

    Inverse-CDF sampling on the unnormalised weights ``exp(z)``: one uniform draw
    per row, no normalisation pass. It is faster than the Gumbel-max trick
    ``argmax(z + G)``, which needs a uniform and two logarithms per entry: 2.4x on a
    (2000, 10) array and 1.1x to 1.5x on one row of 4 to 18 logits (see
    ``benchmarks/bench_core.py``). Actions with probability 0 (masked, ``-inf``,
    non-maximal at ``T = 0``) are never drawn, whatever the uniform; tied maxima at
    ``T = 0`` are drawn uniformly.

    Parameters
    ----------
    x, temperature, axis, mask
        As in :func:`softmax`.
    rng : Generator, int or None
        The source of randomness (see :func:`as_generator`).

    Returns
    -------
    int or ndarray of int64
        An ``int`` for 1-D ``x``, otherwise indices with the shape of ``x``
        without ``axis``.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl import softmax_sample
    >>> rng = np.random.default_rng(0)
    >>> softmax_sample([0.0, 0.0, -np.inf], rng) in (0, 1)
    True
    >>> softmax_sample([[5.0, 0.0], [0.0, 5.0]], rng, temperature=0).tolist()
    [0, 1]
    """
    gen = rng if type(rng) is Generator else as_generator(rng)
    if type(temperature) in (float, int):
        row = small_row(x, axis, mask)
        if row is not None:
            if temperature == 0:  # a uniform only to break a tie
                a = small_argmax(row)
                if type(a) is int:
                    return a
                if a is not None:
                    # a list of ties: mypy does not narrow the false branch of `type(a) is int`
                    return pick_tie(a, gen.random())  # type: ignore[arg-type]
            elif 0 < temperature <= 1e305:
                # Inverse CDF: the first cumulative weight above u. u < total (u < 1
                # and the product rounds down), and a zero weight repeats the
                # cumulative value before it, so it is never the first above u.
                return small_choice(row, float(temperature), gen.random())
    arr, axis, t = validate(x, temperature, axis)
    z = None
    if mask is None and isinstance(t, float) and 0.0 < t < math.inf:
        z = span_weights(arr, t, axis, _SAMPLE_SPAN)
    if z is None:
        z = shift(arr, t, axis, mask, weights=True)[0]
    return draw_rows(z, gen, axis)
