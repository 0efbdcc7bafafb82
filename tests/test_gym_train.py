"""The training loop: seeding, budgets, bad rewards, Ctrl-C, vector envs and autoreset."""

from __future__ import annotations

from typing import ClassVar

import gymnasium
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.vector import AutoresetMode

from boltzmann_rl.gym import (
    DEFAULT_MAX_EPISODE_STEPS,
    GymResult,
    evaluate,
    make_agent,
    make_env,
    make_vector_env,
    run_gym,
    train,
)


class Chain(gymnasium.Env):
    """States 0..length. Action 1 moves right, action 0 stays; state ``length`` is terminal
    (reward 1) unless ``terminal=False``, when only a time limit ends an episode.

    ``nan_at`` / ``interrupt_at``: the global step at which the reward is NaN / at which
    ``step`` raises KeyboardInterrupt (as Ctrl-C would).
    """

    metadata: ClassVar[dict] = {"render_modes": []}

    def __init__(self, length=3, terminal=True, nan_at=None, interrupt_at=None, start=0):
        self.length = length
        self.terminal = terminal
        self.nan_at = nan_at
        self.interrupt_at = interrupt_at
        self.observation_space = spaces.Discrete(length + 1, start=start)
        self.action_space = spaces.Discrete(2, start=start)
        self.start = start
        self.t = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.s = 0
        return self.s + self.start, {}

    def step(self, action):
        self.t += 1
        if self.interrupt_at is not None and self.t >= self.interrupt_at:
            raise KeyboardInterrupt
        a = int(action) - self.start
        self.s = min(self.s + a, self.length)
        done = self.terminal and self.s == self.length
        reward = 1.0 if self.s == self.length else 0.0
        if self.nan_at is not None and self.t == self.nan_at:
            reward = float("nan")
        return self.s + self.start, reward, done, False, {}


gymnasium.register("boltzmann_rl_test/Chain-v0", entry_point=Chain, max_episode_steps=20)


def _record(agent):
    """Wrap agent.update_index to record every transition it learns from."""
    seen = []
    update = agent.update_index

    def recording(s, a, r, s2, terminated, next_action=None):
        seen.append((int(s), int(a), float(r), int(s2), bool(terminated)))
        return update(s, a, r, s2, terminated, next_action)

    agent.update_index = recording
    return seen


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("agent", ["qlearning", "sarsa", "expected-sarsa"])
def test_same_seed_twice_gives_identical_results(agent):
    kwargs = dict(episodes=60, eval_episodes=10, eval_every=20, seed=7)
    policy = "boltzmann(temperature=exp(1, 0.05, 300))"
    a = run_gym("FrozenLake-v1", agent, policy, **kwargs)
    b = run_gym("FrozenLake-v1", agent, policy, **kwargs)
    for name in ("episode_returns", "episode_lengths", "eval_means", "eval_returns"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.trained_agent.q, b.trained_agent.q)
    assert a.summary() | {"seconds": 0} == b.summary() | {"seconds": 0}
    c = run_gym("FrozenLake-v1", agent, policy, **(kwargs | {"seed": 8}))
    assert not np.array_equal(a.episode_lengths, c.episode_lengths)


def test_evaluating_more_often_does_not_change_training():
    kwargs = dict(episodes=40, seed=3, eval_episodes=5)
    a = run_gym("FrozenLake-v1", "sarsa", "egreedy(epsilon=0.2)", eval_every=5, **kwargs)
    b = run_gym("FrozenLake-v1", "sarsa", "egreedy(epsilon=0.2)", eval_every=40, **kwargs)
    np.testing.assert_array_equal(a.episode_lengths, b.episode_lengths)
    np.testing.assert_array_equal(a.trained_agent.q, b.trained_agent.q)
    assert len(a.eval_at) == 8 and len(b.eval_at) == 1


def test_seed_none_records_the_entropy_that_repeats_the_run():
    a = run_gym(
        "FrozenLake-v1",
        "qlearning",
        "egreedy(epsilon=0.5)",
        episodes=20,
        eval_episodes=0,
        seed=None,
    )
    b = run_gym(
        "FrozenLake-v1",
        "qlearning",
        "egreedy(epsilon=0.5)",
        episodes=20,
        eval_episodes=0,
        seed=a.seed,
    )
    np.testing.assert_array_equal(a.episode_lengths, b.episode_lengths)


# --------------------------------------------------------------------------- budgets, results


def test_step_budget_and_bookkeeping():
    env = make_env("FrozenLake-v1")
    agent = make_agent("qlearning", env.observation_space, env.action_space, "greedy", rng=0)
    result = train(agent, env, steps=77, seed=0)
    assert result.steps == 77 == agent.steps
    assert result.episode_end_steps.tolist() == np.cumsum(result.episode_lengths).tolist()
    assert result.episode_end_steps[-1] <= 77 if result.episodes else True
    assert agent.episodes == result.episodes


def test_summary_has_the_json_keys():
    r = run_gym(
        "Taxi-v4",
        "expected-sarsa",
        "boltzmann(temperature=1)",
        episodes=5,
        eval_episodes=3,
        seed=0,
        alpha=0.5,
    )
    s = r.summary()
    keys = [
        "env",
        "agent",
        "policy",
        "eval_return",
        "eval_return_ci",
        "train_return_last100",
        "episodes",
    ]
    assert list(s)[: len(keys)] == keys
    assert s["env"] == "Taxi-v4" and s["agent"] == "expected-sarsa"
    assert s["policy"] == "boltzmann(temperature=1.0)"
    assert s["episodes"] == 5 and s["eval_episodes"] == 3
    assert s["alpha"] == "0.5" and s["gamma"] == 0.99
    import json

    json.dumps(s)


def test_budget_errors():
    env = make_env("FrozenLake-v1")
    agent = make_agent("qlearning", env.observation_space, env.action_space, "greedy", rng=0)
    with pytest.raises(ValueError, match="give episodes or steps"):
        train(agent, env)
    with pytest.raises(ValueError, match="episodes must be a positive integer"):
        train(agent, env, episodes=0)
    with pytest.raises(ValueError, match="needs an eval_env"):
        train(agent, env, episodes=1, eval_episodes=3)
    with pytest.raises(ValueError, match="eval_episodes must be an integer >= 0"):
        run_gym("FrozenLake-v1", "sarsa", "greedy", episodes=2, eval_episodes=-1)


def test_evaluate_is_greedy():
    env = make_env("FrozenLake-v1", {"is_slippery": False})
    agent = make_agent("qlearning", env.observation_space, env.action_space, "greedy", rng=0)
    # a hand-made optimal table for the deterministic 4x4 map: down, down, right, down, ...
    path = {0: 1, 4: 1, 8: 2, 9: 1, 13: 2, 14: 2}
    for s, a in path.items():
        agent.q[s, a] = 1.0
    assert evaluate(agent, env, 5, rng=0, seed=0).tolist() == [1.0] * 5


# --------------------------------------------------------------------------- environments


def test_unknown_env_id_suggests_close_matches():
    with pytest.raises(ValueError, match=r"unknown environment id 'FrozenLake-v9'.*FrozenLake-v1"):
        make_env("FrozenLake-v9")
    with pytest.raises(ValueError, match="unknown environment id 'NoSuchEnv-v0'"):
        run_gym("NoSuchEnv-v0", "qlearning", "greedy", episodes=1)


def test_bad_env_kwargs_name_the_environment():
    with pytest.raises(ValueError, match=r"environment 'FrozenLake-v1' rejected .*'colour'"):
        make_env("FrozenLake-v1", {"colour": "red"})
    with pytest.raises(ValueError, match="rejected"):
        make_env("FrozenLake-v1", {"map_name": "9x9"})


def test_env_kwargs_reach_the_environment():
    env = make_env("FrozenLake-v1", {"map_name": "8x8", "is_slippery": False})
    assert env.observation_space.n == 64
    assert make_env("CliffWalking-v1").spec.max_episode_steps == DEFAULT_MAX_EPISODE_STEPS
    assert make_env("FrozenLake-v1", max_episode_steps=7).spec.max_episode_steps == 7


def test_unsupported_spaces_fail_before_training():
    with pytest.raises(ValueError, match=r"action space Box\(-2.0, 2.0, \(1,\), float32\)"):
        run_gym("Pendulum-v1", "qlearning", "greedy", episodes=1)


def test_nan_reward_raises_naming_step_and_episode():
    env = gymnasium.wrappers.TimeLimit(Chain(length=3, nan_at=5), 10)
    agent = make_agent(
        "qlearning", env.observation_space, env.action_space, "egreedy(epsilon=0)", rng=0
    )
    agent.q[:, 1] = 1.0  # always move right: episodes of 3 steps
    with pytest.raises(
        ValueError,
        match=r"non-finite reward nan at step 2 of episode 2 "
        r"\(global step 5\)",
    ):
        train(agent, env, episodes=5, seed=0)


def test_nan_reward_in_a_vector_env_raises():
    env = gymnasium.vector.SyncVectorEnv([lambda: Chain(length=3, nan_at=2)] * 2)
    agent = make_agent(
        "sarsa",
        env.single_observation_space,
        env.single_action_space,
        "boltzmann(temperature=1)",
        rng=0,
    )
    with pytest.raises(ValueError, match="non-finite reward nan"):
        train(agent, env, episodes=5, seed=0)


def test_keyboard_interrupt_returns_what_was_collected():
    env = gymnasium.wrappers.TimeLimit(Chain(length=3, interrupt_at=11), 10)
    agent = make_agent("qlearning", env.observation_space, env.action_space, "greedy", rng=0)
    agent.q[:, 1] = 1.0
    result = train(agent, env, episodes=100, seed=0)
    assert result.interrupted
    assert result.episodes == 3 and result.episode_lengths.tolist() == [3, 3, 3]
    assert result.steps == 10 == agent.steps  # the partial episode was learned from
    assert result.summary()["interrupted"] is True
    assert result.summary()["eval_return"] is None


def test_start_offsets_of_both_spaces_are_honoured_in_training():
    env = gymnasium.wrappers.TimeLimit(Chain(length=3, start=5), 10)
    agent = make_agent("qlearning", env.observation_space, env.action_space, "greedy", rng=0)
    seen = _record(agent)
    train(agent, env, episodes=3, seed=0)
    assert all(0 <= s <= 3 and 0 <= s2 <= 3 and a in (0, 1) for s, a, _, s2, _ in seen)


# --------------------------------------------------------------------------- vector envs


def _check_chain_transitions(seen, length, terminal):
    for s, a, r, s2, term in seen:
        assert s2 == min(s + a, length), (s, a, s2)  # never the reset observation
        assert s != length or not terminal  # never a step out of a terminal state
        assert term == (terminal and s2 == length)
        assert r == (1.0 if s2 == length else 0.0)


@pytest.mark.parametrize("mode", list(AutoresetMode))
@pytest.mark.parametrize("terminal", [True, False], ids=["terminated", "truncated"])
@pytest.mark.parametrize("agent_name", ["qlearning", "sarsa"])
def test_vector_env_learns_only_from_real_transitions(mode, terminal, agent_name):
    env = make_vector_env(
        "boltzmann_rl_test/Chain-v0",
        3,
        {"terminal": terminal},
        max_episode_steps=6,
        autoreset_mode=mode,
    )
    agent = make_agent(
        agent_name,
        env.single_observation_space,
        env.single_action_space,
        "boltzmann(temperature=1)",
        rng=0,
    )
    seen = _record(agent)
    result = train(agent, env, episodes=30, seed=1)
    env.close()
    assert result.episodes == 30
    assert len(seen) == result.steps == agent.steps
    _check_chain_transitions(seen, 3, terminal)
    if terminal:
        for ret, n in zip(result.episode_returns, result.episode_lengths):
            assert ret == 1.0 or (ret == 0.0 and n == 6)
    else:
        assert result.episode_lengths.tolist() == [6] * 30


def test_vector_env_episode_returns_match_their_transitions():
    env = make_vector_env("boltzmann_rl_test/Chain-v0", 4, max_episode_steps=8)
    agent = make_agent(
        "expected-sarsa",
        env.single_observation_space,
        env.single_action_space,
        "egreedy(epsilon=0.5)",
        rng=0,
    )
    seen = _record(agent)
    result = train(agent, env, steps=300, seed=0)
    env.close()
    assert result.steps == 300 == len(seen)
    # every finished episode reached the goal (+1) or hit the time limit (8 steps)
    for ret, n in zip(result.episode_returns, result.episode_lengths):
        assert ret == 1.0 or n == 8


def test_vector_env_is_deterministic_and_learns_the_chain():
    def run():
        env = make_vector_env("boltzmann_rl_test/Chain-v0", 4, max_episode_steps=20)
        agent = make_agent(
            "qlearning",
            env.single_observation_space,
            env.single_action_space,
            "boltzmann(temperature=0.5)",
            alpha=0.5,
            gamma=0.9,
            rng=0,
        )
        result = train(agent, env, episodes=200, seed=5)
        env.close()
        return result, agent

    (a, agent_a), (b, _) = run(), run()
    np.testing.assert_array_equal(a.episode_lengths, b.episode_lengths)
    assert (agent_a.q[:3, 1] > agent_a.q[:3, 0]).all()  # moving right is learned
    assert agent_a.q[2, 1] == pytest.approx(1.0, abs=1e-6)


def test_run_gym_with_a_sync_vector_env():
    r = run_gym(
        "FrozenLake-v1",
        "sarsa",
        "boltzmann(temperature=0.5)",
        episodes=40,
        num_envs=4,
        eval_episodes=5,
        seed=0,
    )
    assert r.episodes == 40 and r.summary()["num_envs"] == 4
    assert r.steps == r.trained_agent.steps


def test_run_gym_with_an_async_vector_env_matches_sync():
    kwargs = dict(episodes=12, num_envs=2, eval_episodes=2, seed=4)
    a = run_gym(
        "FrozenLake-v1", "qlearning", "boltzmann(temperature=1)", vectorization="async", **kwargs
    )
    s = run_gym(
        "FrozenLake-v1", "qlearning", "boltzmann(temperature=1)", vectorization="sync", **kwargs
    )
    np.testing.assert_array_equal(a.episode_lengths, s.episode_lengths)
    np.testing.assert_array_equal(a.trained_agent.q, s.trained_agent.q)


def test_vector_env_with_box_observations_uses_tiles():
    r = run_gym(
        "MountainCar-v0",
        "sarsa",
        "greedy",
        episodes=2,
        num_envs=2,
        eval_episodes=1,
        seed=0,
        alpha=0.5,
        gamma=1.0,
        max_episode_steps=30,
    )
    assert r.episode_lengths.tolist() == [30, 30]


def test_invalid_vector_arguments():
    with pytest.raises(ValueError, match="num_envs"):
        make_vector_env("FrozenLake-v1", 0)
    with pytest.raises(ValueError, match="mode must be 'sync' or 'async'"):
        make_vector_env("FrozenLake-v1", 2, mode="threads")


def test_gym_result_handles_empty_runs():
    r = GymResult("E", "sarsa", "greedy", 0, np.zeros(0), np.zeros(0, int), np.zeros(0, int))
    s = r.summary()
    assert s["eval_return"] is None and s["train_return_last100"] is None
    assert s["episodes"] == 0


def test_train_runs_any_agent_with_the_methods_gym_agent_declares():
    from boltzmann_rl.gym import ActionMap, DiscreteIndex, GymAgent

    class Random:
        """A minimal agent of a user's own: uniform actions, learns nothing."""

        observe = DiscreteIndex(16)
        actions = ActionMap(4)
        on_policy = False

        def __init__(self):
            self.rng = np.random.default_rng(0)
            self.updates = 0
            self.episodes = 0

        def act_index(self, state):
            return int(self.rng.integers(4))

        def act_batch(self, states):
            return self.rng.integers(4, size=len(states))

        def update_index(self, state, action, reward, next_state, terminated, next_action=None):
            self.updates += 1
            return 0.0

        def update_and_act(self, state, action, reward, next_state):
            self.update_index(state, action, reward, next_state, False)
            return self.act_index(next_state)

        def end_episode(self):
            self.episodes += 1

        def greedy_index(self, state, rng=None):
            return 0

        def describe(self):
            return {"agent": "random", "policy": "uniform", "note": "mine"}

    agent = Random()
    assert isinstance(agent, GymAgent)
    env = gymnasium.make("FrozenLake-v1")
    result = train(agent, env, episodes=12, seed=0, eval_env=env, eval_episodes=2)
    assert agent.updates == result.steps and agent.episodes == 12
    s = result.summary()
    assert (s["agent"], s["policy"], s["note"], s["episodes"]) == ("random", "uniform", "mine", 12)


# ------------------------------------------------------------------ observations outside the space


class Scripted(gymnasium.Env):
    """Returns the observations and rewards it is given, in order, then terminates."""

    metadata: ClassVar[dict] = {"render_modes": []}

    def __init__(self, space, observations, rewards=None):
        self.observation_space = space
        self.action_space = spaces.Discrete(2)
        self.observations = list(observations)
        self.rewards = rewards

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self.observations[0], {}

    def step(self, action):
        self.t += 1
        reward = 0.0 if self.rewards is None else self.rewards[self.t - 1]
        done = self.t == len(self.observations) - 1
        return self.observations[self.t], reward, done, False, {}


BOX = spaces.Box(-1.0, 1.0, (2,), dtype=np.float64)


@pytest.mark.parametrize(
    ("space", "bad", "message"),
    [
        (spaces.Discrete(3), 7, r"observation 7 is outside Discrete\(3\)"),  # IndexError
        (spaces.Discrete(3), -1, r"observation -1 is outside Discrete\(3\)"),  # the last row
        (spaces.Discrete(3), 1.5, r"observation 1.5 is outside Discrete\(3\) \(not an integer"),
        (spaces.Discrete(3), np.int64(3), r"observation .*3.* is outside Discrete\(3\)"),
        (BOX, np.array([0.0, np.nan]), r"\[0.0, nan\] is outside Box.*NaN in dimension 1"),
        (BOX, np.array([0.0, 1.5]), r"\[0.0, 1.5\] is outside Box\(-1.0, 1.0.*dimension 1"),
    ],
)
def test_observations_outside_the_space_are_refused_naming_value_and_space(space, bad, message):
    good = 1 if isinstance(space, spaces.Discrete) else np.zeros(2)
    env = Scripted(space, [good, good, bad, good])
    agent = make_agent("qlearning", space, env.action_space, "greedy", rng=0)
    before = agent.q.copy() if hasattr(agent, "q") else None
    with pytest.raises(ValueError, match=message):
        train(agent, env, episodes=1, seed=0)
    if before is not None:
        assert agent.q[-1].tolist() == before[-1].tolist()  # -1 never read as the last row
    for i in range(2):  # greedy evaluation never looks at the final observation
        env = Scripted(space, [good if j != i else bad for j in range(3)])
        with pytest.raises(ValueError, match=message):
            evaluate(agent, env, 1, rng=0)


def test_vector_env_observations_outside_the_space_are_refused():
    env = gymnasium.vector.SyncVectorEnv([lambda: Scripted(spaces.Discrete(3), [1, -1, 1])] * 2)
    agent = make_agent(
        "qlearning", env.single_observation_space, env.single_action_space, "greedy", rng=0
    )
    with pytest.raises(ValueError, match=r"observations \[-1.*\] are outside Discrete\(3\)"):
        train(agent, env, episodes=2, seed=0)


def test_overflowing_returns_are_refused_without_inf_or_warnings():
    rewards = [1e308, 1e308, 0.0]
    env = Scripted(spaces.Discrete(3), [0, 1, 2, 0], rewards)
    agent = make_agent("qlearning", env.observation_space, env.action_space, "greedy", rng=0)
    with pytest.raises(ValueError, match=r"return of episode 1 .*overflowed the float range"):
        train(agent, env, episodes=1, seed=0)  # was a return of inf
    with pytest.raises(ValueError, match="overflowed the float range"):
        evaluate(agent, Scripted(spaces.Discrete(3), [0, 1, 2, 0], rewards), 1, rng=0)
    vec = gymnasium.vector.SyncVectorEnv(
        [lambda: Scripted(spaces.Discrete(3), [0, 1, 2, 0], rewards)] * 2
    )
    agent = make_agent(
        "qlearning", vec.single_observation_space, vec.single_action_space, "greedy", rng=0
    )
    with pytest.raises(ValueError, match="overflowed the float range"):
        train(agent, vec, episodes=2, seed=0)  # numpy's overflow warning is an error here
    # a large but representable return is kept as it is
    env = Scripted(spaces.Discrete(3), [0, 1, 0], [1e308, -1e308])
    agent = make_agent("qlearning", env.observation_space, env.action_space, "greedy", rng=0)
    assert train(agent, env, episodes=1, seed=0).episode_returns.tolist() == [0.0]
