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
* float32 input gives float32 output, float64 gives float64; integer and boolean
  input is computed in float64.

The private helper :func:`_shifted` is the one place where logits become the
shifted, scaled values ``z = (x - max x) / T`` (0 at the maximum, ``-inf`` for
excluded entries). :func:`softmax`, :func:`log_softmax`, :func:`logsumexp`,
:func:`softmax_entropy` and :func:`softmax_sample` are all built on it. Three fast
paths of :func:`softmax` and :func:`softmax_sample` skip it where its generality
costs more than the arithmetic, each tested against it: a pure-Python one for a
single row of at most 32 logits (:func:`_small_weights`), one for many short float64
rows within a narrow span (:func:`_span_weights`) and one for arrays of more than
4 MiB, taken a block of rows at a time (:func:`_blocked_softmax`). Their timings
against ``np.exp`` and scipy are in ``benchmarks/bench_core.py``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.random import Generator

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

# Rows of at most this many logits given as 1-D float64 arrays (or lists) with a
# scalar temperature and no mask take a pure-Python path: for a single decision
# of a gym agent, numpy's per-call overhead costs more than the arithmetic.
_SMALL = 32
_FLOAT64 = np.dtype(np.float64)  # native byte order; other orders take the general path


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


# --------------------------------------------------------------------------- checks


def _as_float_array(x: ArrayLike) -> np.ndarray:
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if kind == "f":
        if arr.dtype == np.float16:
            return arr.astype(np.float32)
        return arr
    if kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(f"logits must be real numbers, got an array of dtype {arr.dtype}")


def _normalize_axis(axis: int, ndim: int) -> int:
    if ndim == 0:
        raise ValueError("logits must have at least one dimension, got a scalar")
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for logits with {ndim} dimension(s)")
    return int(axis) % ndim


def _check_temperature(temperature: ArrayLike, x: np.ndarray, axis: int) -> np.ndarray | float:
    """Return the temperature as a float, or an array broadcastable against ``x``."""
    if isinstance(temperature, numbers.Real) and not isinstance(temperature, bool):
        t = float(temperature)
        if not t >= 0.0:  # catches NaN too
            raise ValueError(f"temperature must be >= 0 (0 is argmax, inf is uniform), got {t}")
        return t
    t_arr = np.asarray(temperature)
    if t_arr.dtype.kind not in "fiu":
        raise TypeError(f"temperature must be a real number or array, got {temperature!r}")
    t_arr = t_arr.astype(np.float64)
    if t_arr.ndim == 0:
        return _check_temperature(float(t_arr), x, axis)
    bad = ~(t_arr >= 0.0)
    if bad.any():
        raise ValueError(
            "temperature must be >= 0 (0 is argmax, inf is uniform), "
            f"got {t_arr[bad].flat[0]} at index {np.argwhere(bad)[0].tolist()}"
        )
    row_shape = x.shape[:axis] + x.shape[axis + 1 :]
    try:
        t_arr = np.broadcast_to(t_arr, row_shape)
    except ValueError:
        raise ValueError(
            f"temperature of shape {t_arr.shape} does not match the rows of logits: "
            f"expected a scalar or shape {row_shape} (the logits' shape {x.shape} "
            f"without axis {axis})"
        ) from None
    return np.expand_dims(t_arr, axis)


def _row_index(flags: np.ndarray, axis: int) -> list[int]:
    """Index of the first True entry of a keepdims boolean array, without ``axis``."""
    idx = np.argwhere(flags)[0].tolist()
    del idx[axis]
    return idx


def _validate(
    x: ArrayLike, temperature: ArrayLike, axis: int
) -> tuple[np.ndarray, int, np.ndarray | float]:
    """Return ``(arr, axis, t)``: the logits as a float array, a non-negative axis, T."""
    arr = _as_float_array(x)
    axis = _normalize_axis(axis, arr.ndim)
    if arr.shape[axis] == 0:
        raise ValueError(f"logits have an empty axis {axis} (shape {arr.shape})")
    return arr, axis, _check_temperature(temperature, arr, axis)


def _shifted(
    x: ArrayLike, temperature: ArrayLike, axis: int, mask: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | float, int]:
    """Validate the inputs and return ``(z, m, t, axis)``.

    ``z = (x - m) / t`` along ``axis`` with ``m`` the row maximum over the allowed
    entries (keepdims), computed without overflow; ``z`` is 0 at the maximum and
    ``-inf`` for excluded entries. At ``t == 0`` (argmax), ``t == inf`` (uniform)
    and for rows with ``+inf`` logits, ``z`` is 0 on the entries that share the mass
    and ``-inf`` elsewhere, so callers need no special cases. ``z`` is a fresh
    array that callers may overwrite.
    """
    arr, axis, t = _validate(x, temperature, axis)
    return _shift(arr, t, axis, mask)


def _shift(
    arr: np.ndarray,
    t: np.ndarray | float,
    axis: int,
    mask: ArrayLike | None,
    *,
    weights: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | float, int]:
    """:func:`_shifted` after :func:`_validate`.

    With ``weights=True`` the first element is ``exp(z)`` instead of ``z``: at a
    scalar T of 0 or inf it is then built directly as 1 where the mass is shared and
    0 elsewhere, with neither ``-inf`` nor an exp (numpy's exp of ``-inf`` leaves its
    vectorized loop).
    """
    dtype = arr.dtype
    if mask is not None:
        mask_arr = np.asarray(mask)
        if mask_arr.dtype != np.bool_:
            raise TypeError(
                f"mask must be a boolean array (True = allowed), got dtype {mask_arr.dtype}"
            )
        try:
            mask_arr = np.broadcast_to(mask_arr, arr.shape)
        except ValueError:
            raise ValueError(
                f"mask of shape {mask_arr.shape} does not broadcast to logits of shape {arr.shape}"
            ) from None
        if np.isnan(arr).any():
            _raise_nan(arr)
        arr = np.where(mask_arr, arr, dtype.type(-np.inf))
    m = _row_max(arr, axis)  # NaN propagates into m
    finite = bool(np.isfinite(m).all())
    if not finite:
        if np.isnan(m).any():
            _raise_nan(arr)
        if (m == -np.inf).any():
            raise ValueError(
                "every entry of a row is excluded (-inf or masked), so no action is "
                f"allowed: row {_row_index(m == -np.inf, axis)} of logits with shape "
                f"{arr.shape}"
            )
    if isinstance(t, float) and (t == 0.0 or t == np.inf):
        # exact limits: no difference to compute; +inf rows give their mass to +inf
        share = _share(arr, m, uniform=t == np.inf)
        if weights:
            return share.astype(dtype), m, t, axis
        return np.where(share, dtype.type(0.0), dtype.type(-np.inf)), m, t, axis
    with np.errstate(over="raise", invalid="ignore"):
        try:
            d = np.subtract(arr, m)
            scale = 1.0
        except FloatingPointError:
            # The difference of two finite floats exceeds the float range. Halving
            # both first is exact at such magnitudes; the halved difference divided
            # by T and then doubled is the correctly rounded z.
            with np.errstate(invalid="ignore"):
                d = np.subtract(arr * 0.5, m * 0.5)
            scale = 2.0
    # d is <= 0, -inf for excluded entries, NaN where x = m = +inf.
    if isinstance(t, float):
        z = _divide(d, t, scale)
    else:
        zero = t == 0.0
        inf = t == np.inf
        special = zero | inf
        z = _divide(d, np.where(special, 1.0, t), scale)
        if special.any():
            z = np.where(zero, _limit(arr, m, uniform=False), z)
            z = np.where(inf, _limit(arr, m, uniform=True), z)
    if not finite and (m == np.inf).any():
        z = np.where(m == np.inf, _limit(arr, m, uniform=False), z)
    if weights:
        np.exp(z, out=z)
    return z, m, t, axis


# Along the last axis of a C-contiguous array, rows shorter than _ARGMAX_ROW take their
# maximum through argmax: numpy's max reduction costs ~30 ns a row over a short inner
# axis, argmax ~5 ns. The maximum is the same value either way.
_ARGMAX_ROW = 1024


def _by_rows(a: np.ndarray, axis: int) -> bool:
    """Whether ``axis`` is the last axis of a C-contiguous array with several rows."""
    return a.ndim > 1 and axis == a.ndim - 1 and a.flags.c_contiguous


def _flat_argmax(a: np.ndarray) -> np.ndarray:
    """Flat indices into ``a.ravel()`` of the first maximum of each row (last axis).

    Like ``max``, ``argmax`` treats NaN as the largest value (the first NaN of a row).
    """
    idx = a.argmax(axis=-1)
    idx += np.arange(0, a.size, a.shape[-1]).reshape(idx.shape)
    return idx


def _row_max(arr: np.ndarray, axis: int) -> np.ndarray:
    """The maximum of each row along ``axis`` (keepdims); NaN for a row with NaN."""
    if arr.shape[axis] < _ARGMAX_ROW and _by_rows(arr, axis):
        return arr.ravel().take(_flat_argmax(arr))[..., None]
    return arr.max(axis=axis, keepdims=True)


# Short float64 rows whose logits all lie within a few temperatures of each other (the
# vectorized bandit step: ~10 q-values per row at a moderate temperature) are shifted by
# the array's maximum instead of each row's: z = (x - max x) / T then lies in [-span, 0]
# everywhere, so exp cannot overflow, and it saves the per-row maximum and a broadcast
# subtraction, which on rows of ~10 entries cost more than the exp itself. Where the
# logits are small enough, no shift is needed at all (_span_weights). The price is
# one rounding of a number below the span: for softmax (span 32) a relative error below
# 32 * 2**-53 = 4e-15 in a probability, and exp never underflows. Sampling only needs the
# weights to a relative 1e-13 or so (span 512: weights within 512 T of the array's
# maximum stay normal floats, and those more than 196 T below their row's maximum,
# probability below 1e-85, underflow to 0). Rows of at most _SHORT_ROW entries are
# summed by a matrix-vector product, ~10x faster than np.sum over a short inner axis.
_SPAN = 32.0
_SAMPLE_SPAN = 512.0
_SHORT_ROW = 128
_ONES = np.ones(_SHORT_ROW)
_ONES.flags.writeable = False


def _span_weights(arr: np.ndarray, t: float, axis: int, span: float) -> np.ndarray | None:
    """The weights ``exp((x - max x) / t)``, the maximum over the whole array, or None.

    ``arr`` and ``axis`` come from :func:`_validate` and ``0 < t < inf``. None unless
    ``arr`` is float64 with several rows of at most ``_SHORT_ROW`` entries all within
    ``span * t`` of each other; so NaN and infinite entries return None too, and the
    general path handles (or rejects) them. The shift is skipped, one pass less, where
    ``exp(x / t)`` is as accurate as the shifted weights and cannot overflow or leave
    the normal floats: at ``t = 1`` with every ``|x| < 700`` (``x`` is exact, so no
    rounding at all), and otherwise with every ``|x / t| <= span`` (the rounding of
    ``x / t`` then costs at most the ``span`` ulp that rounding ``x - max x`` would).
    A fresh array that callers may overwrite.
    """
    if arr.ndim < 2 or arr.shape[axis] > _SHORT_ROW or arr.dtype != np.float64:
        return None
    hi = float(arr.max())  # NaN propagates and fails the test below
    lo = float(arr.min())
    if not (hi - lo) / t <= span:  # also False for inf and NaN
        return None
    if t == 1.0 and -700.0 < lo and hi < 700.0:
        return np.exp(arr)
    if t != 1.0 and -span <= lo / t and hi / t <= span:
        z = np.divide(arr, t)
    else:
        z = np.subtract(arr, hi)
        if t != 1.0:
            with np.errstate(under="ignore"):
                z /= t
    return np.exp(z, out=z)


def _cumsum(e: np.ndarray, axis: int) -> np.ndarray:
    """Cumulative sums of ``e`` along ``axis``, in place (left to right, as np.cumsum).

    Many short rows along the last axis are accumulated column by column: one call per
    column instead of numpy's one accumulate call per row (~35 ns each).
    """
    k = e.shape[axis]
    if axis == e.ndim - 1 and k <= 64 and e.size >= 16 * k * k:
        for j in range(1, k):
            np.add(e[..., j - 1], e[..., j], out=e[..., j])
        return e
    return np.cumsum(e, axis=axis, out=e)


# Arrays larger than 4 * _BLOCK bytes are turned into probabilities a block of about
# _BLOCK bytes of rows at a time (maximum, subtraction, exp, sum, division), so that
# each block is read from memory once and stays in cache for the other passes: a big
# array's softmax is bound by memory traffic, and this makes it that of one exp. The
# values are those of the general path, row by row.
_BLOCK = 1 << 20


def _blocked_softmax(arr: np.ndarray, t: float, axis: int) -> np.ndarray | None:
    """Softmax of a large array along its last axis block by block, or None.

    ``arr`` and ``axis`` come from :func:`_validate`, ``0 < t < inf``. None unless the
    array is large and C-contiguous and ``axis`` is its last; also None (the general
    path then handles or rejects it) as soon as a block has a row whose maximum is not
    finite or whose shift overflows.
    """
    k = arr.shape[axis]
    if arr.nbytes <= 4 * _BLOCK or axis != arr.ndim - 1 or not arr.flags.c_contiguous:
        return None
    if arr.dtype != np.float64 and not _fits(t, arr.dtype):
        return None
    rows = arr.reshape(-1, k)
    out = np.empty_like(rows)
    step = max(1, _BLOCK // rows[0].nbytes)
    tt = arr.dtype.type(t)
    for i in range(0, rows.shape[0], step):
        block = rows[i : i + step]
        m = _row_max(block, 1)
        if not np.isfinite(m).all():
            return None
        d = out[i : i + step]
        with np.errstate(over="raise", under="ignore"):
            try:
                np.subtract(block, m, out=d)
            except FloatingPointError:
                return None
            if t != 1.0:
                with np.errstate(over="ignore"):
                    d /= tt
        np.exp(d, out=d)
        d /= d.sum(axis=1, keepdims=True)
    return out.reshape(arr.shape)


def _divide(d: np.ndarray, t: float | np.ndarray, scale: float) -> np.ndarray:
    """``d / t * scale`` in ``d``'s dtype, in place when possible, without warnings.

    Overflow to ``-inf`` and underflow to 0 are the correct limits here. For float32
    logits a temperature outside float32's range is applied in float64, so that
    ``T = 1e-300`` or ``T = 1e300`` still gives the limiting answer, never NaN.
    """
    dtype = d.dtype
    with np.errstate(over="ignore", under="ignore"):
        if dtype == np.float64 or _fits(t, dtype):
            if isinstance(t, float):
                if t != 1.0:
                    d /= dtype.type(t)
            else:
                d /= t.astype(dtype, copy=False)
            if scale != 1.0:
                d *= dtype.type(scale)
            return d
        z = d.astype(np.float64) / t * scale
        return z.astype(dtype)


def _fits(t: float | np.ndarray, dtype: np.dtype) -> bool:
    info = np.finfo(dtype)
    t_arr = np.asarray(t)
    return bool(((t_arr >= info.smallest_normal) & (t_arr <= info.max)).all())


def _share(arr: np.ndarray, m: np.ndarray, *, uniform: bool) -> np.ndarray:
    """Where a limiting distribution puts its mass (equal shares): a boolean array.

    At T = 0 the row maxima; at T = inf every allowed entry; a row with ``+inf``
    logits gives all its mass to those entries, at every temperature.
    """
    if uniform:
        return np.where(m == np.inf, arr == np.inf, arr > -np.inf)
    return arr == m


def _limit(arr: np.ndarray, m: np.ndarray, *, uniform: bool) -> np.ndarray:
    """Shifted logits of a limiting distribution: 0 where mass is shared, -inf else."""
    dtype = arr.dtype
    return np.where(_share(arr, m, uniform=uniform), dtype.type(0.0), dtype.type(-np.inf))


def _raise_nan(arr: np.ndarray) -> None:
    where = np.argwhere(np.isnan(arr))[0].tolist()
    raise ValueError(f"logits contain NaN, first at index {where} (shape {arr.shape})")


def _lse_shifted(z: np.ndarray, axis: int) -> np.ndarray:
    """``log(sum(exp(z)))`` along ``axis`` (keepdims) for shifted logits ``z``.

    One entry of each row is exactly 0, so the sum is ``1 + r`` with ``r`` the sum
    over the other entries, and ``log1p(r)`` keeps full relative precision even when
    ``r`` is far below the resolution of 1.
    """
    e = np.exp(z)
    if _by_rows(e, axis):
        e.ravel()[_flat_argmax(z)] = 0.0
    else:
        np.put_along_axis(e, np.argmax(z, axis=axis, keepdims=True), 0.0, axis=axis)
    return np.log1p(e.sum(axis=axis, keepdims=True))


# ------------------------------------------------------------------- fast small rows


def _small_row(x: ArrayLike, axis: int, mask: ArrayLike | None) -> list[float] | None:
    """``x`` as a list of floats when it is one small row the pure-Python paths serve.

    A 1-D float64 array or a list of floats of 1 to ``_SMALL`` entries, no mask, axis
    -1 or 0; otherwise None. For a single decision numpy's per-call overhead costs more
    than the arithmetic.
    """
    if mask is not None or not (axis == -1 or axis == 0) or type(axis) is not int:
        return None
    if type(x) is np.ndarray:
        if x.ndim != 1 or x.dtype is not _FLOAT64 or not 0 < x.shape[0] <= _SMALL:
            return None
        return x.tolist()
    if type(x) is list and 0 < len(x) <= _SMALL:
        for v in x:
            if type(v) is not float:
                return None
        return x
    return None


def _small_argmax(row: list[float]) -> int | list[int] | None:
    """The argmax of ``row`` (the T = 0 draw): its index, the tied indices, or None.

    A list of indices when several entries share the maximum (the caller picks one
    uniformly); None for a NaN entry, or ``+inf`` meeting ``-inf``, or a row of
    ``-inf``: the general path raises for those. ``+inf`` entries are the maxima and
    share the mass.
    """
    total = sum(row)
    m = max(row)
    if total != total or m == -math.inf:
        return None
    if row.count(m) == 1:
        return row.index(m)
    return [i for i, v in enumerate(row) if v == m]


def _small_choice(row: list[float], t: float, u: float) -> int:
    """One draw from ``softmax(row, t)`` given one uniform ``u`` in [0, 1).

    The single decision of a policy on a short row of Python floats, in pure Python:
    for ``0 < t <= 1e305`` the inverse CDF of the weights ``exp((x - max x) / t)``
    (the first cumulative weight above ``u`` times the total), for ``t = 0`` the
    argmax with ties split by ``u``. Anything else (``t = inf``, ``+inf`` entries,
    NaN, an invalid ``t``) goes through :func:`softmax`, which raises for invalid
    input, and the same inverse CDF. Distinct uniforms give the actions in a fixed
    order, so ``u`` uniform gives each action with its softmax probability.
    """
    if 0.0 < t <= 1e305:
        e = _row_weights(row, t)
        x = u * sum(e)
        if x == x:  # a NaN total (NaN or +inf entries): the general path below
            # The first weight that takes x below 0; a zero weight never does.
            i = 0
            for w in e:
                x -= w
                if x < 0.0:
                    return i
                i += 1
            # Rounding left x >= 0 (u within an ulp or so of 1): the last positive weight
            while not e[i - 1] > 0.0:
                i -= 1
            return i - 1
    elif t == 0.0:
        a = _small_argmax(row)
        if a is not None:
            if type(a) is int:
                return a
            return a[min(int(u * len(a)), len(a) - 1)]
    cdf = np.cumsum(softmax(np.array(row, dtype=np.float64), t))
    return int(np.searchsorted(cdf, u * cdf[-1], side="right"))


def _small_weights(
    x: ArrayLike, temperature: ArrayLike, axis: int, mask: ArrayLike | None
) -> list[float] | None:
    """The weights ``exp((x - max x) / T)`` as a list of floats, or None.

    This pure-Python path applies to a 1-D float64 array or a list of floats of 1 to
    ``_SMALL`` entries, with a float (or int) temperature ``0 < T <= 1e305``, no mask
    and ``axis`` -1 or 0; anything else returns None, for the general path. A NaN or
    ``+inf`` entry, or a row of ``-inf``, makes a weight NaN: callers see it in their
    total (NaN) and take the general path too, which raises or shares the mass among
    ``+inf`` entries. A difference ``x - max x`` beyond the float range becomes
    ``-inf``, which is exact for ``T <= 1e305``; Python floats never warn.
    """
    row = _small_row(x, axis, mask)
    if row is None:
        return None
    t = temperature
    if type(t) is not float:
        if type(t) is not int:
            return None
        t = float(t)
    if not 0.0 < t <= 1e305:
        return None
    return _row_weights(row, t)


def _row_weights(row: list[float], t: float) -> list[float]:
    """``exp((x - max x) / t)`` of a non-empty list of floats, ``0 < t <= 1e305``."""
    m = max(row)
    exp = math.exp
    if t == 1.0:
        return [exp(v - m) for v in row]
    return [exp((v - m) / t) for v in row]


def _small_probs(row: list[float], t: float) -> list[float]:
    """``softmax(row, t)`` of a short row of Python floats, as a list, in pure Python.

    The weights of :func:`_small_weights` divided by their total for ``0 < t <=
    1e305``, the argmax split among ties for ``t = 0``; anything else (``t = inf``,
    ``+inf`` entries, NaN, an invalid ``t``) through :func:`softmax`, which raises for
    invalid input.
    """
    if t == 0.0:
        a = _small_argmax(row)
        if a is not None:
            p = [0.0] * len(row)
            if type(a) is int:
                p[a] = 1.0
            else:
                share = 1.0 / len(a)
                for i in a:
                    p[i] = share
            return p
    elif 0.0 < t <= 1e305:
        e = _row_weights(row, t)
        s = sum(e)
        if s == s:
            return [v / s for v in e]
    return softmax(np.array(row, dtype=np.float64), t).tolist()


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
        Probabilities with the shape of ``x``, float32 for float32 input and
        float64 otherwise.

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
    e = _small_weights(x, temperature, axis, mask)
    if e is not None:
        s = sum(e)  # 1 <= s <= len(e): as accurate as np.sum's pairwise sum here
        if s == s:  # NaN: the general path decides (see _small_weights)
            return np.array([v / s for v in e])
    arr, axis, t = _validate(x, temperature, axis)
    if mask is None and isinstance(t, float) and 0.0 < t < math.inf:
        z = _span_weights(arr, t, axis, _SPAN)
        if z is not None:
            if axis == z.ndim - 1:
                s = np.matmul(z, _ONES[: z.shape[axis]])[..., None]
            else:
                s = z.sum(axis=axis, keepdims=True)
            # Multiplying by the reciprocal of the row sum costs one rounding more than
            # dividing by it (1 ulp) and is cheaper per entry.
            z *= np.reciprocal(s, out=s)
            return z
        p = _blocked_softmax(arr, t, axis)
        if p is not None:
            return p
    e, _, _, axis = _shift(arr, t, axis, mask, weights=True)
    e /= e.sum(axis=axis, keepdims=True)
    return e


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
    lse = _lse_shifted(z, axis)
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
    lse = _lse_shifted(z, axis)
    with np.errstate(over="ignore", invalid="ignore"):
        out = m + t * lse
    # A single allowed (or +inf) entry: the result is that entry, exactly, not m + T * 0,
    # which is NaN where T is inf (or overflows the dtype: 1e300 in float32).
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
    lse = _lse_shifted(z, axis)
    z -= lse
    p = np.exp(z)
    terms = np.where(p > 0.0, p * np.where(p > 0.0, z, 0.0), 0.0)
    h = (-terms.sum(axis=axis)).astype(z.dtype, copy=False) + 0.0
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
        row = _small_row(x, axis, mask)
        if row is not None:
            if temperature == 0:  # a uniform only to break a tie
                a = _small_argmax(row)
                if type(a) is int:
                    return a
                if a is not None:
                    return a[int(gen.random() * len(a))]
            elif 0 < temperature <= 1e305:
                # Inverse CDF: the first cumulative weight above u. u < total (u < 1
                # and the product rounds down), and a zero weight repeats the
                # cumulative value before it, so it is never the first above u.
                return _small_choice(row, float(temperature), gen.random())
    arr, axis, t = _validate(x, temperature, axis)
    z = None
    if mask is None and isinstance(t, float) and 0.0 < t < math.inf:
        z = _span_weights(arr, t, axis, _SAMPLE_SPAN)
    if z is None:
        z = _shift(arr, t, axis, mask, weights=True)[0]
    cdf = _cumsum(z, axis)
    # One uniform per row, scaled in float64 to below the row's total (a float32 u
    # could round up to 1), so the first cumulative weight above it always exists and
    # never belongs to a zero-weight entry: that weight would equal the one before it.
    total = np.take(cdf, [-1], axis=axis)
    u = gen.random(total.shape)
    u *= total
    idx = (cdf <= u).argmin(axis=axis).astype(np.int64, copy=False)
    return int(idx) if idx.ndim == 0 else idx
