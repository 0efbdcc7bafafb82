"""The value backups of the temporal-difference agents, written once.

The tabular agents, the tile-coded agents and the batched tabular engine
(:mod:`boltzmann_rl.gym.tabular`) compute their targets here:

=====================  ======================================================
:class:`Algorithm`     value of the next state ``v(s')`` (:func:`next_value`)
=====================  ======================================================
``QLEARNING``          ``max_b Q(s', b)``
``SARSA``              ``Q(s', a')``, ``a'`` the action taken next
``EXPECTED_SARSA``     ``sum_b pi(b | s') Q(s', b)``, ``pi`` the policy's ``probs``
``SOFT_QLEARNING``     ``T log sum_b exp(Q(s', b) / T)`` (the core's ``logsumexp``)
``MELLOWMAX``          ``mm_omega(Q(s', .))`` (Asadi & Littman 2017)
=====================  ======================================================

and the target is :func:`td_target`: ``r + gamma v(s')``, or ``r`` where ``s'`` is
terminal. A time limit (truncation) is not a terminal state: it bootstraps.

Examples
--------
>>> import numpy as np
>>> from boltzmann_rl.gym.backups import Algorithm, next_value, td_target
>>> q_next = np.array([[1.0, 3.0], [2.0, 0.0]])
>>> v = next_value(Algorithm.parse("q-learning"), q_next)
>>> v.tolist()
[3.0, 2.0]
>>> td_target(np.array([1.0, 1.0]), 0.5, v, np.array([False, True])).tolist()
[2.5, 1.0]
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

from boltzmann_rl._floor import row_max
from boltzmann_rl.alternatives import mellowmax
from boltzmann_rl.core import logsumexp

__all__ = ["Algorithm", "next_value", "td_target"]


class Algorithm(enum.Enum):
    """The learning rules, by the names the command line and the agents use.

    Examples
    --------
    >>> from boltzmann_rl.gym.backups import Algorithm
    >>> Algorithm.parse("expected_sarsa"), Algorithm.parse("Q-Learning").value
    (<Algorithm.EXPECTED_SARSA: 'expected-sarsa'>, 'qlearning')
    """

    QLEARNING = "qlearning"
    SARSA = "sarsa"
    EXPECTED_SARSA = "expected-sarsa"
    SOFT_QLEARNING = "soft-qlearning"
    MELLOWMAX = "mellowmax"

    @classmethod
    def parse(cls, name: Any) -> Algorithm:
        """The algorithm of a name or alias (``q-learning``, ``expected_sarsa``, ...)."""
        if isinstance(name, cls):
            return name
        if isinstance(name, str):
            key = name.strip().lower().replace("_", "-")
            key = {"q-learning": "qlearning", "expectedsarsa": "expected-sarsa"}.get(key, key)
            key = {"soft-q-learning": "soft-qlearning"}.get(key, key)
            for member in cls:
                if member.value == key:
                    return member
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown algorithm {name!r}; choose one of {choices}")


def next_value(
    algorithm: Algorithm,
    q_next: Any,
    *,
    policy: Any = None,
    step: Any = 0,
    next_action: Any = None,
    temperature: Any = None,
    omega: Any = None,
) -> np.ndarray:
    """The value ``v(s')`` of the next states that enters the target.

    Parameters
    ----------
    algorithm : Algorithm
    q_next : array_like, shape (..., A)
        Action values of the next states.
    policy : Policy, optional
        Expected SARSA's policy (its ``probs`` at ``step``).
    step : int or array_like, default 0
        The policy's step, a scalar or one per row.
    next_action : array_like of int, shape (...), optional
        SARSA's ``a'``.
    temperature : float or array_like, optional
        Soft Q-learning's temperature, a scalar or one per row.
    omega : float or array_like, optional
        Mellowmax's ``omega``, a scalar or one per row.

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.gym.backups import Algorithm, next_value
    >>> q = np.array([[0.0, 1.0]])
    >>> next_value(Algorithm.SARSA, q, next_action=np.array([0])).tolist()
    [0.0]
    >>> next_value(Algorithm.SOFT_QLEARNING, q, temperature=1.0).round(4).tolist()
    [1.3133]
    """
    q = np.asarray(q_next, dtype=np.float64)
    if algorithm is Algorithm.QLEARNING:
        return row_max(q, q.ndim - 1)[..., 0]  # the floor's fast path for short rows
    if algorithm is Algorithm.SARSA:
        if next_action is None:
            raise ValueError("SARSA's next value needs next_action, actual value: None")
        a = np.asarray(next_action, dtype=np.int64)
        return np.take_along_axis(q, a[..., None], axis=-1)[..., 0]
    if algorithm is Algorithm.EXPECTED_SARSA:
        if policy is None:
            raise ValueError("Expected SARSA's next value needs the policy, actual value: None")
        p = np.asarray(policy.probs(q, step=step))
        return np.where(p > 0.0, p * q, 0.0).sum(axis=-1)
    if algorithm is Algorithm.SOFT_QLEARNING:
        if temperature is None:
            raise ValueError("soft Q-learning's next value needs a temperature, actual value: None")
        return np.asarray(logsumexp(q, temperature), dtype=np.float64)
    if algorithm is Algorithm.MELLOWMAX:
        if omega is None:
            raise ValueError("the mellowmax next value needs omega, actual value: None")
        return np.asarray(mellowmax(q, omega), dtype=np.float64)
    raise ValueError(f"algorithm must be an Algorithm, actual value: {algorithm!r}")


def td_target(reward: Any, gamma: float, v_next: Any, terminated: Any) -> Any:
    """``reward + gamma * v_next`` where not ``terminated``, else ``reward``.

    Truncation (a time limit) is not termination: pass ``terminated`` only.

    Examples
    --------
    >>> from boltzmann_rl.gym.backups import td_target
    >>> td_target(1.0, 0.9, 2.0, False), td_target(1.0, 0.9, 2.0, True)
    (2.8, 1.0)
    """
    out = np.asarray(reward, dtype=np.float64) + gamma * np.where(terminated, 0.0, v_next)
    return float(out) if out.ndim == 0 else out
