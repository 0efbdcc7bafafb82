"""The numeric floor: every exp-normalize, log-sum-exp, entropy, argmax and draw.

One private module under the softmax core (:mod:`boltzmann_rl.core`), the policies
(:mod:`boltzmann_rl.policies`), the bandit kernels (:mod:`boltzmann_rl.bandits.agents`)
and the gym agents. It imports nothing of ours. Convention: temperature ``T >= 0`` and
``p ∝ exp(x / T)``; ``T = 0`` is the argmax with ties split equally, ``T = inf`` uniform.

What is here, in three layouts of the same arithmetic:

* **rows along an axis** (the core's general path): :func:`validate` and
  :func:`shifted`, the one place where logits become ``z = (x - max x) / T``;
  :func:`lse_shifted` (log-sum-exp), :func:`entropy_of_logits`, :func:`draw_rows`
  (inverse CDF, one uniform per row), and the fast paths of the core, each tested
  against the general one: :func:`span_weights` (many short float64 rows within a
  narrow span) and :func:`blocked_softmax` (arrays of more than 4 MiB).
* **one short row of Python floats** (a single decision, where numpy's per-call
  cost exceeds the arithmetic): :func:`small_row`, :func:`small_weights`,
  :func:`small_probs`, :func:`small_choice` (inverse CDF from a caller's uniform),
  :func:`small_argmax` and :func:`argmax_row` (ties split by a uniform), and for the
  gym backups :func:`finite_small_row`, :func:`small_logsumexp` and
  :func:`small_mellowmax`.
* **arms-major batches** ``(K, n)`` with reused scratch arrays (:class:`Work`), the
  bandit kernels' layout: :func:`softmax_draw_columns`, :func:`draw_columns`,
  :func:`argmax_columns`, :func:`entropy_of_weights` and :func:`entropy_from_parts`,
  UCB1's bounds :func:`ucb_scores` (the policy's too), with the kernels' one
  temperature clamp (:func:`temperature_bounds`).

Entropies: :func:`entropy_of_logits` from shifted logits (log-softmax form, full
relative precision), :func:`entropy_from_parts` from unnormalised weights
(``log S - Σ w z / S``, the kernels' incremental form) and :func:`entropy_of_probs`
from probabilities (``-Σ p log p``, for rules whose probabilities are all there is).

Dtypes: floating input keeps its dtype, except float16, which is computed in (and
returned as) float32; integer and boolean input is computed in float64.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any

import numpy as np

ArrayLike = Any

# Rows of at most this many logits given as 1-D float64 arrays (or lists) with a
# scalar temperature and no mask take a pure-Python path: for a single decision
# of a gym agent, numpy's per-call overhead costs more than the arithmetic.
_SMALL = 32
_FLOAT64 = np.dtype(np.float64)  # native byte order; other orders take the general path


# ------------------------------------------------------------ validation and shift


def as_float_array(x: ArrayLike) -> np.ndarray:
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if kind == "f":
        if arr.dtype == np.float16:
            return arr.astype(np.float32)
        return arr
    if kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(f"logits must be real numbers, got an array of dtype {arr.dtype}")


def normalize_axis(axis: int, ndim: int) -> int:
    if ndim == 0:
        raise ValueError("logits must have at least one dimension, got a scalar")
    if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
        raise TypeError(f"axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for logits with {ndim} dimension(s)")
    return int(axis) % ndim


def check_temperature(temperature: ArrayLike, x: np.ndarray, axis: int) -> np.ndarray | float:
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
        return check_temperature(float(t_arr), x, axis)
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


def row_index(flags: np.ndarray, axis: int) -> list[int]:
    """Index of the first True entry of a keepdims boolean array, without ``axis``."""
    idx = np.argwhere(flags)[0].tolist()
    del idx[axis]
    return idx


def validate(
    x: ArrayLike, temperature: ArrayLike, axis: int
) -> tuple[np.ndarray, int, np.ndarray | float]:
    """Return ``(arr, axis, t)``: the logits as a float array, a non-negative axis, T."""
    arr = as_float_array(x)
    axis = normalize_axis(axis, arr.ndim)
    if arr.shape[axis] == 0:
        raise ValueError(f"logits have an empty axis {axis} (shape {arr.shape})")
    return arr, axis, check_temperature(temperature, arr, axis)


def shifted(
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
    arr, axis, t = validate(x, temperature, axis)
    return shift(arr, t, axis, mask)


def shift(
    arr: np.ndarray,
    t: np.ndarray | float,
    axis: int,
    mask: ArrayLike | None,
    *,
    weights: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | float, int]:
    """:func:`shifted` after :func:`validate`.

    With ``weights=True`` the first element is ``exp(z)`` instead of ``z``: at a
    scalar T of 0 or inf it is then built directly as 1 where the mass is shared and
    0 elsewhere, with neither ``-inf`` nor an exp (numpy's exp of ``-inf`` leaves its
    vectorized loop).
    """
    dtype = arr.dtype
    given, mask_arr = arr, None
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
            raise_nan(arr)
        arr = np.where(mask_arr, arr, dtype.type(-np.inf))
    m = row_max(arr, axis)  # NaN propagates into m
    finite = bool(np.isfinite(m).all())
    if not finite:
        if np.isnan(m).any():
            raise_nan(arr)
        if (m == -np.inf).any():
            raise_excluded(given, mask_arr, m, axis)
    if isinstance(t, float) and (t == 0.0 or t == np.inf):
        # exact limits: no difference to compute; +inf rows give their mass to +inf
        share = mass_mask(arr, m, uniform=t == np.inf)
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
        z = divide(d, t, scale)
    else:
        zero = t == 0.0
        inf = t == np.inf
        special = zero | inf
        z = divide(d, np.where(special, 1.0, t), scale)
        if special.any():
            z = np.where(zero, limit_z(arr, m, uniform=False), z)
            z = np.where(inf, limit_z(arr, m, uniform=True), z)
    if not finite and (m == np.inf).any():
        z = np.where(m == np.inf, limit_z(arr, m, uniform=False), z)
    if weights:
        np.exp(z, out=z)
    return z, m, t, axis


# Along the last axis of a C-contiguous array, rows shorter than _ARGMAX_ROW take their
# maximum through argmax: numpy's max reduction costs ~30 ns a row over a short inner
# axis, argmax ~5 ns. The maximum is the same value either way.
_ARGMAX_ROW = 1024


def by_rows(a: np.ndarray, axis: int) -> bool:
    """Whether ``axis`` is the last axis of a C-contiguous array with several rows."""
    return a.ndim > 1 and axis == a.ndim - 1 and a.flags.c_contiguous


def flat_argmax(a: np.ndarray) -> np.ndarray:
    """Flat indices into ``a.ravel()`` of the first maximum of each row (last axis).

    Like ``max``, ``argmax`` treats NaN as the largest value (the first NaN of a row).
    """
    idx = a.argmax(axis=-1)
    idx += np.arange(0, a.size, a.shape[-1]).reshape(idx.shape)
    return idx


def row_max(arr: np.ndarray, axis: int) -> np.ndarray:
    """The maximum of each row along ``axis`` (keepdims); NaN for a row with NaN."""
    if arr.shape[axis] < _ARGMAX_ROW and by_rows(arr, axis):
        return arr.ravel().take(flat_argmax(arr))[..., None]
    return arr.max(axis=axis, keepdims=True)


# Short float64 rows whose logits all lie within a few temperatures of each other (the
# vectorized bandit step: ~10 q-values per row at a moderate temperature) are shifted by
# the array's maximum instead of each row's: z = (x - max x) / T then lies in [-span, 0]
# everywhere, so exp cannot overflow, and it saves the per-row maximum and a broadcast
# subtraction, which on rows of ~10 entries cost more than the exp itself. Where the
# logits are small enough, no shift is needed at all (span_weights). The price is
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


def span_weights(arr: np.ndarray, t: float, axis: int, span: float) -> np.ndarray | None:
    """The weights ``exp((x - max x) / t)``, the maximum over the whole array, or None.

    ``arr`` and ``axis`` come from :func:`validate` and ``0 < t < inf``. None unless
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


def cumsum(e: np.ndarray, axis: int) -> np.ndarray:
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


def blocked_softmax(arr: np.ndarray, t: float, axis: int) -> np.ndarray | None:
    """Softmax of a large array along its last axis block by block, or None.

    ``arr`` and ``axis`` come from :func:`validate`, ``0 < t < inf``. None unless the
    array is large and C-contiguous and ``axis`` is its last; also None (the general
    path then handles or rejects it) as soon as a block has a row whose maximum is not
    finite or whose shift overflows.
    """
    k = arr.shape[axis]
    if arr.nbytes <= 4 * _BLOCK or axis != arr.ndim - 1 or not arr.flags.c_contiguous:
        return None
    if arr.dtype != np.float64 and not fits(t, arr.dtype):
        return None
    rows = arr.reshape(-1, k)
    out = np.empty_like(rows)
    step = max(1, _BLOCK // rows[0].nbytes)
    tt = arr.dtype.type(t)
    for i in range(0, rows.shape[0], step):
        block = rows[i : i + step]
        m = row_max(block, 1)
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


def divide(d: np.ndarray, t: float | np.ndarray, scale: float) -> np.ndarray:
    """``d / t * scale`` in ``d``'s dtype, in place when possible, without warnings.

    Overflow to ``-inf`` and underflow to 0 are the correct limits here. For float32
    logits a temperature outside float32's range is applied in float64, so that
    ``T = 1e-300`` or ``T = 1e300`` still gives the limiting answer, never NaN.
    """
    dtype = d.dtype
    with np.errstate(over="ignore", under="ignore"):
        if dtype == np.float64 or fits(t, dtype):
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


def fits(t: float | np.ndarray, dtype: np.dtype) -> bool:
    info = np.finfo(dtype)
    t_arr = np.asarray(t)
    return bool(((t_arr >= info.smallest_normal) & (t_arr <= info.max)).all())


def mass_mask(arr: np.ndarray, m: np.ndarray, *, uniform: bool) -> np.ndarray:
    """Where a limiting distribution puts its mass (equal shares): a boolean array.

    At T = 0 the row maxima; at T = inf every allowed entry; a row with ``+inf``
    logits gives all its mass to those entries, at every temperature.
    """
    if uniform:
        return np.where(m == np.inf, arr == np.inf, arr > -np.inf)
    return arr == m


def limit_z(arr: np.ndarray, m: np.ndarray, *, uniform: bool) -> np.ndarray:
    """Shifted logits of a limiting distribution: 0 where mass is shared, -inf else."""
    dtype = arr.dtype
    return np.where(mass_mask(arr, m, uniform=uniform), dtype.type(0.0), dtype.type(-np.inf))


def raise_excluded(arr: np.ndarray, mask: np.ndarray | None, m: np.ndarray, axis: int) -> None:
    """Raise for the first row whose entries are all excluded, naming its values."""
    idx = row_index(m == -np.inf, axis)
    row: tuple[int | slice, ...] = (*idx[:axis], slice(None), *idx[axis:])
    values = np.array2string(arr[row], separator=", ", threshold=20)
    where = f"row {idx} of logits with shape {arr.shape} is" if arr.ndim > 1 else "logits"
    if mask is not None:
        values += f" with mask {np.array2string(mask[row], separator=', ', threshold=20)}"
    raise ValueError(
        f"every entry of a row is excluded (-inf or masked), so no action is allowed: "
        f"{where} {values}"
    )


def raise_nan(arr: np.ndarray) -> None:
    where = np.argwhere(np.isnan(arr))[0].tolist()
    raise ValueError(f"logits contain NaN, first at index {where} (shape {arr.shape})")


def lse_shifted(z: np.ndarray, axis: int) -> np.ndarray:
    """``log(sum(exp(z)))`` along ``axis`` (keepdims) for shifted logits ``z``.

    One entry of each row is exactly 0, so the sum is ``1 + r`` with ``r`` the sum
    over the other entries, and ``log1p(r)`` keeps full relative precision even when
    ``r`` is far below the resolution of 1.
    """
    e = np.exp(z)
    if by_rows(e, axis):
        e.ravel()[flat_argmax(z)] = 0.0
    else:
        np.put_along_axis(e, np.argmax(z, axis=axis, keepdims=True), 0.0, axis=axis)
    return np.log1p(e.sum(axis=axis, keepdims=True))


def general_probs(x: ArrayLike, temperature: ArrayLike) -> np.ndarray:
    """``softmax(x, temperature)`` along the last axis by the general path (no fast path).

    What the single-row paths fall back on for what they do not serve (``T = inf``,
    ``+inf`` entries, invalid input, which raises here).
    """
    arr, axis, t = validate(x, temperature, -1)
    e = shift(arr, t, axis, None, weights=True)[0]
    e /= e.sum(axis=axis, keepdims=True)
    return e


def entropy_of_logits(z: np.ndarray, axis: int) -> np.ndarray:
    """Entropy ``-Σ p log p`` of each row of shifted logits ``z`` (from :func:`shifted`).

    ``log p = z - log Σ exp z`` keeps every term's relative precision even when the
    entropy is tiny. ``z`` is overwritten. Returns the rows' entropies, ``axis``
    removed, in ``z``'s dtype.
    """
    z -= lse_shifted(z, axis)
    p = np.exp(z)
    terms = np.where(p > 0.0, p * np.where(p > 0.0, z, 0.0), 0.0)
    return (-terms.sum(axis=axis)).astype(z.dtype, copy=False) + 0.0


def first_above(cdf: np.ndarray, v: Any, axis: int) -> np.ndarray:
    """The inverse CDF: the index of the first cumulative weight above ``v`` per row.

    ``cdf`` is nondecreasing along ``axis`` and ``v`` below its last entry (``u`` times
    the total with ``u < 1``), so that index exists and never belongs to a zero-weight
    entry (whose cumulative weight equals the one before it).
    """
    return (cdf <= v).argmin(axis=axis).astype(np.int64, copy=False)


def draw_rows(w: np.ndarray, gen: np.random.Generator, axis: int) -> int | np.ndarray:
    """One index per row along ``axis`` with probabilities ``w / w.sum(axis)``.

    ``w >= 0`` (weights or probabilities), overwritten by its cumulative sums. One
    uniform per row, scaled in float64 to below the row's total (a float32 ``u`` could
    round up to 1). An ``int`` for 1-D ``w``, else int64 indices without ``axis``.
    """
    cdf = cumsum(w, axis)
    total = np.take(cdf, [-1], axis=axis)
    u = gen.random(total.shape)
    u *= total
    idx = first_above(cdf, u, axis)
    return int(idx) if idx.ndim == 0 else idx


def pick_tie(ties: list[int], u: float) -> int:
    """One of the tied indices ``ties``, uniformly by ``u`` in [0, 1)."""
    return ties[min(int(u * len(ties)), len(ties) - 1)]


def argmax_row(row: list[float], uniform: Any) -> int:
    """An argmax of a list of floats; ``uniform()`` (in [0, 1)) is called only for a tie.

    Raises ``ValueError`` for NaN or a row of ``-inf``.
    """
    a = small_argmax(row)
    if type(a) is int:
        return a
    if a is None:
        raise ValueError(f"action values must not be NaN (or all -inf), got {row}")
    # a is the list of ties here; mypy does not narrow the false branch of `type(a) is int`
    return pick_tie(a, uniform())  # type: ignore[arg-type]


# ------------------------------------------------------------------ single rows


def small_row(x: ArrayLike, axis: int, mask: ArrayLike | None) -> list[float] | None:
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


def small_argmax(row: list[float]) -> int | list[int] | None:
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


def small_choice(row: list[float], t: float, u: float) -> int:
    """One draw from ``softmax(row, t)`` given one uniform ``u`` in [0, 1).

    The single decision of a policy on a short row of Python floats, in pure Python:
    for ``0 < t <= 1e305`` the inverse CDF of the weights ``exp((x - max x) / t)``
    (the first cumulative weight above ``u`` times the total), for ``t = 0`` the
    argmax with ties split by ``u``. Anything else (``t = inf``, ``+inf`` entries,
    NaN, an invalid ``t``) goes through :func:`general_probs`, which raises for invalid
    input, and the same inverse CDF. Distinct uniforms give the actions in a fixed
    order, so ``u`` uniform gives each action with its softmax probability.
    """
    if 0.0 < t <= 1e305:
        e = row_weights(row, t)
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
        a = small_argmax(row)
        if a is not None:
            if type(a) is int:
                return a
            return pick_tie(a, u)  # type: ignore[arg-type]  # a list: see argmax_row
    cdf = np.cumsum(general_probs(np.array(row, dtype=np.float64), t))
    return int(first_above(cdf, u * cdf[-1], 0))


def small_weights(
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
    row = small_row(x, axis, mask)
    if row is None:
        return None
    t = temperature
    if type(t) is not float:
        if type(t) is not int:
            return None
        t = float(t)
    if not 0.0 < t <= 1e305:
        return None
    return row_weights(row, t)


def row_weights(row: list[float], t: float) -> list[float]:
    """``exp((x - max x) / t)`` of a non-empty list of floats, ``0 < t <= 1e305``."""
    m = max(row)
    exp = math.exp
    if t == 1.0:
        return [exp(v - m) for v in row]
    return [exp((v - m) / t) for v in row]


def small_probs(row: list[float], t: float) -> list[float]:
    """``softmax(row, t)`` of a short row of Python floats, as a list, in pure Python.

    The weights of :func:`small_weights` divided by their total for ``0 < t <=
    1e305``, the argmax split among ties for ``t = 0``; anything else (``t = inf``,
    ``+inf`` entries, NaN, an invalid ``t``) through :func:`general_probs`, which raises for
    invalid input.
    """
    if t == 0.0:
        a = small_argmax(row)
        if a is not None:
            p = [0.0] * len(row)
            if type(a) is int:
                p[a] = 1.0
            else:  # a list: mypy does not narrow the false branch of `type(a) is int`
                share = 1.0 / len(a)  # type: ignore[arg-type]
                for i in a:  # type: ignore[union-attr]
                    p[i] = share
            return p
    elif 0.0 < t <= 1e305:
        e = row_weights(row, t)
        s = sum(e)
        if s == s:
            return [v / s for v in e]
    return general_probs(np.array(row, dtype=np.float64), t).tolist()


def finite_small_row(x: ArrayLike) -> list[float] | None:
    """``x`` as a list when it is one short row (:func:`small_row`) of finite floats.

    None otherwise (NaN, infinities, a span beyond the float range, anything
    :func:`small_row` refuses): the general path validates those.
    """
    row = small_row(x, -1, None)
    if row is None:
        return None
    m = max(row)
    lo = min(row)
    if not (math.isfinite(m) and math.isfinite(lo) and m - lo < 1e308):  # NaN fails too
        return None
    if any(v != v for v in row):
        return None
    return row


def small_logsumexp(row: list[float], t: float) -> float:
    """``t log sum exp(row / t)`` of a row from :func:`finite_small_row`, ``0 < t < inf``.

    The maximum plus ``t log1p`` of the other entries' weights (summed with
    :func:`math.fsum`), as :func:`lse_shifted` does for arrays.
    """
    m = max(row)
    top = row.index(m)
    rest = math.fsum([math.exp((v - m) / t) for i, v in enumerate(row) if i != top])
    return m + t * math.log1p(rest)


def small_mellowmax(row: list[float], w: float) -> float:
    """``log(mean exp(w row)) / w`` of a row from :func:`finite_small_row`, ``0 < w < inf``.

    As ``max + log1p(mean(expm1(w (row - max)))) / w``: exact for small ``w``, where
    the textbook ``logsumexp(w row) - log K`` cancels.
    """
    m = max(row)
    t = 1.0 / w
    s = math.fsum([math.expm1((v - m) / t) for v in row]) / len(row)
    return m + math.log1p(s) / w


# ----------------------------------------------- arms-major batches (bandit kernels)


def count_dtype(k: int) -> type:
    """The smallest integer type that holds counts up to ``k`` (int8 reductions are fast)."""
    return np.int8 if k < 128 else (np.int16 if k < 32768 else np.int64)


def cumsum_rows(w: Any, c: Any) -> None:
    """``c[k] = w[0] + ... + w[k]`` (numpy's cumsum along axis 0 is slow for short axes).

    ``w`` and ``c`` are ``(K, n)`` arrays or lists of their rows (cheaper to index);
    ``c`` may be ``w`` itself (the sums in place).
    """
    add = np.add
    prev = c[0]
    if prev is not w[0]:
        np.copyto(prev, w[0])
    for k in range(1, len(w)):
        cur = c[k]
        add(prev, w[k], out=cur)
        prev = cur


def count_true(b: np.ndarray, dtype: type) -> np.ndarray:
    """Number of True entries of each column of a boolean ``(K, n)`` array, as int64."""
    if dtype is np.int8:
        return np.add.reduce(b.view(np.int8), axis=0, dtype=np.int8).astype(np.int64)
    return b.sum(axis=0)


def draw_columns(
    w: np.ndarray,
    c: np.ndarray,
    b: np.ndarray,
    u: np.ndarray,
    rows: Any = None,
    nonneg: bool = False,
) -> np.ndarray:
    """One index per column drawn with probabilities ``w / w.sum(0)`` (``w >= 0``).

    The index is the number of cumulative weights ``<= u * total``: actions of weight
    zero are never drawn. ``rows`` optionally gives ``(list(w), list(c))``.
    ``nonneg=True`` promises ``w >= 0`` (or NaN), so the cumulative sums never
    decrease: the count over the first ``K - 1`` of them is already the count over
    all ``K`` capped at ``K - 1``, the same index with one comparison row and the
    cap less.
    """
    if rows is None:
        cumsum_rows(w, c)
    else:
        cumsum_rows(*rows)
    k = w.shape[0]
    thr = u * c[-1]
    if nonneg:
        head = b[: k - 1]
        np.less_equal(c[: k - 1], thr, out=head)
        return count_true(head, count_dtype(k))
    np.less_equal(c, thr, out=b)
    a = count_true(b, count_dtype(k))
    np.minimum(a, k - 1, out=a)
    return a


# From 2 up to this many arms, argmax_columns first tries its fast path: the index of the
# single maximum of each column as an int8 weighted sum of the arms below it (the sum
# stays within int8: at most 15 * 16 / 2 = 120). (With one arm, a NaN column would
# pass its check: 0 entries below the maximum.)
_FAST_ARMS = 16


def argmax_columns(s: np.ndarray, u: Any, work: Work) -> tuple[np.ndarray, np.ndarray]:
    """An argmax of each column of ``s``, uniformly among ties (by ``u``); the tie counts.

    ``u`` (uniforms on ``[0, 1)``, one per column) may be a function returning them,
    called only if some column has tied maxima. Returns ``(actions, n_ties)``,
    ``n_ties`` as integers (a small integer type; read-only, shared between calls,
    when every column has one maximum).

    When the last call found no ties (``work.tied`` False; usually so once estimates
    differ), it first counts the entries *below* each column's maximum: ``K - 1`` in
    every column means one maximum everywhere (a NaN maximum leaves none below it, so
    such columns never pass), and the maximum's index is ``Σ k - Σ k [s_k < max]``.
    Otherwise (or if that count fails) the general path below, with the same results.
    """
    k = s.shape[0]
    if not work.tied and 1 < k <= _FAST_ARMS:
        m = np.maximum.reduce(s, axis=0, out=work.m)
        below = work.b
        np.less(s, m, out=below)
        if np.count_nonzero(below) == work.n_below:
            # rows 0..K-1 of wsum: -k [s_k < max]; row K: Σ k (constant). Flat views of
            # full arrays: no broadcasting, the cheapest call.
            np.multiply(work.b8_flat, work.neg_arms8, out=work.wsum_flat)
            a = np.add.reduce(work.wsum, axis=0, dtype=np.int8).astype(np.int64)
            return a, work.one_tie
    else:
        m = s.max(axis=0)
    b = work.b
    np.equal(s, m, out=b)
    dtype = count_dtype(k)
    counts = work.counts
    if dtype is np.int8:
        b8 = work.b8
        n_ties = np.add.reduce(b8, axis=0, dtype=np.int8)
        if n_ties.max() == 1:
            # no ties anywhere (the usual case): the index of the single maximum
            # counts are int8 only for K < 128, where arms8 is made
            np.multiply(b8, work.arms8, out=counts)  # type: ignore[arg-type]
            a = np.add.reduce(counts, axis=0, dtype=np.int8).astype(np.int64)
            work.tied = False
            if work.m is None and 1 < k <= _FAST_ARMS:
                work.fast_path()  # the next call tries it
            return a, n_ties
        cumsum_rows(work.b8_rows, work.counts_rows)
    else:
        np.cumsum(b, axis=0, out=counts)
    work.tied = True
    n_ties = counts[-1]
    if callable(u):
        u = u()
    j = (u * n_ties).astype(counts.dtype)  # floor: u in [0, 1)
    np.less_equal(counts, j, out=b)
    a = count_true(b, dtype)
    np.minimum(a, k - 1, out=a)
    return a, n_ties.copy()


def ucb_scores(q: np.ndarray, n: np.ndarray, log_t: Any, c: Any, out: np.ndarray) -> np.ndarray:
    """UCB1's bounds ``q + c sqrt(log_t / n)`` into ``out``, ``+inf`` where ``n == 0``.

    ``log_t`` is ``log(max(t, 1))`` (a float or an array broadcasting against ``n``),
    ``c`` a float or one weight per column; ``out`` has the broadcast shape of the
    operands (the bandit kernels pass their scratch array).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(log_t, n, out=out)
        np.sqrt(out, out=out)
        np.multiply(out, c, out=out)
    np.add(out, q, out=out)
    np.copyto(out, np.inf, where=n == 0)
    return out


def xlogx(p: np.ndarray) -> np.ndarray:
    """``p log p`` with ``0 log 0 = 0`` (the same value whether or not ``p`` has zeros)."""
    positive = p > 0
    if positive.all():
        return p * np.log(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(positive, p * np.log(np.where(positive, p, 1.0)), 0.0)


def entropy_of_probs(p: np.ndarray, axis: int = 0) -> np.ndarray:
    """Entropy ``-Σ p log p`` (nats) of the distributions ``p`` along ``axis``.

    For rules that give probabilities only; a softmax's entropy is
    :func:`entropy_of_logits` (from logits) or :func:`entropy_from_parts` (from
    weights). Arms-major arrays take the default ``axis=0``.
    """
    return np.maximum(-xlogx(p).sum(axis=axis), 0.0)


class Work:
    """Scratch arrays of shape (K, n) reused every step."""

    __slots__ = (
        "arms8",
        "b",
        "b8",
        "b8_flat",
        "b8_rows",
        "c",
        "counts",
        "counts_rows",
        "m",
        "n_below",
        "neg_arms8",
        "one_tie",
        "rows",
        "tied",
        "w",
        "wsum",
        "wsum_flat",
        "z",
    )
    counts: np.ndarray
    arms8: np.ndarray | None  # None for K >= 128, where counts are not int8
    m: np.ndarray | None  # None until fast_path() makes the fast path's arrays

    def __init__(self, k: int, n: int) -> None:
        self.tied = True  # whether the last argmax_columns found tied maxima in some column
        self.z = np.empty((k, n))
        self.w = np.empty((k, n))
        self.c = np.empty((k, n))
        self.b = np.empty((k, n), dtype=bool)
        self.b8 = self.b.view(np.int8)
        self.counts = np.empty((k, n), dtype=count_dtype(k))
        # row views, made once: indexing a list is cheaper than slicing an array
        self.rows = (list(self.w), list(self.c))
        self.b8_rows = list(self.b8)
        self.counts_rows = list(self.counts)
        self.arms8 = np.arange(k, dtype=self.counts.dtype)[:, None] if k < 128 else None
        self.m = None  # the fast path's arrays: made by fast_path() when first needed

    def __reduce__(self) -> tuple:
        # A copy (pickle, deepcopy) makes the arrays anew, so that the row and flat views
        # are views of the copy's arrays again; z and w carry over (the softmax kernel
        # keeps its state there), the rest is scratch.
        k, n = self.b.shape
        return (Work._remade, (k, n, self.tied, self.m is not None, self.z, self.w))

    @classmethod
    def _remade(cls, k: int, n: int, tied: bool, fast: bool, z: np.ndarray, w: np.ndarray):
        work = cls(k, n)
        work.tied = tied
        if fast:
            work.fast_path()
        work.z[...] = z
        work.w[...] = w
        return work

    def fast_path(self) -> None:
        """Make the scratch arrays of :func:`argmax_columns`'s fast path (``1 < K <= 16``)."""
        k, n = self.b.shape
        self.m = np.empty(n)
        self.n_below = (k - 1) * n  # entries below their column's maximum, if unique
        self.b8_flat = self.b8.reshape(-1)
        # -k in every column of row k, flattened like b
        self.neg_arms8 = np.repeat(-np.arange(k, dtype=np.int8), n)
        self.wsum = np.empty((k + 1, n), dtype=np.int8)
        self.wsum[k] = k * (k - 1) // 2
        self.wsum_flat = self.wsum[:k].reshape(-1)
        self.one_tie = np.ones(n, dtype=np.int8)
        self.one_tie.setflags(write=False)


# Temperatures below _T_MIN act as _T_MIN (1 / T stays finite, so equal estimates keep
# equal weights instead of 0 * inf); the softmax there is the argmax for every pair of
# estimates more than ~1e-297 apart. Differences q - ref are kept within
# [-_Z_FLOOR T, 2 _REBASE T] before they are divided by T, so (q - ref) / T cannot
# overflow whatever the temperature or the size of the estimates: below the floor exp
# gives the same 0 (and w z is 0, not 0 * -inf, in the entropy); above 2 _REBASE the
# incremental kernel caps anyway and rebases.
_T_MIN = 1e-300
_Z_FLOOR = 1000.0


def temperature_bounds(temp: Any) -> tuple[Any, Any, Any]:
    """``(1 / T, lowest, highest)`` of ``q - ref`` for ``T = max(temp, _T_MIN)``.

    A float or one value per row; ``T = inf`` gives ``1 / T = 0`` and no bounds.
    """
    if isinstance(temp, float):
        t = max(temp, _T_MIN)
        if t == math.inf:
            return 0.0, -math.inf, math.inf
        return 1.0 / t, -_Z_FLOOR * t, 2.0 * _REBASE * t
    ts = np.maximum(np.asarray(temp, dtype=np.float64), _T_MIN)
    return 1.0 / ts, -_Z_FLOOR * ts, 2.0 * _REBASE * ts  # inf T: 0, -inf, inf


def clip_scale(d: np.ndarray, bounds: tuple[Any, Any, Any]) -> np.ndarray:
    """``d / T`` in place, ``d`` first clipped to the bounds (:func:`temperature_bounds`)."""
    inv_t, lo, hi = bounds
    np.clip(d, lo, hi, out=d)
    return np.multiply(d, inv_t, out=d)


def exp_shifted_columns(q: np.ndarray, work: Work) -> None:
    """``work.z = q - max q`` and ``work.w = exp(work.z)``, per column (arms-major)."""
    z = work.z
    np.subtract(q, q.max(axis=0), out=z)
    np.exp(z, out=work.w)


def softmax_draw_columns(
    q: np.ndarray, u: np.ndarray, work: Work, temp: Any = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Sample from ``softmax(q / T)`` (arms-major), ``T`` one float ``> 0`` or one per row.

    Returns ``(actions, total)`` and leaves the shifted logits in ``work.z`` and the
    weights ``exp(z)`` in ``work.w`` (``π = w / total``). Rows whose temperature is 0
    get weight 1 on their maxima and 0 elsewhere, ``z = 0`` (their entropy is the log
    of the number of ties).
    """
    if isinstance(temp, float) and temp == 1.0:
        exp_shifted_columns(q, work)
    else:
        softmax_weights_columns(q, work.z, work.w, temp)
    a = draw_columns(work.w, work.c, work.b, u, work.rows, nonneg=True)
    return a, work.c[-1]


def softmax_weights_columns(q: np.ndarray, z: np.ndarray, w: np.ndarray, temp: Any) -> None:
    """Unnormalised softmax weights of ``q / T`` per column (arms-major), in place.

    ``z = clip(q - max q) / T`` and ``w = exp(z)``, written into ``z`` and ``w``
    (arrays, or column slices of arrays, of the shape of ``q``). ``T`` is one float
    ``> 0`` (``inf`` gives equal weights) or one per column; columns whose
    temperature is 0 get weight 1 on their maxima and 0 elsewhere, ``z = 0``.
    Every column's weights depend only on that column and its temperature.
    """
    m = q.max(axis=0)
    np.subtract(q, m, out=z)
    bounds = temperature_bounds(temp)
    zero = None if isinstance(temp, float) else temp == 0.0
    if zero is not None and zero.any():
        inv_t, lo, hi = bounds
        clip_scale(z, (np.where(zero, 0.0, inv_t), lo, hi))
        np.exp(z, out=w)
        np.copyto(w, np.where(q == m, 1.0, 0.0), where=zero)
        np.copyto(z, 0.0, where=zero)
    else:
        # z <= 0 <= the upper bound: clipping is only the lower bound
        inv_t, lo, _ = bounds
        np.maximum(z, lo, out=z)
        np.multiply(z, inv_t, out=z)
        np.exp(z, out=w)


def entropy_from_parts(total: np.ndarray, wz: np.ndarray) -> np.ndarray:
    """``max(log(total) - wz / total, 0)`` elementwise (any shape; ``wz`` is overwritten).

    The entropy of ``w / total`` with ``wz = Σ w z``. The same operations per element
    whether applied to one step's rows or to a block of steps at once.
    """
    h = np.log(total)
    wz /= total
    h -= wz
    return np.maximum(h, 0.0, out=h)


def entropy_of_weights(work: Work, total: np.ndarray) -> np.ndarray:
    """Entropy of ``w / total`` from the shifted logits: ``log total - Σ w z / total``."""
    wz = np.einsum("kn,kn->n", work.w, work.z)
    h = np.log(total)
    h -= wz / total
    return np.maximum(h, 0.0, out=h)


# Shifted logits z = (q - M) / T of the incremental Boltzmann kernel stay within
# +-_REBASE of 0 for the largest arm of a row: no weight exp(z) overflows, and only
# probabilities below exp(_REBASE - 745), about 1e-193, can round to 0.
_REBASE = 300.0


@functools.lru_cache(maxsize=64)
def log_table(k: int) -> np.ndarray:
    """``log(n)`` for ``n = 0 .. k`` (entropy of a uniform choice among ``n`` ties)."""
    with np.errstate(divide="ignore"):
        table = np.log(np.arange(k + 1, dtype=np.float64))
    table.setflags(write=False)
    return table
