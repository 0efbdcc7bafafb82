"""Alternatives to the softmax and the soft operators (boltzmann_rl.alternatives).

The shared policy contract (tests/test_policies.py, ``CASES``) runs on every
alternative that is defined on its action values, which contain a negative entry.
Plain normalization is not, so its contract is checked here on positive values by
``TestPlainNormalizeContract``; that the shared values are outside its domain is
itself a test (``test_plain_normalize_rejects_the_shared_suite_values``).

The last section holds the named tests of the properties that make the softmax the
default, which ``docs/why-softmax.md`` cites.
"""

from __future__ import annotations

import doctest
import importlib.util
import itertools
import math
from decimal import Decimal, localcontext
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from boltzmann_rl import log_softmax, logsumexp, softmax
from boltzmann_rl.alternatives import (
    ALTERNATIVE_NAMES,
    Entmax15,
    Mellowmax,
    Normalize,
    SoftmaxBase,
    Sparsemax,
    boltzmann_weighted_average,
    mellowmax,
)
from boltzmann_rl.policies import POLICY_NAMES, Boltzmann, Greedy, Policy
from boltzmann_rl.schedules import Linear
from boltzmann_rl.spec import parse_policy, policy_registry

ALPHA = 1e-3  # false-alarm rate of every statistical test here
ROOT = Path(__file__).resolve().parents[1]


def assert_follows(draws, p, k):
    """Seeded chi-square goodness of fit; zero-probability actions must never appear."""
    counts = np.bincount(np.ravel(draws), minlength=k)
    assert np.all(counts[p == 0] == 0), (counts, p)
    pos = p > 0
    expected = p[pos] / p[pos].sum() * counts.sum()
    assert scipy.stats.chisquare(counts[pos], expected).pvalue > ALPHA, (counts, expected)


def entropy(p):
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum())


# ------------------------------------------------------------ plain normalization


QPOS = np.array([0.3, 1.0, 1.0, 0.0, 0.8])


class TestPlainNormalizeContract:
    """The shared contract of tests/test_policies.py on values where q / Σq is defined."""

    pi = Normalize()

    def test_is_a_policy(self):
        assert isinstance(self.pi, Policy)

    def test_probs_is_a_distribution_for_rows_and_batches(self):
        p = self.pi.probs(QPOS)
        np.testing.assert_allclose(p, QPOS / QPOS.sum(), rtol=1e-15)
        batch = np.stack([QPOS, QPOS[::-1], QPOS + 3.0])
        pb = self.pi.probs(batch)
        np.testing.assert_allclose(pb.sum(-1), 1.0, rtol=1e-15)
        np.testing.assert_allclose(pb[0], p, rtol=1e-15)

    def test_sample_types_and_range(self):
        a = self.pi.sample(QPOS, np.random.default_rng(0))
        assert isinstance(a, int) and 0 <= a < QPOS.size
        ab = self.pi.sample(np.broadcast_to(QPOS, (4, 3, 5)), np.random.default_rng(0))
        assert ab.shape == (4, 3) and ab.dtype.kind == "i"

    def test_single_row_sampling_follows_probs(self):
        rng = np.random.default_rng(11)
        draws = [self.pi.sample(QPOS, rng) for _ in range(4000)]
        assert_follows(draws, self.pi.probs(QPOS), 5)

    def test_batched_sampling_follows_probs(self):
        draws = self.pi.sample(np.broadcast_to(QPOS, (20_000, 5)), np.random.default_rng(12))
        assert_follows(draws, self.pi.probs(QPOS), 5)

    def test_log_prob_and_entropy_agree_with_probs(self):
        p = self.pi.probs(QPOS)
        with np.errstate(divide="ignore"):
            for a in range(5):
                assert np.isclose(self.pi.log_prob(QPOS, a), np.log(p[a]), rtol=1e-12)
        assert self.pi.log_prob(QPOS, 3) == -np.inf  # a zero value is never chosen
        assert np.isclose(self.pi.entropy(QPOS), entropy(p), rtol=1e-12)

    def test_same_seed_same_actions(self):
        batch = np.broadcast_to(QPOS, (50, 5))
        np.testing.assert_array_equal(self.pi.sample(batch, 5), self.pi.sample(batch, 5))

    def test_nan_values_raise(self):
        with pytest.raises(ValueError, match="NaN"):
            self.pi.probs(np.array([0.0, np.nan, 1.0]))

    def test_text_form_round_trips(self):
        assert repr(self.pi) == "normalize(kind=plain)"
        assert parse_policy(repr(self.pi)) == self.pi
        assert parse_policy("normalize") == self.pi
        assert hash(parse_policy("normalize()")) == hash(self.pi)


def test_plain_normalize_rejects_the_shared_suite_values():
    q = np.array([0.3, 1.0, 1.0, -0.5, 0.8])  # tests/test_policies.py Q
    with pytest.raises(ValueError, match=r"values >= 0 .* got -0.5 at index \[3\]"):
        Normalize().probs(q)


@pytest.mark.parametrize(
    "kind,q,match",
    [
        ("plain", [[1.0, 2.0], [1.0, -2.0]], r"\"probability\"\), got -2.0 at index \[1, 1\]"),
        ("plain", [[1.0, 2.0], [0.0, 0.0]], r"row of zeros .* row \[1\]"),
        ("abs", [0.0, 0.0, 0.0], "row of zeros"),
        ("square", [[0.0, 0.0], [1.0, 1.0]], r"row \[0\]"),
        ("abs", [1.0, np.inf], "non-finite value inf at index \\[1\\]"),
        ("square", [1.0, np.nan], "NaN"),
        ("plain", [1.0, -np.inf], "non-finite"),
    ],
)  # fmt: skip
def test_normalize_raises_where_it_is_not_a_probability(kind, q, match):
    with pytest.raises(ValueError, match=match):
        Normalize(kind).probs(np.array(q))


def test_normalize_never_returns_a_negative_probability():
    rng = np.random.default_rng(0)
    q = rng.normal(size=(200, 6))
    for kind in ("abs", "square"):
        p = Normalize(kind).probs(q)
        assert (p >= 0).all()
        np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-14)


def test_normalize_variants_closed_forms_and_no_overflow():
    q = np.array([-1.0, 2.0, 0.0, -3.0])
    np.testing.assert_allclose(Normalize("abs").probs(q), np.abs(q) / 6.0, rtol=1e-15)
    np.testing.assert_allclose(Normalize("square").probs(q), q**2 / 14.0, rtol=1e-15)
    big = np.array([1e300, 1e300])  # the sum and the squares would overflow
    np.testing.assert_array_equal(Normalize("square").probs(big), [0.5, 0.5])
    np.testing.assert_array_equal(Normalize().probs(big), [0.5, 0.5])


def test_normalize_is_scale_invariant_but_not_translation_invariant():
    q = np.array([1.0, 2.0, 5.0])
    for kind in Normalize.KINDS:
        pi = Normalize(kind)
        np.testing.assert_allclose(pi.probs(10.0 * q), pi.probs(q), rtol=1e-15)
        np.testing.assert_allclose(pi.probs(0.1 * q), pi.probs(q), rtol=1e-15)
        assert not np.allclose(pi.probs(q + 5.0), pi.probs(q), atol=1e-3)
    with pytest.raises(ValueError, match="values >= 0"):
        Normalize().probs(q - 5.0)


def test_abs_and_square_normalization_are_not_monotone():
    q = np.array([-5.0, 1.0, 5.0])  # the worst action is as likely as the best
    for kind in ("abs", "square"):
        p = Normalize(kind).probs(q)
        assert p[0] == p[2] > p[1]


@pytest.mark.parametrize(
    "make,exc,match",
    [
        (lambda: Normalize("max"), ValueError, "kind must be one of plain, abs, square, got 'max'"),
        (lambda: Normalize(2), TypeError, "kind must be a string"),
        (lambda: parse_policy("normalize(kind=cube)"), ValueError, "got 'cube' .*in 'normalize"),
        (lambda: Sparsemax(-1.0), ValueError, "sparsemax: temperature must be >= 0"),
        (lambda: Entmax15(math.nan), ValueError, "entmax15: temperature must not be NaN"),
        (lambda: Sparsemax("hot"), TypeError, "temperature must be a number or a schedule"),
        (lambda: Mellowmax(-2.0), ValueError, "mellowmax: omega must be >= 0"),
        (lambda: Mellowmax([1.0, -3.0]), ValueError, "-3.0"),
        (lambda: SoftmaxBase(0.5), ValueError, "base must be >= 1, got 0.5 .*negative temperature"),
        (lambda: SoftmaxBase(-2), ValueError, "base must be >= 1, got -2"),
        (lambda: SoftmaxBase(math.nan), ValueError, "nan"),
        (lambda: SoftmaxBase("e"), TypeError, "base must be a number"),
        (lambda: mellowmax([1.0, 2.0], -1.0), ValueError, "omega must be >= 0"),
        (lambda: mellowmax([1.0, np.nan], 1.0), ValueError, "NaN"),
        (lambda: mellowmax([[1.0, 2.0]], [1.0, 2.0]), ValueError, "does not match the rows"),
    ],
)  # fmt: skip
def test_invalid_parameters_raise_naming_the_value(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


# ---------------------------------------------------------------------- sparsemax


def sparsemax_brute_force(z):
    """Try every support S: tau = (sum_S z - 1)/|S| must separate S from the rest."""
    k = len(z)
    for size in range(1, k + 1):
        for s in itertools.combinations(range(k), size):
            inside = np.zeros(k, dtype=bool)
            inside[list(s)] = True
            tau = (z[inside].sum() - 1.0) / size
            if (z[inside] > tau).all() and (z[~inside] <= tau).all():
                return np.where(inside, z - tau, 0.0)
    raise AssertionError("no support found")


@pytest.mark.parametrize("seed", range(5))
def test_sparsemax_equals_brute_force_over_supports(seed):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(40, 6)) * rng.choice([0.1, 1.0, 5.0], size=(40, 1))
    q[::4] = q[::4].round(0)  # ties
    for t in (0.3, 1.0, 4.0):
        p = Sparsemax(t).probs(q)
        for row, got in zip(q, p):
            np.testing.assert_allclose(got, sparsemax_brute_force(row / t), rtol=1e-12, atol=1e-15)


def test_sparsemax_is_the_euclidean_projection_on_the_simplex():
    rng = np.random.default_rng(3)
    for _ in range(5):
        z = rng.normal(size=5)
        res = scipy.optimize.minimize(
            lambda p, z=z: ((p - z) ** 2).sum(),
            np.full(5, 0.2),
            jac=lambda p, z=z: 2 * (p - z),
            bounds=[(0, 1)] * 5,
            constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1}],
            method="SLSQP",
            options={"ftol": 1e-14, "maxiter": 500},
        )
        np.testing.assert_allclose(Sparsemax(1.0).probs(z), res.x, atol=1e-6)


def test_sparsemax_two_actions_is_the_hard_sigmoid():
    a = np.linspace(-3, 3, 61)
    q = np.stack([a, np.zeros_like(a)], -1)
    np.testing.assert_allclose(Sparsemax(1.0).probs(q)[:, 0], np.clip((a + 1) / 2, 0, 1))


def test_sparsemax_and_entmax_exact_zeros_translation_invariance_and_limits():
    q = np.array([0.0, 0.9, 1.0, -3.0, 1.0])
    for cls, gap in ((Sparsemax, 1.0), (Entmax15, 2.0)):
        pi = cls(temperature=0.5)
        p = pi.probs(q)
        assert (p[q <= q.max() - gap * 0.5] == 0).all() and (p[q > 0.5] > 0).all()
        np.testing.assert_allclose(pi.probs(q + 1e6), p, atol=1e-9)
        np.testing.assert_allclose(pi.probs(q - 7.25), p, rtol=1e-14, atol=1e-16)
        np.testing.assert_array_equal(cls(0).probs(q), Greedy().probs(q))
        np.testing.assert_array_equal(cls(1e-300).probs(q), Greedy().probs(q))
        np.testing.assert_allclose(cls(math.inf).probs(q), 0.2, rtol=1e-15)
        assert pi.log_prob(q, 3) == -np.inf
        assert np.argsort(p, kind="stable").tolist()[-2:] in ([2, 4], [4, 2])  # monotone


def test_sparse_policies_per_row_temperatures_and_schedules():
    q = np.random.default_rng(4).normal(size=(4, 5))
    temps = np.array([0.0, 0.1, 1.0, np.inf])
    for cls in (Sparsemax, Entmax15):
        batched = cls(temps).probs(q)
        for i, t in enumerate(temps):
            np.testing.assert_allclose(batched[i], cls(t).probs(q[i]), rtol=1e-15, atol=0)
        annealed = cls(Linear(1.0, 0.0, 10))
        np.testing.assert_array_equal(annealed.probs(q[0], step=10), Greedy().probs(q[0]))
        np.testing.assert_allclose(annealed.probs(q[0], step=5), cls(0.5).probs(q[0]))


def test_sparse_policies_keep_float32():
    q = np.array([0.0, 0.5, 1.0], dtype=np.float32)
    for pi in (Sparsemax(1.0), Entmax15(1.0)):
        p = pi.probs(q)
        assert p.dtype == np.float32 and math.isclose(float(p.sum()), 1.0, rel_tol=1e-6)


# ---------------------------------------------------------------------- 1.5-entmax


def entmax15_bisection(z):
    """tau solving sum([z/2 - tau]_+^2) = 1 by bisection, an algorithm independent of the sort."""
    x = z / 2.0
    lo, hi = x.max() - 1.0, x.max()
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if (np.maximum(x - mid, 0.0) ** 2).sum() >= 1.0:
            lo = mid
        else:
            hi = mid
    p = np.maximum(x - lo, 0.0) ** 2
    return p / p.sum()


@pytest.mark.parametrize("seed", range(5))
def test_entmax15_equals_the_bisection_reference(seed):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(60, 7)) * rng.choice([0.1, 1.0, 10.0], size=(60, 1))
    q[::3] = q[::3].round(0)
    for t in (0.25, 1.0, 3.0):
        p = Entmax15(t).probs(q)
        for row, got in zip(q, p):
            np.testing.assert_allclose(got, entmax15_bisection(row / t), rtol=1e-9, atol=1e-13)


def test_entmax15_maximizes_value_plus_tsallis_entropy():
    rng = np.random.default_rng(5)
    for _ in range(4):
        z = rng.normal(size=4)

        def objective(p, z=z):
            p = np.maximum(p, 0.0)
            return -(p @ z + (1.0 - (p**1.5).sum()) / 0.75)

        res = scipy.optimize.minimize(
            objective,
            np.full(4, 0.25),
            bounds=[(0, 1)] * 4,
            constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1}],
            method="SLSQP",
            options={"ftol": 1e-14, "maxiter": 500},
        )
        np.testing.assert_allclose(Entmax15(1.0).probs(z), res.x, atol=2e-5)


def test_entmax15_lies_between_softmax_and_sparsemax_in_sparsity():
    q = np.array([0.0, 0.4, 1.0, 1.2, -0.5])
    n_soft = (Boltzmann(1.0).probs(q) > 0).sum()
    n_ent = (Entmax15(1.0).probs(q) > 0).sum()
    n_sparse = (Sparsemax(1.0).probs(q) > 0).sum()
    assert n_soft >= n_ent >= n_sparse and n_soft > n_sparse


# ----------------------------------------------------------------------- mellowmax


def mellowmax_decimal(q, omega):
    """log(mean(exp(omega q))) / omega with 60 significant digits."""
    with localcontext() as ctx:
        ctx.prec = 60
        w = Decimal(omega)
        s = sum((w * Decimal(float(v))).exp() for v in q) / len(q)
        return float(s.ln() / w)


@pytest.mark.parametrize("omega", [1e-12, 1e-6, 0.01, 1.0, 30.0, 1e4])
def test_mellowmax_against_high_precision(omega):
    rng = np.random.default_rng(6)
    for q in rng.normal(size=(10, 5)) * 3:
        assert math.isclose(float(mellowmax(q, omega)), mellowmax_decimal(q, omega), rel_tol=1e-13)


def test_mellowmax_is_logsumexp_minus_its_bias():
    q = np.random.default_rng(7).normal(size=(20, 6))
    for omega in (0.5, 2.0, 10.0):
        ref = logsumexp(q, 1.0 / omega) - np.log(6) / omega
        np.testing.assert_allclose(mellowmax(q, omega), ref, rtol=1e-12, atol=1e-14)


def test_mellowmax_limits_axis_mask_and_per_row_omega():
    q = np.array([[1.0, 2.0, 6.0], [0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(mellowmax(q, 0.0), [3.0, 1.0])
    np.testing.assert_array_equal(mellowmax(q, math.inf), [6.0, 3.0])
    np.testing.assert_allclose(mellowmax(q, 1e-9), [3.0, 1.0], rtol=1e-8)
    np.testing.assert_allclose(mellowmax(q, 1e9), [6.0, 3.0], rtol=1e-8)
    np.testing.assert_allclose(mellowmax(q.T, 2.0, axis=0), mellowmax(q, 2.0), rtol=1e-15)
    per_row = mellowmax(q, np.array([0.5, 4.0]))
    assert per_row[0] == mellowmax(q[0], 0.5) and per_row[1] == mellowmax(q[1], 4.0)
    # -inf and masked entries are excluded: K counts the allowed ones
    assert mellowmax([1.0, -np.inf, 2.0], 1.0) == mellowmax([1.0, 2.0], 1.0)
    masked = mellowmax([1.0, 50.0, 2.0], 1.0, mask=np.array([True, False, True]))
    assert masked == mellowmax([1.0, 2.0], 1.0)
    assert isinstance(mellowmax([1.0, 2.0], 1.0), np.floating)


def test_mellowmax_increases_with_omega():
    q = np.array([0.0, 1.0, 1.5, -2.0])
    values = [float(mellowmax(q, w)) for w in np.geomspace(1e-3, 1e3, 50)]
    assert np.all(np.diff(values) > 0)


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
rows = st.integers(2, 6).flatmap(lambda k: hnp.arrays(np.float64, k, elements=finite))
omegas = st.floats(1e-6, 1e6)


@settings(max_examples=200, deadline=None)
@given(q=rows, omega=omegas)
def test_mellowmax_lies_between_mean_and_max(q, omega):
    mm = float(mellowmax(q, omega))
    tol = 1e-12 * (1.0 + np.abs(q).max())
    assert q.mean() - tol <= mm <= q.max()


@settings(max_examples=200, deadline=None)
@given(data=st.data(), omega=omegas)
def test_mellowmax_is_a_non_expansion(data, omega):
    k = data.draw(st.integers(2, 6))
    x = data.draw(hnp.arrays(np.float64, k, elements=finite))
    y = data.draw(hnp.arrays(np.float64, k, elements=finite))
    gap = abs(float(mellowmax(x, omega)) - float(mellowmax(y, omega)))
    assert gap <= np.abs(x - y).max() + 1e-12 * (1.0 + np.abs(x).max() + np.abs(y).max())


def test_boltzmann_weighted_average_is_not_a_non_expansion():
    # Two values [0, a]: the average is a * sigmoid(a / T), whose slope in a is
    # sigmoid(a/T) (1 + (a/T)(1 - sigmoid(a/T))) > 1 around a = 1.5 T (the kind of
    # counter-example of Asadi & Littman 2017, sec. 3).
    x, y = np.array([0.0, 1.5]), np.array([0.0, 2.0])
    distance = np.abs(x - y).max()  # 0.5
    gap = abs(boltzmann_weighted_average(y, 1.0) - boltzmann_weighted_average(x, 1.0))
    assert gap == pytest.approx(2 * scipy.special.expit(2) - 1.5 * scipy.special.expit(1.5))
    assert gap > distance + 0.03
    # mellowmax at any omega stays within the distance for the same pair
    for omega in (0.1, 1.0, 10.0, 100.0):
        assert abs(mellowmax(y, omega) - mellowmax(x, omega)) <= distance


def test_boltzmann_weighted_average_limits_and_excluded_entries():
    q = np.array([1.0, 3.0, 3.0, -np.inf])
    assert boltzmann_weighted_average(q, 0.0) == 3.0
    assert boltzmann_weighted_average(q, math.inf) == pytest.approx(7.0 / 3.0)
    p = softmax(q, 0.7)
    assert boltzmann_weighted_average(q, 0.7) == pytest.approx(p[:3] @ q[:3], rel=1e-15)


def test_value_iteration_with_mellowmax_has_one_fixed_point():
    # A non-expansion makes the Bellman operator a gamma-contraction: two starts
    # converge to the same values.
    rng = np.random.default_rng(8)
    n_s, n_a, gamma = 6, 3, 0.9
    p = rng.dirichlet(np.ones(n_s), size=(n_s, n_a))
    r = rng.normal(size=(n_s, n_a))
    finals = []
    for start in (np.zeros((n_s, n_a)), rng.normal(size=(n_s, n_a)) * 50):
        q = start
        for _ in range(400):
            q = r + gamma * p @ mellowmax(q, 5.0)
        finals.append(q)
    np.testing.assert_allclose(finals[0], finals[1], atol=1e-12)


# ---------------------------------------------------------------- mellowmax policy


def beta_brentq(q, omega):
    mm = mellowmax_decimal(q, omega)
    top = q.max()

    def f(b):
        return float(np.sum(np.exp(b * (q - top)) * (q - mm)))

    hi = 1.0
    while f(hi) < 0:
        hi *= 2
    return scipy.optimize.brentq(f, 0.0, hi, xtol=1e-15, rtol=1e-14)


@pytest.mark.parametrize("omega", [1e-4, 0.1, 1.0, 5.0, 100.0])
def test_mellowmax_beta_matches_brentq(omega):
    rng = np.random.default_rng(9)
    q = rng.normal(size=(15, 5)) * 2
    q[::3] = q[::3].round(0)
    beta = Mellowmax(omega).beta(q)
    for row, b in zip(q, beta):
        assert b == pytest.approx(beta_brentq(row, omega), rel=1e-9)


def test_mellowmax_policy_expected_value_is_mellowmax():
    rng = np.random.default_rng(10)
    q = rng.normal(size=(500, 8)) * np.exp(rng.normal(size=(500, 1)) * 2)
    omega = np.exp(rng.uniform(-6, 6, size=500))
    p = Mellowmax(omega).probs(q)
    spread = q.max(-1) - q.min(-1)
    residual = np.abs((p * q).sum(-1) - mellowmax(q, omega)) / spread
    assert residual.max() < 1e-12


def test_mellowmax_policy_is_the_maximum_entropy_distribution_with_that_mean():
    q = np.array([0.0, 0.4, 1.0, 2.0, -1.0])
    p = Mellowmax(2.0).probs(q)
    h = entropy(p)
    rng = np.random.default_rng(11)
    ones = np.ones(5)
    for _ in range(50):
        v = rng.normal(size=5)
        basis = np.stack([ones, q])  # keep sum(p) = 1 and p @ q fixed
        v -= basis.T @ np.linalg.lstsq(basis.T, v, rcond=None)[0]
        other = p + 0.05 * v / np.abs(v).max() * p.min()
        assert other @ q == pytest.approx(p @ q) and entropy(other) < h


def test_mellowmax_policy_limits_and_equal_values():
    q = np.array([1.0, 3.0, 3.0, 0.0])
    np.testing.assert_array_equal(Mellowmax(math.inf).probs(q), Greedy().probs(q))
    np.testing.assert_array_equal(Mellowmax(0.0).probs(q), np.full(4, 0.25))
    # every beta solves the equation when all values are equal: the uniform policy
    np.testing.assert_array_equal(Mellowmax(3.0).probs(np.full(4, 7.5)), np.full(4, 0.25))
    assert Mellowmax(3.0).beta(np.full(4, 7.5)) == 0.0
    # excluded actions get nothing; the rest are treated as a smaller row
    p = Mellowmax(2.0).probs(np.array([1.0, -np.inf, 3.0]))
    assert p[1] == 0.0
    np.testing.assert_allclose(p[[0, 2]], Mellowmax(2.0).probs(np.array([1.0, 3.0])))


def test_mellowmax_policy_temperature_adapts_to_the_spread():
    beta = Mellowmax(5.0).beta(np.array([[0.0, 0.1, 0.2], [0.0, 10.0, 20.0]]))
    assert beta[0] > beta[1]  # a softer policy where the values are far apart


def test_mellowmax_policy_batched_equals_row_by_row_and_schedule():
    rng = np.random.default_rng(12)
    q = rng.normal(size=(30, 4))
    omega = np.exp(rng.uniform(-3, 3, size=30))
    batched = Mellowmax(omega).probs(q)
    for i in range(30):
        np.testing.assert_allclose(batched[i], Mellowmax(float(omega[i])).probs(q[i]), rtol=1e-12)
    annealed = Mellowmax(Linear(0.5, 20.0, 50))
    np.testing.assert_allclose(annealed.probs(q[0], step=50), Mellowmax(20.0).probs(q[0]))


def test_mellowmax_policy_raises_when_the_spread_overflows():
    with pytest.raises(ValueError, match="overflows float64"):
        Mellowmax(1.0).probs(np.array([1.7e308, -1.7e308]))


# --------------------------------------------------------------- softmax with a base


@pytest.mark.parametrize("base", [1.001, 1.5, 2.0, math.e, 10.0, 1e6])
def test_softmax_with_base_b_is_boltzmann_at_temperature_one_over_ln_b(base):
    q = np.random.default_rng(13).normal(size=(10, 4)) * 3
    pi = SoftmaxBase(base)
    assert pi.temperature == pytest.approx(1.0 / math.log(base), rel=1e-15)
    np.testing.assert_allclose(
        pi.probs(q), Boltzmann(1.0 / math.log(base)).probs(q), rtol=1e-14, atol=1e-300
    )
    with np.errstate(under="ignore"):
        direct = base**q / (base**q).sum(-1, keepdims=True)
    np.testing.assert_allclose(pi.probs(q), direct, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(pi.log_prob(q, 1), np.log(direct[:, 1]), rtol=1e-10)
    # (the direct entropy of a nearly one-hot row is the less accurate of the two)
    ref = [entropy(row) for row in direct]
    np.testing.assert_allclose(pi.entropy(q), ref, rtol=1e-10, atol=1e-15)


def test_softmax_base_limits():
    q = np.array([1.0, 3.0, 3.0])
    np.testing.assert_array_equal(SoftmaxBase(1.0).probs(q), np.full(3, 1 / 3))
    np.testing.assert_array_equal(SoftmaxBase(math.inf).probs(q), [0.0, 0.5, 0.5])
    assert SoftmaxBase() == SoftmaxBase(math.e) and SoftmaxBase().temperature == 1.0
    assert parse_policy("softmax_base(base=inf)").temperature == 0.0


# ------------------------------------------------------------ registry, text form


@pytest.mark.parametrize(
    "text,expected",
    [
        ("normalize", Normalize()),
        ("normalize(kind=abs)", Normalize("abs")),
        ("normalize(kind=square)", Normalize("square")),
        ("sparsemax(temperature=0.5)", Sparsemax(0.5)),
        ("sparsemax(temperature=linear(1, 0.1, 100))", Sparsemax(Linear(1.0, 0.1, 100))),
        ("entmax15(temperature=2)", Entmax15(2.0)),
        ("mellowmax(omega=5)", Mellowmax(5.0)),
        ("softmax_base(base=2)", SoftmaxBase(2.0)),
    ],
)
def test_text_forms_of_the_issue_parse_and_round_trip(text, expected):
    policy = parse_policy(text)
    assert policy == expected
    assert parse_policy(repr(policy)) == policy


def test_one_registry_holds_the_alternatives():
    registry = policy_registry()
    assert registry == POLICY_NAMES
    assert set(ALTERNATIVE_NAMES) == {
        "normalize",
        "sparsemax",
        "entmax15",
        "mellowmax",
        "softmax_base",
    }
    for name, cls in ALTERNATIVE_NAMES.items():
        assert cls.text_name == name
        assert registry[name] is cls
    registry["x"] = object  # a fresh dict: changing it changes neither registry
    assert "x" not in policy_registry()


# ------------------------------------------- why softmax: the properties, by name
# docs/why-softmax.md cites these tests; experiments/why_softmax.py draws the figures.


def test_softmax_is_positive_for_every_real_input():
    q = np.array([-700.0, -5.0, 0.0, 3.0, 700.0]) / 100.0  # any finite spread of 14
    assert (softmax(q) > 0).all()
    # plain normalization of the same values is not a probability at all
    with pytest.raises(ValueError, match="negative"):
        Normalize().probs(q)


@settings(max_examples=100, deadline=None)
@given(q=rows, t=st.floats(1e-2, 1e2))
def test_softmax_is_monotone(q, t):
    p = softmax(q, t)
    order = np.argsort(q, kind="stable")
    assert np.all(np.diff(p[order]) >= 0)


def test_softmax_is_translation_invariant_but_not_scale_invariant():
    q = np.array([0.0, 1.0, 2.5])
    for c in (-5.0, 5.0, 1e6):
        np.testing.assert_allclose(softmax(q + c), softmax(q), rtol=1e-9)
    # scaling the values by c is dividing the temperature by c
    np.testing.assert_allclose(softmax(10.0 * q), softmax(q, 0.1), rtol=1e-14)
    assert not np.allclose(softmax(10.0 * q), softmax(q))


def test_two_class_softmax_is_the_logistic_function():
    a = np.linspace(-30, 30, 121)
    p = softmax(np.stack([a, np.zeros_like(a)], -1))[:, 0]
    np.testing.assert_allclose(p, scipy.special.expit(a), rtol=1e-14)


def test_softmax_is_the_gradient_of_logsumexp():
    rng = np.random.default_rng(17)
    for t in (0.5, 1.0, 3.0):
        q = rng.normal(size=5)
        h = 1e-6
        grad = [(logsumexp(q + h * e, t) - logsumexp(q - h * e, t)) / (2 * h) for e in np.eye(5)]
        np.testing.assert_allclose(grad, softmax(q, t), rtol=1e-7, atol=1e-10)


def test_softmax_is_the_maximum_entropy_distribution_for_its_expected_value():
    # Gibbs: softmax(q, T) maximizes p.q + T H(p), and the maximum is logsumexp(q, T).
    rng = np.random.default_rng(18)
    for t in (0.5, 2.0):
        q = rng.normal(size=4)

        def objective(p, q=q, t=t):
            p = np.clip(p, 1e-300, 1.0)
            return -(p @ q - t * (p * np.log(p)).sum())

        res = scipy.optimize.minimize(
            objective,
            np.full(4, 0.25),
            bounds=[(1e-12, 1)] * 4,
            constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1}],
            method="SLSQP",
            options={"ftol": 1e-15, "maxiter": 500},
        )
        np.testing.assert_allclose(res.x, softmax(q, t), atol=1e-5)
        assert -res.fun == pytest.approx(float(logsumexp(q, t)), abs=1e-9)


def test_temperature_limits_are_argmax_and_uniform():
    q = np.array([0.2, 1.0, 1.0, -3.0])
    np.testing.assert_array_equal(softmax(q, 0.0), [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(softmax(q, 1e-3), [0.0, 0.5, 0.5, 0.0], atol=1e-300)
    np.testing.assert_array_equal(softmax(q, math.inf), np.full(4, 0.25))
    np.testing.assert_allclose(softmax(q, 1e9), 0.25, rtol=1e-8)


def test_gradient_of_log_softmax_is_one_hot_minus_the_probabilities():
    rng = np.random.default_rng(19)
    q, t, h = rng.normal(size=5), 0.7, 1e-6
    p = softmax(q, t)
    for a in range(5):
        grad = [
            (log_softmax(q + h * e, t)[a] - log_softmax(q - h * e, t)[a]) / (2 * h)
            for e in np.eye(5)
        ]
        np.testing.assert_allclose(grad, (np.eye(5)[a] - p) / t, rtol=1e-6, atol=1e-9)


# -------------------------------------------------------------- the figure script


def _script():
    path = ROOT / "experiments" / "why_softmax.py"
    spec = importlib.util.spec_from_file_location("why_softmax", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_why_softmax_script_draws_every_figure(tmp_path):
    written = _script().main(["--out", str(tmp_path)])
    assert len(written) == 8 and all(p.stat().st_size > 1000 for p in written)


def test_why_softmax_page_examples_run():
    result = doctest.testfile(
        str(ROOT / "docs" / "why-softmax.md"),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert result.attempted > 0 and result.failed == 0
