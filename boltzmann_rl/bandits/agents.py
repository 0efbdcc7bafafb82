r"""Bandit agents, vectorized over a batch of independent runs.

The agent contract
------------------
An agent is anything with these four methods (:class:`BanditAgent`); one object plays
a whole batch of ``n`` independent runs ("rows"), every array indexed by row::

    reset(n_rows, n_arms)      forget everything; allocate the state of n_rows runs
    select(t, rng) -> actions  int array (n_rows,): the arm each run pulls at step t
    update(actions, rewards)   learn from the rewards (n_rows,) of those actions
    entropy() -> h or None     entropy (nats, (n_rows,)) of the distribution the last
                               select drew from; None when it has no closed form

``t`` counts steps from 0. ``rng`` is a :class:`~boltzmann_rl.bandits.rng.BatchRNG`:
draw with ``rng.uniform()``, ``rng.normal(k)``, ``rng.gumbel(k)``, ``rng.beta(a, b)``
or ``rng.map(...)``, never from another source, so results do not depend on how runs
are split between batches. Optionally, ``reward_range = (lo, hi)`` declares the rewards
the agent accepts (checked against the environment before a simulation starts) and
``label`` names the agent in results. :func:`~boltzmann_rl.bandits.simulate` copies an
agent before ``reset``, so the object passed in is never changed.

Built-in agents
---------------
======================  ==================================================================
:class:`ActionValueAgent`  action-value estimates (sample average or step size α,
                           optimistic initial values) and any :mod:`~boltzmann_rl.policies`
                           policy
:class:`GradientBandit`    softmax over preferences; ``H += α (R - baseline)(1{a} - π)``
:class:`EXP3`              exponential weights with γ-uniform mixing, rewards in [0, 1]
:class:`GaussianThompson`  Thompson sampling, Gaussian rewards of known noise
:class:`BernoulliThompson` Thompson sampling, Beta posteriors for rewards in [0, 1]
======================  ==================================================================

Inside, arrays are **arms-major**, ``(K, n_rows)``, so the reductions over arms of
every step are contiguous: this is most of the speed of the engine. The built-in
agents run the policies of :mod:`boltzmann_rl.policies` through fast kernels with
exactly the policies' probabilities (tested against ``policy.probs``); any other
policy goes through ``policy.probs`` itself. The kernels' arithmetic (the softmax
draw, the temperature clamp, the tie-splitting argmax, the inverse CDF and the
entropies) is the numeric floor's, :mod:`boltzmann_rl._floor`, in its arms-major form.
Built-in agents of the same kind **stack**: a simulation of several configurations
(temperatures, step sizes, ...) runs them as one batch with per-row parameters, one
numpy pass per step.

Examples
--------
>>> import numpy as np
>>> from boltzmann_rl.bandits import ActionValueAgent
>>> from boltzmann_rl.bandits.rng import BatchRNG
>>> agent = ActionValueAgent("egreedy(epsilon=0.1)", step_size=0.1, initial=5.0)
>>> agent.reset(n_rows=4, n_arms=3)
>>> rng = BatchRNG.from_seed(0, 4)
>>> a = agent.select(0, rng)
>>> a.shape
(4,)
>>> agent.update(a, np.ones(4))
>>> agent.q_values.shape
(4, 3)
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple, Protocol, runtime_checkable

import numpy as np

from boltzmann_rl._floor import (
    _REBASE,
    Work,
    argmax_columns,
    clip_scale,
    draw_columns,
    entropy_from_parts,
    entropy_of_probs,
    entropy_of_weights,
    exp_shifted_columns,
    log_table,
    softmax_draw_columns,
    temperature_bounds,
    ucb_scores,
    xlogx,
)
from boltzmann_rl.bandits.registry import register_bandit_agent
from boltzmann_rl.bandits.rng import BatchRNG
from boltzmann_rl.policies import UCB, Boltzmann, BoltzmannGumbel, EpsilonGreedy, Greedy
from boltzmann_rl.schedules import Constant

__all__ = [
    "EXP3",
    "ActionValueAgent",
    "BanditAgent",
    "BernoulliThompson",
    "GaussianThompson",
    "GradientBandit",
    "as_agent",
]


@runtime_checkable
class BanditAgent(Protocol):
    """The agent contract (see the module docstring): four methods over a batch of runs.

    Examples
    --------
    A uniformly random agent, complete:

    >>> import numpy as np
    >>> from boltzmann_rl.bandits import BanditAgent
    >>> class Uniform:
    ...     def reset(self, n_rows, n_arms):
    ...         self.k = n_arms
    ...     def select(self, t, rng):
    ...         return (rng.uniform() * self.k).astype(np.int64)
    ...     def update(self, actions, rewards):
    ...         pass
    ...     def entropy(self):
    ...         return None
    >>> isinstance(Uniform(), BanditAgent)
    True
    """

    def reset(self, n_rows: int, n_arms: int) -> None: ...

    def select(self, t: int, rng: BatchRNG) -> np.ndarray: ...

    def update(self, actions: np.ndarray, rewards: np.ndarray) -> None: ...

    def entropy(self) -> np.ndarray | None: ...


# ----------------------------------------------------------------------- helpers


def _finite(value: Any, name: str, owner: str) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__}: {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{owner}: {name} must be finite (not NaN or inf), got {value!r}")
    return v


def _param(
    value: Any,
    name: str,
    owner: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    schedule: bool = False,
) -> Any:
    """Validate a float, a per-row array or (if allowed) a schedule parameter."""
    if isinstance(value, Constant):
        value = value.value
    if isinstance(value, np.ndarray | list | tuple):
        arr = np.array(value, dtype=np.float64)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(
                f"{owner}: {name} as an array must be 1-D (one per run), got {value!r}"
            )
        bad = ~np.isfinite(arr) | (arr < low) | (arr > high) | ((arr == low) if low_open else False)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{owner}: {name} out of range, got {arr[i]} at index {i}")
        arr.setflags(write=False)
        return arr
    if callable(value) and not isinstance(value, numbers.Real):
        if not schedule:
            raise TypeError(f"{owner}: {name} must be a number or an array, got {value!r}")
        return value
    v = _finite(value, name, owner)
    if v < low or v > high or (low_open and v == low):
        lo = "(" if low_open else "["
        raise ValueError(f"{owner}: {name} must be in {lo}{low}, {high}], got {value!r}")
    return v


def _fmt(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ", threshold=8)
    if isinstance(value, float):
        return repr(value)
    return repr(value)


class _RowParam:
    """A parameter with one value per row, assembled from the parts of a stacked batch.

    Each part gives a float, an array with one value per row of the part, or a
    callable of ``(t)``; :meth:`at` returns a float when every row has the same
    constant value, else an array of all rows.
    """

    __slots__ = ("_calls", "_check", "_const", "_name", "_values")

    def __init__(
        self,
        parts: list[tuple[Any, int]],
        name: str,
        check: Callable[[Any], None] | None = None,
    ) -> None:
        self._name = name
        self._check = check
        n_total = sum(n for _, n in parts)
        values = np.empty(n_total)
        calls = []
        start = 0
        floats: set[float | None] = set()  # None: a per-run array or a callable
        for value, n in parts:
            sl = slice(start, start + n)
            if isinstance(value, np.ndarray):
                if value.shape != (n,):
                    raise ValueError(
                        f"{name} has {value.shape[0]} per-run values but the batch has {n} runs"
                    )
                values[sl] = value
                floats.add(None)
            elif callable(value):
                calls.append((value, sl))
                floats.add(None)
            else:
                values[sl] = value
                floats.add(float(value))
            start += n
        self._calls = calls
        self._values = values
        self._const: float | None = None
        if len(floats) == 1 and None not in floats:
            self._const = floats.pop()

    @property
    def constant(self) -> bool:
        return not self._calls

    def at(self, t: int) -> float | np.ndarray:
        if self._const is not None:
            return self._const
        for fn, sl in self._calls:
            v = fn(t)
            if self._check is not None:
                self._check(v)
            self._values[sl] = v
        return self._values

    def eval_rows(self, steps: np.ndarray) -> np.ndarray:
        """Evaluate at per-row steps (schedules of a visit count); arrays and numbers as is."""
        if self._const is not None:
            return np.full(steps.shape, self._const)
        out = self._values.copy()
        for fn, sl in self._calls:
            v = np.asarray(fn(steps[sl]), dtype=np.float64)
            if self._check is not None:
                self._check(v)
            out[sl] = v
        return out


# ---------------------------------------------------------------- policy kernels


def _check_temperature(v: Any) -> None:
    arr = np.asarray(v)
    if not (arr >= 0).all():
        raise ValueError(f"boltzmann: temperature schedule gave {arr[~(arr >= 0)].flat[0]}")


def _check_epsilon(v: Any) -> None:
    arr = np.asarray(v)
    ok = (arr >= 0) & (arr <= 1)
    if not ok.all():
        raise ValueError(f"egreedy: epsilon schedule left [0, 1]: {arr[~ok].flat[0]}")


def _policy_param(value: Any) -> Any:
    if isinstance(value, Constant):
        return value.value
    return value


class _FlatViews:
    """Keeps the flat views of an object's own arrays true across copies.

    pickle and deepcopy copy a view as an array of its own, so a copied agent would
    write its updates into arrays that nothing reads. Objects that write through flat
    views name them in ``_flat_of`` (view name -> dotted path of the array it views);
    a copy makes them anew from its copied arrays (None where the array is missing).
    """

    _flat_of: ClassVar[dict[str, str]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in self._flat_of}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._make_flat()

    def _make_flat(self) -> None:
        for name, path in self._flat_of.items():
            obj: Any = self
            for part in path.split("."):
                obj = getattr(obj, part, None)
                if obj is None:
                    break
            setattr(self, name, None if obj is None else obj.reshape(-1))


class _Kernel(_FlatViews):
    """Draws actions for ``(K, n)`` action values; sets ``self.h`` (entropy or None)."""

    h: np.ndarray | None = None

    def __init__(self, parts: list[tuple[Any, int]], k: int, n: int) -> None:
        self.work = Work(k, n)
        self.k = k

    def __call__(self, q, counts, t, rng):  # pragma: no cover - interface
        raise NotImplementedError


class _BoltzmannKernel(_Kernel):
    """Softmax sampling; with constant temperatures, incrementally.

    Only the pulled arm's estimate changes in a step. With a temperature that does not
    change (one number, or one per row, all ``> 0``), the kernel keeps the shifted
    logits ``z = (q - M) / T`` and weights ``w = exp(z)`` of every arm against a
    per-row reference ``M`` and recomputes them for the pulled arm only
    (:meth:`observe`), instead of shifting by the row maximum and exponentiating all
    ``K`` arms each step. ``M`` is reset to the row maximum whenever that maximum
    drifts more than ``_REBASE`` temperatures away from it. The probabilities are
    the same (up to rounding); the path is a property of the configuration
    (:meth:`variant`), so stacked and single batches take the same one.
    """

    _flat_of: ClassVar[dict[str, str]] = {"z_flat": "work.z", "w_flat": "work.w", "wz_flat": "wz"}
    z_flat: np.ndarray
    w_flat: np.ndarray
    wz_flat: np.ndarray | None  # None when z itself is kept (no w z array)

    def __init__(self, parts, k, n):
        super().__init__(parts, k, n)
        self.temp = _RowParam(
            [(_policy_param(p.temperature), m) for p, m in parts],
            "temperature",
            _check_temperature,
        )
        self.incremental = self.temp.constant and bool(np.all(np.asarray(self.temp.at(0)) > 0))
        self.ready = False
        self._h: np.ndarray | None = None
        # (total, Σ w z) of the last incremental select: the entropy, not yet computed
        self.parts: tuple[np.ndarray, np.ndarray] | None = None
        self.drift = False  # some row's largest z may have left [-_REBASE, _REBASE]
        if self.incremental:
            temp = self.temp.at(0)
            self.bounds = temperature_bounds(temp if isinstance(temp, float) else np.asarray(temp))
            self.inv_t = self.bounds[0]
            self.ref = np.empty(n)
            # w * z, kept up to date like w and z, so that the entropy's Σ w z is one
            # reduction over the arms (the same sum as einsum's for n >= 2; with one
            # run numpy sums a contiguous axis in another order, so einsum there)
            self.wz = np.empty((k, n)) if n >= 2 else None
            self._make_flat()

    @property
    def h(self) -> np.ndarray | None:
        parts = self.parts
        if parts is not None:
            self._h = entropy_from_parts(*parts)
            self.parts = None
        return self._h

    @h.setter
    def h(self, value: np.ndarray | None) -> None:
        self._h = value
        self.parts = None

    @staticmethod
    def variant(policy: Any) -> Any:
        """``"incremental"`` for constant temperatures ``> 0``, else ``"full"``."""
        temp = _policy_param(policy.temperature)
        if callable(temp) and not isinstance(temp, np.ndarray):
            return "full"
        return "incremental" if bool(np.all(np.asarray(temp) > 0)) else "full"

    def _rebase(self, q: np.ndarray, rows: Any) -> None:
        """Reset the reference of ``rows`` (a slice or an index array) to their maxima."""
        work = self.work
        qr = q[:, rows]
        ref = qr.max(axis=0)
        self.ref[rows] = ref
        bounds = self.bounds
        if not isinstance(bounds[0], float):
            bounds = tuple(b[rows] for b in bounds)
        z = clip_scale(qr - ref, bounds)
        if self.wz is None:
            work.z[:, rows] = z
        w = np.exp(z)
        work.w[:, rows] = w
        if self.wz is not None:
            w *= z
            self.wz[:, rows] = w

    def observe(self, idx: np.ndarray, q_new: np.ndarray) -> None:
        """The pulled arms' estimates changed to ``q_new`` (flat indices ``idx``)."""
        if not self.ready:
            return
        z = clip_scale(q_new - self.ref, self.bounds)
        # A row's largest z can leave [-_REBASE, _REBASE] only through its pulled arm
        # (it was inside after the last select): the next select looks for drift only
        # when some new z is outside, and then with the same test as always (the same
        # rows rebase).
        z_hi = z.max()
        if z_hi > _REBASE:
            self.drift = True
            # a jump far above the reference: cap it (no overflow); select rebases
            if z_hi > 2.0 * _REBASE:
                np.minimum(z, 2.0 * _REBASE, out=z)
        elif not self.drift and z.min() < -_REBASE:
            self.drift = True
        w = np.exp(z)
        self.w_flat[idx] = w
        if self.wz_flat is None:
            self.z_flat[idx] = z
        else:  # z itself is not kept: w z is all the entropy needs
            w *= z
            self.wz_flat[idx] = w

    def __call__(self, q, counts, t, rng):
        if self.incremental:
            return self._incremental(q, rng)
        temp = self.temp.at(t)
        u = rng.uniform()
        work = self.work
        if isinstance(temp, float) and temp == 0.0:
            a, n_ties = argmax_columns(q, u, work)
            self.h = log_table(self.k)[n_ties]
            return a
        a, total = softmax_draw_columns(q, u, work, temp)
        self.h = entropy_of_weights(work, total)
        return a

    def _incremental(self, q, rng):
        work = self.work
        if not self.ready:
            self._rebase(q, slice(None))
            self.ready = True
            self.drift = False
        elif self.drift:
            if self.wz is None:
                zmax = work.z.max(axis=0)
            else:
                # z = (q - ref) / T as kept (a jump capped at 2 _REBASE is larger here,
                # still beyond _REBASE: the same rows drift)
                zmax = clip_scale(q - self.ref, self.bounds).max(axis=0)
            drift = np.abs(zmax) > _REBASE
            if drift.any():
                self._rebase(q, np.flatnonzero(drift))
            self.drift = False
        u = rng.uniform()
        a = draw_columns(work.w, work.c, work.b, u, work.rows, nonneg=True)
        # entropy from z and w: log(total) - sum(w z) / total, computed when asked for
        # (update changes w and z, so sum(w z) now; total is not overwritten before
        # the next select)
        if self.wz is None:
            wz = np.einsum("kn,kn->n", work.w, work.z)
        else:
            wz = np.add.reduce(self.wz, axis=0)
        self.parts = (work.c[-1], wz)
        return a


class _EpsilonKernel(_Kernel):
    """ε-greedy (and greedy, ε = 0): one uniform per row decides everything.

    ``u < ε`` explores, arm ``floor(u K / ε)``; otherwise ``(u - ε) / (1 - ε)``, uniform
    on ``[0, 1)``, picks among the tied maxima (:func:`argmax_columns`). The arithmetic per
    row is the same whether ε is one number or one per row, so a stacked batch gives
    bit-for-bit the numbers of each group alone. With one ε for all rows and one
    maximum in every row, the entropy is the same number for every row: it is kept
    as that number (:attr:`h_value`) and made an array only when asked for.
    """

    def __init__(self, parts, k, n):
        super().__init__(parts, k, n)
        values = []
        for p, m in parts:
            values.append((0.0 if isinstance(p, Greedy) else _policy_param(p.epsilon), m))
        self.eps = _RowParam(values, "epsilon", _check_epsilon)
        self.n = n
        self._plans: dict[float, tuple] = {}
        self._h: np.ndarray | None = None
        self.h_value: float | None = None  # entropy of every row, when they are equal
        self._x = np.empty(n)
        self._explore = np.empty(n, dtype=bool)

    @property
    def h(self) -> np.ndarray | None:
        if self.h_value is not None:
            return np.full(self.n, self.h_value)
        return self._h

    @h.setter
    def h(self, value: np.ndarray | None) -> None:
        self._h = value
        self.h_value = None

    @staticmethod
    def _explore_arms(u: np.ndarray, eps: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Which rows explore (``u < ε``) and the arm they explore, ``floor(u K / ε)``."""
        if isinstance(eps, float) and k / eps < _WIDE:  # 0 < ε <= 1: no division by zero
            arm = (u * (k / eps)).astype(np.int64)
        else:
            # Zeros or tiny values in ε: u K / ε may be inf or NaN (0 inf) or beyond
            # int64 in rows that do not explore; capped as a float before the cast
            # (fmin drops NaN), those rows' arms are valid, if unused.
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                x = u * (k / eps)
            arm = np.fmin(x, k - 1, out=x).astype(np.int64)
        np.minimum(arm, k - 1, out=arm)
        return u < eps, arm

    def _plan(self, eps: float) -> tuple[Any, Any, Any, np.ndarray, float]:
        """What a step with one ε needs, computed once per ε: ``(ε, K / ε, cap,
        table, h1)``.

        ε, ``K / ε`` and ``cap`` are arrays of one per row when ε is constant (array
        operands make the cheapest numpy calls). ``cap`` is ``K - 1``, the cap of
        :meth:`_explore_arms`, or None when no uniform below ε can give
        ``floor(u K / ε) >= K`` (and no ``u < 1`` overflows int64): then the cap
        changes nothing and is skipped. (Which ε need it is a matter of rounding: with
        ``K = 10``, 0.1 and 0.05 do, 0.01 and 0.5 do not.) ``table[n]`` is the entropy
        with ``n`` tied maxima (:func:`_epsilon_entropy`), ``h1 = table[1]``.
        """
        plan = self._plans.get(eps)
        if plan is None:
            k = self.k
            # K / ε, kept finite for a subnormal ε (whose exploration never happens in
            # practice), so that u * c is never 0 * inf
            c = min(k / eps, _FLOAT_MAX) if eps > 0.0 else math.inf
            # u * c is nondecreasing in u: the largest double below ε decides
            clamp = not (math.nextafter(eps, 0.0) * c < k and c < 2.0**62)
            ties = np.arange(k + 1, dtype=np.float64)
            ties[0] = 1.0  # never looked up
            table = _epsilon_entropy(eps, ties, k)
            if self.eps.constant:
                cap = np.full(self.n, k - 1) if clamp else None
                plan = (np.full(self.n, eps), np.full(self.n, c), cap, table, float(table[1]))
                self._plans[eps] = plan
            else:  # a schedule: a new ε almost every step, not worth the arrays
                plan = (eps, c, k - 1 if clamp else None, table, float(table[1]))
        return plan

    @staticmethod
    def _tie_uniforms(u: np.ndarray, eps: Any) -> np.ndarray:
        """``(u - ε) / (1 - ε)`` clipped to ``[0, 1]``: uniform on [0, 1) when not exploring."""
        with np.errstate(divide="ignore", invalid="ignore"):
            v = (u - eps) / (1.0 - eps)
        return np.clip(v, 0.0, 1.0, out=v)

    def __call__(self, q, counts, t, rng):
        eps = self.eps.at(t)
        if isinstance(eps, float):
            return self._scalar_select(q, eps)(t, rng)
        u = rng.uniform()
        a, n_ties = argmax_columns(q, lambda: self._tie_uniforms(u, eps), self.work)
        explore, a_explore = self._explore_arms(u, eps, self.k)
        np.copyto(a, a_explore, where=explore)
        self.h = _epsilon_entropy(eps, n_ties.astype(np.float64), self.k)
        return a

    def select_function(self, q: np.ndarray) -> Callable[[int, BatchRNG], np.ndarray] | None:
        """``(t, rng) -> actions``, the same as ``self(q, counts, t, rng)`` with less
        Python per call, for one constant ε (else None). Made once per simulation, never
        stored: it holds ``q`` and this kernel's scratch arrays."""
        eps = self.eps.at(0)
        if not self.eps.constant or not isinstance(eps, float):
            return None
        return self._scalar_select(q, eps)

    def _scalar_select(self, q: np.ndarray, eps: float) -> Callable[[int, BatchRNG], np.ndarray]:
        """The select of a step with one ε for every row: the numbers of the per-row
        path, with fewer passes (:func:`argmax_columns`'s fast path; the explored arms put into
        the greedy ones; an entropy that is one number kept as that number)."""
        eps_rows, c_rows, cap, table, h1 = self._plan(eps)
        work, x, explore = self.work, self._x, self._explore
        tie_uniforms = self._tie_uniforms
        # With a tiny ε (K / ε beyond int64), u K / ε of the rows that do not explore
        # cannot be cast to int64 (numpy warns); their arms are not used
        wide = eps > 0.0 and not self.k / eps < _WIDE

        def select(t: int, rng: BatchRNG) -> np.ndarray:
            u = rng.uniform()
            if eps == 0.0:
                a, n_ties = argmax_columns(q, u, work)
            else:
                a, n_ties = argmax_columns(q, lambda: tie_uniforms(u, eps), work)
                # the exploring rows' arms, as _explore_arms computes them, put into a
                if wide:
                    with np.errstate(invalid="ignore"):
                        arm = np.multiply(u, c_rows, out=x).astype(np.int64)
                else:
                    arm = np.multiply(u, c_rows, out=x).astype(np.int64)
                if cap is not None:
                    np.minimum(arm, cap, out=arm)
                np.putmask(a, np.less(u, eps_rows, out=explore), arm)
            if work.tied:
                self.h = table[n_ties]
            else:  # one maximum in every row: n_ties is 1 everywhere
                self.h_value = h1
            return a

        return select


_WIDE = 2.0**62  # u K / ε below this (u < 1) casts to int64 without a warning
_FLOAT_MAX = float(np.finfo(np.float64).max)


def _epsilon_entropy(eps: Any, n_ties: np.ndarray, k: int) -> np.ndarray:
    """Entropy of ε-greedy with ``n_ties`` tied maxima (float64).

    The same array operations per element for a scalar ε (evaluated once for every
    possible tie count, then looked up) and for one ε per row, so both give the same
    bits.
    """
    eps_rows = np.broadcast_to(np.asarray(eps, dtype=np.float64), n_ties.shape)
    p_other = eps_rows / k
    p_tie = p_other + (1.0 - eps_rows) / n_ties
    h = n_ties * xlogx(p_tie)
    h += (k - n_ties) * xlogx(p_other)
    np.negative(h, out=h)
    return np.maximum(h, 0.0, out=h)


class _UCBKernel(_Kernel):
    def __init__(self, parts, k, n):
        super().__init__(parts, k, n)
        self.c = _RowParam([(p.c, m) for p, m in parts], "c")

    def __call__(self, q, counts, t, rng):
        c = self.c.at(t)
        u = rng.uniform()
        work = self.work
        s = ucb_scores(q, counts, math.log(max(t, 1)), c, work.z)
        a, n_ties = argmax_columns(s, u, work)
        self.h = log_table(self.k)[n_ties]
        return a


class _GumbelKernel(_Kernel):
    def __init__(self, parts, k, n):
        super().__init__(parts, k, n)
        self.c = _RowParam([(p.c, m) for p, m in parts], "c")

    def __call__(self, q, counts, t, rng):
        c = self.c.at(t)
        g = rng.gumbel(self.k)
        u = rng.uniform()
        work = self.work
        s = work.z
        with np.errstate(divide="ignore", invalid="ignore"):
            np.sqrt(counts, out=s)
            np.divide(c, s, out=s)
            np.multiply(s, g, out=s)
        np.add(s, q, out=s)
        unplayed = counts == 0
        np.copyto(s, np.inf, where=unplayed)
        if not isinstance(c, float):
            np.copyto(s, q, where=(c == 0.0) & ~unplayed)
        elif c == 0.0:
            np.copyto(s, q, where=~unplayed)
        a, _ = argmax_columns(s, u, work)
        self.h = None
        return a


class _GenericKernel(_Kernel):
    """Any policy: its own ``probs`` (rows-major), then inverse-CDF sampling."""

    def __init__(self, parts, k, n):
        super().__init__(parts, k, n)
        ((self.policy, _),) = parts
        self.n = n

    def __call__(self, q, counts, t, rng):
        qv, cv = q.T, counts.T
        qv.flags.writeable = False  # the policy sees the estimates, never changes them
        cv.flags.writeable = False
        p = np.asarray(self.policy.probs(qv, step=t, counts=cv), dtype=np.float64)
        if p.shape != (self.n, self.k):
            raise ValueError(
                f"policy {self.policy!r} returned probabilities of shape {p.shape} for "
                f"action values of shape {(self.n, self.k)}"
            )
        pt = p.T
        u = rng.uniform()
        a = draw_columns(pt, self.work.c, self.work.b, u)
        self.h = entropy_of_probs(pt)
        return a


def _kernel_class(policy: Any) -> type[_Kernel]:
    kind = type(policy)
    if kind is Boltzmann:
        return _BoltzmannKernel
    if kind in (EpsilonGreedy, Greedy):
        return _EpsilonKernel
    if kind is UCB:
        return _UCBKernel
    if kind is BoltzmannGumbel:
        return _GumbelKernel
    return _GenericKernel


def _as_policy(policy: Any) -> Any:
    if isinstance(policy, str):
        from boltzmann_rl.spec import parse_policy

        return parse_policy(policy)
    for name in ("probs", "sample", "entropy"):
        if not callable(getattr(policy, name, None)):
            raise TypeError(
                f"policy must follow the Policy protocol (probs, sample, log_prob, entropy) "
                f"or be a policy text such as 'boltzmann(temperature=0.1)', got {policy!r}"
            )
    return policy


# ------------------------------------------------------------------------ agents


class _Agent(_FlatViews):
    """Shared machinery of the built-in agents: reset, stacking, labels."""

    reward_range: tuple[float, float] = (-math.inf, math.inf)
    _config: tuple[str, ...] = ()
    _n: int = 0
    _k: int = 0

    def reset(self, n_rows: int, n_arms: int) -> None:
        """Forget everything and allocate the state of ``n_rows`` runs of ``n_arms`` arms."""
        if isinstance(n_rows, bool) or not isinstance(n_rows, numbers.Integral) or n_rows < 1:
            raise ValueError(f"n_rows must be a positive integer, got {n_rows!r}")
        if isinstance(n_arms, bool) or not isinstance(n_arms, numbers.Integral) or n_arms < 1:
            raise ValueError(f"n_arms must be a positive integer, got {n_arms!r}")
        self._setup([(self, int(n_rows))], int(n_arms))

    def _setup(self, parts: list[tuple[Any, int]], n_arms: int) -> None:
        raise NotImplementedError

    def _stack_key(self) -> Any:
        """Agents with equal keys can run as one batch with per-row parameters."""
        return (type(self),)

    @classmethod
    def _stack(cls, parts: list[tuple[Any, int]], n_arms: int) -> Any:
        """One agent playing all rows of ``parts`` (agent, rows), already reset."""
        agent = copy.copy(parts[0][0])
        agent._setup(parts, n_arms)
        return agent

    def entropy(self) -> np.ndarray | None:
        """Entropy (nats) of the distribution of the last ``select``, one per run."""
        return None

    def _check_selected(self) -> None:
        if self._n == 0:
            raise RuntimeError(f"{type(self).__name__}: call reset(n_rows, n_arms) first")

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={_fmt(getattr(self, name))}" for name in self._config)
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return repr(self) == repr(other)

    def __hash__(self) -> int:
        return hash(repr(self))

    @property
    def label(self) -> str:
        """The name of this configuration in results (its ``repr``)."""
        return repr(self)


def _flat_index(actions: Any, n: int, cols: np.ndarray) -> np.ndarray:
    """Index of each run's pulled arm in the flattened ``(K, n)`` state."""
    if type(actions) is not np.ndarray or actions.shape != (n,) or actions.dtype.kind not in "iu":
        a = np.asarray(actions)
        if a.shape != (n,):
            raise ValueError(f"expected {n} actions (one per run), got shape {a.shape}")
        if a.dtype.kind not in "iu":
            raise TypeError(f"actions must be integers, got dtype {a.dtype}")
        actions = a
    idx = actions * n
    idx += cols
    return idx


def _rewards(rewards: Any, n: int) -> np.ndarray:
    if type(rewards) is np.ndarray and rewards.dtype == np.float64 and rewards.shape == (n,):
        return rewards
    r = np.asarray(rewards, dtype=np.float64)
    if r.shape != (n,):
        raise ValueError(f"expected {n} rewards (one per run), got shape {r.shape}")
    return r


def _check_unit_rewards(r: np.ndarray, owner: str) -> None:
    bad = ~((r >= 0.0) & (r <= 1.0))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{owner} needs rewards in [0, 1], got {r[i]} (run {i}); rescale the rewards, "
            "e.g. with the environment's offset and scale"
        )


class ActionValueAgent(_Agent):
    r"""Action-value estimates plus a policy: ε-greedy, Boltzmann, UCB and the rest.

    Keeps ``Q(a)`` and the visit counts ``N(a)`` of every run; each step the policy
    picks an action from ``Q`` (``policy.probs(Q, step=t, counts=N)``) and the pulled
    arm's estimate moves towards the reward,

    .. math:: Q(a) \leftarrow Q(a) + \alpha_n \, (R - Q(a)),

    with :math:`\alpha_n = 1 / N(a)` (sample average, the default) or a step size.

    Parameters
    ----------
    policy : Policy or str
        Any policy of :mod:`boltzmann_rl.policies` (or following its protocol), or
        its text form, e.g. ``"boltzmann(temperature=0.1)"``. Schedules in it are
        evaluated at the step ``t`` (0, 1, ...).
    step_size : float, schedule, array or None, default None
        ``None``: sample averages. A number in ``(0, 1]``: a constant step size α
        (recency-weighted averages). A schedule: evaluated at the number of earlier
        visits of the pulled arm (so ``inverse(1.0, 1)`` is the sample average). An
        array: one α per run.
    initial : float or array, default 0.0
        Initial estimates ``Q_1(a)``: large values are *optimistic* and drive early
        exploration. An array gives one value per run.

    Raises
    ------
    ValueError
        NaN or out-of-range parameters, an unknown policy text.
    TypeError
        A policy that does not follow the protocol.

    Examples
    --------
    >>> from boltzmann_rl.bandits import ActionValueAgent, GaussianBandit, simulate
    >>> agent = ActionValueAgent("greedy", step_size=0.1, initial=5.0)
    >>> agent
    ActionValueAgent(policy=greedy, step_size=0.1, initial=5.0)
    >>> result = simulate(GaussianBandit(), agent, runs=20, steps=50, seed=0)
    >>> result.summary()[0]["policy"]
    'greedy step_size=0.1 initial=5.0'
    """

    _config = ("policy", "step_size", "initial")

    def __init__(self, policy: Any, step_size: Any = None, initial: Any = 0.0) -> None:
        self.policy = _as_policy(policy)
        self.step_size = (
            None
            if step_size is None
            else _param(
                step_size,
                "step_size",
                "ActionValueAgent",
                low=0.0,
                high=1.0,
                low_open=True,
                schedule=True,
            )
        )
        self.initial = _param(initial, "initial", "ActionValueAgent")
        self._kernel_cls = _kernel_class(self.policy)

    @property
    def label(self) -> str:
        """The policy's text form, plus any non-default step size or initial value."""
        text = repr(self.policy)
        if self.step_size is not None:
            text += f" step_size={_fmt(self.step_size)}"
        if not (isinstance(self.initial, float) and self.initial == 0.0):
            text += f" initial={_fmt(self.initial)}"
        return text

    def _stack_key(self) -> Any:
        if self._kernel_cls is _GenericKernel:
            return None
        variant = getattr(self._kernel_cls, "variant", None)
        return (
            ActionValueAgent,
            self._kernel_cls,
            self.step_size is None,
            None if variant is None else variant(self.policy),
        )

    _flat_of: ClassVar[dict[str, str]] = {"_q_flat": "_q", "_n_flat": "_counts"}
    _q_flat: np.ndarray
    _n_flat: np.ndarray

    def _setup(self, parts, n_arms):
        n = sum(m for _, m in parts)
        k = n_arms
        self._n, self._k = n, k
        self._cols = np.arange(n)
        init = _RowParam([(p.initial, m) for p, m in parts], "initial")
        self._q = np.empty((k, n))
        self._q[...] = init.at(0)
        self._counts = np.zeros((k, n))
        self._kernel_parts = [(p.policy, m) for p, m in parts]
        self._kernel = self._kernel_cls(self._kernel_parts, k, n)
        self._observe = getattr(self._kernel, "observe", None)
        if self.step_size is None:
            self._alpha = None
        else:
            self._alpha = _RowParam(
                [(p.step_size, m) for p, m in parts], "step_size", _check_step_size
            )
        self._make_flat()
        self._ones = np.ones(n)

    def select(self, t: int, rng: BatchRNG) -> np.ndarray:
        """Actions of every run at step ``t`` (int64, shape ``(n_rows,)``)."""
        self._check_selected()
        return self._kernel(self._q, self._counts, t, rng)

    def update(self, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Move the pulled arms' estimates towards ``rewards``."""
        n = self._n
        self._update_flat(_flat_index(actions, n, self._cols), _rewards(rewards, n))

    def _update_flat(self, idx: np.ndarray, r: np.ndarray) -> None:
        """:meth:`update` with the pulled arms' flat indices ``a * n + run`` (int64) and
        float64 rewards, already checked (the simulation shares them with the env)."""
        visits = self._n_flat[idx]
        q = self._q_flat[idx]
        alpha = self._alpha
        if alpha is None:
            np.add(visits, self._ones, out=visits)  # an array operand: the fastest call
            self._n_flat[idx] = visits
            step = r - q
            step /= visits
            q += step
        else:
            self._n_flat[idx] = visits + 1.0
            if alpha.constant:
                q += alpha.at(0) * (r - q)
            else:
                q += alpha.eval_rows(visits) * (r - q)
        self._q_flat[idx] = q
        if self._observe is not None:
            self._observe(idx, q)

    def entropy(self) -> np.ndarray | None:
        """Entropy of the policy at the last ``select`` (None for Boltzmann-Gumbel)."""
        return self._kernel.h

    def _select_function(self) -> Callable[[int, BatchRNG], np.ndarray]:
        """:meth:`select` as the simulation calls it, step after step: the kernel's
        own function when it has one (the same actions, less Python per step), else
        ``select``. Valid until the next ``reset`` or ``set_estimates``."""
        self._check_selected()
        make = getattr(self._kernel, "select_function", None)
        fn = None if make is None else make(self._q)
        return self.select if fn is None else fn

    def _fast_steps(self) -> _FastSteps | None:
        """The simulation's per-step shortcuts for this reset agent (the same numbers
        as ``select``, ``update`` and ``entropy``), declared by the simulation's
        internal ``_FastSteps`` protocol; None for a subclass, which may change them."""
        if type(self) is not ActionValueAgent:
            return None
        kernel = self._kernel
        return _FastSteps(
            self._select_function(),
            self._update_flat,
            # each None when this agent's kernel never has that shortcut (so the
            # simulation does not ask every step)
            self._entropy_parts if hasattr(kernel, "parts") else None,
            self._entropy_value if hasattr(kernel, "h_value") else None,
        )

    def _entropy_value(self) -> float | None:
        """The entropy of the last select when it is one number for every run (ε-greedy
        with one ε and no tied maxima), else None; ``entropy()`` is then that number
        in every run. The simulation records it without building the array."""
        return getattr(self._kernel, "h_value", None)

    def _entropy_parts(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(total, Σ w z)`` of the last select when its entropy is still to be
        computed from them (:func:`entropy_from_parts`, which the simulation applies
        to a block of steps at once), else None. Views: copy them before ``select``."""
        return getattr(self._kernel, "parts", None)

    @property
    def q_values(self) -> np.ndarray:
        """Current estimates, shape ``(n_rows, K)`` (a read-only view)."""
        view = self._q.T
        view.flags.writeable = False
        return view

    @property
    def counts(self) -> np.ndarray:
        """Visit counts, shape ``(n_rows, K)`` (a read-only view)."""
        view = self._counts.T
        view.flags.writeable = False
        return view

    def set_estimates(self, q_values: Any, counts: Any = None) -> None:
        """Overwrite the estimates (and optionally the counts) of every run.

        Parameters
        ----------
        q_values : array_like, shape (n_rows, K) or broadcastable to it
        counts : array_like, optional
            Visit counts, ``>= 0``.

        Examples
        --------
        >>> from boltzmann_rl.bandits import ActionValueAgent
        >>> agent = ActionValueAgent("ucb(c=1)")
        >>> agent.reset(2, 3)
        >>> agent.set_estimates([0.0, 1.0, 0.5], counts=[1, 2, 3])
        >>> agent.q_values.tolist()
        [[0.0, 1.0, 0.5], [0.0, 1.0, 0.5]]
        """
        self._check_selected()
        q = np.asarray(q_values, dtype=np.float64)
        if not np.isfinite(q).all():
            raise ValueError("set_estimates: q_values must be finite")
        self._q[...] = np.broadcast_to(q, (self._n, self._k)).T
        if counts is not None:
            c = np.asarray(counts, dtype=np.float64)
            if not (c >= 0).all():
                raise ValueError("set_estimates: counts must be >= 0")
            self._counts[...] = np.broadcast_to(c, (self._n, self._k)).T
        # the policy kernels start over from the new estimates
        self._kernel = self._kernel_cls(self._kernel_parts, self._k, self._n)
        self._observe = getattr(self._kernel, "observe", None)


register_bandit_agent(
    "action_value",
    ActionValueAgent,
    takes_policy=True,
    params={
        "step_size": (
            "schedule",
            "α: none for sample averages, a number in (0, 1], or a schedule of the visits",
        ),
        "initial": ("float", "initial estimates Q_1 (large values: optimistic)"),
    },
    doc="action-value estimates plus a policy (sample average or step size α)",
)


class _FastSteps(NamedTuple):
    """What :meth:`ActionValueAgent._fast_steps` gives the simulation."""

    select: Callable[[int, BatchRNG], np.ndarray]
    update_flat: Callable[[np.ndarray, np.ndarray], None]
    entropy_parts: Callable[[], tuple[np.ndarray, np.ndarray] | None] | None
    entropy_value: Callable[[], float | None] | None


def _check_step_size(v: Any) -> None:
    arr = np.asarray(v)
    ok = (arr > 0) & (arr <= 1)
    if not ok.all():
        raise ValueError(f"step_size schedule left (0, 1]: {arr[~ok].flat[0]}")


class GradientBandit(_Agent):
    r"""The gradient bandit algorithm (Sutton and Barto, 2nd ed., sec. 2.8).

    Keeps preferences ``H(a)`` (0 at the start), plays :math:`\pi = \mathrm{softmax}(H)`
    and after reward ``R`` for action ``A`` updates every arm,

    .. math:: H(a) \leftarrow H(a) + \alpha \, (R - \bar R)\,(\mathbb 1\{a = A\} - \pi(a)).

    With ``baseline=True``, :math:`\bar R` is the average of the rewards *before* this
    step (:math:`\bar R_1 = R_1`, as in the book's 2nd edition); without it,
    :math:`\bar R = 0`.

    Parameters
    ----------
    step_size : float or array, default 0.1
        α, finite and ``> 0`` (the book's parameter study goes up to 3); an array
        gives one α per run.
    baseline : bool, default True
        Use the average-reward baseline.

    Examples
    --------
    >>> from boltzmann_rl.bandits import GradientBandit
    >>> GradientBandit(step_size=0.4, baseline=False)
    GradientBandit(step_size=0.4, baseline=False)
    >>> GradientBandit(step_size=float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: GradientBandit: step_size must be finite (not NaN or inf), got nan
    """

    _config = ("step_size", "baseline")

    def __init__(self, step_size: Any = 0.1, baseline: bool = True) -> None:
        self.step_size = _param(step_size, "step_size", "GradientBandit", low=0.0, low_open=True)
        if not isinstance(baseline, bool | np.bool_):
            raise TypeError(f"GradientBandit: baseline must be True or False, got {baseline!r}")
        self.baseline = bool(baseline)

    @property
    def label(self) -> str:
        """``gradient(step_size=α, baseline=...)``."""
        return f"gradient(step_size={_fmt(self.step_size)}, baseline={self.baseline})"

    _flat_of: ClassVar[dict[str, str]] = {"_h_flat": "_h"}
    _h_flat: np.ndarray

    def _setup(self, parts, n_arms):
        n = sum(m for _, m in parts)
        self._n, self._k = n, n_arms
        self._cols = np.arange(n)
        self._h = np.zeros((n_arms, n))
        self._make_flat()
        self._work = Work(n_arms, n)
        self._alpha = _RowParam([(p.step_size, m) for p, m in parts], "step_size").at(0)
        self._use_baseline = np.concatenate([np.full(m, p.baseline) for p, m in parts])
        self._all_baseline = bool(self._use_baseline.all())
        self._no_baseline = not self._use_baseline.any()
        self._avg = np.zeros(n)
        self._seen = 0
        self._total = None
        self._entropy = None

    def _stack_key(self) -> Any:
        return (GradientBandit,)

    def select(self, t: int, rng: BatchRNG) -> np.ndarray:
        """Sample from ``softmax(H)`` for every run."""
        self._check_selected()
        a, total = softmax_draw_columns(self._h, rng.uniform(), self._work)
        self._total = total.copy()
        self._entropy = entropy_of_weights(self._work, self._total)
        return a

    def update(self, actions: np.ndarray, rewards: np.ndarray) -> None:
        """The preference update above, for every run at once."""
        if self._total is None:
            raise RuntimeError("GradientBandit: update() needs a select() first")
        n = self._n
        idx = _flat_index(actions, n, self._cols)
        r = _rewards(rewards, n)
        if self._no_baseline:
            diff = r
        else:
            if self._seen == 0:
                self._avg[...] = r
            diff = r - self._avg
            if not self._all_baseline:
                diff = np.where(self._use_baseline, diff, r)
            self._avg += (r - self._avg) / (self._seen + 1)
        self._seen += 1
        g = self._alpha * diff
        # H <- H - g π for every arm, then H[A] += g; π = w / total from select
        w = self._work.w
        np.multiply(w, g / self._total, out=w)
        self._h -= w
        self._h_flat[idx] += g
        self._total = None

    def entropy(self) -> np.ndarray | None:
        """Entropy of π at the last ``select``."""
        return self._entropy

    @property
    def preferences(self) -> np.ndarray:
        """Current preferences ``H``, shape ``(n_rows, K)`` (a view)."""
        return self._h.T


register_bandit_agent(
    "gradient",
    GradientBandit,
    params={
        "step_size": ("float", "α, > 0"),
        "baseline": ("bool", "use the average-reward baseline"),
    },
    doc="the gradient bandit: softmax over preferences (Sutton and Barto, sec. 2.8)",
)


class EXP3(_Agent):
    r"""EXP3 (Auer, Cesa-Bianchi, Freund and Schapire, 2002) for rewards in ``[0, 1]``.

    Plays :math:`p_t(a) = (1 - \gamma)\, w(a) / \sum_b w(b) + \gamma / K` and after
    reward ``R`` for arm ``A`` sets :math:`w(A) \leftarrow w(A) \exp(\gamma \hat x / K)`
    with the importance-weighted estimate :math:`\hat x = R / p_t(A)`. The weights are
    kept as logarithms, so they never overflow.

    Parameters
    ----------
    gamma : float or array, default 0.1
        Exploration rate in ``(0, 1]``; an array gives one per run.

    Raises
    ------
    ValueError
        ``gamma`` outside ``(0, 1]`` or NaN; in ``update``, a reward outside ``[0, 1]``
        (and :func:`~boltzmann_rl.bandits.simulate` refuses, before it starts, an
        environment whose rewards can leave ``[0, 1]``).

    References
    ----------
    .. [1] P. Auer, N. Cesa-Bianchi, Y. Freund and R. E. Schapire, "The nonstochastic
       multiarmed bandit problem", SIAM J. Computing 32(1), 2002.

    Examples
    --------
    >>> from boltzmann_rl.bandits import EXP3, BernoulliBandit, simulate
    >>> r = simulate(BernoulliBandit(arms=3), EXP3(gamma=0.2), runs=10, steps=20, seed=1)
    >>> r.summary()[0]["policy"]
    'exp3(gamma=0.2)'
    """

    _config = ("gamma",)
    reward_range = (0.0, 1.0)

    def __init__(self, gamma: Any = 0.1) -> None:
        self.gamma = _param(gamma, "gamma", "EXP3", low=0.0, high=1.0, low_open=True)

    @property
    def label(self) -> str:
        """``exp3(gamma=γ)``."""
        return f"exp3(gamma={_fmt(self.gamma)})"

    _flat_of: ClassVar[dict[str, str]] = {"_logw_flat": "_logw"}
    _logw_flat: np.ndarray

    def _setup(self, parts, n_arms):
        n = sum(m for _, m in parts)
        self._n, self._k = n, n_arms
        self._cols = np.arange(n)
        self._logw = np.zeros((n_arms, n))
        self._make_flat()
        self._work = Work(n_arms, n)
        self._gamma = _RowParam([(p.gamma, m) for p, m in parts], "gamma").at(0)
        self._p = None

    def select(self, t: int, rng: BatchRNG) -> np.ndarray:
        """Sample from the mixed distribution ``p_t``."""
        self._check_selected()
        work = self._work
        exp_shifted_columns(self._logw, work)
        total = work.w.sum(axis=0)
        g = self._gamma
        p = work.w
        p *= (1.0 - g) / total
        p += g / self._k
        self._p = p
        return draw_columns(p, work.c, work.b, rng.uniform(), nonneg=True)

    def update(self, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Importance-weighted exponential update of the pulled arms."""
        if self._p is None:
            raise RuntimeError("EXP3: update() needs a select() first")
        n = self._n
        idx = _flat_index(actions, n, self._cols)
        r = _rewards(rewards, n)
        _check_unit_rewards(r, "EXP3")
        p_a = self._p.ravel()[idx]
        self._logw_flat[idx] += self._gamma * (r / p_a) / self._k

    def entropy(self) -> np.ndarray | None:
        """Entropy of ``p_t`` at the last ``select``."""
        return None if self._p is None else entropy_of_probs(self._p)


register_bandit_agent(
    "exp3",
    EXP3,
    params={"gamma": ("float", "exploration rate in (0, 1]")},
)


class GaussianThompson(_Agent):
    r"""Thompson sampling for Gaussian rewards with known noise.

    Each arm's mean has a normal prior :math:`N(\mu_0, \sigma_0^2)`; with rewards of
    noise :math:`\sigma` the posterior after ``n`` rewards summing to ``s`` is normal
    with precision :math:`\tau = 1/\sigma_0^2 + n/\sigma^2` and mean
    :math:`(\mu_0/\sigma_0^2 + s/\sigma^2) / \tau`. Each step draws one mean per arm
    from the posterior and plays the largest.

    Parameters
    ----------
    prior_mean : float, default 0.0
    prior_sd : float, default 1.0
        ``> 0``.
    noise : float, default 1.0
        The reward noise standard deviation assumed, ``> 0``.

    Examples
    --------
    >>> from boltzmann_rl.bandits import GaussianThompson
    >>> GaussianThompson(prior_sd=2.0)
    GaussianThompson(prior_mean=0.0, prior_sd=2.0, noise=1.0)
    """

    _config = ("prior_mean", "prior_sd", "noise")

    def __init__(self, prior_mean: Any = 0.0, prior_sd: Any = 1.0, noise: Any = 1.0) -> None:
        self.prior_mean = _param(prior_mean, "prior_mean", "GaussianThompson")
        self.prior_sd = _param(prior_sd, "prior_sd", "GaussianThompson", low=0.0, low_open=True)
        self.noise = _param(noise, "noise", "GaussianThompson", low=0.0, low_open=True)

    @property
    def label(self) -> str:
        """``thompson-gaussian(...)``."""
        return (
            f"thompson-gaussian(prior_mean={_fmt(self.prior_mean)}, "
            f"prior_sd={_fmt(self.prior_sd)}, noise={_fmt(self.noise)})"
        )

    def _setup(self, parts, n_arms):
        n = sum(m for _, m in parts)
        self._n, self._k = n, n_arms
        self._cols = np.arange(n)
        mu0 = _RowParam([(p.prior_mean, m) for p, m in parts], "prior_mean").at(0)
        sd0 = _RowParam([(p.prior_sd, m) for p, m in parts], "prior_sd").at(0)
        noise = _RowParam([(p.noise, m) for p, m in parts], "noise").at(0)
        self._prec0 = np.broadcast_to(1.0 / np.square(sd0), (n,)).copy()
        self._noise_prec = np.broadcast_to(1.0 / np.square(noise), (n,)).copy()
        self._prec = np.empty((n_arms, n))
        self._prec[...] = self._prec0
        self._wsum = np.empty((n_arms, n))  # precision-weighted sum: mu0/sd0² + s/σ²
        self._wsum[...] = np.broadcast_to(mu0, (n,)) * self._prec0
        self._mean = self._wsum / self._prec
        self._sd = 1.0 / np.sqrt(self._prec)
        self._work = Work(n_arms, n)

    def select(self, t: int, rng: BatchRNG) -> np.ndarray:
        """Draw a mean per arm from the posterior; play the largest."""
        self._check_selected()
        theta = self._work.z
        np.multiply(rng.normal(self._k), self._sd, out=theta)
        theta += self._mean
        a, _ = argmax_columns(theta, rng.uniform(), self._work)
        return a

    def update(self, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Conjugate normal update of the pulled arms."""
        n = self._n
        idx = _flat_index(actions, n, self._cols)
        r = _rewards(rewards, n)
        prec = self._prec.ravel()[idx] + self._noise_prec
        wsum = self._wsum.ravel()[idx] + r * self._noise_prec
        self._prec.ravel()[idx] = prec
        self._wsum.ravel()[idx] = wsum
        self._mean.ravel()[idx] = wsum / prec
        self._sd.ravel()[idx] = 1.0 / np.sqrt(prec)

    @property
    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """Posterior means and standard deviations, each ``(n_rows, K)``."""
        return self._mean.T, self._sd.T


register_bandit_agent(
    "gaussian_thompson",
    GaussianThompson,
    params={
        "prior_mean": ("float", "prior mean of every arm"),
        "prior_sd": ("float", "prior standard deviation, > 0"),
        "noise": ("float", "reward noise standard deviation assumed, > 0"),
    },
)


class BernoulliThompson(_Agent):
    r"""Thompson sampling with Beta posteriors, for rewards in ``[0, 1]``.

    Each arm has a :math:`\mathrm{Beta}(a_0, b_0)` prior; a reward ``r`` adds ``r`` to
    ``a`` and ``1 - r`` to ``b`` (the conjugate update for 0/1 rewards, and the usual
    extension to rewards in between). Each step draws one success probability per arm
    and plays the largest.

    Parameters
    ----------
    a, b : float, default 1.0
        Prior parameters, ``> 0`` (1 and 1 is the uniform prior).

    Raises
    ------
    ValueError
        In ``update``, a reward outside ``[0, 1]``.

    Examples
    --------
    >>> from boltzmann_rl.bandits import BernoulliThompson
    >>> BernoulliThompson()
    BernoulliThompson(a=1.0, b=1.0)
    """

    _config = ("a", "b")
    reward_range = (0.0, 1.0)

    def __init__(self, a: Any = 1.0, b: Any = 1.0) -> None:
        self.a = _param(a, "a", "BernoulliThompson", low=0.0, low_open=True)
        self.b = _param(b, "b", "BernoulliThompson", low=0.0, low_open=True)

    @property
    def label(self) -> str:
        """``thompson-bernoulli(a=..., b=...)``."""
        return f"thompson-bernoulli(a={_fmt(self.a)}, b={_fmt(self.b)})"

    def _setup(self, parts, n_arms):
        n = sum(m for _, m in parts)
        self._n, self._k = n, n_arms
        self._cols = np.arange(n)
        self._a = np.empty((n_arms, n))
        self._b = np.empty((n_arms, n))
        self._a[...] = _RowParam([(p.a, m) for p, m in parts], "a").at(0)
        self._b[...] = _RowParam([(p.b, m) for p, m in parts], "b").at(0)
        self._work = Work(n_arms, n)

    def select(self, t: int, rng: BatchRNG) -> np.ndarray:
        """Draw a success probability per arm from the posterior; play the largest."""
        self._check_selected()
        theta = rng.beta(self._a, self._b)
        a, _ = argmax_columns(theta, rng.uniform(), self._work)
        return a

    def update(self, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Add the rewards to ``a`` and their complements to ``b``."""
        n = self._n
        idx = _flat_index(actions, n, self._cols)
        r = _rewards(rewards, n)
        _check_unit_rewards(r, "BernoulliThompson")
        self._a.ravel()[idx] += r
        self._b.ravel()[idx] += 1.0 - r

    @property
    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        """Beta parameters ``(a, b)``, each ``(n_rows, K)``."""
        return self._a.T, self._b.T


register_bandit_agent(
    "bernoulli_thompson",
    BernoulliThompson,
    params={
        "a": ("float", "Beta prior a_0 (successes), > 0"),
        "b": ("float", "Beta prior b_0 (failures), > 0"),
    },
)


def as_agent(obj: Any) -> Any:
    """Return ``obj`` as a bandit agent.

    A policy, or the text form of one, becomes a sample-average
    :class:`ActionValueAgent` with initial estimates 0 (the textbook's default); an
    object with the agent methods is returned as is.

    Raises
    ------
    TypeError
        Anything else.

    Examples
    --------
    >>> from boltzmann_rl.bandits import as_agent
    >>> as_agent("ucb(c=2)")
    ActionValueAgent(policy=ucb(c=2.0), step_size=None, initial=0.0)
    """
    if isinstance(obj, str):
        return ActionValueAgent(obj)
    if all(callable(getattr(obj, m, None)) for m in ("reset", "select", "update")):
        return obj
    if all(callable(getattr(obj, m, None)) for m in ("probs", "sample")):
        return ActionValueAgent(obj)
    raise TypeError(
        "expected a bandit agent (reset/select/update/entropy), a policy or a policy text "
        f"such as 'egreedy(epsilon=0.1)', got {type(obj).__name__}: {obj!r}"
    )
