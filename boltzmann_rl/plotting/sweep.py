"""Figures of a sweep: the parameter-sweep figure and learning curves per policy.

The functions here draw results; they never run a simulation. They take a
*results* object with this small interface (``boltzmann_rl.sweep.report.SweepResults``
is one; anything with the same attributes works):

``results.families``
    list of dicts with ``name`` and ``axis`` (the grid key drawn on the x axis, or
    None for a family drawn as horizontal levels);
``results.members``
    list of dicts with ``family``, ``label``, ``params`` (grid values) and ``cell_id``;
``results.metrics``
    dict: summary name -> ``{"label": str, "higher": bool}``;
``results.curves``
    dict: curve name -> ``{"label": str, "x": str}``;
``results.summary(cell_id)``
    the cell's summary dict (``name`` and ``name_ci`` entries), or None if unfinished;
``results.curve(cell_id, name)``
    a 1-D array (``name_ci`` for its 95 % CI half-width), or None.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from boltzmann_rl.plotting.sweep import demo_results, plot_parameter_sweep
>>> fig = plot_parameter_sweep(demo_results())
>>> fig.axes[0].get_xscale()
'log'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["best_members", "demo_results", "plot_learning_curves", "plot_parameter_sweep"]

_AXIS_NAMES = {
    "temperature": "temperature T",
    "t": "temperature T",
    "epsilon": "ε",
    "eps": "ε",
    "e": "ε",
    "c": "c",
    "alpha": "α",
    "step_size": "α",
    "q0": "initial value Q₁",
    "initial": "initial value Q₁",
}


def _figure(ax: Any, nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (7.5, 4.5)):
    if ax is not None:
        return ax.figure, [ax]
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, list(axes.ravel())


def _value(summary: dict[str, Any] | None, metric: str) -> tuple[float, float]:
    if summary is None:
        return np.nan, np.nan
    v = summary.get(metric)
    ci = summary.get(f"{metric}_ci")
    return (np.nan if v is None else float(v)), (np.nan if ci is None else float(ci))


def best_members(results: Any, metric: str | None = None) -> list[dict[str, Any]]:
    """The best finished member of each family by ``metric`` (family order).

    Parameters
    ----------
    results : results object (see the module docstring)
    metric : str, optional
        Default ``results.metric``.

    Returns
    -------
    list of dict
        The member dicts.

    Examples
    --------
    >>> from boltzmann_rl.plotting.sweep import best_members, demo_results
    >>> [m["label"] for m in best_members(demo_results())]
    ['temperature=0.1', 'exp(1.0, 0.01, 100)', 'epsilon=0.1', 'greedy']
    """
    metric = metric or results.metric
    higher = results.metrics.get(metric, {}).get("higher", True)
    out = []
    for fam in results.families:
        best, best_v = None, None
        for m in results.members:
            if m["family"] != fam["name"]:
                continue
            v, _ = _value(results.summary(m["cell_id"]), metric)
            if np.isnan(v):
                continue
            if best_v is None or (v > best_v if higher else v < best_v):
                best, best_v = m, v
        if best is not None:
            out.append(best)
    return out


def _sweep_data(results: Any, metric: str) -> tuple[list, list, list[str]]:
    """Lines (name, points) of families with an axis, levels (name, v, ci) of the rest."""
    lines, levels, axis_keys = [], [], []
    for fam in results.families:
        members = [m for m in results.members if m["family"] == fam["name"]]
        key = fam.get("axis")
        if key:
            pts = []
            for m in members:
                v, ci = _value(results.summary(m["cell_id"]), metric)
                if not np.isnan(v):
                    pts.append((float(m["params"][key]), v, ci))
            if pts:
                pts.sort()
                lines.append((fam["name"], np.array(pts)))
                if key not in axis_keys:
                    axis_keys.append(key)
        else:
            for m in members:
                v, ci = _value(results.summary(m["cell_id"]), metric)
                if not np.isnan(v):
                    levels.append((fam["name"], m["label"], v, ci, len(members) > 1))
    return lines, levels, axis_keys


def plot_parameter_sweep(results: Any, metric: str | None = None, *, ax: Any = None) -> Any:
    """The sweep figure: a summary (with 95 % CI) against each family's parameter.

    Families with one numeric grid key (fixed temperatures, epsilons) are lines
    against it on a shared log axis (left panel). Settings without such a key
    (annealing schedules, greedy, UCB, Boltzmann-Gumbel) are points with their CI
    in a panel on the right that shares the y axis, so every alternative reads
    against the best of the sweeps at a glance.

    Parameters
    ----------
    results : results object (see the module docstring)
    metric : str, optional
        The summary drawn; default ``results.metric`` (the mean reward over all
        steps for bandit studies).
    ax : Axes or pair of Axes, optional
        ``None``: a new figure with both panels. One Axes: everything on it, the
        settings without a parameter drawn as horizontal levels. Two Axes: the two
        panels.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from boltzmann_rl.plotting.sweep import demo_results, plot_parameter_sweep
    >>> fig = plot_parameter_sweep(demo_results(), "mean_reward")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['Boltzmann', 'ε-greedy']
    >>> [t.get_text() for t in fig.axes[1].get_xticklabels()]
    ['exp(1.0, 0.01, 100)', 'greedy']
    """
    import matplotlib as mpl

    metric = metric or results.metric
    info = results.metrics.get(metric, {"label": metric, "higher": True})
    lines, levels, axis_keys = _sweep_data(results, metric)
    if ax is None:
        from matplotlib.figure import Figure

        if levels and lines:
            fig = Figure(figsize=(10.0, 4.8), layout="constrained")
            width = max(1.2, 0.32 * len(levels))
            left, right = fig.subplots(1, 2, sharey=True, width_ratios=[4.0, width])
        else:
            fig = Figure(figsize=(7.0, 4.8), layout="constrained")
            left, right = fig.subplots(), None
            if not lines:
                left, right = None, left
    elif isinstance(ax, list | tuple | np.ndarray):
        left, right = list(np.ravel(np.asarray(ax, dtype=object)))
        fig = left.figure
    else:
        left, right, fig = ax, None, ax.figure

    cycle = mpl.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    colors: dict[str, str] = {}
    for fam in results.families:
        colors[fam["name"]] = cycle[len(colors) % len(cycle)]
    markers = "osD^v<>"
    if left is not None:
        xs_all = [x for _, pts in lines for x in pts[:, 0]]
        for i, (name, pts) in enumerate(lines):
            color = colors[name]
            x, y, ci = pts[:, 0], pts[:, 1], np.nan_to_num(pts[:, 2])
            left.fill_between(x, y - ci, y + ci, color=color, alpha=0.2, lw=0)
            left.plot(x, y, marker=markers[i % len(markers)], ms=4, color=color, label=name)
        positive = bool(xs_all) and min(xs_all) > 0
        if positive:
            left.set_xscale("log")
        names = [_AXIS_NAMES.get(k.lower(), k) for k in axis_keys]
        if names:
            left.set_xlabel(" / ".join(names) + (" (log scale)" if positive else ""))
        left.set_ylabel(f"{info['label']} (95% CI)")
        left.grid(True, which="major", alpha=0.3)
        if right is None:  # one Axes: the other settings as horizontal levels
            styles = ["--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1))]
            for j, (fam, label, v, ci, several) in enumerate(levels):
                name = f"{fam}: {label}" if several else fam
                color = cycle[(len(lines) + j) % len(cycle)]
                left.axhline(v, color=color, ls=styles[j % len(styles)], lw=1.5, label=name)
                if np.isfinite(ci):
                    left.axhspan(v - ci, v + ci, color=color, alpha=0.08, lw=0)
            if lines or levels:
                left.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
        elif lines:
            left.legend(fontsize=8, loc="best")
    if right is not None:
        pos = np.arange(len(levels))
        shown: set[str] = set()
        for p, (fam, _, v, ci, several) in zip(pos, levels):
            label = fam if several and fam not in shown else None
            shown.add(fam)
            right.errorbar(
                p,
                v,
                yerr=None if not np.isfinite(ci) else ci,
                fmt="o",
                ms=5,
                capsize=3,
                color=colors.get(fam, "C0"),
                label=label,
            )
        for name, pts in lines:  # the best of each sweep, for reference
            best = np.nanargmax(pts[:, 1]) if info["higher"] else np.nanargmin(pts[:, 1])
            right.axhline(pts[best, 1], color=colors[name], lw=0.8, ls="--", alpha=0.7)
        right.set_xticks(
            pos, [lab for _, lab, _, _, _ in levels], rotation=35, ha="right", fontsize=8
        )
        for tick, (fam, *_rest) in zip(right.get_xticklabels(), levels):
            tick.set_color(colors.get(fam, "black"))
        if shown and any(lv[4] for lv in levels):
            right.legend(fontsize=7, loc="lower left")
        right.set_xlim(-0.6, len(levels) - 0.4)
        right.grid(True, axis="y", alpha=0.3)
        if left is None:
            right.set_ylabel(f"{info['label']} (95% CI)")
        else:
            right.set_title("dashed: best of each sweep", fontsize=8)
    title = getattr(results, "title", None)
    if title and ax is None:
        fig.suptitle(title)
    return fig


def plot_learning_curves(
    results: Any,
    members: Sequence[dict[str, Any]] | None = None,
    curves: Sequence[str] | None = None,
    *,
    ax: Any = None,
) -> Any:
    """Learning curves with 95 % CI bands, one line per policy, one panel per curve.

    Parameters
    ----------
    results : results object (see the module docstring)
    members : sequence of member dicts, optional
        The policies drawn; default the best setting of each family
        (:func:`best_members`).
    curves : sequence of str, optional
        Curve names; default every curve in ``results.curves`` (for bandit studies:
        average reward, % optimal action, cumulative regret, policy entropy).
    ax : Axes or sequence of Axes, optional
        One Axes per curve; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from boltzmann_rl.plotting.sweep import demo_results, plot_learning_curves
    >>> fig = plot_learning_curves(demo_results())
    >>> len(fig.axes)
    2
    """
    if members is None:
        members = best_members(results)
    names = list(curves) if curves is not None else list(results.curves)
    if not names:
        raise ValueError("no curves to draw: the results have none")
    unknown = [n for n in names if n not in results.curves]
    if unknown:
        raise ValueError(f"unknown curve {unknown[0]!r}; allowed: {', '.join(results.curves)}")
    if ax is None:
        ncols = 2 if len(names) > 1 else 1
        nrows = -(-len(names) // ncols)
        fig, axes = _figure(None, nrows, ncols, size=(5.2 * ncols, 3.4 * nrows))
    else:
        axes = list(np.ravel(np.asarray(ax, dtype=object)))
        if len(axes) < len(names):
            raise ValueError(f"need {len(names)} Axes for the curves {names}, got {len(axes)}")
        fig = axes[0].figure
    from boltzmann_rl.plotting.curves import METRIC_LABELS, plot_metric

    for axis, name in zip(axes, names):
        info = results.curves[name]
        groups = []
        for m in members:
            y = results.curve(m["cell_id"], name)
            if y is None:
                continue
            ci = results.curve(m["cell_id"], f"{name}_ci")
            ci = np.full_like(y, np.nan) if ci is None else ci
            label = m["family"] if m["label"] == m["family"] else f"{m['family']} ({m['label']})"
            groups.append(_Group(label, {name: (y, ci)}))
        if name in METRIC_LABELS:  # the bandit metrics: the bandit figures' own drawing
            plot_metric(groups, name, ax=axis)
        else:
            for g in groups:
                y, ci = g.curves[name]
                x = np.arange(1, len(y) + 1)
                (line,) = axis.plot(x, y, lw=1.2, label=g.label)
                if np.isfinite(ci).any():
                    axis.fill_between(x, y - ci, y + ci, alpha=0.2, lw=0, color=line.get_color())
            axis.set_ylabel(info["label"])
        axis.set_xlabel(info.get("x", "step"))
        axis.grid(True, alpha=0.3)
        legend = axis.get_legend()
        if legend is not None:
            legend.remove()
    for axis in axes[len(names) :]:
        axis.set_visible(False)
    if members:
        axes[0].legend(fontsize=7, loc="best", frameon=False)
    return fig


class _Group:
    """A learning curve in the form :mod:`boltzmann_rl.plotting.curves` draws."""

    def __init__(self, label: str, curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        self.label = label
        self.curves = curves


class _Demo:
    """Made-up results for the examples: the numbers mean nothing."""

    metric = "mean_reward"
    title = "demo"

    def __init__(self) -> None:
        self.metrics: dict[str, dict[str, Any]] = {
            "mean_reward": {"label": "average reward", "higher": True},
            "regret": {"label": "total regret", "higher": False},
        }
        self.curves: dict[str, dict[str, Any]] = {
            "reward": {"label": "average reward", "x": "step"},
            "optimal": {"label": "% optimal action", "x": "step"},
        }
        self.families = [
            {"name": "Boltzmann", "axis": "temperature"},
            {"name": "annealed", "axis": None},
            {"name": "ε-greedy", "axis": "epsilon"},
            {"name": "greedy", "axis": None},
        ]
        self.members = []
        self._summaries: dict[str, dict[str, float]] = {}
        rows = [
            ("Boltzmann", "temperature", [0.01, 0.1, 1.0], [1.0, 1.4, 0.6]),
            ("ε-greedy", "epsilon", [0.01, 0.1, 0.5], [1.2, 1.3, 0.8]),
        ]
        for fam, key, xs, ys in rows:
            for x, y in zip(xs, ys):
                cid = f"{fam}-{x}"
                self.members.append(
                    {"family": fam, "label": f"{key}={x:g}", "params": {key: x}, "cell_id": cid}
                )
                self._summaries[cid] = {"mean_reward": y, "mean_reward_ci": 0.05}
        self.members.append(
            {"family": "annealed", "label": "exp(1.0, 0.01, 100)", "params": {}, "cell_id": "a"}
        )
        self._summaries["a"] = {"mean_reward": 1.35, "mean_reward_ci": 0.05}
        self.members.append({"family": "greedy", "label": "greedy", "params": {}, "cell_id": "g"})
        self._summaries["g"] = {"mean_reward": 1.0, "mean_reward_ci": 0.05}

    def summary(self, cell_id: str) -> dict[str, float] | None:
        return self._summaries.get(cell_id)

    def curve(self, cell_id: str, name: str) -> np.ndarray | None:
        s = self._summaries.get(cell_id)
        if s is None:
            return None
        steps = np.arange(1, 51, dtype=float)
        if name.endswith("_ci"):
            return np.full(50, 0.05)
        return s["mean_reward"] * (1 - np.exp(-steps / 10))


def demo_results() -> Any:
    """A small made-up results object, for examples and tests of the figures.

    Examples
    --------
    >>> from boltzmann_rl.plotting.sweep import demo_results
    >>> len(demo_results().members)
    8
    """
    return _Demo()
