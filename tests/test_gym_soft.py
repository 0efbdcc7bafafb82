"""Soft (log-sum-exp) and mellowmax backups in the gym agents."""

from __future__ import annotations

import math

import numpy as np
import pytest

from boltzmann_rl import logsumexp
from boltzmann_rl.alternatives import Mellowmax, mellowmax
from boltzmann_rl.cli import main
from boltzmann_rl.gym import run_gym
from boltzmann_rl.gym.agents import TabularAgent
from boltzmann_rl.policies import Boltzmann, EpsilonGreedy


def primed(algorithm, policy, **kwargs):
    agent = TabularAgent(3, 3, policy, algorithm=algorithm, alpha=0.5, gamma=0.9, rng=0, **kwargs)
    agent.q[2] = [1.0, 2.0, -1.0]
    return agent


def test_soft_qlearning_target_is_the_log_sum_exp_of_the_next_values():
    agent = primed("soft-qlearning", Boltzmann(0.5))
    assert agent.backup_temperature == 0.5
    delta = agent.update(0, 1, 1.0, 2, terminated=False)
    target = 1.0 + 0.9 * float(logsumexp([1.0, 2.0, -1.0], 0.5))
    assert delta == pytest.approx(target, rel=1e-14)
    assert agent.q[0, 1] == pytest.approx(0.5 * target, rel=1e-14)


def test_soft_backup_at_zero_temperature_is_the_qlearning_backup():
    soft = primed("soft-qlearning", EpsilonGreedy(0.1), backup_temperature=0.0)
    hard = primed("qlearning", EpsilonGreedy(0.1))
    assert soft.update(0, 1, 1.0, 2, False) == hard.update(0, 1, 1.0, 2, False)


def test_terminal_states_do_not_bootstrap_in_soft_backups():
    for algorithm, policy in (("soft-qlearning", Boltzmann(0.5)), ("mellowmax", Mellowmax(3.0))):
        agent = primed(algorithm, policy)
        assert agent.update(0, 0, 2.0, 2, terminated=True) == 2.0


def test_mellowmax_target_uses_the_policy_omega():
    agent = primed("mellowmax", Mellowmax(omega=3.0))
    delta = agent.update(0, 1, 0.0, 2, terminated=False)
    assert delta == pytest.approx(0.9 * float(mellowmax(np.array([1.0, 2.0, -1.0]), 3.0)))
    other = primed("mellowmax", EpsilonGreedy(0.1), omega=3.0)
    assert other.update(0, 1, 0.0, 2, terminated=False) == pytest.approx(delta)


def test_soft_backups_need_their_parameter():
    with pytest.raises(ValueError, match="soft-qlearning needs backup_temperature"):
        primed("soft-qlearning", EpsilonGreedy(0.1))
    with pytest.raises(ValueError, match="mellowmax needs omega"):
        primed("mellowmax", Boltzmann(1.0))
    with pytest.raises(ValueError, match="backup_temperature must be >= 0"):
        primed("soft-qlearning", Boltzmann(1.0), backup_temperature=-1.0)
    with pytest.raises(ValueError, match="inf"):
        primed("soft-qlearning", Boltzmann(1.0), backup_temperature=math.inf)
    with pytest.raises(ValueError, match="apply to the soft-qlearning and mellowmax"):
        primed("qlearning", Boltzmann(1.0), backup_temperature=1.0)


@pytest.mark.slow
def test_soft_qlearning_learns_the_cliff(capsys):
    result = run_gym(
        "CliffWalking-v1",
        "soft-qlearning",
        "boltzmann(temperature=0.05)",
        episodes=300,
        alpha=0.5,
        gamma=1.0,
        seed=0,
        eval_episodes=1,
    )
    assert result.summary()["eval_return"] >= -17  # the optimum is -13
    assert (
        main(
            [
                "gym",
                "CliffWalking-v1",
                "--agent",
                "mellowmax",
                "--policy",
                "mellowmax(omega=20)",
                "--episodes",
                "50",
                "--json",
            ]
        )
        == 0
    )
    assert '"agent": "mellowmax"' in capsys.readouterr().out
