"""Figures of sweeps and of the temperature: they return figures and never show them."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure

from boltzmann_rl.plotting.sweep import (
    best_members,
    demo_results,
    plot_learning_curves,
    plot_parameter_sweep,
)
from boltzmann_rl.plotting.temperature import (
    plot_temperature_effect,
    temperature_probabilities,
)


def test_temperature_probabilities_limits():
    p = temperature_probabilities([1.0, 2.0, 2.0], [1e-9, 1.0, 1e9])
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], [0.0, 0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(p[-1], [1 / 3] * 3, rtol=1e-6)
    with pytest.raises(ValueError, match="at least 2"):
        temperature_probabilities([1.0], [1.0])


def test_temperature_effect_figure():
    fig = plot_temperature_effect([0.0, 0.5, 1.0], temperatures=[0.01, 0.1, 1.0, 10.0])
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    left, right = fig.axes
    assert left.get_xscale() == "log" and right.get_xscale() == "linear"
    # the top action's line starts near 1 (argmax) and ends near 1/3 (uniform)
    top = left.get_lines()[0].get_ydata()
    assert top[0] > 0.99 and abs(top[-1] - 1 / 3) < 0.05
    # epsilon-greedy: at epsilon = 1 every action has 1/3
    assert all(abs(line.get_ydata()[-1] - 1 / 3) < 1e-12 for line in right.get_lines()[:3])


def test_temperature_effect_on_given_axes_and_errors():
    fig = Figure()
    ax = fig.subplots()
    assert plot_temperature_effect([0.0, 1.0], ax=ax) is fig
    fig2 = Figure()
    axes = fig2.subplots(1, 2)
    assert plot_temperature_effect([0.0, 1.0], ax=list(axes)) is fig2
    with pytest.raises(ValueError, match="finite numbers"):
        plot_temperature_effect([0.0, np.nan])
    with pytest.raises(ValueError, match="positive"):
        plot_temperature_effect([0.0, 1.0], temperatures=[0.0, 1.0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        plot_temperature_effect([0.0, 1.0], epsilons=[0.5, 2.0])


def test_parameter_sweep_figure():
    results = demo_results()
    fig = plot_parameter_sweep(results)
    # T and ε are different quantities: one panel each, each labelled with its own name
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    temp, eps, right = fig.axes
    assert temp.get_xscale() == eps.get_xscale() == "log"
    assert temp.get_xlabel().startswith("temperature T") and "ε" not in temp.get_xlabel()
    assert eps.get_xlabel().startswith("ε") and "temperature" not in eps.get_xlabel()
    assert [line.get_label() for line in temp.get_lines()] == ["Boltzmann"]
    assert [line.get_label() for line in eps.get_lines()] == ["ε-greedy"]
    np.testing.assert_allclose(temp.get_lines()[0].get_ydata(), [1.0, 1.4, 0.6])
    # a family keeps its colour across panels; the dashed best-of-sweep lines are labelled
    colour = {line.get_label(): line.get_color() for line in temp.get_lines() + eps.get_lines()}
    dashed = [line for line in right.get_lines() if line.get_linestyle() == "--"]
    assert [line.get_label() for line in dashed] == [
        "best Boltzmann\n(temperature=0.1)",
        "best ε-greedy\n(epsilon=0.1)",
    ]
    assert [line.get_color() for line in dashed] == [colour["Boltzmann"], colour["ε-greedy"]]
    legend = [t.get_text() for t in right.get_legend().get_texts()]
    assert legend == [line.get_label() for line in dashed]
    assert [t.get_text() for t in right.get_xticklabels()] == ["exp(1.0, 0.01, 100)", "greedy"]
    one = Figure()
    ax = one.subplots()
    assert plot_parameter_sweep(results, ax=ax) is one
    assert len(ax.get_legend().get_texts()) == 4  # levels as horizontal lines


def test_learning_curves_figure():
    results = demo_results()
    fig = plot_learning_curves(results)
    assert len(fig.axes) == 2
    assert fig.axes[1].get_ylabel() == "Fraction of optimal actions"
    assert len(fig.axes[0].get_lines()) == 4  # the best of each family
    with pytest.raises(ValueError, match="unknown curve 'nope'"):
        plot_learning_curves(results, curves=["nope"])
    everything = plot_learning_curves(results, results.members, ["reward"])
    assert len(everything.axes[0].get_lines()) == len(results.members)


def test_best_members_respects_lower_is_better():
    results = demo_results()
    results.metrics["mean_reward"] = {"label": "x", "higher": False}
    assert best_members(results)[0]["label"] == "temperature=1"


def test_no_pyplot_state_is_left_behind():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_parameter_sweep(demo_results())
    plot_learning_curves(demo_results())
    plot_temperature_effect()
    assert plt.get_fignums() == before


def test_temperature_figure_is_drawn_from_the_study():
    from types import SimpleNamespace

    from boltzmann_rl.bandits import make_env
    from boltzmann_rl.core import as_generator
    from boltzmann_rl.sweep.report import study_title, temperature_figure

    members = [
        {"policy": f"boltzmann(temperature={t})", "params": {"temperature": t}} for t in (0.1, 1.0)
    ]
    spec = {"kind": "bandit", "env": "gaussian", "env_args": {"arms": 4, "offset": 2.0}, "seed": 5}
    fig = temperature_figure(SimpleNamespace(study=spec, members=members))
    assert len(fig.axes) == 1  # no ε-greedy family: no ε panel
    env = make_env("gaussian", arms=4, offset=2.0)
    q = 2.0 + env.initial_values(as_generator(5), 1)[0]  # the study's own q*, its units
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0] == f"q*={q.max():.2f} (best)"
    assert sorted(labels[:4]) == sorted(
        f"q*={v:.2f}" + (" (best)" if v == q.max() else "") for v in q
    )
    assert "temperatures compared" in labels
    lo, hi = fig.axes[0].get_lines()[0].get_xdata()[[0, -1]]
    np.testing.assert_allclose([lo, hi], [0.1 / 3, 1.0 * 3])  # the study's range
    with_eps = members + [{"policy": "egreedy(epsilon=0.1)", "params": {"epsilon": 0.1}}]
    assert len(temperature_figure(SimpleNamespace(study=spec, members=with_eps)).axes) == 2
    no_boltzmann = SimpleNamespace(study=spec, members=with_eps[2:])
    assert temperature_figure(no_boltzmann) is None
    gym = SimpleNamespace(study={**spec, "kind": "gym"}, members=members)
    assert temperature_figure(gym) is None
    assert study_title({"name": "s", "description": "x " * 100}).endswith(" …")


THOMPSON = """
[study]
name = "thompson_entropy"
seed = 3
[problem]
type = "bandit"
env = "bernoulli"
args = { arms = 3 }
[budget]
runs = 8
steps = 20
[[family]]
name = "Boltzmann"
policy = "boltzmann(temperature=0.5)"
[[family]]
name = "Thompson"
agent = { name = "bernoulli_thompson" }
"""


def test_no_closed_form_entropy_is_said_in_the_report_and_the_curves(tmp_path):
    from boltzmann_rl.plotting.curves import NO_ENTROPY
    from boltzmann_rl.sweep import Store, load_results, loads_study, run_study

    run_study(loads_study(THOMPSON), tmp_path, backend="serial", report=True)
    report = (tmp_path / "report.md").read_text()
    # both tables: the best setting per family and all settings
    assert report.count(f"n/a ({NO_ENTROPY})") == 2
    assert "final entropy (nats)" in report
    with Store(tmp_path, readonly=True) as store:
        results = load_results(store)
        fig = plot_learning_curves(results)
    panel = next(ax for ax in fig.axes if ax.get_ylabel().startswith("Policy entropy"))
    entries = [t.get_text() for t in panel.get_legend().get_texts()]
    assert entries == [f"Thompson ({NO_ENTROPY})"]  # only the line that draws nothing
    shared = [t.get_text() for t in fig.legends[0].get_texts()]
    assert shared == ["Boltzmann", "Thompson"]


def test_report_budget_line_names_only_the_keys_that_apply(tmp_path):
    from boltzmann_rl.sweep import loads_study, run_study

    study = """
[study]
name = "tabular_budget"
[problem]
type = "gym"
env = "FrozenLake-v1"
[agent]
name = "qlearning"
[budget]
runs = 2
episodes = 10
eval_every = 5
[[family]]
name = "greedy"
policy = "greedy"
"""
    run_study(loads_study(study), tmp_path, backend="serial", report=True)
    report = (tmp_path / "report.md").read_text()
    assert "- budget: episodes=10, eval_every=5, runs=2; base seed" in report
    assert "eval_episodes" not in report  # the tabular engine evaluates on the model
