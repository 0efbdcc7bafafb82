"""The batched tabular engine: the model follows gymnasium, the agents the per-env ones."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as sps

from boltzmann_rl._resources import ResourceLimitError
from boltzmann_rl._rng import BatchRNG
from boltzmann_rl.gym import make_env
from boltzmann_rl.gym.agents import TabularAgent
from boltzmann_rl.gym.tabular import NoModelError, TabularModel, train_tabular
from boltzmann_rl.gym.training import evaluate, train
from boltzmann_rl.policies import Boltzmann

ALPHA = 1e-3


def _outcome_counts(samples):
    keys = sorted(set(samples))
    return keys, {k: i for i, k in enumerate(keys)}


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("FrozenLake-v1", {}),
        ("FrozenLake-v1", {"map_name": "8x8"}),
        ("FrozenLake-v1", {"desc": ["SFH", "FFF", "HFG"], "is_slippery": True}),
        ("CliffWalking-v1", {"is_slippery": True}),
        ("Taxi-v4", {}),
    ],
)
def test_transitions_follow_gymnasium_step(env_id, kwargs):
    # For sampled (s, a): the engine's next state, reward and termination against
    # gymnasium's own step, a two-sample chi-square test on the joint outcome.
    model = TabularModel.from_env(env_id, **kwargs)
    env = make_env(env_id, kwargs)
    env.reset(seed=0)
    base = env.unwrapped
    pick = np.random.default_rng(1)
    n = 1500
    for _ in range(3):
        s = int(pick.integers(model.n_states))
        a = int(pick.integers(model.n_actions))
        gym_out = []
        for _ in range(n):
            base.s = s
            s2, r, term, trunc, _ = base.step(a)
            assert not trunc
            gym_out.append((int(s2), float(r), bool(term)))
        rng = BatchRNG.from_seed(s * 100 + a, n)
        ns, rr, tt = model.step(np.full(n, s), np.full(n, a), rng.uniform())
        ours = list(zip(ns.tolist(), rr.tolist(), tt.tolist(), strict=True))
        keys, index = _outcome_counts(gym_out + ours)
        table = np.zeros((2, len(keys)))
        for row, sample in enumerate((gym_out, ours)):
            for x in sample:
                table[row, index[x]] += 1
        if len(keys) > 1:
            assert sps.chi2_contingency(table).pvalue > ALPHA, (s, a, table)
        else:
            assert gym_out[0] == ours[0]


@pytest.mark.parametrize("env_id", ["FrozenLake-v1", "Taxi-v4", "CliffWalking-v1"])
def test_initial_distribution_and_time_limit_follow_gymnasium(env_id):
    model = TabularModel.from_env(env_id)
    env = make_env(env_id)
    assert model.time_limit == env.spec.max_episode_steps
    n = 3000
    gym_starts = [env.reset(seed=i)[0] for i in range(n)]
    ours = model.reset(BatchRNG.from_seed(3, n).uniform())
    counts = np.stack(
        [
            np.bincount(gym_starts, minlength=model.n_states),
            np.bincount(ours, minlength=model.n_states),
        ]
    )
    counts = counts[:, counts.sum(axis=0) > 0]
    if counts.shape[1] > 1:
        assert sps.chi2_contingency(counts).pvalue > ALPHA
    else:
        assert (counts[0] == counts[1]).all()


def test_truncation_bootstraps_and_termination_does_not():
    # One state, reward 1, never terminal, limit 5: Q-learning with alpha = 1 and
    # gamma = 0.5 bootstraps through the truncations to 1 / (1 - 0.5) = 2.
    loop = TabularModel.from_arrays(np.ones((1, 1, 1)), 1.0, False, [1.0], time_limit=5)
    r = train_tabular(loop, "greedy", runs=3, episodes=20, alpha=1.0, gamma=0.5, seed=0)
    assert np.allclose(r.q, 2.0, atol=1e-4)
    assert (r.episode_lengths == 5).all() and (r.episode_returns == 5).all()
    # The same with termination after one step: the target is the reward alone
    stop = TabularModel.from_arrays(np.ones((1, 1, 1)), 1.0, True, [1.0], time_limit=5)
    r = train_tabular(stop, "greedy", runs=3, episodes=20, alpha=1.0, gamma=0.5, seed=0)
    assert np.allclose(r.q, 1.0) and (r.episode_lengths == 1).all()


def test_optimum_bounds_every_run_and_the_reference_values():
    model = TabularModel.from_env("FrozenLake-v1")
    opt = model.optimal_value()
    assert opt == pytest.approx(0.744, abs=5e-4)
    assert model.optimal_value(horizon=20_000) == pytest.approx(0.8235, abs=1e-4)
    r = train_tabular(
        model, "boltzmann(temperature=0.05)", runs=250, episodes=400, eval_every=100, seed=2
    )
    assert (r.eval_values <= opt + 1e-12).all() and (r.final_values <= opt + 1e-12).all()
    assert r.final_values.mean() > 0.1  # it learns something


@pytest.mark.parametrize(
    ("env_id", "kwargs"), [("Taxi-v4", {}), ("FrozenLake-v1", {"map_name": "8x8"})]
)
def test_sparse_and_dense_policy_evaluation_agree(env_id, kwargs):
    # Few tables take the dense path, many the sparse one (through tied actions too)
    model = TabularModel.from_env(env_id, **kwargs)
    rng = np.random.default_rng(0)
    q = rng.integers(0, 3, size=(2, model.n_states, model.n_actions)).astype(float)
    dense = model.greedy_values(q)
    sparse = model.greedy_values(np.repeat(q, 600, axis=0))
    np.testing.assert_allclose(sparse, np.repeat(dense, 600), rtol=1e-12, atol=1e-12)


def test_exact_greedy_value_matches_an_independent_rollout():
    # The exact value of a run's greedy policy against gymnasium episodes of it
    model = TabularModel.from_env("FrozenLake-v1")
    r = train_tabular(model, "egreedy(epsilon=0.2)", runs=4, episodes=300, seed=5, alpha=0.2)
    env = make_env("FrozenLake-v1")
    n = 2000
    for i in range(1):
        agent = TabularAgent(16, 4, "greedy", rng=0)
        agent.q[:] = r.q[i]
        returns = evaluate(agent, env, n, rng=i, seed=100 + i)
        se = max(returns.std(ddof=1), 1e-3) / np.sqrt(n)
        assert abs(returns.mean() - r.final_values[i]) < 3.3 * se, (
            returns.mean(),
            r.final_values[i],
        )


def test_monte_carlo_evaluation_agrees_with_exact_values():
    model = TabularModel.from_env("FrozenLake-v1")
    r = train_tabular(
        model, "boltzmann(temperature=0.1)", runs=250, episodes=200, seed=1, eval_episodes=20
    )
    assert r.eval_returns.shape == (250, 20)
    diff = r.eval_returns.mean(axis=1) - r.final_values
    assert abs(diff.mean()) < 3.3 * diff.std(ddof=1) / np.sqrt(diff.size)


@pytest.mark.parametrize(
    ("algorithm", "policy", "extra", "least"),
    [
        ("qlearning", "egreedy(epsilon=0.2)", {}, 0.5),
        ("sarsa", "egreedy(epsilon=0.2)", {}, 0.5),
        ("expected-sarsa", "boltzmann(temperature=0.2)", {}, 0.5),
        # The soft value's entropy bonus keeps runs near the start (as the per-env agent)
        pytest.param(
            "soft-qlearning",
            "egreedy(epsilon=0.2)",
            {"backup_temperature": 0.005},
            0.05,
            marks=pytest.mark.slow,
        ),
        pytest.param("mellowmax", "mellowmax(omega=20)", {}, 0.5, marks=pytest.mark.slow),
        ("qlearning", "boltzmann(temperature=exp(1.0, 0.05, 100))", {"anneal": "episode"}, 0.5),
        ("qlearning", "egreedy(epsilon=linear(1.0, 0.05, 50))", {"anneal": "visits"}, 0.5),
        ("qlearning", "ucb(c=0.5)", {"alpha": "inverse(1.0, 1.0)"}, 0.5),
    ],
)
def test_every_algorithm_learns_the_deterministic_lake(algorithm, policy, extra, least):
    model = TabularModel.from_env("FrozenLake-v1", is_slippery=False)
    kwargs = {"alpha": 0.5, "gamma": 0.95, **extra}
    r = train_tabular(model, policy, algorithm=algorithm, runs=40, episodes=300, seed=0, **kwargs)
    assert r.final_values.mean() > least, r.final_values  # uniform play: 0.014


@pytest.mark.parametrize("algorithm", ["soft-qlearning", "mellowmax"])
def test_soft_backups_run_batched(algorithm):
    r = train_tabular(
        "FrozenLake-v1",
        "mellowmax(omega=5)" if algorithm == "mellowmax" else "boltzmann(temperature=0.1)",
        algorithm=algorithm,
        runs=20,
        episodes=10,
        seed=0,
    )
    assert np.isfinite(r.q).all() and (r.final_values >= 0).all()


def test_same_numbers_whatever_the_chunking_and_stacking():
    kw = dict(episodes=60, eval_every=20, seed=4, alpha=0.3)
    full = train_tabular("FrozenLake-v1", "boltzmann(temperature=0.2)", runs=600, **kw)
    first = train_tabular("FrozenLake-v1", "boltzmann(temperature=0.2)", runs=250, **kw)
    part = train_tabular(
        "FrozenLake-v1", "boltzmann(temperature=0.2)", runs=600, chunks=(1, 3), **kw
    )
    assert np.array_equal(full.episode_returns[:250], first.episode_returns)
    assert np.array_equal(full.eval_values[:250], first.eval_values)
    assert np.array_equal(full.q[250:], part.q)
    stacked = train_tabular(
        "FrozenLake-v1",
        ["greedy", "boltzmann(temperature=0.2)"],
        runs=600,
        seeds=[9, 4],
        episodes=60,
        eval_every=20,
        alpha=0.3,
    )
    assert np.array_equal(stacked.q[stacked.group(1)], full.q)
    again = train_tabular("FrozenLake-v1", "boltzmann(temperature=0.2)", runs=600, **kw)
    assert np.array_equal(again.episode_lengths, full.episode_lengths)


@pytest.mark.parametrize(
    ("algorithm", "policy"),
    [("qlearning", "boltzmann(temperature=0.2)"), ("sarsa", "ucb(c=1.0)")],
)
def test_same_numbers_whatever_the_memory_layout(monkeypatch, algorithm, policy):
    # Small tables are stored arms-major, large ones row-major: only the layout differs
    from boltzmann_rl.gym import tabular

    kw = dict(algorithm=algorithm, runs=60, episodes=40, eval_every=20, seed=2, alpha=0.3)
    monkeypatch.setattr(tabular, "_ARMS_MAJOR_BYTES", 1 << 40)
    arms = train_tabular("FrozenLake-v1", policy, **kw)
    monkeypatch.setattr(tabular, "_ARMS_MAJOR_BYTES", 0)
    rows = train_tabular("FrozenLake-v1", policy, **kw)
    assert np.array_equal(arms.q, rows.q)
    assert np.array_equal(arms.episode_returns, rows.episode_returns)
    assert np.array_equal(arms.eval_values, rows.eval_values, equal_nan=True)


def test_per_run_temperatures_are_one_simulation():
    # One policy with a temperature per run: the cold runs behave better while training
    temps = np.repeat([0.01, 1.0], 125)
    r = train_tabular(
        "FrozenLake-v1", Boltzmann(temperature=temps), runs=250, episodes=300, seed=0, alpha=0.2
    )
    cold, hot = r.episode_returns[:125].mean(axis=1), r.episode_returns[125:].mean(axis=1)
    assert sps.ttest_ind(cold, hot, equal_var=False, alternative="greater").pvalue < ALPHA
    with pytest.raises(ValueError, match="per-run values"):
        train_tabular("FrozenLake-v1", Boltzmann(temperature=temps), runs=100, episodes=5)


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ["qlearning", "sarsa", "expected-sarsa"])
def test_batched_agents_match_the_per_env_agents(algorithm):
    # The distribution over seeds of a per-run statistic (mean training return over
    # the episodes, and the final greedy value) of the engine against train().
    episodes, policy = 150, "boltzmann(temperature=0.1)"
    kw = dict(algorithm=algorithm, alpha=0.2, gamma=0.95)
    batched = train_tabular("FrozenLake-v1", policy, runs=500, episodes=episodes, seed=3, **kw)
    model = TabularModel.from_env("FrozenLake-v1")
    env = make_env("FrozenLake-v1")
    mean_ret, final = [], []
    for i in range(200):
        agent = TabularAgent(16, 4, policy, algorithm=algorithm, alpha=0.2, gamma=0.95, rng=i)
        res = train(agent, env, episodes=episodes, seed=10_000 + i)
        mean_ret.append(res.episode_returns.mean())
        final.append(model.greedy_values(agent.q))
    p1 = sps.mannwhitneyu(batched.episode_returns.mean(axis=1), mean_ret).pvalue
    p2 = sps.mannwhitneyu(batched.final_values, final).pvalue
    assert p1 > ALPHA and p2 > ALPHA, (p1, p2)


# --------------------------------------------------------------------------- bad input


def _dense(**change):
    p = np.zeros((2, 2, 2))
    p[:, :, 1] = 1.0
    args = {"transitions": p, "rewards": 1.0, "terminated": [False, True], "initial": [1.0, 0.0]}
    args.update(change)
    return args


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"transitions": np.full((2, 2, 2), 0.4)}, "sum to 1"),
        ({"transitions": np.stack([np.full((2, 2), -0.5), np.full((2, 2), 1.5)], -1)}, ">= 0"),
        ({"transitions": np.full((2, 2, 2), np.nan)}, "finite"),
        ({"rewards": np.inf}, "rewards must be finite"),
        ({"initial": [0.5, 0.6]}, "initial must be a probability"),
        ({"initial": [1.0]}, "initial must have shape"),
        ({"transitions": np.ones((2, 2, 3)) / 3}, "shape"),
        ({"rewards": np.ones(3)}, "broadcast"),
    ],
)
def test_malformed_tables_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        TabularModel.from_arrays(**_dense(**change))


def test_bad_successor_lists_are_refused():
    ok = dict(probs=[[[1.0]]], rewards=[[[0.0]]], terminated=[[[True]]], initial=[1.0])
    TabularModel([[[0]]], **ok)
    with pytest.raises(ValueError, match=r"next states must be in \[0, 1\), actual value: 3"):
        TabularModel([[[3]]], **ok)
    with pytest.raises(ValueError, match="time_limit"):
        TabularModel([[[0]]], **ok, time_limit=0)


def test_environments_without_tables_are_refused():
    with pytest.raises(NoModelError, match=r"Blackjack-v1 has no transition table.*per-env"):
        TabularModel.from_env("Blackjack-v1")
    with pytest.raises(NoModelError, match="CartPole-v1"):
        TabularModel.from_env("CartPole-v1")
    with pytest.raises(ValueError, match="unknown environment id"):
        TabularModel.from_env("FrozenLake-v9")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"runs": 0}, "runs"),
        ({"episodes": -1}, "episodes"),
        ({"alpha": 2.0}, "alpha"),
        ({"gamma": 1.5}, "gamma"),
        ({"algorithm": "dqn"}, "unknown agent"),
        ({"anneal": "weekly"}, "anneal"),
        ({"eval_every": 0}, "eval_every"),
        ({"eval_episodes": -2}, "eval_episodes"),
        ({"chunks": (3, 9)}, "chunks"),
        ({"seeds": [1, 2]}, "seeds"),
        ({"algorithm": "soft-qlearning", "policy": "egreedy(epsilon=0.1)"}, "backup_temperature"),
    ],
)
def test_invalid_hyperparameters_are_refused_before_work(kwargs, message):
    kwargs = {"policy": "greedy", "runs": 10, "episodes": 5, **kwargs}
    with pytest.raises(ValueError, match=message):
        train_tabular("FrozenLake-v1", **kwargs)


def test_a_simulation_that_cannot_fit_is_refused_with_the_estimate(monkeypatch):
    monkeypatch.setenv("BOLTZMANN_RL_MEMORY_LIMIT", "10MB")
    with pytest.raises(ResourceLimitError, match=r"tabular simulation of 100000 runs.*needs about"):
        train_tabular("Taxi-v4", "greedy", runs=100_000, episodes=10)


# --------------------------------------------------------------------------- wiring


def test_cli_runs_uses_the_engine_and_says_so(capsys, tmp_path):
    import json

    from boltzmann_rl.cli import main

    argv = ["gym", "FrozenLake-v1", "--policy", "greedy", "--runs", "20", "--episodes", "10"]
    assert main([*argv, "--json", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr()
    summary = json.loads(out.out)
    assert summary["engine"] == "tabular" and summary["runs"] == 20
    assert "batched tabular engine" in out.err
    assert (tmp_path / "greedy_values.csv").exists() and (tmp_path / "tabular.png").exists()
    assert main(["gym", "Blackjack-v1", "--policy", "greedy", "--runs", "5"]) == 2
    assert "no transition table" in capsys.readouterr().err
    per_env = [*argv[:4], "--runs", "2", "--episodes", "3", "--eval-episodes", "1", "--per-env"]
    assert main([*per_env, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["engine"] == "per-env"


STUDY = """
[study]
name = "t"
[problem]
type = "gym"
env = "{env}"
[agent]
name = "qlearning"
args = {{ alpha = 0.2{extra} }}
[budget]
{budget}
episodes = 40
[[family]]
name = "Boltzmann"
policy = "boltzmann(temperature={{t}})"
grid = {{ t = [0.05, 0.5] }}
"""


def test_study_files_with_runs_use_the_engine():
    from boltzmann_rl.sweep.config import loads_study
    from boltzmann_rl.sweep.tasks import TASKS

    study = loads_study(STUDY.format(env="FrozenLake-v1", extra="", budget="runs = 300"), "t")
    out = TASKS["gym"].run_fn([study.cells[0]])[0]
    assert set(out["arrays"]) >= {"greedy_value", "greedy_value_ci", "greedy_value_at"}
    assert out["summary"]["runs"] == 300 and 0 <= out["summary"]["eval_return"] <= 0.745
    assert out["summary"]["eval_return_ci"] < 0.05
    for budget, extra, message in [
        ("runs = 10\nseeds = 2", "", "not both"),
        ("eval_episodes = 2", "", "budget.seeds: missing required field"),
        ("runs = 10", ", tilings = 4", "not an argument of the batched tabular engine"),
    ]:
        with pytest.raises(ValueError, match=message):
            loads_study(STUDY.format(env="FrozenLake-v1", extra=extra, budget=budget), "t")
    with pytest.raises(ValueError, match="no transition table"):
        loads_study(STUDY.format(env="Blackjack-v1", extra="", budget="runs = 10"), "t")


def test_a_model_reads_uniforms_only_where_it_draws():
    # Taxi's transitions are deterministic and its start is random; FrozenLake's start
    # is one state and its transitions are random (the engine skips the streams a
    # model does not read, so this is what keeps its numbers the same)
    taxi, lake = TabularModel.from_env("Taxi-v4"), TabularModel.from_env("FrozenLake-v1")
    assert taxi.start is None and lake.start == 0
    s, a = np.array([0, 1, 2]), np.array([0, 1, 2])
    assert all(
        np.array_equal(x, y)
        for x, y in zip(taxi.step(s, a, None), taxi.step(s, a, np.zeros(3)), strict=True)
    )
    assert lake.reset(np.array([0.0, 0.5, 0.999])).tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="random transitions: step needs uniforms"):
        lake.step(s, a, None)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_values_that_diverge_to_nan_are_an_error_not_a_result():
    # rewards near the largest float with gamma = 1 overflow to inf, then inf - inf
    huge = TabularModel.from_arrays(np.ones((1, 1, 1)), 1e308, False, [1.0], time_limit=50)
    kwargs = dict(runs=2, episodes=3, alpha=0.5, gamma=1.0, seed=0)
    with pytest.raises(ValueError, match="diverged to NaN"):
        train_tabular(huge, "boltzmann(temperature=1.0)", **kwargs)
    with pytest.raises(ValueError, match="NaN"):  # the policy's own check finds it first
        train_tabular(huge, "greedy", **kwargs)
