"""Gymnasium spaces as table indices: observations to rows, rows' columns to actions.

A tabular agent needs every observation as one integer ``0 <= s < n_states`` and
every action as one integer ``0 <= a < n_actions``. This module maps gymnasium's
discrete spaces onto those ranges, honouring their ``start``:

==========================================  =============================================
space                                       table index
==========================================  =============================================
``Discrete(n, start)`` observation          ``obs - start``
``MultiDiscrete(nvec, start)`` observation  row-major (C order) index of ``obs - start``
``Tuple`` of discrete parts                 row-major index of the parts' indices (nested
                                            ``Tuple`` and ``MultiDiscrete`` parts allowed)
``Discrete(n, start)`` action               the agent's ``a`` is the env's ``a + start``
``Box`` observation                         not tabular: see :class:`~boltzmann_rl.gym.
                                            tiles.TileCoder`
==========================================  =============================================

Any other space raises :class:`UnsupportedSpaceError`, a ``ValueError`` whose message
names the space and lists what is supported.

Observations are checked against their space, never reinterpreted: an index refuses
a value outside its range or not an integer (``7`` or ``1.5`` in ``Discrete(3)``, and
``-1``, which numpy would read as the last table row), and :func:`checked_observe`
puts the same check in front of any other observation map (a ``Box`` observation that
is NaN or outside its bounds is refused before the tile coder clips it). Each refusal
is a ``ValueError`` naming the value and the space.

Examples
--------
>>> from gymnasium.spaces import Discrete, MultiDiscrete, Tuple
>>> from boltzmann_rl.gym.spaces import observation_index
>>> index = observation_index(Tuple((Discrete(3, start=1), Discrete(2))))
>>> index.n
6
>>> index((1, 0)), index((1, 1)), index((3, 1))
(0, 1, 5)
>>> observation_index(MultiDiscrete([2, 3], start=[0, 10]))((1, 12))
5
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from gymnasium import spaces

__all__ = [
    "ActionMap",
    "DiscreteIndex",
    "TupleIndex",
    "UnsupportedSpaceError",
    "action_map",
    "observation_index",
]

_OBS_SUPPORTED = (
    "supported observation spaces: Discrete (any start), MultiDiscrete (any start), "
    "Tuple of those (nested allowed), and Box through a tile coder "
    "(boltzmann_rl.gym.TileCoder, used automatically by make_agent)"
)
_ACT_SUPPORTED = "supported action spaces: Discrete (any start)"


class UnsupportedSpaceError(ValueError):
    """A gymnasium space the agents cannot handle; the message names the space.

    Examples
    --------
    >>> from gymnasium.spaces import MultiBinary
    >>> from boltzmann_rl.gym.spaces import UnsupportedSpaceError, observation_index
    >>> try:
    ...     observation_index(MultiBinary(3))
    ... except UnsupportedSpaceError as exc:
    ...     print(str(exc)[:68])
    observation space MultiBinary(3) is not tabular; supported observati
    >>> issubclass(UnsupportedSpaceError, ValueError)
    True
    """


def _unsupported(role: str, space: Any, why: str, supported: str) -> UnsupportedSpaceError:
    return UnsupportedSpaceError(f"{role} space {space!r} is not {why}; {supported}")


class DiscreteIndex:
    """Table index of a ``Discrete(n, start)`` observation: ``obs - start``.

    Parameters
    ----------
    n : int
        Number of values (the number of table rows).
    start : int, default 0
        The smallest value.

    Attributes
    ----------
    n : int
        Number of table rows.

    Examples
    --------
    >>> from boltzmann_rl.gym.spaces import DiscreteIndex
    >>> index = DiscreteIndex(4, start=-2)
    >>> index(-2), index(1)
    (0, 3)
    >>> index.batch([1, -2]).tolist()
    [3, 0]
    >>> index(2)
    Traceback (most recent call last):
    ...
    ValueError: observation 2 is outside Discrete(4, start=-2)
    >>> DiscreteIndex(3)(1.5)
    Traceback (most recent call last):
    ...
    ValueError: observation 1.5 is outside Discrete(3) (not an integer)
    """

    __slots__ = ("n", "start")

    def __init__(self, n: int, start: int = 0) -> None:
        self.n = int(n)
        self.start = int(start)

    def _space(self) -> str:
        return (
            f"Discrete({self.n})" if self.start == 0 else f"Discrete({self.n}, start={self.start})"
        )

    def __call__(self, obs: Any) -> int:
        """Return the table index of one observation."""
        try:
            v = int(obs)
        except (TypeError, ValueError, OverflowError):  # NaN, inf, None, an array
            raise ValueError(
                f"observation {obs!r} is outside {self._space()} (not an integer)"
            ) from None
        if v != obs:
            raise ValueError(f"observation {obs!r} is outside {self._space()} (not an integer)")
        i = v - self.start
        if 0 <= i < self.n:
            return i
        raise ValueError(f"observation {obs!r} is outside {self._space()}")

    def batch(self, obs: Any) -> np.ndarray:
        """Return the table indices of a batch of observations (shape ``(n_envs,)``)."""
        raw = np.asarray(obs).reshape(-1)
        if raw.dtype.kind not in "iub":
            with np.errstate(invalid="ignore"):
                whole = np.isfinite(raw) & (raw == np.trunc(raw)) if raw.dtype.kind == "f" else 0
            if raw.size and not np.all(whole):
                raise ValueError(
                    f"observations {raw.tolist()} are outside {self._space()} (not integers)"
                )
        i = raw.astype(np.int64) - self.start
        if i.size and (i.min() < 0 or i.max() >= self.n):
            raise ValueError(f"observations {raw.tolist()} are outside {self._space()}")
        return i

    def __repr__(self) -> str:
        return f"DiscreteIndex({self.n}, start={self.start})"


class TupleIndex:
    """Row-major table index of several discrete parts (a ``Tuple`` or ``MultiDiscrete``).

    The first part is the most significant digit, as in
    :func:`numpy.ravel_multi_index`.

    Parameters
    ----------
    sizes : sequence of int
        Number of values of each part (after flattening nested parts).
    starts : sequence of int
        The smallest value of each part.
    nested : tuple, optional
        For a ``Tuple`` space: the number of flat parts of each element (1 for a
        ``Discrete``, ``nvec.size`` for a ``MultiDiscrete``, recursively for a
        nested ``Tuple``); ``None`` for a flat sequence of integers.

    Attributes
    ----------
    n : int
        Number of table rows: the product of ``sizes``.

    Examples
    --------
    >>> from boltzmann_rl.gym.spaces import TupleIndex
    >>> index = TupleIndex([2, 3], [0, 0])
    >>> index((1, 2)), index.n
    (5, 6)
    """

    __slots__ = ("n", "nested", "sizes", "starts", "strides")

    def __init__(self, sizes: Any, starts: Any, nested: Any = None) -> None:
        self.sizes = tuple(int(v) for v in sizes)
        self.starts = tuple(int(v) for v in starts)
        self.nested = nested
        strides = []
        acc = 1
        for size in reversed(self.sizes):
            strides.append(acc)
            acc *= size
        self.strides = tuple(reversed(strides))
        self.n = acc

    def _flat(self, obs: Any) -> list[int]:
        if self.nested is None:
            values = np.asarray(obs).reshape(-1).tolist()
        else:
            values = _flatten(obs, self.nested)
        try:
            flat = [int(v) for v in values]
        except (TypeError, ValueError, OverflowError):
            flat = None
        if flat is None or flat != values:  # 1.5 or NaN, which int() truncates or refuses
            raise ValueError(f"observation {obs!r} is outside the space (not integers)")
        return flat

    def __call__(self, obs: Any) -> int:
        """Return the table index of one observation."""
        values = self._flat(obs)
        if len(values) != len(self.sizes):
            raise ValueError(
                f"observation {obs!r} has {len(values)} parts, expected {len(self.sizes)}"
            )
        i = 0
        for v, start, size, stride in zip(values, self.starts, self.sizes, self.strides):
            d = v - start
            if not 0 <= d < size:
                raise ValueError(
                    f"observation {obs!r}: part value {v} is outside [{start}, {start + size})"
                )
            i += d * stride
        return i

    def batch(self, obs: Any) -> np.ndarray:
        """Return the table indices of a batch of observations (one per sub-environment)."""
        if self.nested is None:
            arr = np.asarray(obs, dtype=np.int64)
            arr = arr.reshape(arr.shape[0], -1)
        else:
            columns = _flatten_batch(obs, self.nested)
            arr = np.stack([np.asarray(c, dtype=np.int64).reshape(-1) for c in columns], axis=1)
        d = arr - np.asarray(self.starts, dtype=np.int64)
        sizes = np.asarray(self.sizes, dtype=np.int64)
        if d.size and ((d < 0).any() or (d >= sizes).any()):
            raise ValueError(f"observations {arr.tolist()} are outside the space's ranges")
        return d @ np.asarray(self.strides, dtype=np.int64)

    def __repr__(self) -> str:
        return f"TupleIndex(sizes={list(self.sizes)}, starts={list(self.starts)})"


def _flatten(obs: Any, nested: tuple) -> list[Any]:
    out: list[int] = []
    for part, spec in zip(obs, nested):
        if spec == 1:
            out.append(part.item() if isinstance(part, np.generic) else part)
        elif isinstance(spec, tuple):
            out.extend(_flatten(part, spec))
        else:
            out.extend(np.asarray(part).reshape(-1).tolist())
    return out


def _flatten_batch(obs: Any, nested: tuple) -> list[Any]:
    """Columns (one per flat part) of a batched ``Tuple`` observation."""
    out: list[Any] = []
    for part, spec in zip(obs, nested):
        if spec == 1:
            out.append(part)
        elif isinstance(spec, tuple):
            out.extend(_flatten_batch(part, spec))
        else:
            arr = np.asarray(part)
            arr = arr.reshape(arr.shape[0], -1)
            out.extend(arr[:, j] for j in range(arr.shape[1]))
    return out


def _parts(space: Any) -> tuple[list[int], list[int], Any]:
    """Sizes, starts and nesting of a Discrete / MultiDiscrete / Tuple space."""
    if isinstance(space, spaces.Discrete):
        return [int(space.n)], [int(space.start)], 1
    if isinstance(space, spaces.MultiDiscrete):
        nvec = np.asarray(space.nvec).reshape(-1)
        start = np.asarray(space.start).reshape(-1)
        return nvec.tolist(), start.tolist(), int(nvec.size)
    if isinstance(space, spaces.Tuple):
        sizes: list[int] = []
        starts: list[int] = []
        nested = []
        for part in space.spaces:
            s, st, nest = _parts(part)
            sizes += s
            starts += st
            nested.append(nest)
        return sizes, starts, tuple(nested)
    raise TypeError(repr(space))


def observation_index(space: Any) -> DiscreteIndex | TupleIndex:
    """Return the table index for an observation space.

    Parameters
    ----------
    space : gymnasium.spaces.Space
        ``Discrete``, ``MultiDiscrete``, or a (possibly nested) ``Tuple`` of those.

    Returns
    -------
    DiscreteIndex or TupleIndex
        Callable on one observation (returns an ``int``), with ``.batch(obs)`` for
        the batched observations of a vector environment and ``.n`` the number of
        table rows.

    Raises
    ------
    UnsupportedSpaceError
        For any other space (a ``Box`` needs a tile coder; ``Text``, ``Dict``,
        ``Graph`` ... are not supported); the message names the space.

    Examples
    --------
    >>> from gymnasium.spaces import Box, Discrete
    >>> from boltzmann_rl.gym.spaces import observation_index
    >>> observation_index(Discrete(16)).n
    16
    >>> observation_index(Box(0.0, 1.0, (2,)))
    Traceback (most recent call last):
    ...
    boltzmann_rl.gym.spaces.UnsupportedSpaceError: observation space Box(0.0, 1.0, (2,), float32) is not tabular (a Box needs a tile coder); supported ...
    """  # noqa: E501
    if isinstance(space, spaces.Discrete):
        return DiscreteIndex(int(space.n), int(space.start))
    why = "tabular"
    if isinstance(space, spaces.Box):
        why = "tabular (a Box needs a tile coder)"
    elif isinstance(space, spaces.MultiDiscrete | spaces.Tuple):
        try:
            sizes, starts, nested = _parts(space)
        except TypeError as exc:
            raise _unsupported(
                "observation",
                space,
                f"tabular: its part {exc} is not discrete",
                _OBS_SUPPORTED,
            ) from None
        if math.prod(sizes) > 2**31:
            raise _unsupported(
                "observation",
                space,
                f"tabular: {math.prod(sizes)} states do not fit in a table",
                _OBS_SUPPORTED,
            )
        return TupleIndex(
            sizes, starts, None if isinstance(space, spaces.MultiDiscrete) else nested
        )
    raise _unsupported("observation", space, why, _OBS_SUPPORTED)


class ActionMap:
    """The agent's actions ``0 .. n-1`` as the actions of a ``Discrete(n, start)`` space.

    Parameters
    ----------
    n : int
        Number of actions.
    start : int, default 0
        The environment's smallest action.

    Examples
    --------
    >>> from boltzmann_rl.gym.spaces import ActionMap
    >>> actions = ActionMap(3, start=-1)
    >>> actions.to_env(0), actions.to_env(2), actions.from_env(1)
    (-1, 1, 2)
    """

    __slots__ = ("n", "start")

    def __init__(self, n: int, start: int = 0) -> None:
        self.n = int(n)
        self.start = int(start)

    def to_env(self, action: Any) -> Any:
        """Return the environment's action for the agent's ``action`` (int or array)."""
        return action + self.start

    def from_env(self, action: Any) -> Any:
        """Return the agent's action for the environment's ``action`` (int or array)."""
        return action - self.start

    def __repr__(self) -> str:
        return f"ActionMap({self.n}, start={self.start})"


def action_map(space: Any) -> ActionMap:
    """Return the :class:`ActionMap` of a ``Discrete`` action space.

    Parameters
    ----------
    space : gymnasium.spaces.Space
        Must be ``Discrete(n, start)``.

    Returns
    -------
    ActionMap

    Raises
    ------
    UnsupportedSpaceError
        For any other action space; the message names it.

    Examples
    --------
    >>> from gymnasium.spaces import Box, Discrete
    >>> from boltzmann_rl.gym.spaces import action_map
    >>> action_map(Discrete(4, start=1))
    ActionMap(4, start=1)
    >>> action_map(Box(-1.0, 1.0, (1,)))
    Traceback (most recent call last):
    ...
    boltzmann_rl.gym.spaces.UnsupportedSpaceError: action space Box(-1.0, 1.0, (1,), float32) is not discrete; supported action spaces: Discrete (any start)
    """  # noqa: E501
    if isinstance(space, spaces.Discrete):
        return ActionMap(int(space.n), int(space.start))
    raise _unsupported("action", space, "discrete", _ACT_SUPPORTED)


class BoxCheck:
    """An observation map preceded by a check that the observation is in its ``Box``.

    Refuses, with the value and the space in the message, an observation of the
    wrong size, with a NaN, or outside ``[low, high]`` (infinite bounds admit any
    finite or infinite value on their side). What passes goes to ``then`` unchanged.

    Parameters
    ----------
    space : gymnasium.spaces.Box
    then : callable
        The observation map (a :class:`~boltzmann_rl.gym.tiles.TileCoder`), with
        ``.batch`` if batches are checked.

    Examples
    --------
    >>> from gymnasium.spaces import Box
    >>> from boltzmann_rl.gym.spaces import BoxCheck
    >>> check = BoxCheck(Box(-1.0, 1.0, (2,)), lambda x: x.tolist())
    >>> check([0.5, -1.0])
    [0.5, -1.0]
    >>> check([0.5, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: observation [0.5, 2.0] is outside Box(-1.0, 1.0, (2,), float32) (dimension 1)
    """

    __slots__ = ("high", "high_list", "low", "low_list", "n", "space", "then")

    def __init__(self, space: Any, then: Any) -> None:
        self.space = space
        self.then = then
        self.low = np.asarray(space.low, dtype=np.float64).reshape(-1)
        self.high = np.asarray(space.high, dtype=np.float64).reshape(-1)
        self.low_list = self.low.tolist()
        self.high_list = self.high.tolist()
        self.n = self.low.size

    def _refuse(self, obs: Any, x: np.ndarray) -> ValueError:
        shown = np.asarray(obs).tolist()
        if x.size != self.n:
            return ValueError(f"observation {shown!r} has {x.size} values, outside {self.space!r}")
        with np.errstate(invalid="ignore"):
            d = int(np.flatnonzero(~((x >= self.low) & (x <= self.high)))[0])
        where = f"NaN in dimension {d}" if np.isnan(x[d]) else f"dimension {d}"
        return ValueError(f"observation {shown!r} is outside {self.space!r} ({where})")

    def __call__(self, obs: Any) -> Any:
        """Check one observation, then map it."""
        x = np.asarray(obs, dtype=np.float64).reshape(-1)
        if x.size != self.n:
            raise self._refuse(obs, x)
        # a Python loop beats two numpy reductions for the few dimensions of a Box
        for v, lo, hi in zip(x.tolist(), self.low_list, self.high_list):
            if not lo <= v <= hi:  # NaN fails too
                raise self._refuse(obs, x)
        return self.then(x)

    def batch(self, obs: Any) -> Any:
        """Check a batch of observations (one row per sub-environment), then map it."""
        x = np.asarray(obs, dtype=np.float64)
        x = x.reshape(x.shape[0], -1) if x.ndim else x.reshape(1, -1)
        if x.shape[1] != self.n:
            raise self._refuse(obs, x[0])
        with np.errstate(invalid="ignore"):
            ok = (x >= self.low) & (x <= self.high)
        if not ok.all():
            row = int(np.flatnonzero(~ok.all(axis=1))[0])
            raise self._refuse(x[row], x[row])
        return self.then.batch(x)

    def __repr__(self) -> str:
        return f"BoxCheck({self.space!r}, {self.then!r})"


class _ContainsCheck:
    """Any other observation map, preceded by ``space.contains``."""

    __slots__ = ("space", "then")

    def __init__(self, space: Any, then: Any) -> None:
        self.space = space
        self.then = then

    def __call__(self, obs: Any) -> Any:
        if not self.space.contains(obs):
            raise ValueError(f"observation {obs!r} is outside {self.space!r}")
        return self.then(obs)

    def batch(self, obs: Any) -> Any:
        for row in obs:
            self(row)
        return self.then.batch(obs)


def checked_observe(space: Any, observe: Any) -> Any:
    """The observation map ``observe`` with a check that observations are in ``space``.

    The table indices of this module check already and are returned as they are; a
    ``Box`` gets a :class:`BoxCheck`; any other map is preceded by
    ``space.contains``.

    Parameters
    ----------
    space : gymnasium.spaces.Space
        The environment's (single) observation space.
    observe : callable
        The agent's observation map.

    Returns
    -------
    callable
        Maps what is in the space like ``observe``; raises ``ValueError`` naming the
        observation and the space for anything else.

    Examples
    --------
    >>> from gymnasium.spaces import Box, Discrete
    >>> from boltzmann_rl.gym.spaces import checked_observe, observation_index
    >>> index = observation_index(Discrete(3))
    >>> checked_observe(Discrete(3), index) is index
    True
    >>> checked_observe(Box(0.0, 1.0, (1,)), lambda x: x)([float("nan")])
    Traceback (most recent call last):
    ...
    ValueError: observation [nan] is outside Box(0.0, 1.0, (1,), float32) (NaN in dimension 0)
    """
    if isinstance(observe, DiscreteIndex | TupleIndex | BoxCheck | _ContainsCheck):
        return observe
    if isinstance(space, spaces.Box):
        return BoxCheck(space, observe)
    return _ContainsCheck(space, observe)
