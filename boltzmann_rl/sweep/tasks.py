"""What a cell computes, per kind of problem: validation, metrics, and the worker function.

Each kind of problem (``bandit``, ``gym``) is a :class:`Task`: its budget fields,
its default agent, the summaries it reports (and which way is better), the
per-step curves it stores, how it validates a study before any work starts, how
it runs a batch of cells, and whether a cell splits into :class:`Parts` that run
one by one (a per-env gym cell: one part per training seed, each its own backend
task, so a DQN study spreads its seeds over the workers and resumes seed by seed).
:func:`execute_batch` is the one function every backend calls, in a worker, on a
plain-data payload from :func:`batch_payload`; a cell that raises comes back as an
error instead of a result, and the rest of its batch still runs.

Examples
--------
>>> from boltzmann_rl.sweep.tasks import TASKS
>>> sorted(TASKS)
['bandit', 'gym']
>>> TASKS["gym"].budget   # seeds (per-env runs) or runs (the batched tabular engine)
{'seeds': 0, 'runs': 0, 'episodes': None, 'eval_episodes': 100, 'eval_every': 100}
"""

from __future__ import annotations

import inspect
import json
import math
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from boltzmann_rl.sweep.cells import Cell

__all__ = [
    "TASKS",
    "Parts",
    "Task",
    "batch_payload",
    "error_text",
    "execute_batch",
    "gym_agent_params",
]

ErrorFn = Callable[..., ValueError]
PartResult = dict[str, np.ndarray]


@dataclass(frozen=True)
class Parts:
    """How a task's cells split into parts that run, and are stored, one by one.

    A part (one training seed of a per-env gym cell) is its own unit of work: its
    own backend task, committed to the store as soon as it finishes, so the parts
    of one cell spread over the workers and a stopped run resumes part by part.
    When every part of a cell is stored, :attr:`combine` makes the cell's result
    from them, exactly the result of running the cell whole (:attr:`Task.run_fn`
    uses the same two functions).

    Attributes
    ----------
    count : callable
        ``count(cell) -> int``: the parts of a cell (1: it runs whole).
    run : callable
        ``run(cell, index) -> dict``: part ``index`` (from 0), as name -> float64 array.
    combine : callable
        ``combine(cell, parts) -> {"summary": ..., "arrays": ...}`` from the results
        of parts ``0, 1, ...``, in order.
    unit : str
        What a part is, in progress lines (``"seeds"``).

    Examples
    --------
    >>> from boltzmann_rl.sweep.cells import Cell
    >>> from boltzmann_rl.sweep.tasks import TASKS
    >>> cell = Cell("gym", "FrozenLake-v1", {}, "qlearning", {}, "greedy",
    ...             {"seeds": 3, "episodes": 5, "eval_episodes": 1})
    >>> TASKS["gym"].part_count(cell), TASKS["gym"].parts.unit
    (3, 'seeds')
    """

    count: Callable[[Cell], int]
    run: Callable[[Cell, int], PartResult]
    combine: Callable[[Cell, list[PartResult]], dict[str, Any]]
    unit: str


@dataclass(frozen=True)
class Task:
    """One kind of problem, as the sweep machinery sees it.

    Attributes
    ----------
    kind : str
    budget : dict
        Budget field -> default (None: required).
    default_agent : str
    metrics : dict
        Summary name -> ``{"label": str, "higher": bool}``.
    default_metric : str
    curves : dict
        Curve name -> ``{"label": str, "x": str}`` (``x_array`` names an array of
        x values when the curve is not per step).
    batchable : bool
        Whether cells sharing a problem and budget run in one call.
    parts : Parts or None
        How a cell splits into parts run one by one (None: cells run whole).

    Examples
    --------
    >>> from boltzmann_rl.sweep.tasks import TASKS
    >>> TASKS["bandit"].metrics["regret"]["higher"]
    False
    """

    kind: str
    budget: dict[str, int | None]
    default_agent: str
    metrics: dict[str, dict[str, Any]]
    default_metric: str
    curves: dict[str, dict[str, Any]]
    batchable: bool
    validate_fn: Callable[[Any, ErrorFn], None]
    run_fn: Callable[[list[Cell]], list[dict[str, Any]]]
    batch_cost: Callable[[Cell], int]
    parts: Parts | None = None

    def validate(self, study: Any, error: ErrorFn) -> None:
        """Check the study's environment, agents and policies; raise ``error(key, ...)``."""
        self.validate_fn(study, error)

    def max_batch(self, cell: Cell) -> int:
        """How many cells like ``cell`` may share one call (1: no batching)."""
        return self.batch_cost(cell) if self.batchable else 1

    def part_count(self, cell: Cell) -> int:
        """How many parts ``cell`` runs as (1: whole, as one call of :attr:`run_fn`)."""
        return 1 if self.parts is None else max(1, self.parts.count(cell))


# --------------------------------------------------------------------------- gym

_GYM_FIXED = {
    "env_id",
    "agent",
    "policy",
    "env_kwargs",
    "episodes",
    "steps",
    "seed",
    "eval_episodes",
    "num_envs",
    "vectorization",
}


def _env_key(message: str) -> str:
    """The study key an environment error is about: the name, or its arguments."""
    return "problem.env" if "unknown environment" in message else "problem.args"


def _problems(study: Any) -> dict[str, Any]:
    """The first member of each distinct problem (filled-in arguments), in study order."""
    out: dict[str, Any] = {}
    for m in study.members:
        out.setdefault(m.cell.env_args_json, m)
    return out


def _env_error(study: Any, member: Any, message: str, error: ErrorFn) -> ValueError:
    """An environment error, naming the family when its grid filled in the arguments."""
    key = _env_key(message)
    if key == "problem.args" and member.cell.env_args_json != study.env_args_json:
        key = f"problem.args of family {member.family!r} ({member.label})"
    return error(key, message)


# Tile coder options of gym studies' agent arguments -> make_agent's keywords.
_TILE_ARGS: dict[str, tuple[str, str, str]] = {
    "tilings": ("tilings", "int", "offset tilings of the tile coder (Box observations)"),
    "tiles": ("tiles", "int or list of int", "tiles per dimension (Box observations)"),
    "obs_low": ("low", "list of float", "lower bounds of the tiling (default: the space's)"),
    "obs_high": ("high", "list of float", "upper bounds of the tiling (default: the space's)"),
}
_TILE_DEFAULTS = {
    "tilings": "8",
    "tiles": "8",
    "obs_low": "the space's, -3 where unbounded",
    "obs_high": "the space's, +3 where unbounded",
}


def gym_agent_params() -> list[dict[str, Any]]:
    """The agent arguments of gym studies: ``run_gym``'s keywords that a cell does not fix,
    and the tile coder's ``tilings``, ``tiles``, ``obs_low`` and ``obs_high``.

    Each is a dict with ``name``, ``type``, ``default`` (its text), ``required`` and
    ``doc``; what a study's ``[agent] args`` may hold. Unbounded dimensions of a
    ``Box`` space are tiled over [-3, 3] unless ``obs_low`` / ``obs_high`` say otherwise.

    Examples
    --------
    >>> from boltzmann_rl.sweep.tasks import gym_agent_params
    >>> [(p["name"], p["default"]) for p in gym_agent_params()][:2]
    [('alpha', '0.1'), ('gamma', '0.99')]
    """
    from boltzmann_rl.gym import run_gym

    out = []
    for name, p in inspect.signature(run_gym).parameters.items():
        if name in _GYM_FIXED or p.kind is not p.KEYWORD_ONLY:
            continue
        default = p.default
        annotation = None if p.annotation is p.empty else str(p.annotation).strip("'\"")
        out.append(
            {
                "name": name,
                "type": None if annotation == "Any" else annotation,
                "default": "none" if default is None else str(default),
                "required": default is p.empty,
                "doc": "",
            }
        )
    for name, (_, kind, doc) in _TILE_ARGS.items():
        out.append(
            {
                "name": name,
                "type": kind,
                "default": _TILE_DEFAULTS[name],
                "required": False,
                "doc": doc,
            }
        )
    return out


def _gym_agent_params() -> list[str]:
    return [p["name"] for p in gym_agent_params()]


DQN_AGENT = "dqn"
"""The gym agent name of SB3's DQN exploring with a policy of ours (the ``sb3`` extra).

Its agent arguments are ``timesteps`` (required: ``learn(total_timesteps)``) and any
keyword of :class:`stable_baselines3.DQN` (``learning_rate``, ``batch_size``, ...).
``budget.episodes`` caps the training episodes; ``budget.seeds`` runs of a cell each
train a fresh model, one seed per sweep task (torch on one thread in it). The policy
text ``"sb3"`` is stock SB3 DQN, for comparisons."""


def _dqn_validate(study: Any, fam: Any, error: ErrorFn) -> None:
    try:
        from boltzmann_rl import sb3
    except ImportError as exc:
        raise error(fam.agent_key + ".name", str(exc)) from None
    args = json.loads(fam.agent_args_json)
    if "timesteps" not in args:
        raise error(fam.agent_key + ".args.timesteps", "missing required field (agent 'dqn')")
    allowed = {"timesteps", *inspect.signature(sb3.DQN).parameters} - {"policy", "env", "seed"}
    for k in args:
        if k not in allowed:
            raise error(
                f"{fam.agent_key}.args.{k}", "unknown agent argument", ", ".join(sorted(allowed))
            )


def _gym_validate(study: Any, error: ErrorFn) -> None:
    from boltzmann_rl.gym import ALGORITHMS, make_env

    for m in _problems(study).values():
        try:
            env = make_env(study.env, m.cell.env_args)
            env.close()
        except (TypeError, ValueError) as exc:
            raise _env_error(study, m, str(exc), error) from None
    budget = study.budget
    if "seeds" not in budget and "runs" not in budget:
        raise error(
            "budget.seeds",
            "missing required field (or budget.runs: the batched tabular engine, for "
            "environments with transition tables)",
        )
    if "seeds" in budget and "runs" in budget:
        raise error(
            "budget",
            "give seeds (agents trained one environment at a time) or runs (the batched "
            "tabular engine, for environments with transition tables), not both",
        )
    if "runs" in budget:
        _tabular_validate(study, error)
        return
    allowed = _gym_agent_params()
    checked: set[tuple[str, str, str]] = set()
    for fam in study.families:
        key = fam.agent_key
        if fam.agent == DQN_AGENT:
            _dqn_validate(study, fam, error)
            continue
        if fam.agent not in ALGORITHMS:
            raise error(key + ".name", f"unknown agent {fam.agent!r}", ", ".join(ALGORITHMS))
        args = json.loads(fam.agent_args_json)
        for k in args:
            if k not in allowed:
                raise error(f"{key}.args.{k}", "unknown agent argument", ", ".join(allowed))
    # Build each distinct agent + policy once on its problem's spaces: bad values fail here.
    for m in study.members:
        c = m.cell
        if (c.env_args_json, c.agent_args_json, c.policy) in checked:
            continue
        checked.add((c.env_args_json, c.agent_args_json, c.policy))
        try:
            if c.agent == DQN_AGENT:
                _dqn_model(c)
            else:
                _run_gym_seed(c, 0, episodes=1, eval_episodes=0)
        except (TypeError, ValueError) as exc:
            raise error(f"family {m.family!r}", f"{c.policy} with {c.agent_args}: {exc}") from None


# Agent arguments of gym studies that the batched tabular engine takes, and the one
# that shapes its model; everything else needs the per-env path (budget.seeds).
_TABULAR_ARGS = (
    "alpha",
    "gamma",
    "initial_value",
    "anneal",
    "alpha_by",
    "backup_temperature",
    "omega",
    "eval_every",
)


def _tabular_model(cell: Cell) -> Any:
    from boltzmann_rl.gym.tabular import TabularModel

    limit = cell.agent_args.get("max_episode_steps")
    kwargs = {} if limit is None else {"max_episode_steps": limit}
    return TabularModel.from_env(cell.env, **cell.env_args, **kwargs)


def _tabular_validate(study: Any, error: ErrorFn) -> None:
    from boltzmann_rl.gym.tabular import NoModelError

    allowed = (*_TABULAR_ARGS, "max_episode_steps")
    for fam in study.families:
        for k in json.loads(fam.agent_args_json):
            if k not in allowed:
                raise error(
                    f"{fam.agent_key}.args.{k}",
                    "not an argument of the batched tabular engine (budget.runs); use "
                    "budget.seeds for the per-env path",
                    ", ".join(allowed),
                )
    checked: set[tuple[str, str, str]] = set()
    for m in study.members:
        c = m.cell
        if (c.env_args_json, c.agent_args_json, c.policy) in checked:
            continue
        checked.add((c.env_args_json, c.agent_args_json, c.policy))
        try:
            _run_tabular(c, runs=1, episodes=1)
        except NoModelError as exc:
            raise error("budget.runs", str(exc)) from None
        except (TypeError, ValueError) as exc:
            raise error(f"family {m.family!r}", f"{c.policy} with {c.agent_args}: {exc}") from None


def _run_tabular(cell: Cell, *, runs: int, episodes: int) -> Any:
    from boltzmann_rl.gym.tabular import train_tabular

    kwargs = {k: v for k, v in cell.agent_args.items() if k in _TABULAR_ARGS}
    kwargs.setdefault("eval_every", cell.budget.get("eval_every", max(1, episodes // 20)))
    return train_tabular(
        _tabular_model(cell),
        cell.policy,
        algorithm=cell.agent,
        runs=runs,
        episodes=episodes,
        seed=np.random.SeedSequence(cell.entropy),
        **kwargs,
    )


def _tabular_cell(cell: Cell) -> dict[str, Any]:
    """One cell on the batched tabular engine: ``runs`` runs in one simulation."""
    b = cell.budget
    r = _run_tabular(cell, runs=b["runs"], episodes=b["episodes"])
    from boltzmann_rl.stats import moving_average

    curve, curve_ci = _mean_ci_rows(np.array([moving_average(x, 100) for x in r.episode_returns]))
    value, value_ci = _mean_ci_rows(r.eval_values)
    summary = {"runs": float(r.runs)}
    for name, values in (
        ("eval_return", r.final_values),  # the exact expected greedy return, on the model
        ("train_return_last100", r.episode_returns[:, -100:].mean(axis=1)),
    ):
        m, h = _mean_ci_rows(values[:, None])
        summary[name] = float(m[0])
        summary[f"{name}_ci"] = float(h[0])
    return {
        "summary": summary,
        "arrays": {
            "train_return": curve,
            "train_return_ci": curve_ci,
            "greedy_value": value,
            "greedy_value_ci": value_ci,
            "greedy_value_at": r.eval_at.astype(np.float64),
        },
    }


def _seed_words(cell: Cell, index: int) -> int:
    """An independent 64-bit seed for run ``index`` of a cell, from the cell's entropy."""
    ss = np.random.SeedSequence(cell.entropy, spawn_key=(index,))
    return int(ss.generate_state(1, np.uint64)[0])


def _dqn_model(cell: Cell) -> Any:
    """Build (not train) a cell's DQN: its policy and hyperparameters fail here."""
    import gymnasium as gym

    from boltzmann_rl import sb3

    kwargs = cell.agent_args
    kwargs.pop("timesteps")
    env = gym.make(cell.env, **cell.env_args)
    if cell.policy.strip() == sb3.STOCK:
        return sb3.DQN("MlpPolicy", env, **kwargs)
    return sb3.BoltzmannDQN("MlpPolicy", env, cell.policy, **kwargs)


def _run_gym_seed(
    cell: Cell, index: int, *, episodes: int, eval_episodes: int, eval_every: int | None = None
) -> Any:
    from boltzmann_rl.gym import run_gym

    kwargs = cell.agent_args
    if cell.agent == DQN_AGENT:
        import torch

        from boltzmann_rl.sb3 import run_dqn

        # One intra-op thread: the sweep's workers already fill the cores, and on a
        # 2-core machine torch's default thread pool made DQN steps ~15x slower when
        # several workers ran.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return run_dqn(
                cell.env,
                cell.policy,
                env_kwargs=cell.env_args,
                episodes=episodes,
                eval_episodes=eval_episodes,
                seed=_seed_words(cell, index) % 2**32,  # SB3 seeds numpy's legacy state: 32 bits
                **kwargs,
            )
        finally:
            torch.set_num_threads(threads)  # the serial backend runs in the caller's process
    tile_kwargs = {_TILE_ARGS[k][0]: kwargs.pop(k) for k in list(kwargs) if k in _TILE_ARGS}
    if tile_kwargs:
        kwargs["agent_kwargs"] = {**(kwargs.get("agent_kwargs") or {}), **tile_kwargs}
    # Periodic greedy evaluations every `eval_every` episodes (budget.eval_every); none
    # when it is not given (the validation run).
    kwargs.setdefault("eval_every", eval_every or episodes + 1)
    return run_gym(
        cell.env,
        cell.agent,
        cell.policy,
        env_kwargs=cell.env_args,
        episodes=episodes,
        eval_episodes=eval_episodes,
        seed=_seed_words(cell, index),
        **kwargs,
    )


def _gym_seed(cell: Cell, index: int) -> dict[str, np.ndarray]:
    """Train and evaluate seed ``index`` of a per-env gym cell: one part of the cell.

    Returns what :func:`_gym_combine` needs of the seed, as float64 arrays (stored
    bit for bit): ``episode_returns``, ``eval_returns`` (the final greedy
    evaluation), ``eval_means`` and ``eval_at`` (the periodic evaluations).
    """
    b = cell.budget
    r = _run_gym_seed(
        cell,
        index,
        episodes=b["episodes"],
        eval_episodes=b["eval_episodes"],
        eval_every=b.get("eval_every"),
    )
    if r.interrupted:  # Ctrl-C inside the training loop: never commit a partial seed
        raise KeyboardInterrupt
    return {
        name: np.asarray(getattr(r, name), dtype=np.float64)
        for name in ("episode_returns", "eval_returns", "eval_means", "eval_at")
    }


def _gym_combine(cell: Cell, seeds: list[dict[str, np.ndarray]]) -> dict[str, Any]:
    """A per-env gym cell's result from its seeds' results (:func:`_gym_seed`), in order."""
    from boltzmann_rl.stats import mean_ci, moving_average

    returns = [s["episode_returns"] for s in seeds]
    last100 = [float(np.mean(r[-100:])) for r in returns]
    evals = [float(np.mean(s["eval_returns"])) for s in seeds]
    eval_at = seeds[-1]["eval_at"]
    # DQN runs are budgeted in timesteps: their episode counts differ; compare the
    # episodes all seeds have
    n = min(len(r) for r in returns)
    curve, curve_ci = _mean_ci_rows(np.array([moving_average(r[:n], 100) for r in returns]))
    summary = {}
    for name, values in (("eval_return", evals), ("train_return_last100", last100)):
        m, h = mean_ci(np.array(values))
        summary[name] = float(m)
        summary[f"{name}_ci"] = float(h)
    arrays = {
        "train_return": curve,
        "train_return_ci": curve_ci,
        # per seed, in seed order: the rows of the `seeds` export table
        "seed_eval_return": np.array(evals, dtype=np.float64),
        "seed_train_return_last100": np.array(last100, dtype=np.float64),
    }
    if len(eval_at):  # the greedy evaluation curve: mean and 95 % CI across seeds
        periodic = [s["eval_means"] for s in seeds]
        eval_curve, eval_ci = _mean_ci_rows(np.array(periodic, dtype=np.float64))
        arrays["eval_return"] = eval_curve
        arrays["eval_return_ci"] = eval_ci
        arrays["eval_at"] = eval_at
    return {"summary": summary, "arrays": arrays}


def _gym_seeds(cell: Cell) -> int:
    """Parts of a gym cell: its ``budget.seeds`` (the tabular engine's cells run whole)."""
    return cell.budget.get("seeds", 1)


def _gym_run(cells: list[Cell]) -> list[dict[str, Any]]:
    out = []
    for cell in cells:
        if "runs" in cell.budget:
            out.append(_tabular_cell(cell))
        else:
            seeds = [_gym_seed(cell, s) for s in range(cell.budget["seeds"])]
            out.append(_gym_combine(cell, seeds))
    return out


def _mean_ci_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and 95 % half-width over axis 0 (NaN half-width for one row)."""
    from boltzmann_rl.stats import mean_ci

    if x.shape[0] < 2:
        return x.mean(axis=0), np.full(x.shape[1:], np.nan)
    m, h = mean_ci(x, axis=0)
    return np.asarray(m, dtype=np.float64), np.asarray(h, dtype=np.float64)


# --------------------------------------------------------------------------- bandit


def _bandit_agent(cell: Cell) -> Any:
    from boltzmann_rl.bandits.registry import make_bandit_agent

    return make_bandit_agent(cell.agent, cell.policy or None, **cell.agent_args)


def _bandit_validate(study: Any, error: ErrorFn) -> None:
    from boltzmann_rl.bandits import make_env

    envs = {}
    for args_json, m in _problems(study).items():
        try:
            envs[args_json] = make_env(study.env, **m.cell.env_args)
        except (TypeError, ValueError) as exc:
            raise _env_error(study, m, str(exc), error) from None
    from boltzmann_rl.bandits.registry import BANDIT_AGENTS

    for i, fam in enumerate(study.families):
        key = f"family[{i}]"
        agent_key = fam.agent_key
        entry = BANDIT_AGENTS.get(fam.agent)
        if entry is None:
            raise error(
                f"{agent_key}.name", f"unknown agent {fam.agent!r}", ", ".join(BANDIT_AGENTS)
            )
        params = [p.name for p in entry.params]
        for k in json.loads(fam.agent_args_json):
            if k not in params:
                raise error(
                    f"{agent_key}.args.{k}",
                    f"unknown argument of agent {fam.agent!r}",
                    ", ".join(params) or "(none)",
                )
        if entry.takes_policy and not fam.policy:
            raise error(f"{key}.policy", f"missing required field (agent {fam.agent!r})")
        if not entry.takes_policy and fam.policy:
            raise error(
                f"{key}.policy",
                f"agent {fam.agent!r} chooses its actions itself and takes no policy",
                "leave the policy out, or use an agent that takes one (action_value)",
            )
    # Build every agent and check its reward range against its problem, as the engine
    # does up front. Nothing is simulated: a policy that fails on the values it meets
    # (q / sum(q) with a negative estimate) fails its cell at run time, not the study.
    seen = set()
    for m in study.members:
        if m.cell.id in seen:
            continue
        seen.add(m.cell.id)
        try:
            agent = _bandit_agent(m.cell)
        except (TypeError, ValueError) as exc:
            raise error(f"family {m.family!r}", f"{m.label}: {exc}") from None
        env = envs[m.cell.env_args_json]
        lo, hi = env.reward_range
        alo, ahi = getattr(agent, "reward_range", (-math.inf, math.inf))
        if lo < alo or hi > ahi:
            raise error(
                f"family {m.family!r}",
                f"{m.label}: {agent.label} needs rewards in [{alo}, {ahi}] but {env!r} gives "
                f"rewards in [{lo}, {hi}]; choose another environment or rescale the rewards "
                "(offset and scale)",
            )


def _bandit_run(cells: list[Cell]) -> list[dict[str, Any]]:
    from boltzmann_rl.bandits import METRICS, SUMMARIES, make_env, simulate

    first = cells[0]
    budget = first.budget
    result = simulate(
        make_env(first.env, **first.env_args),
        [_bandit_agent(c) for c in cells],
        runs=budget["runs"],
        steps=budget["steps"],
        seeds=[c.entropy for c in cells],
        labels=[c.id for c in cells],
    )
    out = []
    for group in result.groups:
        summary: dict[str, Any] = {}
        for name in SUMMARIES:
            mean, half = group.stats[name]
            summary[name] = float(mean)
            summary[f"{name}_ci"] = float(half)
        arrays = {}
        for name in METRICS:
            curve = group.curves[name]
            arrays[name] = curve.mean
            arrays[f"{name}_ci"] = curve.ci
        for name in SUMMARIES:
            # per run, in run order: the rows of the `runs` export table
            arrays[f"run_{name}"] = group.per_run[name]
        out.append({"summary": summary, "arrays": arrays})
    return out


def _bandit_cost(cell: Cell) -> int:
    """Cells per simulation: about 400k run-arm rows of state per batch."""
    arms = cell.env_args.get("arms", 10)
    arms = arms if isinstance(arms, int) and arms > 0 else 10
    return max(1, 400_000 // (cell.budget["runs"] * arms))


TASKS: dict[str, Task] = {
    "bandit": Task(
        kind="bandit",
        budget={"runs": None, "steps": None},
        default_agent="action_value",
        metrics={
            "mean_reward": {"label": "average reward over all steps", "higher": True},
            "final_reward": {"label": "average reward, last 10% of steps", "higher": True},
            "final_optimal": {
                "label": "fraction of optimal actions, last 10% of steps",
                "higher": True,
            },
            "regret": {"label": "total regret", "higher": False},
        },
        default_metric="mean_reward",
        curves={
            "reward": {"label": "average reward", "x": "step"},
            "optimal": {"label": "% optimal action", "x": "step"},
            "regret": {"label": "cumulative regret", "x": "step"},
            "entropy": {"label": "policy entropy (nats)", "x": "step"},
        },
        batchable=True,
        validate_fn=_bandit_validate,
        run_fn=_bandit_run,
        batch_cost=_bandit_cost,
    ),
    "gym": Task(
        kind="gym",
        budget={"seeds": 0, "runs": 0, "episodes": None, "eval_episodes": 100, "eval_every": 100},
        default_agent="qlearning",
        metrics={
            # budget.runs: the exact expected return of the greedy policy (on the model)
            "eval_return": {"label": "greedy evaluation return", "higher": True},
            "train_return_last100": {
                "label": "training return, last 100 episodes",
                "higher": True,
            },
        },
        default_metric="eval_return",
        curves={
            "train_return": {
                "label": "training return\n(moving average of 100 episodes)",
                "x": "episode",
            },
            "eval_return": {
                "label": "greedy evaluation return\n(this ranks the settings)",
                "x": "episode",
                "x_array": "eval_at",
            },
            "greedy_value": {
                "label": "exact greedy value",
                "x": "episode",
                "x_array": "greedy_value_at",
            },
        },
        batchable=False,
        validate_fn=_gym_validate,
        run_fn=_gym_run,
        batch_cost=lambda cell: 1,
        # per-env cells: one part per seed (a DQN seed at the zoo's budget is minutes)
        parts=Parts(count=_gym_seeds, run=_gym_seed, combine=_gym_combine, unit="seeds"),
    ),
}
"""The kinds of problem a study can have, by ``problem.type``."""


# --------------------------------------------------------------------------- workers


def batch_payload(cells: Sequence[Cell], part: int | None = None) -> dict[str, Any]:
    """The plain-data payload of a batch (what crosses to a worker).

    Parameters
    ----------
    cells : sequence of Cell
        Cells of one kind.
    part : int, optional
        Run only this part of the one cell (see :class:`Parts`), not the whole cell.

    Examples
    --------
    >>> from boltzmann_rl.sweep.cells import Cell
    >>> from boltzmann_rl.sweep.tasks import batch_payload
    >>> c = Cell("gym", "FrozenLake-v1", {}, "qlearning", {}, "greedy",
    ...          {"seeds": 2, "episodes": 1, "eval_episodes": 1})
    >>> batch_payload([c])["kind"], batch_payload([c], part=1)["part"]
    ('gym', 1)
    >>> batch_payload([c, c], part=0)
    Traceback (most recent call last):
    ...
    ValueError: a batch of one part holds one cell, got 2
    """
    kinds = {c.kind for c in cells}
    if len(kinds) != 1:
        raise ValueError(f"a batch holds cells of one kind, got {sorted(kinds)}")
    payload: dict[str, Any] = {"kind": kinds.pop(), "cells": [c.config() for c in cells]}
    if part is not None:
        if len(cells) != 1:
            raise ValueError(f"a batch of one part holds one cell, got {len(cells)}")
        payload["part"] = part
    return payload


def error_text(exc: BaseException) -> str:
    """How a failed cell's error is recorded: ``"ValueError: message"`` on one line.

    Examples
    --------
    >>> from boltzmann_rl.sweep.tasks import error_text
    >>> error_text(ValueError("defined only for values >= 0,\\n  got -1.0"))
    'ValueError: defined only for values >= 0, got -1.0'
    """
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _run_cells(task: Task, cells: list[Cell]) -> list[dict[str, Any]]:
    """The results of ``cells``; ``{"error": text}`` for a cell that raised.

    A batch that raises is run again one cell at a time: the cell at fault is
    pinned down and the others still finish, with the same numbers (a cell's result
    does not depend on its batch). Only ``Exception`` is caught: Ctrl-C and
    ``SystemExit`` still stop the run.
    """
    try:
        return task.run_fn(cells)
    except Exception as exc:
        if len(cells) == 1:
            return [{"error": error_text(exc)}]
    out = []
    for cell in cells:
        try:
            out += task.run_fn([cell])
        except Exception as exc:
            out.append({"error": error_text(exc)})
    return out


def _run_part(task: Task, cell: Cell, part: int) -> dict[str, Any]:
    """The result of one part of ``cell``: ``{"arrays": ...}``, or ``{"error": text}``."""
    if task.parts is None:
        raise ValueError(f"cells of kind {task.kind!r} do not split into parts")
    try:
        return {"arrays": task.parts.run(cell, part)}
    except Exception as exc:
        return {"error": error_text(exc)}


def execute_batch(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Run a batch in this process; return one result dict per cell, in order.

    Each result has ``cell_id``, ``wall_time`` (the batch's time divided by its
    cells), ``batch_wall_time``, ``batch_size``, ``started_at`` and ``worker``; then
    ``summary`` (JSON-compatible) and ``arrays`` (name -> float64 array) for a cell
    that finished, or ``error`` (see :func:`error_text`) for one that raised. A
    payload with a ``part`` (:func:`batch_payload`) runs that part of its one cell:
    its result also has ``part``, and ``arrays`` without a ``summary``.

    Examples
    --------
    >>> from boltzmann_rl.sweep.tasks import execute_batch
    >>> execute_batch({"kind": "gym", "cells": []})
    []
    """
    cells = [Cell.from_config(c) for c in payload["cells"]]
    if not cells:
        return []
    task = TASKS[payload["kind"]]
    started = time.time()
    t0 = time.perf_counter()
    part = payload.get("part")
    results = _run_cells(task, cells) if part is None else [_run_part(task, cells[0], part)]
    elapsed = time.perf_counter() - t0
    worker = f"{socket.gethostname()}:{os.getpid()}"
    out = []
    for cell, res in zip(cells, results, strict=True):
        row: dict[str, Any] = {
            "cell_id": cell.id,
            "wall_time": elapsed / len(cells),
            "batch_wall_time": elapsed,
            "batch_size": len(cells),
            "started_at": started,
            "worker": worker,
        }
        if part is not None:
            row["part"] = part
        if "error" in res:
            row["error"] = res["error"]
        else:
            if part is None:
                row["summary"] = res["summary"]
            row["arrays"] = {k: np.asarray(v, dtype=np.float64) for k, v in res["arrays"].items()}
        out.append(row)
    return out
