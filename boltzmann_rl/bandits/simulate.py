"""The vectorized bandit simulation: all runs of all groups, one numpy pass per step.

:func:`simulate` plays ``runs`` independent runs of ``steps`` steps for every agent
configuration ("group") given, with every array shaped by runs (or arms x runs). There
is no Python loop over runs: each step is one ``select``, one environment step and one
``update`` per *family* of groups, where built-in agents of the same kind (for
example Boltzmann policies at ten temperatures) form one family and run as one batch
with per-row parameters.

Determinism
-----------
A result is a deterministic function of the environment, the agents, ``runs``,
``steps`` and the seeds. Randomness comes from fixed chunks of 250 runs, each with its
own ``SeedSequence`` children (:mod:`boltzmann_rl.bandits.rng`); statistics are merged
from per-chunk moments in chunk order (:mod:`boltzmann_rl.bandits.results`). Hence a
group's numbers are bit-for-bit identical

* whether it runs alone or stacked with other groups;
* whatever the split of its chunks between calls (``chunks=``) or workers, once the
  parts are joined with :meth:`~boltzmann_rl.bandits.BanditResult.merge`;
* for the first ``T`` steps, whatever the total number of steps.

Groups with the same seed see the same environments (the same true values and reward
noise: common random numbers), which makes comparisons between them sharper.

Memory: the state of the runs, blocks of 32 steps of per-step values, and the
per-step, per-chunk moments; nothing of size ``runs x steps``.

Examples
--------
>>> from boltzmann_rl.bandits import simulate
>>> result = simulate("gaussian", ["greedy", "egreedy(epsilon=0.1)"],
...                   runs=200, steps=100, seed=0)
>>> for row in result.summary():
...     print(row["policy"], round(row["mean_reward"], 2), round(row["regret"], 1))
greedy 0.9 59.2
egreedy(epsilon=0.1) 0.99 50.8
"""

from __future__ import annotations

import copy
import math
import numbers
import sys
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from boltzmann_rl._checks import open_unit
from boltzmann_rl._floor import entropy_from_parts
from boltzmann_rl._progress import Progress
from boltzmann_rl.bandits._memory import check_simulation
from boltzmann_rl.bandits.agents import as_agent
from boltzmann_rl.bandits.envs import BanditEnv, make_env
from boltzmann_rl.bandits.results import METRICS, SUMMARIES, BanditResult, GroupResult, Moments
from boltzmann_rl.bandits.rng import (
    AGENT_STREAM,
    BLOCK_STEPS,
    CHUNK_RUNS,
    ENV_STREAM,
    BatchRNG,
    as_seed_sequence,
    chunk_seed,
    n_chunks,
)

__all__ = ["final_steps", "simulate"]


def final_steps(steps: int) -> int:
    """How many of the last steps ``final_reward`` and ``final_optimal`` average: 10 %.

    ``ceil(steps / 10)``, so at least one.

    Examples
    --------
    >>> from boltzmann_rl.bandits import final_steps
    >>> final_steps(1000), final_steps(15), final_steps(1)
    (100, 2, 1)
    """
    return -(-steps // 10)


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {type(value).__name__}: {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def _seed_label(seed: Any) -> Any:
    ss = as_seed_sequence(seed)
    entropy = ss.entropy
    if isinstance(entropy, int) and not ss.spawn_key:
        return entropy
    out: dict[str, Any] = {"entropy": entropy}
    if ss.spawn_key:
        out["spawn_key"] = list(ss.spawn_key)
    return out


def _seed_key(seed: Any) -> tuple:
    ss = as_seed_sequence(seed)
    ent = ss.entropy
    return (tuple(ent) if isinstance(ent, list | tuple) else ent, tuple(ss.spawn_key))


# ------------------------------------------------------------ the hooks, declared
# Built-in agents and environments offer the simulation shortcuts through these
# internal protocols; anything else takes the plain BanditAgent / EnvBatch calls.


@runtime_checkable
class _Stacking(Protocol):
    """An agent that can run as one batch with others of an equal key.

    ``_stack_key()`` is None for an agent that runs alone; ``_stack(parts, n_arms)``
    (a classmethod) returns one reset agent playing the rows of every
    ``(agent, n_rows)`` part, with per-row parameters.
    """

    def _stack_key(self) -> Hashable | None: ...

    @classmethod
    def _stack(cls, parts: list[tuple[Any, int]], n_arms: int) -> Any: ...


class _FastSteps(Protocol):
    """A reset agent's per-step shortcuts, the same numbers as its plain methods.

    ``select(t, rng)``: :meth:`select` with less Python per call. ``update_flat(idx,
    rewards)``: :meth:`update` given the pulled arms' flat indices ``a * n + run``.
    ``entropy_parts()``: ``(total, Σ w z)`` views whose entropy
    (:func:`~boltzmann_rl._floor.entropy_from_parts`) is finished a block of steps at a
    time, or None; ``entropy_value()``: the entropy when it is one number for every
    run, or None. Either of the two may be None itself: that shortcut never applies.
    """

    select: Callable[[int, BatchRNG], np.ndarray]
    update_flat: Callable[[np.ndarray, np.ndarray], None]
    entropy_parts: Callable[[], tuple[np.ndarray, np.ndarray] | None] | None
    entropy_value: Callable[[], float | None] | None


@runtime_checkable
class _FastAgent(Protocol):
    """An agent that offers :class:`_FastSteps` (None: not for this configuration)."""

    def _fast_steps(self) -> _FastSteps | None: ...


@runtime_checkable
class _FlatEnv(Protocol):
    """An environment batch that steps on flat indices into the simulation's buffers.

    ``_flat_step()`` returns ``step(idx, reward_out, optimal_out) -> (rewards, regret,
    optimal)`` (the numbers of ``step(actions)`` for ``idx = actions * n_rows + run``;
    the arrays returned may be the ``out`` ones), or None.
    """

    n_rows: int

    def _flat_step(self) -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]] | None: ...


# ------------------------------------------------------------------ the simulation


def simulate(
    env: BanditEnv | str,
    agents: Any,
    *,
    runs: int = 2000,
    steps: int = 1000,
    seed: Any = 0,
    seeds: Sequence[Any] | None = None,
    labels: Sequence[str] | None = None,
    chunks: tuple[int, int] | None = None,
    confidence: float = 0.95,
    progress: bool | None = False,
) -> BanditResult:
    """Simulate every agent configuration for ``runs`` runs of ``steps`` steps.

    Parameters
    ----------
    env : BanditEnv or str
        The environment, or a name for :func:`~boltzmann_rl.bandits.make_env`
        (``"gaussian"``, the 10-armed testbed, ``"bernoulli"``, ``"nonstationary"``).
    agents : agent, policy, str, or a list of them
        One group per item: a :class:`~boltzmann_rl.bandits.BanditAgent`, a policy
        or a policy text (a sample-average :class:`~boltzmann_rl.bandits.ActionValueAgent`).
        Agents are copied, never changed.
    runs : int, default 2000
        Independent runs per group.
    steps : int, default 1000
        Steps per run.
    seed : int, sequence of int or SeedSequence, default 0
        The seed of every group that ``seeds`` does not set.
    seeds : sequence, optional
        One seed per group (for example derived from a sweep cell's id). A group's
        numbers depend only on its own seed, never on the other groups.
    labels : sequence of str, optional
        One name per group; default: a policy text as given, else ``agent.label``
        or ``repr(agent)``.
    chunks : (int, int), optional
        Simulate only the runs of chunks ``start`` to ``stop - 1`` (250 runs each);
        join the parts with :meth:`~boltzmann_rl.bandits.BanditResult.merge`.
    confidence : float, default 0.95
        Confidence level of the intervals.
    progress : bool or None, default False
        Report progress on stderr: a bar on a terminal or in a notebook, plain lines
        elsewhere; ``None``: only the bar, where one can be drawn.

    Returns
    -------
    BanditResult

    Raises
    ------
    ValueError, TypeError
        Bad sizes, unknown environment or policy names, NaN or out-of-range
        parameters, seeds or labels that do not match the groups, an agent whose
        accepted rewards (``reward_range``) do not contain the environment's. All are
        raised before anything runs.

    Examples
    --------
    >>> from boltzmann_rl.bandits import GradientBandit, GaussianBandit, simulate
    >>> env = GaussianBandit(mean=4.0)
    >>> r = simulate(env, [GradientBandit(0.1), GradientBandit(0.1, baseline=False)],
    ...              runs=200, steps=200, seed=1)
    >>> [round(g.stats["final_optimal"][0], 2) for g in r]
    [0.72, 0.37]
    """
    check_simulation(env, agents, runs, steps, chunks)  # refuse what cannot fit, before allocating
    plan = _Plan(env, agents, runs, steps, seed, seeds, labels, chunks, confidence)
    record = _Record(plan)
    step = _stepper(plan, record)
    mode = "terminal" if progress is None else "auto" if progress else "quiet"
    bar = Progress("simulate", "steps", sys.stderr, mode=mode, interval=10.0)
    bar.start(plan.steps)
    t0 = 0
    for t in range(plan.steps):
        b = t - t0
        step(t, b)
        if b == BLOCK_STEPS - 1 or t == plan.steps - 1:
            record.end_block(t, t0, b)
            bar.finished(b + 1)
            t0 = t + 1
    bar.close()
    return record.result()


def _stepper(plan: _Plan, record: _Record) -> Callable[[int, int], None]:
    """``step(t, b)``: play step ``t`` of every row, recorded in row ``b`` of the block.

    One agent with its shortcuts (:class:`_FastSteps`) on its own environment batch
    (the usual case) takes the flat indices the environment computes and writes the
    rewards and optimal flags straight into the block; otherwise every family selects,
    the environments step, every family learns.
    """
    n_rows, k = plan.n_rows, plan.k
    fast, env_batch, families = plan.fast, plan.env_batch, plan.families
    flat_step = None
    if fast is not None and plan.env_rows is None and isinstance(env_batch, _FlatEnv):
        if env_batch.n_rows == n_rows:
            flat_step = env_batch._flat_step()
    if flat_step is not None and fast is not None:  # flat_step is only made with fast
        select, update_flat, rng = fast.select, fast.update_flat, families[0].rng
        flat_cols = np.arange(n_rows)
        n_rows_array = np.full(n_rows, n_rows)

        def fast_step(t: int, b: int) -> None:
            a = select(t, rng)
            idx = np.multiply(a, n_rows_array)  # an array operand: the fastest call
            idx += flat_cols
            rewards, regret, optimal = flat_step(idx, record.reward_rows[b], record.optimal_rows[b])
            update_flat(idx, rewards)
            record.note_entropy(b)
            record.note_step(b, rewards, regret, optimal)

        return fast_step

    actions = np.empty(n_rows, dtype=np.int64)
    env_rows, labels = plan.env_rows, plan.group_labels

    def step(t: int, b: int) -> None:
        for fam in families:
            fa = fam.agent.select(t, fam.rng)
            if fam.check:
                fa = _check_actions(fa, fam.n, k, labels[fam.groups[0]])
            actions[fam.rows] = fa
        rewards, regret, optimal = env_batch.step(actions, env_rows)
        for fam in families:
            fam.agent.update(actions[fam.rows], rewards[fam.rows])
        if len(families) == 1:
            record.note_entropy(b)
        else:
            for fam in families:
                h = fam.agent.entropy()
                record.buf_entropy[b, fam.rows] = np.nan if h is None else h
        record.note_step(b, rewards, regret, optimal)

    return step


class _Family:
    """Groups of built-in agents of one kind, played as one batch (or one agent alone)."""

    __slots__ = ("agent", "check", "groups", "n", "rng", "rows")

    def __init__(self, agent: Any, groups: list[int], rows: slice, rng: BatchRNG, check: bool):
        self.agent = agent
        self.groups = groups
        self.rows = rows
        self.n = rows.stop - rows.start
        self.rng = rng
        self.check = check  # a user's agent: its actions are checked every step


class _Plan:
    """What one call of :func:`simulate` plays: validated groups, families, environments."""

    def __init__(self, env, agents, runs, steps, seed, seeds, labels, chunks, confidence):
        if isinstance(env, str):
            env = make_env(env)
        if not isinstance(env, BanditEnv):
            raise TypeError(f"env must be a BanditEnv or an environment name, got {env!r}")
        self.env = env
        self.runs = runs = _positive_int(runs, "runs")
        self.steps = _positive_int(steps, "steps")
        self.confidence = open_unit(confidence, "confidence")
        self._groups(agents, seed, seeds, labels)
        self._chunks(chunks)
        self.k = env.arms
        self._families()
        self._environments()

    def _groups(self, agents, seed, seeds, labels) -> None:
        items = list(agents) if isinstance(agents, list | tuple) else [agents]
        if not items:
            raise ValueError("simulate needs at least one agent or policy")
        group_agents = [as_agent(x) for x in items]
        n_groups = self.n_groups = len(group_agents)
        if seeds is None:
            group_seeds = [seed] * n_groups
        else:
            group_seeds = list(seeds)
            if len(group_seeds) != n_groups:
                raise ValueError(f"got {len(group_seeds)} seeds for {n_groups} groups")
        for s in group_seeds:
            as_seed_sequence(s)  # validates
        if labels is None:
            group_labels = [
                x.strip() if isinstance(x, str) else str(getattr(a, "label", None) or repr(a))
                for x, a in zip(items, group_agents, strict=True)
            ]
        else:
            group_labels = [str(x) for x in labels]
            if len(group_labels) != n_groups:
                raise ValueError(f"got {len(group_labels)} labels for {n_groups} groups")
        lo, hi = self.env.reward_range
        for a, label in zip(group_agents, group_labels, strict=True):
            alo, ahi = getattr(a, "reward_range", (-math.inf, math.inf))
            if lo < alo or hi > ahi:
                raise ValueError(
                    f"{label} needs rewards in [{alo}, {ahi}] but {self.env!r} gives rewards "
                    f"in [{lo}, {hi}]; choose another environment or rescale the rewards "
                    "(offset and scale)"
                )
        self.group_agents, self.group_seeds, self.group_labels = (
            group_agents,
            group_seeds,
            group_labels,
        )

    def _chunks(self, chunks) -> None:
        runs = self.runs
        total_chunks = n_chunks(runs)
        if chunks is None:
            c0, c1 = 0, total_chunks
        else:
            try:
                c0, c1 = (int(c) for c in chunks)
            except (TypeError, ValueError):
                raise TypeError(f"chunks must be a pair (start, stop), got {chunks!r}") from None
            if not 0 <= c0 < c1 <= total_chunks:
                raise ValueError(
                    f"chunks {chunks!r} out of range: {runs} runs make chunks 0..{total_chunks - 1}"
                )
        self.c0, self.c1 = c0, c1
        first_run = c0 * CHUNK_RUNS
        self.n_runs = min(runs, c1 * CHUNK_RUNS) - first_run  # rows of this call, per group
        self.chunk_sizes = [min(CHUNK_RUNS, runs - c * CHUNK_RUNS) for c in range(c0, c1)]
        self.n_rows = self.n_runs * self.n_groups

    def _segments(self, g: int, stream: int) -> list[tuple[Any, int]]:
        return [
            (chunk_seed(self.group_seeds[g], c, stream), size)
            for c, size in zip(range(self.c0, self.c1), self.chunk_sizes, strict=True)
        ]

    def _families(self) -> None:
        """Stack agents of equal keys; ``order``: the groups in row order."""
        agents = [copy.deepcopy(a) for a in self.group_agents]
        fam_index: dict[Any, int] = {}
        fam_groups: list[list[int]] = []
        for g, a in enumerate(agents):
            key = a._stack_key() if isinstance(a, _Stacking) else None
            if key is None or key not in fam_index:
                if key is not None:
                    fam_index[key] = len(fam_groups)
                fam_groups.append([g])
            else:
                fam_groups[fam_index[key]].append(g)
        self.order = [g for fam in fam_groups for g in fam]
        self.row_of_group = {g: i * self.n_runs for i, g in enumerate(self.order)}
        n_runs, k = self.n_runs, self.k
        self.families = []
        for fam in fam_groups:
            start = self.row_of_group[fam[0]]
            rows = slice(start, start + n_runs * len(fam))
            rng = BatchRNG([seg for g in fam for seg in self._segments(g, AGENT_STREAM)])
            if len(fam) == 1:
                agent = agents[fam[0]]
                agent.reset(n_runs, k)
            else:
                agent = type(agents[fam[0]])._stack([(agents[g], n_runs) for g in fam], k)
            check = not isinstance(agent, _Stacking)
            self.families.append(_Family(agent, fam, rows, rng, check))
        self.fast = None
        if len(self.families) == 1 and isinstance(self.families[0].agent, _FastAgent):
            self.fast = self.families[0].agent._fast_steps()

    def _environments(self) -> None:
        """One environment batch per distinct seed, shared by the groups with that seed."""
        env_keys: dict[tuple, int] = {}
        env_of_group = []
        for g in range(self.n_groups):
            key = _seed_key(self.group_seeds[g])
            if key not in env_keys:
                env_keys[key] = g
            env_of_group.append(list(env_keys).index(key))
        env_rng = BatchRNG(
            [seg for g in env_keys.values() for seg in self._segments(g, ENV_STREAM)]
        )
        self.env_batch = self.env.batch(env_rng)
        self.env_rows = None
        if self.n_groups > 1:
            n_runs = self.n_runs
            self.env_rows = np.empty(self.n_rows, dtype=np.int64)
            for g in range(self.n_groups):
                r0 = self.row_of_group[g]
                self.env_rows[r0 : r0 + n_runs] = env_of_group[g] * n_runs + np.arange(n_runs)


class _Record:
    """Blocks of per-step values, their per-chunk moments and the per-run sums.

    Memory: blocks of ``BLOCK_STEPS`` steps of every row, and per-step, per-chunk
    moments; nothing of size ``runs x steps``. An entropy given as parts
    (:class:`_FastSteps`) is finished once per block; one that is one number for every
    run is only noted, and its block's moments are taken from a cache when every step
    of the block has the same number.
    """

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        block, n_rows, steps = BLOCK_STEPS, plan.n_rows, plan.steps
        self.buf_reward = np.empty((block, n_rows))
        self.buf_regret = np.empty((block, n_rows))
        self.buf_entropy = np.empty((block, n_rows))
        self.buf_optimal = np.empty((block, n_rows), dtype=bool)
        self.reward_rows = list(self.buf_reward)
        self.regret_rows = list(self.buf_regret)
        self.optimal_rows = list(self.buf_optimal)
        shape = (steps, plan.n_groups, len(plan.chunk_sizes))
        self.step_total = {m: np.empty(shape) for m in METRICS}
        self.step_m2 = {m: np.empty(shape) for m in METRICS}
        self.cum_regret = np.zeros(n_rows)
        self.reward_sum = np.zeros(n_rows)
        self.final_reward = np.zeros(n_rows)
        self.final_optimal = np.zeros(n_rows)
        self.final_start = steps - final_steps(steps)
        fast = plan.fast
        self.entropy_parts = None if fast is None else fast.entropy_parts
        self.entropy_value = None if fast is None else fast.entropy_value
        self.entropy = plan.families[0].agent.entropy
        self.buf_total = np.empty((block, n_rows)) if self.entropy_parts is not None else None
        self.deferred = [False] * block  # steps of the block whose buf_entropy holds Σ w z
        self.constant: list[float | None] = [None] * block  # steps whose entropy is one number
        self.const_moments: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    def _moments(self, x: np.ndarray, shifted: bool) -> tuple[np.ndarray, np.ndarray]:
        plan = self.plan
        return _chunk_moments(x, plan.n_groups, plan.n_runs, plan.chunk_sizes, shifted)

    def note_step(self, b: int, rewards: np.ndarray, regret: np.ndarray, optimal: np.ndarray):
        """Step ``b`` of the block: its rewards, optimal flags and cumulative regret."""
        reward_row, optimal_row = self.reward_rows[b], self.optimal_rows[b]
        if rewards is not reward_row:
            reward_row[...] = rewards
        if optimal is not optimal_row:
            optimal_row[...] = optimal
        # cumulative regret, written straight into its row (cum_regret is the last row
        # of the previous block)
        np.add(self.regret_rows[b - 1] if b else self.cum_regret, regret, out=self.regret_rows[b])

    def note_entropy(self, b: int) -> None:
        """The entropy of the single family's last select, as parts, a number or rows."""
        parts = None if self.entropy_parts is None else self.entropy_parts()
        if parts is not None:
            # parts come only from entropy_parts, and buf_total is made whenever it is set
            self.buf_total[b] = parts[0]  # type: ignore[index]
            self.buf_entropy[b] = parts[1]
            self.deferred[b] = True
            self.constant[b] = None
            return
        value = None if self.entropy_value is None else self.entropy_value()
        self.deferred[b] = False
        self.constant[b] = value
        if value is None:
            h = self.entropy()
            self.buf_entropy[b] = np.nan if h is None else h

    def end_block(self, t: int, t0: int, b: int) -> None:
        """Steps ``t0 .. t`` (rows ``0 .. b``) are done: fold them into the sums."""
        used = b + 1
        self.cum_regret[...] = self.regret_rows[b]
        self.reward_sum[...] += self.buf_reward[:used].sum(axis=0)
        if t >= self.final_start:
            first = max(self.final_start - t0, 0)
            self.final_reward[...] += self.buf_reward[first:used].sum(axis=0)
            self.final_optimal[...] += np.count_nonzero(self.buf_optimal[first:used], axis=0)
        self._finish_entropy(used)
        h_moments = self._constant_entropy_moments(used)
        order = self.plan.order
        for name, buf, shifted in (
            ("reward", self.buf_reward, True),
            ("regret", self.buf_regret, False),
            ("entropy", self.buf_entropy, False),
            ("optimal", self.buf_optimal, False),
        ):
            if name == "entropy" and h_moments is not None:
                total, m2 = h_moments  # one row, broadcast over the block's steps
            else:
                total, m2 = self._moments(buf[:used], shifted)
            # rows are in family order; results are indexed by group
            for i, g in enumerate(order):
                self.step_total[name][t0 : t0 + used, g] = total[:, i]
                self.step_m2[name][t0 : t0 + used, g] = m2[:, i]

    def _finish_entropy(self, used: int) -> None:
        """Entropies noted as parts become entropies, for the whole block at once."""
        steps_parts = [i for i in range(used) if self.deferred[i]]
        if not steps_parts:
            return
        if len(steps_parts) == used:
            # entropy_from_parts in place: the same operations, no temporaries
            # deferred steps come from note_entropy's parts: buf_total exists
            tot, h = self.buf_total[:used], self.buf_entropy[:used]  # type: ignore[index]
            np.divide(h, tot, out=h)
            np.log(tot, out=tot)
            np.subtract(tot, h, out=h)
            np.maximum(h, 0.0, out=h)
        else:
            sel = np.array(steps_parts)
            parts_total = self.buf_total[sel]  # type: ignore[index]  # exists: see above
            self.buf_entropy[sel] = entropy_from_parts(parts_total, self.buf_entropy[sel])

    def _constant_entropy_moments(self, used: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Moments of the entropy rows when every step of the block has the same
        constant entropy (from a cache: the same numbers as reducing the rows), else
        None after writing the constant steps' rows."""
        values = self.constant[:used]
        first = values[0]
        if first is not None and values.count(first) == used:
            moments = self.const_moments.get(first)
            if moments is None:
                moments = self._moments(np.full((1, self.plan.n_rows), first), False)
                self.const_moments[first] = moments
            return moments
        for i, v in enumerate(values):
            if v is not None:
                self.buf_entropy[i] = v
        return None

    def result(self) -> BanditResult:
        """The groups' results: the moments of every step and of every run, and each
        run's summaries."""
        plan = self.plan
        steps = plan.steps
        n_final = steps - self.final_start
        per_run = {
            "mean_reward": self.reward_sum / steps,
            "final_reward": self.final_reward / n_final,
            "final_optimal": self.final_optimal / n_final,
            "regret": self.cum_regret,
        }
        run_stats = {}
        for name in SUMMARIES:
            total, m2 = self._moments(per_run[name][None, :], True)
            run_stats[name] = (total[0], m2[0])  # (groups in row order, chunks)
        counts = np.array(plan.chunk_sizes, dtype=np.int64)
        position = {g: i for i, g in enumerate(plan.order)}
        groups = []
        for g in range(plan.n_groups):
            i = position[g]
            step_moments = {
                m: Moments(counts, self.step_total[m][:, g], self.step_m2[m][:, g]) for m in METRICS
            }
            run_moments = {
                m: Moments(counts, run_stats[m][0][i], run_stats[m][1][i]) for m in SUMMARIES
            }
            r0 = plan.row_of_group[g]
            # copies: R floats per summary, not views that keep every group's rows alive
            runs_of_group = {m: per_run[m][r0 : r0 + plan.n_runs].copy() for m in SUMMARIES}
            groups.append(
                GroupResult.from_moments(
                    plan.group_labels[g],
                    _seed_label(plan.group_seeds[g]),
                    steps,
                    step_moments,
                    run_moments,
                    plan.confidence,
                    (plan.c0, plan.c1),
                    runs_of_group,
                )
            )
        return BanditResult(repr(plan.env), tuple(groups), plan.n_runs, steps)


def _check_actions(a: Any, n: int, k: int, who: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.shape != (n,):
        raise ValueError(f"agent {who} returned actions of shape {arr.shape}, expected ({n},)")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"agent {who} returned actions of dtype {arr.dtype}, expected integers")
    if n and (arr.min() < 0 or arr.max() >= k):
        bad = arr[(arr < 0) | (arr >= k)].flat[0]
        raise ValueError(f"agent {who} chose arm {bad}, outside [0, {k})")
    return arr


def _chunk_moments(
    x: np.ndarray, n_groups: int, n_runs: int, chunk_sizes: list[int], shifted: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Per-chunk sums and sums of squared deviations of ``x`` (steps, groups * runs).

    Returns two arrays of shape ``(steps, groups, chunks)``. Each chunk is reduced
    over its own contiguous runs, so the numbers do not depend on what else is in
    the batch. ``shifted=True`` takes deviations from the chunk mean (two passes,
    exact for any offset); ``False`` uses ``Σx² - (Σx)²/n`` (one pass less), for
    values whose mean is not large against their spread (regret, entropy).
    """
    steps = x.shape[0]
    v = x.reshape(steps, n_groups, n_runs)
    full = n_runs // CHUNK_RUNS
    rest = n_runs - full * CHUNK_RUNS
    totals = []
    m2s = []
    boolean = x.dtype == np.bool_
    if full:
        part = v[:, :, : full * CHUNK_RUNS].reshape(steps, n_groups, full, CHUNK_RUNS)
        totals_m2 = _moments(part, CHUNK_RUNS, boolean, shifted)
        totals.append(totals_m2[0])
        m2s.append(totals_m2[1])
    if rest:
        part = v[:, :, full * CHUNK_RUNS :].reshape(steps, n_groups, 1, rest)
        totals_m2 = _moments(part, rest, boolean, shifted)
        totals.append(totals_m2[0])
        m2s.append(totals_m2[1])
    if len(totals) == 1:
        return totals[0], m2s[0]
    return np.concatenate(totals, axis=-1), np.concatenate(m2s, axis=-1)


def _moments(
    part: np.ndarray, n: int, boolean: bool, shifted: bool
) -> tuple[np.ndarray, np.ndarray]:
    if boolean:
        if n < 256:  # counts fit uint8, whose sums over a row are much faster
            total = np.add.reduce(part.view(np.uint8), axis=-1, dtype=np.uint8)
            total = total.astype(np.float64)
        else:
            total = np.count_nonzero(part, axis=-1).astype(np.float64)
        return total, total * (1.0 - total / n)
    total = part.sum(axis=-1)
    if not shifted:
        m2 = np.einsum("...i,...i->...", part, part)
        m2 -= total * total / n
        return total, np.maximum(m2, 0.0, out=m2)
    d = part - (total / n)[..., None]
    np.square(d, out=d)
    return total, d.sum(axis=-1)
