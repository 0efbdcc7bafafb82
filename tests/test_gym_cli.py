"""The ``boltzmann-rl gym`` subcommand, through ``boltzmann_rl.cli.main``."""

from __future__ import annotations

import csv
import json

import gymnasium
import pytest
from gymnasium import spaces

from boltzmann_rl.cli import main


class Stoppable(gymnasium.Env):
    """A 3-step corridor whose ``step`` raises KeyboardInterrupt at global step ``stop_at``."""

    def __init__(self, stop_at=10**9):
        self.observation_space = spaces.Discrete(4)
        self.action_space = spaces.Discrete(2)
        self.stop_at = stop_at
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.s = 0
        return 0, {}

    def step(self, action):
        self.t += 1
        if self.t >= self.stop_at:
            raise KeyboardInterrupt
        self.s += 1
        return self.s, -1.0, self.s == 3, False, {}


gymnasium.register("boltzmann_rl_test/Stoppable-v0", entry_point=Stoppable, max_episode_steps=50)


def _json(capsys, argv):
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_json_output(capsys):
    code, s = _json(
        capsys,
        [
            "gym",
            "FrozenLake-v1",
            "--agent",
            "sarsa",
            "--policy",
            "boltzmann(temperature=0.5)",
            "--episodes",
            "30",
            "--eval-episodes",
            "4",
            "--seed",
            "2",
            "--json",
        ],
    )
    assert code == 0
    assert s["env"] == "FrozenLake-v1" and s["agent"] == "sarsa"
    assert s["policy"] == "boltzmann(temperature=0.5)"
    assert s["episodes"] == 30 and s["eval_episodes"] == 4
    assert set(s) >= {"eval_return", "eval_return_ci", "train_return_last100"}
    assert 0.0 <= s["eval_return"] <= 1.0


def test_json_output_is_deterministic(capsys):
    argv = [
        "gym",
        "Taxi-v4",
        "--agent",
        "expected-sarsa",
        "--policy",
        "egreedy(epsilon=linear(1.0, 0.05, 500))",
        "--episodes",
        "5",
        "--alpha",
        "0.5",
        "--eval-episodes",
        "2",
        "--json",
    ]
    _, a = _json(capsys, argv)
    _, b = _json(capsys, argv)
    a.pop("seconds"), b.pop("seconds")
    assert a == b


def test_alpha_schedule_env_kwargs_and_options(capsys):
    code, s = _json(
        capsys,
        [
            "gym",
            "FrozenLake-v1",
            "--policy",
            "greedy",
            "--episodes",
            "10",
            "--alpha",
            "inverse(1, 10)",
            "--gamma",
            "0.9",
            "--env-kwarg",
            "map_name=8x8",
            "is_slippery=false",
            "--eval-episodes",
            "1",
            "--anneal",
            "visits",
            "--initial-value",
            "1",
            "--json",
        ],
    )
    assert code == 0
    assert s["alpha"] == "inverse(1.0, 10.0)" and s["gamma"] == 0.9
    assert s["env_kwargs"] == {"map_name": "8x8", "is_slippery": False}
    assert s["anneal"] == "visits" and s["initial_value"] == 1.0
    assert s["eval_return_ci"] is None  # one evaluation episode has no interval


def test_steps_budget_and_vector_env(capsys):
    code, s = _json(
        capsys,
        [
            "gym",
            "FrozenLake-v1",
            "--policy",
            "boltzmann(temperature=1)",
            "--steps",
            "200",
            "--num-envs",
            "2",
            "--eval-episodes",
            "0",
            "--json",
        ],
    )
    assert code == 0 and s["steps"] == 200 and s["num_envs"] == 2
    assert s["eval_return"] is None


def test_out_writes_table_summary_and_plot(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "gym",
            "CliffWalking-v1",
            "--agent",
            "sarsa",
            "--policy",
            "egreedy(epsilon=0.1)",
            "--episodes",
            "20",
            "--alpha",
            "0.5",
            "--eval-episodes",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "greedy return" in text and "wrote" in text
    with (out / "episodes.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 20 and set(rows[0]) == {"episode", "return", "length", "end_step"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 20
    assert (out / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "evaluations.csv").exists()


def test_ctrl_c_still_prints_and_writes(tmp_path, capsys):
    out = tmp_path / "stopped"
    code = main(
        [
            "gym",
            "boltzmann_rl_test/Stoppable-v0",
            "--policy",
            "greedy",
            "--episodes",
            "100",
            "--env-kwarg",
            "stop_at=10",
            "--json",
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert code == 130
    s = json.loads(captured.out)
    assert s["interrupted"] is True and s["episodes"] == 3 and s["steps"] == 9
    assert "interrupted after 3 episodes" in captured.err
    assert json.loads((out / "summary.json").read_text())["interrupted"] is True
    assert len((out / "episodes.csv").read_text().splitlines()) == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["gym", "FrozenLake-v9", "--policy", "greedy"], "unknown environment id 'FrozenLake-v9'"),
        (["gym", "Pendulum-v1", "--policy", "greedy"], "action space Box(-2.0, 2.0"),
        (["gym", "FrozenLake-v1", "--policy", "boltzman"], "unknown policy 'boltzman'"),
        (["gym", "FrozenLake-v1", "--policy", "greedy", "--gamma", "2"], "gamma"),
        (["gym", "FrozenLake-v1", "--policy", "greedy", "--alpha", "0"], "alpha"),
        (
            ["gym", "FrozenLake-v1", "--policy", "greedy", "--alpha", "lin(1, 0, 5)"],
            "unknown schedule 'lin'",
        ),
        (
            ["gym", "FrozenLake-v1", "--policy", "greedy", "--env-kwarg", "map_name=9x9"],
            "rejected the keyword arguments",
        ),
        (["gym", "FrozenLake-v1", "--policy", "boltzmann(temperature=-1)"], "temperature"),
    ],
)
def test_bad_input_gives_a_clear_error_and_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("boltzmann-rl: error: ")
    assert message in err


@pytest.mark.parametrize(
    "argv",
    [
        ["gym", "FrozenLake-v1"],  # --policy is required
        ["gym", "FrozenLake-v1", "--policy", "greedy", "--agent", "dqn"],
        ["gym", "FrozenLake-v1", "--policy", "greedy", "--episodes", "0"],
        ["gym", "FrozenLake-v1", "--policy", "greedy", "--env-kwarg", "novalue"],
    ],
)
def test_argument_errors_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err
