"""Figures of a sweep: the parameter-sweep figure and learning curves per policy.

The functions here draw results; they never run a simulation. They take a
*results* object with this small interface (``boltzmann_rl.sweep.report.SweepResults``
is one; anything with the same attributes works):

``results.families``
    list of dicts with ``name`` and ``axis`` (the grid key drawn on the x axis, or
    None for a family drawn as horizontal levels), and optionally ``xscale``
    (``"linear"`` asks for a linear x axis);
``results.members``
    list of dicts with ``family``, ``label``, ``params`` (grid values) and ``cell_id``;
``results.metrics``
    dict: summary name -> ``{"label": str, "higher": bool}``;
``results.curves``
    dict: curve name -> ``{"label": str, "x": str}``;
``results.summary(cell_id)``
    the cell's summary dict (``name`` and ``name_ci`` entries), or None if unfinished;
``results.curve(cell_id, name)``
    a 1-D array (``name_ci`` for its 95 % CI half-width), or None;
``results.failure(cell_id)`` (optional)
    the error message of a cell that raised while it ran, or None.

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
    "temperature": "temperature T (in units of the action values)",
    "t": "temperature T (in units of the action values)",
    "epsilon": "ε (probability of a random action)",
    "eps": "ε (probability of a random action)",
    "e": "ε (probability of a random action)",
    "c": "c (exploration bonus weight)",
    "alpha": "α",
    "step_size": "α",
    "q0": "initial value Q₁",
    "initial": "initial value Q₁",
    "offset": "reward offset (added to every reward)",
    "scale": "reward scale (multiplies every reward)",
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


def _failure(results: Any, cell_id: str) -> str | None:
    failure = getattr(results, "failure", None)
    return None if failure is None else failure(cell_id)


def _sweep_data(results: Any, metric: str) -> tuple[dict[str, dict[str, Any]], list]:
    """Panels of the families with an axis, and levels of the rest.

    One panel per grid key (in order of first appearance), so different quantities
    (a temperature T and an ε) never share an x axis. A key is drawn on a linear
    axis when a family sweeping it asks for one (``xscale``) or one of its values
    is <= 0, else on a log axis. A panel is ``{"keys": [the key], "scale": "log" |
    "linear", "lines": [(family, points, failed x values)]}`` with points an
    ``(n, 3)`` array of x, value and CI half-width sorted by x. A level is
    ``(family, label, value, ci, several settings, failed)``.
    """
    linear: dict[str, bool] = {}
    for fam in results.families:
        key = fam.get("axis")
        if key:
            xs = [float(m["params"][key]) for m in results.members if m["family"] == fam["name"]]
            linear[key] = (
                linear.get(key, False) or fam.get("xscale") == "linear" or min(xs, default=1) <= 0
            )
    panels: dict[str, dict[str, Any]] = {}
    levels = []
    for fam in results.families:
        members = [m for m in results.members if m["family"] == fam["name"]]
        key = fam.get("axis")
        if key:
            pts, failed = [], []
            for m in members:
                x = float(m["params"][key])
                v, ci = _value(results.summary(m["cell_id"]), metric)
                if not np.isnan(v):
                    pts.append((x, v, ci))
                elif _failure(results, m["cell_id"]) is not None:
                    failed.append(x)
            if pts or failed:
                panel = panels.setdefault(
                    key,
                    {"keys": [key], "scale": "linear" if linear[key] else "log", "lines": []},
                )
                panel["lines"].append((fam["name"], np.array(sorted(pts)).reshape(-1, 3), failed))
        else:
            for m in members:
                v, ci = _value(results.summary(m["cell_id"]), metric)
                cell_failed = _failure(results, m["cell_id"]) is not None
                if not np.isnan(v) or cell_failed:
                    levels.append((fam["name"], m["label"], v, ci, len(members) > 1, cell_failed))
    return panels, levels


def _mark_failed(
    ax: Any, xs: Sequence[float | np.integer[Any]], color: str, label: str | None
) -> None:
    """Crosses along the bottom of ``ax`` at data x positions: settings that failed."""
    from matplotlib.transforms import blended_transform_factory

    ax.plot(
        xs,
        np.full(len(xs), 0.04),
        "x",
        ms=8,
        mew=2,
        color=color,
        label=label,
        transform=blended_transform_factory(ax.transData, ax.transAxes),
        clip_on=False,
    )


def plot_parameter_sweep(results: Any, metric: str | None = None, *, ax: Any = None) -> Any:
    """The sweep figure: a summary (with 95 % CI) against each family's parameter.

    Families with one numeric grid key (fixed temperatures, epsilons, reward
    offsets) are lines against it, one panel per key (left), each labelled with
    its own quantity and units: a temperature T and an ε are different things and
    never share an axis. An axis is logarithmic when every value of its key is > 0,
    and linear when one is <= 0 (a reward offset of -5, 0 or +5) or the study asks
    for it (``[analysis] xscale``). Each family keeps one colour in every panel. A
    setting that failed while it ran is a cross along the bottom of its panel.
    Settings without such a key (annealing schedules, greedy, UCB, Boltzmann-Gumbel)
    are points with their CI in a panel on the right that shares the y axis, with
    the best value of each sweep drawn across it as a dashed line in the sweep's
    colour (each in the legend), so every alternative reads against the best of the
    sweeps at a glance.

    Parameters
    ----------
    results : results object (see the module docstring)
    metric : str, optional
        The summary drawn; default ``results.metric`` (the mean reward over all
        steps for bandit studies).
    ax : Axes or sequence of Axes, optional
        ``None``: a new figure with every panel. One Axes: everything on it, the
        settings without a parameter drawn as horizontal levels. A sequence: one
        Axes per panel of lines, then one for the settings without a parameter.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``ax`` is a sequence with fewer Axes than panels.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from boltzmann_rl.plotting.sweep import demo_results, plot_parameter_sweep
    >>> fig = plot_parameter_sweep(demo_results(), "mean_reward")
    >>> for a in fig.axes[:2]:
    ...     print(a.get_xlabel())
    temperature T (in units of the action values), log scale
    ε (probability of a random action), log scale
    >>> [t.get_text() for t in fig.axes[2].get_xticklabels()]
    ['exp(1.0, 0.01, 100)', 'greedy']
    >>> [t.get_text() for t in fig.axes[2].get_legend().get_texts()]
    ['best Boltzmann\\n(temperature=0.1)', 'best ε-greedy\\n(epsilon=0.1)']
    """
    import matplotlib as mpl
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    metric = metric or results.metric
    info = results.metrics.get(metric, {"label": metric, "higher": True})
    panels, levels = _sweep_data(results, metric)
    single = ax is not None and not isinstance(ax, list | tuple | np.ndarray)
    if single and len(panels) > 1:  # one Axes: every line on it (log only if all are)
        merged = {
            "keys": [k for p in panels.values() for k in p["keys"]],
            "scale": "log" if all(p["scale"] == "log" for p in panels.values()) else "linear",
            "lines": [line for p in panels.values() for line in p["lines"]],
        }
        panels = {" / ".join(merged["keys"]): merged}
    keys = list(panels)
    n = len(keys)
    if ax is None:
        from matplotlib.figure import Figure

        width = 5.0 * max(n, 1) + (3.6 if levels and n else 0.0)
        fig = Figure(figsize=(width, 5.0), layout="constrained")
        ratios = [4.0] * n + ([max(1.6, 0.35 * len(levels))] if levels else [])
        grid = fig.subplots(
            1, len(ratios) or 1, sharey=True, width_ratios=ratios or None, squeeze=False
        )
        axes = list(grid[0])
        lefts, right = axes[:n], (axes[n] if levels or not n else None)
    elif single:
        lefts, right, fig = [ax] * n, None, ax.figure
    else:
        axes = list(np.ravel(np.asarray(ax, dtype=object)))
        need = n + (1 if levels else 0)
        if len(axes) < need:
            raise ValueError(
                f"need {need} Axes ({n} for the parameter sweeps, "
                f"{1 if levels else 0} for the other settings), got {len(axes)}"
            )
        lefts, right, fig = axes[:n], (axes[n] if levels else None), axes[0].figure

    cycle = mpl.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    colors: dict[str, str] = {}
    for fam in results.families:  # one colour per family, in file order, in every panel
        colors[fam["name"]] = cycle[len(colors) % len(cycle)]
    markers = "osD^v<>"
    crossed = []  # panels with failed settings: room is made for the crosses at the end
    for i_panel, (left, key) in enumerate(zip(lefts, keys)):
        panel = panels[key]
        failures = False
        for i, (name, pts, failed) in enumerate(panel["lines"]):
            color = colors[name]
            if len(pts):
                x, y, ci = pts[:, 0], pts[:, 1], np.nan_to_num(pts[:, 2])
                left.fill_between(x, y - ci, y + ci, color=color, alpha=0.2, lw=0)
                marker = markers[(i_panel + i) % len(markers)]
                left.plot(x, y, marker=marker, ms=4, color=color, label=name)
            if failed:
                _mark_failed(left, failed, color, None if len(pts) else name)
                failures = True
        if failures:
            left.add_line(Line2D([], [], ls="none", marker="x", mew=2, color="0.3", label="failed"))
            crossed.append(left)
        scale = panel["scale"]
        names = [_AXIS_NAMES.get(k.lower(), k) for k in panel["keys"]]
        if scale == "log":
            left.set_xscale("log")
            left.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        left.set_xlabel(" / ".join(names) + (", log scale" if scale == "log" else ""))
        if left is lefts[0]:
            left.set_ylabel(f"{info['label']} (95% CI)")
        left.grid(True, which="major", alpha=0.3)
        if not single:
            left.legend(fontsize=8, loc="best")
    if single:  # the other settings as horizontal levels
        styles = ["--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1))]
        drawn = [lv for lv in levels if not lv[5]]
        n_lines = sum(len(p["lines"]) for p in panels.values())
        for j, (fam, label, v, ci, several, _) in enumerate(drawn):
            name = f"{fam}: {label}" if several else fam
            color = cycle[(n_lines + j) % len(cycle)]
            ax.axhline(v, color=color, ls=styles[j % len(styles)], lw=1.5, label=name)
            if np.isfinite(ci):
                ax.axhspan(v - ci, v + ci, color=color, alpha=0.08, lw=0)
        if n_lines or drawn:
            ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
        if not n:
            ax.set_ylabel(f"{info['label']} (95% CI)")
    if right is not None:
        pos = np.arange(len(levels))
        shown: set[str] = set()
        for p, (fam, _, v, ci, several, failed) in zip(pos, levels):
            label = fam if several and fam not in shown else None
            shown.add(fam)
            if failed:
                _mark_failed(right, [p], colors.get(fam, "C0"), label)
                continue
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
        dashed = False
        for key in keys:  # the best of each sweep, for reference
            for name, pts, _ in panels[key]["lines"]:
                if len(pts):
                    best = np.nanargmax(pts[:, 1]) if info["higher"] else np.nanargmin(pts[:, 1])
                    right.axhline(
                        pts[best, 1],
                        color=colors[name],
                        lw=1.0,
                        ls="--",
                        alpha=0.8,
                        # on two lines: the right panel is narrow
                        label=f"best {name}\n({key}={pts[best, 0]:.4g})",
                    )
                    dashed = True
        right.set_xticks(pos, [lv[1] for lv in levels], rotation=35, ha="right", fontsize=8)
        for tick, (fam, *_rest) in zip(right.get_xticklabels(), levels):
            tick.set_color(colors.get(fam, "black"))
        if dashed or (shown and any(lv[4] for lv in levels)):
            right.legend(fontsize=7, loc="best", framealpha=0.9)
        right.set_xlim(-0.6, len(levels) - 0.4)
        right.grid(True, axis="y", alpha=0.3)
        if not lefts:
            right.set_ylabel(f"{info['label']} (95% CI)")
        else:
            right.set_title("settings without\na numeric parameter", fontsize=9)
    shifted: list[Any] = []
    for left in crossed:  # lower the y range by 10 % once per shared y axis
        if not any(left.get_shared_y_axes().joined(left, other) for other in shifted):
            lo, hi = left.get_ylim()
            left.set_ylim(lo - 0.1 * (hi - lo), hi)
            shifted.append(left)
    title = getattr(results, "title", None)
    if title and ax is None:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_learning_curves(
    results: Any,
    members: Sequence[dict[str, Any]] | None = None,
    curves: Sequence[str] | None = None,
    *,
    ax: Any = None,
    smooth: dict[str, int] | None = None,
) -> Any:
    """Learning curves with 95 % CI bands, one line per policy, one panel per curve.

    On a new figure the legend sits below the panels, where it hides no curve of
    any of them; on given Axes it is drawn in the first. A policy whose entropy is
    NaN (no closed form: Thompson sampling) is named in the entropy panel's own
    legend, "label (no closed-form entropy)".

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
    smooth : dict of str to int, optional
        Curve name -> moving-average window (in steps or episodes) for noisy
        per-step curves; the window is said in the panel's y label.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from boltzmann_rl.plotting.sweep import demo_results, plot_learning_curves
    >>> fig = plot_learning_curves(demo_results(), smooth={"reward": 5})
    >>> len(fig.axes), fig.axes[0].get_ylabel().splitlines()
    (2, ['Average reward', '(moving average of 5 steps)'])
    """
    if members is None:
        members = best_members(results)
    names = list(curves) if curves is not None else list(results.curves)
    if curves is None and members:  # leave out curves no member has (an older store)
        names = [
            n for n in names if any(results.curve(m["cell_id"], n) is not None for m in members)
        ] or names
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
    from boltzmann_rl.plotting.curves import (
        METRIC_LABELS,
        NO_ENTROPY,
        RASTERIZE_POINTS,
        plot_metric,
    )
    from boltzmann_rl.stats import moving_average

    smooth = smooth or {}
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
            x_name = info.get("x_array")
            x = None if x_name is None else results.curve(m["cell_id"], x_name)
            groups.append(_Group(label, {name: (y, ci)}, x))
        window = smooth.get(name)
        if name in METRIC_LABELS:  # the bandit metrics: the bandit figures' own drawing
            plot_metric(groups, name, ax=axis, smooth=window)
        else:
            for g in groups:
                y, ci = g.curves[name]
                if window and window > 1:
                    y, ci = moving_average(y, window), moving_average(ci, window)
                x = np.arange(1, len(y) + 1) if g.x is None else np.asarray(g.x, dtype=float)
                long = len(y) > RASTERIZE_POINTS
                marker = "o" if len(y) <= 30 else None
                (line,) = axis.plot(
                    x, y, lw=1.2, label=g.label, marker=marker, ms=3, rasterized=long
                )
                if np.isfinite(ci).any():
                    axis.fill_between(
                        x, y - ci, y + ci, alpha=0.2, lw=0, color=line.get_color(), rasterized=long
                    )
            label = info["label"]
            unit = info.get("x", "step")
            axis.set_ylabel(
                label if not window else f"{label}\n(moving average of {window} {unit}s)"
            )
        axis.set_xlabel(info.get("x", "step"))
        axis.grid(True, alpha=0.3)
        legend = axis.get_legend()
        if legend is not None:
            legend.remove()
        # lines that draw nothing (no closed-form entropy): said in this panel's legend,
        # since the shared legend shows the first panel's entries
        silent = [ln for ln in axis.get_lines() if str(ln.get_label()).endswith(f"({NO_ENTROPY})")]
        if silent:
            axis.legend(handles=silent, fontsize=7, loc="best", frameon=False)
    for axis in axes[len(names) :]:
        axis.set_visible(False)
    if members and ax is None:  # below every panel, hiding none of them
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(
            handles, labels, loc="outside lower center", ncols=min(3, len(labels)), fontsize=8
        )
    elif members:
        axes[0].legend(fontsize=7, loc="best", frameon=False)
    return fig


class _Group:
    """A learning curve in the form :mod:`boltzmann_rl.plotting.curves` draws."""

    def __init__(
        self,
        label: str,
        curves: dict[str, tuple[np.ndarray, np.ndarray]],
        x: np.ndarray | None = None,
    ) -> None:
        self.label = label
        self.curves = curves
        self.x = x


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
