"""Results of a bandit simulation: per-step curves and summaries with confidence intervals.

A :class:`BanditResult` holds one :class:`GroupResult` per agent configuration
("group"). Each group has

* ``curves``: for every metric of :data:`METRICS`, a :class:`Curve` of the mean over
  runs at every step and the half-width of its 95 % confidence interval, both shape
  ``(steps,)``;
* ``stats``: the summaries of :data:`SUMMARIES`, each ``(mean, half-width)`` across
  runs of a per-run number;
* ``per_run``: those per-run numbers themselves, one array of shape ``(runs,)`` per
  summary (a run's numbers depend only on its own chunk's streams, never on how the
  runs were split).

Intervals are Student t intervals across runs (:mod:`boltzmann_rl.stats`). Every
number is computed from per-chunk moments (count, sum, sum of squared deviations of
each chunk of 250 runs) merged in chunk order, so a result is bit-for-bit the same
however the chunks were split between batches or workers (:meth:`BanditResult.merge`).

The tidy table (:meth:`BanditResult.tidy`) has one row per group and step; its
``group`` column is the group's position in the order the agents were given (0, 1,
...), which tells two groups with the same label apart. Steps count from 1 there, as
in the textbook's figures. :meth:`BanditResult.to_frame` gives it (or the summary
table, one row per group, or the per-run table of :meth:`BanditResult.run_table`,
one row per group and run) as a pandas DataFrame when pandas is installed
(``pip install "boltzmann-rl[pandas]"``). ``optimal`` and ``final_optimal`` are
fractions (0 to 1) everywhere: in the tables, the figures and the exports.

Examples
--------
>>> from boltzmann_rl.bandits import simulate
>>> r = simulate("gaussian", ["greedy", "egreedy(epsilon=0.1)"], runs=50, steps=20, seed=0)
>>> [g.label for g in r.groups]
['greedy', 'egreedy(epsilon=0.1)']
>>> r["greedy"].curves["reward"].mean.shape
(20,)
>>> sorted(r.tidy())[:4]
['entropy', 'entropy_ci', 'group', 'optimal']
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from boltzmann_rl._rng import CHUNK_RUNS
from boltzmann_rl.stats import t_quantile

__all__ = ["METRICS", "SUMMARIES", "BanditResult", "Curve", "GroupResult", "Moments"]

METRICS: tuple[str, ...] = ("reward", "optimal", "regret", "entropy")
"""Per-step metrics: mean reward, fraction of optimal actions, cumulative regret,
entropy (nats) of the agent's action distribution (NaN where the agent has none)."""

SUMMARIES: tuple[str, ...] = ("mean_reward", "final_reward", "final_optimal", "regret")
"""Per-run summaries: reward averaged over all steps, reward and fraction of optimal
actions averaged over the last 10 % of steps (at least one), cumulative regret at the end."""


class Curve(NamedTuple):
    """A per-step mean across runs and the half-width of its confidence interval.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.bandits import Curve
    >>> mean, ci = Curve(np.array([1.0, 2.0]), np.array([0.1, 0.1]))
    >>> (mean - ci).tolist()
    [0.9, 1.9]
    """

    mean: np.ndarray
    ci: np.ndarray


@dataclass(frozen=True)
class Moments:
    """Per-chunk moments: ``n`` (chunks,), ``total`` and ``m2`` (..., chunks).

    ``total`` is the sum of the chunk's values, ``m2`` the sum of squared deviations
    from the chunk's mean; the last axis is the chunk. Chunks are merged in order
    (Chan, Golub and LeVeque's pairwise formula), so the result depends only on the
    chunks, not on how they were computed.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.bandits.results import Moments
    >>> x = np.array([1.0, 2.0, 3.0, 10.0])
    >>> parts = [x[:3], x[3:]]
    >>> m = Moments(np.array([3, 1]), np.array([p.sum() for p in parts]),
    ...             np.array([((p - p.mean()) ** 2).sum() for p in parts]))
    >>> mean, m2, n = m.merged()
    >>> float(mean), float(m2), n
    (4.0, 50.0, 4)
    """

    n: np.ndarray
    total: np.ndarray
    m2: np.ndarray

    def merged(self) -> tuple[np.ndarray, np.ndarray, int]:
        """Mean, sum of squared deviations and count over all chunks (in chunk order)."""
        n_acc = 0
        mean = np.zeros(self.total.shape[:-1])
        m2 = np.zeros(self.total.shape[:-1])
        for c in range(self.n.shape[0]):
            n_c = int(self.n[c])
            mean_c = self.total[..., c] / n_c
            n_new = n_acc + n_c
            delta = mean_c - mean
            mean = mean + delta * (n_c / n_new)
            m2 = m2 + self.m2[..., c] + delta * delta * (n_acc * n_c / n_new)
            n_acc = n_new
        return mean, m2, n_acc

    def mean_ci(self, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        """Mean and t-interval half-width over all chunks."""
        mean, m2, n = self.merged()
        if n < 2:
            return mean, np.full(mean.shape, np.nan)
        tq = t_quantile((1.0 + confidence) / 2.0, n - 1)
        with np.errstate(invalid="ignore"):
            half = tq * np.sqrt(np.maximum(m2, 0.0) / (n - 1) / n)
        return mean, half

    @staticmethod
    def concat(parts: Sequence[Moments]) -> Moments:
        """Chunks of several parts, in the order given."""
        return Moments(
            np.concatenate([p.n for p in parts]),
            np.concatenate([p.total for p in parts], axis=-1),
            np.concatenate([p.m2 for p in parts], axis=-1),
        )


@dataclass(frozen=True)
class GroupResult:
    """The result of one agent configuration.

    Attributes
    ----------
    label : str
        The configuration's name (a policy's text form for action-value agents).
    seed : int, list of int or None
        The group's seed (its entropy; ``None`` for an unseeded ``SeedSequence``).
    runs, steps : int
        Runs simulated (those of the chunks covered) and steps per run.
    curves : dict of str to Curve
        Per-step metrics, see :data:`METRICS`.
    stats : dict of str to (float, float)
        Summaries and their CI half-widths, see :data:`SUMMARIES`.
    confidence : float
        Confidence level of the intervals.
    chunks : (int, int)
        The chunk range simulated.
    per_run : dict of str to ndarray
        Each run's summaries, see :data:`SUMMARIES`: one array of shape ``(runs,)``
        per summary, in run order (run ``i`` of the result is run
        ``chunks[0] * 250 + i`` of the simulation); ``stats`` are their means.

    Examples
    --------
    >>> from boltzmann_rl.bandits import simulate
    >>> g = simulate("gaussian", "ucb(c=2)", runs=40, steps=10, seed=0)[0]
    >>> g.label, g.runs, g.steps, g.curves["regret"].mean.shape
    ('ucb(c=2)', 40, 10, (10,))
    >>> mean, half = g.stats["regret"]
    >>> half > 0
    True
    >>> g.per_run["regret"].shape
    (40,)
    >>> bool(abs(g.per_run["regret"].mean() - mean) < 1e-9)
    True
    """

    label: str
    seed: Any
    runs: int
    steps: int
    curves: dict[str, Curve]
    stats: dict[str, tuple[float, float]]
    confidence: float = 0.95
    chunks: tuple[int, int] = (0, 0)
    step_moments: dict[str, Moments] = field(default_factory=dict, repr=False)
    run_moments: dict[str, Moments] = field(default_factory=dict, repr=False)
    per_run: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def from_moments(
        cls,
        label: str,
        seed: Any,
        steps: int,
        step_moments: dict[str, Moments],
        run_moments: dict[str, Moments],
        confidence: float,
        chunks: tuple[int, int],
        per_run: dict[str, np.ndarray] | None = None,
    ) -> GroupResult:
        """Build the curves and summaries from per-chunk moments (``per_run``: each
        run's summaries, kept as given)."""
        curves = {}
        for name in METRICS:
            mean, half = step_moments[name].mean_ci(confidence)
            curves[name] = Curve(mean, half)
        stats = {}
        for name in SUMMARIES:
            mean, half = run_moments[name].mean_ci(confidence)
            stats[name] = (float(mean), float(half))
        runs = int(step_moments[METRICS[0]].n.sum())
        return cls(
            label,
            seed,
            runs,
            steps,
            curves,
            stats,
            confidence,
            chunks,
            step_moments,
            run_moments,
            dict(per_run or {}),
        )

    def summary(self) -> dict[str, Any]:
        """The summaries as a flat dict (the JSON output of the command line).

        Keys: ``policy``, then for each of :data:`SUMMARIES` the value and
        ``<name>_ci`` (the half-width), then ``runs``, ``steps`` and ``seed``.
        Non-finite numbers become ``None``.

        Examples
        --------
        >>> from boltzmann_rl.bandits import simulate
        >>> s = simulate("gaussian", "greedy", runs=10, steps=10, seed=0).groups[0].summary()
        >>> list(s)[:4]
        ['policy', 'mean_reward', 'mean_reward_ci', 'final_reward']
        """
        out: dict[str, Any] = {"policy": self.label}
        for name in SUMMARIES:
            mean, half = self.stats[name]
            out[name] = _finite_or_none(mean)
            out[f"{name}_ci"] = _finite_or_none(half)
        out["runs"] = self.runs
        out["steps"] = self.steps
        out["seed"] = self.seed
        return out


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


@dataclass(frozen=True)
class BanditResult:
    """All groups of one simulation (see the module docstring).

    Attributes
    ----------
    env : str
        The environment's ``repr``.
    groups : tuple of GroupResult
        In the order the agents were given.
    runs, steps : int
        Runs per group (covered by this result) and steps.

    Examples
    --------
    >>> from boltzmann_rl.bandits import simulate
    >>> r = simulate("bernoulli", ["greedy", "ucb(c=1)"], runs=30, steps=10, seed=0)
    >>> r.env, r.labels, len(r.to_records())
    ('bernoulli(arms=10)', ['greedy', 'ucb(c=1)'], 20)
    """

    env: str
    groups: tuple[GroupResult, ...]
    runs: int
    steps: int

    @property
    def labels(self) -> list[str]:
        """The groups' labels, in order."""
        return [g.label for g in self.groups]

    def __len__(self) -> int:
        return len(self.groups)

    def __iter__(self) -> Iterator[GroupResult]:
        return iter(self.groups)

    def __getitem__(self, key: int | str) -> GroupResult:
        """A group by index or by label (the first with that label)."""
        if isinstance(key, str):
            for g in self.groups:
                if g.label == key:
                    return g
            raise KeyError(f"no group labelled {key!r}; labels: {self.labels}")
        return self.groups[key]

    def summary(self) -> list[dict[str, Any]]:
        """One :meth:`GroupResult.summary` dict per group."""
        return [g.summary() for g in self.groups]

    def tidy(self) -> dict[str, np.ndarray]:
        """The per-step table as columns: one row per group and step.

        Columns: ``group`` (the group's position in the order the agents were given,
        which tells apart groups with the same label), ``policy`` (label), ``step`` (1,
        2, ...), and for each metric of :data:`METRICS` its mean and ``<metric>_ci``
        (``optimal`` is a fraction). ``pandas.DataFrame`` reads the dict directly;
        :meth:`to_frame` does it for you.

        Examples
        --------
        >>> from boltzmann_rl.bandits import simulate
        >>> t = simulate("gaussian", "greedy", runs=10, steps=5, seed=0).tidy()
        >>> t["step"].tolist(), len(t["policy"])
        ([1, 2, 3, 4, 5], 5)
        """
        cols: dict[str, list] = {"group": [], "policy": [], "step": []}
        for name in METRICS:
            cols[name] = []
            cols[f"{name}_ci"] = []
        steps = np.arange(1, self.steps + 1)
        for i, g in enumerate(self.groups):
            cols["group"].append(np.full(self.steps, i))
            cols["policy"].append(np.full(self.steps, g.label, dtype=object))
            cols["step"].append(steps)
            for name in METRICS:
                cols[name].append(g.curves[name].mean)
                cols[f"{name}_ci"].append(g.curves[name].ci)
        return {k: np.concatenate(v) for k, v in cols.items()}

    def run_table(self) -> dict[str, np.ndarray]:
        """The per-run table as columns: one row per group and run.

        Columns: ``group`` and ``policy`` (as in :meth:`tidy`), ``run`` (the run's
        index in the simulation, from 0), ``chunk`` (its chunk of 250 runs, whose
        random streams it was drawn from: ``chunk_seed(seed, chunk, ...)`` of
        :mod:`boltzmann_rl.bandits.rng`), and one column per summary of
        :data:`SUMMARIES` (that run's value; ``final_optimal`` is a fraction).

        Examples
        --------
        >>> from boltzmann_rl.bandits import simulate
        >>> t = simulate("gaussian", ["greedy", "ucb(c=2)"], runs=3, steps=5, seed=0).run_table()
        >>> t["group"].tolist(), t["run"].tolist()
        ([0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2])
        >>> list(t)[2:]
        ['run', 'chunk', 'mean_reward', 'final_reward', 'final_optimal', 'regret']
        """
        cols: dict[str, list] = {"group": [], "policy": [], "run": [], "chunk": []}
        for name in SUMMARIES:
            cols[name] = []
        for i, g in enumerate(self.groups):
            runs = np.arange(g.chunks[0] * CHUNK_RUNS, g.chunks[0] * CHUNK_RUNS + g.runs)
            cols["group"].append(np.full(g.runs, i))
            cols["policy"].append(np.full(g.runs, g.label, dtype=object))
            cols["run"].append(runs)
            cols["chunk"].append(runs // CHUNK_RUNS)
            for name in SUMMARIES:
                # a result built without per-run numbers (from moments only) has NaN here
                cols[name].append(g.per_run.get(name, np.full(g.runs, np.nan)))
        if not self.groups:
            return {k: np.zeros(0) for k in cols}
        return {k: np.concatenate(v) for k, v in cols.items()}

    def to_frame(self, table: str = "curves") -> Any:
        """The results as a pandas DataFrame (needs pandas: the ``pandas`` extra).

        Parameters
        ----------
        table : {"curves", "summary", "runs"}, default "curves"
            ``"curves"``: :meth:`tidy`, one row per group and step. ``"summary"``:
            one row per group, with ``group`` and the :meth:`GroupResult.summary`
            columns (each summary and its ``<name>_ci``, ``runs``, ``steps``, ``seed``).
            ``"runs"``: :meth:`run_table`, one row per group and run.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ValueError
            For another ``table``.
        boltzmann_rl._optional.MissingExtra
            If pandas is not installed (the message names the extra).

        Examples
        --------
        >>> from boltzmann_rl.bandits import simulate
        >>> r = simulate("gaussian", ["greedy", "ucb(c=2)"], runs=20, steps=5, seed=0)
        >>> r.to_frame().shape
        (10, 11)
        >>> r.to_frame("summary")[["group", "policy"]].values.tolist()
        [[0, 'greedy'], [1, 'ucb(c=2)']]
        >>> r.to_frame("runs").shape
        (40, 8)
        """
        from boltzmann_rl._optional import import_optional

        if table not in ("curves", "summary", "runs"):
            raise ValueError(
                f"table must be 'curves', 'summary' or 'runs', actual value: {table!r}"
            )
        pd = import_optional("pandas", "pandas", "BanditResult.to_frame()")
        if table == "curves":
            return pd.DataFrame(self.tidy())
        if table == "runs":
            return pd.DataFrame(self.run_table())
        rows = [{"group": i, **g.summary()} for i, g in enumerate(self.groups)]
        return pd.DataFrame(rows)

    def to_records(self) -> list[dict[str, Any]]:
        """The tidy table as a list of row dicts (plain Python numbers)."""
        table = self.tidy()
        keys = list(table)
        columns = [table[k].tolist() for k in keys]
        return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]

    def write_csv(self, path: str | Path) -> Path:
        """Write the tidy table as CSV (full float precision; NaN as ``nan``).

        Returns
        -------
        Path
            The path written.
        """
        path = Path(path)
        table = self.tidy()
        keys = list(table)
        columns = [table[k].tolist() for k in keys]
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(keys)
            for row in zip(*columns, strict=True):
                writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
        return path

    @classmethod
    def merge(cls, parts: Sequence[BanditResult]) -> BanditResult:
        """Join results of disjoint chunk ranges of the same simulation.

        ``simulate(..., chunks=(a, b))`` simulates only runs of chunks ``a`` to
        ``b - 1``; merging the parts that cover ``0 .. n`` gives exactly (bit for bit)
        the result of simulating all runs at once.

        Raises
        ------
        ValueError
            Parts of different simulations, or chunk ranges that overlap or leave gaps.

        Examples
        --------
        >>> from boltzmann_rl.bandits import BanditResult, simulate
        >>> kw = dict(runs=600, steps=10, seed=3)
        >>> whole = simulate("gaussian", "greedy", **kw)
        >>> a = simulate("gaussian", "greedy", chunks=(0, 1), **kw)
        >>> b = simulate("gaussian", "greedy", chunks=(1, 3), **kw)
        >>> merged = BanditResult.merge([b, a])
        >>> bool((merged[0].curves["reward"].mean == whole[0].curves["reward"].mean).all())
        True
        >>> bool((merged[0].per_run["regret"] == whole[0].per_run["regret"]).all())
        True
        """
        if not parts:
            raise ValueError("merge needs at least one result")
        parts = sorted(parts, key=lambda p: p.groups[0].chunks[0] if p.groups else 0)
        first = parts[0]
        for p in parts[1:]:
            if p.env != first.env or p.steps != first.steps or p.labels != first.labels:
                raise ValueError(
                    "can only merge parts of the same simulation (environment, steps and "
                    f"groups must match): {first.env} {first.labels} vs {p.env} {p.labels}"
                )
        groups = []
        for i, g0 in enumerate(first.groups):
            gs = [p.groups[i] for p in parts]
            for prev, nxt in itertools.pairwise(gs):
                if prev.chunks[1] != nxt.chunks[0]:
                    raise ValueError(
                        f"chunk ranges must be contiguous and disjoint, got {prev.chunks} "
                        f"then {nxt.chunks}"
                    )
                if prev.seed != nxt.seed:
                    raise ValueError(f"parts have different seeds: {prev.seed} vs {nxt.seed}")
            step_m = {k: Moments.concat([g.step_moments[k] for g in gs]) for k in METRICS}
            run_m = {k: Moments.concat([g.run_moments[k] for g in gs]) for k in SUMMARIES}
            # per-run numbers of every part, in chunk order (none if a part has none)
            per_run = (
                {k: np.concatenate([g.per_run[k] for g in gs]) for k in SUMMARIES}
                if all(g.per_run for g in gs)
                else None
            )
            groups.append(
                GroupResult.from_moments(
                    g0.label,
                    g0.seed,
                    g0.steps,
                    step_m,
                    run_m,
                    g0.confidence,
                    (gs[0].chunks[0], gs[-1].chunks[1]),
                    per_run,
                )
            )
        return cls(first.env, tuple(groups), groups[0].runs if groups else 0, first.steps)
