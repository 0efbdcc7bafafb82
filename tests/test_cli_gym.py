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
        ["gym", "FrozenLake-v1", "--policy", "greedy", "--agent", "ppo"],
        ["gym", "FrozenLake-v1", "--policy", "greedy", "--episodes", "0"],
        ["gym", "FrozenLake-v1", "--policy", "greedy", "--env-kwarg", "novalue"],
    ],
)
def test_argument_errors_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


# --------------------------------------------------------------------------- any gymnasium env

USER_MODULE = '''
import gymnasium
from gymnasium import spaces


class Walk(gymnasium.Env):
    """A corridor of 4 cells: action 1 moves right, 0 left; the right end pays 1."""

    def __init__(self):
        self.observation_space = spaces.Discrete(4)
        self.action_space = spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.s = 0
        return 0, {}

    def step(self, action):
        self.s = min(3, self.s + 1) if action == 1 else max(0, self.s - 1)
        done = self.s == 3
        return self.s, float(done), done, False, {}


gymnasium.register("UserWalk-v0", entry_point=Walk, max_episode_steps=20)
'''


@pytest.fixture(scope="module")
def user_module(tmp_path_factory):
    """A package of the user's own, importable but not yet imported (gymnasium does it)."""
    import sys

    path = tmp_path_factory.mktemp("user_pkg")
    (path / "brl_user_envs_cli.py").write_text(USER_MODULE)
    sys.path.insert(0, str(path))
    yield "brl_user_envs_cli"
    sys.path.remove(str(path))


def test_an_env_of_the_users_own_module_by_module_colon_id(capsys, user_module):
    assert user_module not in gymnasium.registry  # not imported by anyone yet
    code, s = _json(
        capsys,
        [
            "gym",
            f"{user_module}:UserWalk-v0",
            "--policy",
            "egreedy(epsilon=0.2)",
            "--episodes",
            "40",
            "--eval-episodes",
            "3",
            "--json",
        ],
    )
    assert code == 0
    assert s["env"] == f"{user_module}:UserWalk-v0" and s["eval_return"] == 1.0
    assert s["learner"] == "QLearningAgent" and s["tile_coder"] is None


def test_an_unimportable_module_is_one_line(capsys):
    assert main(["gym", "no_such_module_xyz:Walk-v0", "--policy", "greedy"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "boltzmann-rl: error: unknown environment 'no_such_module_xyz:Walk-v0': cannot import "
        "the module 'no_such_module_xyz' (No module named 'no_such_module_xyz')\n"
    )


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Acrobot-v1"])
def test_box_envs_train_from_the_command_line_with_the_defaults(capsys, env_id):
    argv = ["gym", env_id, "--policy", "egreedy(epsilon=0.05)", "--episodes", "2"]
    code, s = _json(capsys, [*argv, "--eval-episodes", "1", "--json"])
    assert code == 0 and s["learner"] == "LinearAgent" and s["num_envs"] is None
    coder = s["tile_coder"]
    assert coder["tilings"] == 8 and set(coder["tiles"]) == {8}
    space = gymnasium.make(env_id).observation_space
    for lo, hi, slo, shi in zip(coder["low"], coder["high"], space.low, space.high, strict=True):
        # the space's bounds where finite, +-3 where unbounded (CartPole's velocities)
        assert lo == (slo if slo > -float("inf") else -3.0)
        assert hi == (shi if shi < float("inf") else 3.0)


def test_the_summary_names_the_learner_and_tile_coder(capsys):
    assert main(["gym", "CartPole-v1", "--policy", "greedy", "--episodes", "2"]) == 0
    out = capsys.readouterr().out
    assert (
        "learner                 LinearAgent on tiles: 8 tilings x 8x8x8x8 tiles over "
        "low=[-4.8, -3, -0.4189, -3], high=[4.8, 3, 0.4189, 3] (52488 features)"
    ) in out
    assert "vector env              none (one environment)" in out


def test_tile_coder_options_reach_the_coder_and_the_vector_env_is_said(capsys):
    argv = [
        "gym",
        "CartPole-v1",
        "--policy",
        "greedy",
        "--episodes",
        "4",
        "--eval-episodes",
        "1",
        "--tilings",
        "4",
        "--tiles",
        "3,3,5,5",
        "--obs-low=-2.4,-2,-0.21,-2",
        "--obs-high",
        "2.4,2,0.21,2",
        "--num-envs",
        "2",
    ]
    code, s = _json(capsys, [*argv, "--json"])
    assert code == 0
    assert s["tile_coder"] == {
        "low": [-2.4, -2.0, -0.21, -2.0],
        "high": [2.4, 2.0, 0.21, 2.0],
        "tilings": 4,
        "tiles": [3, 3, 5, 5],
        "features": 4 * 4 * 4 * 6 * 6,
    }
    assert s["num_envs"] == 2 and s["vectorization"] == "sync"
    assert main(argv) == 0
    assert "vector env              2 copies (sync)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--obs-low", "1,2"], "low and high must have the same non-empty shape"),
        (["--obs-low=-1,-1,-1,-1", "--obs-high", "1,1,-2,1"], "low must be below high"),
        (["--obs-low=-1,-1,-1,-1", "--obs-high", "1,1,inf,1"], "finite bounds"),
        (["--tiles", "4,4"], "tiles"),
    ],
    ids=["length", "order", "inf", "tiles-length"],
)
def test_bad_tile_coder_options_exit_2(capsys, extra, message):
    argv = ["gym", "CartPole-v1", "--policy", "greedy", "--episodes", "2", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("boltzmann-rl: error:") and message in err and err.count("\n") == 1


def test_tile_options_on_a_table_env_and_bad_words(capsys):
    assert main(["gym", "FrozenLake-v1", "--policy", "greedy", "--tilings", "2"]) == 2
    assert "only apply to Box observations" in capsys.readouterr().err
    for bad in (["--obs-low", "a,b"], ["--tiles", "0"], ["--tiles", "2.5"]):
        with pytest.raises(SystemExit) as info:
            main(["gym", "CartPole-v1", "--policy", "greedy", *bad])
        assert info.value.code == 2
        assert "usage:" in capsys.readouterr().err
