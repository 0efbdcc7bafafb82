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
    budget = {"seeds": 2, "episodes": 5, "eval_episodes": 2, "eval_every": 100}  # default
    assert study.members[0].cell.budget == budget


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
        ("seeds = 2", "steps = 2", "budget.steps: unknown key; allowed: seeds, runs, episodes"),
        ('type = "gym"', 'type = "atari"', "problem.type: unknown type 'atari'; allowed: bandit"),
        ('env = "FrozenLake-v1"', 'env = "FrozenLake-v9"', "FrozenLake-v9"),
        ('name = "qlearning"', 'name = "ppo"', "agent.name: unknown agent 'ppo'"),
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
    if path.name.startswith("dqn_"):
        pytest.importorskip("stable_baselines3")  # DQN studies need the sb3 extra
    study = load_study(path)
    assert study.members
    assert len({c.id for c in study.cells}) == len(study.cells)


# ------------------------------------------------ problem arguments from the grid

SHIFTED = """
[study]
name = "shifted"

[problem]
type = "bandit"
env = "gaussian"
args = { arms = 5, offset = 0.0, scale = 1.0 }

[budget]
runs = 10
steps = 5

[[family]]
name = "Boltzmann, shifted"
policy = "boltzmann(temperature=0.3)"
problem_args = { offset = "{offset}" }
agent = { name = "action_value", args = { initial = "{q1}" } }
grid = { offset = [-5.0, 0.0, 5.0], q1 = [-4.0, 1.0, 6.0] }
zip = true

[[family]]
name = "Boltzmann, scaled"
policy = "boltzmann(temperature=0.3)"
problem_args = { scale = "{scale}" }
agent = { name = "action_value", args = { initial = "{scale}" } }
grid = { scale = [0.1, 1.0, 10.0] }
"""


def test_problem_args_from_the_grid_fill_each_cell():
    study = loads_study(SHIFTED)
    shifted = [m for m in study.members if m.family == "Boltzmann, shifted"]
    assert [m.label for m in shifted] == ["offset=-5, q1=-4", "offset=0, q1=1", "offset=5, q1=6"]
    assert [m.cell.env_args for m in shifted] == [
        {"arms": 5, "offset": v, "scale": 1.0} for v in (-5.0, 0.0, 5.0)
    ]
    assert [m.cell.agent_args for m in shifted] == [{"initial": v} for v in (-4.0, 1.0, 6.0)]
    scaled = [m for m in study.members if m.family == "Boltzmann, scaled"]
    assert [m.cell.env_args["scale"] for m in scaled] == [0.1, 1.0, 10.0]
    assert [m.cell.agent_args for m in scaled] == [{"initial": v} for v in (0.1, 1.0, 10.0)]
    # offset 0 with Q1 = 1 and scale 1 with Q1 = 1 are one problem: one cell, run once
    assert shifted[1].cell.id == scaled[1].cell.id
    assert len(study.cells) == 5 == len({c.id for c in study.cells})
    # the zipped family is drawn against its first key, on a linear axis (an offset <= 0)
    assert [(f.axis, f.xscale, f.size) for f in study.families] == [
        ("offset", "linear", 3),
        ("scale", "log", 3),
    ]
    spec = study.to_dict()
    assert spec["families"][0]["problem_args"] == {"offset": "{offset}"}
    assert spec["families"][0]["zip"] is True
    assert spec["members"][0]["env_args"]["offset"] == -5.0


def test_problem_arg_placeholders_keep_ids_stable():
    # the same filled-in problem, however it is written, is the same cell
    literal = loads_study(
        SHIFTED.replace("offset = 0.0, scale", "offset = 5.0, scale")
        .replace('problem_args = { offset = "{offset}" }\n', "")
        .replace(
            "grid = { offset = [-5.0, 0.0, 5.0], q1 = [-4.0, 1.0, 6.0] }", "grid = { q1 = [6.0] }"
        )
    )
    placeholder = loads_study(
        SHIFTED.replace(
            "offset = [-5.0, 0.0, 5.0], q1 = [-4.0, 1.0, 6.0]", "offset = [5.0], q1 = [6.0]"
        )
    )
    assert literal.members[0].cell.id == placeholder.members[0].cell.id
    study_level = loads_study(
        SHIFTED.replace("offset = 0.0, scale = 1.0 }", 'offset = "{offset}", scale = 1.0 }')
        .replace('problem_args = { offset = "{offset}" }\n', "")
        .replace(
            'problem_args = { scale = "{scale}" }',
            'problem_args = { scale = "{scale}", offset = 0.0 }',
        )
    )
    assert [m.cell.id for m in study_level.members] == [
        m.cell.id for m in loads_study(SHIFTED).members
    ]
    # a grid refined with a new offset keeps the old cells
    wider = loads_study(
        SHIFTED.replace(
            "[-5.0, 0.0, 5.0], q1 = [-4.0, 1.0, 6.0]",
            "[-5.0, 0.0, 5.0, 10.0], q1 = [-4.0, 1.0, 6.0, 11.0]",
        )
    )
    assert {c.id for c in loads_study(SHIFTED).cells} < {c.id for c in wider.cells}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (  # a study-level placeholder needs values in the grid of every family that
            # does not override the argument (family[0] sets its own offset)
            "offset = 0.0, scale = 1.0 }",
            'offset = "{shift}", scale = 1.0 }',
            "problem.args.offset: placeholder {shift} has no values in family[1].grid "
            "(family 'Boltzmann, scaled'); allowed: scale",
        ),
        (
            'problem_args = { scale = "{scale}" }',
            'problem_args = { scale = "{factor}" }',
            "family[1].problem_args.scale: placeholder {factor} has no values in family[1].grid",
        ),
        (
            'problem_args = { scale = "{scale}" }',
            'problem_args = { scale = "x{scale}" }',
            "family[1].problem_args.scale: 'x{scale}': a grid placeholder must be the whole value",
        ),
        (
            'problem_args = { scale = "{scale}" }',
            "problem_args = 3",
            "family[1].problem_args: expected a table",
        ),
        (
            "grid = { scale = [0.1, 1.0, 10.0] }",
            "grid = { scale = [0.1, 1.0, 10.0], extra = [1] }",
            "family[1].grid.extra: grid key does not appear as {extra} in the policy "
            "'boltzmann(temperature=0.3)', as an agent argument or as a problem argument",
        ),
        ("q1 = [-4.0, 1.0, 6.0]", "q1 = [-4.0, 1.0]", "with zip = true every key needs the same"),
        ("zip = true", 'zip = "yes"', "family[0].zip: expected true or false"),
        (  # a value the environment refuses names the family and the setting
            "scale = [0.1, 1.0, 10.0]",
            "scale = [0.1, -1.0]",
            "problem.args of family 'Boltzmann, scaled' (scale=-1): gaussian: scale must be > 0",
        ),
        (
            "steps = 5",
            'steps = 5\n[analysis]\nxscale = { offset = "log" }',
            "analysis.xscale.offset: a log axis needs values > 0",
        ),
        (
            "steps = 5",
            'steps = 5\n[analysis]\nxscale = { offset = "cubic" }',
            "analysis.xscale.offset: unknown scale 'cubic'; allowed: log, linear",
        ),
        (
            "steps = 5",
            'steps = 5\n[analysis]\nxscale = { q1 = "linear" }',
            "analysis.xscale.q1: not the x axis of any family",
        ),
    ],
)
def test_problem_arg_validation_names_file_and_key(old, new, expected):
    text = SHIFTED.replace(old, new, 1)
    assert text != SHIFTED, old
    message = error_of(text)
    assert message.startswith("study.toml: "), message
    assert expected in message, message


def test_xscale_asks_for_a_linear_axis():
    study = loads_study(
        SHIFTED.replace("steps = 5", 'steps = 5\n[analysis]\nxscale = { scale = "linear" }')
    )
    assert [f.xscale for f in study.families] == ["linear", "linear"]


def test_problem_only_grid_keys_may_hold_strings():
    text = gym_text().replace(
        'policy = "greedy"\n',
        'policy = "greedy"\nproblem_args = { map_name = "{map}" }\n'
        'grid = { map = ["4x4", "8x8"] }\n',
    )
    study = loads_study(text)
    greedy = [m for m in study.members if m.family == "greedy"]
    assert [m.label for m in greedy] == ["4x4", "8x8"]
    assert [m.cell.env_args for m in greedy] == [
        {"is_slippery": False, "map_name": v} for v in ("4x4", "8x8")
    ]
    # the same strings in the policy would have to be schedules
    bad = GYM.replace("TEMPS", '["4x4"]')
    assert "'4x4' is neither a named schedule" in error_of(bad)


def test_cells_of_different_problems_never_share_a_batch():
    from boltzmann_rl.sweep.runner import plan_batches

    text = SHIFTED.replace(
        'policy = "boltzmann(temperature=0.3)"\nproblem_args = { scale',
        'policy = "boltzmann(temperature={T})"\nproblem_args = { scale',
    ).replace(
        "grid = { scale = [0.1, 1.0, 10.0] }", "grid = { scale = [0.1, 10.0], T = [0.1, 0.3, 1.0] }"
    )
    study = loads_study(text)
    batches = plan_batches(study.cells, workers=1)
    assert sorted(c.id for b in batches for c in b) == sorted(c.id for c in study.cells)
    for batch in batches:
        assert len({c.env_args_json for c in batch}) == 1
    assert max(len(b) for b in batches) > 1  # the temperatures of one problem do share


BANDIT = """
[study]
name = "sized"
MAX
[problem]
type = "bandit"
env = "gaussian"
[budget]
runs = RUNS
steps = 10
[[family]]
name = "Boltzmann"
policy = "boltzmann(temperature={T})"
grid = { T = GRID }
"""


def bandit_text(runs: int = 10, grid: str = "[0.1, 1.0]", max_cells: str = "") -> str:
    text = BANDIT.replace("RUNS", str(runs)).replace("GRID", grid)
    return text.replace("MAX", max_cells)


def test_geomspace_of_a_million_values_expands_in_linear_time():
    import time

    t = time.perf_counter()
    values = grid_values({"geomspace": [1e-3, 1e3, 1_000_000]}, max_values=1_000_000)
    assert time.perf_counter() - t < 10  # quadratic dedup took more than 120 s
    assert len(values) == len(set(values)) and values == sorted(values)
    assert values[0] == 0.001 and values[-1] == 1000.0


def test_study_of_more_cells_than_the_maximum_is_refused_with_the_count():
    message = error_of(bandit_text(grid="[0.1, 0.2, 0.3]", max_cells="max_cells = 2"))
    assert "3 settings" in message and "maximum of 2" in message and "max_cells" in message
    # a geomspace too large is refused before numpy builds it
    message = error_of(bandit_text(grid="{ geomspace = [1e-3, 1e3, 1000000000000] }"))
    assert "1000000000000 values" in message and "100000" in message
    assert len(loads_study(bandit_text(grid="[0.1, 0.2]", max_cells="max_cells = 2")).cells) == 2
    # the loader's override beats the file's key
    assert len(loads_study(bandit_text(grid="[0.1, 0.2, 0.3]"), max_cells=3).cells) == 3
    with pytest.raises(ValueError, match="at least 3 settings"):
        loads_study(bandit_text(grid="[0.1, 0.2, 0.3]", max_cells="max_cells = 50"), max_cells=2)


def test_study_whose_simulation_cannot_fit_is_refused_at_load(monkeypatch):
    monkeypatch.setenv("BOLTZMANN_RL_MEMORY_LIMIT", "8GiB")
    message = error_of(bandit_text(runs=1_000_000_000_000))  # built a per-chunk list: hung
    assert message.startswith("study.toml: budget: the simulation of 1000000000000 runs")
    assert "PiB" in message and "8 GiB" in message


@pytest.mark.parametrize(
    ("grid", "expected"),
    [
        ("[1e999]", "line 14: number '1e999' is out of range"),  # was T = inf, silently
        ("[1e-999]", "line 14: number '1e-999' is too small to be told from 0"),  # was T = 0
        ("[" + "9" * 400 + "]", "family[0].grid.T[0]: integer of 400 digits is out of range"),
        ("{ geomspace = [1, " + "9" * 30 + ", 3] }", "integer of 30 digits is out of range"),
        ('["exp(1, 0.01, ' + "9" * 400 + ')"]', "is out of range (beyond the largest float"),
    ],
)
def test_grid_numbers_out_of_range_are_refused_naming_them(grid, expected):
    assert expected in error_of(bandit_text(grid=grid))  # OverflowError or silent inf/0


def test_float_literals_in_comments_are_not_numbers():
    text = bandit_text().replace('name = "Boltzmann"', 'name = "Boltzmann"  # not 1e999')
    assert len(loads_study(text).cells) == 2
