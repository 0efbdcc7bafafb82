"""Learning-curve figures of bandit results (boltzmann_rl.plotting.curves)."""

from __future__ import annotations

import numpy as np
import pytest

from boltzmann_rl.bandits import Curve, simulate
from boltzmann_rl.plotting import plot_metric, plot_result, save_figure


@pytest.fixture(scope="module")
def result():
    return simulate("gaussian", ["greedy", "egreedy(epsilon=0.1)"], runs=30, steps=25, seed=0)


def test_plot_metric_draws_one_line_and_band_per_group(result):
    fig = plot_metric(result, "optimal")
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.get_lines()] == ["greedy", "egreedy(epsilon=0.1)"]
    assert len(ax.collections) == 2  # the CI bands
    y = ax.get_lines()[1].get_ydata()
    # a fraction, as in the tables and the exports (not percent)
    np.testing.assert_allclose(y, result[1].curves["optimal"].mean)
    assert ax.get_ylabel() == "Fraction of optimal actions" and ax.get_xlabel() == "Steps"
    assert ax.get_lines()[0].get_xdata()[0] == 1


def test_smoothing_says_its_window_and_long_curves_are_rasterized():
    long = simulate("gaussian", "greedy", runs=5, steps=600, seed=0)
    fig = plot_metric(long, "reward", smooth=10)
    (ax,) = fig.axes
    mean = long[0].curves["reward"].mean
    y = ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(y[9], mean[:10].mean())
    np.testing.assert_allclose(y[0], mean[0])
    assert "moving average of 10 steps" in ax.get_ylabel()
    assert ax.get_lines()[0].get_rasterized() and ax.collections[0].get_rasterized()
    with pytest.raises(ValueError, match="actual value: 0"):
        plot_metric(long, "reward", smooth=0)


def test_plot_on_given_axes_and_without_bands(result):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    assert plot_metric(result, "regret", ax=ax, ci=False) is fig
    assert len(ax.collections) == 0
    fig2 = Figure()
    axes = fig2.subplots(2, 1)
    assert plot_result(result, ["reward", "entropy"], axes=list(axes)) is fig2


def test_plot_result_panels_and_bad_input(result):
    fig = plot_result(result, title="testbed")
    assert [a.get_ylabel() for a in fig.axes] == ["Average reward", "Fraction of optimal actions"]
    assert fig.axes[0].get_title() == "testbed"
    with pytest.raises(KeyError, match="no metric 'loss'"):
        plot_metric(result, "loss")
    with pytest.raises(ValueError, match="at least one metric"):
        plot_result(result, [])
    with pytest.raises(TypeError, match="groups"):
        plot_metric(3.0)


def test_any_object_with_groups_labels_and_curves():
    class G:
        def __init__(self):
            self.label = "mine"
            self.curves = {"reward": Curve(np.arange(5.0), np.full(5, np.nan))}

    fig = plot_metric([G()])
    assert fig.axes[0].get_lines()[0].get_label() == "mine"
    assert len(fig.axes[0].collections) == 0  # no finite CI: no band


def test_save_png_and_svg(result, tmp_path):
    paths = save_figure(plot_result(result), tmp_path / "sub" / "curves")
    assert [p.name for p in paths] == ["curves.png", "curves.svg"]
    assert paths[0].read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in paths[1].read_bytes()[:500]


def test_no_pyplot_state():
    import boltzmann_rl.plotting.curves as curves

    with open(curves.__file__, encoding="utf-8") as fh:
        source = fh.read()
    assert (
        "import matplotlib.pyplot" not in source and "from matplotlib import pyplot" not in source
    )
