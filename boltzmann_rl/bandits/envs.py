"""Multi-armed bandit environments, vectorized over runs.

An environment is a small frozen description (:class:`GaussianBandit`,
:class:`BernoulliBandit`, :class:`NonstationaryBandit`). :meth:`BanditEnv.batch`
turns it into an :class:`EnvBatch`: the true action values of many independent runs
and a :meth:`~EnvBatch.step` that pulls one arm per run and returns the rewards, the
regret of each pull and whether it was optimal.

Every environment takes ``offset`` and ``scale``: the agent sees the reward
``offset + scale * r`` for the environment's reward ``r``, and the regret of a pull,
``scale * (max_a q*(a) - q*(pulled))``, transforms with it (the offset cancels). The
optimal actions are those with the largest true value (ties: all of them).

Arrays inside an :class:`EnvBatch` are **arms-major**, ``(K, runs)``: the reductions
over arms that every step needs are then fast contiguous operations. The public
accessors (:attr:`EnvBatch.values`, :meth:`EnvBatch.optimal_actions`) return the usual
``(runs, K)`` views.

============================  =====================================================
class                         model (per run, ``K`` arms)
============================  =====================================================
:class:`GaussianBandit`       ``q*(a) ~ N(mean, spread²)`` once; ``R ~ N(q*(a), noise²)``
:class:`BernoulliBandit`      ``p(a)`` fixed or ``~ U(low, high)`` once; ``R ~ Bernoulli(p(a))``
:class:`NonstationaryBandit`  ``q*`` starts equal, walks ``+N(0, walk²)`` every step
============================  =====================================================

Examples
--------
>>> import numpy as np
>>> from boltzmann_rl.bandits import GaussianBandit
>>> from boltzmann_rl.bandits.rng import BatchRNG, ENV_STREAM
>>> env = GaussianBandit(arms=3)
>>> batch = env.batch(BatchRNG.from_seed(0, 4, stream=ENV_STREAM))
>>> batch.values.shape
(4, 3)
>>> rewards, regret, optimal = batch.step(np.array([0, 1, 2, 0]))
>>> rewards.shape, bool((regret >= 0).all())
((4,), True)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
from numpy.random import Generator

from boltzmann_rl._checks import finite, nonnegative
from boltzmann_rl.bandits.rng import BatchRNG

__all__ = [
    "ENVIRONMENTS",
    "BanditEnv",
    "BernoulliBandit",
    "EnvBatch",
    "GaussianBandit",
    "NonstationaryBandit",
    "make_env",
]


def _arms(value: Any, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: arms must be an integer, got {type(value).__name__}: {value!r}")
    if value < 2:
        raise ValueError(f"{owner}: a bandit needs at least 2 arms, got arms={value}")
    return int(value)


@dataclass(frozen=True, repr=False)
class BanditEnv:
    """Base class of the environments: the number of arms and the reward transform.

    Subclasses define :meth:`initial_values` and :meth:`draw_rewards` (and, for
    non-stationary ones, :meth:`drift`); :meth:`batch` does the rest.

    Parameters
    ----------
    arms : int, default 10
        Number of arms ``K >= 2``.
    offset : float, default 0.0
        Added to every reward the agent sees.
    scale : float, default 1.0
        Multiplies every reward the agent sees (before the offset) and the regret;
        finite and ``> 0``.

    Examples
    --------
    A new environment: true values (``initial_values``) and how a reward is drawn.

    >>> from dataclasses import dataclass
    >>> import numpy as np
    >>> from boltzmann_rl.bandits import BanditEnv, simulate
    >>> @dataclass(frozen=True, repr=False)
    ... class Exponential(BanditEnv):
    ...     name = "exponential"
    ...     def initial_values(self, rng, n):
    ...         return rng.random((n, self.arms)) + 0.5     # mean rewards
    ...     def draw_rewards(self, means, rng, rows):
    ...         u = rng.uniform() if rows is None else rng.uniform()[rows]
    ...         return -means * np.log1p(-u)                   # exponential with that mean
    >>> r = simulate(Exponential(arms=3), "ucb(c=1)", runs=20, steps=30, seed=0)
    >>> r.env, r[0].stats["regret"][0] > 0
    ('exponential(arms=3)', True)
    """

    arms: int = 10
    offset: float = 0.0
    scale: float = 1.0

    name: ClassVar[str] = "env"
    stationary: ClassVar[bool] = True

    def __post_init__(self) -> None:
        owner = self.name
        object.__setattr__(self, "arms", _arms(self.arms, owner))
        object.__setattr__(self, "offset", finite(self.offset, "offset", owner))
        scale = finite(self.scale, "scale", owner)
        if scale <= 0:
            raise ValueError(
                f"{owner}: scale must be > 0 (a reward multiplier), actual value: {scale!r}"
            )
        object.__setattr__(self, "scale", scale)

    def __repr__(self) -> str:
        """``name(arms=K, ...)`` with the parameters that differ from their defaults."""
        parts = [f"arms={self.arms}"]
        for f in fields(self):
            if f.name == "arms":
                continue
            value = getattr(self, f.name)
            if value != f.default:
                parts.append(f"{f.name}={value!r}")
        return f"{self.name}({', '.join(parts)})"

    @property
    def n_arms(self) -> int:
        """Number of arms (``arms``)."""
        return self.arms

    @property
    def reward_range(self) -> tuple[float, float]:
        """Smallest and largest reward the agent can see (after offset and scale)."""
        return (-math.inf, math.inf)

    def initial_values(self, rng: Generator, n: int) -> np.ndarray:
        """True action values of ``n`` runs at step 0, shape ``(n, K)``, before the transform."""
        raise NotImplementedError

    def draw_rewards(self, means: np.ndarray, rng: BatchRNG, rows: np.ndarray | None) -> np.ndarray:
        """Rewards (before the transform) of pulls whose true values are ``means``.

        ``rng`` is the environment's :class:`~boltzmann_rl.bandits.rng.BatchRNG`, one
        row per run; ``rows`` maps each pull to its run (``None``: pull ``i`` is run
        ``i``), so draw one number per run and index it with ``rows``. Return a new
        float64 array (the caller transforms it in place).
        """
        raise NotImplementedError

    def _draw_rewards_into(self, means: np.ndarray, rng: BatchRNG, out: np.ndarray) -> np.ndarray:
        """``draw_rewards(means, rng, None)``, written into ``out`` where a class knows
        how (the same numbers); this default returns a new array. The caller uses the
        array returned."""
        return self.draw_rewards(means, rng, None)

    def drift(self, values: np.ndarray, rng: BatchRNG) -> None:
        """Move the true values ``(K, n)`` one step, in place; set ``stationary = False``."""

    def batch(self, rng: BatchRNG) -> EnvBatch:
        """Start ``rng.n_rows`` independent runs, drawing each segment's values from its own stream.

        Parameters
        ----------
        rng : BatchRNG
            The environment streams (one segment per chunk of runs).

        Returns
        -------
        EnvBatch

        Examples
        --------
        >>> from boltzmann_rl.bandits import BernoulliBandit
        >>> from boltzmann_rl.bandits.rng import BatchRNG, ENV_STREAM
        >>> b = BernoulliBandit(arms=2, probs=(0.2, 0.9)).batch(BatchRNG.from_seed(0, 3))
        >>> b.optimal_actions().tolist()
        [[False, True], [False, True], [False, True]]
        """
        parts = [self.initial_values(gen, sl.stop - sl.start) for gen, sl in rng.generators]
        values = np.ascontiguousarray(np.concatenate(parts, axis=0).T)
        return EnvBatch(self, values, rng)


class EnvBatch:
    """The true values of a batch of runs of one environment, and their next step.

    Made by :meth:`BanditEnv.batch`; not meant to be built directly.

    Attributes
    ----------
    env : BanditEnv
        The environment description.
    n_rows : int
        Number of runs.
    t : int
        Steps taken.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.bandits import GaussianBandit
    >>> from boltzmann_rl.bandits.rng import BatchRNG
    >>> batch = GaussianBandit(arms=4, offset=10.0).batch(BatchRNG.from_seed(1, 3))
    >>> best = batch.optimal_actions().argmax(axis=1)
    >>> bool((batch.regret(best) == 0).all())
    True
    >>> rewards, regret, optimal = batch.step(best)
    >>> optimal.tolist(), batch.t
    ([True, True, True], 1)
    """

    __slots__ = ("_best", "_cols", "_flat", "_rng", "_values", "_zeros", "env", "n_rows", "t")

    def __init__(self, env: BanditEnv, values: np.ndarray, rng: BatchRNG) -> None:
        self.env = env
        self._values = values  # (K, n) raw
        self._best = values.max(axis=0)
        self._flat = values.ravel()
        self._cols = np.arange(values.shape[1])
        self._zeros = np.zeros(values.shape[1])
        self._rng = rng
        self.n_rows = values.shape[1]
        self.t = 0

    @property
    def values(self) -> np.ndarray:
        """The current true values, shape ``(runs, K)``, in the agent's units."""
        return (self.env.offset + self.env.scale * self._values).T

    def optimal_actions(self) -> np.ndarray:
        """Boolean ``(runs, K)``: the arms with the largest true value right now."""
        return (self._values == self._best).T

    def regret(self, actions: np.ndarray) -> np.ndarray:
        """Regret of pulling ``actions`` (one per run) now, in the agent's units."""
        a = np.asarray(actions)
        chosen = np.take_along_axis(self._values, a[None, :], axis=0)[0]
        return self.env.scale * (self._best - chosen)

    def step(
        self, actions: np.ndarray, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pull one arm per run: return ``(rewards, regret, optimal)`` and advance one step.

        Parameters
        ----------
        actions : ndarray of int, shape (m,)
            The arm pulled in each row.
        rows : ndarray of int, shape (m,), optional
            The run each action is for (default: action ``i`` is for run ``i``), so
            several agents can act on the same runs (common random numbers).

        Returns
        -------
        rewards : ndarray of float64, shape (m,)
            As the agent sees them (offset and scale applied).
        regret : ndarray of float64, shape (m,)
            ``scale * (best true value - true value of the pulled arm)``.
        optimal : ndarray of bool, shape (m,)
            Whether the pulled arm is an optimal one.
        """
        n = self.n_rows
        if rows is None:
            idx = actions * n
            idx += self._cols
            best = self._best
        else:
            idx = actions * n
            idx += rows
            best = self._best[rows]
        return self._step_flat(idx, best, rows)

    def _flat_step(self) -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]] | None:
        """``step(idx, reward_out, optimal_out)``: :meth:`step` on the flat indices
        ``action * n_rows + run``, writing into the simulation's buffers where it can
        (the simulation's internal ``_FlatEnv`` protocol); None for a subclass."""
        if type(self) is not EnvBatch:
            return None
        step_flat, best = self._step_flat, self._best  # best is updated in place

        def step(idx: np.ndarray, reward_out: np.ndarray, optimal_out: np.ndarray) -> Any:
            return step_flat(idx, best, None, (reward_out, optimal_out))

        return step

    def _step_flat(
        self,
        idx: np.ndarray,
        best: np.ndarray,
        rows: np.ndarray | None,
        out: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`step` with the flat indices ``action * n_rows + run`` of the pulled
        arms and the best true values of their runs.

        ``out`` (only with ``rows=None``): a float64 and a bool array of ``n_rows``
        that the rewards and the optimal flags may be written into (the simulation's
        buffers); the arrays returned may or may not be these.
        """
        means = self._flat[idx]
        env = self.env
        if out is None:
            rewards = env.draw_rewards(means, self._rng, rows)
        else:
            rewards = env._draw_rewards_into(means, self._rng, out[0])
        if env.offset != 0.0 or env.scale != 1.0:
            rewards *= env.scale
            rewards += env.offset
        regret = best - means
        if out is None:
            optimal = regret == 0.0
        else:  # an array operand of zeros: the fastest call
            optimal = np.equal(regret, self._zeros, out=out[1])
        if env.scale != 1.0:
            regret *= env.scale
        if not env.stationary:
            env.drift(self._values, self._rng)
            np.max(self._values, axis=0, out=self._best)
        self.t += 1
        return rewards, regret, optimal


@dataclass(frozen=True, repr=False)
class GaussianBandit(BanditEnv):
    """The k-armed Gaussian testbed (Sutton and Barto, 2nd ed., sec. 2.3).

    Each run draws its true values once, ``q*(a) ~ N(mean, spread²)``; a pull of arm
    ``a`` pays ``R ~ N(q*(a), noise²)``.

    Parameters
    ----------
    arms : int, default 10
    mean : float, default 0.0
        Mean of the true values (the textbook's "+4" experiment uses 4).
    spread : float, default 1.0
        Standard deviation of the true values around ``mean``, ``>= 0``.
    noise : float, default 1.0
        Standard deviation of a reward around its arm's true value, ``>= 0``.
    offset, scale : float
        The reward transform (see :class:`BanditEnv`).

    Examples
    --------
    >>> from boltzmann_rl.bandits import GaussianBandit
    >>> GaussianBandit()
    gaussian(arms=10)
    >>> GaussianBandit(mean=4.0, offset=1.0)
    gaussian(arms=10, offset=1.0, mean=4.0)
    >>> GaussianBandit(noise=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: gaussian: noise must be >= 0, actual value: -1.0
    """

    mean: float = 0.0
    spread: float = 1.0
    noise: float = 1.0

    name: ClassVar[str] = "gaussian"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "mean", finite(self.mean, "mean", self.name))
        object.__setattr__(self, "spread", nonnegative(self.spread, "spread", self.name))
        object.__setattr__(self, "noise", nonnegative(self.noise, "noise", self.name))

    def initial_values(self, rng: Generator, n: int) -> np.ndarray:
        """``N(mean, spread²)`` values, shape ``(n, K)`` (run-major draws)."""
        return self.mean + self.spread * rng.standard_normal((n, self.arms))

    def draw_rewards(self, means, rng, rows):
        z = rng.normal()
        if rows is not None:
            z = z[rows]
        return means + z if self.noise == 1.0 else means + self.noise * z

    def _draw_rewards_into(self, means, rng, out):
        if type(self).draw_rewards is not GaussianBandit.draw_rewards:
            return self.draw_rewards(means, rng, None)  # a subclass draws its own way
        return _normal_rewards_into(means, rng.normal(), self.noise, out)


def _normal_rewards_into(means: np.ndarray, z: np.ndarray, noise: float, out: np.ndarray):
    """``means + z`` (``noise == 1``) or ``means + noise * z`` into ``out``: the same
    operations as ``draw_rewards`` of the Gaussian environments, without a new array."""
    if noise == 1.0:
        return np.add(means, z, out=out)
    np.multiply(z, noise, out=out)
    return np.add(means, out, out=out)


@dataclass(frozen=True, repr=False)
class BernoulliBandit(BanditEnv):
    """Arms that pay 1 with probability ``p(a)`` and 0 otherwise.

    Parameters
    ----------
    arms : int, default 10
        Number of arms; when ``probs`` is given, its length is the number of arms.
    probs : sequence of float, optional
        Fixed success probabilities in ``[0, 1]``, the same for every run. By default
        each run draws its own, ``p(a) ~ U(low, high)``.
    low, high : float, default 0.0 and 1.0
        The range of the drawn probabilities, ``0 <= low <= high <= 1``.
    offset, scale : float
        The reward transform (see :class:`BanditEnv`): rewards are ``offset`` or
        ``offset + scale``.

    Examples
    --------
    >>> from boltzmann_rl.bandits import BernoulliBandit
    >>> BernoulliBandit(probs=(0.1, 0.5)).arms
    2
    >>> BernoulliBandit(probs=(0.1, 1.5))
    Traceback (most recent call last):
    ...
    ValueError: bernoulli: probs must be in [0, 1], got 1.5 at index 1
    """

    probs: tuple[float, ...] | None = None
    low: float = 0.0
    high: float = 1.0

    name: ClassVar[str] = "bernoulli"

    def __post_init__(self) -> None:
        if self.probs is not None:
            p = np.asarray(self.probs)
            if p.dtype.kind not in "fiu" or p.ndim != 1:
                raise TypeError(
                    f"bernoulli: probs must be a sequence of numbers, got {self.probs!r}"
                )
            p = p.astype(np.float64)
            bad = ~((p >= 0) & (p <= 1))
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(f"bernoulli: probs must be in [0, 1], got {p[i]} at index {i}")
            if self.arms not in (10, len(p)):
                raise ValueError(
                    f"bernoulli: arms={self.arms} but probs has {len(p)} entries; "
                    "give one or the other"
                )
            object.__setattr__(self, "probs", tuple(float(v) for v in p))
            object.__setattr__(self, "arms", len(p))
        super().__post_init__()
        low = finite(self.low, "low", self.name)
        high = finite(self.high, "high", self.name)
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f"bernoulli: need 0 <= low <= high <= 1, got low={low}, high={high}")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @property
    def reward_range(self) -> tuple[float, float]:
        """``(offset, offset + scale)``."""
        return (self.offset, self.offset + self.scale)

    def initial_values(self, rng: Generator, n: int) -> np.ndarray:
        """The success probabilities, shape ``(n, K)``."""
        if self.probs is not None:
            return np.broadcast_to(np.asarray(self.probs), (n, self.arms)).copy()
        return self.low + (self.high - self.low) * rng.random((n, self.arms))

    def draw_rewards(self, means, rng, rows):
        u = rng.uniform()
        if rows is not None:
            u = u[rows]
        return (u < means).astype(np.float64)


@dataclass(frozen=True, repr=False)
class NonstationaryBandit(BanditEnv):
    """True values that take independent random walks (Sutton and Barto, exercise 2.5).

    Every arm starts at ``start``; after every step each true value moves by an
    independent ``N(0, walk²)`` increment. A pull of arm ``a`` pays
    ``R ~ N(q*_t(a), noise²)``; the optimal arm and the regret are those of the step
    at which the pull is made.

    Parameters
    ----------
    arms : int, default 10
    start : float, default 0.0
        The common initial true value.
    walk : float, default 0.01
        Standard deviation of one random-walk step, ``>= 0``.
    noise : float, default 1.0
        Standard deviation of the reward noise, ``>= 0``.
    offset, scale : float
        The reward transform (see :class:`BanditEnv`).

    Examples
    --------
    >>> from boltzmann_rl.bandits import NonstationaryBandit
    >>> NonstationaryBandit(walk=0.1).walk
    0.1
    """

    start: float = 0.0
    walk: float = 0.01
    noise: float = 1.0

    name: ClassVar[str] = "nonstationary"
    stationary: ClassVar[bool] = False

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "start", finite(self.start, "start", self.name))
        object.__setattr__(self, "walk", nonnegative(self.walk, "walk", self.name))
        object.__setattr__(self, "noise", nonnegative(self.noise, "noise", self.name))

    def initial_values(self, rng: Generator, n: int) -> np.ndarray:
        """All arms at ``start``, shape ``(n, K)``."""
        return np.full((n, self.arms), self.start)

    def draw_rewards(self, means, rng, rows):
        z = rng.normal()
        if rows is not None:
            z = z[rows]
        return means + z if self.noise == 1.0 else means + self.noise * z

    def _draw_rewards_into(self, means, rng, out):
        if type(self).draw_rewards is not NonstationaryBandit.draw_rewards:
            return self.draw_rewards(means, rng, None)
        return _normal_rewards_into(means, rng.normal(), self.noise, out)

    def drift(self, values, rng):
        step = rng.normal(self.arms)
        if self.walk != 1.0:
            step = step * self.walk
        values += step


ENVIRONMENTS: dict[str, type[BanditEnv]] = {
    "gaussian": GaussianBandit,
    "bernoulli": BernoulliBandit,
    "nonstationary": NonstationaryBandit,
}
"""Environment classes by name (the command line's ``--env``)."""


def make_env(name: str, **params: Any) -> BanditEnv:
    """Build an environment by name: ``gaussian``, ``bernoulli`` or ``nonstationary``.

    Parameters
    ----------
    name : str
        A key of :data:`ENVIRONMENTS`.
    **params
        Passed to the class (``arms``, ``offset``, ``scale``, ...).

    Raises
    ------
    ValueError
        An unknown name (the message lists the known ones) or a bad parameter.

    Examples
    --------
    >>> from boltzmann_rl.bandits import make_env
    >>> make_env("bernoulli", arms=3).arms
    3
    >>> make_env("gausian")
    Traceback (most recent call last):
    ...
    ValueError: unknown environment 'gausian'; known environments: bernoulli, ...
    """
    if not isinstance(name, str):
        raise TypeError(f"environment name must be a string, got {name!r}")
    cls = ENVIRONMENTS.get(name.strip().lower())
    if cls is None:
        known = ", ".join(sorted(ENVIRONMENTS))
        raise ValueError(f"unknown environment {name!r}; known environments: {known}")
    try:
        return cls(**params)
    except TypeError as exc:
        if "unexpected keyword" in str(exc):
            raise TypeError(f"{name}: {exc}") from None
        raise
