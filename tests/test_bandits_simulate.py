"""The vectorized simulation: determinism, layout invariance, statistics, results, errors."""

from __future__ import annotations

import csv
import io
import json
import math
import tracemalloc

import numpy as np
import pytest
from helpers import assert_same_results

from boltzmann_rl.bandits import (
    EXP3,
    METRICS,
    SUMMARIES,
    ActionValueAgent,
    BanditResult,
    BernoulliBandit,
    BernoulliThompson,
    GaussianBandit,
    GaussianThompson,
    GradientBandit,
    NonstationaryBandit,
    final_steps,
    simulate,
)
from boltzmann_rl.bandits.rng import BatchRNG, chunk_seed
from boltzmann_rl.policies import Boltzmann
from boltzmann_rl.schedules import Exponential


def _mixed_agents():
    return [
        "boltzmann(temperature=0.1)",
        ActionValueAgent(Boltzmann(Exponential(1.0, 0.05, 40)), step_size=0.1),
        "egreedy(epsilon=0.1)",
        "boltzmann(temperature=1.0)",
        GradientBandit(0.1),
        "greedy",
        "ucb(c=2)",
        "bgumbel(c=1)",
        GradientBandit(0.4, baseline=False),
        GaussianThompson(),
        ActionValueAgent("greedy", step_size=0.1, initial=5.0),
    ]


# ----------------------------------------------------------------- determinism


def test_same_seed_twice_gives_identical_results():
    a = simulate(GaussianBandit(), _mixed_agents(), runs=60, steps=40, seed=7)
    b = simulate(GaussianBandit(), _mixed_agents(), runs=60, steps=40, seed=7)
    for ga, gb in zip(a, b, strict=True):
        assert_same_results(ga, gb)
    c = simulate(GaussianBandit(), _mixed_agents(), runs=60, steps=40, seed=8)
    assert not np.array_equal(a[0].curves["reward"].mean, c[0].curves["reward"].mean)


@pytest.mark.parametrize("runs", [60, 600])
def test_a_group_is_identical_alone_or_stacked(runs):
    agents = _mixed_agents()
    stacked = simulate(GaussianBandit(), agents, runs=runs, steps=35, seed=3)
    for i, agent in enumerate(agents):
        alone = simulate(GaussianBandit(), agent, runs=runs, steps=35, seed=3)
        assert_same_results(stacked[i], alone[0])


def test_every_kernel_path_is_identical_alone_or_stacked():
    agents = [
        EXP3(0.1),
        EXP3(0.3),
        BernoulliThompson(),
        BernoulliThompson(2.0, 1.0),
        "boltzmann(temperature=0)",
        "boltzmann(temperature=inf)",
        "boltzmann(temperature=0.3)",
        "egreedy(epsilon=1)",
        "egreedy(epsilon=0.5)",
        "greedy",
        "ucb(c=0)",
        "ucb(c=1)",
        "bgumbel(c=0)",
        "bgumbel(c=2)",
        ActionValueAgent("egreedy(epsilon=0.2)", step_size=0.5, initial=1.0),
        ActionValueAgent("egreedy(epsilon=0.2)", step_size=0.1, initial=0.0),
    ]
    env = BernoulliBandit(arms=5)
    stacked = simulate(env, agents, runs=260, steps=30, seed=1)
    for agent, group in zip(agents, stacked, strict=True):
        assert_same_results(group, simulate(env, agent, runs=260, steps=30, seed=1)[0])


def test_stacking_with_other_seeds_and_environments_rows():
    agents = ["boltzmann(temperature=0.2)", "boltzmann(temperature=0.5)", "greedy"]
    stacked = simulate(
        NonstationaryBandit(walk=0.1), agents, runs=300, steps=30, seeds=[11, 12, 11]
    )
    for agent, seed, group in zip(agents, [11, 12, 11], stacked, strict=True):
        alone = simulate(NonstationaryBandit(walk=0.1), agent, runs=300, steps=30, seed=seed)
        assert_same_results(group, alone[0])
        assert group.seed == seed


def test_chunk_split_and_merge_is_bit_for_bit():
    kw = dict(runs=700, steps=33, seed=5)  # chunks of 250, 250, 200
    agents = ["egreedy(epsilon=0.1)", GradientBandit(0.2)]
    whole = simulate(BernoulliBandit(), agents, **kw)
    parts = [simulate(BernoulliBandit(), agents, chunks=c, **kw) for c in [(0, 1), (1, 2), (2, 3)]]
    assert [p.runs for p in parts] == [250, 250, 200]
    merged = BanditResult.merge(parts[::-1])
    two = BanditResult.merge([parts[0], simulate(BernoulliBandit(), agents, chunks=(1, 3), **kw)])
    for g, m, t in zip(whole, merged, two, strict=True):
        assert_same_results(g, m)
        assert_same_results(g, t)
    assert merged.runs == 700


def test_per_run_summaries_do_not_depend_on_the_chunking():
    kw = dict(runs=400, steps=25, seed=9)  # chunks of 250 and 150
    agents = ["boltzmann(temperature=0.3)", GradientBandit(0.1)]
    whole = simulate(GaussianBandit(), agents, **kw)
    first, second = (simulate(GaussianBandit(), agents, chunks=c, **kw) for c in [(0, 1), (1, 2)])
    merged = BanditResult.merge([second, first])
    for g, a, b, m in zip(whole, first, second, merged, strict=True):
        assert set(g.per_run) == set(SUMMARIES)
        for name in SUMMARIES:
            assert g.per_run[name].shape == (400,)
            np.testing.assert_array_equal(a.per_run[name], g.per_run[name][:250])
            np.testing.assert_array_equal(b.per_run[name], g.per_run[name][250:])
            np.testing.assert_array_equal(m.per_run[name], g.per_run[name])
            # the summaries are the means of the per-run numbers
            assert g.stats[name][0] == pytest.approx(g.per_run[name].mean(), rel=1e-12)
        assert ((g.per_run["final_optimal"] >= 0) & (g.per_run["final_optimal"] <= 1)).all()
    table = second.run_table()
    assert table["run"].tolist() == [*range(250, 400)] * 2
    assert set(table["chunk"].tolist()) == {1}
    np.testing.assert_array_equal(table["regret"][:150], whole[0].per_run["regret"][250:])


def test_merge_rejects_gaps_and_other_simulations():
    kw = dict(runs=600, steps=5, seed=0)
    a = simulate("gaussian", "greedy", chunks=(0, 1), **kw)
    c = simulate("gaussian", "greedy", chunks=(2, 3), **kw)
    with pytest.raises(ValueError, match="contiguous"):
        BanditResult.merge([a, c])
    other = simulate("gaussian", "ucb(c=1)", chunks=(1, 2), **kw)
    with pytest.raises(ValueError, match="same simulation"):
        BanditResult.merge([a, other])


def test_explicit_group_seeds_and_seed_sequences():
    ss = np.random.SeedSequence([1, 2, 3])
    r = simulate("gaussian", ["greedy", "greedy"], runs=30, steps=10, seeds=[ss, [1, 2, 3]])
    assert_same_results(r[0], r[1])
    assert r[1].seed == {"entropy": [1, 2, 3]}


def test_a_shorter_run_is_the_prefix_of_a_longer_one():
    short = simulate("gaussian", _mixed_agents()[:4], runs=40, steps=20, seed=2)
    long = simulate("gaussian", _mixed_agents()[:4], runs=40, steps=70, seed=2)
    for s, g in zip(short, long, strict=True):
        for m in METRICS:
            np.testing.assert_array_equal(s.curves[m].mean, g.curves[m].mean[:20])


def test_common_random_numbers_across_groups():
    # the same agent twice with the same seed: identical; and the environments of
    # run r depend only on the seed, so a greedy agent's regret is the same run by run
    r = simulate("gaussian", ["egreedy(epsilon=0.2)", "egreedy(epsilon=0.2)"], runs=50, steps=20)
    assert_same_results(r[0], r[1])


def test_chunk_seeds_are_the_spawn_tree():
    a = chunk_seed(4, 3, 0).generate_state(4)
    b = np.random.SeedSequence(4).spawn(4)[3].spawn(2)[0].generate_state(4)
    np.testing.assert_array_equal(a, b)
    rng = BatchRNG.from_seed(4, 600)
    assert rng.segment_sizes == [250, 250, 100]


# ----------------------------------------------------------------- statistics


def test_summaries_agree_with_the_curves():
    r = simulate("gaussian", ["egreedy(epsilon=0.1)", "greedy"], runs=300, steps=50, seed=1)
    for g in r:
        reward = g.curves["reward"].mean
        assert g.stats["mean_reward"][0] == pytest.approx(reward.mean(), rel=1e-12)
        n_final = final_steps(50)
        assert g.stats["final_reward"][0] == pytest.approx(reward[-n_final:].mean(), rel=1e-12)
        opt = g.curves["optimal"].mean
        assert g.stats["final_optimal"][0] == pytest.approx(opt[-n_final:].mean(), rel=1e-12)
        assert g.stats["regret"][0] == pytest.approx(g.curves["regret"].mean[-1], rel=1e-12)
        assert g.stats["regret"][1] == pytest.approx(g.curves["regret"].ci[-1], rel=1e-9)
        assert ((g.curves["optimal"].mean >= 0) & (g.curves["optimal"].mean <= 1)).all()
        assert (np.diff(g.curves["regret"].mean) >= 0).all()


def test_curves_match_a_direct_computation():
    # one group, replayed by hand with the same streams
    runs, steps = 30, 12
    r = simulate("gaussian", "egreedy(epsilon=0.3)", runs=runs, steps=steps, seed=4)
    env = GaussianBandit().batch(BatchRNG.from_seed(4, runs, stream=0))
    agent = ActionValueAgent("egreedy(epsilon=0.3)")
    agent.reset(runs, 10)
    rng = BatchRNG.from_seed(4, runs, stream=1)
    rewards = []
    for t in range(steps):
        a = agent.select(t, rng)
        rew, _, _ = env.step(a)
        agent.update(a, rew)
        rewards.append(rew.copy())
    rewards = np.array(rewards)
    np.testing.assert_allclose(r[0].curves["reward"].mean, rewards.mean(axis=1), rtol=1e-12)
    from boltzmann_rl.stats import mean_ci

    _, half = mean_ci(rewards, axis=1)
    np.testing.assert_allclose(r[0].curves["reward"].ci, half, rtol=1e-9)


def test_sample_average_estimates_converge_to_the_true_values():
    runs = 200
    env = GaussianBandit().batch(BatchRNG.from_seed(0, runs, stream=0))
    agent = ActionValueAgent("egreedy(epsilon=1.0)")  # uniform exploration
    agent.reset(runs, 10)
    rng = BatchRNG.from_seed(0, runs)
    for t in range(1500):
        a = agent.select(t, rng)
        rew, _, _ = env.step(a)
        agent.update(a, rew)
    err = (agent.q_values - env.values) * np.sqrt(agent.counts)  # ~ N(0, 1) each
    assert abs(err.mean()) < 5 / math.sqrt(err.size)
    assert err.std() == pytest.approx(1.0, rel=0.05)


def test_optimistic_greedy_beats_realistic_greedy():
    # Sutton and Barto, fig. 2.3: Q1 = 5 drives early exploration
    r = simulate(
        "gaussian",
        [
            ActionValueAgent("greedy", step_size=0.1, initial=5.0),
            ActionValueAgent("greedy", step_size=0.1, initial=0.0),
        ],
        runs=500,
        steps=300,
        seed=0,
    )
    (opt, opt_ci), (real, real_ci) = (g.stats["final_optimal"] for g in r)
    assert opt - opt_ci > real + real_ci
    assert opt > 0.7 and real < 0.5


def test_thompson_beats_epsilon_greedy_on_bernoulli_arms():
    r = simulate(
        BernoulliBandit(arms=10),
        [BernoulliThompson(), "egreedy(epsilon=0.1)"],
        runs=400,
        steps=500,
        seed=1,
    )
    (ts, ts_ci), (eg, eg_ci) = (g.stats["regret"] for g in r)
    assert ts + ts_ci < eg - eg_ci


def test_entropy_curves():
    r = simulate(
        "gaussian", ["greedy", "boltzmann(temperature=inf)", "bgumbel(c=1)"], runs=20, steps=5
    )
    greedy, uniform, gumbel = r
    assert greedy.curves["entropy"].mean[0] == pytest.approx(math.log(10))  # all tied
    np.testing.assert_allclose(uniform.curves["entropy"].mean, math.log(10), rtol=1e-12)
    assert np.isnan(gumbel.curves["entropy"].mean).all()


def test_exp3_runs_on_bernoulli_and_learns():
    r = simulate(BernoulliBandit(probs=(0.1, 0.9)), EXP3(gamma=0.1), runs=200, steps=300)
    assert r[0].stats["final_optimal"][0] > 0.8


# ----------------------------------------------------------------- results


def test_tidy_table_records_and_csv(tmp_path):
    r = simulate("gaussian", ["greedy", "ucb(c=2)"], runs=20, steps=7, seed=0)
    table = r.tidy()
    assert list(table) == ["group", "policy", "step"] + [c for m in METRICS for c in (m, f"{m}_ci")]
    assert all(len(v) == 14 for v in table.values())
    assert table["policy"].tolist() == ["greedy"] * 7 + ["ucb(c=2)"] * 7
    assert table["step"].tolist() == list(range(1, 8)) * 2
    records = r.to_records()
    assert len(records) == 14 and records[8]["policy"] == "ucb(c=2)"
    assert isinstance(records[0]["reward"], float)
    path = r.write_csv(tmp_path / "t.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert len(rows) == 14
    assert float(rows[3]["reward"]) == table["reward"][3]  # full precision round trip
    try:
        import pandas as pd
    except ImportError:
        return
    df = pd.DataFrame(r.tidy())
    assert df.shape == (14, 11)


def test_summary_is_json_ready():
    r = simulate("gaussian", "greedy", runs=1, steps=5)
    s = r.summary()[0]
    assert list(s) == ["policy"] + [c for m in SUMMARIES for c in (m, f"{m}_ci")] + [
        "runs",
        "steps",
        "seed",
    ]
    assert s["mean_reward_ci"] is None  # one run: no interval
    json.dumps(r.summary(), allow_nan=False)


def test_result_indexing():
    r = simulate("gaussian", ["greedy", "ucb(c=2)"], runs=5, steps=3, labels=["a", "b"])
    assert r.labels == ["a", "b"] and len(r) == 2
    assert r["b"] is r[1]
    with pytest.raises(KeyError, match="no group labelled 'c'"):
        r["c"]


def test_memory_does_not_grow_with_steps_beyond_per_step_arrays():
    def peak(steps):
        tracemalloc.start()
        simulate("gaussian", "boltzmann(temperature=0.1)", runs=1000, steps=steps, seed=0)
        out = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return out

    p1, p2 = peak(200), peak(1000)
    # 8 metric arrays (sum, m2 for 4 metrics) x 4 chunks x 8 bytes per step, doubled for
    # the merge, plus curves: well under 2 kB per step; runs x steps would be 8 kB per step
    assert (p2 - p1) / 800 < 2000


def test_progress_bar_only_when_asked(capsys):
    simulate("gaussian", "greedy", runs=5, steps=40, progress=True)
    assert "40/40 steps" in capsys.readouterr().err
    simulate("gaussian", "greedy", runs=5, steps=40)
    simulate("gaussian", "greedy", runs=5, steps=40, progress=None)  # not a terminal
    assert capsys.readouterr().err == ""


# ----------------------------------------------------------------- bad input


class _Bad:
    def __init__(self, actions):
        self.actions = actions

    def reset(self, n_rows, n_arms):
        self.n = n_rows

    def select(self, t, rng):
        return self.actions(self.n)

    def update(self, actions, rewards):
        pass

    def entropy(self):
        return None


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(runs=0), ValueError, "runs must be a positive integer, got 0"),
        (dict(steps=-5), ValueError, "steps must be a positive integer, got -5"),
        (dict(runs=2.5), TypeError, "runs must be a positive integer"),
        (dict(env="gausian"), ValueError, "unknown environment 'gausian'"),
        (dict(agents="greedyy"), ValueError, "unknown policy 'greedyy'"),
        (dict(agents="boltzmann(temperature=nan)"), ValueError, "temperature"),
        (dict(agents="boltzmann(temperature=-1)"), ValueError, "temperature"),
        (dict(agents=[]), ValueError, "at least one agent"),
        (dict(agents=42), TypeError, "expected a bandit agent"),
        (dict(seed=-1), ValueError, "non-negative"),
        (dict(seed=1.5), TypeError, "seed must be"),
        (dict(seed=None), TypeError, "seed must be"),
        (dict(seeds=[1, 2]), ValueError, "got 2 seeds for 1 groups"),
        (dict(labels=["a", "b"]), ValueError, "got 2 labels for 1 groups"),
        (dict(chunks=(0, 5)), ValueError, "chunks"),
        (dict(confidence=1.0), ValueError, "confidence"),
        (dict(agents=BernoulliThompson()), ValueError, "needs rewards in"),
        (dict(env=BernoulliBandit(scale=2.0), agents=EXP3()), ValueError, "rescale"),
    ],
    ids=[
        "runs-0",
        "steps-neg",
        "runs-float",
        "env-name",
        "policy-name",
        "nan-temperature",
        "neg-temperature",
        "no-agents",
        "agent-int",
        "seed-neg",
        "seed-float",
        "seed-none",
        "seeds-len",
        "labels-len",
        "chunks",
        "confidence",
        "thompson-range",
        "exp3-scale",
    ],
)
def test_bad_input_is_refused_before_anything_runs(kwargs, error, match):
    args = dict(env="gaussian", agents="greedy", runs=10, steps=5)
    args.update(kwargs)
    env, agents = args.pop("env"), args.pop("agents")
    with pytest.raises(error, match=match):
        simulate(env, agents, **args)


@pytest.mark.parametrize(
    "actions, match",
    [
        (lambda n: np.full(n, 10), "chose arm 10, outside"),
        (lambda n: np.zeros(n + 1, dtype=np.int64), "shape"),
        (lambda n: np.zeros(n), "dtype float64"),
    ],
    ids=["out-of-range", "shape", "float"],
)
def test_user_agents_actions_are_checked(actions, match):
    with pytest.raises((ValueError, TypeError), match=match):
        simulate("gaussian", _Bad(actions), runs=4, steps=2)


def test_user_agent_in_a_simulation_and_not_mutated():
    class Uniform:
        def reset(self, n_rows, n_arms):
            self.k = n_arms
            self.resets = getattr(self, "resets", 0) + 1

        def select(self, t, rng):
            return (rng.uniform() * self.k).astype(np.int64)

        def update(self, actions, rewards):
            pass

        def entropy(self):
            return np.full(self.n, math.log(self.k)) if hasattr(self, "n") else None

    agent = Uniform()
    r = simulate("gaussian", agent, runs=100, steps=20, labels=["uniform"])
    assert not hasattr(agent, "resets")  # simulate works on a copy
    assert abs(r[0].stats["mean_reward"][0]) < 4 * r[0].stats["mean_reward"][1] + 0.05
    assert r[0].stats["final_optimal"][0] == pytest.approx(0.1, abs=0.05)
