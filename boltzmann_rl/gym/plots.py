"""Figures of gym training runs: learning curves and greedy paths on a grid.

Every function draws results it is given (it never trains), takes ``ax=None``
(a new :class:`matplotlib.figure.Figure` is made when omitted) and returns the
figure; nothing touches pyplot's global state, so they work headless and in
parallel.

Examples
--------
>>> import numpy as np
>>> from boltzmann_rl.gym import GymResult
>>> from boltzmann_rl.gym.plots import plot_learning_curve
>>> r = GymResult("E-v0", "sarsa", "greedy", 0, np.arange(10.0), np.ones(10, int),
...               np.arange(1, 11))
>>> fig = plot_learning_curve({"sarsa": r}, window=3)
>>> fig.axes[0].get_xlabel()
'training episode'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from boltzmann_rl.stats import moving_average

__all__ = ["moving_average", "plot_grid_paths", "plot_learning_curve", "plot_tabular"]


def _new_axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    return fig.add_subplot()


def _groups(results: Any) -> list[tuple[str, list[Any]]]:
    if isinstance(results, Mapping):
        items = list(results.items())
    elif isinstance(results, Sequence) and not isinstance(results, str):
        items = [(None, r) for r in results]
    else:
        items = [(None, results)]
    out = []
    for label, value in items:
        runs = list(value) if isinstance(value, Sequence) else [value]
        if not runs:
            continue
        if label is None:
            first = runs[0]
            label = f"{first.agent} {first.policy}"
        out.append((str(label), runs))
    return out


def plot_learning_curve(
    results: Any,
    *,
    window: int = 100,
    ax: Any = None,
    show_eval: bool = True,
    title: str | None = None,
) -> Any:
    """Training returns (moving average) per episode, and greedy evaluations as markers.

    Parameters
    ----------
    results : GymResult, sequence of GymResult, or mapping of label to either
        A mapping's value may be several runs (seeds) of one configuration: their
        mean curve is drawn with a band of the 95 % confidence interval of the
        mean, over the episodes all of them reached.
    window : int, default 100
        Episodes in the moving average.
    ax : matplotlib Axes, optional
        Draw here; default a new figure.
    show_eval : bool, default True
        Also mark the periodic greedy evaluations (mean over runs, with its 95 %
        confidence interval when there are several).
    title : str, optional
        Default: the environment id.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.gym import GymResult
    >>> from boltzmann_rl.gym.plots import plot_learning_curve
    >>> runs = [GymResult("E-v0", "qlearning", "greedy", s, np.full(5, float(s)),
    ...                   np.ones(5, int), np.arange(1, 6)) for s in range(3)]
    >>> fig = plot_learning_curve({"greedy": runs}, window=2, title="three seeds")
    >>> fig.axes[0].get_title(), len(fig.axes[0].lines)
    ('three seeds', 1)
    """
    from boltzmann_rl.stats import mean_ci

    ax = _new_axes(ax)
    groups = _groups(results)
    env_id = None
    for k, (label, runs) in enumerate(groups):
        env_id = env_id or runs[0].env_id
        n = min(len(r.episode_returns) for r in runs)
        if n == 0:
            continue
        curves = np.stack([moving_average(r.episode_returns[:n], window) for r in runs])
        x = np.arange(1, n + 1)
        color = f"C{k % 10}"
        if len(runs) > 1:
            mean, half = mean_ci(curves, axis=0)
            ax.fill_between(x, mean - half, mean + half, color=color, alpha=0.2, linewidth=0)
        else:
            mean = curves[0]
        ax.plot(x, mean, color=color, label=label)
        if show_eval:
            m = min(len(r.eval_at) for r in runs)
            if m:
                at = runs[0].eval_at[:m]
                evals = np.array([r.eval_means[:m] for r in runs])
                if len(runs) > 1:  # mean with the 95 % CI across runs, as the training band
                    ev, ev_half = mean_ci(evals, axis=0)
                    ax.errorbar(
                        at,
                        ev,
                        yerr=ev_half,
                        linestyle="none",
                        marker="o",
                        markersize=4,
                        capsize=2,
                        color=color,
                    )
                else:
                    ax.plot(at, evals[0], linestyle="none", marker="o", markersize=4, color=color)
    ax.set_xlabel("training episode")
    ax.set_ylabel(f"return (moving average of {window})")
    ax.set_title(title if title is not None else (env_id or ""))
    if groups:
        handles, labels = ax.get_legend_handles_labels()
        if show_eval and any(len(r.eval_at) for _, runs in groups for r in runs):
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], linestyle="none", marker="o", color="0.3"))
            labels.append("greedy evaluation")
        ax.legend(handles, labels, fontsize="small")
    ax.grid(alpha=0.3)
    return ax.figure


def plot_grid_paths(
    shape: tuple[int, int],
    paths: Mapping[str, Sequence[tuple[int, int]]],
    *,
    cliff: Sequence[tuple[int, int]] = (),
    start: tuple[int, int] | None = None,
    goal: tuple[int, int] | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Draw paths of (row, column) cells on a grid world, with cliff, start and goal.

    Parameters
    ----------
    shape : (int, int)
        Rows and columns of the grid.
    paths : mapping of label to sequence of (row, column)
        One path per label (for example the greedy path of each agent).
    cliff : sequence of (row, column), optional
        Cells drawn as the cliff.
    start, goal : (row, column), optional
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from boltzmann_rl.gym.plots import plot_grid_paths
    >>> fig = plot_grid_paths((2, 3), {"a": [(1, 0), (0, 0), (0, 1), (0, 2), (1, 2)]},
    ...                       cliff=[(1, 1)], start=(1, 0), goal=(1, 2))
    >>> len(fig.axes[0].lines)
    1
    """
    from matplotlib.patches import Rectangle

    rows, cols = shape
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(0.55 * cols + 1.0, 0.55 * rows + 1.0), layout="constrained")
        ax = fig.add_subplot()
    for r, c in cliff:
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, color="0.25"))
    for cell, text in ((start, "S"), (goal, "G")):
        if cell is not None:
            ax.text(cell[1], cell[0], text, ha="center", va="center", fontweight="bold")
    n = max(len(paths), 1)
    for k, (label, path) in enumerate(paths.items()):
        if not path:
            continue
        shift = (k - (n - 1) / 2) * 0.12  # keep overlapping paths apart
        ys = [p[0] + shift for p in path]
        xs = [p[1] + shift for p in path]
        ax.plot(xs, ys, color=f"C{k % 10}", marker=".", label=f"{label} ({len(path) - 1} steps)")
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_xticks(np.arange(-0.5, cols, 1.0), labels=[])
    ax.set_yticks(np.arange(-0.5, rows, 1.0), labels=[])
    ax.grid(color="0.8")
    ax.set_aspect("equal")
    if paths:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=min(len(paths), 3))
    if title:
        ax.set_title(title)
    return ax.figure


def plot_tabular(result: Any, *, window: int = 100, axes: Any = None) -> Any:
    """The curves of a batched tabular run, each group's mean over runs with its 95 % CI.

    Left: the training return (moving average of ``window`` episodes); right: the exact
    value of the greedy policy (policy evaluation on the model) at each evaluation.

    Parameters
    ----------
    result : TabularResult
        From :func:`boltzmann_rl.gym.tabular.train_tabular`.
    window : int, default 100
    axes : pair of Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from boltzmann_rl.gym.tabular import train_tabular
    >>> from boltzmann_rl.gym.plots import plot_tabular
    >>> r = train_tabular("FrozenLake-v1", "greedy", runs=20, episodes=40, eval_every=10,
    ...                   seed=0)
    >>> fig = plot_tabular(r, window=10)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['training return', 'exact greedy value']
    """
    from boltzmann_rl.stats import mean_ci

    if axes is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(10.0, 3.8), layout="constrained")
        axes = fig.subplots(1, 2)
    fig = axes[0].figure
    for g, label in enumerate(result.policies):
        rows = result.group(g)
        smooth = np.array([moving_average(x, window) for x in result.episode_returns[rows]])
        for ax, x, ys in (
            (axes[0], np.arange(1, smooth.shape[1] + 1), smooth),
            (axes[1], result.eval_at, result.eval_values[rows]),
        ):
            if ys.shape[1] == 0:
                continue
            mean, half = mean_ci(ys, axis=0) if ys.shape[0] > 1 else (ys[0], ys[0] * np.nan)
            (line,) = ax.plot(x, mean, lw=1.2, label=f"{label} ({ys.shape[0]} runs)")
            if np.isfinite(half).any():
                ax.fill_between(
                    x, mean - half, mean + half, alpha=0.2, lw=0, color=line.get_color()
                )
    for ax, ylabel in zip(axes, ("training return", "exact greedy value"), strict=True):
        ax.set_xlabel("training episode")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=7, frameon=False)
    return fig
