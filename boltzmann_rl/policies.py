"""Action-selection policies: one protocol, many rules.

A policy maps action values ``q`` of shape ``(..., K)`` to a distribution over the
``K`` actions, vectorized over any leading batch dimensions. Every policy here, and
any user's class with the same four methods, satisfies :class:`Policy`:

* ``probs(q, *, step=0, counts=None)``: the action probabilities, shape ``(..., K)``;
* ``sample(q, rng, *, step=0, counts=None)``: actions drawn with an explicit
  :class:`numpy.random.Generator` (an ``int`` for 1-D ``q``, an int64 array of shape
  ``q.shape[:-1]`` otherwise);
* ``log_prob(q, action, *, step=0, counts=None)`` and ``entropy(q, *, step=0, counts=None)``.

A policy may also implement the optional single-row protocol :class:`RowPolicy`:
``sample_row(row, u, *, step=0)``, one decision from a list of ``K`` floats and one
uniform ``u`` in ``[0, 1)`` that the caller supplies, returning an ``int`` with the
distribution of ``sample``; and ``probs_row(row, *, step=0)``, ``probs`` of one row as
a list of floats. They are the fast paths of a single decision (and of Expected
SARSA's expectation) in pure Python; the gym agents check ``isinstance(policy,
RowPolicy)`` once, when the policy is set, and then draw their uniforms in blocks.
:class:`Boltzmann`, :class:`EpsilonGreedy` and :class:`Greedy` implement it, the
count-based rules do not.

``step`` (a scalar, or one per row) drives annealing: a temperature or an epsilon may
be a schedule from :mod:`boltzmann_rl.schedules`, evaluated at ``step``. What a step
counts (global steps, episodes, or visits of the current state) is the caller's
choice. ``counts`` (per-action visit counts, the shape of ``q``) serve the count-based
rules :class:`UCB` and :class:`BoltzmannGumbel`, whose ``needs_counts`` is True; they
raise ``ValueError`` when called without counts.

One convention throughout: temperature ``T`` and ``p ∝ exp(q / T)``, computed by the
stable core (:func:`boltzmann_rl.softmax`), so ``T = 0`` is greedy with ties split
uniformly and ``T = inf`` uniform, exactly.

================  ========================  =============================================
text form         class                     rule
================  ========================  =============================================
``boltzmann``     :class:`Boltzmann`        ``p ∝ exp(q / T)``
``egreedy``       :class:`EpsilonGreedy`    ``(1 - ε) greedy + ε / K``
``greedy``        :class:`Greedy`           argmax, ties broken uniformly at random
``ucb``           :class:`UCB`              argmax of ``q + c sqrt(ln t / N)``
``bgumbel``       :class:`BoltzmannGumbel`  argmax of ``q + c Z / sqrt(N)``, Z Gumbel
================  ========================  =============================================

``repr(policy)`` is its text form (``boltzmann(temperature=exp(1.0, 0.05, 1000))``),
which :func:`boltzmann_rl.spec.parse_policy` reads back to an equal policy.

Examples
--------
>>> import numpy as np
>>> from boltzmann_rl.policies import Boltzmann, EpsilonGreedy
>>> q = np.array([1.0, 2.0, 2.0])
>>> Boltzmann(temperature=0).probs(q)
array([0. , 0.5, 0.5])
>>> EpsilonGreedy(epsilon=0.3).probs(q)
array([0.1 , 0.45, 0.45])
>>> Boltzmann(temperature=0.5).sample(q, rng=np.random.default_rng(0)) in (0, 1, 2)
True
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from boltzmann_rl._floor import (
    draw_rows,
    entropy_of_probs,
    small_choice,
    small_probs,
    ucb_scores,
)
from boltzmann_rl.core import (
    as_generator,
    log_softmax,
    softmax,
    softmax_entropy,
    softmax_sample,
)
from boltzmann_rl.schedules import Constant, as_schedule, format_value

__all__ = [
    "POLICY_NAMES",
    "UCB",
    "Boltzmann",
    "BoltzmannGumbel",
    "EpsilonGreedy",
    "Greedy",
    "Policy",
    "RowPolicy",
    "register_policy",
]


@runtime_checkable
class Policy(Protocol):
    """Anything that selects actions from action values.

    Implement these four methods (and a ``needs_counts`` attribute) and a class works
    wherever the toolkit's policies do: in the bandit engine, in the gym agents, and
    in the shared policy test suite (``tests/test_policies.py``). The optional
    single-row fast path is a protocol of its own, :class:`RowPolicy`.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.policies import Boltzmann, Policy
    >>> isinstance(Boltzmann(temperature=1.0), Policy)
    True
    """

    needs_counts: bool

    def probs(self, q: Any, *, step: Any = 0, counts: Any = None) -> np.ndarray: ...

    def sample(
        self, q: Any, rng: Any, *, step: Any = 0, counts: Any = None
    ) -> int | np.ndarray: ...

    def log_prob(self, q: Any, action: Any, *, step: Any = 0, counts: Any = None) -> Any: ...

    def entropy(self, q: Any, *, step: Any = 0, counts: Any = None) -> Any: ...


@runtime_checkable
class RowPolicy(Protocol):
    """The optional single-row fast path of a :class:`Policy`, in pure Python.

    ``sample_row(row, u, *, step=0)`` is one decision from a list of ``K`` floats and
    one uniform ``u`` in ``[0, 1)`` supplied by the caller, with the distribution of
    ``sample``; ``probs_row(row, *, step=0)`` is ``probs`` of that row as a list of
    floats. Callers check ``isinstance(policy, RowPolicy)`` once (when the policy is
    set), never per decision.

    Examples
    --------
    >>> from boltzmann_rl.policies import UCB, Boltzmann, RowPolicy
    >>> isinstance(Boltzmann(temperature=1.0), RowPolicy), isinstance(UCB(), RowPolicy)
    (True, False)
    >>> Boltzmann(temperature=0).sample_row([1.0, 3.0, 3.0], 0.7)
    2
    """

    def sample_row(self, row: list[float], u: float, *, step: Any = 0) -> int: ...

    def probs_row(self, row: list[float], *, step: Any = 0) -> list[float]: ...


# ------------------------------------------------------------------------ helpers


def _values(q: Any) -> np.ndarray:
    arr = np.asarray(q)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"action values must be real numbers, got dtype {arr.dtype}")
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(f"action values must have shape (..., K) with K >= 1, got {arr.shape}")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return arr


def _counts(counts: Any, q: np.ndarray, owner: str) -> np.ndarray:
    if counts is None:
        raise ValueError(
            f"{owner} needs per-action visit counts: pass counts=... with the shape of q {q.shape}"
        )
    n = np.asarray(counts, dtype=np.float64)
    if n.shape != q.shape:
        try:
            n = np.broadcast_to(n, q.shape)
        except ValueError:
            raise ValueError(
                f"counts of shape {n.shape} do not match action values of shape {q.shape}"
            ) from None
    if not (n >= 0).all():
        bad = n[~(n >= 0)].flat[0]
        raise ValueError(f"counts must be >= 0 and not NaN, got {bad}")
    return n


def _parameter(value: Any, name: str, owner: str, *, at_most: float | None = None) -> Any:
    """A number, schedule, or per-row array parameter, validated."""
    if isinstance(value, np.ndarray | list | tuple):
        arr = np.array(value, dtype=np.float64)
        if arr.ndim == 0:
            return _parameter(float(arr), name, owner, at_most=at_most)
        bad = ~(arr >= 0) | ((arr > at_most) if at_most is not None else False)
        if bad.any():
            limit = f" and <= {at_most}" if at_most is not None else ""
            raise ValueError(
                f"{owner}: {name} must be >= 0{limit}, got {arr[bad].flat[0]} at index "
                f"{np.argwhere(bad)[0].tolist()}"
            )
        arr.setflags(write=False)
        return arr
    try:
        schedule = as_schedule(value, name)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{owner}: {exc}") from None
    if at_most is not None and isinstance(schedule, Constant) and schedule.value > at_most:
        raise ValueError(f"{owner}: {name} must be <= {at_most}, got {schedule.value}")
    return schedule


def _evaluate(param: Any, step: Any) -> Any:
    if isinstance(param, np.ndarray):
        return param
    if isinstance(param, Constant):
        return param.value
    return param(step)


def _check_row(row: list[float], u: float = 0.0) -> None:
    """The checks of ``sample_row``/``probs_row`` before the core (which finds NaN)."""
    if not row:
        raise ValueError(f"action values must have K >= 1 entries, got {row!r}")
    if not 0.0 <= u < 1.0:  # NaN too
        raise ValueError(f"u must be a uniform draw in [0, 1), got {u!r}")


def _nonnegative_number(value: Any, name: str, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    v = float(value)
    if not (v >= 0 and math.isfinite(v)):
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value}")
    return v


POLICY_NAMES: dict[str, type] = {}
"""Every policy class by its text-form name, the one registry :mod:`boltzmann_rl.spec`
reads: the policies of this module and of :mod:`boltzmann_rl.alternatives`, plus any
added with :func:`register_policy`."""


def register_policy(cls: Any = None, *, name: str | None = None) -> Any:
    """Add a policy class to :data:`POLICY_NAMES` under its text name; usable as a decorator.

    Once registered, its text form parses (``parse_policy``) and a study file can name
    it in a family's ``policy``. Its ``repr`` should be that text form.

    Parameters
    ----------
    cls : type
        The policy class (following :class:`Policy`).
    name : str, optional
        The text name; default ``cls.text_name``.

    Returns
    -------
    type
        ``cls`` (or, called with only ``name``, a decorator).

    Raises
    ------
    ValueError
        A name that is not an identifier or is taken by another class.

    Examples
    --------
    >>> from boltzmann_rl.policies import POLICY_NAMES, Boltzmann, register_policy
    >>> @register_policy(name="hot")
    ... class Hot(Boltzmann):
    ...     def __init__(self):
    ...         super().__init__(10.0)
    ...     def __repr__(self):
    ...         return "hot"
    >>> from boltzmann_rl.spec import parse_policy
    >>> parse_policy("hot").temperature
    constant(10.0)
    >>> del POLICY_NAMES["hot"]
    """
    if cls is None:
        return lambda c: register_policy(c, name=name)
    key = getattr(cls, "text_name", None) if name is None else name
    if not isinstance(key, str) or not key.isidentifier():
        raise ValueError(f"a policy name must be an identifier, actual value: {key!r}")
    if POLICY_NAMES.get(key, cls) is not cls:
        raise ValueError(f"policy name {key!r} is already taken by {POLICY_NAMES[key].__name__}")
    POLICY_NAMES[key] = cls
    return cls


class _Base:
    """Shared ``sample``/``log_prob``/``entropy`` from ``probs``, text-form ``repr``."""

    text_name: ClassVar[str]
    needs_counts: ClassVar[bool] = False
    _fields: ClassVar[tuple[str, ...]] = ()

    def probs(self, q: Any, *, step: Any = 0, counts: Any = None) -> np.ndarray:
        raise NotImplementedError

    def sample(self, q: Any, rng: Any, *, step: Any = 0, counts: Any = None) -> int | np.ndarray:
        """Draw one action per row from ``probs`` (inverse CDF, one uniform per row).

        Parameters
        ----------
        q : array_like, shape (..., K)
            Action values.
        rng : Generator, int or None
            The source of randomness (see :func:`boltzmann_rl.as_generator`).
        step : int, float or array_like, default 0
            The step at which schedules are evaluated (one per row allowed).
        counts : array_like, optional
            Per-action visit counts, the shape of ``q``.

        Returns
        -------
        int or ndarray of int64
        """
        p = self.probs(q, step=step, counts=counts)
        return draw_rows(np.array(p), as_generator(rng), -1)  # a copy: draw_rows writes

    def log_prob(self, q: Any, action: Any, *, step: Any = 0, counts: Any = None) -> Any:
        """Log-probability of ``action`` (an int, or one per row).

        Returns ``-inf`` for an action the policy never takes.
        """
        p = self.probs(q, step=step, counts=counts)
        a = _actions(action, p)
        with np.errstate(divide="ignore"):
            out = np.log(np.take_along_axis(p, a[..., None], axis=-1)[..., 0])
        return float(out) if out.ndim == 0 else out

    def entropy(self, q: Any, *, step: Any = 0, counts: Any = None) -> Any:
        """Shannon entropy of the action distribution, in nats, one per row."""
        h = entropy_of_probs(self.probs(q, step=step, counts=counts), axis=-1)
        return float(h) if h.ndim == 0 else h

    # -- identity and text form

    def _key(self) -> tuple[Any, ...]:
        out = []
        for name in self._fields:
            v = getattr(self, name)
            out.append(("array", v.tobytes(), v.shape) if isinstance(v, np.ndarray) else v)
        return (type(self), *out)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Base):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        if not self._fields:
            return self.text_name
        args = ", ".join(f"{name}={format_value(getattr(self, name))}" for name in self._fields)
        return f"{self.text_name}({args})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")


def _actions(action: Any, p: np.ndarray) -> np.ndarray:
    a = np.asarray(action)
    if a.dtype.kind not in "iu":
        raise TypeError(f"actions must be integers, got {action!r}")
    k = p.shape[-1]
    if ((a < 0) | (a >= k)).any():
        raise ValueError(f"actions must be in [0, {k}), got {a[(a < 0) | (a >= k)].flat[0]}")
    return np.broadcast_to(a, p.shape[:-1])


# ----------------------------------------------------------------------- policies


@register_policy
class Boltzmann(_Base):
    r"""The Boltzmann (softmax) policy, :math:`\pi(a) \propto \exp(q_a / T)`.

    Parameters
    ----------
    temperature : float, Schedule or array_like, default 1.0
        ``T >= 0``: a number, a schedule evaluated at ``step`` (annealing), or an
        array with one temperature per row of ``q`` (so one batched call evaluates a
        whole temperature sweep). ``0`` is greedy with ties split, ``inf`` uniform.

    Raises
    ------
    ValueError
        A negative or NaN temperature.
    TypeError
        A temperature that is neither a number, a schedule nor an array.

    Notes
    -----
    Temperature is measured in the units of the action values: adding a constant
    to every value changes nothing, multiplying them by ``c`` is the same as
    dividing ``T`` by ``c``.

    References
    ----------
    .. [1] R. S. Sutton and A. G. Barto, *Reinforcement Learning: An Introduction*,
       2nd ed., MIT Press, 2018, sec. 2.8 and 13.1.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.policies import Boltzmann
    >>> from boltzmann_rl.schedules import Exponential
    >>> pi = Boltzmann(temperature=Exponential(1.0, 0.05, 1000))
    >>> pi
    boltzmann(temperature=exp(1.0, 0.05, 1000))
    >>> q = np.array([0.0, 1.0])
    >>> pi.probs(q, step=0).round(4), pi.probs(q, step=1000).round(4)
    (array([0.2689, 0.7311]), array([0., 1.]))
    >>> Boltzmann(temperature=[1.0, np.inf]).probs(np.zeros((2, 2)) + q).round(4)
    array([[0.2689, 0.7311],
           [0.5   , 0.5   ]])
    """

    text_name = "boltzmann"
    _fields = ("temperature",)
    temperature: Any  # a number, a Schedule or a per-row float64 array
    _fixed: float | None  # the temperature when it is a Constant, else None

    def __init__(self, temperature: Any = 1.0) -> None:
        t = _parameter(temperature, "temperature", "boltzmann")
        object.__setattr__(self, "temperature", t)
        object.__setattr__(self, "_fixed", t.value if isinstance(t, Constant) else None)

    def probs(self, q: Any, *, step: Any = 0, counts: Any = None) -> np.ndarray:
        """Action probabilities ``softmax(q, T(step))``, shape ``(..., K)``."""
        return softmax(_values(q), _evaluate(self.temperature, step))

    def sample(self, q: Any, rng: Any, *, step: Any = 0, counts: Any = None) -> int | np.ndarray:
        """Draw actions with :func:`boltzmann_rl.softmax_sample` (see :meth:`_Base.sample`)."""
        if type(q) is not np.ndarray or q.ndim != 1 or q.dtype != np.float64:
            q = _values(q)  # one float64 row goes straight to the core's Python path
        t = self._fixed
        return softmax_sample(q, rng, _evaluate(self.temperature, step) if t is None else t)

    def sample_row(self, row: list[float], u: float, *, step: Any = 0) -> int:
        """One decision from a list of action values and one uniform ``u`` in [0, 1).

        The inverse CDF of ``softmax(row, T(step))`` at ``u``, in pure Python (the
        fast path of an agent's single decision; :meth:`sample` draws ``u`` itself).

        Parameters
        ----------
        row : list of float
            The ``K`` action values of one state.
        u : float
            A uniform draw in ``[0, 1)``.
        step : int or float, default 0
            Where a temperature schedule is evaluated.

        Returns
        -------
        int

        Raises
        ------
        ValueError
            An empty row, NaN in it, or a policy with one temperature per row.

        Examples
        --------
        >>> from boltzmann_rl.policies import Boltzmann
        >>> pi = Boltzmann(temperature=1.0)     # probabilities 0.269, 0.731
        >>> pi.sample_row([0.0, 1.0], 0.2), pi.sample_row([0.0, 1.0], 0.3)
        (0, 1)
        """
        t = self._fixed
        if t is None:
            t = self._row_temperature(step)
        _check_row(row, u)
        return small_choice(row, t, u)

    def probs_row(self, row: list[float], *, step: Any = 0) -> list[float]:
        """``probs`` of one row of action values, as a list of floats, in pure Python.

        Parameters
        ----------
        row : list of float
        step : int or float, default 0

        Returns
        -------
        list of float

        Raises
        ------
        ValueError
            As :meth:`sample_row`.

        Examples
        --------
        >>> from boltzmann_rl.policies import Boltzmann
        >>> [round(p, 4) for p in Boltzmann(temperature=1.0).probs_row([0.0, 1.0])]
        [0.2689, 0.7311]
        """
        t = self._fixed
        if t is None:
            t = self._row_temperature(step)
        _check_row(row)
        return small_probs(row, t)

    def _row_temperature(self, step: Any) -> float:
        if isinstance(self.temperature, np.ndarray):
            raise ValueError(
                "boltzmann: sample_row and probs_row need one temperature, this policy has "
                f"one per row: {self.temperature}"
            )
        return self.temperature(step)

    def log_prob(self, q: Any, action: Any, *, step: Any = 0, counts: Any = None) -> Any:
        """``log_softmax(q, T)`` at ``action``, exact even where the probability underflows."""
        lp = log_softmax(_values(q), _evaluate(self.temperature, step))
        a = _actions(action, lp)
        out = np.take_along_axis(lp, a[..., None], axis=-1)[..., 0]
        return float(out) if out.ndim == 0 else out

    def entropy(self, q: Any, *, step: Any = 0, counts: Any = None) -> Any:
        """Entropy of ``softmax(q, T)`` in nats (:func:`boltzmann_rl.softmax_entropy`)."""
        h = softmax_entropy(_values(q), _evaluate(self.temperature, step))
        return float(h) if np.ndim(h) == 0 else h


@register_policy
class Greedy(_Base):
    """Always the best action; ties broken uniformly at random (never "first index wins").

    The same as :class:`Boltzmann` at temperature 0.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.policies import Greedy
    >>> Greedy().probs(np.array([3.0, 1.0, 3.0]))
    array([0.5, 0. , 0.5])
    >>> Greedy()
    greedy
    """

    text_name = "greedy"

    def probs(self, q: Any, *, step: Any = 0, counts: Any = None) -> np.ndarray:
        """One-hot on the argmax, or split equally among tied maxima."""
        return softmax(_values(q), 0.0)

    def sample(self, q: Any, rng: Any, *, step: Any = 0, counts: Any = None) -> int | np.ndarray:
        """An argmax of each row, uniformly among ties."""
        if type(q) is not np.ndarray or q.ndim != 1:
            q = _values(q)
        return softmax_sample(q, rng, 0.0)  # a single row takes the core's Python path

    def sample_row(self, row: list[float], u: float, *, step: Any = 0) -> int:
        """An argmax of a list of action values, ties split by the uniform ``u`` in [0, 1).

        See :meth:`Boltzmann.sample_row`.

        Examples
        --------
        >>> from boltzmann_rl.policies import Greedy
        >>> Greedy().sample_row([1.0, 3.0, 3.0], 0.2), Greedy().sample_row([1.0, 3.0, 3.0], 0.7)
        (1, 2)
        """
        _check_row(row, u)
        return small_choice(row, 0.0, u)

    def probs_row(self, row: list[float], *, step: Any = 0) -> list[float]:
        """``probs`` of one row as a list of floats (see :meth:`Boltzmann.probs_row`).

        Examples
        --------
        >>> from boltzmann_rl.policies import Greedy
        >>> Greedy().probs_row([1.0, 3.0, 3.0])
        [0.0, 0.5, 0.5]
        """
        _check_row(row)
        return small_probs(row, 0.0)


@register_policy
class EpsilonGreedy(_Base):
    r"""ε-greedy: with probability ε a uniformly random action, else the greedy one.

    :math:`\pi(a) = (1 - \varepsilon)\,\mathrm{greedy}(a) + \varepsilon / K`, the
    greedy part split equally among tied maxima.

    Parameters
    ----------
    epsilon : float, Schedule or array_like, default 0.1
        In ``[0, 1]``: a number, a schedule evaluated at ``step``, or one value per row.

    Raises
    ------
    ValueError
        ε outside ``[0, 1]`` or NaN (for a schedule, when a value leaves the range).

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.policies import EpsilonGreedy
    >>> from boltzmann_rl.schedules import Linear
    >>> pi = EpsilonGreedy(epsilon=Linear(1.0, 0.0, 10))
    >>> pi
    egreedy(epsilon=linear(1.0, 0.0, 10))
    >>> pi.probs(np.array([0.0, 1.0]), step=5)
    array([0.25, 0.75])
    """

    text_name = "egreedy"
    _fields = ("epsilon",)
    epsilon: Any  # a number, a Schedule or a per-row float64 array
    _fixed: float | None  # epsilon when it is a Constant, else None

    def __init__(self, epsilon: Any = 0.1) -> None:
        eps = _parameter(epsilon, "epsilon", "egreedy", at_most=1.0)
        object.__setattr__(self, "epsilon", eps)
        object.__setattr__(self, "_fixed", eps.value if isinstance(eps, Constant) else None)

    def _epsilon(self, step: Any) -> Any:
        eps = _evaluate(self.epsilon, step)
        if not isinstance(self.epsilon, Constant | np.ndarray):
            e = np.asarray(eps)
            if not ((e >= 0) & (e <= 1)).all():
                raise ValueError(
                    f"egreedy: epsilon schedule {self.epsilon!r} left [0, 1]: "
                    f"{e[~((e >= 0) & (e <= 1))].flat[0]} at step {step}"
                )
        return eps

    def probs(self, q: Any, *, step: Any = 0, counts: Any = None) -> np.ndarray:
        """``(1 - ε) greedy + ε / K``."""
        qv = _values(q)
        eps = np.asarray(self._epsilon(step), dtype=np.float64)[..., None]
        greedy = softmax(qv, 0.0)
        return (1.0 - eps) * greedy + eps / qv.shape[-1]

    def sample(self, q: Any, rng: Any, *, step: Any = 0, counts: Any = None) -> int | np.ndarray:
        """One uniform per row decides explore (and which action) or exploit."""
        gen = as_generator(rng)
        if (
            type(q) is np.ndarray
            and q.ndim == 1
            and (self._fixed is not None or type(step) in (int, float))
        ):
            # one decision: plain floats, one uniform for the coin and the action
            return self.sample_row(q.tolist(), gen.random(), step=step)
        qv = _values(q)
        eps = np.asarray(self._epsilon(step), dtype=np.float64)
        k = qv.shape[-1]
        greedy = np.asarray(softmax_sample(qv, gen, 0.0))
        u = gen.random(qv.shape[:-1])
        explore = u < eps
        with np.errstate(divide="ignore", invalid="ignore"):
            uniform = np.minimum((u / np.where(explore, eps, 1.0) * k).astype(np.int64), k - 1)
        out = np.where(explore, uniform, greedy).astype(np.int64)
        return int(out) if out.ndim == 0 else out

    def sample_row(self, row: list[float], u: float, *, step: Any = 0) -> int:
        """One decision from a list of action values and one uniform ``u`` in [0, 1).

        ``u < ε`` explores: action ``floor(u / ε * K)``, uniform given ``u < ε``.
        Otherwise ``(u - ε) / (1 - ε)``, uniform again, breaks ties among the maxima.
        See :meth:`Boltzmann.sample_row`.

        Examples
        --------
        >>> from boltzmann_rl.policies import EpsilonGreedy
        >>> pi = EpsilonGreedy(epsilon=0.2)
        >>> pi.sample_row([0.0, 5.0, 1.0, 2.0], 0.5)      # u >= 0.2: the greedy action
        1
        >>> pi.sample_row([0.0, 5.0, 1.0, 2.0], 0.02), pi.sample_row([0.0, 5.0, 1.0, 2.0], 0.17)
        (0, 3)
        """
        _check_row(row, u)
        eps = self._fixed
        if eps is None:
            eps = self._row_epsilon(step)
        if u < eps:
            k = len(row)
            return min(int(u / eps * k), k - 1)
        return small_choice(row, 0.0, (u - eps) / (1.0 - eps))

    def probs_row(self, row: list[float], *, step: Any = 0) -> list[float]:
        """``probs`` of one row as a list of floats (see :meth:`Boltzmann.probs_row`).

        Examples
        --------
        >>> from boltzmann_rl.policies import EpsilonGreedy
        >>> EpsilonGreedy(epsilon=0.5).probs_row([0.0, 1.0])
        [0.25, 0.75]
        """
        _check_row(row)
        eps = self._fixed
        if eps is None:
            eps = self._row_epsilon(step)
        explore = eps / len(row)
        keep = 1.0 - eps
        return [keep * g + explore for g in small_probs(row, 0.0)]

    def _row_epsilon(self, step: Any) -> float:
        if isinstance(self.epsilon, np.ndarray):
            raise ValueError(
                f"egreedy: sample_row and probs_row need one epsilon, this policy has one "
                f"per row: {self.epsilon}"
            )
        eps = self.epsilon(step)
        if not 0.0 <= eps <= 1.0:
            eps = float(self._epsilon(step))  # raises, naming the value
        return eps


@register_policy
class UCB(_Base):
    r"""Upper confidence bound action selection (UCB1 with an exploration weight ``c``).

    Plays an argmax of :math:`q_a + c \sqrt{\ln t / N_a}`, with ``N`` the per-action
    counts and ``t = Σ_a N_a`` the plays so far; actions never played (``N_a = 0``)
    come first, uniformly among them; ties are broken uniformly at random.

    Parameters
    ----------
    c : float, default 2.0
        Exploration weight, finite and ``>= 0``.

    References
    ----------
    .. [1] P. Auer, N. Cesa-Bianchi and P. Fischer, "Finite-time analysis of the
       multiarmed bandit problem", Machine Learning 47, 2002.
    .. [2] Sutton and Barto, 2nd ed., sec. 2.7.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.policies import UCB
    >>> pi = UCB(c=2)
    >>> pi.probs(np.array([0.5, 0.0, 0.0]), counts=np.array([3, 1, 0]))
    array([0., 0., 1.])
    >>> pi.probs(np.array([0.5, 0.0]), counts=np.array([10, 1])).tolist()
    [0.0, 1.0]
    """

    text_name = "ucb"
    needs_counts = True
    _fields = ("c",)
    c: float

    def __init__(self, c: float = 2.0) -> None:
        object.__setattr__(self, "c", _nonnegative_number(c, "c", "ucb"))

    def scores(self, q: Any, counts: Any) -> np.ndarray:
        """The upper bounds ``q + c sqrt(ln t / N)``, ``+inf`` for unplayed actions."""
        qv = _values(q)
        n = _counts(counts, qv, "ucb")
        log_t = np.log(np.maximum(n.sum(axis=-1, keepdims=True), 1.0))
        out = np.empty(np.broadcast_shapes(qv.shape, n.shape), dtype=np.result_type(qv, log_t))
        return ucb_scores(qv, n, log_t, self.c, out)

    def probs(self, q: Any, *, step: Any = 0, counts: Any = None) -> np.ndarray:
        """One-hot on the best bound (split among ties and among unplayed actions)."""
        return softmax(self.scores(q, counts), 0.0)

    def sample(self, q: Any, rng: Any, *, step: Any = 0, counts: Any = None) -> int | np.ndarray:
        """An argmax of the bounds, uniformly among ties."""
        return softmax_sample(self.scores(q, counts), rng, 0.0)


# BoltzmannGumbel.probs: 16-point Gauss-Legendre panels, the uniform panels over the
# integration range, the exponents at which each factor's panels are cut, the log-drop
# from the peak where the range ends, at most this many factors cut, and the most
# elements one block of rows may hold.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)
_BG_PANELS = 16
_BG_MARKS = np.array([-3.0, 0.0, 3.0, 10.0])
_BG_DROP = 40.0
_BG_CUT = 8
_BG_BLOCK = 1 << 22
_BG_BISECT = 30
_BG_NEWTON = 6
_BG_BRACKET = np.concatenate([[0.0], 2.0 ** (-np.arange(160, -1, -1) / 4)])
_BG_LADDER = 2.0 ** (np.arange(241) / 4)


@register_policy
class BoltzmannGumbel(_Base):
    r"""Boltzmann-Gumbel exploration (Cesa-Bianchi, Gentile, Lugosi and Neu, 2017).

    Plays an argmax of :math:`q_i + \beta_i Z_i` with :math:`Z_i` independent
    standard Gumbel variables and :math:`\beta_i = c / \sqrt{N_i}`; actions never
    played come first, uniformly among them. With equal counts this is exactly
    the Boltzmann policy at temperature ``β`` (the Gumbel-max trick); with unequal
    counts, rarely played actions get more noise, which is what makes the rule
    consistent where a fixed-temperature Boltzmann policy is not.

    Parameters
    ----------
    c : float, default 1.0
        Scale of the perturbations, finite and ``>= 0`` (``0`` is greedy).

    Notes
    -----
    ``sample`` draws the perturbations. ``probs`` has no closed form for unequal
    counts; it is computed by numerical integration over the perturbation
    :math:`z` of action :math:`i`,
    :math:`P_i = \int e^{h_i(z)}\,dz` with
    :math:`h_i(z) = -z - e^{-z} - \sum_{j \ne i} \exp(-(q_i - q_j + \beta_i z)/\beta_j)`
    (the Gumbel density of :math:`Z_i` times the probability that every other action
    scores less), in log space: :math:`h_i` is concave, so its peak is found by
    bisection and Newton's method on :math:`h_i'`, the range is where
    :math:`h_i` is within 40 of the peak,
    and 16-point Gauss-Legendre panels cover it, uniformly and cut where each of the
    (at most 8) sharpest factors changes, with the sum taken by log-sum-exp. Small
    probabilities therefore have *relative* accuracy: against a reference at
    ``rtol=1e-13`` (``scipy.integrate.quad``) the relative error is below 1e-10 for
    count ratios up to 1e3, and about 1e-7 at a ratio of 1e6; ``log_prob`` is right
    to that relative error, and ``entropy`` inherits it.

    References
    ----------
    .. [1] N. Cesa-Bianchi, C. Gentile, G. Lugosi and G. Neu, "Boltzmann Exploration
       Done Right", NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.policies import Boltzmann, BoltzmannGumbel
    >>> q, n = np.array([0.0, 1.0, 0.5]), np.array([4, 4, 4])
    >>> pi = BoltzmannGumbel(c=1.0)
    >>> bool(np.allclose(pi.probs(q, counts=n), Boltzmann(0.5).probs(q), atol=1e-6))
    True
    >>> pi.sample(q, rng=np.random.default_rng(0), counts=np.array([4, 4, 0]))
    2
    """

    text_name = "bgumbel"
    needs_counts = True
    _fields = ("c",)
    c: float

    def __init__(self, c: float = 1.0) -> None:
        object.__setattr__(self, "c", _nonnegative_number(c, "c", "bgumbel"))

    def _setup(self, q: Any, counts: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        qv = _values(q).astype(np.float64)
        if np.isnan(qv).any():
            raise ValueError(f"action values contain NaN (shape {qv.shape})")
        n = _counts(counts, qv, "bgumbel")
        unplayed = n == 0
        with np.errstate(divide="ignore", invalid="ignore"):  # unplayed: never used
            beta = self.c / np.sqrt(n)
        return qv, beta, unplayed

    def sample(self, q: Any, rng: Any, *, step: Any = 0, counts: Any = None) -> int | np.ndarray:
        """An argmax of ``q + β Z`` (unplayed actions first, uniformly among them)."""
        qv, beta, unplayed = self._setup(q, counts)
        gen = as_generator(rng)
        z = gen.gumbel(size=qv.shape)
        with np.errstate(invalid="ignore"):
            scores = np.where(unplayed, np.inf, qv + np.where(unplayed, 0.0, beta) * z)
        return softmax_sample(scores, gen, 0.0)

    def probs(self, q: Any, *, step: Any = 0, counts: Any = None) -> np.ndarray:
        """Action probabilities by quadrature (see Notes); exact for unplayed and c = 0."""
        qv, beta, unplayed = self._setup(q, counts)
        any_unplayed = unplayed.any(axis=-1, keepdims=True)
        if self.c == 0.0:
            out = softmax(qv, 0.0)
        else:
            out = self._quadrature(qv, np.where(unplayed, 1.0, beta))
        uniform_unplayed = unplayed / np.maximum(unplayed.sum(axis=-1, keepdims=True), 1)
        return np.where(any_unplayed, uniform_unplayed, out)

    @staticmethod
    def _quadrature(q: np.ndarray, beta: np.ndarray) -> np.ndarray:
        # Infinite values, as in the core: -inf is an action never taken (and never
        # beats another: G = 1 against it), +inf entries share all the mass. They get
        # finite stand-ins in the arithmetic and their terms are set afterwards.
        excluded, winners = q == -np.inf, q == np.inf
        special = bool((excluded | winners).any())
        if special:
            if excluded.all(axis=-1).any():
                raise ValueError("bgumbel: every action value of a row is -inf")
            q = np.where(excluded | winners, 0.0, q)
        k = q.shape[-1]
        # rows in blocks, so that the (rows, K, K, nodes) arrays stay small
        nodes = (_BG_PANELS + len(_BG_MARKS) * min(k - 1, _BG_CUT) + 1) * len(_GL_X)
        flat_q = q.reshape(-1, k)
        flat_b = beta.reshape(-1, k)
        flat_x = np.broadcast_to(excluded, q.shape).reshape(-1, k)
        block = max(1, _BG_BLOCK // (k * k * nodes))
        log_p: np.ndarray = np.empty(flat_q.shape)
        for r0 in range(0, flat_q.shape[0], block):
            rows = slice(r0, r0 + block)
            log_p[rows] = _gumbel_log_probs(flat_q[rows], flat_b[rows], flat_x[rows])
        log_p = log_p.reshape(q.shape)
        if special:
            log_p = np.where(excluded, -np.inf, log_p)
        top = log_p.max(axis=-1, keepdims=True)
        lost = ~np.isfinite(top)  # no mass found at all: only at absurd scales
        if lost.any():
            log_p = np.where(lost, np.where(excluded, -np.inf, 0.0), log_p)
            top = np.where(lost, 0.0, top)
        p = np.exp(log_p - top)
        out = p / p.sum(axis=-1, keepdims=True)
        if special and winners.any():
            share = winners / np.maximum(winners.sum(axis=-1, keepdims=True), 1)
            out = np.where(winners.any(axis=-1, keepdims=True), share, out)
        return out


def _gumbel_log_probs(q: np.ndarray, beta: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """``log P_i`` of :class:`BoltzmannGumbel` for rows ``(n, K)`` (see its Notes).

    Extreme scales (a beta of 1e-300) send the range of z to +-inf: every intermediate
    is then an exact limit (0, 1 or +-inf) or NaN, which is read as "no mass".
    """
    with np.errstate(all="ignore"):
        out = _gumbel_log_probs_raw(q, beta, excluded)
    return np.where(np.isnan(out), -np.inf, out)


def _gumbel_log_probs_raw(q: np.ndarray, beta: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    n, k = q.shape
    d = q[:, :, None] - q[:, None, :]  # d[r, i, j] = q_i - q_j
    ratio = beta[:, :, None] / beta[:, None, :]  # beta_i / beta_j
    mask = ~np.eye(k, dtype=bool)[None] & ~excluded[:, None, :]  # the factors j of P_i
    b_i, b_j = beta[:, :, None, None], beta[:, None, :, None]
    d4, r4, m4 = d[..., None], ratio[..., None], mask[..., None]

    def h(z: np.ndarray, derivatives: bool = False) -> Any:
        # z: (n, K_i, m). A tiny beta sends exponents to +-inf: exp gives exactly the
        # limit (a factor of 1 or 0), never a warning.
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            e = np.where(m4, np.exp(-(d4 + b_i * z[:, :, None, :]) / b_j), 0.0)
            ez = np.exp(-z)
            value = -z - ez - e.sum(axis=2)
            if not derivatives:
                return value
            return value, -1.0 + ez + (r4 * e).sum(axis=2), -ez - (r4 * r4 * e).sum(axis=2)

    # The peak: h' decreases, is > 0 for z < 0 (e^-z > 1) and < 0 beyond hi.
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        hi = (beta[:, None, :] * np.log(2 * k * ratio) - d) / beta[:, :, None]
        hi = np.maximum(np.where(mask, hi, -np.inf).max(axis=-1, initial=-np.inf), np.log(2.0))
    hi = hi + 1.0
    # Bracket the peak on a geometric ladder below hi (h' is decreasing: the last
    # point where it is > 0 and the next), then narrow it by bisection and Newton's
    # method on h' (a step that leaves the bracket bisects).
    ladder = hi[..., None] * _BG_BRACKET
    up = h(ladder, True)[1] > 0
    last = np.clip(up.sum(axis=-1) - 1, 0, ladder.shape[-1] - 2)
    lo = np.take_along_axis(ladder, last[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(ladder, last[..., None] + 1, axis=-1)[..., 0]
    z0 = 0.5 * (lo + hi)
    # bisection first (Newton crawls on the steep side of a sharp factor), then Newton
    for i in range(_BG_BISECT + _BG_NEWTON):
        _, slope, curve = (v[..., 0] for v in h(z0[..., None], True))
        up = slope > 0
        lo, hi = np.where(up, z0, lo), np.where(up, hi, z0)
        step = z0 - slope / curve if i >= _BG_BISECT else np.nan
        inside = (step > lo) & (step < hi) & np.isfinite(step)
        z0 = np.where(inside, step, 0.5 * (lo + hi))
    peak_z = z0
    peak, _, curve = (v[..., 0] for v in h(peak_z[..., None], True))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 1.0 / np.sqrt(-curve)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    # The range: where h has dropped by _BG_DROP on each side (h is concave, so the
    # drop only grows), found on a geometric ladder of offsets, 19 % apart.
    target = peak - _BG_DROP
    ends = []
    for sign in (-1.0, 1.0):
        at = peak_z[..., None] + sign * scale[..., None] * _BG_LADDER
        far = h(at) < target[..., None]
        ends.append(np.take_along_axis(at, np.argmax(far, axis=-1)[..., None], axis=-1)[..., 0])
    za, zb = ends
    # Panels: uniform over [za, zb], cut where the sharpest factors change.
    uniform = za[..., None] + (zb - za)[..., None] * np.linspace(0.0, 1.0, _BG_PANELS + 1)
    sharp = np.argsort(np.where(mask, -ratio, np.inf), axis=-1)[..., : min(k - 1, _BG_CUT)]
    b_sharp = np.take_along_axis(np.broadcast_to(beta[:, None, :], d.shape), sharp, axis=-1)
    d_sharp = np.take_along_axis(d, sharp, axis=-1)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        cuts = (b_sharp[..., None] * _BG_MARKS - d_sharp[..., None]) / beta[:, :, None, None]
    cuts = np.where(np.isfinite(cuts), cuts, za[..., None, None]).reshape(n, k, -1)
    edges = np.sort(
        np.clip(np.concatenate([uniform, cuts], axis=-1), za[..., None], zb[..., None]), axis=-1
    )
    mid = (edges[..., 1:] + edges[..., :-1]) / 2
    half = (edges[..., 1:] - edges[..., :-1]) / 2
    z = (mid[..., None] + half[..., None] * _GL_X).reshape(n, k, -1)
    with np.errstate(divide="ignore"):
        terms = h(z) + np.log((half[..., None] * _GL_W).reshape(n, k, -1))
    top = terms.max(axis=-1)
    with np.errstate(invalid="ignore", under="ignore"):
        total = np.exp(terms - top[..., None]).sum(axis=-1)
        out = top + np.log(total)
    return np.where(np.isfinite(top), out, -np.inf)
