"""Tiny-budget smoke runs of the experiment scripts (experiments/*.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    path = ROOT / "experiments" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def test_gym_compare_smoke(tmp_path):
    module = _load("gym_compare")
    argv = ["--quick", "--workers", "1", "--envs", "CliffWalking-v1", "--out", str(tmp_path)]
    assert module.main(argv) == 0
    table = json.loads((tmp_path / "gym_compare.json").read_text())
    rows = table["CliffWalking-v1"]["rows"]
    assert len(rows) == 3 * 5
    assert (tmp_path / "gym_cliffwalking_sarsa.png").exists()


def test_gym_compare_settings_are_valid_text_forms():
    from boltzmann_rl.spec import parse_policy

    module = _load("gym_compare")
    for setting in module.SETTINGS:
        for policy in setting.policies:
            assert repr(parse_policy(policy.spec)) == policy.spec


def test_gym_cliff_smoke(tmp_path):
    module = _load("gym_cliff")
    assert module.main(["--quick", "--workers", "1", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "gym_cliff.json").read_text())
    assert set(summary["ε-greedy, ε = 0.1"]) == {"qlearning", "sarsa", "expected-sarsa"}
    assert (tmp_path / "gym_cliff_paths.png").exists()


@pytest.mark.slow
def test_gym_mountaincar_smoke(tmp_path):
    module = _load("gym_mountaincar")
    assert module.main(["--quick", "--workers", "1", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "gym_mountaincar_cost_to_go.png").exists()


def test_gym_compare_achievable_returns_are_the_dynamic_programming_optima():
    module = _load("gym_compare")
    horizons = {"FrozenLake-v1": 100, "Taxi-v4": 200, "CliffWalking-v1": 1000}
    for setting in module.SETTINGS:
        best = module.optimal_return(setting.env_id, setting.env_kwargs, horizons[setting.env_id])
        assert round(best, 3) == setting.achievable, setting.env_id


# ----------------------------------------------------------- the textbook testbed script


def test_textbook_study_smoke(tmp_path, capsys):
    results = _load("textbook_testbed").main(
        ["--runs", "20", "--steps", "30", "--out", str(tmp_path)]
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "textbook_fig2_2.png",
        "textbook_fig2_5.png",
        "textbook_fig2_6.png",
        "textbook_results.json",
    ]
    saved = json.loads((tmp_path / "textbook_results.json").read_text())
    assert saved["config"]["runs"] == 20
    assert set(saved["figure_2_2"]) == {"ε = 0 (greedy)", "ε = 0.01", "ε = 0.1"}
    assert len(saved["figure_2_5"]) == 4
    study = saved["figure_2_6"]
    assert len(study) == 7 and all(len(f["x"]) == len(f["mean_reward"]) for f in study.values())
    assert results["figure_2_2"] == saved["figure_2_2"]
    assert "wrote" in capsys.readouterr().out
