"""The TD agents: targets, episode ends, annealing counters, hyperparameter checks."""

from __future__ import annotations

import itertools
import math

import gymnasium
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.wrappers import TimeLimit

from boltzmann_rl import softmax
from boltzmann_rl.gym import (
    Anneal,
    ExpectedSarsaAgent,
    LinearAgent,
    QLearningAgent,
    SarsaAgent,
    TabularAgent,
    TileCoder,
    make_agent,
    run_gym,
    train,
)
from boltzmann_rl.policies import Boltzmann, EpsilonGreedy, Policy
from boltzmann_rl.schedules import InverseTime

ALGORITHMS = ["qlearning", "sarsa", "expected-sarsa"]


class FixedProbs:
    """A protocol policy with fixed probabilities (whatever q is); samples the argmax of p."""

    needs_counts = False

    def __init__(self, p):
        self.p = np.asarray(p, dtype=float)

    def probs(self, q, *, step=0, counts=None):
        return np.broadcast_to(self.p, np.shape(q)).copy()

    def sample(self, q, rng, *, step=0, counts=None):
        q = np.asarray(q)
        if q.ndim == 1:
            return int(np.argmax(self.p))
        return np.full(q.shape[:-1], int(np.argmax(self.p)))

    def log_prob(self, q, action, *, step=0, counts=None):
        return math.log(self.p[action])

    def entropy(self, q, *, step=0, counts=None):
        return float(-(self.p * np.log(self.p)).sum())

    def __repr__(self):
        return "fixed"


class Recording(FixedProbs):
    """Records the step and counts the agent passes."""

    def __init__(self, p, needs_counts=False):
        super().__init__(p)
        self.needs_counts = needs_counts
        self.calls = []

    def sample(self, q, rng, *, step=0, counts=None):
        self.calls.append((step, None if counts is None else np.asarray(counts).tolist()))
        return super().sample(q, rng)


class OneStep(gymnasium.Env):
    """reset -> state 0; any action -> state 1 with reward 1, then the episode ends.

    ``end="terminated"`` ends it with a terminal state; ``end="none"`` never ends it
    (wrap in a TimeLimit to get a truncation).
    """

    def __init__(self, end="terminated"):
        self.observation_space = spaces.Discrete(2)
        self.action_space = spaces.Discrete(2)
        self.end = end

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        return 1, 1.0, self.end == "terminated", False, {}


def test_fixed_probs_follows_the_protocol():
    assert isinstance(FixedProbs([0.5, 0.5]), Policy)


# --------------------------------------------------------------------- episode ends


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_no_bootstrap_from_terminal_state(algorithm):
    agent = make_agent(
        algorithm, spaces.Discrete(2), spaces.Discrete(2), "greedy", alpha=1.0, gamma=0.5, rng=0
    )
    agent.q[1] = [10.0, 10.0]
    train(agent, OneStep("terminated"), episodes=1, seed=0)
    a = int(np.argmax(agent.counts[0]))
    assert agent.q[0, a] == 1.0  # r only: the terminal state's values are ignored


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_bootstrap_on_truncation(algorithm):
    env = TimeLimit(OneStep("none"), max_episode_steps=1)
    agent = make_agent(
        algorithm, spaces.Discrete(2), spaces.Discrete(2), "greedy", alpha=1.0, gamma=0.5, rng=0
    )
    agent.q[1] = [10.0, 10.0]
    result = train(agent, env, episodes=1, seed=0)
    assert result.episode_lengths.tolist() == [1]
    a = int(np.argmax(agent.counts[0]))
    assert agent.q[0, a] == 1.0 + 0.5 * 10.0  # a time limit is not a terminal state


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_update_terminated_flag_directly(algorithm):
    agent = TabularAgent(3, 2, "greedy", algorithm=algorithm, alpha=1.0, gamma=0.9, rng=0)
    agent.q[2] = [4.0, 4.0]
    assert agent.update(0, 0, 1.0, 2, True) == 1.0
    assert agent.update(1, 0, 1.0, 2, False, 0) == pytest.approx(1.0 + 0.9 * 4.0)
    assert agent.q[0, 0] == 1.0 and agent.q[1, 0] == pytest.approx(4.6)


# --------------------------------------------------------------------- targets


def test_qlearning_target_is_the_max():
    agent = QLearningAgent(2, 3, FixedProbs([1.0, 0.0, 0.0]), alpha=1.0, gamma=0.5, rng=0)
    agent.q[1] = [1.0, 7.0, 3.0]
    agent.update(0, 2, 2.0, 1, False, next_action=0)
    assert agent.q[0, 2] == 2.0 + 0.5 * 7.0


def test_sarsa_target_uses_the_next_action_taken():
    agent = SarsaAgent(2, 3, FixedProbs([1.0, 0.0, 0.0]), alpha=1.0, gamma=0.5, rng=0)
    agent.q[1] = [1.0, 7.0, 3.0]
    agent.update(0, 2, 2.0, 1, False, next_action=2)
    assert agent.q[0, 2] == 2.0 + 0.5 * 3.0
    # truncated (no next action given): an action drawn from the policy, here action 0
    agent.update(0, 1, 2.0, 1, False)
    assert agent.q[0, 1] == 2.0 + 0.5 * 1.0


def test_expected_sarsa_target_uses_the_policys_own_probs():
    p = np.array([0.1, 0.2, 0.7])
    agent = ExpectedSarsaAgent(2, 3, FixedProbs(p), alpha=1.0, gamma=0.5, rng=0)
    agent.q[1] = [1.0, 7.0, 3.0]
    agent.update(0, 0, 2.0, 1, False, next_action=1)  # the next action is ignored
    assert agent.q[0, 0] == pytest.approx(2.0 + 0.5 * float(p @ [1.0, 7.0, 3.0]), rel=1e-15)


@pytest.mark.parametrize("temperature", [0.3, 1.0, 5.0])
def test_expected_sarsa_with_boltzmann_uses_softmax_probs(temperature):
    agent = ExpectedSarsaAgent(2, 3, Boltzmann(temperature), alpha=0.5, gamma=0.9, rng=0)
    q1 = np.array([1.0, 2.0, 0.5])
    agent.q[1] = q1
    agent.update(0, 1, 1.0, 1, False)
    expected = float(softmax(q1, temperature) @ q1)
    assert agent.q[0, 1] == pytest.approx(0.5 * (1.0 + 0.9 * expected), rel=1e-14)


def test_expected_sarsa_with_egreedy_mixes_greedy_and_uniform():
    agent = ExpectedSarsaAgent(2, 4, EpsilonGreedy(0.2), alpha=1.0, gamma=1.0, rng=0)
    agent.q[1] = [0.0, 4.0, 0.0, 0.0]
    agent.update(0, 0, 0.0, 1, False)
    assert agent.q[0, 0] == pytest.approx(0.85 * 4.0)


def test_linear_agent_targets_match_tabular_with_one_tiling_per_cell():
    # one tiling whose cells are the states: the linear agent is then a table
    coder = TileCoder([0.0], [3.0], tilings=1, tiles=3)
    for algorithm in ALGORITHMS:
        lin = LinearAgent(
            coder, 2, FixedProbs([0.25, 0.75]), algorithm=algorithm, alpha=1.0, gamma=0.5, rng=0
        )
        tab = TabularAgent(
            4, 2, FixedProbs([0.25, 0.75]), algorithm=algorithm, alpha=1.0, gamma=0.5, rng=0
        )
        s0, s1 = coder([0.5]), coder([1.5])
        lin.w[s1[0]] = [2.0, 6.0]
        tab.q[int(s1[0])] = [2.0, 6.0]
        lin.update(s0, 0, 1.0, s1, False, 0)
        tab.update(int(s0[0]), 0, 1.0, int(s1[0]), False, 0)
        assert lin.values(s0)[0] == pytest.approx(tab.q[int(s0[0]), 0]), algorithm


# --------------------------------------------------------------------- annealing counters


def test_anneal_step_passes_the_global_step():
    policy = Recording([1.0, 0.0])
    agent = TabularAgent(3, 2, policy, anneal="step", rng=0)
    agent.act(0)
    agent.update(0, 0, 0.0, 1, False)
    agent.update(1, 0, 0.0, 2, True)
    agent.act(2)
    assert [c[0] for c in policy.calls] == [0, 2]


def test_anneal_episode_passes_the_episode_count():
    policy = Recording([1.0, 0.0])
    agent = TabularAgent(3, 2, policy, anneal="episode", rng=0)
    agent.update(0, 0, 0.0, 1, True)
    agent.end_episode()
    agent.end_episode()
    agent.act(0)
    assert policy.calls[-1][0] == 2


def test_anneal_visits_passes_the_current_states_visit_count():
    policy = Recording([1.0, 0.0])
    agent = TabularAgent(3, 2, policy, anneal="visits", rng=0)
    for _ in range(3):
        agent.update(0, 1, 0.0, 1, False)
    agent.update(1, 0, 0.0, 2, True)
    agent.act(0)
    agent.act(1)
    agent.act(2)
    assert [c[0] for c in policy.calls] == [3, 1, 0]
    assert agent.visits.tolist() == [3, 1, 0]


def test_counts_are_passed_only_to_policies_that_need_them():
    plain = Recording([1.0, 0.0])
    agent = TabularAgent(2, 2, plain, rng=0)
    agent.update(0, 1, 0.0, 1, True)
    agent.act(0)
    assert plain.calls[-1][1] is None
    counting = Recording([1.0, 0.0], needs_counts=True)
    agent = TabularAgent(2, 2, counting, rng=0)
    agent.update(0, 1, 0.0, 1, True)
    agent.update(0, 1, 0.0, 1, True)
    agent.update(0, 0, 0.0, 1, True)
    agent.act(0)
    agent.act_batch(np.array([0, 1]))
    assert counting.calls[0][1] == [1, 2]
    assert counting.calls[1][1] == [[1, 2], [0, 0]]


def test_batched_decisions_pass_one_step_per_row_for_visits():
    policy = Recording([0.0, 1.0])
    agent = TabularAgent(3, 2, policy, anneal="visits", rng=0)
    agent.update(2, 0, 0.0, 1, True)
    actions = agent.act_batch(np.array([0, 2, 2]))
    assert actions.tolist() == [1, 1, 1]
    assert np.asarray(policy.calls[-1][0]).tolist() == [0, 1, 1]


def test_annealed_boltzmann_cools_with_episodes():
    agent = TabularAgent(1, 2, "boltzmann(temperature=exp(10, 0.01, 5))", anneal="episode", rng=0)
    agent.q[0] = [0.0, 1.0]
    hot = agent.probs(0)
    for _ in range(5):
        agent.end_episode()
    cold = agent.probs(0)
    assert hot[1] < 0.6 and cold[1] > 0.999


def test_ucb_policy_gets_counts_through_training():
    from boltzmann_rl.gym import run_gym

    result = run_gym("FrozenLake-v1", "qlearning", "ucb(c=1)", episodes=30, eval_episodes=0)
    assert result.episodes == 30
    assert result.trained_agent.counts.sum() == result.steps


# --------------------------------------------------------------------- step sizes


def test_alpha_schedule_by_visits_gives_the_sample_average():
    agent = TabularAgent(2, 1, "greedy", alpha=InverseTime(1.0, 1.0), alpha_by="visits", rng=0)
    for r in [1.0, 2.0, 3.0, 6.0]:
        agent.update(0, 0, r, 1, True)
    assert agent.q[0, 0] == pytest.approx(3.0, rel=1e-15)


def test_alpha_schedule_text_and_step_counting():
    agent = TabularAgent(3, 1, "greedy", alpha="linear(1, 0.5, 2)", alpha_by="step", rng=0)
    agent.update(1, 0, 1.0, 2, True)  # alpha(0) = 1
    agent.update(0, 0, 1.0, 2, True)  # alpha(1) = 0.75
    assert agent.q[:2, 0].tolist() == [0.75, 1.0]


def test_alpha_schedule_table_extends_past_its_first_block():
    agent = TabularAgent(2, 1, "greedy", alpha="inverse(1, 1)", rng=0)
    for _ in range(500):
        agent.update(0, 0, 2.0, 1, True)
    assert agent.q[0, 0] == pytest.approx(2.0)
    assert len(agent.alpha.table) >= 500


# --------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"gamma": 1.5}, ValueError, r"gamma \(the discount\) must be in \[0, 1\].*1.5"),
        ({"gamma": float("nan")}, ValueError, "gamma"),
        ({"gamma": "0.9"}, TypeError, "gamma"),
        ({"alpha": 0.0}, ValueError, r"alpha \(the step size\) must be in \(0, 1\].*0.0"),
        ({"alpha": 1.5}, ValueError, "alpha"),
        ({"alpha": float("nan")}, ValueError, "alpha"),
        ({"alpha": "linear(0, 1, 10)"}, ValueError, "must start above 0"),
        ({"alpha": "linear(1, 2, 10)"}, ValueError, r"left \[0, 1\]"),
        ({"alpha": "nope(1)"}, ValueError, "unknown schedule 'nope'"),
        ({"alpha": [0.1]}, TypeError, "alpha must be a number"),
        ({"initial_value": float("inf")}, ValueError, "initial_value must be finite"),
        ({"anneal": "time"}, ValueError, "anneal must be one of step, episode, visits"),
        ({"alpha_by": "x"}, ValueError, "alpha_by"),
        ({"algorithm": "dqn"}, ValueError, "unknown agent 'dqn'; known agents: qlearning"),
    ],
)
def test_invalid_hyperparameters_raise_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        TabularAgent(4, 2, "greedy", **kwargs)


def test_invalid_policies_raise_clear_errors():
    with pytest.raises(TypeError, match="Policy protocol"):
        TabularAgent(4, 2, object())
    with pytest.raises(ValueError, match="unknown policy 'boltzman'"):
        TabularAgent(4, 2, "boltzman(temperature=1)")
    with pytest.raises(ValueError, match="temperature"):
        TabularAgent(4, 2, "boltzmann(temperature=-1)")
    with pytest.raises(ValueError, match="n_states"):
        TabularAgent(0, 2, "greedy")
    with pytest.raises(TypeError, match="always 'sarsa'"):
        SarsaAgent(4, 2, "greedy", algorithm="qlearning")


def test_greedy_breaks_ties_at_random():
    agent = TabularAgent(1, 4, "greedy", rng=0)
    agent.q[0] = [1.0, 3.0, 3.0, 0.0]
    picks = {agent.greedy(0) for _ in range(100)}
    assert picks == {1, 2}


def test_expected_sarsa_under_the_greedy_policy_is_qlearning():
    # the expectation under argmax probabilities is the max: identical runs, seed by seed
    from boltzmann_rl.gym import run_gym

    kwargs = dict(episodes=50, eval_episodes=0, seed=11, alpha=0.5, initial_value=1.0)
    q = run_gym("FrozenLake-v1", "qlearning", "greedy", **kwargs)
    e = run_gym("FrozenLake-v1", "expected-sarsa", "greedy", **kwargs)
    np.testing.assert_array_equal(q.trained_agent.q, e.trained_agent.q)
    np.testing.assert_array_equal(q.episode_lengths, e.episode_lengths)


def test_sarsa_and_qlearning_agree_when_the_policy_is_greedy_and_values_distinct():
    # with a greedy policy and no ties the next action is the argmax: same target
    for name in ("qlearning", "sarsa"):
        agent = TabularAgent(2, 3, "greedy", algorithm=name, alpha=1.0, gamma=0.5, rng=0)
        agent.q[1] = [1.0, 3.0, 2.0]
        a2 = agent.act(1)
        agent.update(0, 0, 0.0, 1, False, a2)
        assert agent.q[0, 0] == 1.5


def test_policy_and_alpha_can_be_replaced_after_construction():
    agent = TabularAgent(2, 2, "greedy", alpha=0.5, rng=0)
    agent.q[0] = [0.0, 1.0]
    agent.policy = Recording([1.0, 0.0])
    assert agent.act(0) == 0  # the new policy decides
    agent.alpha = 1.0
    agent.update(1, 0, 3.0, 0, True)
    assert agent.q[1, 0] == 3.0
    with pytest.raises(ValueError, match="alpha"):
        agent.alpha = 2.0


def test_subclasses_may_override_act_and_update():
    class Always1(TabularAgent):
        def act(self, state):
            return 1

        def update(self, *args, **kwargs):
            self.seen = args
            return 0.0

    agent = Always1(3, 2, "greedy", rng=0)
    assert agent.act(0) == 1
    agent.update(0, 1, 1.0, 2, True)
    assert agent.seen == (0, 1, 1.0, 2, True) and agent.q.sum() == 0.0


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_generic_update_matches_the_bound_fast_path(algorithm):
    a = TabularAgent(3, 2, FixedProbs([0.3, 0.7]), algorithm=algorithm, alpha=0.5, rng=0)
    b = TabularAgent(3, 2, FixedProbs([0.3, 0.7]), algorithm=algorithm, alpha=0.5, rng=0)
    for agent in (a, b):
        agent.q[2] = [1.0, 2.0]
    a.update(0, 1, 1.0, 2, False, 0)
    TabularAgent.update(b, 0, 1, 1.0, 2, False, 0)
    assert a.q.tolist() == b.q.tolist()
    assert TabularAgent.act(b, 2) == a.act(2)


def test_agents_and_results_pickle():
    import pickle

    from boltzmann_rl.gym import run_gym

    r = run_gym(
        "FrozenLake-v1", "sarsa", "boltzmann(temperature=0.5)", episodes=5, eval_episodes=1, seed=0
    )
    r2 = pickle.loads(pickle.dumps(r))
    np.testing.assert_array_equal(r2.trained_agent.q, r.trained_agent.q)
    assert r2.trained_agent.act(0) in range(4)
    assert r2.summary() == r.summary()


@pytest.mark.parametrize("algorithm", ["qlearning", "sarsa", "expected-sarsa"])
@pytest.mark.parametrize(
    "policy", ["boltzmann(temperature=exp(1.0, 0.05, 300))", "egreedy(epsilon=0.2)", "greedy"]
)
@pytest.mark.parametrize("anneal", ["step", "episode", "visits"])
@pytest.mark.parametrize("alpha", [0.3, "inverse(1.0, 1.0)"])
def test_fused_update_and_act_gives_what_update_then_act_gives(algorithm, policy, anneal, alpha):
    # Training uses update_and_act at every ordinary step; for Q-learning and SARSA
    # with a sample_row policy it is one fused call. A subclass that overrides
    # act_index (so the fused path is off) must train to exactly the same table and returns.
    class Unfused(TabularAgent):
        def act_index(self, state):
            return super().act_index(state)

    env_kwargs = {"is_slippery": True}
    results = []
    for cls in (TabularAgent, Unfused):
        env = gymnasium.make("FrozenLake-v1", **env_kwargs)
        agent = cls.for_spaces(
            env.observation_space,
            env.action_space,
            policy,
            algorithm=algorithm,
            anneal=anneal,
            alpha=alpha,
            alpha_by="visits",
            rng=3,
        )
        assert agent._fused == (cls is TabularAgent)
        result = train(agent, env, episodes=60, seed=4)
        results.append(
            (agent.q.copy(), agent.counts, result.episode_returns, result.episode_lengths)
        )
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    np.testing.assert_array_equal(results[0][2], results[1][2])
    np.testing.assert_array_equal(results[0][3], results[1][3])


def test_fused_update_and_act_when_the_next_state_is_the_current_one():
    # A self-loop: the decision after the update must see the updated value.
    for algorithm in ("qlearning", "sarsa", "expected-sarsa"):
        fused = TabularAgent(2, 2, "greedy", algorithm=algorithm, alpha=1.0, gamma=0.0, rng=0)
        fused.q[0] = [1.0, 0.5]
        assert fused._fused
        a2 = fused.update_and_act(0, 0, -5.0, 0)  # Q(0, 0): 1.0 -> -5.0
        assert fused.q[0].tolist() == [-5.0, 0.5]
        # Q-learning and Expected SARSA decide after the update (action 1); SARSA
        # before it (action 0)
        assert a2 == (0 if algorithm == "sarsa" else 1)


def test_assigning_rng_restarts_the_block_of_uniforms():
    # Decisions through sample_row take uniforms from blocks drawn from agent.rng;
    # a new generator must take effect at once, not after the old block runs out.
    a = TabularAgent(1, 6, "boltzmann(temperature=1.0)", rng=0)
    b = TabularAgent(1, 6, "boltzmann(temperature=1.0)", rng=1)
    first = [a.act(0) for _ in range(10)]
    assert first != [b.act(0) for _ in range(10)]
    b.rng = 0
    assert [b.act(0) for _ in range(10)] == first
    c = TabularAgent(1, 6, "boltzmann(temperature=1.0)", rng=np.random.default_rng(0))
    assert [c.act(0) for _ in range(10)] == first
    with pytest.raises(TypeError):
        c.rng = "not a seed"


@pytest.mark.parametrize("policy", ["boltzmann(temperature=0.7)", "egreedy(epsilon=0.3)"])
def test_decisions_from_blocks_of_uniforms_follow_the_policy(policy):
    # 20 000 decisions cross ~80 blocks of uniforms; seeded chi-square at alpha 1e-3.
    from scipy import stats as sps

    agent = TabularAgent(1, 4, policy, rng=7)
    agent.q[0] = [0.2, 1.0, 1.0, -0.5]
    n = 20_000
    counts = np.bincount([agent.act(0) for _ in range(n)], minlength=4)
    p = agent.probs(0)
    assert sps.chisquare(counts, p * n).pvalue > 1e-3, (counts, p * n)


# --------------------------------------------------------------------------- a user's own loop


def test_in_a_users_loop_agents_take_the_environments_observations_and_actions():
    obs_space = spaces.Tuple((spaces.Discrete(3, start=1), spaces.Discrete(2)))
    act_space = spaces.Discrete(2, start=5)
    by_obs, by_index = (
        TabularAgent.for_spaces(
            obs_space, act_space, "egreedy(epsilon=0.3)", algorithm=alg, alpha=0.5, rng=1
        )
        for alg in ("sarsa", "sarsa")
    )
    rng = np.random.default_rng(2)
    observations = [(int(rng.integers(1, 4)), int(rng.integers(2))) for _ in range(200)]
    index = by_index.observe
    for obs, next_obs in itertools.pairwise(observations):
        action = by_obs.act(obs)
        a = by_index.act_index(index(obs))
        assert action == a + 5  # the environment's action
        reward, terminated = float(rng.normal()), bool(rng.random() < 0.1)
        delta = by_obs.update(obs, action, reward, next_obs, terminated, next_action=6)
        assert delta == by_index.update_index(index(obs), a, reward, index(next_obs), terminated, 1)
    np.testing.assert_array_equal(by_obs.q, by_index.q)
    assert by_obs.greedy((2, 1), rng=0) == by_index.greedy_index(index((2, 1)), rng=0) + 5
    np.testing.assert_array_equal(by_obs.probs((3, 0)), by_index.probs_index(index((3, 0))))
    with pytest.raises(ValueError, match=r"observation \(0, 1\)"):
        by_obs.act((0, 1))  # outside Discrete(3, start=1)


def test_the_tile_coded_agent_takes_box_observations_in_a_users_loop():
    agent = LinearAgent.for_spaces(
        spaces.Box(-1.0, 1.0, (2,)), spaces.Discrete(3), "greedy", initial_value=1.0, rng=0
    )
    obs = np.array([0.2, -0.4])
    assert agent.update(obs, 2, 0.0, obs, terminated=True) == -1.0
    features = agent.observe(obs)
    assert agent.values(features)[2] < 1.0
    assert {agent.act(obs), agent.greedy(obs), agent.greedy_index(features)} <= {0, 1}


def test_anneal_modes_are_an_enum_and_bad_names_are_refused():
    agent = TabularAgent(2, 2, "greedy", anneal=Anneal.VISITS, alpha_by="step")
    assert agent.anneal is Anneal.VISITS and agent.alpha_by is Anneal.STEP
    assert agent.describe()["anneal"] == "visits"
    with pytest.raises(
        ValueError, match=r"anneal must be one of step, episode, visits, actual value: 2"
    ):
        TabularAgent(2, 2, "greedy", anneal=2)


# --------------------------------------------- learning: seeded runs reach known returns


# (policy, agent options): Boltzmann, ε-greedy and greedy on each environment
FROZENLAKE = [
    ("boltzmann(temperature=exp(1.0, 0.01, 3000))", {"anneal": "episode"}),
    ("egreedy(epsilon=linear(1.0, 0.01, 3000))", {"anneal": "episode"}),
    ("greedy", {"initial_value": 1.0}),
]
TAXI = [
    ("boltzmann(temperature=exp(10.0, 0.1, 1500))", {"anneal": "episode"}),
    ("egreedy(epsilon=linear(1.0, 0.01, 1500))", {"anneal": "episode"}),
    ("greedy", {}),
]
CLIFF = [
    ("boltzmann(temperature=exp(5.0, 0.1, 250))", {"anneal": "episode"}),
    ("egreedy(epsilon=linear(1.0, 0.01, 250))", {"anneal": "episode"}),
    ("greedy", {}),
]


def _ids(params):
    return [p[0].split("(")[0] for p in params]


def test_deterministic_frozenlake_is_solved_quickly():
    r = run_gym(
        "FrozenLake-v1",
        "qlearning",
        "boltzmann(temperature=0.1)",
        episodes=300,
        alpha=0.5,
        env_kwargs={"is_slippery": False},
        eval_episodes=5,
        seed=0,
    )
    assert r.eval_returns.tolist() == [1.0] * 5  # the goal, every time


@pytest.mark.slow
@pytest.mark.parametrize(("policy", "options"), FROZENLAKE, ids=_ids(FROZENLAKE))
def test_frozenlake_slippery_near_optimal(policy, options):
    # the optimal policy reaches the goal in about 74 % of episodes (100-step limit)
    r = run_gym(
        "FrozenLake-v1",
        "qlearning",
        policy,
        episodes=6000,
        alpha=0.1,
        gamma=0.99,
        eval_episodes=1000,
        seed=0,
        **options,
    )
    assert r.summary()["eval_return"] >= 0.66


@pytest.mark.slow
@pytest.mark.parametrize("agent", ["sarsa", "expected-sarsa"])
def test_frozenlake_slippery_sarsa_family(agent):
    # on-policy learners sometimes settle on the second-best route (about 0.63)
    r = run_gym(
        "FrozenLake-v1",
        agent,
        FROZENLAKE[0][0],
        episodes=6000,
        alpha=0.1,
        gamma=0.99,
        eval_episodes=1000,
        seed=1,
        **FROZENLAKE[0][1],
    )
    assert r.summary()["eval_return"] >= 0.6


@pytest.mark.slow
@pytest.mark.parametrize(("policy", "options"), TAXI, ids=_ids(TAXI))
def test_taxi_near_optimal(policy, options):
    # optimal: about 7.9 on average over the random starts (20 minus ~12 steps)
    r = run_gym(
        "Taxi-v4",
        "qlearning",
        policy,
        episodes=3000,
        alpha=0.5,
        gamma=0.99,
        eval_episodes=300,
        seed=0,
        **options,
    )
    s = r.summary()
    assert s["eval_return"] >= 7.3
    assert r.eval_returns.min() > -10  # never a failed (timed-out) passenger


@pytest.mark.slow
@pytest.mark.parametrize("agent", ["sarsa", "expected-sarsa"])
def test_taxi_sarsa_family(agent):
    r = run_gym(
        "Taxi-v4",
        agent,
        TAXI[0][0],
        episodes=3000,
        alpha=0.5,
        gamma=0.99,
        eval_episodes=300,
        seed=0,
        **TAXI[0][1],
    )
    assert r.summary()["eval_return"] >= 7.3


@pytest.mark.slow
@pytest.mark.parametrize(("policy", "options"), CLIFF, ids=_ids(CLIFF))
@pytest.mark.parametrize("agent", ["qlearning", "expected-sarsa"])
def test_cliffwalking_finds_the_shortest_path(agent, policy, options):
    # Q-learning's greedy path is the shortest (13 steps); Expected SARSA learns the
    # values of the policy it follows, and with ε-greedy keeps a row away from the
    # cliff (15 or 17 steps) until ε is small for long enough
    r = run_gym(
        "CliffWalking-v1",
        agent,
        policy,
        episodes=500,
        alpha=0.5,
        gamma=1.0,
        eval_episodes=3,
        seed=0,
        **options,
    )
    if agent == "qlearning" or not policy.startswith("egreedy"):
        assert r.eval_returns.tolist() == [-13.0] * 3
    else:
        assert min(r.eval_returns) >= -17.0


@pytest.mark.slow
def test_cliffwalking_sarsa_is_safer_than_qlearning_during_learning():
    # Sutton and Barto, Example 6.6: with ε = 0.1, SARSA learns the longer path away
    # from the edge, and its returns during learning beat Q-learning's
    online = {}
    paths = {}
    for agent in ("qlearning", "sarsa"):
        tails, greedy = [], []
        for seed in range(5):
            r = run_gym(
                "CliffWalking-v1",
                agent,
                "egreedy(epsilon=0.1)",
                episodes=500,
                alpha=0.5,
                gamma=1.0,
                eval_episodes=1,
                seed=seed,
            )
            tails.append(r.episode_returns[250:].mean())
            greedy.append(r.eval_returns[0])
        online[agent] = float(np.mean(tails))
        paths[agent] = greedy
    assert online["sarsa"] > online["qlearning"] + 10  # about -25 against -50
    assert paths["qlearning"] == [-13.0] * 5  # Q-learning's greedy path: along the edge
    assert sum(g < -13.0 for g in paths["sarsa"]) >= 3  # SARSA's: mostly a longer one


@pytest.mark.slow
def test_mountaincar_tile_coding_reaches_the_goal():
    # Sutton and Barto, Example 10.1: about 120 - 150 steps per episode after 200
    r = run_gym(
        "MountainCar-v0",
        "sarsa",
        "boltzmann(temperature=0.5)",
        episodes=200,
        alpha=0.5,
        gamma=1.0,
        eval_episodes=20,
        seed=0,
    )
    assert r.summary()["eval_return"] > -160  # -200: never reached the flag
    assert r.episode_returns[-50:].mean() > -170


@pytest.mark.slow
def test_vector_env_training_learns_taxi_too():
    r = run_gym(
        "Taxi-v4",
        "expected-sarsa",
        TAXI[0][0],
        episodes=3000,
        alpha=0.5,
        num_envs=4,
        eval_episodes=200,
        seed=0,
        **TAXI[0][1],
    )
    assert r.summary()["eval_return"] >= 7.3
