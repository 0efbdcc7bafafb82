"""The table of value backups: each backup against a hand computation, shapes, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from boltzmann_rl import logsumexp
from boltzmann_rl.alternatives import Mellowmax, mellowmax
from boltzmann_rl.cli import main
from boltzmann_rl.gym import run_gym
from boltzmann_rl.gym.agents import TabularAgent
from boltzmann_rl.gym.backups import (
    Algorithm,
    mellowmax_backup,
    next_value,
    row_value,
    soft_backup,
    state_value_function,
    td_target,
)
from boltzmann_rl.policies import Boltzmann, EpsilonGreedy
from boltzmann_rl.schedules import Linear

Q = np.array([[1.0, 3.0, 2.0], [0.0, -1.0, 4.0]])


# ---------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name,expected",
    [
        ("qlearning", Algorithm.QLEARNING),
        ("Q-Learning", Algorithm.QLEARNING),
        ("q_learning", Algorithm.QLEARNING),
        ("sarsa", Algorithm.SARSA),
        ("expected-sarsa", Algorithm.EXPECTED_SARSA),
        ("expected_sarsa", Algorithm.EXPECTED_SARSA),
        ("expectedsarsa", Algorithm.EXPECTED_SARSA),
        ("soft_qlearning", Algorithm.SOFT_QLEARNING),
        ("soft-q-learning", Algorithm.SOFT_QLEARNING),
        ("mellowmax", Algorithm.MELLOWMAX),
        pytest.param(Algorithm.SARSA, Algorithm.SARSA, id="the-enum-itself"),
    ],
)
def test_parse_accepts_the_names_and_their_aliases(name, expected):
    assert Algorithm.parse(name) is expected


@pytest.mark.parametrize("bad", ["dqn", "", "q learning", 3, None])
def test_parse_refuses_other_names_naming_the_value_and_the_choices(bad):
    choices = "qlearning, sarsa, expected-sarsa, soft-qlearning, mellowmax"
    with pytest.raises(ValueError, match=f"unknown agent {bad!r}; known agents: {choices}$"):
        Algorithm.parse(bad)


def test_only_sarsa_is_on_policy_and_only_expected_sarsa_needs_the_policy():
    assert [a for a in Algorithm if a.on_policy] == [Algorithm.SARSA]
    assert [a for a in Algorithm if a.needs_policy] == [Algorithm.EXPECTED_SARSA]


# ---------------------------------------------------------------------- values by hand


def test_each_next_value_against_a_hand_computation():
    assert next_value("qlearning", Q).tolist() == [3.0, 4.0]
    assert next_value("sarsa", Q, next_action=[2, 1]).tolist() == [2.0, -1.0]
    # epsilon-greedy at 0.3 on 3 actions: 0.1 each, the argmax 0.8
    got = next_value("expected-sarsa", Q, policy=EpsilonGreedy(epsilon=0.3))
    np.testing.assert_allclose(got, [0.1 * 1 + 0.8 * 3 + 0.1 * 2, 0.1 * 0 - 0.1 + 0.8 * 4])
    t = 0.5
    expected = [t * math.log(sum(math.exp(v / t) for v in row)) for row in Q.tolist()]
    np.testing.assert_allclose(next_value("soft-qlearning", Q, temperature=t), expected)
    w = 2.0
    expected = [math.log(sum(math.exp(w * v) for v in row) / 3) / w for row in Q.tolist()]
    np.testing.assert_allclose(next_value("mellowmax", Q, omega=w), expected)


def test_the_soft_values_reach_their_limits():
    np.testing.assert_array_equal(next_value("soft-qlearning", Q, temperature=0.0), [3.0, 4.0])
    np.testing.assert_array_equal(next_value("mellowmax", Q, omega=math.inf), [3.0, 4.0])
    np.testing.assert_allclose(next_value("mellowmax", Q, omega=0.0), Q.mean(-1))


def test_expected_sarsa_ignores_actions_of_probability_zero_even_at_minus_inf():
    q = np.array([[1.0, -np.inf, 2.0]])
    assert next_value("expected-sarsa", q, policy=Boltzmann(temperature=0)).tolist() == [2.0]


def test_td_target_bootstraps_unless_terminated():
    assert td_target(1.0, 0.9, 2.0, False) == 1.0 + 0.9 * 2.0
    assert td_target(1.0, 0.9, 2.0, True) == 1.0
    # a terminal next state is not read, even when its value is infinite
    got = td_target([1.0, 1.0], 1.0, [np.inf, 3.0], [True, False])
    assert got.tolist() == [1.0, 4.0]
    assert isinstance(td_target(0.0, 0.5, 1.0, False), float)


# ---------------------------------------------------------------------- shapes


def test_next_value_is_vectorized_over_leading_dimensions():
    rng = np.random.default_rng(3)
    q = rng.normal(size=(4, 5, 3))
    actions = rng.integers(3, size=(4, 5))
    for alg, kw in [
        ("qlearning", {}),
        ("sarsa", {"next_action": actions}),
        ("expected-sarsa", {"policy": Boltzmann(temperature=0.7)}),
        ("soft-qlearning", {"temperature": 0.7}),
        ("mellowmax", {"omega": 1.5}),
    ]:
        v = next_value(alg, q, **kw)
        assert v.shape == (4, 5)
        rows = [
            next_value(alg, q[i], **{k: (x[i] if k == "next_action" else x) for k, x in kw.items()})
            for i in range(4)
        ]
        np.testing.assert_allclose(v, np.stack(rows), rtol=1e-14)


def test_per_row_steps_and_parameters():
    # a temperature annealed per row: each row at its own step
    policy = Boltzmann(temperature=Linear(1.0, 0.0, 10))
    q = np.array([[0.0, 1.0], [0.0, 1.0]])
    got = next_value("expected-sarsa", q, policy=policy, step=np.array([0, 10]))
    assert got[1] == 1.0  # T = 0 at step 10: the max
    assert got[0] == pytest.approx(float(policy.probs(q[0], step=0) @ q[0]))
    soft = next_value("soft-qlearning", q, temperature=np.array([0.0, 1.0]))
    assert soft[0] == 1.0 and soft[1] == pytest.approx(float(logsumexp([0.0, 1.0])))
    mm = next_value("mellowmax", q, omega=np.array([0.0, np.inf]))
    assert mm.tolist() == [0.5, 1.0]


def test_row_value_is_the_single_row_path_of_next_value():
    rng = np.random.default_rng(5)
    for _ in range(100):
        row = (rng.normal(size=int(rng.integers(1, 7))) * 10 ** rng.uniform(-2, 2)).tolist()
        p = Boltzmann(temperature=0.8).probs(np.array(row)).tolist()
        t, w = float(10 ** rng.uniform(-2, 2)), float(10 ** rng.uniform(-2, 2))
        a = int(rng.integers(len(row)))
        for alg, kw, ref in [
            (Algorithm.QLEARNING, {}, {}),
            (Algorithm.SARSA, {"next_action": a}, {"next_action": a}),
            (Algorithm.EXPECTED_SARSA, {"probs": p}, {"policy": Boltzmann(temperature=0.8)}),
            (Algorithm.SOFT_QLEARNING, {"temperature": t}, {"temperature": t}),
            (Algorithm.MELLOWMAX, {"omega": w}, {"omega": w}),
        ]:
            one = row_value(alg, row, **kw)
            assert isinstance(one, float)
            assert one == pytest.approx(float(next_value(alg, np.array(row), **ref)), rel=1e-12)


def test_state_value_function_covers_exactly_the_state_only_backups():
    assert state_value_function(Algorithm.QLEARNING) is max
    assert state_value_function(Algorithm.SARSA) is None
    assert state_value_function(Algorithm.EXPECTED_SARSA) is None
    soft = state_value_function(Algorithm.SOFT_QLEARNING, temperature=0.0)
    assert soft([1.0, 5.0]) == 5.0
    soft = state_value_function(Algorithm.SOFT_QLEARNING, temperature=1.0)
    assert soft([1.0, -math.inf]) == 1.0  # off the pure-Python path: the core's
    mellow = state_value_function(Algorithm.MELLOWMAX, omega=2.0)
    assert mellow([0.0, 1.0]) == pytest.approx(float(mellowmax(np.array([0.0, 1.0]), 2.0)))


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: next_value("dqn", Q), ValueError, "unknown agent 'dqn'"),
        (lambda: next_value("sarsa", Q), ValueError, "sarsa needs next_action"),
        (lambda: next_value("sarsa", Q, next_action=[0, 3]), ValueError, r"in \[0, 3\)"),
        (lambda: next_value("sarsa", Q, next_action=[0.5, 1]), ValueError, "integers"),
        (lambda: next_value("expected-sarsa", Q), ValueError, "needs the policy"),
        (lambda: next_value("soft-qlearning", Q), ValueError, "needs temperature"),
        (lambda: next_value("soft-qlearning", Q, temperature=math.inf), ValueError, "finite"),
        (lambda: next_value("mellowmax", Q), ValueError, "needs omega"),
        (lambda: next_value("mellowmax", Q, omega=-1.0), ValueError, "omega must be >= 0"),
        (lambda: next_value("qlearning", [[1.0, np.nan]]), ValueError, "NaN"),
        (lambda: next_value("qlearning", np.zeros((2, 0))), ValueError, r"shape: \(2, 0\)"),
        (lambda: td_target(0.0, 1.5, 1.0, False), ValueError, "gamma must be in"),
        (lambda: td_target(0.0, 0.9, 1.0, 0.5), TypeError, "terminated"),
        (lambda: row_value(Algorithm.SARSA, [1.0]), ValueError, "needs next_action"),
        (lambda: row_value(Algorithm.EXPECTED_SARSA, [1.0]), ValueError, "needs probs"),
        (lambda: soft_backup(0.0, [1.0], 1.5, 1.0), ValueError, "gamma must be in .*1.5"),
        (lambda: soft_backup(0.0, [1.0], 0.9, math.inf), ValueError, "must be finite"),
        (lambda: soft_backup(0.0, [1.0], 0.9, -1.0), ValueError, "temperature must be >= 0"),
        (lambda: soft_backup(0.0, [1.0], 0.9, 1.0, 0.5), TypeError, "terminated must be a bool"),
        (lambda: mellowmax_backup(0.0, [1.0], True, 1.0), TypeError, "gamma"),
    ],
)  # fmt: skip
def test_bad_input_raises_naming_it(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---------------------------------------------------------------------- soft targets


def test_soft_backup_tends_to_the_q_learning_backup_as_t_goes_to_zero():
    rng = np.random.default_rng(14)
    r, q_next = rng.normal(size=20), rng.normal(size=(20, 4))
    q_learning = r + 0.9 * q_next.max(-1)
    np.testing.assert_array_equal(soft_backup(r, q_next, 0.9, 0.0), q_learning)
    for t, tol in ((1e-2, 1e-2 * np.log(4)), (1e-6, 1e-6 * np.log(4))):
        got = soft_backup(r, q_next, 0.9, t)
        assert np.all(got >= q_learning - 1e-15)
        assert np.all(got - q_learning <= 0.9 * tol + 1e-15)


def test_soft_backup_tends_to_mean_plus_t_log_k_as_t_grows():
    rng = np.random.default_rng(15)
    r, q_next = rng.normal(size=20), rng.normal(size=(20, 4))
    for t in (1e3, 1e6):
        got = soft_backup(r, q_next, 0.9, t)
        limit = r + 0.9 * (q_next.mean(-1) + t * np.log(4))
        # the gap is 0.9 * Var(q') / (2T) + O(1/T^2)
        np.testing.assert_allclose(got, limit, rtol=0, atol=2.0 / t + 1e-9 * t)


def test_soft_backup_is_mellowmax_backup_plus_the_entropy_bonus():
    rng = np.random.default_rng(16)
    r, q_next = rng.normal(size=10), rng.normal(size=(10, 5))
    for t in (0.1, 1.0, 10.0):
        soft = soft_backup(r, q_next, 0.95, t)
        mellow = mellowmax_backup(r, q_next, 0.95, 1.0 / t)
        np.testing.assert_allclose(soft - mellow, 0.95 * t * np.log(5), rtol=1e-10)


def test_backups_terminal_states_masks_and_shapes():
    q_next = np.array([[1.0, 2.0], [5.0, -1.0]])
    done = np.array([False, True])
    got = soft_backup([1.0, 1.0], q_next, 0.5, 0.0, done)
    np.testing.assert_array_equal(got, [2.0, 1.0])
    got = mellowmax_backup([1.0, 1.0], q_next, 0.5, math.inf, done)
    np.testing.assert_array_equal(got, [2.0, 1.0])
    assert mellowmax_backup(0.0, [1.0, 3.0], 1.0, 0.0) == 2.0
    masked = soft_backup(0.0, [1.0, 9.0], 1.0, 0.0, mask=np.array([True, False]))
    assert masked == 1.0 and isinstance(masked, float)
    assert soft_backup(0.0, [1.0, 2.0], 1.0, 0.5, 1) == 0.0  # 0/1 flags are accepted
    per_row = soft_backup([0.0, 0.0], q_next, 1.0, np.array([0.0, 1.0]))
    assert per_row[0] == 2.0 and per_row[1] == pytest.approx(logsumexp([5.0, -1.0]))


def test_single_transition_fast_path_agrees_with_the_batched_path():
    # one (reward, row) at a time takes a pure-Python path; a batch of one takes numpy
    rng = np.random.default_rng(20)
    for _ in range(300):
        q = rng.normal(size=int(rng.integers(1, 9))) * 10 ** rng.uniform(-3, 3)
        t, r = float(10 ** rng.uniform(-3, 3)), float(rng.normal())
        for backup in (soft_backup, mellowmax_backup):
            one = backup(r, q, 0.9, t, False)
            batch = backup(np.array([r]), q[None], 0.9, np.array([t]), np.array([False]))
            assert isinstance(one, float)
            assert one == pytest.approx(float(batch[0]), rel=1e-13, abs=1e-13)
            assert backup(r, q.tolist(), 0.9, t, True) == r
    with pytest.raises(ValueError, match="NaN"):
        soft_backup(0.0, [1.0, np.nan], 0.9, 1.0, False)


def test_the_soft_backups_are_td_targets_of_the_soft_values():
    r, done = np.array([1.0, -2.0]), np.array([False, True])
    for t in (0.1, 2.0):
        np.testing.assert_array_equal(
            soft_backup(r, Q, 0.9, t, done),
            td_target(r, 0.9, next_value("soft-qlearning", Q, temperature=t), done),
        )
        np.testing.assert_array_equal(
            mellowmax_backup(r, Q, 0.9, 1 / t, done),
            td_target(r, 0.9, next_value("mellowmax", Q, omega=1 / t), done),
        )


def test_the_old_import_places_give_the_same_objects():
    import boltzmann_rl
    from boltzmann_rl import alternatives

    assert boltzmann_rl.soft_backup is alternatives.soft_backup is soft_backup
    assert boltzmann_rl.mellowmax_backup is alternatives.mellowmax_backup is mellowmax_backup


# ---------------------------------------------- soft and mellowmax backups in the agents


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


@pytest.mark.parametrize(
    ("algorithm", "kwargs"),
    [
        ("qlearning", {}),
        ("sarsa", {"next_action": np.array([0, 2, 1, 1])}),
        ("expected-sarsa", {"policy": Boltzmann(temperature=0.7)}),
        ("soft-qlearning", {"temperature": 0.3}),
        ("mellowmax", {"omega": 4.0}),
    ],
)
def test_unchecked_calls_give_the_same_values(algorithm, kwargs):
    # check_input=False only skips the checks: bit for bit the values of the checked call
    q = np.random.default_rng(5).normal(size=(4, 3)) * 10
    v = next_value(algorithm, q, **kwargs)
    assert np.array_equal(next_value(algorithm, q, check_input=False, **kwargs), v)
    r = np.array([1.0, -2.0, 0.5, 0.0])
    done = np.array([False, True, False, True])
    expected = td_target(r, 0.9, v, done)
    got = td_target(r, 0.9, v.copy(), done, check_input=False)
    assert np.array_equal(got, expected)
