"""The agents learn: near-optimal greedy returns on FrozenLake, Taxi, CliffWalking, MountainCar.

Each test trains within a budget of seconds (the configurations of
``experiments/gym_compare.py``, sometimes with fewer episodes) and checks the greedy
policy against the return known to be achievable. They are marked slow (CI runs
them with ``pytest -m slow``), except a quick deterministic one.
"""

from __future__ import annotations

import numpy as np
import pytest

from boltzmann_rl.gym import run_gym

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
