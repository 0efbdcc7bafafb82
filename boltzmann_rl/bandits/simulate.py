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
from collections.abc import Sequence
from typing import Any

import numpy as np

from boltzmann_rl._progress import Progress
from boltzmann_rl.bandits.agents import ActionValueAgent, _entropy_from_parts, as_agent
from boltzmann_rl.bandits.envs import BanditEnv, EnvBatch, make_env
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


class _Family:
    __slots__ = ("agent", "check", "groups", "rng", "rows")

    def __init__(self, agent, groups, rows, rng, check):
        self.agent = agent
        self.groups = groups
        self.rows = rows
        self.rng = rng
        self.check = check


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
    # ---------------------------------------------------------------- validation
    if isinstance(env, str):
        env = make_env(env)
    if not isinstance(env, BanditEnv):
        raise TypeError(f"env must be a BanditEnv or an environment name, got {env!r}")
    runs = _positive_int(runs, "runs")
    steps = _positive_int(steps, "steps")
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real):
        raise TypeError(f"confidence must be a number, got {confidence!r}")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")
    items = list(agents) if isinstance(agents, list | tuple) else [agents]
    if not items:
        raise ValueError("simulate needs at least one agent or policy")
    group_agents = [as_agent(x) for x in items]
    n_groups = len(group_agents)
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
    lo, hi = env.reward_range
    for a, label in zip(group_agents, group_labels, strict=True):
        alo, ahi = getattr(a, "reward_range", (-math.inf, math.inf))
        if lo < alo or hi > ahi:
            raise ValueError(
                f"{label} needs rewards in [{alo}, {ahi}] but {env!r} gives rewards in "
                f"[{lo}, {hi}]; choose another environment or rescale the rewards "
                "(offset and scale)"
            )
    # rows of this call: chunks c0..c1-1
    first_run = c0 * CHUNK_RUNS
    n_runs = min(runs, c1 * CHUNK_RUNS) - first_run
    chunk_sizes = [min(CHUNK_RUNS, runs - c * CHUNK_RUNS) for c in range(c0, c1)]
    k = env.arms

    # ---------------------------------------------------------------- families
    agents_copy = [copy.deepcopy(a) for a in group_agents]
    fam_index: dict[Any, int] = {}
    fam_groups: list[list[int]] = []
    for g, a in enumerate(agents_copy):
        key = a._stack_key() if hasattr(a, "_stack_key") else None
        if key is None or key not in fam_index:
            if key is not None:
                fam_index[key] = len(fam_groups)
            fam_groups.append([g])
        else:
            fam_groups[fam_index[key]].append(g)
    order = [g for fam in fam_groups for g in fam]  # groups in row order
    row_of_group = {g: i * n_runs for i, g in enumerate(order)}
    n_rows = n_runs * n_groups

    def segments(g: int, stream: int):
        return [
            (chunk_seed(group_seeds[g], c, stream), size)
            for c, size in zip(range(c0, c1), chunk_sizes, strict=True)
        ]

    families: list[_Family] = []
    for fam in fam_groups:
        start = row_of_group[fam[0]]
        rows = slice(start, start + n_runs * len(fam))
        rng = BatchRNG([seg for g in fam for seg in segments(g, AGENT_STREAM)])
        if len(fam) == 1:
            agent = agents_copy[fam[0]]
            agent.reset(n_runs, k)
        else:
            cls = type(agents_copy[fam[0]])
            agent = cls._stack([(agents_copy[g], n_runs) for g in fam], k)
        check = not hasattr(agent, "_stack_key")
        families.append(_Family(agent, fam, rows, rng, check))

    # environments: one batch per distinct seed, shared by the groups with that seed
    env_keys: dict[tuple, int] = {}
    env_of_group = []
    for g in range(n_groups):
        key = _seed_key(group_seeds[g])
        if key not in env_keys:
            env_keys[key] = g
        env_of_group.append(list(env_keys).index(key))
    env_groups = list(env_keys.values())
    env_rng = BatchRNG([seg for g in env_groups for seg in segments(g, ENV_STREAM)])
    env_batch = env.batch(env_rng)
    if n_groups == 1:
        env_rows = None
    else:
        env_rows = np.empty(n_rows, dtype=np.int64)
        for g in range(n_groups):
            r0 = row_of_group[g]
            env_rows[r0 : r0 + n_runs] = env_of_group[g] * n_runs + np.arange(n_runs)

    # ---------------------------------------------------------------- buffers
    block = BLOCK_STEPS
    buf_reward = np.empty((block, n_rows))
    buf_regret = np.empty((block, n_rows))
    buf_entropy = np.empty((block, n_rows))
    buf_optimal = np.empty((block, n_rows), dtype=bool)
    n_ch = len(chunk_sizes)
    step_total = {m: np.empty((steps, n_groups, n_ch)) for m in METRICS}
    step_m2 = {m: np.empty((steps, n_groups, n_ch)) for m in METRICS}
    regret_rows = list(buf_regret)
    cum_regret = np.zeros(n_rows)
    reward_sum = np.zeros(n_rows)
    final_reward = np.zeros(n_rows)
    final_optimal = np.zeros(n_rows)
    final_start = steps - final_steps(steps)
    actions = np.empty(n_rows, dtype=np.int64)
    single = families[0] if len(families) == 1 else None
    # One agent on one environment batch (the usual case): built-in agents take the
    # flat indices the environment computes (``_update_flat``), and an entropy given
    # as parts (``_entropy_parts``) is finished once per block, not per step.
    # An entropy that is one number for every run (``_entropy_value``, ε-greedy without
    # ties) is only noted; its block rows are filled, or their moments taken from a
    # cache, in flush. With update_flat, the environment writes the rewards and the
    # optimal flags straight into the block buffers.
    update_flat = entropy_parts = entropy_value = None
    if single is not None and type(single.agent) is ActionValueAgent:
        if env_rows is None and type(env_batch) is EnvBatch and env_batch.n_rows == n_rows:
            update_flat = single.agent._update_flat
        entropy_parts, entropy_value = single.agent._entropy_hooks()
    flat_cols = np.arange(n_rows)
    n_rows_array = np.full(n_rows, n_rows)
    buf_total = np.empty((block, n_rows)) if entropy_parts is not None else None
    deferred = [False] * block  # steps of the block whose buf_entropy holds Σ w z
    constant: list[float | None] = [None] * block  # steps whose entropy is one number
    const_moments: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    reward_rows = list(buf_reward)
    optimal_rows = list(buf_optimal)
    mode = "terminal" if progress is None else "auto" if progress else "quiet"
    bar = Progress("simulate", "steps", sys.stderr, mode=mode, interval=10.0)
    bar.start(steps)

    def entropy_moments(used: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Moments of the entropy rows when every step of the block has the same
        constant entropy (from a cache: the same numbers as reducing the rows), else
        None after writing the constant steps' rows."""
        values = constant[:used]
        first = values[0]
        if first is not None and values.count(first) == used:
            moments = const_moments.get(first)
            if moments is None:
                row = np.full((1, n_rows), first)
                moments = _chunk_moments(row, n_groups, n_runs, chunk_sizes, False)
                const_moments[first] = moments
            return moments
        for i, v in enumerate(values):
            if v is not None:
                buf_entropy[i] = v
        return None

    def flush(t0: int, used: int) -> None:
        steps_parts = [i for i in range(used) if deferred[i]]
        if steps_parts:
            if len(steps_parts) == used:
                # _entropy_from_parts in place: the same operations, no temporaries
                tot, h = buf_total[:used], buf_entropy[:used]
                np.divide(h, tot, out=h)
                np.log(tot, out=tot)
                np.subtract(tot, h, out=h)
                np.maximum(h, 0.0, out=h)
            else:
                sel = np.array(steps_parts)
                buf_entropy[sel] = _entropy_from_parts(buf_total[sel], buf_entropy[sel])
        h_moments = entropy_moments(used)
        for name, buf, shifted in (
            ("reward", buf_reward, True),
            ("regret", buf_regret, False),
            ("entropy", buf_entropy, False),
            ("optimal", buf_optimal, False),
        ):
            if name == "entropy" and h_moments is not None:
                total, m2 = h_moments  # one row, broadcast over the block's steps
            else:
                total, m2 = _chunk_moments(buf[:used], n_groups, n_runs, chunk_sizes, shifted)
            # rows are in family order; results are indexed by group
            for i, g in enumerate(order):
                step_total[name][t0 : t0 + used, g] = total[:, i]
                step_m2[name][t0 : t0 + used, g] = m2[:, i]

    # ---------------------------------------------------------------- the loop
    def end_block(t: int, t0: int, b: int) -> None:
        used = b + 1
        cum_regret[...] = regret_rows[b]
        reward_sum[...] += buf_reward[:used].sum(axis=0)
        if t >= final_start:
            first = max(final_start - t0, 0)
            final_reward[...] += buf_reward[first:used].sum(axis=0)
            final_optimal[...] += np.count_nonzero(buf_optimal[first:used], axis=0)
        flush(t0, used)
        bar.finished(used)

    t0 = 0
    last = steps - 1
    if update_flat is not None:
        # One built-in agent on its own environment batch (the usual case): the same
        # steps as the general loop below, with the per-step Python trimmed.
        agent = single.agent
        select, agent_rng, entropy = agent._select_function(), single.rng, agent.entropy
        step_flat, best = env_batch._step_flat, env_batch._best
        for t in range(steps):
            b = t - t0
            a = select(t, agent_rng)
            idx = np.multiply(a, n_rows_array)  # an array operand: the fastest call
            idx += flat_cols
            reward_row, optimal_row = reward_rows[b], optimal_rows[b]
            rewards, regret, optimal = step_flat(idx, best, None, (reward_row, optimal_row))
            update_flat(idx, rewards)
            parts = None if entropy_parts is None else entropy_parts()
            if parts is not None:
                buf_total[b] = parts[0]
                buf_entropy[b] = parts[1]
                deferred[b] = True
                constant[b] = None
            else:
                value = None if entropy_value is None else entropy_value()
                deferred[b] = False
                constant[b] = value
                if value is None:
                    h = entropy()
                    buf_entropy[b] = np.nan if h is None else h
            if rewards is not reward_row:
                reward_row[...] = rewards
            if optimal is not optimal_row:
                optimal_row[...] = optimal
            # cumulative regret, written straight into its row (cum_regret is the last
            # row of the previous block)
            np.add(regret_rows[b - 1] if b else cum_regret, regret, out=regret_rows[b])
            if b == block - 1 or t == last:
                end_block(t, t0, b)
                t0 = t + 1
    else:
        for t in range(steps):
            b = t - t0
            if single is not None:
                a = single.agent.select(t, single.rng)
                if single.check:
                    a = _check_actions(a, n_rows, k, group_labels[single.groups[0]])
            else:
                for fam in families:
                    fa = fam.agent.select(t, fam.rng)
                    if fam.check:
                        fa = _check_actions(fa, n_runs, k, group_labels[fam.groups[0]])
                    actions[fam.rows] = fa
                a = actions
            rewards, regret, optimal = env_batch.step(a, env_rows)
            if single is not None:
                single.agent.update(a, rewards)
                parts = None if entropy_parts is None else entropy_parts()
                value = None if parts is not None or entropy_value is None else entropy_value()
                if parts is not None:
                    buf_total[b] = parts[0]
                    buf_entropy[b] = parts[1]
                    deferred[b] = True
                    constant[b] = None
                elif value is not None:
                    deferred[b] = False
                    constant[b] = value
                else:
                    h = single.agent.entropy()
                    buf_entropy[b] = np.nan if h is None else h
                    deferred[b] = False
                    constant[b] = None
            else:
                for fam in families:
                    fam.agent.update(a[fam.rows], rewards[fam.rows])
                    h = fam.agent.entropy()
                    buf_entropy[b, fam.rows] = np.nan if h is None else h
            buf_reward[b] = rewards
            buf_optimal[b] = optimal
            np.add(regret_rows[b - 1] if b else cum_regret, regret, out=regret_rows[b])
            if b == block - 1 or t == last:
                end_block(t, t0, b)
                t0 = t + 1
    bar.close()

    # ---------------------------------------------------------------- results
    n_final = steps - final_start
    per_run = {
        "mean_reward": reward_sum / steps,
        "final_reward": final_reward / n_final,
        "final_optimal": final_optimal / n_final,
        "regret": cum_regret,
    }
    run_stats = {}
    for name in SUMMARIES:
        total, m2 = _chunk_moments(per_run[name][None, :], n_groups, n_runs, chunk_sizes, True)
        run_stats[name] = (total[0], m2[0])  # (groups in row order, chunks)
    counts = np.array(chunk_sizes, dtype=np.int64)
    groups = []
    position = {g: i for i, g in enumerate(order)}
    for g in range(n_groups):
        i = position[g]
        step_moments = {m: Moments(counts, step_total[m][:, g], step_m2[m][:, g]) for m in METRICS}
        run_moments = {
            m: Moments(counts, run_stats[m][0][i], run_stats[m][1][i]) for m in SUMMARIES
        }
        groups.append(
            GroupResult.from_moments(
                group_labels[g],
                _seed_label(group_seeds[g]),
                steps,
                step_moments,
                run_moments,
                float(confidence),
                (c0, c1),
            )
        )
    return BanditResult(repr(env), tuple(groups), n_runs, steps)


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
