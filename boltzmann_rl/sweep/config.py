"""Experiment files: TOML in, an immutable :class:`Study` out, validated before any work.

A study file describes the problem once, the policy families with their parameter
grids, the budget and the base seed::

    [study]
    name = "temperature_sweep"      # names the default output folder results/<name>/
    description = "Boltzmann against epsilon-greedy on the 10-armed testbed"
    seed = 0                        # base seed, part of every cell id (default 0)

    [problem]
    type = "bandit"                 # "bandit" or "gym"
    env = "gaussian"                # bandit environment name, or a gymnasium id
    args = { arms = 10 }            # keyword arguments of the environment

    [agent]                         # optional: the value learner and its arguments
    name = "action_value"           # bandit default: sample-average estimates + the policy

    [budget]
    runs = 2000                     # bandit: runs and steps
    steps = 1000                    # gym: seeds, episodes, eval_episodes

    [schedules]                     # optional: schedules by name, usable in grids
    exp_fast = "exp(1.0, 0.01, 250)"

    [analysis]                      # optional
    metric = "mean_reward"          # ranks the settings of a family
    curves = "best"                 # learning curves of the best setting per family, or "all"
    xscale = { temperature = "log" }  # sweep figure's x axis per grid key: "log" or "linear"

    [[family]]                      # one per policy family, in plotting order
    name = "Boltzmann"
    policy = "boltzmann(temperature={temperature})"
    grid = { temperature = { geomspace = [0.01, 100.0, 17] } }

    [[family]]
    name = "Boltzmann, annealed"
    policy = "boltzmann(temperature={schedule})"
    grid = { schedule = ["exp_fast", "linear(1.0, 0.01, 500)"] }

    [[family]]
    name = "greedy"
    policy = "greedy"

A grid maps each ``{placeholder}`` of the policy text to its values: a list of
numbers or strings (schedule texts, or names from ``[schedules]``), or a table
``{ geomspace = [start, stop, num] }`` (log-spaced) or ``{ linspace = [start, stop,
num] }``, whose values are rounded to 4 significant digits so that a finer grid
over the same range reproduces the same values (and so reuses the same cells).
The grid of a family is the Cartesian product of its keys, in the order written. A
grid key may also be the whole value of an agent argument, to sweep the agent
instead of the policy (the gradient bandit's step size, optimistic initial values)::

    [[family]]
    name = "gradient bandit"
    agent = { name = "gradient", args = { step_size = "{alpha}" } }
    grid = { alpha = [0.1, 0.4] }

A family's ``agent`` table replaces the study's ``[agent]``; agents that choose
actions themselves (``gradient``, ``exp3``, Thompson sampling) take no policy.

A grid key may also be the whole value of a problem argument, to vary the problem
itself: in ``[problem].args`` (then every family's grid must give it values), or in a
family's ``problem_args`` table, merged over ``[problem].args`` for that family::

    [problem]
    type = "bandit"
    env = "gaussian"
    args = { arms = 10, offset = 0.0, scale = 1.0 }

    [[family]]
    name = "Boltzmann, rewards scaled"
    policy = "boltzmann(temperature=0.3)"
    problem_args = { scale = "{scale}" }
    agent = { name = "action_value", args = { initial = "{scale}" } }
    grid = { scale = [0.1, 1.0, 10.0] }

The filled-in problem arguments are part of each cell, so they enter its id: a setting
that describes the same problem, agent and policy as another (however it was written)
is the same cell and runs once, and cells of different problems never share a
simulation. A grid key used only in problem arguments may hold any strings
(``map_name = "{map}"``, ``map = ["4x4", "8x8"]``); elsewhere strings are schedules.

With ``zip = true`` the grid's keys vary together instead of as a product: every key
lists the same number of values and the i-th values form the i-th setting (a reward
offset and the initial estimate that goes with it)::

    [[family]]
    name = "Boltzmann, rewards shifted"
    policy = "boltzmann(temperature=0.3)"
    problem_args = { offset = "{offset}" }
    agent = { name = "action_value", args = { initial = "{q1}" } }
    grid = { offset = [-5.0, 0.0, 5.0], q1 = [-4.0, 1.0, 6.0] }
    zip = true

The sweep figure draws a family as a line against its grid key when exactly one key
varies (with ``zip``, the first key) and its values are numbers: on a log axis when
every value of that key is > 0, else on a linear one (offsets such as -5, 0, 5);
``[analysis] xscale = { key = "linear" }`` asks for a linear axis anyway (``"log"``
for a log one, which needs values > 0).

Every mistake raises :class:`ValueError` naming the file, the key, the value and
what is allowed, before any cell runs: unknown keys, wrong types, missing fields,
placeholders without a grid (and grid keys without a placeholder), policies that
do not parse, unknown environments, agents or metrics. A cell that raises while it
runs (a policy outside its domain) is not a mistake of the file: the run records it
as failed and goes on (:mod:`boltzmann_rl.sweep.runner`).

Examples
--------
>>> from boltzmann_rl.sweep.config import loads_study
>>> study = loads_study('''
... [study]
... name = "tiny"
... [problem]
... type = "bandit"
... env = "gaussian"
... [budget]
... runs = 10
... steps = 20
... [[family]]
... name = "Boltzmann"
... policy = "boltzmann(temperature={T})"
... grid = { T = [0.1, 1] }
... ''')
>>> [m.cell.policy for m in study.members]
['boltzmann(temperature=0.1)', 'boltzmann(temperature=1.0)']
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from boltzmann_rl.schedules import format_value
from boltzmann_rl.spec import SCHEDULES, canonical
from boltzmann_rl.sweep.cells import Cell, canonical_json

__all__ = ["MAX_CELLS", "Family", "Member", "Study", "grid_values", "load_study", "loads_study"]

_TOP_KEYS = ("study", "problem", "agent", "budget", "schedules", "analysis", "family")
_STUDY_KEYS = ("name", "description", "seed", "max_cells")
_PROBLEM_KEYS = ("type", "env", "args")
_AGENT_KEYS = ("name", "args")
_ANALYSIS_KEYS = ("metric", "curves", "xscale")
_FAMILY_KEYS = ("name", "policy", "grid", "agent", "problem_args", "zip")
_XSCALES = ("log", "linear")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SIGNIFICANT = 4
MAX_CELLS = 100_000
"""Most settings a study may have unless it says otherwise (``[study] max_cells``)."""


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"a list {value!r}"
    return f"{type(value).__name__} {value!r}"


class _Reader:
    """Error messages that name the file and the dotted key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, key: str, problem: str, allowed: str | None = None) -> ValueError:
        message = f"{self.source}: {key}: {problem}"
        if allowed:
            message += f"; allowed: {allowed}"
        return ValueError(message)

    def table(self, data: Any, key: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.error(key, f"expected a table, got {_describe(data)}")
        return data

    def keys(self, data: dict[str, Any], key: str, allowed: tuple[str, ...]) -> None:
        for k in data:
            if k not in allowed:
                where = f"{key}.{k}" if key else k
                raise self.error(where, "unknown key", ", ".join(allowed))

    def required(self, data: dict[str, Any], key: str, name: str) -> Any:
        if name not in data:
            raise self.error(f"{key}.{name}" if key else name, "missing required field")
        return data[name]

    def string(self, value: Any, key: str, *, pattern: re.Pattern[str] | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"expected a non-empty string, got {_describe(value)}")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.error(
                key,
                f"{value!r} is not a valid name",
                "letters, digits, '_', '.' and '-', starting with a letter or digit",
            )
        return value

    def integer(self, value: Any, key: str, *, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(
                key, f"expected an integer >= {minimum}, got {_describe(value)}", f">= {minimum}"
            )
        return value


# --------------------------------------------------------------------------- grids


def _round(value: float) -> float:
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{_SIGNIFICANT}g}")


def grid_values(spec: Any, max_values: int = MAX_CELLS) -> list[Any]:
    """Expand one grid entry into its list of values.

    Parameters
    ----------
    spec : list or dict
        A list of numbers or strings (returned as a list), or a table with exactly
        one of ``geomspace`` / ``linspace`` mapped to ``[start, stop, num]``.
        Generated values are rounded to 4 significant digits.
    max_values : int, default MAX_CELLS
        A ``geomspace`` / ``linspace`` of more values is refused before it is built.

    Returns
    -------
    list

    Raises
    ------
    ValueError
        For anything else (the message says what is allowed).

    Examples
    --------
    >>> from boltzmann_rl.sweep.config import grid_values
    >>> grid_values({"geomspace": [0.01, 1, 5]})
    [0.01, 0.03162, 0.1, 0.3162, 1.0]
    >>> grid_values({"linspace": [0, 0.5, 3]})
    [0.0, 0.25, 0.5]
    >>> grid_values(["exp(1, 0.01, 100)", 0.5])
    ['exp(1, 0.01, 100)', 0.5]
    """
    allowed = (
        "a non-empty list of numbers or strings, or a table { geomspace = [start, stop, num] } "
        "or { linspace = [start, stop, num] }"
    )
    if isinstance(spec, list):
        if not spec:
            raise ValueError(f"empty list; allowed: {allowed}")
        for v in spec:
            if isinstance(v, bool) or not isinstance(v, int | float | str):
                raise ValueError(f"value {v!r} is not a number or a string; allowed: {allowed}")
            if isinstance(v, float) and math.isnan(v):
                raise ValueError(f"value {v!r} is not allowed; allowed: {allowed}")
        return list(spec)
    if isinstance(spec, dict):
        if len(spec) != 1 or next(iter(spec)) not in ("geomspace", "linspace"):
            raise ValueError(f"table with keys {sorted(spec)}; allowed: {allowed}")
        kind, args = next(iter(spec.items()))
        ok = (
            isinstance(args, list)
            and len(args) == 3
            and all(isinstance(a, int | float) and not isinstance(a, bool) for a in args)
            and all(abs(a) < _INT64 if isinstance(a, int) else math.isfinite(a) for a in args)
            and isinstance(args[2], int)
            and args[2] >= 1
        )
        if not ok:
            raise ValueError(
                f"{kind} = {args!r}: expected [start, stop, num] with finite numbers and an "
                "integer num >= 1"
            )
        start, stop, num = args
        if num > max_values:
            raise ValueError(
                f"{kind} = {args!r}: {num} values, more than the {max_values} a study may have "
                "(raise [study] max_cells to allow more)"
            )
        if kind == "geomspace":
            if start <= 0 or stop <= 0:
                raise ValueError(f"geomspace = {args!r}: start and stop must be > 0")
            values = np.geomspace(start, stop, num)
        else:
            values = np.linspace(start, stop, num)
        # dict.fromkeys keeps the first of equal rounded values, in order, in linear time
        return list(dict.fromkeys(_round(v) for v in values.tolist()))
    raise ValueError(f"got {_describe(spec)}; allowed: {allowed}")


def _label_value(value: Any) -> str:
    if isinstance(value, int | float):
        return f"{value:g}"
    return str(value)


# --------------------------------------------------------------------------- study


@dataclass(frozen=True)
class Family:
    """A policy family: a policy text with ``{placeholders}`` and their grid.

    Parameters
    ----------
    name : str
        The label in tables and legends.
    policy : str
        The policy text, e.g. ``"boltzmann(temperature={temperature})"``.
    grid : tuple of (str, tuple) pairs
        Each placeholder with its values, in the order written.
    agent : str
        The agent name.
    agent_args_json : str
        The agent's keyword arguments as canonical JSON.
    agent_key : str
        Where the agent was given (``"agent"`` or ``"family[i].agent"``), for messages.
    problem_args_json : str
        The family's ``problem_args`` as written (canonical JSON, placeholders kept).
    zipped : bool
        The grid's keys vary together (``zip = true``) rather than as a product.
    xscale : {"log", "linear"} or None
        The scale of the sweep figure's x axis for :attr:`axis` (None without an axis).

    Examples
    --------
    >>> from boltzmann_rl.sweep.config import Family
    >>> f = Family("eps", "egreedy(epsilon={e})", (("e", (0.1, 0.2)),), "action_value", "{}")
    >>> f.axis, f.size
    ('e', 2)
    >>> g = Family("shift", "greedy", (("offset", (-5.0, 0.0)), ("q1", (-4.0, 1.0))),
    ...            "action_value", zipped=True)
    >>> g.axis, g.size
    ('offset', 2)
    """

    name: str
    policy: str
    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    agent: str
    agent_args_json: str = "{}"
    agent_key: str = "agent"
    problem_args_json: str = "{}"
    zipped: bool = False
    xscale: str | None = None

    @property
    def size(self) -> int:
        """Number of settings (the product of the grid's lengths, or the length if zipped)."""
        if self.zipped:
            return len(self.grid[0][1]) if self.grid else 1
        return math.prod(len(v) for _, v in self.grid)

    @property
    def axis(self) -> str | None:
        """The grid key drawn on a numeric x axis, or None.

        The one key with two or more values (keys with a single value are constants;
        with ``zip``, the first key), provided its values are distinct numbers.
        """
        varying = [(k, values) for k, values in self.grid if len(values) > 1]
        if not varying or (len(varying) > 1 and not self.zipped):
            return None
        key, values = varying[0]
        numeric = all(isinstance(v, int | float) for v in values)
        return key if numeric and len(set(values)) == len(values) else None


@dataclass(frozen=True)
class Member:
    """One setting of a family in a study: its grid values and its :class:`Cell`.

    Examples
    --------
    >>> from boltzmann_rl.sweep.config import Member
    >>> from boltzmann_rl.sweep.cells import Cell
    >>> c = Cell("bandit", "gaussian", {}, "action_value", {}, "greedy", {"runs": 1, "steps": 1})
    >>> Member("greedy", "greedy", (), c).params
    {}
    """

    family: str
    label: str
    params_items: tuple[tuple[str, Any], ...]
    cell: Cell

    @property
    def params(self) -> dict[str, Any]:
        """The grid values of this setting (a fresh dict)."""
        return dict(self.params_items)


@dataclass(frozen=True)
class Study:
    """An experiment file, validated and expanded: immutable data.

    Build it with :func:`load_study` or :func:`loads_study`.

    Attributes
    ----------
    name, description : str
    source : str
        Where it was read from (a path, or ``"<string>"``).
    text : str
        The TOML text as written (stored with the results).
    seed : int
    kind : {"bandit", "gym"}
    env : str
    env_args_json : str
        ``[problem].args`` as written, placeholders kept (each cell holds its own
        filled-in arguments, merged with its family's ``problem_args``).
    budget_json : str
    metric : str
        The summary that ranks the settings of a family.
    curves : {"best", "all"}
        Which settings the learning-curve figure draws.
    families : tuple of Family
    members : tuple of Member
        Every setting of every family, in file order.

    Examples
    --------
    >>> from boltzmann_rl.sweep.config import Study
    >>> Study.__dataclass_fields__["members"].type
    'tuple[Member, ...]'
    """

    name: str
    description: str
    source: str
    text: str
    seed: int
    kind: str
    env: str
    env_args_json: str
    budget_json: str
    metric: str
    curves: str
    families: tuple[Family, ...]
    members: tuple[Member, ...] = field(repr=False)

    @property
    def budget(self) -> dict[str, int]:
        """The budget (a fresh dict)."""
        return json.loads(self.budget_json)

    @property
    def cells(self) -> tuple[Cell, ...]:
        """The distinct cells of the study, in first-appearance order."""
        seen: dict[str, Cell] = {}
        for m in self.members:
            seen.setdefault(m.cell.id, m.cell)
        return tuple(seen.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible description (what the store keeps next to the TOML text)."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "seed": self.seed,
            "kind": self.kind,
            "env": self.env,
            "env_args": json.loads(self.env_args_json),
            "budget": self.budget,
            "metric": self.metric,
            "curves": self.curves,
            "families": [
                {
                    "name": f.name,
                    "policy": f.policy,
                    "grid": {k: list(v) for k, v in f.grid},
                    "agent": f.agent,
                    "agent_args": json.loads(f.agent_args_json),
                    "problem_args": json.loads(f.problem_args_json),
                    "zip": f.zipped,
                    "axis": f.axis,
                    "xscale": f.xscale,
                }
                for f in self.families
            ],
            "members": [
                {
                    "family": m.family,
                    "label": m.label,
                    "params": m.params,
                    "policy": m.cell.policy,
                    "env_args": m.cell.env_args,
                    "cell_id": m.cell.id,
                }
                for m in self.members
            ],
        }


def _agent(reader: _Reader, data: Any, key: str, default: tuple[str, dict]) -> tuple[str, dict]:
    if data is None:
        return default
    data = reader.table(data, key)
    reader.keys(data, key, _AGENT_KEYS)
    name = reader.string(reader.required(data, key, "name"), f"{key}.name")
    args = reader.table(data.get("args", {}), f"{key}.args")
    return name, args


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

Setting = tuple[str, tuple[tuple[str, Any], ...], str, dict[str, Any], dict[str, Any]]


def _slots(reader: _Reader, args: dict[str, Any], where: dict[str, str]) -> dict[str, str]:
    """Arguments whose value is a grid placeholder ``"{key}"``: argument -> grid key.

    ``where`` names, per argument, the table it was written in (for messages).
    """
    slots = {}
    for arg, value in args.items():
        if isinstance(value, str) and "{" in value:
            m = _PLACEHOLDER.fullmatch(value)
            if m is None:
                raise reader.error(
                    f"{where[arg]}.{arg}",
                    f"{value!r}: a grid placeholder must be the whole value",
                    '"{name}" with name a key of the grid',
                )
            slots[arg] = m.group(1)
    return slots


def _family(
    reader: _Reader,
    data: Any,
    key: str,
    schedules: dict[str, str],
    agent: tuple[str, dict],
    problem_args: dict[str, Any],
    max_cells: int = MAX_CELLS,
    before: int = 0,
) -> tuple[Family, list[Setting]]:
    """Validate one ``[[family]]``; return it and its settings.

    Each setting is ``(label, params, policy text, agent args, problem args)``. Grid
    keys appear as ``{key}`` in the policy text, or as the whole string value
    ``"{key}"`` of an agent argument (which then takes the grid value itself, a number
    or a schedule text) or of a problem argument (the grid value as written).
    """
    data = reader.table(data, key)
    reader.keys(data, key, _FAMILY_KEYS)
    name = reader.string(reader.required(data, key, "name"), f"{key}.name")
    template = data.get("policy", "")
    if template != "":
        template = reader.string(template, f"{key}.policy")
    grid_raw = reader.table(data.get("grid", {}), f"{key}.grid")
    zipped = data.get("zip", False)
    if not isinstance(zipped, bool):
        raise reader.error(f"{key}.zip", f"expected true or false, got {_describe(zipped)}")
    agent_name, agent_args = _agent(reader, data.get("agent"), f"{key}.agent", agent)
    agent_key = f"{key}.agent" if "agent" in data else "agent"
    own_problem = reader.table(data.get("problem_args", {}), f"{key}.problem_args")
    env_args = {**problem_args, **own_problem}
    try:
        placeholders = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise reader.error(f"{key}.policy", f"{template!r}: {exc}") from None
    for p in placeholders:
        if not p.isidentifier():
            raise reader.error(
                f"{key}.policy", f"placeholder {{{p}}} in {template!r} is not a plain name"
            )
    arg_slots = _slots(reader, agent_args, dict.fromkeys(agent_args, f"{agent_key}.args"))
    env_where = {a: f"{key}.problem_args" if a in own_problem else "problem.args" for a in env_args}
    env_slots = _slots(reader, env_args, env_where)
    for p in placeholders:
        if p not in grid_raw:
            raise reader.error(
                f"{key}.policy",
                f"placeholder {{{p}}} has no values in {key}.grid",
                ", ".join(grid_raw) or "(no grid keys given)",
            )
    for slots, where in ((arg_slots, None), (env_slots, env_where)):
        for arg, p in slots.items():
            if p not in grid_raw:
                at = f"{agent_key}.args.{arg}" if where is None else f"{where[arg]}.{arg}"
                raise reader.error(
                    at,
                    f"placeholder {{{p}}} has no values in {key}.grid (family {name!r})",
                    ", ".join(grid_raw) or "(no grid keys given)",
                )
    schedule_keys = set(placeholders) | set(arg_slots.values())
    used = schedule_keys | set(env_slots.values())
    grid: list[tuple[str, tuple[Any, ...]]] = []
    for k, spec in grid_raw.items():
        if k not in used:
            raise reader.error(
                f"{key}.grid.{k}",
                f"grid key does not appear as {{{k}}} in the policy {template!r}, as an "
                "agent argument or as a problem argument",
                ", ".join(sorted(used)) or "(no placeholders)",
            )
        try:
            key_values = grid_values(spec, max_cells - before)
        except ValueError as exc:
            raise reader.error(f"{key}.grid.{k}", str(exc)) from None
        for v in key_values:
            if k in schedule_keys and isinstance(v, str) and v not in schedules:
                node = v.split("(", 1)[0].strip()
                if node not in SCHEDULES:
                    raise reader.error(
                        f"{key}.grid.{k}",
                        f"{v!r} is neither a named schedule nor a schedule text",
                        "names in [schedules] ("
                        + (", ".join(schedules) or "none defined")
                        + "), or calls of "
                        + ", ".join(sorted(SCHEDULES)),
                    )
        grid.append((k, tuple(key_values)))
    if zipped and len({len(v) for _, v in grid}) > 1:
        raise reader.error(
            f"{key}.grid",
            "with zip = true every key needs the same number of values, got "
            + ", ".join(f"{k}: {len(v)}" for k, v in grid),
        )
    size = len(grid[0][1]) if zipped and grid else math.prod(len(v) for _, v in grid)
    if before + size > max_cells:
        counted = (
            f"{before + size} settings ({size} in family {name!r})"
            if before
            else (f"{size} settings in family {name!r}")
        )
        raise reader.error(
            f"{key}.grid",
            f"the study has at least {counted}, more than the maximum of {max_cells}",
            "[study] max_cells = N (or --max-cells N) to allow more",
        )
    settings: list[Setting] = []
    keys = [k for k, _ in grid]
    columns = [v for _, v in grid]
    combos = zip(*columns) if zipped and columns else itertools.product(*columns)
    for combo in combos:
        params = tuple(zip(keys, combo))
        texts: dict[str, Any] = {}
        values: dict[str, Any] = {}
        for k, v in params:
            if isinstance(v, str) and k in schedule_keys:
                texts[k] = values[k] = schedules.get(v, v)
                try:
                    values[k] = canonical(values[k])
                except (TypeError, ValueError) as exc:
                    raise reader.error(f"{key}.grid.{k}", f"{v!r}: {exc}") from None
            else:
                texts[k] = v if isinstance(v, str) else format_value(v)
                values[k] = v
        policy = ""
        if template:
            policy_text = template.format(**texts)
            try:
                policy = canonical(policy_text)
            except (TypeError, ValueError) as exc:
                raise reader.error(f"{key}.policy", f"{policy_text!r}: {exc}") from None
        args = {a: (values[arg_slots[a]] if a in arg_slots else v) for a, v in agent_args.items()}
        raw = dict(params)  # problem arguments take the grid value as written
        problem = {a: (raw[env_slots[a]] if a in env_slots else v) for a, v in env_args.items()}
        if len(params) == 0:
            label = name
        elif len(params) == 1 and isinstance(params[0][1], str):
            label = params[0][1]
        else:
            label = ", ".join(f"{k}={_label_value(v)}" for k, v in params)
        settings.append((label, params, policy, args, problem))
    family = Family(
        name,
        template,
        tuple(grid),
        agent_name,
        canonical_json(agent_args),
        agent_key,
        canonical_json(own_problem),
        zipped,
    )
    return family, settings


_TOML_FLOAT = re.compile(r"(?<![\w.])[+-]?[0-9][0-9_]*(?:\.[0-9_]+)?[eE][+-]?[0-9_]+(?![\w.])")
_INT64 = 2**63


def _check_float_literals(text: str, source: str) -> None:
    """Refuse float literals beyond the float range, which TOML reads as inf or 0.

    ``1e999`` would silently become ``inf`` and ``1e-999`` ``0.0``; write ``inf`` or
    ``0`` for those. Comments are skipped; literals inside strings (policy texts) are
    checked too, as the policy parser would refuse them anyway.
    """
    for lineno, line in enumerate(text.splitlines(), 1):
        hash_at = line.find("#")
        while hash_at >= 0 and line[:hash_at].count('"') % 2:
            hash_at = line.find("#", hash_at + 1)  # a '#' inside a string
        code = line if hash_at < 0 else line[:hash_at]
        for m in _TOML_FLOAT.finditer(code):
            word = m.group()
            value = float(word.replace("_", ""))
            mantissa = re.split("[eE]", word)[0]
            if math.isinf(value):
                problem = "is out of range (beyond the largest float, about 1.8e308)"
                hint = "write inf for an infinite value"
            elif value == 0 and any(ch in "123456789" for ch in mantissa):
                problem = "is too small to be told from 0 (below about 5e-324)"
                hint = "write 0 for zero"
            else:
                continue
            shown = word if len(word) <= 40 else f"{word[:12]}...{word[-6:]}"
            raise ValueError(f"{source}: line {lineno}: number {shown!r} {problem}; {hint}")


def _check_integers(reader: _Reader, data: Any, key: str) -> None:
    """Refuse integers beyond 64 bits (TOML's range), naming the key."""
    if isinstance(data, dict):
        for k, v in data.items():
            _check_integers(reader, v, f"{key}.{k}" if key else k)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _check_integers(reader, v, f"{key}[{i}]")
    elif isinstance(data, int) and not isinstance(data, bool) and not -_INT64 <= data < _INT64:
        digits = len(str(abs(data))) if data.bit_length() < 14_000 else "thousands of"
        raise reader.error(key, f"integer of {digits} digits is out of range", "64-bit integers")


def loads_study(text: str, source: str = "<string>", *, max_cells: int | None = None) -> Study:
    """Parse and validate the TOML text of a study.

    Parameters
    ----------
    text : str
        The TOML document (see the module docstring for the layout).
    source : str, default "<string>"
        Named in error messages.
    max_cells : int, optional
        The most settings the study may have (over all families), overriding its
        ``[study] max_cells`` (default :data:`MAX_CELLS`); a study of more is refused
        before any is built, with the count in the message.

    Returns
    -------
    Study

    Raises
    ------
    ValueError
        Naming ``source``, the key and what is allowed, for any mistake.

    Examples
    --------
    >>> from boltzmann_rl.sweep.config import loads_study
    >>> loads_study('[study]\\nname = "x"\\ncolour = "red"', "x.toml")
    Traceback (most recent call last):
    ...
    ValueError: x.toml: study.colour: unknown key; allowed: name, description, seed, max_cells
    """
    from boltzmann_rl.sweep import tasks

    reader = _Reader(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML: {exc}") from None
    _check_float_literals(text, source)
    _check_integers(reader, data, "")
    reader.keys(data, "", _TOP_KEYS)

    study = reader.table(reader.required(data, "", "study"), "study")
    reader.keys(study, "study", _STUDY_KEYS)
    name = reader.string(reader.required(study, "study", "name"), "study.name", pattern=_NAME)
    description = study.get("description", "")
    if not isinstance(description, str):
        raise reader.error("study.description", f"expected a string, got {_describe(description)}")
    seed = reader.integer(study.get("seed", 0), "study.seed", minimum=0)
    if max_cells is None:
        max_cells = reader.integer(study.get("max_cells", MAX_CELLS), "study.max_cells", minimum=1)

    problem = reader.table(reader.required(data, "", "problem"), "problem")
    reader.keys(problem, "problem", _PROBLEM_KEYS)
    kind = reader.required(problem, "problem", "type")
    if kind not in tasks.TASKS:
        raise reader.error("problem.type", f"unknown type {kind!r}", ", ".join(tasks.TASKS))
    task = tasks.TASKS[kind]
    env = reader.string(reader.required(problem, "problem", "env"), "problem.env")
    env_args = reader.table(problem.get("args", {}), "problem.args")

    agent = _agent(reader, data.get("agent"), "agent", (task.default_agent, {}))

    budget_raw = reader.table(reader.required(data, "", "budget"), "budget")
    reader.keys(budget_raw, "budget", tuple(task.budget))
    budget = {}
    for k, default in task.budget.items():
        if k not in budget_raw and default is None:
            raise reader.error(f"budget.{k}", f"missing required field (for type {kind!r})")
        if k not in budget_raw and default == 0:  # optional, and absent from the cells
            continue
        budget[k] = reader.integer(budget_raw.get(k, default), f"budget.{k}", minimum=1)

    schedules_raw = reader.table(data.get("schedules", {}), "schedules")
    schedules: dict[str, str] = {}
    for k, v in schedules_raw.items():
        v = reader.string(v, f"schedules.{k}")
        try:
            schedules[k] = canonical(v)
        except (TypeError, ValueError) as exc:
            raise reader.error(f"schedules.{k}", str(exc)) from None
        if v.split("(", 1)[0].strip() not in SCHEDULES:
            raise reader.error(
                f"schedules.{k}", f"{v!r} is not a schedule", ", ".join(sorted(SCHEDULES))
            )

    analysis = reader.table(data.get("analysis", {}), "analysis")
    reader.keys(analysis, "analysis", _ANALYSIS_KEYS)
    metric = analysis.get("metric", task.default_metric)
    if metric not in task.metrics:
        raise reader.error(
            "analysis.metric",
            f"unknown metric {metric!r} for type {kind!r}",
            ", ".join(task.metrics),
        )

    curves = analysis.get("curves", "best")
    if curves not in ("best", "all"):
        raise reader.error("analysis.curves", f"unknown value {curves!r}", "best, all")
    xscale = reader.table(analysis.get("xscale", {}), "analysis.xscale")
    for k, v in xscale.items():
        if v not in _XSCALES:
            raise reader.error(f"analysis.xscale.{k}", f"unknown scale {v!r}", ", ".join(_XSCALES))

    families_raw = reader.required(data, "", "family")
    if not isinstance(families_raw, list) or not families_raw:
        raise reader.error("family", "expected one or more [[family]] tables")
    families: list[Family] = []
    members: list[Member] = []
    names: set[str] = set()
    for i, raw in enumerate(families_raw):
        key = f"family[{i}]"
        fam, settings = _family(
            reader, raw, key, schedules, agent, env_args, max_cells, len(members)
        )
        if fam.name in names:
            raise reader.error(f"{key}.name", f"duplicate family name {fam.name!r}")
        names.add(fam.name)
        if fam.axis is not None:
            values = dict(fam.grid)[fam.axis]
            scale = xscale.get(fam.axis, "log" if min(values) > 0 else "linear")
            if scale == "log" and min(values) <= 0:
                raise reader.error(
                    f"analysis.xscale.{fam.axis}",
                    f"a log axis needs values > 0, but {key}.grid.{fam.axis} has {min(values):g}",
                    "linear",
                )
            fam = dataclasses.replace(fam, xscale=scale)
        families.append(fam)
        for label, params, policy, args, problem in settings:
            try:
                cell = Cell(kind, env, problem, fam.agent, args, policy, budget, seed)
            except ValueError as exc:
                raise reader.error(key, str(exc)) from None
            members.append(Member(fam.name, label, params, cell))
    axes = {f.axis for f in families}
    for k in xscale:
        if k not in axes:
            raise reader.error(
                f"analysis.xscale.{k}",
                "not the x axis of any family (a grid key with two or more numbers)",
                ", ".join(sorted(a for a in axes if a)) or "(no family has one)",
            )

    result = Study(
        name=name,
        description=description,
        source=source,
        text=text,
        seed=seed,
        kind=kind,
        env=env,
        env_args_json=canonical_json(env_args),
        budget_json=canonical_json(budget),
        metric=metric,
        curves=curves,
        families=tuple(families),
        members=tuple(members),
    )
    task.validate(result, reader.error)
    if kind == "bandit":
        _check_bandit_memory(result, reader)
    return result


def _check_bandit_memory(study: Study, reader: _Reader) -> None:
    """Refuse a budget whose simulation cannot fit, before any cell runs.

    One cell per problem is enough: the runner batches cells only while they fit in a
    fixed number of run-arm rows, so the largest single cell bounds the peak.
    """
    from boltzmann_rl.bandits import make_env
    from boltzmann_rl.bandits._memory import check_simulation

    budget = study.budget
    seen: set[str] = set()
    for m in study.members:
        if m.cell.env_args_json in seen:
            continue
        seen.add(m.cell.env_args_json)
        env = make_env(study.env, **m.cell.env_args)  # validated by the task already
        try:
            check_simulation(env, None, budget["runs"], budget["steps"])
        except ValueError as exc:
            raise reader.error("budget", str(exc)) from None


def load_study(path: str | Path, *, max_cells: int | None = None) -> Study:
    """Read, parse and validate a study file.

    Parameters
    ----------
    path : str or Path
        A ``.toml`` file.
    max_cells : int, optional
        As in :func:`loads_study`.

    Returns
    -------
    Study

    Raises
    ------
    ValueError
        If the file is missing or invalid (the message names the file and the key).

    Examples
    --------
    >>> from boltzmann_rl.sweep.config import load_study
    >>> load_study("no/such/file.toml")
    Traceback (most recent call last):
    ...
    ValueError: no/such/file.toml: no such study file
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such study file") from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the study file: {exc}") from None
    return loads_study(text, str(path), max_cells=max_cells)


def members_by_cell(study: Study) -> Mapping[str, list[Member]]:
    """Map each cell id to the members (family settings) that use it."""
    out: dict[str, list[Member]] = {}
    for m in study.members:
        out.setdefault(m.cell.id, []).append(m)
    return out
