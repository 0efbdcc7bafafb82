"""Bandit agents: the fast policy kernels follow the policies exactly; updates are right."""

from __future__ import annotations

import copy
import math
import pickle
from dataclasses import dataclass

import numpy as np
import pytest
from helpers import assert_same_results
from scipy import stats as sps

from boltzmann_rl._floor import _FAST_ARMS, Work, argmax_columns
from boltzmann_rl.bandits import (
    EXP3,
    ActionValueAgent,
    BanditAgent,
    BernoulliBandit,
    BernoulliThompson,
    GaussianBandit,
    GaussianThompson,
    GradientBandit,
    NonstationaryBandit,
    as_agent,
    simulate,
)
from boltzmann_rl.bandits.rng import ENV_STREAM, BatchRNG
from boltzmann_rl.bandits.simulate import _moments
from boltzmann_rl.policies import UCB, Boltzmann, BoltzmannGumbel, EpsilonGreedy, Greedy
from boltzmann_rl.schedules import Exponential, InverseTime, Linear

ALPHA = 1e-3  # significance of the seeded chi-square tests


class Proportional:
    """A policy outside the toolkit (p proportional to q - min + 1): the generic path."""

    needs_counts = False

    def probs(self, q, *, step=0, counts=None):
        q = np.asarray(q, dtype=float)
        w = q - q.min(axis=-1, keepdims=True) + 1.0
        return w / w.sum(axis=-1, keepdims=True)

    def sample(self, q, rng, *, step=0, counts=None):  # pragma: no cover - not used
        raise NotImplementedError

    def log_prob(self, q, action, *, step=0, counts=None):  # pragma: no cover
        raise NotImplementedError

    def entropy(self, q, *, step=0, counts=None):
        p = self.probs(q)
        return -(p * np.log(p)).sum(axis=-1)

    def __repr__(self):
        return "proportional"


def _agent_with(policy, q, counts=None):
    q = np.asarray(q, dtype=float)
    agent = ActionValueAgent(policy)
    agent.reset(q.shape[0], q.shape[1])
    agent.set_estimates(q, counts)
    return agent


def _chi2_ok(actions, p, label=""):
    k = p.shape[0]
    freq = np.bincount(actions, minlength=k)
    zero = p == 0
    assert freq[zero].sum() == 0, f"{label}: drew an action of probability 0: {freq}"
    expected = p[~zero] * len(actions)
    if (~zero).sum() > 1:
        pval = sps.chisquare(freq[~zero], expected).pvalue
        assert pval > ALPHA, f"{label}: chi-square p={pval:.2g}, freq={freq}, p={p}"


Q_ROWS = [
    [1.0, 2.0, 2.0, 0.5, -3.0],
    [0.0, 0.0, 0.0, 0.0, 0.0],
    [5.0, -1.0, 4.9, 0.0, 3.0],
    [1e3, 1e3 - 0.05, -1e3, 2.0, 1e3],
]

POLICIES = [
    Boltzmann(0.5),
    Boltzmann(0.1),
    Boltzmann(1e-3),
    Boltzmann(0.0),
    Boltzmann(math.inf),
    Boltzmann(Exponential(1.0, 0.05, 1000)),
    EpsilonGreedy(0.1),
    EpsilonGreedy(1.0),
    EpsilonGreedy(Linear(1.0, 0.0, 1000)),
    Greedy(),
    Proportional(),
]


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
@pytest.mark.parametrize("row", range(len(Q_ROWS)))
def test_kernel_samples_follow_policy_probs(policy, row):
    n = 40_000
    q = np.tile(Q_ROWS[row], (n, 1))
    agent = _agent_with(policy, q)
    actions = agent.select(500, BatchRNG.from_seed(row, n))
    p = policy.probs(np.array(Q_ROWS[row]), step=500)
    _chi2_ok(actions, p, f"{policy!r} row {row}")


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
def test_kernel_entropy_equals_policy_entropy(policy):
    q = np.array(Q_ROWS)
    agent = _agent_with(policy, q)
    agent.select(500, BatchRNG.from_seed(0, len(q)))
    expected = policy.entropy(q, step=500)
    np.testing.assert_allclose(agent.entropy(), expected, rtol=1e-9, atol=1e-12)


def test_per_row_temperatures_including_zero_and_infinity():
    temps = np.array([0.0, 0.3, math.inf, 2.0])
    q_row = np.array([1.0, 2.0, 2.0, 0.5])
    n_each = 20_000
    q = np.tile(q_row, (4 * n_each, 1))
    policy = Boltzmann(np.repeat(temps, n_each))
    agent = _agent_with(policy, q)
    actions = agent.select(0, BatchRNG.from_seed(1, len(q)))
    for i, t in enumerate(temps):
        _chi2_ok(actions[i * n_each : (i + 1) * n_each], Boltzmann(t).probs(q_row), f"T={t}")
    h = agent.entropy()
    for i, t in enumerate(temps):
        assert h[i * n_each] == pytest.approx(float(Boltzmann(t).entropy(q_row)), abs=1e-12)


def test_per_row_epsilons():
    eps = np.array([0.0, 0.5, 1.0])
    q_row = np.array([1.0, 3.0, 3.0, 0.0])
    n_each = 20_000
    q = np.tile(q_row, (3 * n_each, 1))
    agent = _agent_with(EpsilonGreedy(np.repeat(eps, n_each)), q)
    actions = agent.select(0, BatchRNG.from_seed(2, len(q)))
    for i, e in enumerate(eps):
        p = EpsilonGreedy(e).probs(q_row)
        _chi2_ok(actions[i * n_each : (i + 1) * n_each], p, f"eps={e}")
        assert agent.entropy()[i * n_each] == pytest.approx(
            float(EpsilonGreedy(e).entropy(q_row)), abs=1e-12
        )


@pytest.mark.parametrize("c", [0.0, 2.0])
@pytest.mark.parametrize(
    "counts", [[3, 1, 0, 2, 0], [4, 1, 9, 2, 5], [1, 1, 1, 1, 1]], ids=["unplayed", "played", "eq"]
)
def test_ucb_kernel_follows_ucb(c, counts):
    q_row = np.array([0.5, 0.0, 0.2, 0.4, 0.1])
    n = 20_000
    t = int(np.sum(counts))
    agent = _agent_with(UCB(c), np.tile(q_row, (n, 1)), np.tile(counts, (n, 1)))
    actions = agent.select(t, BatchRNG.from_seed(3, n))
    p = UCB(c).probs(q_row, counts=np.array(counts))
    _chi2_ok(actions, p, f"ucb c={c} counts={counts}")
    np.testing.assert_allclose(
        agent.entropy()[0], UCB(c).entropy(q_row, counts=np.array(counts)), atol=1e-12
    )


@pytest.mark.parametrize("counts", [[4, 1, 9, 2], [4, 4, 4, 4], [3, 0, 2, 0]])
@pytest.mark.parametrize("c", [0.0, 1.0])
def test_boltzmann_gumbel_kernel_follows_its_probabilities(counts, c):
    q_row = np.array([0.0, 0.3, 0.5, -0.2])
    n = 40_000
    policy = BoltzmannGumbel(c)
    agent = _agent_with(policy, np.tile(q_row, (n, 1)), np.tile(counts, (n, 1)))
    actions = agent.select(10, BatchRNG.from_seed(4, n))
    with np.errstate(invalid="ignore"):  # bgumbel(c=0) with unplayed arms computes 0/0
        p = policy.probs(q_row, counts=np.array(counts))
    p = np.where(p < 1e-12, 0.0, p)
    _chi2_ok(actions, p / p.sum(), f"bgumbel c={c} counts={counts}")
    assert agent.entropy() is None  # no closed form: recorded as NaN by simulate


@pytest.mark.parametrize(
    "policy",
    [Boltzmann(0.01), Boltzmann(np.array([0.05, 1.0, np.inf, 0.2] * 25)), Boltzmann(3.0)],
    ids=["cold", "per-row", "hot"],
)
def test_incremental_softmax_stays_exact_over_many_updates(policy):
    # large, drifting rewards force the kernel to move its reference (rebase)
    from boltzmann_rl.bandits import GaussianBandit

    n = 100
    env = GaussianBandit(arms=6, spread=3.0, offset=50.0, scale=20.0).batch(
        BatchRNG.from_seed(0, n, stream=0)
    )
    agent = ActionValueAgent(policy, step_size=0.3, initial=-200.0)
    agent.reset(n, 6)
    rng = BatchRNG.from_seed(0, n)
    for t in range(300):
        expected = policy.entropy(agent.q_values.copy())
        a = agent.select(t, rng)
        np.testing.assert_allclose(agent.entropy(), expected, rtol=1e-9, atol=1e-12)
        r, _, _ = env.step(a)
        agent.update(a, r)


def test_estimates_are_read_only_views():
    agent = ActionValueAgent("greedy")
    agent.reset(2, 3)
    with pytest.raises(ValueError, match="read-only"):
        agent.q_values[0, 0] = 1.0
    with pytest.raises(ValueError, match="finite"):
        agent.set_estimates([0.0, np.nan, 1.0])


def test_policy_text_is_accepted():
    agent = ActionValueAgent("boltzmann(temperature=0.25)")
    assert agent.policy == Boltzmann(0.25)
    assert agent.label == "boltzmann(temperature=0.25)"
    assert as_agent("ucb(c=2)").policy == UCB(2.0)


# ------------------------------------------------------------------ updates


def test_sample_average_estimates_are_the_means_of_the_rewards():
    agent = ActionValueAgent(Greedy())
    agent.reset(2, 3)
    arms = np.array([[1, 0, 1, 1], [2, 2, 0, 2]])
    rewards = np.array([[1.0, 5.0, 2.0, 6.0], [-1.0, 1.0, 4.0, 3.0]])
    for t in range(4):
        agent.update(arms[:, t], rewards[:, t])
    assert agent.q_values.tolist() == [[5.0, 3.0, 0.0], [4.0, 0.0, 1.0]]
    assert agent.counts.tolist() == [[1.0, 3.0, 0.0], [1.0, 0.0, 3.0]]


def test_constant_step_size_and_optimistic_initial_value():
    agent = ActionValueAgent("greedy", step_size=0.1, initial=5.0)
    agent.reset(1, 2)
    assert agent.q_values.tolist() == [[5.0, 5.0]]
    q = 5.0
    for r in [1.0, 0.0, 2.0]:
        agent.update(np.array([1]), np.array([r]))
        q += 0.1 * (r - q)
    assert agent.q_values[0, 1] == pytest.approx(q, rel=1e-15)
    assert agent.q_values[0, 0] == 5.0
    assert agent.counts.tolist() == [[0.0, 3.0]]


def test_step_size_schedule_of_visits_can_be_the_sample_average():
    a = ActionValueAgent("greedy", step_size=InverseTime(1.0, 1.0))
    b = ActionValueAgent("greedy")
    for agent in (a, b):
        agent.reset(1, 1 + 1)
    for r in [3.0, 1.0, 4.0, 1.0, 5.0]:
        for agent in (a, b):
            agent.update(np.array([0]), np.array([r]))
    assert a.q_values[0, 0] == pytest.approx(b.q_values[0, 0], rel=1e-14)


def test_per_run_parameter_arrays():
    agent = ActionValueAgent("greedy", step_size=[0.5, 1.0], initial=np.array([1.0, 2.0]))
    agent.reset(2, 2)
    assert agent.q_values[:, 0].tolist() == [1.0, 2.0]
    agent.update(np.array([0, 0]), np.array([3.0, 3.0]))
    assert agent.q_values[:, 0].tolist() == [2.0, 3.0]
    with pytest.raises(ValueError, match="2 per-run values but the batch has 3"):
        agent.reset(3, 2)


def _softmax(h):
    e = np.exp(h - h.max())
    return e / e.sum()


@pytest.mark.parametrize("baseline", [True, False])
def test_gradient_bandit_update(baseline):
    agent = GradientBandit(step_size=0.4, baseline=baseline)
    agent.reset(1, 3)
    rng = BatchRNG.from_seed(0, 1)
    h = np.zeros(3)
    seen = []
    for r in [1.0, 3.0, -2.0, 0.5]:
        pi = _softmax(h)
        a = agent.select(len(seen), rng)
        assert agent.entropy()[0] == pytest.approx(-(pi * np.log(pi)).sum(), rel=1e-12)
        if baseline:
            base = r if not seen else np.mean(seen)
        else:
            base = 0.0
        onehot = np.eye(3)[a[0]]
        h = h + 0.4 * (r - base) * (onehot - pi)
        agent.update(a, np.array([r]))
        seen.append(r)
        np.testing.assert_allclose(agent.preferences[0], h, rtol=1e-13, atol=1e-15)


def test_exp3_update_and_reward_range():
    agent = EXP3(gamma=0.2)
    agent.reset(1, 4)
    rng = BatchRNG.from_seed(0, 1)
    logw = np.zeros(4)
    for r in [1.0, 0.0, 0.5]:
        p = 0.8 * _softmax(logw) + 0.2 / 4
        a = agent.select(0, rng)
        np.testing.assert_allclose(agent.entropy()[0], -(p * np.log(p)).sum(), rtol=1e-12)
        logw[a[0]] += 0.2 * (r / p[a[0]]) / 4
        agent.update(a, np.array([r]))
    agent.select(0, rng)
    with pytest.raises(ValueError, match=r"EXP3 needs rewards in \[0, 1\], got 1.5"):
        agent.update(np.array([0]), np.array([1.5]))


def test_exp3_refuses_a_gaussian_environment_before_running():
    with pytest.raises(ValueError, match=r"exp3\(gamma=0.1\) needs rewards in \[0.0, 1.0\]"):
        simulate(GaussianBandit(), EXP3(), runs=10, steps=10)


def test_gaussian_thompson_posterior():
    agent = GaussianThompson(prior_mean=1.0, prior_sd=2.0, noise=0.5)
    agent.reset(1, 2)
    rs = [0.3, 1.1, 0.7]
    for r in rs:
        agent.update(np.array([1]), np.array([r]))
    prec = 1 / 4 + len(rs) / 0.25
    mean = (1.0 / 4 + sum(rs) / 0.25) / prec
    means, sds = agent.posterior
    assert means[0, 1] == pytest.approx(mean, rel=1e-14)
    assert sds[0, 1] == pytest.approx(prec**-0.5, rel=1e-14)
    assert (means[0, 0], sds[0, 0]) == (1.0, 2.0)
    a = agent.select(0, BatchRNG.from_seed(0, 1))
    assert a.shape == (1,) and agent.entropy() is None


def test_bernoulli_thompson_posterior_and_range():
    agent = BernoulliThompson(a=2.0, b=1.0)
    agent.reset(1, 2)
    for r in [1.0, 0.0, 1.0, 0.25]:
        agent.update(np.array([0]), np.array([r]))
    a, b = agent.posterior
    assert (a[0, 0], b[0, 0]) == (2.0 + 2.25, 1.0 + 1.75)
    with pytest.raises(ValueError, match=r"BernoulliThompson needs rewards in \[0, 1\], got -1"):
        agent.update(np.array([0]), np.array([-1.0]))


# ------------------------------------------------------------------ bad input

_ids = iter(range(1000))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: ActionValueAgent("greedy", step_size=float("nan")), "finite"),
        (lambda: ActionValueAgent("greedy", step_size=0.0), "step_size must be in"),
        (lambda: ActionValueAgent("greedy", step_size=1.5), "step_size must be in"),
        (lambda: ActionValueAgent("greedy", initial=float("inf")), "finite"),
        (lambda: ActionValueAgent("greedy", initial=[1.0, float("nan")]), "index 1"),
        (lambda: ActionValueAgent("boltzman(temperature=1)"), "unknown policy 'boltzman'"),
        (lambda: ActionValueAgent("boltzmann(temperature=nan)"), "temperature"),
        (lambda: GradientBandit(step_size=-0.1), "step_size must be in"),
        (lambda: GradientBandit(step_size=float("nan")), "finite"),
        (lambda: EXP3(gamma=0.0), "gamma must be in"),
        (lambda: EXP3(gamma=1.5), "gamma must be in"),
        (lambda: GaussianThompson(prior_sd=0.0), "prior_sd must be in"),
        (lambda: GaussianThompson(noise=float("nan")), "finite"),
        (lambda: BernoulliThompson(a=0.0), "a must be in"),
    ],
    ids=lambda v: None if isinstance(v, str) else str(next(_ids)),
)
def test_bad_parameters_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    "make",
    [
        lambda: ActionValueAgent(42),
        lambda: ActionValueAgent("greedy", step_size="0.1"),
        lambda: GradientBandit(baseline="yes"),
        lambda: as_agent(3.0),
    ],
    ids=["policy-int", "step-size-str", "baseline-str", "agent-float"],
)
def test_bad_types_raise_type_error(make):
    with pytest.raises(TypeError):
        make()


def test_update_checks_shapes_and_reset_first():
    agent = ActionValueAgent("greedy")
    with pytest.raises(RuntimeError, match="reset"):
        agent.select(0, BatchRNG.from_seed(0, 1))
    agent.reset(3, 2)
    with pytest.raises(ValueError, match="expected 3 actions"):
        agent.update(np.array([0, 1]), np.zeros(3))
    with pytest.raises(ValueError, match="expected 3 rewards"):
        agent.update(np.array([0, 1, 0]), np.zeros(2))
    with pytest.raises(ValueError, match="n_rows"):
        agent.reset(0, 2)


def test_builtin_agents_satisfy_the_protocol():
    for agent in (
        ActionValueAgent("greedy"),
        GradientBandit(),
        EXP3(),
        GaussianThompson(),
        BernoulliThompson(),
    ):
        assert isinstance(agent, BanditAgent)
        assert repr(agent).startswith(type(agent).__name__)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ActionValueAgent("boltzmann(temperature=0.3)"),
        lambda: ActionValueAgent("egreedy(epsilon=0.1)", step_size=0.2),
        lambda: ActionValueAgent("ucb(c=1.0)"),
        lambda: GradientBandit(step_size=0.1),
        lambda: EXP3(gamma=0.1),
        lambda: GaussianThompson(),
        lambda: BernoulliThompson(),
    ],
    ids=["boltzmann", "egreedy", "ucb", "gradient", "exp3", "gauss-thompson", "bern-thompson"],
)
def test_a_copied_agent_learns_like_the_original(make):
    # pickle and deepcopy copy views as arrays of their own; an agent that writes its
    # updates through flat views must make them anew, or the copy would stop learning.
    import copy
    import pickle

    n, k = 40, 4
    agent = make()
    agent.reset(n, k)
    rng = np.random.default_rng(0)

    def play(a, seed, steps):
        brng = BatchRNG.from_seed(seed, n)
        out = []
        for t in range(steps):
            actions = a.select(t, brng)
            a.update(actions, rng_rewards[t][actions, np.arange(n)])
            out.append(actions)
        return np.array(out)

    rng_rewards = rng.random((60, k, n))
    play(agent, 1, 30)
    copies = [pickle.loads(pickle.dumps(agent)), copy.deepcopy(agent)]
    expected = play(agent, 2, 30)
    for c in copies:
        np.testing.assert_array_equal(play(c, 2, 30), expected)


@pytest.mark.parametrize("eps", ["1e-300", "1e-310", "5e-324"])
def test_tiny_epsilons_run_without_warnings(eps):
    # K / ε beyond int64 (or beyond the floats): the arms of rows that do not explore
    # cannot be cast, and must not warn (warnings are errors here) or leak into actions.
    # With ε this small no run explores: the choices are exactly those of ε = 0.
    from boltzmann_rl.bandits import GaussianBandit

    def run(spec, *others):
        agents = [ActionValueAgent(spec), *(ActionValueAgent(o) for o in others)]
        return simulate(GaussianBandit(), agents, runs=60, steps=40, seed=0)[0]

    zero = run("egreedy(epsilon=0.0)")
    for group in (
        run(f"egreedy(epsilon={eps})"),
        run(f"egreedy(epsilon=linear(1e-300, {eps}, 20))"),
        run(f"egreedy(epsilon={eps})", "egreedy(epsilon=0.0)", "egreedy(epsilon=0.5)"),
    ):
        for metric in ("reward", "optimal", "regret"):
            np.testing.assert_array_equal(group.curves[metric].mean, zero.curves[metric].mean)


@pytest.mark.parametrize(
    "spec",
    [
        "boltzmann(temperature=1e-300)",
        "boltzmann(temperature=5e-324)",
        "boltzmann(temperature=1e300)",
        "boltzmann(temperature=exp(1e300, 1e-300, 20))",
        "boltzmann(temperature=exp(1.0, 5e-324, 20))",
        "boltzmann(temperature=0.1)",
    ],
)
@pytest.mark.parametrize("initial", [0.0, 1e300, -1e300])
def test_extreme_temperatures_and_estimates_stay_finite_and_silent(spec, initial):
    # (q - ref) / T could overflow (a tiny T, or huge estimates) and 1 / T could be
    # inf (a subnormal T): no warning (they are errors here), no NaN entropy, and a
    # temperature below 1e-300 acts as 1e-300.
    from boltzmann_rl.bandits import GaussianBandit

    agents = [
        ActionValueAgent(spec, initial=initial),
        ActionValueAgent("boltzmann(temperature=inf)"),
    ]
    result = simulate(GaussianBandit(), agents, runs=50, steps=30, seed=0)
    for group in result:
        for metric in ("reward", "optimal", "regret", "entropy"):
            assert np.isfinite(group.curves[metric].mean).all(), metric
    if spec == "boltzmann(temperature=5e-324)":
        same = simulate(
            GaussianBandit(),
            [ActionValueAgent("boltzmann(temperature=1e-300)", initial=initial), agents[1]],
            runs=50,
            steps=30,
            seed=0,
        )
        assert_same_results(result[0], same[0])


# -------------------------------- fast paths: the fused kernels against the general path


class _Uniforms:
    """A stand-in for BatchRNG that hands out given uniforms, one row per call."""

    def __init__(self, rows):
        self.rows = [np.asarray(r, dtype=np.float64) for r in rows]

    def uniform(self):
        return self.rows.pop(0)


# ----------------------------------------------------------- argmax_columns


def _columns(k, n, rng):
    """Columns of every kind: distinct values, ties at the maximum (of 2 and of all
    arms), ties below it, NaN, +inf once and twice, -inf everywhere."""
    s = rng.standard_normal((k, n))
    s[:, 1] = 0.0  # all tied
    s[: k // 2 + 1, 2] = 7.0  # a tie of several at the top
    s[0, 3] = s[k - 1, 3] = 9.0  # the first and the last tied
    s[0, 4] = s[min(1, k - 1), 4] = -9.0  # a tie below the maximum (k > 2): one maximum
    s[k - 1, 4] = 1.0
    s[k - 1, 5] = np.nan
    s[0, 6] = np.inf
    s[0, 7] = s[min(1, k - 1), 7] = np.inf
    s[:, 8] = -np.inf
    s[:, 9] = np.round(s[:, 9])  # small integers: ties likely
    return s


def _fast_work(k, n):
    """Scratch arrays as after a call without ties: the fast path is tried first."""
    work = Work(k, n)
    if 1 < k <= _FAST_ARMS:
        work.fast_path()
    work.tied = False
    return work


@pytest.mark.parametrize("k", [1, 2, 3, 10, _FAST_ARMS, _FAST_ARMS + 1])
def test_greedy_fast_path_matches_the_general_path(k):
    rng = np.random.default_rng(k)
    n = 64
    for trial in range(30):
        s = rng.standard_normal((k, n)) if trial % 2 else _columns(k, n, rng)
        u = rng.random(n)
        general = Work(k, n)  # tied=True: the general path
        a0, t0 = argmax_columns(s, u, general)
        fast = _fast_work(k, n)
        a1, t1 = argmax_columns(s, u, fast)
        np.testing.assert_array_equal(a1, a0)
        np.testing.assert_array_equal(t1, t0)
        assert a1.dtype == np.int64
        assert fast.tied == general.tied
        # the general path made the fast path's arrays once it found no ties
        assert (general.m is not None) == (not general.tied and 1 < k <= _FAST_ARMS)


def test_greedy_fast_path_finds_the_single_maximum_and_stays_on_it():
    rng = np.random.default_rng(0)
    k, n = 10, 500
    work = _fast_work(k, n)
    for _ in range(20):
        s = rng.standard_normal((k, n))
        a, n_ties = argmax_columns(s, rng.random(n), work)
        np.testing.assert_array_equal(a, s.argmax(axis=0))
        assert (n_ties == 1).all() and not n_ties.flags.writeable
        assert not work.tied
    s[3, 7] = s[5, 7] = s[:, 7].max() + 1.0  # two tied maxima: broken by u
    a, n_ties = argmax_columns(s, np.full(n, 0.99), work)
    assert work.tied and n_ties[7] == 2 and a[7] == 5
    a, n_ties = argmax_columns(s, np.full(n, 0.0), work)
    assert a[7] == 3


# ------------------------------------------------------------------ ε-greedy


def _pair(eps, n, k, initial=0.0):
    """The same ε-greedy twice: one ε for all rows (fast) and one ε per row (general)."""
    one = ActionValueAgent(EpsilonGreedy(eps), initial=initial)
    per_row = ActionValueAgent(EpsilonGreedy(np.full(n, eps)), initial=initial)
    one.reset(n, k)
    per_row.reset(n, k)
    return one, per_row


@pytest.mark.parametrize("eps", [0.0, 0.01, 0.1, 0.25, 0.5, 1.0, 0.8133442546082704])
@pytest.mark.parametrize("k", [4, 10, _FAST_ARMS + 3])
def test_one_epsilon_selects_like_one_epsilon_per_row(eps, k):
    n, steps = 300, 60
    one, per_row = _pair(eps, n, k)
    again, _ = _pair(eps, n, k)  # one ε too, through select (the kernel's __call__)
    fn = one._select_function()
    rngs = [BatchRNG.from_seed(4, n) for _ in range(3)]
    means = np.random.default_rng(1).standard_normal((n, k))
    noise = np.random.default_rng(2)
    for t in range(steps):
        a = fn(t, rngs[0])
        np.testing.assert_array_equal(per_row.select(t, rngs[1]), a)
        np.testing.assert_array_equal(again.select(t, rngs[2]), a)
        np.testing.assert_array_equal(one.entropy(), per_row.entropy())
        np.testing.assert_array_equal(again.entropy(), per_row.entropy())
        # rewards rounded to 0.1: ties now and then, so both paths of argmax_columns run
        r = np.round(means[np.arange(n), a] + noise.standard_normal(n), 1)
        for agent in (one, per_row, again):
            agent.update(a, r)


def test_explored_arm_is_capped_where_rounding_needs_it():
    # with K = 10, floor(u K / ε) for the largest u below ε = 0.1 rounds up to K
    k, n = 10, 4
    for eps in (0.1, 0.05, 0.8133442546082704, 0.5, 0.01):
        below = math.nextafter(eps, 0.0)
        needs_cap = math.floor(below * (k / eps)) >= k
        one, per_row = _pair(eps, n, k)
        q = np.tile(np.arange(k, dtype=float), (n, 1))
        q[:, 0] = 100.0  # the greedy arm: 0
        one.set_estimates(q)
        per_row.set_estimates(q)
        u = [below, 0.0, eps, 0.999]
        a = one._select_function()(0, _Uniforms([u]))
        b = per_row.select(0, _Uniforms([u]))
        np.testing.assert_array_equal(a, b)
        assert a.tolist() == [k - 1, 0, 0, 0], (eps, a)
        assert (one._kernel._plan(eps)[2] is not None) == needs_cap


def test_epsilon_schedule_and_greedy_take_the_general_select():
    for policy in (EpsilonGreedy(Linear(1.0, 0.0, 50)), "boltzmann(temperature=0.1)"):
        agent = ActionValueAgent(policy)
        agent.reset(10, 3)
        assert agent._select_function() == agent.select
    agent = ActionValueAgent("greedy")
    agent.reset(10, 3)
    assert agent._select_function() != agent.select


def test_constant_entropy_is_a_fresh_array_every_time():
    agent = ActionValueAgent("egreedy(epsilon=0.2)")
    agent.reset(5, 4)
    agent.set_estimates([[1.0, 2.0, 3.0, 4.0]] * 5)
    agent.select(0, BatchRNG.from_seed(0, 5))
    h = agent.entropy()
    expected = float(EpsilonGreedy(0.2).entropy(np.array([1.0, 2.0, 3.0, 4.0])))
    np.testing.assert_allclose(h, expected, rtol=1e-12)
    h[:] = -1.0
    np.testing.assert_allclose(agent.entropy(), expected, rtol=1e-12)
    assert agent._entropy_value() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("copy_of", [copy.deepcopy, lambda a: pickle.loads(pickle.dumps(a))])
def test_a_copied_agent_selects_like_the_original(copy_of):
    # the scratch arrays of argmax_columns's fast path include views: a copy must rebuild them
    agent = ActionValueAgent("egreedy(epsilon=0.1)")
    agent.reset(50, 10)
    noise = np.random.default_rng(0)
    agent.set_estimates(noise.standard_normal((50, 10)), np.ones((50, 10)))  # no ties
    fn, rng = agent._select_function(), BatchRNG.from_seed(0, 50)
    for t in range(30):
        a = fn(t, rng)
        agent.update(a, noise.standard_normal(50))
    assert not agent._kernel.work.tied  # the fast path is in use
    twin = copy_of(agent)
    for t in range(30, 35):
        np.testing.assert_array_equal(
            twin.select(t, BatchRNG.from_seed(t, 50)), agent.select(t, BatchRNG.from_seed(t, 50))
        )
        np.testing.assert_array_equal(twin.entropy(), agent.entropy())


# ------------------------------------------------------------------ environments


@dataclass(frozen=True, repr=False)
class _Shifted(GaussianBandit):
    """A subclass with its own draw_rewards: writing into buffers must not bypass it."""

    name = "shifted"

    def draw_rewards(self, means, rng, rows):
        return super().draw_rewards(means, rng, rows) + 100.0


@pytest.mark.parametrize(
    "env",
    [
        GaussianBandit(arms=5),
        GaussianBandit(arms=5, noise=2.5, offset=1.0, scale=3.0),
        NonstationaryBandit(arms=5, walk=0.1),
        NonstationaryBandit(arms=5, noise=0.5),
        BernoulliBandit(arms=5),
        _Shifted(arms=5),
    ],
    ids=repr,
)
def test_rewards_written_into_buffers_are_the_rewards_returned(env):
    n = 300
    plain = env.batch(BatchRNG.from_seed(3, n, stream=ENV_STREAM))
    into = env.batch(BatchRNG.from_seed(3, n, stream=ENV_STREAM))
    rng = np.random.default_rng(0)
    cols = np.arange(n)
    reward_out, optimal_out = np.empty(n), np.empty(n, dtype=bool)
    for _ in range(40):
        idx = rng.integers(0, env.arms, n) * n + cols
        r0, g0, o0 = plain._step_flat(idx, plain._best, None)
        r1, g1, o1 = into._step_flat(idx, into._best, None, (reward_out, optimal_out))
        np.testing.assert_array_equal(r1, r0)
        np.testing.assert_array_equal(g1, g0)
        np.testing.assert_array_equal(o1, o0)
        assert o1 is optimal_out
        if type(env) in (GaussianBandit, NonstationaryBandit):
            assert r1 is reward_out
    assert (r0 > 50).all() == isinstance(env, _Shifted)


# ------------------------------------------------------------------ the simulation


@pytest.mark.parametrize(
    "env",
    [GaussianBandit(), BernoulliBandit(arms=4), NonstationaryBandit(walk=0.05, noise=2.0)],
    ids=repr,
)
@pytest.mark.parametrize("eps", ["0.1", "0.01", "1", "0"])
def test_egreedy_alone_matches_the_general_loop_and_path(env, eps):
    kw = dict(runs=520, steps=70, seed=11)
    spec = f"egreedy(epsilon={eps})"
    alone = simulate(env, spec, **kw)[0]  # fast loop, one ε, constant entropies
    # stacked with another kind of agent: the general loop, entropies as arrays
    mixed = simulate(env, [spec, "ucb(c=1)"], **kw)[0]
    assert_same_results(alone, mixed)
    # one ε per row: the general kernel path in the fast loop
    per_row = ActionValueAgent(EpsilonGreedy(np.full(kw["runs"], float(eps))))
    assert_same_results(alone, simulate(env, per_row, **kw)[0])


def test_blocks_mixing_constant_and_per_row_entropies():
    # optimistic ε-greedy on 0/1 rewards: steps with tied maxima somewhere (an entropy
    # per row) and steps without (one number) share 32-step blocks
    agent = ActionValueAgent("egreedy(epsilon=0.05)", step_size=0.1, initial=5.0)
    env, runs, steps, seed = BernoulliBandit(arms=3), 40, 96, 2
    # the simulation's own streams for one group, played by hand
    play = ActionValueAgent("egreedy(epsilon=0.05)", step_size=0.1, initial=5.0)
    play.reset(runs, 3)
    rng = BatchRNG.from_seed(seed, runs)
    batch = env.batch(BatchRNG.from_seed(seed, runs, stream=ENV_STREAM))
    one_number = []
    for t in range(steps):
        a = play.select(t, rng)
        play.update(a, batch.step(a)[0])
        one_number.append(play._entropy_value() is not None)
    blocks = np.array(one_number).reshape(-1, 32)
    assert (blocks.any(axis=1) & ~blocks.all(axis=1)).any(), "no mixed block"
    alone = simulate(env, agent, runs=runs, steps=steps, seed=seed)[0]
    mixed = simulate(env, [agent, "ucb(c=1)"], runs=runs, steps=steps, seed=seed)[0]
    assert_same_results(alone, mixed)


@pytest.mark.parametrize("n", [1, 7, 250, 255, 256, 300])
def test_optimal_counts_in_uint8_match_count_nonzero(n):
    rng = np.random.default_rng(n)
    part = rng.random((5, 2, 3, n)) < 0.6
    part[0, 0, 0] = True  # all of a chunk
    total, m2 = _moments(part, n, True, False)
    expected = np.count_nonzero(part, axis=-1).astype(np.float64)
    np.testing.assert_array_equal(total, expected)
    np.testing.assert_array_equal(m2, expected * (1.0 - expected / n))
