"""The "what temperature does" figure: Boltzmann probabilities across temperatures.

For one fixed vector of action values, the left panel draws the Boltzmann
probability of each action as the temperature sweeps from near 0 (all mass on the
argmax) to large (uniform); the right panel draws epsilon-greedy's probabilities
as epsilon goes from 0 to 1. The contrast is the point: Boltzmann ranks the
non-greedy actions by their value at every temperature, while epsilon-greedy
gives them all the same share, however bad they are.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from boltzmann_rl.plotting.temperature import plot_temperature_effect
>>> fig = plot_temperature_effect([0.0, 0.5, 1.0, 1.2])
>>> len(fig.axes)
2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from boltzmann_rl.core import softmax

__all__ = ["plot_temperature_effect", "temperature_probabilities"]


def temperature_probabilities(values: ArrayLike, temperatures: ArrayLike) -> np.ndarray:
    """Boltzmann probabilities of ``values`` at each temperature, one row per temperature.

    Parameters
    ----------
    values : sequence of float
        The action values ``q`` (length ``K``).
    temperatures : sequence of float
        Temperatures ``T >= 0`` (``0`` is the argmax, ``inf`` uniform).

    Returns
    -------
    ndarray of shape (len(temperatures), K)

    Examples
    --------
    >>> from boltzmann_rl.plotting.temperature import temperature_probabilities
    >>> temperature_probabilities([0.0, 1.0], [0.0, float("inf")])
    array([[0. , 1. ],
           [0.5, 0.5]])
    """
    q = np.asarray(values, dtype=np.float64)
    if q.ndim != 1 or q.size < 2:
        raise ValueError(f"values must be a 1-D sequence of at least 2 numbers, got {values!r}")
    t = np.asarray(temperatures, dtype=np.float64)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"temperatures must be a non-empty 1-D sequence, got {temperatures!r}")
    return softmax(np.broadcast_to(q, (t.size, q.size)), temperature=t)


def _new_axes(ax: Any, n: int) -> list[Any]:
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(4.2 * n, 3.6), layout="constrained")
        axes = fig.subplots(1, n, squeeze=False, sharey=True)[0]
        return list(axes)
    if isinstance(ax, Sequence | np.ndarray):
        axes = list(np.ravel(np.asarray(ax, dtype=object)))
        if len(axes) != n:
            raise ValueError(f"ax must be None, one Axes or a sequence of {n} Axes")
        return axes
    return [ax]


def plot_temperature_effect(
    values: ArrayLike = (1.0, 1.5, 2.0, 2.5, 3.0),
    *,
    temperatures: ArrayLike | None = None,
    epsilons: ArrayLike | None = None,
    labels: Sequence[str] | None = None,
    marks: Sequence[float] = (),
    ax: Any = None,
) -> Any:
    r"""Draw what the temperature does to a Boltzmann policy, beside epsilon-greedy.

    .. math:: p_i(T) = \exp(q_i / T) / \sum_j \exp(q_j / T)

    Parameters
    ----------
    values : sequence of float, default (1.0, 1.5, 2.0, 2.5, 3.0)
        One fixed vector of action values.
    temperatures : sequence of float, optional
        The temperatures of the left panel (log axis); default 200 log-spaced
        values from 1/1000 to 1000 times the spread ``max(q) - min(q)``.
    epsilons : sequence of float, optional
        The epsilons of the right panel (linear axis); default 0 to 1.
    labels : sequence of str, optional
        Legend labels of the actions; default ``"q=..."``.
    marks : sequence of float, optional
        Temperatures to mark on the axis (for example those a study compares), as
        short ticks along the top of the Boltzmann panel.
    ax : Axes or pair of Axes, optional
        Where to draw. ``None`` makes a new figure with both panels; one Axes
        draws only the Boltzmann panel; two Axes draw both.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from boltzmann_rl.plotting.temperature import plot_temperature_effect
    >>> fig, ax = plt.subplots()
    >>> plot_temperature_effect([0.0, 1.0, 2.0], ax=ax) is fig
    True
    >>> plt.close(fig)
    """
    q = np.asarray(values, dtype=np.float64)
    if q.ndim != 1 or q.size < 2 or not np.all(np.isfinite(q)):
        raise ValueError(f"values must be at least 2 finite numbers, got {values!r}")
    spread = float(q.max() - q.min()) or 1.0
    if temperatures is None:
        temperatures = np.geomspace(1e-3 * spread, 1e3 * spread, 200)
    t = np.asarray(temperatures, dtype=np.float64)
    if t.ndim != 1 or t.size < 2 or not np.all((t > 0) & np.isfinite(t)):
        raise ValueError(
            "temperatures must be at least 2 finite positive numbers (log axis), "
            f"got {temperatures!r}"
        )
    if epsilons is None:
        epsilons = np.linspace(0.0, 1.0, 101)
    e = np.asarray(epsilons, dtype=np.float64)
    if e.ndim != 1 or e.size < 2 or not np.all((e >= 0) & (e <= 1)):
        raise ValueError(f"epsilons must be at least 2 numbers in [0, 1], got {epsilons!r}")
    if labels is None:
        labels = [f"q={v:g}" for v in q]
    if len(labels) != q.size:
        raise ValueError(f"labels must have one entry per action ({q.size}), got {len(labels)}")

    axes = _new_axes(ax, 2)
    k = q.size
    order = np.argsort(-q, kind="stable")
    p = temperature_probabilities(q, t)
    left = axes[0]
    for i in order:
        left.plot(t, p[:, i], label=labels[i], lw=1.8)
    left.set_xscale("log")
    left.axhline(1.0 / k, color="0.5", lw=0.8, ls=":")
    marked = [float(m) for m in marks if t[0] <= float(m) <= t[-1]]
    if marked:
        from matplotlib.transforms import blended_transform_factory

        top = blended_transform_factory(left.transData, left.transAxes)
        left.plot(marked, [0.985] * len(marked), "|", ms=8, color="0.3", transform=top)
        left.plot([], [], "|", ms=8, color="0.3", label="temperatures compared")
    left.set_xlabel("temperature T (in units of the action values), log scale")
    left.set_ylabel("probability of the action")
    left.set_ylim(-0.02, 1.02)
    left.set_title("Boltzmann: T from argmax to uniform")
    left.annotate("argmax", (t[0], 1.0), xytext=(4, -12), textcoords="offset points", fontsize=8)
    left.annotate(
        f"uniform 1/{k}",
        (t[-1], 1.0 / k),
        xytext=(-4, 4),
        textcoords="offset points",
        ha="right",
        fontsize=8,
    )
    # right of centre: above the curves once they have flattened to uniform
    left.legend(
        fontsize=6.5 if k > 6 else 8,
        loc="center right",
        bbox_to_anchor=(1.0, 0.6),
        ncols=2 if k > 6 else 1,
        handlelength=1.2,
        columnspacing=0.8,
    )
    if len(axes) > 1:
        greedy = softmax(q, temperature=0.0)  # the argmax, ties sharing the mass
        pe = e[:, None] / k + (1.0 - e[:, None]) * greedy[None, :]
        right = axes[1]
        for i in order:
            right.plot(e, pe[:, i], label=labels[i], lw=1.8)
        right.axhline(1.0 / k, color="0.5", lw=0.8, ls=":")
        n_top = int(np.count_nonzero(greedy > 0))
        if n_top < k:
            right.annotate(
                f"each of the other {k - n_top}: ε/{k}",
                (0.5, 0.5 / k),
                xytext=(0, 8),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
        right.set_xlabel("ε (probability of a random action)")
        right.set_title("ε-greedy: the others share ε equally")
        right.set_ylim(-0.02, 1.02)
        right.set_xlim(0, 1)
    return left.figure
