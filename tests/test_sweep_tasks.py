"""The sweep layer reads the registries: a user's own policy and bandit agent in a study file."""

from __future__ import annotations

import re

import numpy as np
import pytest

from boltzmann_rl.bandits import BANDIT_AGENTS, register_bandit_agent
from boltzmann_rl.policies import POLICY_NAMES, register_policy
from boltzmann_rl.sweep.cells import Cell
from boltzmann_rl.sweep.config import loads_study
from boltzmann_rl.sweep.runner import run_study
from boltzmann_rl.sweep.tasks import TASKS

ARMS = 5


class Uniform:
    """Every action with the same probability, whatever the values."""

    needs_counts = False

    def probs(self, q, *, step=0, counts=None):
        q = np.asarray(q, dtype=float)
        return np.full(q.shape, 1.0 / q.shape[-1])

    def sample(self, q, rng, *, step=0, counts=None):
        q = np.asarray(q, dtype=float)
        a = (rng.random(q.shape[:-1]) * q.shape[-1]).astype(np.int64)
        return int(a) if a.ndim == 0 else a

    def log_prob(self, q, action, *, step=0, counts=None):
        return -np.log(np.asarray(q).shape[-1]) + 0.0 * np.asarray(action)

    def entropy(self, q, *, step=0, counts=None):
        q = np.asarray(q, dtype=float)
        return np.full(q.shape[:-1], np.log(q.shape[-1]))

    def __eq__(self, other):
        return isinstance(other, Uniform)

    def __hash__(self):
        return hash(Uniform)

    def __repr__(self):
        return "uniform"


class RoundRobin:
    """Arm (t + offset) mod K at step t: every arm equally often."""

    def __init__(self, offset: int = 0) -> None:
        if offset < 0:
            raise ValueError(f"RoundRobin: offset must be >= 0, actual value: {offset}")
        self.offset = offset
        self.label = f"round_robin(offset={offset})"

    def reset(self, n_rows, n_arms):
        self.n, self.k = n_rows, n_arms

    def select(self, t, rng):
        return np.full(self.n, (t + self.offset) % self.k, dtype=np.int64)

    def update(self, actions, rewards):
        pass

    def entropy(self):
        return None


@pytest.fixture
def registered():
    saved = dict(POLICY_NAMES), dict(BANDIT_AGENTS)
    register_policy(Uniform, name="uniform")
    register_bandit_agent("round_robin", RoundRobin, params={"offset": ("int", "first arm")})
    yield
    for registry, before in zip((POLICY_NAMES, BANDIT_AGENTS), saved, strict=True):
        registry.clear()
        registry.update(before)


STUDY = f"""
[study]
name = "mine"
[problem]
type = "bandit"
env = "gaussian"
args = {{ arms = {ARMS} }}
[budget]
runs = 400
steps = 50
[[family]]
name = "uniform"
policy = "uniform"
[[family]]
name = "round robin"
agent = {{ name = "round_robin", args = {{ offset = "{{offset}}" }} }}
grid = {{ offset = [0, 2] }}
"""


def test_a_users_policy_and_bandit_agent_run_from_a_study_file(tmp_path, registered):
    study = loads_study(STUDY)
    assert [m.cell.agent for m in study.members] == ["action_value", "round_robin", "round_robin"]
    run = run_study(study, tmp_path / "out", backend="serial", figures=False)
    assert (run.total, run.ran, run.failed) == (3, 3, 0)
    from boltzmann_rl.sweep.report import load_results
    from boltzmann_rl.sweep.store import Store

    with Store(tmp_path / "out") as store:
        results = load_results(store)
        rows = {m.label: results.summary(m.cell.id) for m in study.members}
    # Round robin plays every arm once in the last 5 steps: exactly 1/K optimal.
    for label in ("offset=0", "offset=2"):
        assert rows[label]["final_optimal"] == pytest.approx(1 / ARMS, abs=1e-12)
    uniform = rows["uniform"]
    assert abs(uniform["final_optimal"] - 1 / ARMS) < 4 * uniform["final_optimal_ci"]


def test_a_users_agent_arguments_are_checked_like_a_built_in_ones(registered):
    bad = STUDY.replace('offset = "{offset}"', "start = 1").replace(
        "grid = { offset = [0, 2] }", ""
    )
    with pytest.raises(
        ValueError, match="unknown argument of agent 'round_robin'; allowed: offset"
    ):
        loads_study(bad)
    with pytest.raises(ValueError, match="offset must be >= 0, actual value: -1"):
        loads_study(STUDY.replace("[0, 2]", "[0, -1]"))


def test_an_unregistered_name_lists_the_registered_ones():
    text = STUDY.replace('policy = "uniform"', 'policy = "greedy"')
    with pytest.raises(ValueError, match="unknown agent 'round_robin'; allowed: action_value"):
        loads_study(text)


def test_cell_kinds_are_the_task_registry():
    for kind in TASKS:
        budget = dict.fromkeys(TASKS[kind].budget, 1)
        assert Cell(kind, "x", {}, "a", {}, "", budget).kind == kind
    with pytest.raises(ValueError, match="cell kind must be one of bandit, gym, got 'chess'"):
        Cell("chess", "x", {}, "a", {}, "", {})


# --------------------------------------------------------------------------- gym studies

USER_MODULE = '''
import gymnasium
from gymnasium import spaces


class Line(gymnasium.Env):
    """Two cells on a line: action 1 ends the episode with reward 1, action 0 with 0."""

    def __init__(self, pay=1.0):
        self.observation_space = spaces.Box(-1.0, 1.0, (1,))
        self.action_space = spaces.Discrete(2)
        self.pay = pay

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self.observation_space.low * 0, {}

    def step(self, action):
        return self.observation_space.low * 0, self.pay * float(action), True, False, {}


gymnasium.register("UserLine-v0", entry_point=Line)
'''


@pytest.fixture(scope="module")
def user_module(tmp_path_factory):
    import sys

    path = tmp_path_factory.mktemp("user_pkg")
    (path / "brl_user_envs_study.py").write_text(USER_MODULE)
    sys.path.insert(0, str(path))
    yield "brl_user_envs_study"
    sys.path.remove(str(path))


def _gym_study(env, agent_args=""):
    return f"""
[study]
name = "user_env"
[problem]
type = "gym"
env = "{env}"
args = {{ pay = 2.0 }}
[agent]
name = "qlearning"
args = {{ alpha = 0.5{agent_args} }}
[budget]
seeds = 2
episodes = 30
eval_episodes = 3
[[family]]
name = "ε-greedy"
policy = "egreedy(epsilon=0.2)"
"""


def test_a_study_names_an_env_of_the_users_module(tmp_path, user_module):
    study = loads_study(_gym_study(f"{user_module}:UserLine-v0", ", tilings = 2, tiles = 3"))
    run = run_study(study, tmp_path / "out", backend="serial", figures=False)
    assert (run.total, run.ran, run.failed) == (1, 1, 0)
    assert run.summary[0]["summary"]["eval_return"] == 2.0  # greedy takes the paying action


def test_study_tile_options_reach_the_coder(user_module):
    from boltzmann_rl.sweep.tasks import _run_gym_seed

    study = loads_study(
        _gym_study(
            f"{user_module}:UserLine-v0", ", tilings = 2, tiles = 3, obs_low = [-2], obs_high = [2]"
        )
    )
    result = _run_gym_seed(study.members[0].cell, 0, episodes=1, eval_episodes=0)
    assert repr(result.trained_agent.coder) == (
        "TileCoder(low=[-2.0], high=[2.0], tilings=2, tiles=[3])"
    )


def test_study_env_and_tile_mistakes_name_the_key(user_module):
    with pytest.raises(
        ValueError, match=re.escape("problem.env: unknown environment 'nope_xyz:Line-v0'")
    ):
        loads_study(_gym_study("nope_xyz:Line-v0"))
    with pytest.raises(ValueError, match="tiles must be one integer or one per dimension"):
        loads_study(_gym_study(f"{user_module}:UserLine-v0", ", tiles = [3, 3]"))
    with pytest.raises(ValueError, match=re.escape("agent.args.tile: unknown agent argument")):
        loads_study(_gym_study(f"{user_module}:UserLine-v0", ", tile = 3"))


def test_a_step_size_schedule_in_a_study_reaches_the_agent_as_a_schedule(tmp_path):
    study = loads_study(
        """
[study]
name = "steps"
[problem]
type = "bandit"
env = "gaussian"
[budget]
runs = 50
steps = 20
[[family]]
name = "sample average, two ways"
policy = "egreedy(epsilon=0.1)"
agent = { name = "action_value", args = { step_size = "{alpha}" } }
grid = { alpha = ["inverse(1, 1)", 0.5] }
"""
    )
    from boltzmann_rl.bandits.registry import make_bandit_agent
    from boltzmann_rl.schedules import InverseTime

    cell = study.members[0].cell
    assert cell.agent_args == {"step_size": "inverse(1.0, 1.0)"}
    agent = make_bandit_agent(cell.agent, cell.policy, **cell.agent_args)
    assert agent.step_size == InverseTime(1.0, 1.0)
    run = run_study(study, tmp_path / "out", backend="serial", figures=False)
    assert (run.ran, run.failed) == (2, 0)
