"""Tabular and tile-coded agents driven by any policy of the Policy protocol.

Five temporal-difference control algorithms (Sutton and Barto, 2018, ch. 6), each
learning action values ``Q`` from one transition ``(s, a, r, s', terminated)`` with
``Q(s, a) += alpha (G - Q(s, a))``; the target ``G`` is the backup of the
:class:`~boltzmann_rl.gym.backups.Algorithm`, from the one table of backups in
:mod:`boltzmann_rl.gym.backups`:

=====================  ======================================================
``algorithm``          target ``G``
=====================  ======================================================
``"qlearning"``        ``r + gamma max_b Q(s', b)``
``"sarsa"``            ``r + gamma Q(s', a')``, ``a'`` the action taken next
``"expected-sarsa"``   ``r + gamma sum_b pi(b | s') Q(s', b)``, ``pi`` the
                       policy's own ``probs`` at ``s'``
``"soft-qlearning"``   ``r + gamma T log sum_b exp(Q(s', b) / T)``, the soft
                       (log-sum-exp) backup: with a Boltzmann policy at the same
                       temperature this is soft Q-learning
``"mellowmax"``        ``r + gamma mm_omega(Q(s', .))``, the mellowmax backup
                       (Asadi & Littman 2017), a non-expansion
=====================  ======================================================

The two soft backups take their parameter from ``backup_temperature`` and ``omega``;
by default from the policy itself (a Boltzmann policy's fixed temperature, a
mellowmax policy's ω).

``G = r`` when ``s'`` is terminal (``terminated``); a time limit (``truncated``) is
not a terminal state, so the target bootstraps there as usual.

In your own loop an agent takes what the environment gives and returns what it
takes: ``agent.act(obs)`` is an action for ``env.step``, ``agent.update(obs, action,
reward, next_obs, terminated)`` learns from the transition, ``agent.greedy(obs)`` is
the greedy action. The agent maps observations to its table rows (or tiles) with its
``observe`` (see :func:`~boltzmann_rl.gym.spaces.observation_index`) and its actions
with ``actions``; the same methods on table indices and the agent's own actions
``0 .. n - 1`` are ``act_index``, ``update_index``, ``greedy_index``, ``probs_index``
and ``act_batch``: what :func:`~boltzmann_rl.gym.train` calls (its contract is
:class:`GymAgent`).

The policy is any object with the methods of :class:`boltzmann_rl.policies.Policy`
(or its text form, such as ``"boltzmann(temperature=0.1)"``). The agent calls
``policy.sample(Q[s], rng, step=..., counts=...)`` for each decision, or, when the
policy implements the optional :class:`~boltzmann_rl.policies.RowPolicy` (the
built-in Boltzmann, ε-greedy and greedy policies do),
``policy.sample_row(Q[s].tolist(), u, step=...)`` with a uniform ``u`` from a block
drawn from the agent's ``rng``. The ``step`` that drives a schedule (a temperature,
an ε) is chosen by ``anneal`` (an :class:`Anneal` or its name):

* ``"step"``: the global step, the number of transitions learned from so far;
* ``"episode"``: the number of finished episodes;
* ``"visits"``: the visit count of the current state (how often it was left).

``counts`` (the per-action visit counts of the state, for count-based policies such
as UCB) are passed only when ``policy.needs_counts`` is True.

The step size ``alpha`` is a number or a schedule; a schedule is evaluated at the
count chosen by ``alpha_by`` (``"visits"``: the visits of the pair ``(s, a)``
before this update, so ``inverse(1, 1)`` gives ``1 / n``, the sample average;
``"step"`` or ``"episode"`` as above).

Examples
--------
>>> import numpy as np
>>> from boltzmann_rl.gym.agents import TabularAgent
>>> class Uniform:  # any object with the policy methods will do
...     needs_counts = False
...     def probs(self, q, *, step=0, counts=None):
...         return np.full(np.shape(q), 1.0 / np.shape(q)[-1])
...     def sample(self, q, rng, *, step=0, counts=None):
...         return int(rng.integers(np.shape(q)[-1]))
>>> agent = TabularAgent(3, 2, Uniform(), algorithm="expected-sarsa", alpha=0.5, gamma=0.9,
...                      rng=0)
>>> agent.q[1] = [2.0, 4.0]
>>> agent.update(0, 1, 1.0, 1, False)  # target 1 + 0.9 * (2 + 4) / 2 = 3.7; TD error
3.7
>>> agent.q[0].tolist()
[0.0, 1.85]
"""

from __future__ import annotations

import enum
import numbers
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
from numpy.random import Generator

from boltzmann_rl._checks import finite, positive_int, unit_interval
from boltzmann_rl._floor import argmax_row
from boltzmann_rl._resources import table_memory as _table_memory
from boltzmann_rl.alternatives import Mellowmax
from boltzmann_rl.core import as_generator
from boltzmann_rl.gym.backups import (
    Algorithm,
    expected_value_row,
    next_value,
    state_value_function,
)
from boltzmann_rl.gym.spaces import (
    ActionMap,
    DiscreteIndex,
    UnsupportedSpaceError,
    action_map,
    observation_index,
)
from boltzmann_rl.gym.tiles import TileCoder
from boltzmann_rl.policies import RowPolicy
from boltzmann_rl.schedules import Constant

__all__ = [
    "AGENTS",
    "ALGORITHMS",
    "ANNEAL",
    "Algorithm",
    "Anneal",
    "ExpectedSarsaAgent",
    "GymAgent",
    "LinearAgent",
    "QLearningAgent",
    "SarsaAgent",
    "TabularAgent",
    "make_agent",
]


class Anneal(enum.Enum):
    """What the ``step`` given to the policy (or to an ``alpha`` schedule) counts.

    Examples
    --------
    >>> from boltzmann_rl.gym.agents import Anneal
    >>> Anneal.parse("visits"), Anneal.parse(Anneal.STEP).value
    (<Anneal.VISITS: 'visits'>, 'step')
    >>> Anneal.parse(2)
    Traceback (most recent call last):
    ...
    ValueError: anneal must be one of step, episode, visits, actual value: 2
    """

    STEP = "step"
    """The global step: transitions learned from so far."""
    EPISODE = "episode"
    """Finished episodes."""
    VISITS = "visits"
    """Visits of the state (for ``alpha_by``: of the pair ``(s, a)``)."""

    @classmethod
    def parse(cls, value: Any, name: str = "anneal") -> Anneal:
        """The mode named ``value`` (or an :class:`Anneal` itself); ``name`` is the
        argument named in the error."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            for mode in cls:
                if mode.value == value:
                    return mode
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"{name} must be one of {choices}, actual value: {value!r}")


ALGORITHMS: tuple[str, ...] = tuple(a.value for a in Algorithm)
"""The learning rules, by the names the command line and :func:`make_agent` use."""

ANNEAL: tuple[str, ...] = tuple(m.value for m in Anneal)
"""What the ``step`` passed to the policy (and to an ``alpha`` schedule) counts."""


_UNIFORM_BLOCK = 256
"""Uniforms drawn from an agent's generator at once for single decisions."""


@runtime_checkable
class GymAgent(Protocol):
    """What :func:`boltzmann_rl.gym.train` and :func:`~boltzmann_rl.gym.evaluate` call.

    States are what ``observe`` makes of an observation (a table index, active
    tiles, ...); actions are the agent's ``0 .. n - 1`` (``actions.to_env`` gives the
    environment's). A vector environment also needs ``observe.batch`` and
    ``act_batch``.

    Attributes
    ----------
    observe : callable
        Observation -> state; ``observe.batch`` maps a batch (vector environments).
    actions : ActionMap
        The agent's actions as the environment's.
    on_policy : bool
        The update needs the next action (SARSA): the vector loop draws it first.

    Examples
    --------
    >>> from boltzmann_rl.gym.agents import GymAgent, TabularAgent
    >>> isinstance(TabularAgent(2, 2, "greedy"), GymAgent)
    True
    """

    observe: Any
    actions: ActionMap
    on_policy: bool

    def act_index(self, state: Any) -> int:
        """Draw the behaviour policy's action in ``state``."""
        ...

    def act_batch(self, states: Any) -> np.ndarray:
        """One action per state of a batch."""
        ...

    def update_index(
        self,
        state: Any,
        action: int,
        reward: float,
        next_state: Any,
        terminated: bool,
        next_action: int | None = None,
    ) -> float:
        """Learn from one transition; SARSA's ``next_action`` when known."""
        ...

    def update_and_act(self, state: Any, action: int, reward: float, next_state: Any) -> int:
        """``update_index`` of a step that did not end the episode, then the next
        action (for an on-policy rule, the action drawn first and learned from)."""
        ...

    def end_episode(self) -> None:
        """An episode finished."""
        ...

    def greedy_index(self, state: Any, rng: Any = None) -> int:
        """A greedy action in ``state`` (ties broken with ``rng``)."""
        ...

    def describe(self) -> dict[str, Any]:
        """``agent`` (the algorithm's name), ``policy`` (its text) and the
        hyperparameters to record with the result."""
        ...


# --------------------------------------------------------------------------- checks


def _policy(policy: Any) -> Any:
    if isinstance(policy, str):
        from boltzmann_rl.spec import parse_policy

        return parse_policy(policy)
    for method in ("sample", "probs"):
        if not callable(getattr(policy, method, None)):
            raise TypeError(
                f"policy must follow the Policy protocol (sample, probs, log_prob, entropy) "
                f"or be its text form such as 'boltzmann(temperature=0.1)'; {policy!r} has no "
                f"{method}() method"
            )
    return policy


class _Rate:
    """A step size: a number, or a schedule tabulated at integer counts on first use.

    Schedules are deterministic functions of the count, so a table evaluated in one
    vectorized call gives exactly the values of scalar calls, at the cost of a list
    lookup per update instead of a schedule call.
    """

    __slots__ = ("const", "schedule", "table")

    def __init__(self, alpha: Any) -> None:
        self.schedule = None
        self.table: list[float] = []
        if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool):
            a = float(alpha)
            if not 0.0 < a <= 1.0:
                raise ValueError(
                    f"alpha (the step size) must be in (0, 1], actual value: {alpha!r}"
                )
            self.const: float | None = a
            return
        if isinstance(alpha, str):
            from boltzmann_rl.spec import parse_schedule

            alpha = parse_schedule(alpha)
        if not callable(alpha):
            raise TypeError(
                f"alpha must be a number in (0, 1] or a schedule, got {type(alpha).__name__}: "
                f"{alpha!r}"
            )
        if isinstance(alpha, Constant):  # no table needed
            self.__init__(alpha.value)  # type: ignore[misc]
            return
        self.const = None
        self.schedule = alpha
        self._grow(64)
        if not self.table[0] > 0.0:
            raise ValueError(f"alpha schedule {alpha!r} must start above 0, got {self.table[0]}")

    def _grow(self, size: int) -> None:
        lo = len(self.table)
        steps = np.arange(lo, size)
        try:
            values = np.asarray(self.schedule(steps), dtype=np.float64)  # type: ignore[misc]
            if values.shape != steps.shape:
                raise ValueError
        except (TypeError, ValueError):
            values = np.array([float(self.schedule(int(t))) for t in steps])  # type: ignore[misc]
        bad = ~((values >= 0.0) & (values <= 1.0))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"alpha schedule {self.schedule!r} left [0, 1]: {values[i]} at count {lo + i}"
            )
        self.table.extend(values.tolist())

    def at(self, n: int) -> float:
        """The step size at count ``n``."""
        try:
            return self.table[n]
        except IndexError:
            self._grow(max(2 * len(self.table), n + 1))
            return self.table[n]

    def __repr__(self) -> str:
        return repr(self.const) if self.const is not None else repr(self.schedule)


# --------------------------------------------------------------------------- agents


class _AgentBase:
    """What the tabular and the tile-coded agents share: hyperparameters, counters,
    the target of one transition, and the observation-level methods."""

    algorithm: Algorithm
    on_policy: bool
    observe: Any
    actions: ActionMap

    def _setup(
        self,
        n_actions: int,
        policy: Any,
        algorithm: Any,
        alpha: Any,
        gamma: Any,
        initial_value: Any,
        anneal: Any,
        alpha_by: Any,
        rng: Any,
    ) -> None:
        self.n_actions = positive_int(n_actions, "n_actions")
        self.algorithm = Algorithm.parse(algorithm)
        self.on_policy = self.algorithm.on_policy
        self._policy = _policy(policy)
        self._rate = _Rate(alpha)
        self.gamma = unit_interval(gamma, "gamma (the discount)")
        self.initial_value = finite(initial_value, "initial_value")
        self.anneal = Anneal.parse(anneal, "anneal")
        self.alpha_by = Anneal.parse(alpha_by, "alpha_by")
        # the hot paths test a bool, not the enum
        self._anneal_by_step = self.anneal is Anneal.STEP
        self.rng = rng
        self.steps = 0
        self.episodes = 0

    @property
    def rng(self) -> Generator:
        """The agent's generator (decisions, tie-breaks); assignable (Generator, int or None).

        Single decisions through a policy's ``sample_row`` take their uniforms from it
        in blocks of ``_UNIFORM_BLOCK``; assigning a new generator drops the block.
        """
        return self._rng

    @rng.setter
    def rng(self, value: Any) -> None:
        self._rng = as_generator(value)
        self._uniforms: Iterator[float] = iter(())

    def _refill(self) -> float:
        """Draw the next block of uniforms from ``rng`` and return its first."""
        self._uniforms = block = iter(self._rng.random(_UNIFORM_BLOCK).tolist())
        return next(block)

    def _uniform(self) -> float:
        """The next uniform of the block (the fused hot path inlines this)."""
        u = next(self._uniforms, None)
        return self._refill() if u is None else u

    def _setup_backup(self, backup_temperature: Any, omega: Any) -> None:
        """Resolve the parameter of a soft backup (given, or the policy's own) and pick
        the backup's single-row value function."""
        self.backup_temperature: float | None = None
        self.omega: float | None = None
        policy = self._policy
        if self.algorithm is Algorithm.SOFT_QLEARNING:
            if backup_temperature is None:
                t = getattr(policy, "temperature", None)
                if not isinstance(t, Constant):
                    raise ValueError(
                        "soft-qlearning needs backup_temperature=T: the policy "
                        f"{policy!r} has no fixed temperature to pair the backup with"
                    )
                backup_temperature = t.value
            self.backup_temperature = finite(backup_temperature, "backup_temperature")
            if self.backup_temperature < 0:
                raise ValueError(
                    f"backup_temperature must be >= 0, actual value: {backup_temperature!r}"
                )
        elif self.algorithm is Algorithm.MELLOWMAX:
            if omega is None:
                w = getattr(policy, "omega", None)
                if not isinstance(policy, Mellowmax) or not isinstance(w, Constant):
                    raise ValueError(
                        "mellowmax needs omega=W: the policy "
                        f"{policy!r} is not a mellowmax policy with a fixed omega"
                    )
                omega = w.value
            self.omega = float(omega)
            if not self.omega > 0:
                raise ValueError(f"omega must be > 0, actual value: {omega!r}")
        elif backup_temperature is not None or omega is not None:
            raise ValueError(
                f"backup_temperature and omega apply to the soft-qlearning and mellowmax "
                f"backups only, not to {self.algorithm.value!r}"
            )
        # v(s') from the row of s' alone (Q-learning, soft Q, mellowmax), else None
        self._state_value = state_value_function(
            self.algorithm, temperature=self.backup_temperature, omega=self.omega
        )

    def _next_value(self, row: list[float], next_state: Any, next_action: int | None) -> float:
        """The backup's ``v(s')`` from the row of ``s'`` (a list of floats)."""
        value = self._state_value
        if value is not None:
            return value(row)
        if self.on_policy:
            if next_action is None:  # truncated: bootstrap from an action the policy would take
                next_action = self.act_index(next_state)
            return row[next_action]
        return self._expected_value(row, next_state)

    def _expected_value(self, row: list[float], next_state: Any) -> float:
        """Expected SARSA's ``v(s')``: the single-row backup on the policy's probabilities."""
        if self._probs_row is not None:
            p = self._probs_row(row, step=self._policy_step(next_state))
        else:
            p = self.probs_index(next_state).tolist()
        return expected_value_row(p, row)

    @property
    def policy(self) -> Any:
        """The behaviour policy; assigning a new one (or its text form) takes effect at once."""
        return self._policy

    @policy.setter
    def policy(self, value: Any) -> None:
        self._policy = _policy(value)
        self._use_policy()

    @property
    def alpha(self) -> _Rate:
        """The step size (its repr is the number or the schedule); assignable."""
        return self._rate

    @alpha.setter
    def alpha(self, value: Any) -> None:
        self._rate = _Rate(value)
        self._alpha_const = self._rate.const

    def _use_policy(self) -> None:
        """Read what the hot path needs of the policy, once: called when it is set."""
        self._needs_counts = bool(getattr(self._policy, "needs_counts", False))
        self._sample = self._policy.sample
        # The optional single-row fast path (a list of floats, and one uniform)
        fast = not self._needs_counts and isinstance(self._policy, RowPolicy)
        self._sample_row: Callable[..., int] | None = self._policy.sample_row if fast else None
        self._probs_row: Callable[..., list[float]] | None = (
            self._policy.probs_row if fast else None
        )
        self._alpha_const = self._rate.const

    def end_episode(self) -> None:
        """Count one finished episode (drives ``anneal="episode"``)."""
        self.episodes += 1

    def describe(self) -> dict[str, Any]:
        """The algorithm, the policy's text and the hyperparameters, for a result.

        Examples
        --------
        >>> from boltzmann_rl.gym.agents import TabularAgent
        >>> TabularAgent(2, 2, "greedy", algorithm="sarsa").describe()
        {'agent': 'sarsa', 'policy': 'greedy', 'alpha': '0.1', 'gamma': 0.99, \
'initial_value': 0.0, 'anneal': 'step'}
        """
        return {
            "agent": self.algorithm.value,
            "policy": repr(self.policy),
            "alpha": repr(self.alpha),
            "gamma": self.gamma,
            "initial_value": self.initial_value,
            "anneal": self.anneal.value,
        }

    # -- the environment's observations and actions

    def act(self, obs: Any) -> Any:
        """Draw the behaviour policy's action for an observation of the environment.

        Parameters
        ----------
        obs
            An observation of the environment (mapped by ``observe``).

        Returns
        -------
        int
            An action of the environment's action space (``actions.to_env``).
        """
        return self.actions.to_env(self.act_index(self.observe(obs)))

    def greedy(self, obs: Any, rng: Any = None) -> Any:
        """A greedy action for an observation, ties broken uniformly at random.

        Parameters
        ----------
        obs
            An observation of the environment.
        rng : Generator, optional
            For the tie-break; default the agent's own generator.

        Returns
        -------
        int
            An action of the environment's action space.
        """
        return self.actions.to_env(self.greedy_index(self.observe(obs), rng))

    def probs(self, obs: Any) -> np.ndarray:
        """The policy's action probabilities for an observation, at the current counters."""
        return self.probs_index(self.observe(obs))

    def update(
        self,
        obs: Any,
        action: Any,
        reward: float,
        next_obs: Any,
        terminated: bool,
        next_action: Any = None,
    ) -> float:
        """Learn from one transition of the environment; return the TD error.

        Parameters
        ----------
        obs, next_obs
            The observations before and after the step (``next_obs`` the final one
            if the episode ended).
        action : int
            The environment's action taken.
        reward : float
        terminated : bool
            ``next_obs`` is terminal: no bootstrapping. Pass False for a time-limit
            truncation, which bootstraps.
        next_action : int, optional
            SARSA's ``a'`` (an environment action), the action taken next; when
            omitted (a truncated episode) SARSA draws one from the policy. Ignored
            by the other algorithms.

        Returns
        -------
        float
            ``G - Q(s, a)`` before the update.
        """
        actions = self.actions
        return self.update_index(
            self.observe(obs),
            actions.from_env(action),
            reward,
            self.observe(next_obs),
            terminated,
            None if next_action is None else actions.from_env(next_action),
        )

    # the per-representation parts, defined by the agents

    def act_index(self, state: Any) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def greedy_index(self, state: Any, rng: Any = None) -> int:  # pragma: no cover
        raise NotImplementedError

    def probs_index(self, state: Any) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def update_index(
        self,
        state: Any,
        action: int,
        reward: float,
        next_state: Any,
        terminated: bool,
        next_action: int | None = None,
    ) -> float:  # pragma: no cover
        raise NotImplementedError

    def _policy_step(self, state: Any) -> int:  # pragma: no cover
        raise NotImplementedError


class TabularAgent(_AgentBase):
    """Q-learning, SARSA, Expected SARSA or a soft backup with a table of action values.

    Parameters
    ----------
    n_states, n_actions : int
        Table shape. Built this way, observations are table indices
        ``0 <= s < n_states``; see :meth:`for_spaces` to build one that maps the
        observations of gymnasium spaces.
    policy : Policy or str
        The behaviour policy: any object of the Policy protocol, or its text form.
    algorithm : Algorithm or str, default "qlearning"
        The learning rule (see the module docstring).
    alpha : float, Schedule or str, default 0.1
        Step size in ``(0, 1]``, or a schedule (or its text form) evaluated at the
        count chosen by ``alpha_by``.
    gamma : float, default 0.99
        Discount in ``[0, 1]``.
    initial_value : float, default 0.0
        Every ``Q(s, a)`` at the start; above the achievable returns it is optimistic
        and drives exploration by itself.
    anneal : Anneal or str, default "step"
        What the ``step`` given to the policy counts.
    alpha_by : Anneal or str, default "visits"
        What an ``alpha`` schedule is evaluated at; ``"visits"`` counts the visits
        of the pair ``(s, a)``.
    rng : Generator, int or None
        The agent's randomness (decisions and tie-breaks), see
        :func:`boltzmann_rl.as_generator`.
    backup_temperature, omega : float, optional
        The soft backups' parameter (default the policy's own).

    Attributes
    ----------
    q : ndarray, shape (n_states, n_actions)
        The action values.
    visits : ndarray of int64, shape (n_states,)
        How often each state was left (updates from it); a copy.
    counts : ndarray of int64, shape (n_states, n_actions)
        How often each action was taken in each state; a copy.
    steps, episodes : int
        Transitions learned from and episodes finished.
    observe : callable
        Maps an environment observation to a table index (``.batch`` for vectors).
    actions : ActionMap
        Maps the agent's action to the environment's (``Discrete`` ``start``).

    Raises
    ------
    ValueError
        For invalid hyperparameters (the message names the value).
    TypeError
        For a policy that does not follow the protocol.

    Notes
    -----
    One decision is one call ``policy.sample_row(q[s].tolist(), u, step=...)``, pure
    Python with a uniform ``u`` taken from blocks of uniforms drawn from ``rng``, for
    policies that offer it (a :class:`~boltzmann_rl.policies.RowPolicy`), and
    ``policy.sample(q[s], rng, step=...)`` for the others; the counters are Python
    lists and the update touches two table entries, so the agent adds little to the
    policy's own cost (see ``benchmarks/bench_gym.py``).

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.gym.agents import TabularAgent
    >>> from boltzmann_rl.policies import Boltzmann
    >>> agent = TabularAgent(4, 2, Boltzmann(temperature=0.5), gamma=0.9, rng=0)
    >>> agent.act(0) in (0, 1)
    True
    >>> agent.update(0, 1, 1.0, 3, terminated=True)  # G = r at a terminal state
    1.0
    >>> agent.q[0].tolist(), agent.visits.tolist(), agent.counts[0].tolist()
    ([0.0, 0.1], [1, 0, 0, 0], [0, 1])
    """

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        policy: Any,
        *,
        algorithm: Algorithm | str = "qlearning",
        alpha: Any = 0.1,
        gamma: float = 0.99,
        initial_value: float = 0.0,
        anneal: Anneal | str = "step",
        alpha_by: Anneal | str = "visits",
        rng: Any = None,
        backup_temperature: float | None = None,
        omega: float | None = None,
    ) -> None:
        self._setup(
            n_actions, policy, algorithm, alpha, gamma, initial_value, anneal, alpha_by, rng
        )
        self._setup_backup(backup_temperature, omega)
        self.n_states = positive_int(n_states, "n_states")
        _table_memory(self.n_states, self.n_actions, "Q table")
        self.q = np.full((self.n_states, self.n_actions), self.initial_value)
        self._counts = [[0] * self.n_actions for _ in range(self.n_states)]
        self.observe = DiscreteIndex(self.n_states)
        self.actions = ActionMap(self.n_actions)
        self._use_policy()

    def _use_policy(self) -> None:
        super()._use_policy()
        # update_and_act fuses the update with the next decision (one row read) for a
        # RowPolicy, unless a subclass overrides a step it would skip.
        cls = type(self)
        self._fused = (
            self._sample_row is not None
            and cls.act_index is TabularAgent.act_index
            and cls.update_index is TabularAgent.update_index
        )

    @property
    def visits(self) -> np.ndarray:
        """How often each state was left, shape ``(n_states,)`` (a copy)."""
        return np.array([sum(row) for row in self._counts], dtype=np.int64)

    @property
    def counts(self) -> np.ndarray:
        """How often each action was taken in each state, ``(n_states, n_actions)`` (a copy)."""
        return np.array(self._counts, dtype=np.int64).reshape(self.n_states, self.n_actions)

    @classmethod
    def for_spaces(
        cls, observation_space: Any, action_space: Any, policy: Any, **kwargs: Any
    ) -> TabularAgent:
        """Build an agent whose table fits gymnasium spaces.

        Parameters
        ----------
        observation_space : gymnasium.spaces.Space
            ``Discrete``, ``MultiDiscrete`` or a ``Tuple`` of discrete parts.
        action_space : gymnasium.spaces.Space
            ``Discrete`` (any ``start``).
        policy : Policy or str
        **kwargs
            As for the constructor.

        Returns
        -------
        TabularAgent
            With ``observe`` and ``actions`` set from the spaces: ``act`` and
            ``update`` take the environment's observations and actions.

        Raises
        ------
        UnsupportedSpaceError
            For other spaces.

        Examples
        --------
        >>> from gymnasium.spaces import Discrete, Tuple
        >>> from boltzmann_rl.gym.agents import TabularAgent
        >>> agent = TabularAgent.for_spaces(Tuple((Discrete(4), Discrete(2))),
        ...                                 Discrete(3, start=1), "greedy", rng=0)
        >>> agent.q.shape, agent.observe((3, 1)), agent.actions.to_env(0)
        ((8, 3), 7, 1)
        >>> agent.q[7] = [0.0, 5.0, 0.0]
        >>> agent.greedy((3, 1)), agent.greedy_index(7)  # the env's action, the agent's
        (2, 1)
        """
        actions = action_map(action_space)
        index = observation_index(observation_space)
        agent = cls(index.n, actions.n, policy, **kwargs)
        agent.observe = index
        agent.actions = actions
        return agent

    # -- decisions

    def _policy_step(self, state: int) -> int:
        """The ``step`` given to the policy in ``state`` (see ``anneal``)."""
        if self._anneal_by_step:
            return self.steps
        if self.anneal is Anneal.EPISODE:
            return self.episodes
        return sum(self._counts[state])

    def act_index(self, state: int) -> int:
        """Draw an action in table row ``state`` from the policy (the behaviour policy).

        Parameters
        ----------
        state : int
            A table index.

        Returns
        -------
        int
            The agent's action ``0 <= a < n_actions`` (see ``actions.to_env``).
        """
        if self._sample_row is not None:  # the row as a list, a uniform from the block
            return self._sample_row(
                self.q[state].tolist(), self._uniform(), step=self._policy_step(state)
            )
        counts = None
        if self._needs_counts:
            counts = np.array(self._counts[state], dtype=np.int64)
        return self._sample(self.q[state], self.rng, step=self._policy_step(state), counts=counts)

    def act_batch(self, states: np.ndarray) -> np.ndarray:
        """Draw one action per state with one batched policy call (vector environments).

        Parameters
        ----------
        states : ndarray of int, shape (n,)
            Table indices.

        Returns
        -------
        ndarray of int64, shape (n,)
            The agent's actions.
        """
        states = np.asarray(states, dtype=np.int64).reshape(-1)
        rows = self._counts
        if self.anneal is Anneal.VISITS:
            step: Any = np.array([sum(rows[s]) for s in states.tolist()], dtype=np.int64)
        else:
            step = self.steps if self._anneal_by_step else self.episodes
        counts = None
        if self._needs_counts:
            counts = np.array([rows[s] for s in states.tolist()], dtype=np.int64)
            counts = counts.reshape(len(states), self.n_actions)
        out = self._sample(self.q[states], self.rng, step=step, counts=counts)
        return np.asarray(out, dtype=np.int64).reshape(len(states))

    def greedy_index(self, state: int, rng: Any = None) -> int:
        """An argmax of ``Q[state]``, ties broken uniformly at random.

        Parameters
        ----------
        state : int
            A table index.
        rng : Generator, optional
            For the tie-break; default the agent's own generator.

        Returns
        -------
        int
            The agent's action.

        Examples
        --------
        >>> from boltzmann_rl.gym.agents import TabularAgent
        >>> agent = TabularAgent(1, 3, "greedy", rng=0)
        >>> agent.q[0] = [1.0, 5.0, 2.0]
        >>> agent.greedy_index(0)
        1
        """
        gen = self.rng if rng is None else as_generator(rng)
        return argmax_row(self.q[state].tolist(), gen.random)

    def probs_index(self, state: int) -> np.ndarray:
        """The policy's action probabilities in table row ``state`` at the current counters."""
        if self._needs_counts:
            counts = np.array(self._counts[state], dtype=np.int64)
            return self.policy.probs(self.q[state], step=self._policy_step(state), counts=counts)
        return self.policy.probs(self.q[state], step=self._policy_step(state))

    # -- learning

    def _learn(self, state: int, action: int, target: float) -> float:
        """``Q(s, a) += alpha (target - Q(s, a))`` and the counters; the TD error."""
        alpha = self._alpha_const
        if alpha is None:
            rate = self._rate
            if self.alpha_by is Anneal.VISITS:
                alpha = rate.at(self._counts[state][action])
            else:
                alpha = rate.at(self.steps if self.alpha_by is Anneal.STEP else self.episodes)
        q = self.q
        old = q.item(state, action)
        delta = target - old
        q[state, action] = old + alpha * delta
        self._counts[state][action] += 1
        self.steps += 1
        return delta

    def update_index(
        self,
        state: int,
        action: int,
        reward: float,
        next_state: int,
        terminated: bool,
        next_action: int | None = None,
    ) -> float:
        """Learn from one transition between table rows; return the TD error.

        As :meth:`update`, with table indices and the agent's actions.

        Examples
        --------
        >>> from boltzmann_rl.gym.agents import TabularAgent
        >>> agent = TabularAgent(2, 2, "greedy", alpha=1.0, gamma=0.5, rng=0)
        >>> agent.q[1] = [4.0, 2.0]
        >>> agent.update_index(0, 0, 1.0, 1, terminated=False)  # 1 + 0.5 * max(4, 2)
        3.0
        """
        if terminated:
            target = float(reward)
        else:
            row = self.q[next_state].tolist()
            target = reward + self.gamma * self._next_value(row, next_state, next_action)
        return self._learn(state, action, target)

    def update_and_act(self, state: int, action: int, reward: float, next_state: int) -> int:
        """Learn from a transition that did not end the episode; return the next action.

        What the training loop calls at every step that neither terminates nor
        truncates: the same as ``update_index`` then ``act_index(next_state)``
        (SARSA: ``act_index`` first, its action being ``a'``), with the same random
        draws and the same result. With a :class:`~boltzmann_rl.policies.RowPolicy`
        the two run as one call that reads the row of ``next_state`` once.

        Parameters
        ----------
        state, action : int
            A table index and the agent's action.
        reward : float
        next_state : int

        Returns
        -------
        int
            The agent's action to take in ``next_state``.

        Examples
        --------
        >>> from boltzmann_rl.gym.agents import TabularAgent
        >>> agent = TabularAgent(3, 2, "greedy", alpha=0.5, gamma=1.0, rng=0)
        >>> agent.update_and_act(0, 1, 1.0, 2) in (0, 1), agent.q[0].tolist()
        (True, [0.0, 0.5])
        """
        if not self._fused:
            if self.on_policy:
                next_action = self.act_index(next_state)
                self.update_index(state, action, reward, next_state, False, next_action)
                return next_action
            self.update_index(state, action, reward, next_state, False)
            return self.act_index(next_state)
        q = self.q
        row = q[next_state].tolist()
        # set whenever _fused (a RowPolicy); no cast() call on the hot path
        sample_row: Callable[..., int] = self._sample_row  # type: ignore[assignment]
        value = self._state_value
        if value is not None:
            v = value(row)
        else:
            step = self.steps if self._anneal_by_step else self._policy_step(next_state)
            if self.on_policy:  # SARSA: decide first, then learn from that action
                u = next(self._uniforms, None)
                if u is None:
                    u = self._refill()
                next_action = sample_row(row, u, step=step)
                self._learn(state, action, reward + self.gamma * row[next_action])
                return next_action
            probs_row: Callable[..., list[float]] = self._probs_row  # type: ignore[assignment]
            v = expected_value_row(probs_row(row, step=step), row)
        self._learn(state, action, reward + self.gamma * v)
        if state == next_state:  # the decision sees the value just learned
            row[action] = q.item(state, action)
        u = next(self._uniforms, None)
        if u is None:
            u = self._refill()
        if self._anneal_by_step:
            return sample_row(row, u, step=self.steps)
        return sample_row(row, u, step=self._policy_step(next_state))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_states={self.n_states}, n_actions={self.n_actions}, "
            f"policy={self.policy!r}, algorithm={self.algorithm.value!r}, "
            f"alpha={self.alpha!r}, gamma={self.gamma!r}, "
            f"initial_value={self.initial_value!r}, anneal={self.anneal.value!r})"
        )


class _Fixed(TabularAgent):
    fixed: ClassVar[Algorithm]

    def __init__(self, n_states: int, n_actions: int, policy: Any, **kwargs: Any) -> None:
        if "algorithm" in kwargs:
            raise TypeError(
                f"{type(self).__name__} is always {self.fixed.value!r}; use TabularAgent"
            )
        super().__init__(n_states, n_actions, policy, algorithm=self.fixed, **kwargs)


class QLearningAgent(_Fixed):
    """Tabular Q-learning: :class:`TabularAgent` with ``algorithm="qlearning"``.

    Examples
    --------
    >>> from boltzmann_rl.gym.agents import QLearningAgent
    >>> agent = QLearningAgent(2, 2, "greedy", alpha=1.0, gamma=0.5, rng=0)
    >>> agent.q[1] = [4.0, 2.0]
    >>> agent.update(0, 0, 1.0, 1, terminated=False)  # 1 + 0.5 * max(4, 2)
    3.0
    """

    fixed = Algorithm.QLEARNING


class SarsaAgent(_Fixed):
    """Tabular SARSA: :class:`TabularAgent` with ``algorithm="sarsa"``.

    Examples
    --------
    >>> from boltzmann_rl.gym.agents import SarsaAgent
    >>> agent = SarsaAgent(2, 2, "greedy", alpha=1.0, gamma=0.5, rng=0)
    >>> agent.q[1] = [4.0, 2.0]
    >>> agent.update(0, 0, 1.0, 1, terminated=False, next_action=1)  # 1 + 0.5 * 2
    2.0
    """

    fixed = Algorithm.SARSA


class ExpectedSarsaAgent(_Fixed):
    """Tabular Expected SARSA: :class:`TabularAgent` with ``algorithm="expected-sarsa"``.

    Examples
    --------
    >>> from boltzmann_rl.gym.agents import ExpectedSarsaAgent
    >>> agent = ExpectedSarsaAgent(2, 2, "egreedy(epsilon=0.5)", alpha=1.0, gamma=0.5, rng=0)
    >>> agent.q[1] = [4.0, 2.0]
    >>> agent.update(0, 0, 1.0, 1, terminated=False)  # 1 + 0.5 * (0.75 * 4 + 0.25 * 2)
    2.75
    """

    fixed = Algorithm.EXPECTED_SARSA


UNBOUNDED_TILE_RANGE = 3.0
"""Where a ``Box`` observation space is unbounded, the tile coder covers [-3, 3]."""


class LinearAgent(_AgentBase):
    """Any of the :class:`Algorithm` backups with a linear action-value function on tiles.

    ``q(s, a) = sum(w[i, a] for i in features(s))``, the features the active tiles of
    a :class:`~boltzmann_rl.gym.tiles.TileCoder`; the semi-gradient update moves
    each active weight by ``alpha / tilings * (G - q(s, a))``, so ``alpha`` is the
    step size of the whole estimate (Sutton and Barto, 2018, sec. 10.1).

    Parameters
    ----------
    coder : TileCoder
        Maps a ``Box`` observation to its active features.
    n_actions : int
    policy : Policy or str
    algorithm, alpha, gamma, initial_value, anneal, alpha_by, rng
        As for :class:`TabularAgent`; ``gamma`` defaults to 1.0 (Mountain Car is
        undiscounted), ``alpha`` to 0.5. Visit counts for ``anneal="visits"`` and
        for count-based policies are the mean counts of the active tiles.

    Attributes
    ----------
    w : ndarray, shape (n_features, n_actions)
        The weights.

    Examples
    --------
    >>> from boltzmann_rl.gym.agents import LinearAgent
    >>> from boltzmann_rl.gym.tiles import TileCoder
    >>> agent = LinearAgent(TileCoder([0.0], [1.0], tilings=4, tiles=4), 2,
    ...                     "greedy", initial_value=1.0, rng=0)
    >>> agent.update([0.3], 0, 0.0, [0.3], terminated=True)  # G = 0, q = 1: TD error -1
    -1.0
    >>> s = agent.observe([0.3])  # the active tiles, what the *_index methods take
    >>> agent.values(s).round(3).tolist()
    [0.5, 1.0]
    >>> agent.greedy([0.3]) == agent.greedy_index(s) == 1
    True
    """

    def __init__(
        self,
        coder: TileCoder,
        n_actions: int,
        policy: Any,
        *,
        algorithm: Algorithm | str = "qlearning",
        alpha: Any = 0.5,
        gamma: float = 1.0,
        initial_value: float = 0.0,
        anneal: Anneal | str = "step",
        alpha_by: Anneal | str = "visits",
        rng: Any = None,
        backup_temperature: float | None = None,
        omega: float | None = None,
    ) -> None:
        self._setup(
            n_actions, policy, algorithm, alpha, gamma, initial_value, anneal, alpha_by, rng
        )
        self._setup_backup(backup_temperature, omega)
        if not isinstance(coder, TileCoder):
            raise TypeError(f"coder must be a TileCoder, got {type(coder).__name__}")
        self.coder = coder
        self.observe = coder
        self.actions = ActionMap(self.n_actions)
        n = coder.n_features
        _table_memory(n, self.n_actions, "weight table")
        self.w = np.full((n, self.n_actions), self.initial_value / coder.tilings)
        self.visits = np.zeros(n, dtype=np.int64)
        self.counts = np.zeros((n, self.n_actions), dtype=np.int64)
        self._use_policy()

    @classmethod
    def for_spaces(
        cls,
        observation_space: Any,
        action_space: Any,
        policy: Any,
        *,
        tilings: int = 8,
        tiles: Any = 8,
        low: Any = None,
        high: Any = None,
        **kwargs: Any,
    ) -> LinearAgent:
        """Build a tile-coded agent for a ``Box`` observation space.

        Parameters
        ----------
        observation_space : gymnasium.spaces.Box
        action_space : gymnasium.spaces.Discrete
        policy : Policy or str
        tilings, tiles
            Of the :class:`~boltzmann_rl.gym.tiles.TileCoder`.
        low, high : array_like, optional
            Bounds of the tiling; default the space's, with
            ``-UNBOUNDED_TILE_RANGE`` / ``+UNBOUNDED_TILE_RANGE`` (3.0) where the space
            is unbounded (CartPole's velocities).
        **kwargs
            As for the constructor.

        Returns
        -------
        LinearAgent

        Examples
        --------
        >>> from gymnasium.spaces import Box, Discrete
        >>> from boltzmann_rl.gym.agents import LinearAgent
        >>> agent = LinearAgent.for_spaces(Box(-1.0, 1.0, (2,)), Discrete(3), "greedy")
        >>> agent.w.shape
        (648, 3)
        """
        from gymnasium import spaces

        actions = action_map(action_space)
        if not isinstance(observation_space, spaces.Box):
            raise UnsupportedSpaceError(
                f"observation space {observation_space!r} is not a Box; a tile coder "
                "needs a Box observation space"
            )
        # A dimension the space leaves unbounded is tiled over +-UNBOUNDED_TILE_RANGE
        # (values beyond fall in the edge tiles); low/high override the space.
        space_lo = np.where(
            np.isfinite(observation_space.low), observation_space.low, -UNBOUNDED_TILE_RANGE
        )
        space_hi = np.where(
            np.isfinite(observation_space.high), observation_space.high, UNBOUNDED_TILE_RANGE
        )
        lo = space_lo if low is None else low
        hi = space_hi if high is None else high
        coder = TileCoder(lo, hi, tilings=tilings, tiles=tiles)
        agent = cls(coder, actions.n, policy, **kwargs)
        agent.actions = actions
        return agent

    def values(self, features: np.ndarray) -> np.ndarray:
        """The action values ``q(s, .)`` of a state given by its active features."""
        return self.w[features].sum(axis=0)

    def _mean_visits(self, features: np.ndarray) -> int:
        return int(self.visits[features].sum()) // len(features)

    def _policy_step(self, features: np.ndarray) -> int:
        """The ``step`` given to the policy at these features (see ``anneal``)."""
        if self._anneal_by_step:
            return self.steps
        if self.anneal is Anneal.EPISODE:
            return self.episodes
        return self._mean_visits(features)

    def _expected_value(self, row: list[float], next_state: np.ndarray) -> float:
        # The tiles' values are an array already: the vectorized backup, as the
        # policy's probs give them.
        return float(
            next_value(
                Algorithm.EXPECTED_SARSA,
                self.values(next_state),
                policy=self.policy,
                step=self._policy_step(next_state),
                counts=self._counts_for(next_state),
            )
        )

    def _counts_for(self, features: np.ndarray) -> np.ndarray | None:
        if not self._needs_counts:
            return None
        return self.counts[features].sum(axis=0) // len(features)

    def act_index(self, features: np.ndarray) -> int:
        """Draw an action from the policy at the state with these active features."""
        if self._sample_row is not None:
            return self._sample_row(
                self.values(features).tolist(),
                self._uniform(),
                step=self._policy_step(features),
            )
        return self.policy.sample(
            self.values(features),
            self.rng,
            step=self._policy_step(features),
            counts=self._counts_for(features),
        )

    def act_batch(self, features: np.ndarray) -> np.ndarray:
        """One action per row of features, shape ``(n, tilings)`` -> ``(n,)``."""
        q = self.w[features].sum(axis=1)
        if self.anneal is Anneal.VISITS:
            step: Any = self.visits[features].sum(axis=1) // features.shape[1]
        else:
            step = self.steps if self._anneal_by_step else self.episodes
        counts = (
            self.counts[features].sum(axis=1) // features.shape[1] if self._needs_counts else None
        )
        out = self.policy.sample(q, self.rng, step=step, counts=counts)
        return np.asarray(out, dtype=np.int64).reshape(len(features))

    def greedy_index(self, features: np.ndarray, rng: Any = None) -> int:
        """An argmax of the action values, ties broken uniformly at random."""
        gen = self.rng if rng is None else as_generator(rng)
        return argmax_row(self.values(features).tolist(), gen.random)

    def probs_index(self, features: np.ndarray) -> np.ndarray:
        """The policy's action probabilities at the state with these active features."""
        return self.policy.probs(
            self.values(features),
            step=self._policy_step(features),
            counts=self._counts_for(features),
        )

    def update_index(
        self,
        state: np.ndarray,
        action: int,
        reward: float,
        next_state: np.ndarray,
        terminated: bool,
        next_action: int | None = None,
    ) -> float:
        """Learn from one transition given by active features (see :meth:`update`)."""
        if terminated:
            target = float(reward)
        else:
            row = self.values(next_state).tolist()
            target = reward + self.gamma * self._next_value(row, next_state, next_action)
        rate = self.alpha
        if rate.const is not None:
            alpha = rate.const
        elif self.alpha_by is Anneal.VISITS:
            alpha = rate.at(int(self.counts[state, action].sum()) // len(state))
        else:
            alpha = rate.at(self.steps if self.alpha_by is Anneal.STEP else self.episodes)
        delta = target - float(self.w[state, action].sum())
        self.w[state, action] += alpha / len(state) * delta
        self.visits[state] += 1
        self.counts[state, action] += 1
        self.steps += 1
        return delta

    def update_and_act(
        self, state: np.ndarray, action: int, reward: float, next_state: np.ndarray
    ) -> int:
        """``update_index`` then ``act_index(next_state)`` (SARSA: act first)."""
        if self.on_policy:
            next_action = self.act_index(next_state)
            self.update_index(state, action, reward, next_state, False, next_action)
            return next_action
        self.update_index(state, action, reward, next_state, False)
        return self.act_index(next_state)

    def __repr__(self) -> str:
        return (
            f"LinearAgent({self.coder!r}, n_actions={self.n_actions}, policy={self.policy!r}, "
            f"algorithm={self.algorithm.value!r}, alpha={self.alpha!r}, gamma={self.gamma!r})"
        )


AGENTS: dict[str, type[TabularAgent]] = {
    cls.fixed.value: cls for cls in (QLearningAgent, SarsaAgent, ExpectedSarsaAgent)
}
"""The tabular agent classes with a fixed algorithm, by its name (the others are
:class:`TabularAgent` with ``algorithm=``)."""


def make_agent(
    algorithm: Algorithm | str,
    observation_space: Any,
    action_space: Any,
    policy: Any,
    **kwargs: Any,
) -> TabularAgent | LinearAgent:
    """Build the right agent for gymnasium spaces: a table, or tiles for a ``Box``.

    Parameters
    ----------
    algorithm : Algorithm or str
        One of :data:`ALGORITHMS` (or an alias, see :meth:`Algorithm.parse`).
    observation_space, action_space : gymnasium.spaces.Space
        Discrete-like observations get a :class:`TabularAgent`, a ``Box`` a
        :class:`LinearAgent` on a tile coder (``tilings``, ``tiles``, ``low``,
        ``high`` keyword arguments go to it); the action space must be ``Discrete``.
    policy : Policy or str
    **kwargs
        Hyperparameters of the agent class.

    Returns
    -------
    TabularAgent or LinearAgent

    Raises
    ------
    UnsupportedSpaceError
        For an unsupported observation or action space, naming it.
    ValueError
        For an unknown algorithm or invalid hyperparameters.

    Examples
    --------
    >>> from gymnasium.spaces import Box, Discrete, MultiBinary
    >>> from boltzmann_rl.gym.agents import make_agent
    >>> make_agent("sarsa", Discrete(16), Discrete(4), "greedy").q.shape
    (16, 4)
    >>> type(make_agent("qlearning", Box(-1.0, 1.0, (2,)), Discrete(3), "greedy")).__name__
    'LinearAgent'
    >>> make_agent("sarsa", MultiBinary(3), Discrete(2), "greedy")
    Traceback (most recent call last):
    ...
    boltzmann_rl.gym.spaces.UnsupportedSpaceError: observation space MultiBinary(3) is not ...
    """
    from gymnasium import spaces

    alg = Algorithm.parse(algorithm)
    action_map(action_space)  # the action space error first: it applies to both kinds
    if isinstance(observation_space, spaces.Box):
        return LinearAgent.for_spaces(
            observation_space, action_space, policy, algorithm=alg, **kwargs
        )
    tile_options = {"tilings", "tiles", "low", "high"} & set(kwargs)
    if tile_options:
        raise TypeError(
            f"{', '.join(sorted(tile_options))} only apply to Box observations (tile coding)"
        )
    fixed = AGENTS.get(alg.value)
    if fixed is None:  # the soft backups: the general tabular agent
        return TabularAgent.for_spaces(
            observation_space, action_space, policy, algorithm=alg, **kwargs
        )
    return fixed.for_spaces(observation_space, action_space, policy, **kwargs)
