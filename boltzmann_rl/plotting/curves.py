"""Learning curves of a bandit simulation: a metric over steps, with CI bands.

The functions draw results; they never run a simulation, and they use matplotlib's
object API only (a :class:`matplotlib.figure.Figure`, never ``pyplot`` and its global
state), so they are safe in scripts, servers and tests. Each takes ``ax=None`` (draw on
a new figure) or an existing Axes, and returns the Figure; none calls ``show``.

A *result* is anything with ``groups``, each with a ``label`` and ``curves``, a dict
mapping a metric name to ``(mean, ci)`` arrays over steps: a
:class:`boltzmann_rl.bandits.BanditResult` is one, and so is a plain list of such groups.

Examples
--------
>>> from boltzmann_rl.bandits import simulate
>>> from boltzmann_rl.plotting.curves import plot_result
>>> result = simulate("gaussian", ["greedy", "egreedy(epsilon=0.1)"], runs=20, steps=30)
>>> fig = plot_result(result)
>>> [ax.get_ylabel() for ax in fig.axes]
['Average reward', 'Fraction of optimal actions']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from boltzmann_rl.stats import moving_average

__all__ = [
    "METRIC_LABELS",
    "NO_ENTROPY",
    "format_entropy",
    "mark_no_entropy",
    "plot_metric",
    "plot_result",
    "save_figure",
]

METRIC_LABELS: dict[str, str] = {
    "reward": "Average reward",
    "optimal": "Fraction of optimal actions",
    "regret": "Cumulative regret",
    "entropy": "Policy entropy (nats)",
}
"""Axis labels of the bandit metrics. ``optimal`` is a fraction (0 to 1) here as in
the tables, the store and the exports."""

NO_ENTROPY = "no closed-form entropy"
"""What the tables and figures say for an agent whose policy entropy is NaN at every
step (Thompson sampling: its action probabilities have no closed form), instead of
leaving it out silently."""


def format_entropy(value: float | None) -> str:
    """A mean entropy (nats) for a table: three decimals, or ``n/a`` with the reason.

    Examples
    --------
    >>> from boltzmann_rl.plotting.curves import format_entropy
    >>> format_entropy(1.23456), format_entropy(float("nan")), format_entropy(None)
    ('1.235', 'n/a (no closed-form entropy)', 'n/a (no closed-form entropy)')
    """
    if value is None or not np.isfinite(value):
        return f"n/a ({NO_ENTROPY})"
    return f"{value:.3f}"


def mark_no_entropy(ax: Any) -> list[Any]:
    """Name the lines of an entropy panel that draw nothing (no finite value).

    A line of NaN is invisible; its legend entry becomes ``"label (no closed-form
    entropy)"`` so the reader sees why. :func:`plot_metric` does it for ``entropy``.

    Parameters
    ----------
    ax : matplotlib Axes

    Returns
    -------
    list of Line2D
        The lines relabelled.

    Examples
    --------
    >>> from boltzmann_rl.bandits import simulate
    >>> from boltzmann_rl.plotting.curves import plot_metric
    >>> from boltzmann_rl.bandits import BernoulliThompson
    >>> r = simulate("bernoulli", ["greedy", BernoulliThompson()], runs=10, steps=5, seed=0)
    >>> fig = plot_metric(r, "entropy")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['greedy', 'thompson-bernoulli(a=1.0, b=1.0) (no closed-form entropy)']
    """
    marked = []
    for line in ax.get_lines():
        y = np.asarray(line.get_ydata(), dtype=float)
        label = str(line.get_label())
        if not np.isfinite(y).any() and not label.endswith(f"({NO_ENTROPY})"):
            line.set_label(f"{label} ({NO_ENTROPY})")
            marked.append(line)
    return marked


RASTERIZE_POINTS = 500
"""Lines and bands longer than this are rasterized in vector output (an SVG of every
point of six 1000-step curves with their bands is about 1.5 MB; rasterized, ~0.3 MB)."""


def _groups(result: Any) -> list[Any]:
    groups = getattr(result, "groups", result)
    try:
        groups = list(groups)
    except TypeError:
        raise TypeError(
            f"expected a result with .groups (label and curves each), got {result!r}"
        ) from None
    for g in groups:
        if not hasattr(g, "label") or not hasattr(g, "curves"):
            raise TypeError(f"each group needs .label and .curves, got {g!r}")
    return groups


def _new_axes(ax: Any, n: int, size: tuple[float, float]) -> tuple[Any, list[Any]]:
    if ax is not None:
        axes = list(ax) if isinstance(ax, list | tuple | np.ndarray) else [ax]
        if len(axes) != n:
            raise ValueError(f"expected {n} Axes, got {len(axes)}")
        return axes[0].figure, axes
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    return fig, list(fig.subplots(n, 1, squeeze=False).ravel())


def plot_metric(
    result: Any,
    metric: str = "reward",
    *,
    ax: Any = None,
    ci: bool = True,
    title: str | None = None,
    smooth: int | None = None,
) -> Any:
    """Draw one metric over steps for every group, with its confidence band.

    Parameters
    ----------
    result : BanditResult or sequence of groups
        See the module docstring.
    metric : str, default "reward"
        ``reward``, ``optimal`` (a fraction), ``regret`` or ``entropy``.
    ax : matplotlib Axes, optional
        Draw here; by default on a new Figure.
    ci : bool, default True
        Shade ``mean ± half-width`` of the 95 % confidence interval.
    title : str, optional
    smooth : int, optional
        Draw the trailing moving average over this many steps (of the mean and of
        the half-width), and say so in the y label; default: every step as it is.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    KeyError
        A metric a group does not have.

    Examples
    --------
    >>> from boltzmann_rl.bandits import simulate
    >>> from boltzmann_rl.plotting.curves import plot_metric
    >>> fig = plot_metric(simulate("gaussian", "greedy", runs=10, steps=20), "regret")
    >>> fig.axes[0].get_xlabel()
    'Steps'
    """
    groups = _groups(result)
    fig, (axis,) = _new_axes(ax, 1, (7.0, 4.0))
    window = None if smooth is None or smooth == 1 else smooth
    for g in groups:
        if metric not in g.curves:
            raise KeyError(f"group {g.label!r} has no metric {metric!r}: {sorted(g.curves)}")
        mean, half = (np.asarray(v, dtype=np.float64) for v in g.curves[metric])
        if window is not None:
            mean, half = moving_average(mean, window), moving_average(half, window)
        steps = np.arange(1, mean.shape[0] + 1)
        long = steps.size > RASTERIZE_POINTS
        (line,) = axis.plot(steps, mean, label=str(g.label), linewidth=1.2, rasterized=long)
        if ci and np.isfinite(half).any():
            axis.fill_between(
                steps,
                mean - half,
                mean + half,
                color=line.get_color(),
                alpha=0.2,
                linewidth=0,
                rasterized=long,
            )
    if metric == "entropy":
        mark_no_entropy(axis)
    axis.set_xlabel("Steps")
    label = METRIC_LABELS.get(metric, metric)
    axis.set_ylabel(label if window is None else f"{label}\n(moving average of {window} steps)")
    if title:
        axis.set_title(title)
    if groups:
        axis.legend(fontsize="small", frameon=False)
    return fig


def plot_result(
    result: Any,
    metrics: Sequence[str] = ("reward", "optimal"),
    *,
    axes: Any = None,
    ci: bool = True,
    title: str | None = None,
    smooth: int | None = None,
) -> Any:
    """Stack several metrics over steps, one panel each (the textbook's figure 2.2 layout).

    Parameters
    ----------
    result : BanditResult or sequence of groups
    metrics : sequence of str, default ("reward", "optimal")
    axes : sequence of Axes, optional
        One per metric; by default a new Figure.
    ci : bool, default True
    title : str, optional
        Title of the first panel.
    smooth : int, optional
        Moving-average window of every panel (see :func:`plot_metric`).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from boltzmann_rl.bandits import simulate
    >>> from boltzmann_rl.plotting.curves import plot_result
    >>> fig = plot_result(simulate("gaussian", "greedy", runs=10, steps=20), ["entropy"])
    >>> len(fig.axes)
    1
    """
    metrics = list(metrics)
    if not metrics:
        raise ValueError("plot_result needs at least one metric")
    fig, axs = _new_axes(axes, len(metrics), (7.0, 3.2 * len(metrics)))
    for i, (metric, ax) in enumerate(zip(metrics, axs, strict=True)):
        plot_metric(result, metric, ax=ax, ci=ci, title=title if i == 0 else None, smooth=smooth)
    return fig


def save_figure(fig: Any, stem: str | Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.svg`` (or other formats); return the paths.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> from boltzmann_rl.plotting.curves import save_figure
    >>> fig = Figure()
    >>> _ = fig.subplots().plot([1, 2])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in save_figure(fig, pathlib.Path(d) / "curve")]
    ['curve.png', 'curve.svg']
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = stem.with_name(f"{stem.name}.{fmt}")
        fig.savefig(
            path,
            format=fmt,
            dpi=120 if fmt == "png" else 150,  # 150: the rasterized parts of an SVG
            metadata={"Date": None} if fmt == "svg" else None,
        )
        paths.append(path)
    return paths
