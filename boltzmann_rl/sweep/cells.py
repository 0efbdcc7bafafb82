"""Cells: the unit of a sweep, immutable, with an id derived from its parameters.

A :class:`Cell` is everything that determines one result: the problem (a bandit
environment or a gymnasium environment id with its keyword arguments), the agent,
the policy in its canonical text form, the budget (runs and steps, or seeds and
episodes) and the study's base seed. Nothing else enters it: not the study name,
not the family label, not the position in a grid, not the worker that runs it.

Its :attr:`Cell.id` is a SHA-256 digest of the canonical JSON of those parameters,
so the same parameters always give the same id, on every machine and in every
study, and adding values to a grid leaves the ids (and the stored results) of the
existing cells untouched. The cell's random seed, :attr:`Cell.entropy`, is derived
from the same parameters through a second digest: results never depend on which
worker ran a cell, in which order, or in which batch.

Examples
--------
>>> from boltzmann_rl.sweep.cells import Cell
>>> a = Cell("bandit", "gaussian", {"arms": 10}, "action_value", {},
...          "boltzmann(temperature=0.1)", {"runs": 100, "steps": 50})
>>> b = Cell("bandit", "gaussian", {"arms": 10}, "action_value", {},
...          "boltzmann(temperature=0.1)", {"steps": 50, "runs": 100})
>>> a.id == b.id, len(a.id)
(True, 16)
>>> Cell.from_config(a.config()) == a
True
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from boltzmann_rl._checks import nonnegative_int, positive_int

__all__ = ["CELL_FORMAT", "Cell", "canonical_json"]

CELL_FORMAT = 1
"""Version of the cell parameter layout; part of every id (changing it renames every cell)."""


def _check_json_value(value: Any, where: str) -> Any:
    """Return ``value`` with tuples turned into lists; reject what JSON cannot hold exactly."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: non-finite number {value!r} cannot be part of a cell")
        return value
    if isinstance(value, list | tuple):
        return [_check_json_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: keys must be strings, got {k!r}")
            out[k] = _check_json_value(v, f"{where}.{k}")
        return out
    raise ValueError(
        f"{where}: {type(value).__name__} {value!r} cannot be part of a cell; "
        "allowed: strings, integers, finite floats, booleans, lists and tables of those"
    )


def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value``: sorted keys, no spaces, exact floats.

    Parameters
    ----------
    value : JSON-compatible object
        Dicts, lists, strings, ints, finite floats, bools and None.

    Returns
    -------
    str

    Examples
    --------
    >>> from boltzmann_rl.sweep.cells import canonical_json
    >>> canonical_json({"b": [1, 0.1], "a": "x"})
    '{"a":"x","b":[1,0.1]}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class Cell:
    """One experiment: a problem, an agent, a policy, a budget and a base seed.

    Parameters
    ----------
    kind : str
        Which kind of problem: a key of :data:`boltzmann_rl.sweep.tasks.TASKS`
        (``"bandit"``, ``"gym"``).
    env : str
        The bandit environment name, or the gymnasium environment id.
    env_args : mapping
        Keyword arguments of the environment (JSON-compatible values).
    agent : str
        The agent (value learner) name.
    agent_args : mapping
        Keyword arguments of the agent.
    policy : str
        The policy in its canonical text form, e.g. ``boltzmann(temperature=0.1)``;
        ``""`` for agents that choose actions by themselves (gradient bandit, ...).
    budget : mapping of str to int
        ``runs`` and ``steps`` for bandits; ``seeds``, ``episodes`` and
        ``eval_episodes`` for gym.
    seed : int, default 0
        The study's base seed: changing it gives every cell new random numbers.

    Attributes
    ----------
    id : str
        16 hex digits of SHA-256 over the canonical parameters.
    entropy : int
        A 128-bit integer derived from the parameters, the cell's random seed
        (feed it to :class:`numpy.random.SeedSequence`).

    Examples
    --------
    >>> from boltzmann_rl.sweep.cells import Cell
    >>> c = Cell("bandit", "gaussian", {}, "action_value", {}, "greedy", {"runs": 2, "steps": 3})
    >>> c.id
    '...'
    >>> c.entropy == Cell.from_config(c.config()).entropy
    True
    >>> c.budget["runs"]
    2
    """

    kind: str
    env: str
    env_args_json: str
    agent: str
    agent_args_json: str
    policy: str
    budget_json: str
    seed: int = 0

    def __init__(
        self,
        kind: str,
        env: str,
        env_args: Mapping[str, Any],
        agent: str,
        agent_args: Mapping[str, Any],
        policy: str,
        budget: Mapping[str, int],
        seed: int = 0,
    ) -> None:
        # The kinds are the task registry's keys (imported here: tasks imports Cell).
        from boltzmann_rl.sweep.tasks import TASKS

        if kind not in TASKS:
            raise ValueError(f"cell kind must be one of {', '.join(TASKS)}, got {kind!r}")
        for name, value in (("env", env), ("agent", agent)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"cell {name} must be a non-empty string, got {value!r}")
        if not isinstance(policy, str):
            raise ValueError(f"cell policy must be a string ('' for none), got {policy!r}")
        seed = nonnegative_int(seed, "cell seed")
        budget = {key: positive_int(amount, f"cell budget {key}") for key, amount in budget.items()}
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "env", env)
        object.__setattr__(
            self, "env_args_json", canonical_json(_check_json_value(dict(env_args), "env_args"))
        )
        object.__setattr__(self, "agent", agent)
        object.__setattr__(
            self,
            "agent_args_json",
            canonical_json(_check_json_value(dict(agent_args), "agent_args")),
        )
        object.__setattr__(self, "policy", policy)
        object.__setattr__(self, "budget_json", canonical_json(budget))
        object.__setattr__(self, "seed", seed)

    # ------------------------------------------------------------------ views

    @property
    def env_args(self) -> dict[str, Any]:
        """The environment's keyword arguments (a fresh dict)."""
        return json.loads(self.env_args_json)

    @property
    def agent_args(self) -> dict[str, Any]:
        """The agent's keyword arguments (a fresh dict)."""
        return json.loads(self.agent_args_json)

    @property
    def budget(self) -> dict[str, int]:
        """The budget (a fresh dict)."""
        return json.loads(self.budget_json)

    def config(self) -> dict[str, Any]:
        """The cell's parameters as a JSON-compatible dict (the input of :attr:`id`).

        Examples
        --------
        >>> from boltzmann_rl.sweep.cells import Cell
        >>> c = Cell("gym", "FrozenLake-v1", {"is_slippery": False}, "qlearning", {},
        ...          "greedy", {"seeds": 2, "episodes": 10, "eval_episodes": 5})
        >>> sorted(c.config())
        ['agent', 'agent_args', 'budget', 'env', 'env_args', 'format', 'kind', 'policy', 'seed']
        """
        return {
            "format": CELL_FORMAT,
            "kind": self.kind,
            "env": self.env,
            "env_args": self.env_args,
            "agent": self.agent,
            "agent_args": self.agent_args,
            "policy": self.policy,
            "budget": self.budget,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Cell:
        """Rebuild a cell from :meth:`config` output (for example read back from the store).

        Raises
        ------
        ValueError
            If the layout version differs or a field is missing.

        Examples
        --------
        >>> from boltzmann_rl.sweep.cells import Cell
        >>> Cell.from_config({"format": 99})
        Traceback (most recent call last):
        ...
        ValueError: cell format 99 is not supported (this version reads format 1)
        """
        if config.get("format") != CELL_FORMAT:
            raise ValueError(
                f"cell format {config.get('format')!r} is not supported "
                f"(this version reads format {CELL_FORMAT})"
            )
        try:
            return cls(
                config["kind"],
                config["env"],
                config["env_args"],
                config["agent"],
                config["agent_args"],
                config["policy"],
                config["budget"],
                config["seed"],
            )
        except KeyError as exc:
            raise ValueError(f"cell config is missing the field {exc.args[0]!r}") from None

    def _digest(self, domain: bytes) -> bytes:
        text = canonical_json(self.config()).encode()
        return hashlib.sha256(domain + b"\0" + text).digest()

    @property
    def id(self) -> str:
        """Stable id: 16 hex digits of SHA-256 over the canonical parameters."""
        return self._digest(b"boltzmann_rl.cell").hex()[:16]

    @property
    def entropy(self) -> int:
        """The cell's seed: 128 bits derived from the parameters (not from the id's text)."""
        return int.from_bytes(self._digest(b"boltzmann_rl.seed")[:16], "little")

    @property
    def batch_key(self) -> str:
        """Cells with equal keys can run in one vectorized simulation (same problem and budget)."""
        return canonical_json(
            [self.kind, self.env, self.env_args, self.agent, self.agent_args, self.budget]
        )

    def __repr__(self) -> str:
        return f"Cell({self.id}: {self.kind} {self.env} {self.agent} {self.policy} {self.budget})"
