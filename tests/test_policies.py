"""The policy contract, one shared suite every policy must pass.

A new policy gets these tests by adding an instance to ``CASES``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from boltzmann_rl import as_generator, softmax
from boltzmann_rl.alternatives import Entmax15, Mellowmax, Normalize, SoftmaxBase, Sparsemax
from boltzmann_rl.policies import (
    POLICY_NAMES,
    UCB,
    Boltzmann,
    BoltzmannGumbel,
    EpsilonGreedy,
    Greedy,
    Policy,
    RowPolicy,
)
from boltzmann_rl.schedules import Exponential, Linear, Logarithmic
from boltzmann_rl.spec import parse_policy

ALPHA = 1e-3  # false-alarm rate of every statistical test here


class UserSoftmax:
    """A user's own policy: four methods, no base class."""

    needs_counts = False

    def probs(self, q, *, step=0, counts=None):
        return softmax(q, 2.0)

    def sample(self, q, rng, *, step=0, counts=None):
        p = self.probs(q)
        gen = as_generator(rng)
        if p.ndim == 1:
            return int(gen.choice(p.size, p=p))
        rows = p.reshape(-1, p.shape[-1])
        out = np.array([gen.choice(p.shape[-1], p=row) for row in rows])
        return out.reshape(p.shape[:-1])

    def log_prob(self, q, action, *, step=0, counts=None):
        return np.log(np.take_along_axis(self.probs(q), np.asarray(action)[..., None], -1))[..., 0]

    def entropy(self, q, *, step=0, counts=None):
        p = self.probs(q)
        return -(p * np.log(p)).sum(-1)


CASES = [
    Boltzmann(temperature=0.5),
    Boltzmann(temperature=Exponential(2.0, 0.1, 100)),
    Boltzmann(temperature=0.0),
    Boltzmann(temperature=math.inf),
    EpsilonGreedy(epsilon=0.2),
    EpsilonGreedy(epsilon=Linear(1.0, 0.05, 50)),
    Greedy(),
    UCB(c=1.5),
    BoltzmannGumbel(c=1.0),
    UserSoftmax(),
    # boltzmann_rl.alternatives. Plain Normalize() is undefined for the negative value
    # in Q below; its contract is tested on positive values in tests/test_alternatives.py.
    Normalize(kind="abs"),
    Normalize(kind="square"),
    Sparsemax(temperature=0.5),
    Sparsemax(temperature=Exponential(2.0, 0.1, 100)),
    Entmax15(temperature=1.0),
    Mellowmax(omega=5.0),
    Mellowmax(omega=Linear(0.5, 20.0, 50)),
    SoftmaxBase(base=2.0),
]
IDS = [repr(c) if not isinstance(c, UserSoftmax) else "user-softmax" for c in CASES]

Q = np.array([0.3, 1.0, 1.0, -0.5, 0.8])
COUNTS = np.array([3, 7, 5, 1, 2])
STEP = 20


def call_kwargs(policy, shape=Q.shape):
    kwargs = {"step": STEP}
    if policy.needs_counts:
        kwargs["counts"] = np.broadcast_to(COUNTS, shape)
    return kwargs


def assert_follows(draws, p, k):
    """Seeded chi-square goodness of fit; zero-probability actions must never appear."""
    counts = np.bincount(np.ravel(draws), minlength=k)
    n = counts.sum()
    assert np.all(counts[p == 0] == 0), (counts, p)
    pos = p > 0
    if pos.sum() < 2:
        return
    expected = p[pos] / p[pos].sum() * n
    assert scipy.stats.chisquare(counts[pos], expected).pvalue > ALPHA, (counts, expected)


# ------------------------------------------------------------------ the shared contract


@pytest.mark.parametrize("policy", CASES, ids=IDS)
class TestContract:
    def test_is_a_policy(self, policy):
        assert isinstance(policy, Policy)

    def test_probs_is_a_distribution_for_rows_and_batches(self, policy):
        p = policy.probs(Q, **call_kwargs(policy))
        assert p.shape == Q.shape
        assert np.all(p >= 0) and math.isclose(p.sum(), 1.0, rel_tol=1e-12)
        batch = np.stack([Q, Q[::-1], Q + 3.0])
        pb = policy.probs(batch, **call_kwargs(policy, batch.shape))
        assert pb.shape == batch.shape
        np.testing.assert_allclose(pb.sum(-1), 1.0, rtol=1e-12)
        np.testing.assert_allclose(pb[0], p, rtol=1e-9, atol=1e-12)

    def test_sample_types_and_range(self, policy):
        a = policy.sample(Q, np.random.default_rng(0), **call_kwargs(policy))
        assert isinstance(a, int) and 0 <= a < Q.size
        batch = np.broadcast_to(Q, (4, 3, Q.size))
        ab = policy.sample(batch, np.random.default_rng(0), **call_kwargs(policy, batch.shape))
        assert ab.shape == (4, 3) and ab.dtype.kind == "i"
        assert np.all((ab >= 0) & (ab < Q.size))

    def test_single_row_sampling_follows_probs(self, policy):
        rng = np.random.default_rng(11)
        kw = call_kwargs(policy)
        draws = [policy.sample(Q, rng, **kw) for _ in range(4000)]
        assert_follows(draws, policy.probs(Q, **kw), Q.size)

    def test_batched_sampling_follows_probs(self, policy):
        rng = np.random.default_rng(12)
        batch = np.broadcast_to(Q, (20_000, Q.size))
        kw = call_kwargs(policy, batch.shape)
        draws = policy.sample(batch, rng, **kw)
        assert_follows(draws, policy.probs(Q, **call_kwargs(policy)), Q.size)

    def test_log_prob_and_entropy_agree_with_probs(self, policy):
        kw = call_kwargs(policy)
        p = policy.probs(Q, **kw)
        with np.errstate(divide="ignore"):
            for a in range(Q.size):
                assert np.isclose(policy.log_prob(Q, a, **kw), np.log(p[a]), rtol=1e-9)
        nz = p[p > 0]
        assert np.isclose(policy.entropy(Q, **kw), -(nz * np.log(nz)).sum(), atol=1e-9)

    def test_same_seed_same_actions(self, policy):
        batch = np.broadcast_to(Q, (50, Q.size))
        kw = call_kwargs(policy, batch.shape)
        a = policy.sample(batch, 5, **kw)
        b = policy.sample(batch, 5, **kw)
        np.testing.assert_array_equal(a, b)

    def test_nan_values_raise(self, policy):
        with pytest.raises(ValueError, match="NaN"):
            policy.probs(np.array([0.0, np.nan, 1.0, 0.0, 0.0]), **call_kwargs(policy))

    def test_text_form_round_trips(self, policy):
        if isinstance(policy, UserSoftmax):
            pytest.skip("a user's policy has no text form")
        assert parse_policy(repr(policy)) == policy
        assert hash(parse_policy(repr(policy))) == hash(policy)


# ----------------------------------------------------------------------------- limits


def test_boltzmann_at_zero_temperature_is_greedy():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(30, 6)).round(1)  # rounding makes ties
    np.testing.assert_array_equal(Boltzmann(0).probs(q), Greedy().probs(q))
    np.testing.assert_array_equal(Boltzmann(1e-300).probs(q), Greedy().probs(q))


def test_boltzmann_at_infinite_temperature_is_uniform():
    q = np.random.default_rng(0).normal(size=(5, 4))
    np.testing.assert_array_equal(Boltzmann(math.inf).probs(q), np.full((5, 4), 0.25))
    np.testing.assert_allclose(Boltzmann(1e300).probs(q), 0.25, rtol=1e-15)


def test_epsilon_greedy_limits():
    q = np.random.default_rng(1).normal(size=(5, 4)).round(1)
    np.testing.assert_array_equal(EpsilonGreedy(0).probs(q), Greedy().probs(q))
    np.testing.assert_array_equal(EpsilonGreedy(1).probs(q), np.full((5, 4), 0.25))


def test_greedy_breaks_ties_uniformly_never_first_index():
    draws = Greedy().sample(np.broadcast_to([1.0, 5.0, 5.0, 5.0], (9000, 4)), 3)
    counts = np.bincount(draws, minlength=4)
    assert counts[0] == 0
    assert scipy.stats.chisquare(counts[1:]).pvalue > ALPHA


def test_per_row_temperatures_equal_row_by_row_calls():
    q = np.random.default_rng(2).normal(size=(4, 5))
    temps = np.array([0.0, 0.1, 1.0, np.inf])
    batched = Boltzmann(temps).probs(q)
    for i, t in enumerate(temps):
        np.testing.assert_allclose(batched[i], Boltzmann(t).probs(q[i]), rtol=1e-15, atol=0)
    eps = np.array([0.0, 0.3, 0.6, 1.0])
    batched = EpsilonGreedy(eps).probs(q)
    for i, e in enumerate(eps):
        np.testing.assert_allclose(batched[i], EpsilonGreedy(e).probs(q[i]), rtol=1e-15)


def test_per_row_steps_anneal_each_row():
    pi = Boltzmann(Linear(1.0, 0.0, 10))
    q = np.zeros((3, 2)) + [0.0, 1.0]
    p = pi.probs(q, step=np.array([0, 5, 10]))
    np.testing.assert_allclose(p[0], softmax([0.0, 1.0], 1.0))
    np.testing.assert_allclose(p[1], softmax([0.0, 1.0], 0.5))
    np.testing.assert_array_equal(p[2], [0.0, 1.0])


def test_annealing_with_visit_counts():
    pi = Boltzmann(Logarithmic(1.0))
    visits = np.array([0, 100])
    p = pi.probs(np.zeros((2, 2)) + [0.0, 1.0], step=visits)
    assert p[1, 1] > p[0, 1]


def test_ucb_plays_unplayed_arms_first_then_the_bound():
    pi = UCB(c=2.0)
    np.testing.assert_array_equal(pi.probs([5.0, 0.0, 0.0], counts=[3, 0, 0]), [0.0, 0.5, 0.5])
    q, n = np.array([1.0, 0.9]), np.array([100, 1])
    t = 101
    expected = np.argmax(q + 2.0 * np.sqrt(np.log(t) / n))
    assert pi.sample(q, 0, counts=n) == expected


def test_bgumbel_with_equal_counts_is_boltzmann_at_beta():
    q = np.array([0.2, -0.4, 1.3, 0.0])
    for n in (1, 4, 25):
        beta = 1.5 / math.sqrt(n)
        np.testing.assert_allclose(
            BoltzmannGumbel(1.5).probs(q, counts=np.full(4, n)), softmax(q, beta), atol=1e-7
        )


def test_bgumbel_quadrature_matches_monte_carlo_with_unequal_counts():
    q = np.array([0.0, 0.5, 0.4])
    n = np.array([1, 30, 4])
    pi = BoltzmannGumbel(1.0)
    draws = pi.sample(np.broadcast_to(q, (40_000, 3)), 21, counts=np.broadcast_to(n, (40_000, 3)))
    assert_follows(draws, pi.probs(q, counts=n), 3)


# ------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: Boltzmann(-1.0), "temperature must be >= 0"),
        (lambda: Boltzmann(math.nan), "temperature"),
        (lambda: Boltzmann([1.0, -2.0]), "-2.0"),
        (lambda: EpsilonGreedy(1.5), "epsilon must be <= 1"),
        (lambda: EpsilonGreedy(-0.1), "epsilon"),
        (lambda: EpsilonGreedy([0.1, 2.0]), "2.0"),
        (lambda: UCB(-1), "c must be a finite number >= 0"),
        (lambda: UCB(math.inf), "inf"),
        (lambda: BoltzmannGumbel(math.nan), "nan"),
    ],
)
def test_invalid_parameters_raise_value_error_naming_the_value(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_wrongly_typed_parameters_raise_type_error():
    with pytest.raises(TypeError, match="temperature"):
        Boltzmann("hot")
    with pytest.raises(TypeError, match="c must be a number"):
        UCB("2")


def test_count_based_policies_need_counts():
    for pi in (UCB(), BoltzmannGumbel()):
        with pytest.raises(ValueError, match="needs per-action visit counts"):
            pi.sample(Q, 0)
        with pytest.raises(ValueError, match="counts of shape"):
            pi.probs(Q, counts=[1, 2])
        with pytest.raises(ValueError, match="counts must be >= 0"):
            pi.probs(Q, counts=[1, 2, -1, 0, 0])


def test_bad_actions_and_values_raise():
    with pytest.raises(ValueError, match=r"actions must be in \[0, 5\)"):
        Boltzmann().log_prob(Q, 7)
    with pytest.raises(TypeError, match="integers"):
        Greedy().log_prob(Q, 1.5)
    with pytest.raises(ValueError, match="shape"):
        Greedy().probs(np.zeros((3, 0)))


def test_epsilon_schedule_leaving_the_unit_interval_raises():
    pi = EpsilonGreedy(Linear(2.0, 0.5, 10))
    with pytest.raises(ValueError, match="left \\[0, 1\\]"):
        pi.probs(Q, step=0)


def test_policies_are_immutable_and_hashable():
    pi = Boltzmann(0.5)
    with pytest.raises(AttributeError):
        pi.temperature = 2.0
    assert len({Boltzmann(0.5), Boltzmann(0.5), Greedy()}) == 2


def test_registry_names_match_text_names():
    for name, cls in POLICY_NAMES.items():
        assert cls.text_name == name
    assert repr(parse_policy(" boltzmann( temperature = exp(1, 0.05, 1000) ) ")) == (
        "boltzmann(temperature=exp(1.0, 0.05, 1000))"
    )
    assert repr(parse_policy("egreedy(epsilon=0.1)")) == "egreedy(epsilon=0.1)"
    assert parse_policy("greedy") == Greedy()
    assert parse_policy("ucb(c=2)") == UCB(2.0)
    assert parse_policy("bgumbel(c=1)") == BoltzmannGumbel(1.0)


def test_unknown_policy_names_list_what_exists():
    with pytest.raises(ValueError, match="known policies: bgumbel, boltzmann, egreedy"):
        parse_policy("softmaxx(temperature=1)")
    with pytest.raises(ValueError, match="temperature"):
        parse_policy("boltzmann(temp=1)")


# Policies with the optional single-decision fast path (the RowPolicy protocol)
ROW_CASES = [c for c in CASES if isinstance(c, RowPolicy)]


def test_row_policy_is_declared_by_the_built_in_row_rules_only():
    assert {type(c).__name__ for c in ROW_CASES} == {"Boltzmann", "EpsilonGreedy", "Greedy"}
    assert not isinstance(UCB(), RowPolicy)
    assert not isinstance(BoltzmannGumbel(), RowPolicy)
    assert all(isinstance(c, Policy) for c in ROW_CASES)


@pytest.mark.parametrize("policy", ROW_CASES, ids=repr)
def test_sample_row_follows_probs_exactly_on_a_grid_of_uniforms(policy):
    # The optional fast path: N evenly spaced uniforms give each action within a
    # couple of draws of N p (the draw is piecewise constant in u), and uniforms
    # from a generator pass the seeded chi-square.
    n = 20_000
    row = Q.tolist()
    p = policy.probs(Q, step=STEP)
    draws = [policy.sample_row(row, (i + 0.5) / n, step=STEP) for i in range(n)]
    assert all(type(a) is int for a in draws)
    counts = np.bincount(draws, minlength=Q.size)
    assert np.all(np.abs(counts - n * p) <= 2), (counts, n * p)
    us = np.random.default_rng(13).random(4000).tolist()
    assert_follows([policy.sample_row(row, u, step=STEP) for u in us], p, Q.size)
    assert policy.sample_row(row, np.nextafter(1.0, 0.0), step=STEP) < Q.size


@pytest.mark.parametrize("policy", ROW_CASES, ids=repr)
def test_sample_row_refuses_bad_rows(policy):
    with pytest.raises(ValueError, match="K >= 1"):
        policy.sample_row([], 0.5)
    with pytest.raises(ValueError, match="NaN"):
        policy.sample_row([0.0, math.nan, 1.0], 0.99, step=STEP)  # 0.99: no exploring


@pytest.mark.parametrize("policy", ROW_CASES, ids=repr)
def test_probs_row_is_probs_of_the_row(policy):
    for q in (Q, np.array([2.0, 2.0, -1.0]), np.array([0.5]), np.array([1.0, -np.inf, 3.0])):
        got = policy.probs_row(q.tolist(), step=STEP)
        assert type(got) is list and all(type(p) is float for p in got)
        assert got == policy.probs(q, step=STEP).tolist()
    with pytest.raises(ValueError, match="K >= 1"):
        policy.probs_row([], step=STEP)
    with pytest.raises(ValueError, match="NaN"):
        policy.probs_row([0.0, math.nan], step=STEP)


def test_sample_row_needs_one_parameter_not_one_per_row():
    with pytest.raises(ValueError, match="one temperature"):
        Boltzmann(temperature=[0.5, 1.0]).sample_row([0.0, 1.0], 0.5)
    with pytest.raises(ValueError, match="one temperature"):
        Boltzmann(temperature=[0.5, 1.0]).probs_row([0.0, 1.0])
    with pytest.raises(ValueError, match="one epsilon"):
        EpsilonGreedy(epsilon=[0.1, 0.2]).sample_row([0.0, 1.0], 0.5)
    with pytest.raises(ValueError, match="one epsilon"):
        EpsilonGreedy(epsilon=[0.1, 0.2]).probs_row([0.0, 1.0])


def test_sample_row_limits_and_excluded_actions():
    # T = inf: uniform over the allowed actions; -inf never drawn; +inf entries share.
    us = [(i + 0.5) / 300 for i in range(300)]
    inf_t = Boltzmann(temperature=math.inf)
    assert np.bincount([inf_t.sample_row([0.0, -math.inf, 5.0], u) for u in us]).tolist() == [
        150,
        0,
        150,
    ]
    pi = Boltzmann(temperature=0.5)
    assert {pi.sample_row([0.0, -math.inf, 0.5], u) for u in us} == {0, 2}
    assert {pi.sample_row([math.inf, 0.0, math.inf], u) for u in us} == {0, 2}
    assert {Greedy().sample_row([2.0, -math.inf, 2.0], u) for u in us} == {0, 2}
    annealed = Boltzmann(temperature=Linear(1.0, 0.0, 10))  # T = 0 from step 10: greedy
    assert annealed.sample_row([0.0, 1.0], 0.01, step=0) == 0
    assert annealed.sample_row([0.0, 1.0], 0.01, step=10) == 1


def test_bgumbel_probs_with_a_tiny_scale_are_the_greedy_limit():
    # beta = c / sqrt(N) below 1e-300: (x - q_j) / beta overflows to +-inf, which is
    # the exact limit (no warning; warnings are errors here).
    pi = BoltzmannGumbel(c=1e-300)
    p = pi.probs(np.array([0.0, 1e10, 5e9]), counts=np.array([3, 4, 5]))
    np.testing.assert_allclose(p, [0.0, 1.0, 0.0], atol=1e-12)


def test_bgumbel_probs_with_infinite_values_follow_the_core():
    # -inf: never taken (probability exactly 0); +inf: those entries share the mass;
    # the finite rest as without the excluded ones. No warning, no NaN.
    pi = BoltzmannGumbel(c=1.0)
    counts = np.array([3, 4, 5, 2])
    q = np.array([0.5, -np.inf, 1.0, -np.inf])
    p = pi.probs(q, counts=counts)
    assert p[1] == 0.0 and p[3] == 0.0
    np.testing.assert_allclose(
        p[[0, 2]], pi.probs(np.array([0.5, 1.0]), counts=counts[[0, 2]]), rtol=1e-12
    )
    p = pi.probs(np.array([np.inf, 0.0, np.inf, -np.inf]), counts=counts)
    np.testing.assert_array_equal(p, [0.5, 0.0, 0.5, 0.0])
    draws = [pi.sample(q, np.random.default_rng(s), counts=counts) for s in range(200)]
    assert set(draws) <= {0, 2}
    with pytest.raises(ValueError, match="-inf"):
        pi.probs(np.array([-np.inf, -np.inf]), counts=np.array([1, 1]))


@pytest.mark.parametrize("policy", ROW_CASES, ids=repr)
@pytest.mark.parametrize("u", [-0.1, 1.0, 1.5, math.nan])
def test_sample_row_refuses_a_uniform_outside_the_unit_interval(policy, u):
    # a bad u would otherwise give a wrong action silently (ε-greedy: a negative index)
    with pytest.raises(ValueError, match="u must be a uniform draw"):
        policy.sample_row([0.0, 1.0, 0.5], u, step=STEP)


def _bgumbel_reference(q, counts, c=1.0):
    """P_i by scipy.integrate.quad at rtol 1e-13, outwards from the integrand's peak."""
    import itertools

    from scipy import integrate, optimize

    q = np.asarray(q, float)
    beta = c / np.sqrt(np.asarray(counts, float))
    out = []
    for i in range(len(q)):

        def h(z, i=i):
            value = -z - math.exp(-z) if z > -700 else -math.inf
            for j in range(len(q)):
                if j != i:
                    a = -(q[i] - q[j] + beta[i] * z) / beta[j]
                    if a > 700:
                        return -math.inf
                    value -= math.exp(a)
            return value

        peak = optimize.minimize_scalar(
            lambda z: -h(z) if math.isfinite(h(z)) else 1e300,
            bounds=(-50, 1e4),
            method="bounded",
            options={"xatol": 1e-10},
        ).x
        top = h(peak)
        total = 0.0
        for sign in (-1, 1):
            step = 1e-3
            while h(peak + sign * step) > top - 60:
                step *= 2
            edges = np.linspace(*sorted((peak, peak + sign * step)), 50)
            for a, b in itertools.pairwise(edges):
                total += integrate.quad(
                    lambda z, top=top: math.exp(h(z) - top),
                    a,
                    b,
                    epsabs=0,
                    epsrel=1e-13,
                    limit=200,
                )[0]
        out.append(total * math.exp(top))
    return np.array(out)


@pytest.mark.parametrize(
    ("q", "counts"),
    [
        ([1, 2, 2, 0.5, -1, 1.9], [1, 10, 3, 50, 2, 7]),  # the rare action: 4.57e-6, was 1.15e-6
        ([5.0, -5.0, 0.0, 1.0], [1000, 1, 2, 1000]),  # probabilities down to ~1e-20
        ([0.0, 0.3, -0.2], [1, 1000, 30]),
    ],
)
def test_bgumbel_small_probabilities_have_relative_accuracy(q, counts):
    pi = BoltzmannGumbel(1.0)
    q, counts = np.asarray(q, float), np.asarray(counts)
    exact = _bgumbel_reference(q, counts)
    np.testing.assert_allclose(exact.sum(), 1.0, rtol=1e-10)
    np.testing.assert_allclose(pi.probs(q, counts=counts), exact, rtol=1e-9, atol=0)
    actions = np.arange(len(q))
    np.testing.assert_allclose(
        [pi.log_prob(q, a, counts=counts) for a in actions], np.log(exact), rtol=0, atol=1e-9
    )
