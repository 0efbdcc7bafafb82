"""Study files: validation before any work, immutable studies, stable cell ids."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from boltzmann_rl.sweep.cells import Cell
from boltzmann_rl.sweep.config import grid_values, load_study, loads_study

ROOT = Path(__file__).resolve().parents[1]

GYM = """
[study]
name = "tiny"
seed = 3

[problem]
type = "gym"
env = "FrozenLake-v1"
args = { is_slippery = false }

[agent]
name = "qlearning"
args = { alpha = 0.5 }

[budget]
seeds = 2
episodes = 5
eval_episodes = 2

[schedules]
fast = "exp(1, 0.01, 100)"

[[family]]
name = "Boltzmann"
policy = "boltzmann(temperature={temperature})"
grid = { temperature = TEMPS }

[[family]]
name = "annealed"
policy = "boltzmann(temperature={schedule})"
grid = { schedule = ["fast", "linear(1, 0.01, 50)"] }

[[family]]
name = "greedy"
policy = "greedy"
"""


def gym_text(temps: str = "[0.1, 1.0]") -> str:
    return GYM.replace("TEMPS", temps)


def error_of(text: str) -> str:
    with pytest.raises(ValueError) as info:
        loads_study(text, "study.toml")
    return str(info.value)


def test_members_and_canonical_policies():
    study = loads_study(gym_text())
    assert [m.cell.policy for m in study.members] == [
        "boltzmann(temperature=0.1)",
        "boltzmann(temperature=1.0)",
        "boltzmann(temperature=exp(1.0, 0.01, 100))",
        "boltzmann(temperature=linear(1.0, 0.01, 50))",
        "greedy",
    ]
    assert [m.label for m in study.members][2:] == ["fast", "linear(1, 0.01, 50)", "greedy"]
    assert study.families[0].axis == "temperature"
    assert study.families[1].axis is None
    assert len(study.cells) == 5
    assert study.members[0].cell.budget == {"seeds": 2, "episodes": 5, "eval_episodes": 2}


def test_study_is_immutable():
    study = loads_study(gym_text())
    with pytest.raises(dataclasses.FrozenInstanceError):
        study.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        study.members[0].cell.policy = "greedy"  # type: ignore[misc]


def test_adding_grid_values_keeps_ids():
    small = loads_study(gym_text("[0.1, 1.0]"))
    large = loads_study(gym_text("[0.1, 0.3, 1.0]"))
    small_ids = {c.id for c in small.cells}
    large_ids = {c.id for c in large.cells}
    assert small_ids < large_ids
    assert len(large_ids - small_ids) == 1


def test_geomspace_refinement_reuses_values():
    coarse = grid_values({"geomspace": [0.01, 100.0, 5]})
    fine = grid_values({"geomspace": [0.01, 100.0, 9]})
    assert set(coarse) <= set(fine)


def test_ids_ignore_spelling_family_name_and_study_name():
    a = loads_study(gym_text())
    text = (
        gym_text()
        .replace('name = "tiny"', 'name = "other"')
        .replace("boltzmann(temperature={temperature})", "boltzmann( {temperature} )")
    )
    text = text.replace('name = "Boltzmann"', 'name = "Softmax"')
    b = loads_study(text)
    assert [m.cell.id for m in a.members] == [m.cell.id for m in b.members]


def test_ids_change_with_seed_budget_and_problem():
    base = {c.id for c in loads_study(gym_text()).cells}
    for old, new in [
        ("seed = 3", "seed = 4"),
        ("episodes = 5", "episodes = 6"),
        ("is_slippery = false", "is_slippery = true"),
        ("alpha = 0.5", "alpha = 0.25"),
    ]:
        other = {c.id for c in loads_study(gym_text().replace(old, new)).cells}
        assert not base & other, (old, new)


def test_cell_entropy_is_stable_across_versions():
    # The seed of a cell is part of the results' definition: pin it.
    c = Cell("bandit", "gaussian", {"arms": 10}, "sample_average", {}, "greedy", {"runs": 1})
    assert c.id == Cell.from_config(c.config()).id == "2033594015facbbc"
    assert c.entropy == 199104286257692603944372000601225302858


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '[study]\nname = "tiny"',
            '[study]\nname = "tiny"\ncolour = 1',
            "study.colour: unknown key",
        ),
        ("[budget]", "[budgets]", "budgets: unknown key; allowed: study, problem"),
        ("seeds = 2\n", "", "budget.seeds: missing required field"),
        ("seeds = 2", "seeds = 0", "budget.seeds: expected an integer >= 1"),
        ("seeds = 2", "runs = 2", "budget.runs: unknown key; allowed: seeds, episodes"),
        ('type = "gym"', 'type = "atari"', "problem.type: unknown type 'atari'; allowed: bandit"),
        ('env = "FrozenLake-v1"', 'env = "FrozenLake-v9"', "FrozenLake-v9"),
        ('name = "qlearning"', 'name = "dqn"', "agent.name: unknown agent 'dqn'"),
        ("alpha = 0.5", "beta = 0.5", "agent.args.beta: unknown agent argument; allowed: alpha"),
        ("alpha = 0.5", "alpha = -1.0", "alpha"),
        (
            "grid = { temperature = TEMPS }",
            "grid = { T = [1.0] }",
            "family[0].policy: placeholder {temperature}",
        ),
        (
            'policy = "greedy"',
            'policy = "greedy"\ngrid = { x = [1] }',
            "family[2].grid.x: grid key does not appear",
        ),
        ('policy = "greedy"', 'policy = "greedyy"', "unknown policy 'greedyy'"),
        ('"fast", ', '"slow", ', "family[1].grid.schedule: 'slow' is neither a named schedule"),
        ("TEMPS", "{ geomspace = [0, 1, 3] }", "start and stop must be > 0"),
        ("TEMPS", "{ logspace = [0, 1, 3] }", "allowed: a non-empty list"),
        ("TEMPS", "[]", "family[0].grid.temperature: empty list"),
        ("TEMPS", "[-1.0]", "temperature must be >= 0"),
        ('name = "greedy"', 'name = "Boltzmann"', "duplicate family name 'Boltzmann'"),
        ('fast = "exp(1, 0.01, 100)"', 'fast = "greedy"', "schedules.fast"),
        ('name = "tiny"', 'name = "a b"', "study.name: 'a b' is not a valid name"),
        ('name = "tiny"', "name = 3", "study.name: expected a non-empty string"),
    ],
)
def test_validation_errors_name_file_key_and_allowed(old, new, expected):
    text = GYM.replace(old, new, 1)
    assert text != GYM, old
    text = text.replace("TEMPS", "[0.1, 1.0]")
    message = error_of(text)
    assert message.startswith("study.toml: "), message
    assert expected in message, message


def test_metric_validation():
    text = gym_text() + '\n[analysis]\nmetric = "regret"\n'
    message = error_of(text)
    assert "analysis.metric: unknown metric 'regret'" in message
    assert "allowed: eval_return, train_return_last100" in message


def test_bad_toml_and_missing_file(tmp_path):
    assert "not valid TOML" in error_of("[study")
    with pytest.raises(ValueError, match="no such study file"):
        load_study(tmp_path / "missing.toml")


def test_to_dict_is_json(tmp_path):
    import json

    study = loads_study(gym_text())
    spec = json.loads(json.dumps(study.to_dict()))
    assert spec["members"][0]["cell_id"] == study.members[0].cell.id
    assert spec["families"][0]["grid"] == {"temperature": [0.1, 1.0]}


@pytest.mark.parametrize("path", sorted((ROOT / "experiments").glob("*.toml")), ids=str)
def test_shipped_study_files_validate(path):
    study = load_study(path)
    assert study.members
    assert len({c.id for c in study.cells}) == len(study.cells)
