r"""The value backups of temporal-difference control, written once.

A backup turns one transition ``(s, a, r, s', terminated)`` into the target ``G`` of
``Q(s, a) += alpha (G - Q(s, a))``. It has two parts: the value of the next state,
:func:`next_value`, which is what distinguishes the algorithms, and the target
:func:`td_target`, ``G = r + gamma v(s')``, or ``G = r`` at a terminal state. A
time limit (``truncated``) is not a terminal state: the target bootstraps there.

=====================  =================================  ============================
:class:`Algorithm`     ``v(s')`` from ``q' = Q(s', .)``    reference
=====================  =================================  ============================
``"qlearning"``        ``max_b q'_b``                      Sutton & Barto, sec. 6.5
``"sarsa"``            ``q'_{a'}``, ``a'`` taken next      Sutton & Barto, sec. 6.4
``"expected-sarsa"``   ``sum_b pi(b | s') q'_b``           Sutton & Barto, sec. 6.6
``"soft-qlearning"``   ``T log sum_b exp(q'_b / T)``       Haarnoja et al. 2017
``"mellowmax"``        ``log(mean_b exp(omega q'_b)) / omega``  Asadi & Littman 2017
=====================  =================================  ============================

:func:`next_value` and :func:`td_target` are vectorized over any leading dimensions
(a batch of environments, a batch of runs). The per-environment agents of
:mod:`boltzmann_rl.gym.agents` learn from one transition at a time, on a row that is
a list of floats; :func:`row_value` is that single-row path of the same backups, in
pure Python. :func:`soft_backup` and :func:`mellowmax_backup` are the two soft
targets in one call (``r + gamma v(s')``), as they were first published here.

Examples
--------
>>> import numpy as np
>>> from boltzmann_rl.gym.backups import Algorithm, next_value, td_target
>>> q_next = np.array([[1.0, 3.0], [2.0, 2.0]])
>>> v = next_value(Algorithm.QLEARNING, q_next)
>>> v.tolist()
[3.0, 2.0]
>>> td_target([1.0, 1.0], 0.5, v, [False, True]).tolist()  # the second is terminal
[2.5, 1.0]
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from boltzmann_rl._checks import unit_interval
from boltzmann_rl._floor import finite_small_row, small_logsumexp, small_mellowmax
from boltzmann_rl.alternatives import mellowmax
from boltzmann_rl.core import logsumexp

__all__ = [
    "Algorithm",
    "expected_value_row",
    "mellowmax_backup",
    "next_value",
    "row_value",
    "soft_backup",
    "state_value_function",
    "td_target",
]


class Algorithm(enum.Enum):
    """The temporal-difference control algorithms, by the names users type.

    Examples
    --------
    >>> from boltzmann_rl.gym.backups import Algorithm
    >>> Algorithm.parse("Q_Learning"), Algorithm.parse("expected_sarsa").value
    (<Algorithm.QLEARNING: 'qlearning'>, 'expected-sarsa')
    >>> Algorithm.SARSA.on_policy, Algorithm.QLEARNING.on_policy
    (True, False)
    >>> Algorithm.parse("dqn")
    Traceback (most recent call last):
    ...
    ValueError: unknown agent 'dqn'; known agents: qlearning, sarsa, expected-sarsa, ...
    """

    QLEARNING = "qlearning"
    SARSA = "sarsa"
    EXPECTED_SARSA = "expected-sarsa"
    SOFT_QLEARNING = "soft-qlearning"
    MELLOWMAX = "mellowmax"

    @classmethod
    def parse(cls, name: Any) -> Algorithm:
        """The algorithm named ``name``: its value or an alias (``q-learning``,
        ``q_learning``, ``expected_sarsa``, ``soft-q-learning``, any case), or an
        :class:`Algorithm` itself.

        Raises
        ------
        ValueError
            For anything else, naming the value and the choices.
        """
        if isinstance(name, cls):
            return name
        if isinstance(name, str):
            key = name.lower().replace("_", "-")
            found = _ALIASES.get(key)
            if found is not None:
                return found
        choices = ", ".join(a.value for a in cls)
        raise ValueError(f"unknown agent {name!r}; known agents: {choices}")

    @property
    def on_policy(self) -> bool:
        """True for SARSA: the target needs the next action, drawn before the update."""
        return self is Algorithm.SARSA

    @property
    def needs_policy(self) -> bool:
        """True for Expected SARSA: the target needs the policy's probabilities at ``s'``."""
        return self is Algorithm.EXPECTED_SARSA

    def __str__(self) -> str:
        return self.value


_ALIASES: dict[str, Algorithm] = {
    **{a.value: a for a in Algorithm},
    "q-learning": Algorithm.QLEARNING,
    "expectedsarsa": Algorithm.EXPECTED_SARSA,
    "soft-q-learning": Algorithm.SOFT_QLEARNING,
}


# ------------------------------------------------------------------- vectorized


def next_value(
    algorithm: Algorithm | str,
    q_next: Any,
    *,
    policy: Any = None,
    step: Any = 0,
    counts: Any = None,
    next_action: Any = None,
    temperature: Any = None,
    omega: Any = None,
    check_input: bool = True,
) -> np.ndarray:
    """The value ``v(s')`` of the next states that the target bootstraps from.

    Parameters
    ----------
    algorithm : Algorithm or str
    q_next : array_like, shape (..., A)
        The action values of the next states.
    policy : Policy, optional
        Expected SARSA's policy: ``pi = policy.probs(q_next, step=step, counts=counts)``.
    step : int or array_like, default 0
        The policy's step, a scalar or one per row (shape ``(...)``).
    counts : array_like, optional
        Per-action visit counts for a count-based policy (shape of ``q_next``).
    next_action : array_like of int, shape (...)
        SARSA's ``a'``.
    temperature : float or array_like
        Soft Q-learning's ``T``, ``0 <= T < inf`` (``T = 0`` is the max), one per row
        or a scalar.
    omega : float or array_like
        Mellowmax's ``omega >= 0`` (``0`` is the mean, ``inf`` the max).
    check_input : bool, default True
        ``False`` skips the checks of ``q_next`` (its shape, NaN): for loops that
        validated once and call this every step with float64 arrays (the batched
        tabular engine). The values are the same.

    Returns
    -------
    ndarray of float64, shape (...)

    Raises
    ------
    ValueError
        For an unknown algorithm, a missing parameter (policy, next action,
        temperature, omega), an infinite temperature, NaN values.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.gym.backups import next_value
    >>> from boltzmann_rl.policies import EpsilonGreedy
    >>> q = np.array([[1.0, 3.0], [4.0, 0.0]])
    >>> next_value("sarsa", q, next_action=[0, 0]).tolist()
    [1.0, 4.0]
    >>> next_value("expected-sarsa", q, policy=EpsilonGreedy(epsilon=0.5)).tolist()
    [2.5, 3.0]
    >>> next_value("soft-qlearning", q, temperature=0.0).tolist()
    [3.0, 4.0]
    >>> next_value("mellowmax", q, omega=0.0).tolist()
    [2.0, 2.0]
    """
    alg = Algorithm.parse(algorithm)
    if check_input:
        q = np.asarray(q_next, dtype=np.float64)
        if q.ndim == 0 or q.shape[-1] == 0:
            raise ValueError(
                f"q_next must have shape (..., A) with A >= 1, actual shape: {q.shape}"
            )
        if np.isnan(q).any():
            raise ValueError(f"q_next must not contain NaN, actual value: {q_next!r}")
    else:
        q = q_next
    if alg is Algorithm.QLEARNING:
        out = q.max(axis=-1)
    elif alg is Algorithm.SARSA:
        if next_action is None:
            raise ValueError("sarsa needs next_action, the action taken in the next state")
        a = np.asarray(next_action)
        if a.dtype.kind not in "iu":
            raise ValueError(f"next_action must be integers, actual value: {next_action!r}")
        a = np.broadcast_to(a, q.shape[:-1])
        if ((a < 0) | (a >= q.shape[-1])).any():
            raise ValueError(
                f"next_action must be in [0, {q.shape[-1]}), actual value: {next_action!r}"
            )
        out = np.take_along_axis(q, a[..., None].astype(np.intp), axis=-1)[..., 0]
    elif alg is Algorithm.EXPECTED_SARSA:
        if policy is None:
            raise ValueError("expected-sarsa needs the policy whose expectation it takes")
        p = np.asarray(policy.probs(q, step=step, counts=counts), dtype=np.float64)
        # pi = 0 entries do not count, even at q = -inf
        out = np.where(p > 0.0, p * np.where(p > 0.0, q, 0.0), 0.0).sum(axis=-1)
    elif alg is Algorithm.SOFT_QLEARNING:
        if temperature is None:
            raise ValueError("soft-qlearning needs temperature=T")
        if (np.asarray(temperature, dtype=np.float64) == np.inf).any():
            raise ValueError(
                "soft-qlearning: temperature must be finite, actual value: inf (the soft "
                "value T log sum exp(q/T) grows like T log K); use mellowmax with omega=0 "
                "for the mean"
            )
        out = np.asarray(logsumexp(q, temperature), dtype=np.float64)
    else:
        if omega is None:
            raise ValueError("mellowmax needs omega=W")
        out = np.asarray(mellowmax(q, omega), dtype=np.float64)
    return out


def td_target(
    reward: Any, gamma: float, v_next: Any, terminated: Any, *, check_input: bool = True
) -> Any:
    """The target ``r + gamma v(s')``, or ``r`` where ``s'`` is terminal.

    Pass gymnasium's ``terminated``, not ``truncated``: a time limit bootstraps.

    Parameters
    ----------
    reward : float or array_like, shape (...)
    gamma : float
        The discount in ``[0, 1]``.
    v_next : float or array_like, shape (...)
        From :func:`next_value`; not read where ``terminated`` (it may be anything
        there, even infinite).
    terminated : bool or array_like of bool, shape (...)
    check_input : bool, default True
        ``False`` skips the checks, for loops that validated once: then ``gamma`` is
        a float in ``[0, 1]``, ``reward``, ``v_next`` and ``terminated`` are arrays
        of one shape (float64, float64 and bool), and ``v_next`` is overwritten with
        the target, which is returned. The values are the same.

    Returns
    -------
    float or ndarray of float64
        A float for scalar inputs.

    Examples
    --------
    >>> from boltzmann_rl.gym.backups import td_target
    >>> td_target(1.0, 0.9, 2.0, False), td_target(1.0, 0.9, 2.0, True)
    (2.8, 1.0)
    >>> td_target([0.0, 0.0], 0.5, [4.0, float("inf")], [False, True]).tolist()
    [2.0, 0.0]
    """
    if not check_input:
        # gamma v, 0 where terminal, + r: the same sums as below, in place
        out: np.ndarray = np.multiply(v_next, gamma, out=v_next)
        np.copyto(out, 0.0, where=terminated)
        return np.add(out, reward, out=out)
    g = unit_interval(gamma, "gamma")
    r = np.asarray(reward, dtype=np.float64)
    done = np.asarray(terminated)
    if done.dtype.kind not in "biu":
        raise TypeError(f"terminated must be a bool or an array of bools, got dtype {done.dtype}")
    done = done.astype(bool)
    out = r + g * np.where(done, 0.0, v_next)
    return float(out) if out.ndim == 0 else out


# ------------------------------------------------------------------- single row


def _fast_parameter(param: Any) -> bool:
    return type(param) is float and 0.0 < param < math.inf


def row_value(
    algorithm: Algorithm,
    row: list[float],
    *,
    probs: list[float] | None = None,
    next_action: int | None = None,
    temperature: float | None = None,
    omega: float | None = None,
) -> float:
    """:func:`next_value` of one row given as a list of floats, in pure Python.

    The per-environment agents' path: the same backups as :func:`next_value`, at a
    fraction of numpy's per-call cost. Expected SARSA takes the policy's
    probabilities ``probs`` (a list) and sums ``pi q`` with :func:`math.fsum` over
    the actions with ``pi > 0``.

    Examples
    --------
    >>> from boltzmann_rl.gym.backups import Algorithm, row_value
    >>> row_value(Algorithm.QLEARNING, [1.0, 3.0])
    3.0
    >>> row_value(Algorithm.EXPECTED_SARSA, [1.0, 3.0], probs=[0.25, 0.75])
    2.5
    >>> round(row_value(Algorithm.SOFT_QLEARNING, [1.0, 2.0], temperature=1.0), 6)
    2.313262
    """
    if algorithm is Algorithm.QLEARNING:
        return max(row)
    if algorithm is Algorithm.SARSA:
        if next_action is None:
            raise ValueError("sarsa needs next_action, the action taken in the next state")
        return row[next_action]
    if algorithm is Algorithm.EXPECTED_SARSA:
        if probs is None:
            raise ValueError("expected-sarsa needs probs, the policy's probabilities")
        return expected_value_row(probs, row)
    return state_value_function(algorithm, temperature=temperature, omega=omega)(row)  # type: ignore[misc]


def expected_value_row(probs: list[float], row: list[float]) -> float:
    """Expected SARSA's ``sum_b pi_b q_b`` of one row, over the actions with ``pi > 0``.

    Examples
    --------
    >>> from boltzmann_rl.gym.backups import expected_value_row
    >>> expected_value_row([0.0, 1.0], [float("-inf"), 2.0])
    2.0
    """
    return math.fsum([pi * v for pi, v in zip(probs, row) if pi > 0.0])


def _row_function(
    algorithm: Algorithm, name: str, param: float, fast: Callable[[list[float], float], float]
) -> Callable[[list[float]], float]:
    """``v(s')`` of one row for a backup with one parameter: ``fast(row, param)`` on a short
    finite row at a positive finite ``param``, else :func:`next_value` (which validates)."""

    kwargs: dict[str, Any] = {name: param}

    def general(row: list[float]) -> float:
        return float(next_value(algorithm, row, **kwargs))

    if not _fast_parameter(param):
        return general

    def value(row: list[float]) -> float:
        r = finite_small_row(row)
        if r is None:
            return general(row)
        return fast(r, param)

    return value


def state_value_function(
    algorithm: Algorithm, *, temperature: float | None = None, omega: float | None = None
) -> Callable[[list[float]], float] | None:
    """The single-row ``v(s')`` of a backup that needs the next row only, or None.

    Q-learning, soft Q-learning and mellowmax read only the row of ``s'``; SARSA
    (the next action) and Expected SARSA (the policy's probabilities) need more and
    give None. The agents pick the function once, at construction.

    Examples
    --------
    >>> from boltzmann_rl.gym.backups import Algorithm, state_value_function
    >>> state_value_function(Algorithm.QLEARNING)([1.0, 3.0])
    3.0
    >>> state_value_function(Algorithm.MELLOWMAX, omega=0.0)([1.0, 3.0])
    2.0
    >>> state_value_function(Algorithm.SARSA) is None
    True
    """
    if algorithm is Algorithm.QLEARNING:
        return max
    if algorithm is Algorithm.SOFT_QLEARNING:
        if temperature is None:
            raise ValueError("soft-qlearning needs temperature=T")
        return _row_function(algorithm, "temperature", float(temperature), small_logsumexp)
    if algorithm is Algorithm.MELLOWMAX:
        if omega is None:
            raise ValueError("mellowmax needs omega=W")
        return _row_function(algorithm, "omega", float(omega), small_mellowmax)
    return None


# ------------------------------------------------------------------- soft targets


def _one_transition(reward: Any, q_next: Any, param: Any, terminated: Any, mask: Any) -> Any:
    """The row as a list when the pure-Python path applies to this call, else None.

    It applies to one transition: a float reward, a short row of finite floats, a
    positive finite float parameter, a bool ``terminated`` and no mask. Everything
    else (batches, limits, NaN, infinities) takes the general path, which validates.
    """
    if mask is not None or not _fast_parameter(param) or type(terminated) is not bool:
        return None
    if type(reward) not in (float, int):
        return None
    return finite_small_row(q_next)


def soft_backup(
    reward: Any,
    q_next: Any,
    gamma: float,
    temperature: Any,
    terminated: Any = False,
    *,
    mask: Any = None,
) -> Any:
    r"""The soft (log-sum-exp) Bellman target :math:`r + \gamma\, T \log \sum_a e^{Q(s', a)/T}`.

    With the Boltzmann policy at the same temperature this is soft Q-learning: the
    value of the next state is the smooth maximum of its action values. It tends to
    the Q-learning target ``r + γ max Q(s')`` as ``T -> 0`` (exact at 0) and to
    ``r + γ (mean Q(s') + T log K)`` as ``T -> inf``: the soft value carries an
    entropy bonus of at most ``T log K``. Subtracting that bonus gives
    :func:`mellowmax_backup` with ``ω = 1/T``.

    Parameters
    ----------
    reward : float or array_like
        Rewards, shape ``(...)``.
    q_next : array_like, shape (..., K)
        Action values of the next states.
    gamma : float
        Discount in ``[0, 1]``.
    temperature : float or array_like
        ``0 <= T < inf``, a scalar or one per row. (At ``T = inf`` the target is
        infinite, so it raises.)
    terminated : bool or array_like of bool, default False
        Where True the next state is terminal and nothing is bootstrapped (pass
        ``terminated``, not ``truncated``, from gymnasium).
    mask : array_like of bool, optional
        Actions allowed in the next states (``False`` entries are excluded).

    Returns
    -------
    float or ndarray
        The targets, shape ``(...)``.

    Raises
    ------
    ValueError
        An infinite, negative or NaN temperature, ``gamma`` outside ``[0, 1]``, NaN
        values.

    References
    ----------
    .. [1] T. Haarnoja, H. Tang, P. Abbeel and S. Levine, "Reinforcement Learning
       with Deep Energy-Based Policies", ICML 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.gym.backups import soft_backup
    >>> q_next = np.array([[1.0, 2.0], [1.0, 2.0]])
    >>> soft_backup([0.0, 0.0], q_next, 0.9, temperature=0)   # Q-learning
    array([1.8, 1.8])
    >>> soft_backup(1.0, [1.0, 2.0], 0.9, temperature=0.5, terminated=True)
    1.0
    >>> round(soft_backup(0.0, [1.0, 2.0], 1.0, temperature=1.0), 6)  # log(e + e^2)
    2.313262
    """
    g = unit_interval(gamma, "gamma")
    row = _one_transition(reward, q_next, temperature, terminated, mask)
    if row is not None:  # one transition of a tabular agent: no numpy overhead
        if terminated:
            return float(reward)
        return reward + g * small_logsumexp(row, temperature)
    t = np.asarray(temperature, dtype=np.float64)
    if (t == np.inf).any():
        raise ValueError(
            "soft_backup: temperature must be finite, got inf (the soft value "
            "T log sum exp(q/T) grows like T log K); use mellowmax_backup with omega=0 "
            "for the mean"
        )
    value = logsumexp(q_next, temperature, mask=mask)
    return td_target(reward, g, value, terminated)


def mellowmax_backup(
    reward: Any,
    q_next: Any,
    gamma: float,
    omega: Any,
    terminated: Any = False,
    *,
    mask: Any = None,
) -> Any:
    r"""The mellowmax Bellman target :math:`r + \gamma\, mm_\omega(Q(s', \cdot))`.

    A non-expansion for every ``ω`` (Asadi & Littman 2017), so value iteration and
    SARSA-style learning with it have a unique fixed point; ``ω = inf`` is the
    Q-learning target, ``ω = 0`` the target of expected SARSA under the uniform
    policy. With the :class:`~boltzmann_rl.alternatives.Mellowmax` policy at the same
    ``ω`` the target is the expected value of the next action, as in expected SARSA.

    Parameters
    ----------
    reward, q_next, gamma, terminated, mask
        As in :func:`soft_backup`.
    omega : float or array_like
        ``ω >= 0``, a scalar or one per row.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from boltzmann_rl.gym.backups import mellowmax_backup
    >>> mellowmax_backup(0.0, [1.0, 3.0], 0.5, omega=float("inf"))
    1.5
    >>> mellowmax_backup(0.0, [1.0, 3.0], 0.5, omega=0)
    1.0
    """
    g = unit_interval(gamma, "gamma")
    row = _one_transition(reward, q_next, omega, terminated, mask)
    if row is not None:  # one transition of a tabular agent: no numpy overhead
        if terminated:
            return float(reward)
        return reward + g * small_mellowmax(row, omega)
    value = mellowmax(q_next, omega, mask=mask)
    return td_target(reward, g, value, terminated)
