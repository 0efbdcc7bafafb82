"""Analysis-ready results: parameter columns, per-seed rows, evaluation curves, to_frame."""

from __future__ import annotations

import csv
import json
import sys

import numpy as np
import pytest

from boltzmann_rl._optional import MissingExtra
from boltzmann_rl.bandits import simulate
from boltzmann_rl.cli import main
from boltzmann_rl.gym import run_gym
from boltzmann_rl.sweep import Store, load_results, loads_study, run_study
from boltzmann_rl.sweep.export import export_store, export_tables, parameters

GYM = """
[study]
name = "tiny_gym"
description = "FrozenLake without slip. Three settings."
seed = 1

[problem]
type = "gym"
env = "FrozenLake-v1"
args = { is_slippery = false }

[agent]
name = "qlearning"
args = { alpha = 0.5, gamma = 0.95 }

[budget]
seeds = 3
episodes = 30
eval_episodes = 2
eval_every = 10

[[family]]
name = "Boltzmann"
policy = "boltzmann(temperature={temperature})"
grid = { temperature = [0.1, 1.0] }

[[family]]
name = "greedy"
policy = "greedy"
"""

BANDIT = """
[study]
name = "tiny_bandit"
seed = 2

[problem]
type = "bandit"
env = "gaussian"
args = { arms = 4 }

[budget]
runs = 20
steps = 10

[schedules]
hot = "exp(1.0, 0.1, 10)"

[[family]]
name = "Boltzmann"
policy = "boltzmann(temperature={temperature})"
grid = { temperature = [0.1, 1.0] }

[[family]]
name = "annealed"
policy = "boltzmann(temperature={schedule})"
grid = { schedule = ["hot"] }

[[family]]
name = "ε-greedy"
policy = "egreedy(epsilon={epsilon})"
grid = { epsilon = [0.1] }

[[family]]
name = "UCB"
policy = "ucb(c=2)"

[[family]]
name = "greedy"
policy = "greedy"
"""


@pytest.fixture(scope="module")
def gym_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("gym")
    run_study(loads_study(GYM), out, backend="serial", report=True)
    return out


@pytest.fixture(scope="module")
def bandit_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("bandit")
    run_study(loads_study(BANDIT), out, backend="serial", report=False)
    return out


def test_bandit_cells_have_a_numeric_column_per_parameter(bandit_out):
    with Store(bandit_out, readonly=True) as store:
        tables = export_tables(store)
    cells = {r["setting"]: r for r in tables["cells"]}
    assert cells["temperature=0.1"]["temperature"] == 0.1
    assert cells["temperature=0.1"]["epsilon"] is None  # does not apply
    assert cells["epsilon=0.1"]["epsilon"] == 0.1
    assert cells["UCB"]["c"] == 2.0  # a policy keyword, not a grid key
    assert cells["hot"]["schedule"] == "hot" and cells["hot"]["temperature"] is None
    assert all(cells["greedy"][k] is None for k in ("temperature", "epsilon", "c", "schedule"))
    # optimal is a fraction in the exports, as in the tables and figures
    assert 0.0 <= cells["greedy"]["final_optimal"] <= 1.0
    assert tables["seeds"] == []  # seeds are gym's; bandit cells have runs
    paths = export_store(bandit_out, "csv")
    assert [p.name for p in paths] == ["cells.csv", "runs.csv", "curves.csv"]
    with open(paths[0], newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:8] == [
        "cell_id",
        "family",
        "setting",
        "policy",
        "temperature",
        "schedule",
        "epsilon",
        "c",
    ]
    assert rows[0]["temperature"] == "0.1" and rows[0]["epsilon"] == ""


def test_bandit_runs_table_one_row_per_setting_and_run(bandit_out):
    with Store(bandit_out, readonly=True) as store:
        tables = export_tables(store)
        runs = load_results(store).to_frame("runs")
    assert len(tables["runs"]) == 6 * 20  # six settings, twenty runs each
    assert list(runs.columns[:11]) == [
        "cell_id",
        "family",
        "setting",
        "temperature",
        "schedule",
        "epsilon",
        "c",
        "run",
        "chunk",
        "chunk_seed",
        "final_optimal",
    ]
    cells = {r["cell_id"]: r for r in tables["cells"]}
    for cell_id, group in runs.groupby("cell_id"):
        assert group["run"].tolist() == list(range(20)) and set(group["chunk"]) == {0}
        seed = json.loads(group["chunk_seed"].iloc[0])
        assert seed == {"entropy": int(cells[cell_id]["cell_seed"]), "spawn_key": [0]}
        np.random.SeedSequence(**seed)  # the label is a SeedSequence's arguments
        # the cells row holds the means of its runs' rows
        for name in ("mean_reward", "final_reward", "final_optimal", "regret"):
            assert group[name].mean() == pytest.approx(cells[cell_id][name], rel=1e-12)
    # per-run arrays are rows of this table, not curves
    assert not {r["curve"] for r in tables["curves"]} & {"run_regret", "run_mean_reward"}
    hot = runs[runs["setting"] == "hot"]
    assert hot["schedule"].eq("hot").all() and hot["temperature"].isna().all()
    with open(bandit_out / "export" / "runs.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 120 and rows[0]["run"] == "0" and rows[0]["epsilon"] == ""


def test_parameters_of_a_label_that_is_not_a_policy():
    assert parameters({"params": {"offset": -5}, "policy": "gradient bandit, α=0.1 ("}) == {
        "offset": -5.0
    }


def test_gym_seeds_table_and_evaluation_curves(gym_out):
    with Store(gym_out, readonly=True) as store:
        tables = export_tables(store)
        results = load_results(store)
        cells = results.to_frame()
        seeds = results.to_frame("seeds")
        curves = results.to_frame("curves")
        assert results.to_frame("runs").empty  # runs are bandit rows
        with pytest.raises(ValueError, match="actual value: 'episodes'"):
            results.to_frame("episodes")
    assert len(tables["seeds"]) == 3 * 3  # three settings, three seeds each
    assert list(seeds.columns[:6]) == [
        "cell_id",
        "family",
        "setting",
        "temperature",
        "seed_index",
        "eval_return",
    ]
    # the cells row is the mean of its seeds' rows
    for cell_id, group in seeds.groupby("cell_id"):
        row = cells[cells["cell_id"] == cell_id].iloc[0]
        np.testing.assert_allclose(group["eval_return"].mean(), row["eval_return"])
        np.testing.assert_allclose(
            group["train_return_last100"].mean(), row["train_return_last100"]
        )
    ev = curves[curves["curve"] == "eval_return"]
    assert sorted(set(ev["step"])) == [10, 20, 30]  # the episodes it was measured after
    assert (ev["ci"].notna()).all()  # across three seeds
    assert len(curves[curves["curve"] == "train_return"]) == 3 * 30
    assert not curves["curve"].str.startswith("seed_").any()
    assert cells["temperature"].tolist()[:2] == [0.1, 1.0]


def test_gym_report_plots_the_evaluation_that_ranks(gym_out):
    report = (gym_out / "report.md").read_text()
    assert "ranked by `eval_return`" in report
    assert "greedy evaluation return measured every 10 episodes" in report
    from matplotlib.figure import Figure

    from boltzmann_rl.plotting.sweep import plot_learning_curves

    with Store(gym_out, readonly=True) as store:
        fig = plot_learning_curves(load_results(store))
    assert isinstance(fig, Figure)
    train, evaluation = fig.axes[:2]
    assert "training return" in train.get_ylabel()
    assert "evaluation" in evaluation.get_ylabel() and "ranks" in evaluation.get_ylabel()
    assert list(evaluation.get_lines()[0].get_xdata()) == [10.0, 20.0, 30.0]
    assert len(evaluation.collections) >= 1  # the CI band across seeds
    assert fig.texts == [] and fig.legends  # one legend below the panels


def test_bad_eval_every_is_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(GYM.replace("eval_every = 10", "eval_every = 0"))
    assert main(["run", str(path), "--out", str(tmp_path / "o")]) != 0


def test_bandit_and_gym_results_to_frame():
    r = simulate("gaussian", ["greedy", "greedy"], runs=10, steps=4, seed=0)
    frame = r.to_frame()
    # `group` tells apart two groups with the same label
    assert frame.groupby("group").size().tolist() == [4, 4]
    assert set(frame["policy"]) == {"greedy"}
    summary = r.to_frame("summary")
    assert summary["group"].tolist() == [0, 1] and "final_optimal_ci" in summary
    runs = r.to_frame("runs")
    assert runs.groupby("group").size().tolist() == [10, 10]
    assert runs.groupby("group")["regret"].mean().tolist() == pytest.approx(
        [s["regret"] for s in r.summary()], rel=1e-12
    )
    with pytest.raises(ValueError, match="actual value: 'steps'"):
        r.to_frame("steps")
    g = run_gym("FrozenLake-v1", "qlearning", "greedy", episodes=6, eval_episodes=1, seed=0)
    assert g.to_frame()["episode"].tolist() == list(range(1, 7))
    assert list(g.to_frame("evaluations").columns) == ["episode", "greedy_return_mean"]


def test_to_frame_without_pandas_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    r = simulate("gaussian", "greedy", runs=5, steps=3, seed=0)
    with pytest.raises(MissingExtra, match=r'pip install "boltzmann-rl\[pandas\]"'):
        r.to_frame()
