"""Thousands of tabular agents at once on a known finite MDP, one numpy pass per step.

For a finite environment whose transition model is known (gymnasium's toy-text
environments publish it as ``env.unwrapped.P[s][a] = [(prob, next_state, reward,
terminated), ...]``), :func:`train_tabular` trains ``R`` independent agents at once:
every array is shaped by runs, each step is one batched policy call, one inverse-CDF
transition draw and one table update for all runs, and each run starts its next
episode when its own episode ends (runs are at different episodes at the same step).
The agents are those of :mod:`boltzmann_rl.gym.agents` (Q-learning, SARSA, Expected
SARSA, soft Q-learning, mellowmax) with the same targets (:mod:`boltzmann_rl.gym.backups`)
and the same hyperparameters, validated by the same code.

Because the model is known, the **exact** expected return of each run's greedy policy
(ties split equally, as the per-env evaluation breaks them at random) from the
initial-state distribution is computed by policy evaluation on the model, over the
finite horizon of the time limit: evaluation curves without evaluation noise.

Randomness
----------
Runs are cut into chunks of 250 (:data:`boltzmann_rl._rng.CHUNK_RUNS`), each
with its own ``SeedSequence`` streams (transitions, decisions, resets, Monte-Carlo
evaluation), drawn in blocks by :class:`~boltzmann_rl._rng.BatchRNG`: run
``r``'s numbers depend only on the seed and the runs of its chunk, so a simulation
split into chunks (``chunks=``) or with other settings stacked beside it (a list of
policies) gives the same numbers for it.

Memory: the Q tables (``R x S x A``), counts where a schedule or policy needs them,
per-episode returns and lengths (``R x episodes``) and a bounded queue of greedy
snapshots; never ``R x steps``. :func:`train_tabular` refuses a run that would not
fit before it starts, with the estimate.

Examples
--------
>>> from boltzmann_rl.gym.tabular import TabularModel, train_tabular
>>> model = TabularModel.from_env("FrozenLake-v1")
>>> model.n_states, model.n_actions, model.time_limit
(16, 4, 100)
>>> result = train_tabular(model, "boltzmann(temperature=0.1)", runs=300, episodes=200,
...                        alpha=0.1, gamma=0.99, eval_every=100, seed=0)
>>> result.episode_returns.shape, result.eval_values.shape
((300, 200), (300, 2))
>>> bool((result.final_values <= model.optimal_value() + 1e-12).all())
True
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from boltzmann_rl._checks import positive_int
from boltzmann_rl._floor import Work, cumsum, draw_columns, first_above, softmax_weights_columns
from boltzmann_rl._resources import check_memory
from boltzmann_rl._rng import CHUNK_RUNS, BatchRNG, as_seed_sequence, chunk_seed, n_chunks
from boltzmann_rl.core import softmax
from boltzmann_rl.gym.agents import Anneal, TabularAgent
from boltzmann_rl.gym.backups import Algorithm, next_value, td_target
from boltzmann_rl.policies import Boltzmann, _evaluate
from boltzmann_rl.stats import mean_ci

__all__ = ["NoModelError", "TabularModel", "TabularResult", "train_tabular"]

_ENV_STREAM, _AGENT_STREAM, _RESET_STREAM, _EVAL_STREAM = 0, 1, 2, 3
_SNAPSHOTS = 256
"""Greedy snapshots evaluated together (the queue of exact evaluations)."""
_TOL = 1e-9
_ARMS_MAJOR_BYTES = 1 << 21
"""Q tables up to this size are stored arms-major (see train_tabular)."""


class NoModelError(ValueError):
    """The environment publishes no transition table: use the per-env path.

    Examples
    --------
    >>> from boltzmann_rl.gym.tabular import NoModelError, TabularModel
    >>> try:
    ...     TabularModel.from_env("Blackjack-v1")
    ... except NoModelError as exc:
    ...     print(str(exc)[:40])
    Blackjack-v1 has no transition table (en
    """


def _first_above(cdf: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The floor's inverse CDF along the last axis, ``v`` one value per row."""
    return first_above(cdf, v[..., None], cdf.ndim - 1)


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True, eq=False)
class TabularModel:
    """A finite MDP in padded successor-list form, for batched simulation.

    Parameters
    ----------
    next_states : array_like of int, shape (S, A, M)
        The ``M`` possible successors of each ``(s, a)`` (padding entries have
        probability 0).
    probs : array_like, shape (S, A, M)
        Their probabilities: non-negative, finite, summing to 1 over ``M``.
    rewards : array_like, shape (S, A, M)
        Finite rewards of each transition.
    terminated : array_like of bool, shape (S, A, M)
        The transition ends the episode in a terminal state.
    initial : array_like, shape (S,)
        The initial-state distribution.
    time_limit : int, optional
        Episodes are truncated (not terminated) after this many steps.
    name : str, default "mdp"

    Raises
    ------
    ValueError
        Shapes that disagree, probabilities that are negative, NaN or do not sum to 1
        (within 1e-9), next states out of range, non-finite rewards, a bad time limit.

    Examples
    --------
    >>> from boltzmann_rl.gym.tabular import TabularModel
    >>> m = TabularModel([[[0]]], [[[1.0]]], [[[1.0]]], [[[False]]], [1.0], time_limit=10)
    >>> m.optimal_value()     # one state, reward 1 a step, 10 steps
    10.0
    >>> TabularModel([[[0, 0]]], [[[0.5, 0.4]]], [[[1.0, 0.0]]], [[[True, False]]], [1.0])
    Traceback (most recent call last):
    ...
    ValueError: transition probabilities must sum to 1 over next states, actual value: 0.9 ...
    """

    next_states: np.ndarray
    probs: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    initial: np.ndarray
    time_limit: int | None = None
    name: str = "mdp"
    cdf: np.ndarray = field(init=False, repr=False)
    initial_cdf: np.ndarray = field(init=False, repr=False)
    start: int | None = field(init=False, repr=False)
    """The initial state when there is only one (``reset`` needs no uniforms), else None."""
    _flat: tuple[np.ndarray, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ns = np.asarray(self.next_states)
        if ns.ndim != 3 or 0 in ns.shape:
            raise ValueError(f"next_states must have shape (S, A, M), actual shape: {ns.shape}")
        if ns.dtype.kind not in "iu":
            raise ValueError(f"next_states must be integers, actual dtype: {ns.dtype}")
        s, _, _ = ns.shape
        arrays = {}
        for name, dtype in (("probs", np.float64), ("rewards", np.float64)):
            arr = np.asarray(getattr(self, name), dtype=dtype)
            if arr.shape != ns.shape:
                raise ValueError(
                    f"{name} must have the shape of next_states {ns.shape}, actual shape: "
                    f"{arr.shape}"
                )
            arrays[name] = arr
        p, r = arrays["probs"], arrays["rewards"]
        term = np.asarray(self.terminated)
        if term.shape != ns.shape or term.dtype.kind not in "biu":
            raise ValueError(
                f"terminated must be booleans of shape {ns.shape}, actual: {term.dtype} "
                f"{term.shape}"
            )
        bad = ~np.isfinite(p) | (p < 0)
        if bad.any():
            i = tuple(int(x) for x in np.argwhere(bad)[0])
            raise ValueError(
                f"transition probabilities must be finite and >= 0, actual value: {float(p[i])} at "
                f"(s, a, m) = {i}"
            )
        total = p.sum(axis=-1)
        bad = np.abs(total - 1.0) > _TOL
        if bad.any():
            i = tuple(int(x) for x in np.argwhere(bad)[0])
            raise ValueError(
                f"transition probabilities must sum to 1 over next states, actual value: "
                f"{float(total[i])!r} at (s, a) = {i}"
            )
        bad = ((ns < 0) | (ns >= s)) & (p > 0)
        if bad.any():
            i = tuple(int(x) for x in np.argwhere(bad)[0])
            raise ValueError(
                f"next states must be in [0, {s}), actual value: {int(ns[i])} at (s, a, m) = {i}"
            )
        bad = ~np.isfinite(r)
        if bad.any():
            i = tuple(int(x) for x in np.argwhere(bad)[0])
            raise ValueError(
                f"rewards must be finite, actual value: {float(r[i])} at (s, a, m) = {i}"
            )
        mu = np.asarray(self.initial, dtype=np.float64)
        if mu.shape != (s,):
            raise ValueError(f"initial must have shape ({s},), actual shape: {mu.shape}")
        if not (np.isfinite(mu).all() and (mu >= 0).all() and abs(mu.sum() - 1.0) <= _TOL):
            raise ValueError(
                f"initial must be a probability distribution over the {s} states, actual "
                f"value: {mu!r}"
            )
        limit = self.time_limit
        if limit is not None:
            limit = positive_int(limit, "time_limit")
        for name, value in (
            ("next_states", np.where(p > 0, ns, 0).astype(np.int64)),
            ("probs", p),
            ("rewards", r),
            ("terminated", term.astype(bool)),
            ("initial", mu),
        ):
            value = np.ascontiguousarray(value)
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "time_limit", limit)
        cdf = np.cumsum(p, axis=-1)
        cdf.setflags(write=False)
        object.__setattr__(self, "cdf", cdf)
        init_cdf = np.cumsum(mu)
        init_cdf.setflags(write=False)
        object.__setattr__(self, "initial_cdf", init_cdf)
        support = np.flatnonzero(mu > 0)
        object.__setattr__(self, "start", int(support[0]) if support.size == 1 else None)
        # flat views for step(): one take each per step
        flat = tuple(a.reshape(-1) for a in (cdf, self.next_states, self.rewards, self.terminated))
        object.__setattr__(self, "_flat", flat)

    def step(
        self, states: np.ndarray, actions: np.ndarray, u: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One transition per row: the inverse CDF of ``P(. | s, a)`` at the uniforms ``u``.

        Parameters
        ----------
        states, actions : ndarray of int, shape (n,)
        u : ndarray, shape (n,), or None
            Uniforms in ``[0, 1)``; may be None when every transition is
            deterministic (one successor per ``(s, a)``).

        Returns
        -------
        next_states, rewards, terminated : ndarray, shape (n,)

        Examples
        --------
        >>> import numpy as np
        >>> from boltzmann_rl.gym.tabular import TabularModel
        >>> m = TabularModel.from_env("FrozenLake-v1")    # slippery: 1/3 each way
        >>> m.step(np.array([0, 0, 0]), np.array([1, 1, 1]), np.array([0.1, 0.5, 0.9]))[0]
        array([0, 4, 1])
        """
        cdf, next_states, rewards, terminated = self._flat
        m = self.next_states.shape[-1]
        sa = states * self.n_actions + actions
        if m == 1:
            flat = sa  # deterministic: ``u`` is not read
        elif u is None:
            raise ValueError(f"{self.name} has random transitions: step needs uniforms u")
        elif m <= 8:
            # The inverse CDF, one successor column at a time (a 1-D take each is far
            # cheaper than gathering (n, m) rows): step past each cumulative
            # probability <= u, the first m - 1 at most (the last is 1 > u); the
            # cumulative sums do not decrease, so the step stops at the first > u.
            flat = sa * m
            for _ in range(m - 1):
                flat += cdf.take(flat) <= u
        else:
            c = self.cdf.reshape(-1, m).take(sa, axis=0)
            flat = sa * m + _first_above(c, u * c[:, -1])
        return next_states.take(flat), rewards.take(flat), terminated.take(flat)

    def reset(self, u: np.ndarray) -> np.ndarray:
        """Initial states, one per uniform in ``u`` (inverse CDF of ``initial``).

        Examples
        --------
        >>> import numpy as np
        >>> from boltzmann_rl.gym.tabular import TabularModel
        >>> TabularModel.from_env("Taxi-v4").reset(np.array([0.0, 0.99])).tolist()
        [1, 491]
        """
        if self.start is not None:
            return np.full(len(u), self.start, dtype=np.int64)
        cdf = self.initial_cdf
        return cdf.searchsorted(u * cdf[-1], side="right")

    @property
    def n_states(self) -> int:
        """S."""
        return int(self.next_states.shape[0])

    @property
    def n_actions(self) -> int:
        """A."""
        return int(self.next_states.shape[1])

    @classmethod
    def from_arrays(
        cls,
        transitions: Any,
        rewards: Any,
        terminated: Any,
        initial: Any,
        *,
        time_limit: int | None = None,
        name: str = "mdp",
    ) -> TabularModel:
        """A model from dense arrays ``P[s, a, s']``.

        Parameters
        ----------
        transitions : array_like, shape (S, A, S)
            ``P(s' | s, a)``.
        rewards : array_like
            Broadcastable to ``(S, A, S)``: ``r(s, a, s')``, ``(S, A, 1)`` for
            ``r(s, a)``.
        terminated : array_like of bool
            Broadcastable to ``(S, A, S)``; ``(S,)`` is read as the set of terminal
            next states (entering one ends the episode).
        initial : array_like, shape (S,)
        time_limit : int, optional
        name : str, default "mdp"

        Returns
        -------
        TabularModel

        Examples
        --------
        >>> import numpy as np
        >>> from boltzmann_rl.gym.tabular import TabularModel
        >>> P = np.zeros((2, 1, 2)); P[0, 0] = [0.5, 0.5]; P[1, 0, 1] = 1.0
        >>> m = TabularModel.from_arrays(P, 1.0, [False, True], [1.0, 0.0])
        >>> m.next_states.shape, round(m.optimal_value(), 9)   # 1 + 1/2 + 1/4 + ... = 2
        ((2, 1, 2), 2.0)
        """
        p = np.asarray(transitions, dtype=np.float64)
        if p.ndim != 3 or p.shape[0] != p.shape[2] or 0 in p.shape:
            raise ValueError(f"transitions must have shape (S, A, S), actual shape: {p.shape}")
        s = p.shape[0]
        term = np.asarray(terminated)
        if term.shape == (s,):
            term = term[None, None, :]
        try:
            r = np.broadcast_to(np.asarray(rewards, dtype=np.float64), p.shape)
            term = np.broadcast_to(term, p.shape)
        except ValueError:
            raise ValueError(
                f"rewards and terminated must broadcast to {p.shape}, actual shapes: "
                f"{np.shape(rewards)}, {np.shape(terminated)}"
            ) from None
        # The successors with positive probability, padded to the widest row
        nonzero = p != 0  # NaN counts: the constructor refuses it
        m = max(int(nonzero.sum(axis=-1).max()), 1)
        order = np.argsort(~nonzero, axis=-1, kind="stable")[..., :m]
        take = lambda x: np.take_along_axis(x, order, axis=-1)  # noqa: E731
        return cls(order, take(p), take(r), take(term), initial, time_limit, name)

    @classmethod
    def from_env(cls, env: Any, **make_kwargs: Any) -> TabularModel:
        """The model of an environment that publishes gymnasium's toy-text tables.

        Parameters
        ----------
        env : gymnasium.Env or str
            An environment, or an id made with :func:`boltzmann_rl.gym.make_env`
            (which gives CliffWalking its default time limit).
        **make_kwargs
            Keyword arguments of the environment (``map_name``, ``desc``,
            ``is_slippery``, ...) when ``env`` is an id.

        Returns
        -------
        TabularModel
            With ``initial`` from ``initial_state_distrib`` and the time limit of the
            env's spec.

        Raises
        ------
        NoModelError
            An environment without ``P`` (Blackjack-v1, anything not toy-text).

        Examples
        --------
        >>> from boltzmann_rl.gym.tabular import TabularModel
        >>> m = TabularModel.from_env("FrozenLake-v1", map_name="8x8", is_slippery=False)
        >>> m.n_states, m.next_states.shape[-1], m.time_limit
        (64, 1, 100)
        """
        if isinstance(env, str):
            from boltzmann_rl.gym.training import make_env

            limit = make_kwargs.pop("max_episode_steps", None)
            env = make_env(env, make_kwargs, max_episode_steps=limit)
        elif make_kwargs:
            raise ValueError(
                f"keyword arguments apply to an environment id, actual value: {make_kwargs!r}"
            )
        spec = getattr(env, "spec", None)
        label = spec.id if spec is not None else type(env).__name__
        base = env.unwrapped
        table = getattr(base, "P", None)
        if not isinstance(table, dict):
            raise NoModelError(
                f"{label} has no transition table (env.unwrapped.P), so the batched tabular "
                "engine cannot simulate it; train it one environment at a time with "
                "boltzmann_rl.gym.train or run_gym (boltzmann-rl gym ... --per-env)"
            )
        from gymnasium import spaces

        obs, act = env.observation_space, env.action_space
        if not (isinstance(obs, spaces.Discrete) and isinstance(act, spaces.Discrete)):
            raise NoModelError(f"{label} needs Discrete spaces, actual: {obs!r}, {act!r}")
        if int(obs.start) != 0 or int(act.start) != 0:
            raise NoModelError(f"{label} needs Discrete spaces starting at 0")
        s, a = int(obs.n), int(act.n)
        rows = [[list(table[i][j]) for j in range(a)] for i in range(s)]
        m = max(len(x) for row in rows for x in row)
        ns = np.zeros((s, a, m), dtype=np.int64)
        p = np.zeros((s, a, m))
        r = np.zeros((s, a, m))
        term = np.zeros((s, a, m), dtype=bool)
        for i, row in enumerate(rows):
            for j, outcomes in enumerate(row):
                for k, (prob, nxt, rew, done) in enumerate(outcomes):
                    p[i, j, k], ns[i, j, k], r[i, j, k], term[i, j, k] = prob, nxt, rew, done
        mu = getattr(base, "initial_state_distrib", None)
        if mu is None:
            raise NoModelError(f"{label} has P but no initial_state_distrib")
        limit = spec.max_episode_steps if spec is not None else None
        return cls(ns, p, r, term, np.asarray(mu, dtype=np.float64), limit, label)

    # -- exact evaluation

    def _backup(self, v: np.ndarray) -> np.ndarray:
        """``sum_m p (r + (1 - term) v[s'])`` for every (s, a), ``v`` shape (n, S)."""
        cont = np.where(self.terminated, 0.0, self.probs)  # (S, A, M)
        er = (self.probs * self.rewards).sum(axis=-1)  # (S, A)
        return er + (cont * v[:, self.next_states]).sum(axis=-1)

    def _horizon(self, horizon: int | None) -> tuple[int, bool]:
        limit = self.time_limit if horizon is None else positive_int(horizon, "horizon")
        return (limit, True) if limit is not None else (100_000, False)

    def policy_values(self, pi: Any, *, horizon: int | None = None) -> np.ndarray | float:
        """Expected undiscounted returns from ``initial`` of stationary policies.

        Parameters
        ----------
        pi : array_like, shape (n, S, A) or (S, A)
            Action probabilities of each policy in each state.
        horizon : int, optional
            Steps before truncation; default the time limit. Without either, the
            values are iterated to convergence (1e-12), which needs episodes to end.

        Returns
        -------
        ndarray, shape (n,) (a float for one policy)

        Examples
        --------
        >>> import numpy as np
        >>> from boltzmann_rl.gym.tabular import TabularModel
        >>> m = TabularModel.from_env("FrozenLake-v1", is_slippery=False)
        >>> path = [1, 0, 0, 0, 1, 0, 0, 0, 2, 1, 0, 0, 0, 2, 2, 0]  # down, down, right...
        >>> float(m.policy_values(np.eye(4)[path]))
        1.0
        """
        w = np.asarray(pi, dtype=np.float64)
        single = w.ndim == 2
        w = w.reshape(-1, self.n_states, self.n_actions)
        n, S = w.shape[0], self.n_states
        er = (self.probs * self.rewards).sum(axis=-1)  # (S, A)
        r_pi = (w * er).sum(axis=-1)  # (n, S)
        cont = np.where(self.terminated, 0.0, self.probs)
        if n * S * S <= 1 << 21:
            # Small models: the policies' dense transition matrices, one matmul a step
            dense = np.zeros((S, self.n_actions, S))
            np.add.at(dense, (*np.indices(cont.shape)[:2], self.next_states), cont)
            p_pi = np.einsum("nsa,sat->nst", w, dense)
            v = self._iterate(lambda v: r_pi + np.matmul(p_pi, v[..., None])[..., 0], n, horizon)
            out = v @ self.initial
        else:
            # Sparse: through the actions of positive probability only (one for most
            # states of a greedy policy), tables in blocks small enough to stay in cache
            nnz = (w > 0).sum(axis=(1, 2))
            limit = max(1, (1 << 16) // self.next_states.shape[-1])
            out = np.empty(n)
            i = 0
            while i < n:
                j = i + 1 + int(np.searchsorted(np.cumsum(nnz[i + 1 :]), limit - nnz[i]))
                out[i:j] = self._sparse_values(w[i:j], r_pi[i:j], cont, horizon)
                i = j
        return float(out[0]) if single else out

    def _sparse_values(
        self, w: np.ndarray, r_pi: np.ndarray, cont: np.ndarray, horizon: int | None
    ) -> np.ndarray:
        """Policy values through the actions of positive probability of each state."""
        n, S = w.shape[0], self.n_states
        A = self.n_actions
        # Every (table, state) cell through its most probable action: one dense
        # (n S, M) gather and matvec; then the cells with k > 1 actions of positive
        # probability (ties of a greedy policy), grouped by k, through the other k - 1
        wf = w.reshape(n * S, A)
        ks = (wf > 0).sum(axis=-1)
        order = np.argsort(-wf, axis=-1, kind="stable")

        def part(cells: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, ...]:
            st = (cells % S)[:, None]
            weight = cont[st, o] * np.take_along_axis(wf[cells], o, axis=-1)[..., None]
            flat = self.next_states[st, o] + (cells // S * S)[:, None, None]
            weight, flat = weight.reshape(cells.size, -1), flat.reshape(cells.size, -1)
            return cells, weight, flat, np.ones(weight.shape[1])

        parts = [part(np.arange(n * S), order[:, :1])]
        for k in np.unique(ks[ks > 1]).tolist():
            cells = np.flatnonzero(ks == k)
            parts.append(part(cells, order[cells, 1:k]))

        _, w0, f0, one0 = parts[0]
        if w0.shape[1] == 1:  # one successor (Taxi): no sum over them
            w0, f0 = w0[:, 0].copy(), f0[:, 0].copy()
        r_flat = r_pi.reshape(-1)

        def apply(v: np.ndarray) -> np.ndarray:
            x = v.reshape(-1)
            if w0.ndim == 1:
                out = x.take(f0)
                out *= w0
            else:
                out = (w0 * x.take(f0)) @ one0
            for cells, weight, flat, one in parts[1:]:
                out[cells] += (weight * x.take(flat)) @ one
            out += r_flat
            return out.reshape(n, S)

        return self._iterate(apply, n, horizon) @ self.initial

    def _iterate(self, apply: Any, n: int, horizon: int | None) -> np.ndarray:
        """``v <- apply(v)`` from 0, ``horizon`` times (or to convergence without one)."""
        steps, finite = self._horizon(horizon)
        v = np.zeros((n, self.n_states))
        for _ in range(steps):
            new = apply(v)
            if not finite and np.abs(new - v).max() <= 1e-12 * max(1.0, np.abs(new).max()):
                return new
            v = new
        return v

    def greedy_values(self, q: Any, *, horizon: int | None = None) -> np.ndarray | float:
        """Exact values of the greedy policies of Q tables (ties split equally).

        Parameters
        ----------
        q : array_like, shape (n, S, A) or (S, A)
        horizon : int, optional
            As in :meth:`policy_values`.

        Returns
        -------
        ndarray, shape (n,) (a float for one table)

        Examples
        --------
        >>> import numpy as np
        >>> from boltzmann_rl.gym.tabular import TabularModel
        >>> m = TabularModel.from_env("FrozenLake-v1")
        >>> round(m.greedy_values(np.zeros((16, 4))), 4)   # uniform random policy
        0.0139
        """
        return self.policy_values(softmax(np.asarray(q, dtype=np.float64), 0.0), horizon=horizon)

    def optimal_value(self, *, horizon: int | None = None) -> float:
        """The best expected return from ``initial`` (value iteration on the model).

        Within a time limit the best policy may depend on the time left; this is its
        value, an upper bound for every stationary greedy policy.

        Examples
        --------
        >>> from boltzmann_rl.gym.tabular import TabularModel
        >>> m = TabularModel.from_env("FrozenLake-v1")      # slippery 4x4, 100 steps
        >>> round(m.optimal_value(), 3), round(m.optimal_value(horizon=10_000), 4)
        (0.744, 0.8235)
        """
        steps, finite = self._horizon(horizon)
        v = np.zeros((1, self.n_states))
        for _ in range(steps):
            new = self._backup(v).max(axis=-1)
            if not finite and np.abs(new - v).max() <= 1e-12 * max(1.0, np.abs(new).max()):
                v = new
                break
            v = new
        return float(v[0] @ self.initial)

    def __repr__(self) -> str:
        return (
            f"TabularModel({self.name!r}, states={self.n_states}, actions={self.n_actions}, "
            f"successors={self.next_states.shape[-1]}, time_limit={self.time_limit})"
        )


# --------------------------------------------------------------------------- results


@dataclass(eq=False)
class TabularResult:
    """What :func:`train_tabular` produced, per run and per episode.

    Attributes
    ----------
    model : str
        The model's name (the environment id).
    algorithm : str
    policies : list of str
        The text form of each group's policy.
    group_runs : list of int
        Runs of each group, in row order (rows of the arrays below).
    episode_returns : ndarray, shape (R, episodes)
        Undiscounted return of every training episode of every run.
    episode_lengths : ndarray of int64, shape (R, episodes)
    eval_at : ndarray of int64, shape (K,)
        Episodes finished at each exact evaluation.
    eval_values : ndarray, shape (R, K)
        Exact expected return of each run's greedy policy after ``eval_at`` episodes.
    final_values : ndarray, shape (R,)
        The same after training.
    eval_returns : ndarray, shape (R, eval_episodes)
        Monte-Carlo greedy returns after training (empty without ``eval_episodes``).
    q : ndarray, shape (R, S, A)
        The final Q tables.
    steps : int
        Steps simulated (the longest run's transitions).
    seconds : float
    config : dict

    Examples
    --------
    >>> from boltzmann_rl.gym.tabular import TabularModel, train_tabular
    >>> r = train_tabular(TabularModel.from_env("FrozenLake-v1"), "greedy", runs=10,
    ...                   episodes=5, seed=0)
    >>> r.learning_curve()[0].shape, r.summary()["runs"]
    ((5,), 10)
    """

    model: str
    algorithm: str
    policies: list[str]
    group_runs: list[int]
    episode_returns: np.ndarray
    episode_lengths: np.ndarray
    eval_at: np.ndarray
    eval_values: np.ndarray
    final_values: np.ndarray
    eval_returns: np.ndarray
    q: np.ndarray
    steps: int
    seconds: float
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        """R, all groups together."""
        return int(self.episode_returns.shape[0])

    def group(self, i: int) -> slice:
        """The rows of group ``i``."""
        start = sum(self.group_runs[:i])
        return slice(start, start + self.group_runs[i])

    def learning_curve(
        self, group: int = 0, confidence: float = 0.95
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean training return per episode over a group's runs and its CI half-width."""
        return mean_ci(self.episode_returns[self.group(group)], axis=0, confidence=confidence)

    def eval_curve(self, group: int = 0, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Mean exact greedy value at each ``eval_at`` over a group's runs, and its CI."""
        return mean_ci(self.eval_values[self.group(group)], axis=0, confidence=confidence)

    def summary(self, group: int = 0, confidence: float = 0.95) -> dict[str, Any]:
        """One row of numbers for a group (the sweeps and the CLI print it)."""
        rows = self.group(group)
        n = rows.stop - rows.start
        final, half = mean_ci(self.final_values[rows], confidence=confidence)
        ret = self.episode_returns[rows]
        last = ret[:, -max(1, ret.shape[1] // 10) :].mean(axis=1)
        mean_last, half_last = mean_ci(last, confidence=confidence)
        out = {
            "env": self.model,
            "agent": self.algorithm,
            "policy": self.policies[group],
            "runs": n,
            "episodes": int(ret.shape[1]),
            "final_value": float(final),
            "final_value_ci": float(half) if n > 1 else math.nan,
            "last10_return": float(mean_last),
            "last10_return_ci": float(half_last) if n > 1 else math.nan,
            "mean_length": float(self.episode_lengths[rows].mean()),
            "steps": self.steps,
            "seconds": self.seconds,
        }
        if self.eval_returns.size:
            mc, mc_half = mean_ci(self.eval_returns[rows].mean(axis=1), confidence=confidence)
            out["eval_mean"] = float(mc)
            out["eval_mean_ci"] = float(mc_half) if n > 1 else math.nan
        return out

    def write(self, out_dir: Any, *, plot: bool = True) -> list[Any]:
        """Write ``curves.csv``, ``greedy_values.csv``, ``summary.json`` and the figure.

        ``curves.csv``: per episode, each group's mean training return and its 95 % CI
        half-width; ``greedy_values.csv``: the same for the exact greedy value at each
        evaluation; ``tabular.png``: :func:`boltzmann_rl.gym.plots.plot_tabular`.

        Returns
        -------
        list of Path
        """
        import csv
        import json
        from pathlib import Path

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "curves.csv", out / "greedy_values.csv", out / "summary.json"]
        for path, x, curve in (
            (paths[0], np.arange(1, self.episode_returns.shape[1] + 1), self.learning_curve),
            (paths[1], self.eval_at, self.eval_curve),
        ):
            with path.open("w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["policy", "episode", "mean", "ci95"])
                for g, label in enumerate(self.policies):
                    if len(x) == 0:
                        continue
                    mean, half = curve(g)
                    for e, m, h in zip(x, np.atleast_1d(mean), np.atleast_1d(half), strict=True):
                        w.writerow([label, int(e), repr(float(m)), repr(float(h))])
        rows = [self.summary(g) for g in range(len(self.policies))]
        paths[2].write_text(json.dumps(rows if len(rows) > 1 else rows[0], indent=2) + "\n")
        if plot:
            from boltzmann_rl.gym.plots import plot_tabular

            paths.append(out / "tabular.png")
            plot_tabular(self).savefig(paths[-1], dpi=120)
        return paths


# --------------------------------------------------------------------------- the engine


class _Groups:
    """The policies of the stacked groups and their runs (columns); one call per group.

    Action values and weights are arms-major, ``(A, R)``: every operation of a step
    works on contiguous vectors of the runs, one per action. A Boltzmann group's
    weights come from the floor's column softmax; any other policy's from its
    ``probs`` (transposed). Each run's weights depend only on its own column, so a
    group draws the same actions whatever is stacked beside it.
    """

    def __init__(self, policies: list[Any], sizes: list[int]) -> None:
        self.policies = policies
        self.slices = []
        start = 0
        for n in sizes:
            self.slices.append(slice(start, start + n))
            start += n
        self.single = len(policies) == 1
        self.boltzmann = [type(p) is Boltzmann and not p.needs_counts for p in policies]

    def weights(self, q: np.ndarray, step: Any, counts: Any, z: np.ndarray, w: np.ndarray) -> None:
        """Fill ``w`` (shape of ``q``, ``(A, R)``) with the weights of every run's action."""
        for pol, sl, fast in zip(self.policies, self.slices, self.boltzmann, strict=True):
            st = step[sl] if isinstance(step, np.ndarray) else step
            if fast:
                t = _evaluate(pol.temperature, st)
                if not isinstance(t, np.ndarray):
                    t = float(t)
                    if t == 0.0:
                        t = np.zeros(sl.stop - sl.start)
                softmax_weights_columns(q[:, sl], z[:, sl], w[:, sl], t)
            else:
                c = None if counts is None else counts[sl]
                w[:, sl] = np.asarray(pol.probs(q[:, sl].T, step=st, counts=c)).T

    def expected(self, q: np.ndarray, step: Any) -> np.ndarray:
        if self.single:
            return next_value(Algorithm.EXPECTED_SARSA, q, policy=self.policies[0], step=step)
        out = np.empty(q.shape[0])
        for pol, sl in zip(self.policies, self.slices, strict=True):
            st = step[sl] if isinstance(step, np.ndarray) else step
            out[sl] = next_value(Algorithm.EXPECTED_SARSA, q[sl], policy=pol, step=st)
        return out


def _draw(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One index per row of probabilities ``p`` from the uniforms ``u`` (inverse CDF)."""
    cdf = cumsum(np.array(p, dtype=np.float64), 1)  # the floor's, column by column
    return _first_above(cdf, u * cdf[:, -1])


def train_tabular(
    model: TabularModel | str,
    policy: Any,
    *,
    algorithm: str = "qlearning",
    runs: int = 1000,
    episodes: int = 1000,
    alpha: Any = 0.1,
    gamma: float = 0.99,
    initial_value: float = 0.0,
    anneal: str = "step",
    alpha_by: str = "visits",
    backup_temperature: float | None = None,
    omega: float | None = None,
    seed: Any = 0,
    seeds: Sequence[Any] | None = None,
    eval_every: int | None = None,
    eval_episodes: int = 0,
    chunks: tuple[int, int] | None = None,
) -> TabularResult:
    """Train ``runs`` independent tabular agents per policy on a known MDP at once.

    Parameters
    ----------
    model : TabularModel or str
        The MDP, or an environment id for :meth:`TabularModel.from_env`.
    policy : Policy or str, or a list of them
        The behaviour policy (any policy of the library, batched over runs: a
        parameter given as an array has one value per run). A list stacks one group
        of ``runs`` runs per policy into one simulation (a sweep in one pass).
    algorithm, alpha, gamma, initial_value, anneal, alpha_by, backup_temperature, omega
        As for :class:`~boltzmann_rl.gym.agents.TabularAgent` (validated by it):
        ``anneal`` drives the policy's schedules by the global step, the run's
        episode or the visit count of the state.
    runs : int, default 1000
        Runs per group.
    episodes : int, default 1000
        Training episodes per run (each run restarts its own episode when it ends).
    seed : int, sequence of int or SeedSequence, default 0
        The seed of every group that ``seeds`` does not set.
    seeds : sequence, optional
        One seed per group; a group's numbers depend only on its own seed.
    eval_every : int, optional
        Evaluate each run's greedy policy exactly every this many of its episodes.
    eval_episodes : int, default 0
        Monte-Carlo greedy episodes per run after training (parity with the
        per-env path's final evaluation).
    chunks : (int, int), optional
        Simulate only the runs of chunks ``start`` to ``stop - 1`` (250 runs each)
        of every group: the same numbers as those rows of the whole simulation.

    Returns
    -------
    TabularResult

    Raises
    ------
    ValueError, TypeError
        Invalid sizes or hyperparameters (before anything runs);
        :class:`~boltzmann_rl._resources.ResourceLimitError` (a ``ValueError``) when
        the estimate of the memory exceeds the limit.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.gym.tabular import train_tabular
    >>> r = train_tabular("FrozenLake-v1", ["greedy", "boltzmann(temperature=0.05)"],
    ...                   runs=250, episodes=300, eval_every=300, seed=1)
    >>> r.group_runs, r.final_values.shape
    ([250, 250], (500,))
    >>> rows = r.group(1)
    >>> bool(r.final_values[rows].mean() > r.final_values[r.group(0)].mean())
    True
    """
    if isinstance(model, str):
        model = TabularModel.from_env(model)
    if not isinstance(model, TabularModel):
        raise TypeError(f"model must be a TabularModel or an environment id, actual: {model!r}")
    runs = positive_int(runs, "runs")
    episodes = positive_int(episodes, "episodes")
    if eval_every is not None:
        eval_every = positive_int(eval_every, "eval_every")
    if isinstance(eval_episodes, bool) or not isinstance(eval_episodes, numbers.Integral):
        raise ValueError(f"eval_episodes must be an integer >= 0, actual value: {eval_episodes!r}")
    if eval_episodes < 0:
        raise ValueError(f"eval_episodes must be an integer >= 0, actual value: {eval_episodes!r}")
    items = list(policy) if isinstance(policy, list | tuple) else [policy]
    if not items:
        raise ValueError("train_tabular needs at least one policy, actual value: []")
    group_seeds = [seed] * len(items) if seeds is None else list(seeds)
    if len(group_seeds) != len(items):
        raise ValueError(f"got {len(group_seeds)} seeds for {len(items)} policies")
    for sd in group_seeds:
        as_seed_sequence(sd)
    total = n_chunks(runs)
    c0, c1 = (0, total) if chunks is None else (int(chunks[0]), int(chunks[1]))
    if not 0 <= c0 < c1 <= total:
        raise ValueError(f"chunks {chunks!r} out of range: {runs} runs make chunks 0..{total - 1}")
    n_group = min(c1 * CHUNK_RUNS, runs) - c0 * CHUNK_RUNS
    S, A = model.n_states, model.n_actions
    # One agent per group validates the hyperparameters exactly as the per-env path
    protos = [
        TabularAgent(
            S,
            A,
            pol,
            algorithm=algorithm,
            alpha=alpha,
            gamma=gamma,
            initial_value=initial_value,
            anneal=anneal,
            alpha_by=alpha_by,
            backup_temperature=backup_temperature,
            omega=omega,
            rng=0,
        )
        for pol in items
    ]
    proto = protos[0]
    policies = [p.policy for p in protos]
    n_groups = len(policies)
    R = n_group * n_groups
    for pol in policies:
        for name in ("temperature", "epsilon"):
            v = getattr(pol, name, None)
            if isinstance(v, np.ndarray) and v.shape != (n_group,):
                raise ValueError(
                    f"{pol!r}: {name} has {v.size} per-run values but a group has {n_group} runs"
                )
    alg = Algorithm.parse(proto.algorithm)
    anneal_mode = Anneal.parse(proto.anneal)
    mode = list(Anneal).index(anneal_mode)
    needs_counts = any(bool(getattr(p, "needs_counts", False)) for p in policies)
    rate = proto.alpha
    alpha_mode = list(Anneal).index(Anneal.parse(proto.alpha_by, "alpha_by"))
    track_counts = needs_counts or (rate.const is None and alpha_mode == 2)
    track_visits = mode == 2
    n_eval = episodes // eval_every if eval_every else 0
    m = model.next_states.shape[-1]
    nbytes = (
        R * S * A * 8 * (1 + track_counts)
        + R * S * 8 * track_visits
        + R * episodes * 16
        + R * (n_eval + 1 + eval_episodes) * 8
        + R * (A + m) * 8 * 12  # per-step temporaries
        + _SNAPSHOTS * S * A * 8 * 3
        + model.probs.size * 40
    )
    check_memory(nbytes, f"the tabular simulation of {R} runs x {S} states x {A} actions")
    horizon = model.time_limit

    # ------------------------------------------------------------------ streams
    def streams(stream: int, per_run: int = 1) -> BatchRNG:
        segs = []
        for sd in group_seeds:
            for c in range(c0, c1):
                n = min(CHUNK_RUNS, runs - c * CHUNK_RUNS)
                segs.append((chunk_seed(sd, c, stream), n * per_run))
        return BatchRNG(segs)

    env_rng, agent_rng, reset_rng = (
        streams(i) for i in (_ENV_STREAM, _AGENT_STREAM, _RESET_STREAM)
    )
    # Streams a model does not read are not drawn (each stream has its own seeds, so
    # the numbers of the others are the same): no env uniforms when every transition
    # is deterministic, no reset uniforms when the start is one state (except
    # SARSA's, which also draw the first action of a new episode)
    random_steps = m > 1
    start_state = model.start
    reset_uniforms = start_state is None or alg is Algorithm.SARSA
    groups = _Groups(policies, [n_group] * n_groups)

    # ------------------------------------------------------------------ state
    gamma_v = proto.gamma
    temperature, omega_v = proto.backup_temperature, proto.omega
    # Tables that fit in cache are arms-major, Q[a, r S + s]: the values of every run's
    # state are one take along axis 1. Larger ones keep each state's A values in one
    # cache line, Q[r S + s, a], gathered through flat indices. The same numbers
    # either way (only the memory layout differs).
    arms_major = R * S * A * 8 <= _ARMS_MAJOR_BYTES
    RS = R * S
    Qflat = np.full(R * S * A, proto.initial_value)
    Qa = Qflat.reshape(A, RS) if arms_major else Qflat.reshape(RS, A)
    qrows = None if arms_major else np.empty((R, A))  # row-major gathers land here first
    counts = np.zeros(R * S * A, dtype=np.int64) if track_counts else None
    visits = np.zeros(R * S, dtype=np.int64) if track_visits else None
    base = np.arange(R, dtype=np.int64) * S
    returns = np.zeros((R, episodes))
    lengths = np.zeros((R, episodes), dtype=np.int64)
    returns_flat, lengths_flat = returns.reshape(-1), lengths.reshape(-1)
    eval_values = np.full((R, n_eval), np.nan)
    ep = np.zeros(R, dtype=np.int64)
    ret = np.zeros(R)
    length = np.zeros(R, dtype=np.int64)
    queue: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    queued = [0]

    def flush() -> None:
        if not queue:
            return
        rows = np.concatenate([x[0] for x in queue])
        cols = np.concatenate([x[1] for x in queue])
        tables = np.concatenate([x[2] for x in queue])
        eval_values[rows, cols] = model.greedy_values(tables)
        queue.clear()
        queued[0] = 0

    def alpha_at(i_sa: np.ndarray, t: int) -> Any:
        if rate.const is not None:
            return rate.const
        n = counts.take(i_sa) if alpha_mode == 2 else (t if alpha_mode == 0 else ep)
        top = int(np.max(n))
        rate.at(top)
        return np.asarray(rate.table[: top + 1])[n]

    def policy_step(rows: np.ndarray, t: int) -> Any:
        if mode == 0:
            return t
        if mode == 1:
            return ep
        return visits.take(rows)

    # Arms-major scratch: the action values of each run's current state, one
    # R-vector per action, gathered with one take along the state axis (refresh)
    work = Work(A, R)
    in_place = (work.rows[0], work.rows[0])
    qcols = np.empty((A, R))

    def tables(rows: Any = slice(None)) -> np.ndarray:
        # the (n, S, A) Q tables of the runs ``rows`` (a copy)
        if arms_major:
            return np.ascontiguousarray(Qa.reshape(A, R, S)[:, rows].transpose(1, 2, 0))
        return Qa.reshape(R, S, A)[rows].copy()

    def flat_sa(rows: np.ndarray, a: np.ndarray) -> np.ndarray:
        return a * RS + rows if arms_major else rows * A + a

    def refresh(rows: np.ndarray) -> None:
        # qcols = the values of the states ``rows``: one take along the state axis
        # (row-major: of whole rows of A values, then transposed, cheaper than a
        # flat take of R x A indices). mode="clip": with out= and the default
        # mode="raise" numpy copies out and back on every call; the rows are in
        # range by construction, so clipping never changes them.
        if qrows is None:
            Qa.take(rows, axis=1, out=qcols, mode="clip")
        else:
            Qa.take(rows, axis=0, out=qrows, mode="clip")
            np.copyto(qcols, qrows.T)

    def gather(states: np.ndarray) -> np.ndarray:
        rows = base + states
        refresh(rows)
        return rows

    def decide(rows: np.ndarray, t: int, u: np.ndarray) -> np.ndarray:
        c = None
        if needs_counts:
            c = flat_sa(rows[:, None], np.arange(A)).reshape(-1)
            c = counts.take(c).reshape(R, A)
        groups.weights(qcols, policy_step(rows, t), c, work.z, work.w)
        # the weights are not needed after the draw: their cumulative sums in place
        return draw_columns(work.w, work.w, work.b, u, in_place, nonneg=True)

    start = time.perf_counter()
    s = model.reset(reset_rng.uniform())
    rows = gather(s)
    a = decide(rows, 0, agent_rng.uniform())
    t = 0
    active = np.ones(R, dtype=bool)
    all_active = True
    sarsa = alg is Algorithm.SARSA
    while True:
        s2, r, term = model.step(s, a, env_rng.uniform() if random_steps else None)
        length += 1
        ret += r
        ended = term | (length >= horizon) if horizon is not None else term.copy()
        i_sa = flat_sa(rows, a)
        ua = agent_rng.uniform()
        rows2 = gather(s2)  # the values of s' before the update
        if sarsa:
            a2 = decide(rows2, t, ua)
            v = Qflat.take(flat_sa(rows2, a2))
        elif alg is Algorithm.QLEARNING:
            v = next_value(alg, qcols.T, check_input=False)
        elif alg is Algorithm.EXPECTED_SARSA:
            v = groups.expected(np.ascontiguousarray(qcols.T), policy_step(rows2, t))
        else:
            v = next_value(
                alg,
                np.ascontiguousarray(qcols.T),
                temperature=temperature,
                omega=omega_v,
                check_input=False,
            )
        # the hyperparameters were checked once, and the values never hold NaN (finite
        # rewards and initial values, alpha <= 1; checked again at the end)
        target = td_target(r, gamma_v, v, term, check_input=False)
        old = Qflat.take(i_sa)
        new = np.subtract(target, old, out=target)
        new *= alpha_at(i_sa, t)
        new += old
        if not all_active:
            new = np.where(active, new, old)
        Qflat[i_sa] = new
        if all_active:
            if counts is not None:
                counts[i_sa] += 1
            if visits is not None:
                visits[rows] += 1
        else:
            if counts is not None:
                counts[i_sa[active]] += 1
            if visits is not None:
                visits[rows[active]] += 1
        t += 1
        if not all_active:
            ended &= active
        # SARSA draws the first action of a new episode here; the others decide it below
        if reset_uniforms:
            ur = reset_rng.uniform(k=2) if sarsa else reset_rng.uniform(k=1)
        any_ended = bool(ended.any())
        if any_ended:
            idx_end = ended.nonzero()[0]
            e = ep[idx_end]
            cell = idx_end * episodes + e
            returns_flat[cell] = ret[idx_end]
            lengths_flat[cell] = length[idx_end]
            e += 1
            ep[idx_end] = e
            ret[idx_end] = 0.0
            length[idx_end] = 0
            if n_eval:
                due = e % eval_every == 0
                if due.any():
                    due = idx_end[due & (e // eval_every <= n_eval)]
                    if due.size:
                        queue.append((due, ep[due] // eval_every - 1, tables(due)))
                        queued[0] += due.size
                        if queued[0] >= _SNAPSHOTS:
                            flush()
            # s2 is the step's own new array
            s2[idx_end] = model.reset(ur[0][idx_end]) if start_state is None else start_state
            done_now = e >= episodes
            if done_now.any():
                active[idx_end[done_now]] = False
                all_active = False
                if not active.any():
                    break
        if not sarsa:
            # The values of s' after the update (s' may be s), or of the new initial
            # state of the runs that ended
            if any_ended:
                rows2 = gather(s2)
            else:
                refresh(rows2)
            a2 = decide(rows2, t, ua)
        elif any_ended:
            rows2 = gather(s2)
            a0 = decide(rows2, t, ur[1])
            a2 = np.where(ended, a0, a2)
        s, a, rows = s2, a2, rows2
    flush()
    seconds = time.perf_counter() - start
    Q = tables()
    if np.isnan(Q).any():
        raise ValueError(
            f"the action values diverged to NaN (alpha {rate!r}, gamma {gamma_v}); "
            "reduce the step size or the discount"
        )
    final = model.greedy_values(Q)
    mc = np.zeros((R, 0))
    if eval_episodes:
        mc = _mc_greedy(model, Q, eval_episodes, streams(_EVAL_STREAM, eval_episodes))
    return TabularResult(
        model=model.name,
        algorithm=alg.value,
        policies=[repr(p) for p in policies],
        group_runs=[n_group] * n_groups,
        episode_returns=returns,
        episode_lengths=lengths,
        eval_at=np.arange(1, n_eval + 1, dtype=np.int64) * (eval_every or 0),
        eval_values=eval_values,
        final_values=np.asarray(final, dtype=np.float64).reshape(R),
        eval_returns=mc,
        q=Q,
        steps=t,
        seconds=seconds,
        config={
            "alpha": repr(rate),
            "gamma": gamma_v,
            "initial_value": proto.initial_value,
            "anneal": anneal_mode.value,
            "time_limit": horizon,
            "chunks": [c0, c1],
        },
    )


def _mc_greedy(model: TabularModel, Q: np.ndarray, episodes: int, rng: BatchRNG) -> np.ndarray:
    """Greedy returns (ties at random) of each table, ``episodes`` each, on the model."""
    R, S, A = Q.shape
    n = R * episodes
    run = np.repeat(np.arange(R), episodes)
    pi = softmax(Q, 0.0).reshape(R * S, A)
    horizon = model.time_limit or 100_000
    s = model.reset(rng.uniform())
    out = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    for _ in range(horizon):
        u = rng.uniform(k=2)
        s, r, term = model.step(s, _draw(pi[run * S + s], u[0]), u[1])
        out += np.where(alive, r, 0.0)
        alive &= ~term
        if not alive.any():
            break
    return out.reshape(R, episodes)
