"""The softmax core's contract, one named test per clause."""

from __future__ import annotations

import decimal
import math
import warnings

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import boltzmann_rl as br
from boltzmann_rl import (
    as_generator,
    log_softmax,
    logsumexp,
    softmax,
    softmax_entropy,
    softmax_sample,
)

FLOATS = [np.float64, np.float32]
BIG = np.finfo(np.float64).max


def reference_softmax(x, t=1.0):
    """Softmax in 60-digit decimal arithmetic: the high-precision reference."""
    ctx = decimal.Context(prec=60)
    xs = [decimal.Decimal(float(v)) for v in x]
    t = decimal.Decimal(float(t))
    m = max(xs)
    e = [ctx.exp(ctx.divide(v - m, t)) for v in xs]
    s = sum(e, decimal.Decimal(0))
    return np.array([float(ctx.divide(v, s)) for v in e]), [
        float(ctx.ln(ctx.divide(v, s))) if v > 0 else -math.inf for v in e
    ]


def reference_logsumexp(x, t=1.0):
    ctx = decimal.Context(prec=60)
    xs = [decimal.Decimal(float(v)) for v in x]
    t = decimal.Decimal(float(t))
    m = max(xs)
    s = sum((ctx.exp(ctx.divide(v - m, t)) for v in xs), decimal.Decimal(0))
    return float(m + t * ctx.ln(s))


finite = st.floats(allow_nan=False, allow_infinity=False)
finite32 = st.floats(allow_nan=False, allow_infinity=False, width=32)


def logits(dtype=np.float64, max_side=6):
    elements = finite if dtype == np.float64 else finite32
    return hnp.arrays(
        dtype,
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=max_side),
        elements=elements,
    )


temperatures = st.one_of(
    st.just(0.0),
    st.just(math.inf),
    st.floats(min_value=1e-300, max_value=1e300),
)


# ------------------------------------------------------------------ probability vector


@pytest.mark.parametrize("dtype", FLOATS)
@settings(max_examples=200, deadline=None)
@given(data=st.data(), t=temperatures)
def test_any_real_input_gives_a_probability_vector(dtype, data, t):
    x = data.draw(logits(dtype))
    p = softmax(x, t)
    assert p.dtype == dtype
    assert p.shape == x.shape
    assert np.all((p >= 0) & (p <= 1))
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=0, atol=8 * eps)


def test_integer_and_bool_input_is_computed_in_float64():
    assert softmax([1, 2, 3]).dtype == np.float64
    assert softmax(np.array([True, False])).dtype == np.float64
    np.testing.assert_array_equal(softmax([1, 2, 3]), softmax([1.0, 2.0, 3.0]))


def test_float32_in_float32_out_for_every_function():
    x = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    assert softmax(x).dtype == np.float32
    assert log_softmax(x).dtype == np.float32
    assert logsumexp(x).dtype == np.float32
    assert softmax_entropy(x).dtype == np.float32


@pytest.mark.parametrize("dtype", FLOATS)
def test_extreme_magnitudes_up_to_the_largest_float(dtype):
    big = np.finfo(dtype).max
    x = np.array([big, -big, big, 0.0], dtype=dtype)
    np.testing.assert_array_equal(softmax(x), np.array([0.5, 0, 0.5, 0], dtype=dtype))
    np.testing.assert_array_equal(log_softmax(x)[1], -np.inf)
    # max + log 2 rounds back to max: the correctly rounded answer, not an overflow
    assert logsumexp(np.array([big, big], dtype=dtype)) == big
    assert logsumexp(np.array([-big, -big], dtype=dtype)) == -big
    assert logsumexp(np.array([big, big], dtype=dtype), 1e300) == np.inf  # truly beyond


def test_difference_beyond_float_range_divided_by_a_large_temperature():
    # (-max - max) / 1e307 = -35.95..., representable although -2*max is not.
    x = np.array([BIG, -BIG])
    t = 1e307
    p = softmax(x, t)
    expected = 1 / (1 + math.exp(-2 * (BIG / t)))
    np.testing.assert_allclose(p[0], expected, rtol=1e-14)
    d = 2 * (BIG / t)
    np.testing.assert_allclose(log_softmax(x, t)[1], -d - math.log1p(math.exp(-d)), rtol=1e-14)


# ------------------------------------------------------------ references and precision


@pytest.mark.parametrize(
    "x,t",
    [
        ([1.0, 2.0, 3.0], 1.0),
        ([0.0, -30.0], 1.0),
        ([1e-10, 2e-10, -3e-10], 1e-9),
        ([100.0, 101.0, 99.5, -1e4], 0.7),
        ([5.0, 5.0, 5.0 - 1e-12], 1e-13),
        ([-1e5, -1e5 + 3, 0.25 - 1e5], 2.5),
    ],
)
def test_matches_high_precision_reference(x, t):
    ref_p, ref_log = reference_softmax(x, t)
    np.testing.assert_allclose(softmax(x, t), ref_p, rtol=1e-13, atol=0)
    np.testing.assert_allclose(log_softmax(x, t), ref_log, rtol=1e-13, atol=0)
    np.testing.assert_allclose(logsumexp(x, t), reference_logsumexp(x, t), rtol=1e-14)


def test_log_softmax_keeps_precision_of_the_largest_entry():
    # log p0 = -log1p(exp(-30)) = -9.357e-14: log(1 + tiny) loses 3 digits, log1p does not.
    got = log_softmax([0.0, -30.0])[0]
    assert got == pytest.approx(-math.log1p(math.exp(-30.0)), rel=1e-15)


def test_log_softmax_where_log_of_softmax_underflows():
    np.testing.assert_array_equal(log_softmax([1000.0, 1.0]), [0.0, -999.0])
    with np.errstate(divide="ignore"):
        assert np.log(softmax([1000.0, 1.0]))[1] == -np.inf


@settings(max_examples=100, deadline=None)
@given(
    x=hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=1, max_dims=3), elements=st.floats(-1e6, 1e6)
    ),
    t=st.floats(min_value=1e-3, max_value=1e3),
)
def test_agrees_with_scipy_on_moderate_input(x, t):
    np.testing.assert_allclose(
        softmax(x, t), scipy.special.softmax(x / t, axis=-1), rtol=1e-10, atol=1e-300
    )


# --------------------------------------------------------------------------- invariances


@settings(max_examples=200, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-1e6, 1e6)),
    c=st.floats(-1e6, 1e6),
    t=st.floats(1e-2, 1e2),
)
def test_translation_invariance(x, c, t):
    np.testing.assert_allclose(softmax(x + c, t), softmax(x, t), rtol=1e-6, atol=1e-12)


def test_no_scale_invariance():
    x = np.array([1.0, 2.0])
    assert not np.allclose(softmax(2 * x), softmax(x))
    # ... because scaling the logits is the same as changing the temperature
    np.testing.assert_allclose(softmax(2 * x), softmax(x, temperature=0.5), rtol=1e-15)


@settings(max_examples=200, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(2, 8), elements=st.floats(-100, 100)),
    i=st.integers(0, 7),
    delta=st.floats(1e-3, 10),
)
def test_monotone_in_each_logit(x, i, delta):
    i = i % x.size
    y = x.copy()
    y[i] += delta
    p, q = softmax(x), softmax(y)
    assert q[i] >= p[i]
    others = np.arange(x.size) != i
    assert np.all(q[others] <= p[others])


@settings(max_examples=200, deadline=None)
@given(a=st.floats(-700, 700), b=st.floats(-700, 700))
def test_two_classes_give_the_logistic_function(a, b):
    p = softmax([a, b])
    np.testing.assert_allclose(p[0], scipy.special.expit(a - b), rtol=1e-14, atol=1e-300)


@settings(max_examples=200, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-1e3, 1e3)),
    t=st.floats(1e-2, 1e2),
)
def test_temperature_is_dividing_the_logits(x, t):
    np.testing.assert_allclose(softmax(x, t), softmax(x / t), rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(logsumexp(x, t), t * logsumexp(x / t), rtol=1e-12, atol=1e-12)


def test_softmax_is_the_gradient_of_logsumexp():
    rng = np.random.default_rng(3)
    for t in (0.3, 1.0, 7.0):
        x = rng.normal(size=6) * 3
        h = 1e-6
        grad = np.array(
            [(logsumexp(x + h * e, t) - logsumexp(x - h * e, t)) / (2 * h) for e in np.eye(6)]
        )
        np.testing.assert_allclose(grad, softmax(x, t), rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------- per-row temperature


def test_per_row_temperatures_equal_row_by_row_calls():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 4)) * 10
    t = np.array([0.0, 0.01, 1.0, 1e300, np.inf])
    p = softmax(x, t)
    for i in range(5):
        np.testing.assert_array_equal(p[i], softmax(x[i], t[i]))
        np.testing.assert_array_equal(log_softmax(x, t)[i], log_softmax(x[i], t[i]))
        assert logsumexp(x, t)[i] == logsumexp(x[i], t[i])


def test_per_row_temperatures_along_another_axis():
    x = np.arange(12.0).reshape(3, 4)
    t = np.array([0.5, 1.0, 2.0, 4.0])  # one per column when axis=0
    p = softmax(x, t, axis=0)
    for j in range(4):
        np.testing.assert_allclose(p[:, j], softmax(x[:, j], t[j]), rtol=1e-15)


def test_temperature_broadcasts_over_rows():
    x = np.zeros((2, 3, 4))
    p = softmax(x, np.array([[1.0], [2.0]]))
    np.testing.assert_allclose(p, 0.25)


# ----------------------------------------------------------------------------- limits


def test_zero_temperature_is_argmax_with_ties_split():
    np.testing.assert_array_equal(softmax([1.0, 3.0, 3.0, 2.0], 0), [0, 0.5, 0.5, 0])
    np.testing.assert_array_equal(softmax([[1.0, 2.0], [5.0, 5.0]], 0), [[0, 1], [0.5, 0.5]])
    np.testing.assert_array_equal(
        log_softmax([1.0, 3.0, 3.0], 0), [-np.inf, -math.log(2), -math.log(2)]
    )
    assert logsumexp([1.0, 3.0, 3.0], 0) == 3.0


def test_infinite_temperature_is_uniform_over_allowed_entries():
    np.testing.assert_array_equal(
        softmax([1.0, 3.0, -np.inf, 1e300], np.inf), [1 / 3, 1 / 3, 0, 1 / 3]
    )
    np.testing.assert_array_equal(
        softmax([1.0, 3.0, 4.0], np.inf, mask=[True, False, True]), [0.5, 0, 0.5]
    )
    assert logsumexp([1.0, 2.0], np.inf) == np.inf
    assert logsumexp([2.0, -np.inf], np.inf) == 2.0  # a single allowed entry


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("t", [1e-300, 5e-324, 1e-45])
def test_tiny_temperatures_give_the_argmax(dtype, t):
    x = np.array([1.0, 1.0 + 1e-6, 0.5], dtype=dtype)
    np.testing.assert_array_equal(softmax(x, t), np.array([0, 1, 0], dtype=dtype))
    np.testing.assert_array_equal(softmax(np.array([2.0, 2.0], dtype=dtype), t), [0.5, 0.5])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("t", [1e300, 1e39, np.finfo(np.float64).max])
def test_huge_temperatures_give_the_uniform(dtype, t):
    x = np.array([1.0, 100.0, -50.0, -np.inf], dtype=dtype)
    np.testing.assert_allclose(
        softmax(x, t), np.array([1, 1, 1, 0], dtype=dtype) / 3, rtol=4 * np.finfo(dtype).eps
    )
    assert np.all(np.isfinite(log_softmax(x, t)[:3]))


@settings(max_examples=100, deadline=None)
@given(x=logits(), t=st.one_of(st.floats(0, 1e-300), st.floats(1e300, math.inf)))
def test_limits_never_give_nan(x, t):
    for f in (softmax, log_softmax, logsumexp, softmax_entropy):
        assert not np.isnan(f(x, t)).any()


# ------------------------------------------------------------- excluded and +inf entries


def test_negative_infinity_and_masked_entries_get_exactly_zero():
    x = np.array([0.0, -np.inf, 1.0, 2.0])
    p = softmax(x, mask=[True, True, True, False])
    assert p[1] == 0.0 and p[3] == 0.0
    np.testing.assert_allclose(p[[0, 2]], softmax([0.0, 1.0]), rtol=1e-15)
    lp = log_softmax(x, mask=[True, True, True, False])
    assert lp[1] == -np.inf and lp[3] == -np.inf
    for t in (0.0, 0.5, np.inf):
        assert softmax(x, t, mask=[True, True, True, False])[3] == 0.0


def test_mask_broadcasts_over_rows():
    x = np.zeros((3, 4))
    p = softmax(x, mask=np.array([True, False, True, True]))
    np.testing.assert_allclose(p[:, [0, 2, 3]], 1 / 3)
    assert np.all(p[:, 1] == 0)


def test_positive_infinity_entries_share_all_the_mass():
    for t in (0.0, 1e-3, 1.0, 1e300, np.inf):
        np.testing.assert_array_equal(softmax([np.inf, 5.0, np.inf, -np.inf], t), [0.5, 0, 0.5, 0])
    np.testing.assert_array_equal(log_softmax([np.inf, 0.0]), [0.0, -np.inf])
    assert logsumexp([np.inf, 0.0]) == np.inf


def test_excluded_maximum_is_ignored():
    p = softmax([10.0, 1.0, 2.0], 0, mask=[False, True, True])
    np.testing.assert_array_equal(p, [0, 0, 1])


# ------------------------------------------------------------------------ invalid input


def test_nan_anywhere_raises_naming_the_index():
    with pytest.raises(ValueError, match=r"NaN.*\[1\]"):
        softmax([0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match=r"NaN.*\[1, 0\]"):
        log_softmax([[0.0, 1.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="NaN"):  # even where masked out
        softmax([0.0, np.nan], mask=[True, False])
    with pytest.raises(ValueError, match="NaN"):
        softmax([np.inf, np.nan])


@pytest.mark.parametrize("bad", [-1.0, -1e-300, np.nan, -np.inf])
def test_negative_or_nan_temperature_raises(bad):
    for f in (softmax, log_softmax, logsumexp, softmax_entropy):
        with pytest.raises(ValueError, match="temperature must be >= 0"):
            f([1.0, 2.0], bad)
    with pytest.raises(ValueError, match=r"temperature.*index \[1\]"):
        softmax([[1.0, 2.0], [1.0, 2.0]], np.array([1.0, bad]))


def test_temperature_of_the_wrong_shape_raises():
    with pytest.raises(ValueError, match=r"temperature of shape \(3,\).*\(2,\)"):
        softmax(np.zeros((2, 4)), np.ones(3))


def test_non_numeric_input_raises_type_error():
    with pytest.raises(TypeError, match="temperature"):
        softmax([1.0], "hot")
    with pytest.raises(TypeError, match="logits"):
        softmax(["a", "b"])
    with pytest.raises(TypeError, match="mask"):
        softmax([1.0, 2.0], mask=[1, 0])


def test_empty_axis_raises():
    with pytest.raises(ValueError, match="empty axis"):
        softmax(np.zeros((3, 0)))
    with pytest.raises(ValueError, match="empty axis"):
        softmax([])


def test_scalar_and_bad_axis_raise():
    with pytest.raises(ValueError, match="scalar"):
        softmax(1.0)
    with pytest.raises(ValueError, match="axis 2"):
        softmax([1.0, 2.0], axis=2)


def test_every_entry_excluded_raises_naming_the_row():
    with pytest.raises(ValueError, match=r"every entry of a row is excluded.*row \[1\]"):
        softmax([[0.0, 1.0], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match="every entry"):
        softmax([0.0, 1.0], mask=[False, False])
    with pytest.raises(ValueError, match="every entry"):
        softmax_sample([-np.inf], 0)


def test_mask_that_does_not_broadcast_raises():
    with pytest.raises(ValueError, match=r"mask of shape \(3,\).*\(2, 4\)"):
        softmax(np.zeros((2, 4)), mask=np.ones(3, dtype=bool))


@settings(max_examples=100, deadline=None)
@given(x=logits(), t=temperatures)
def test_no_runtime_warning_for_valid_input(x, t):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        softmax(x, t)
        log_softmax(x, t)
        logsumexp(x, t)
        softmax_entropy(x, t)
        softmax_sample(x, 0, t)


# -------------------------------------------------------------------------- entropy


def test_entropy_matches_its_definition():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 7)) * 3
    for t in (0.2, 1.0, 5.0):
        ref = []
        for row in x:
            p, logp = reference_softmax(row, t)
            ref.append(-sum(pi * li for pi, li in zip(p, logp)))
        np.testing.assert_allclose(softmax_entropy(x, t), ref, rtol=1e-12)


def test_entropy_limits():
    assert softmax_entropy([3.0], 1.0) == 0.0
    assert softmax_entropy([1.0, 2.0, 2.0], 0.0) == pytest.approx(math.log(2), rel=1e-15)
    assert softmax_entropy([1.0, 2.0, 9.0, -np.inf], np.inf) == pytest.approx(
        math.log(3), rel=1e-15
    )
    assert softmax_entropy([0.0, 1000.0], 1.0) == 0.0


# -------------------------------------------------------------------------- sampling


@pytest.mark.parametrize("t", [0.5, 1.0, 3.0])
def test_sampling_follows_the_probabilities(t):
    """Seeded chi-square test at a false-alarm rate of 1e-3."""
    x = np.array([0.0, 0.5, 1.0, -1.0, 2.0])
    rng = np.random.default_rng(1234)
    n = 20_000
    draws = softmax_sample(np.broadcast_to(x, (n, x.size)), rng, t)
    counts = np.bincount(draws, minlength=x.size)
    expected = softmax(x, t) * n
    assert scipy.stats.chisquare(counts, expected).pvalue > 1e-3


def test_single_row_sampling_follows_the_probabilities():
    x = np.array([0.1, 0.4, -0.3, 1.2])
    rng = np.random.default_rng(99)
    n = 20_000
    counts = np.bincount([softmax_sample(x, rng) for _ in range(n)], minlength=4)
    assert scipy.stats.chisquare(counts, softmax(x) * n).pvalue > 1e-3


def test_sampling_never_draws_an_excluded_action_and_splits_ties():
    rng = np.random.default_rng(5)
    x = np.broadcast_to(np.array([2.0, -np.inf, 2.0, 1.0]), (10_000, 4))
    draws = softmax_sample(x, rng, 0.0)
    counts = np.bincount(draws, minlength=4)
    assert counts[1] == 0 and counts[3] == 0
    assert scipy.stats.binomtest(counts[0], 10_000).pvalue > 1e-3
    masked = softmax_sample(np.zeros((1000, 3)), rng, mask=np.array([False, True, False]))
    assert np.all(masked == 1)


def test_sampling_along_another_axis_and_per_row_temperatures():
    rng = np.random.default_rng(0)
    x = np.array([[0.0, 10.0], [10.0, 0.0], [0.0, 0.0]])
    out = softmax_sample(x, rng, np.array([0.0, 0.0]), axis=0)
    assert out.tolist() == [1, 0]
    assert isinstance(softmax_sample([1.0, 2.0], rng), int)


def test_same_seed_same_samples():
    x = np.random.default_rng(0).normal(size=(50, 6))
    np.testing.assert_array_equal(softmax_sample(x, 7), softmax_sample(x, 7))
    assert [softmax_sample([0.0, 1.0, 2.0], g) for g in [as_generator(3)] * 5] == [
        softmax_sample([0.0, 1.0, 2.0], g) for g in [as_generator(3)] * 5
    ]


# ----------------------------------------------------------------- fast path agreement


@settings(max_examples=200, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(1, 32), elements=finite),
    t=st.floats(1e-300, 1e300),
)
def test_small_row_fast_path_agrees_with_the_general_path(x, t):
    fast = softmax(x, t)
    general = softmax(x[None, :], t)[0]
    np.testing.assert_allclose(fast, general, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(softmax(list(x), t), general, rtol=1e-14, atol=1e-300)


def general_path(f, x, t, **kw):
    """``f(x, t)`` through the general path (an all-True mask disables every fast path)."""
    return f(x, t, mask=np.ones(np.shape(x), dtype=bool), **kw)


@st.composite
def narrow_logits(draw, max_rows=40, max_k=12):
    """Several rows of float64 logits within ~40 temperatures of each other, anywhere."""
    shape = draw(st.tuples(st.integers(2, max_rows), st.integers(1, max_k)))
    t = draw(st.floats(1e-200, 1e200))
    center = draw(st.floats(-1e300, 1e300))
    offsets = draw(hnp.arrays(np.float64, shape, elements=st.floats(-40, 0)))
    return center + offsets * t, t


@settings(max_examples=200, deadline=None)
@given(xt=narrow_logits())
def test_span_fast_path_agrees_with_the_general_path(xt):
    """Short float64 rows within 32 T of each other are shifted by the array's maximum."""
    x, t = xt
    for axis in (-1, 0):
        fast = softmax(x, t, axis=axis)
        general = general_path(softmax, x, t, axis=axis)
        assert fast.dtype == np.float64
        np.testing.assert_allclose(fast, general, rtol=2e-14, atol=1e-300)
        n = x.shape[axis]  # the sum of n rounded probabilities is 1 to ~n/2 ulp
        np.testing.assert_allclose(fast.sum(axis=axis), 1.0, rtol=0, atol=(n + 4) * 2.0**-52)


def test_span_fast_path_on_a_bandit_step_and_beyond_the_span():
    rng = np.random.default_rng(8)
    q = rng.random((2000, 10))  # q-values in [0, 1)
    for t in (1.0, 0.1, 1 / 32, 0.01):  # the last one is beyond the span: general path
        np.testing.assert_allclose(softmax(q, t), general_path(softmax, q, t), rtol=2e-14)
    # a row far below the others, each row exact on its own
    x = np.array([[0.0, 1.0], [-1000.0, -999.0]])
    np.testing.assert_array_equal(softmax(x)[0], softmax(x)[1])
    np.testing.assert_allclose(softmax(x)[1], softmax([-1000.0, -999.0]), rtol=1e-15)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(50, 7), (3, 40, 5), (7, 50)])
def test_nan_is_found_in_many_short_rows(dtype, shape):
    """The row maximum of short rows comes from argmax, which finds NaN as max does."""
    x = np.random.default_rng(1).normal(size=shape).astype(dtype)
    where = tuple(s // 2 for s in shape)
    x[where] = np.nan
    for f in (softmax, log_softmax, logsumexp, softmax_entropy):
        with pytest.raises(ValueError, match=rf"NaN.*{list(where)}".replace("[", r"\[")):
            f(x)
    with pytest.raises(ValueError, match="NaN"):
        softmax_sample(x, 0)
    with pytest.raises(ValueError, match="NaN"):
        softmax(x * 100)  # wide logits: the general path


@pytest.mark.parametrize("dtype", FLOATS)
def test_row_maxima_of_short_rows_with_infinities(dtype):
    x = np.zeros((40, 4), dtype=dtype)
    x[3] = [np.inf, 0.0, np.inf, -np.inf]
    x[7] = [-np.inf, 1.0, -np.inf, 1.0]
    p = softmax(x)
    np.testing.assert_array_equal(p[3], [0.5, 0, 0.5, 0])
    np.testing.assert_array_equal(p[7], [0, 0.5, 0, 0.5])
    np.testing.assert_allclose(p[0], 0.25)
    x[9] = -np.inf
    with pytest.raises(ValueError, match=r"every entry.*row \[9\]"):
        softmax(x)


def test_log_softmax_of_many_short_rows_equals_row_by_row():
    x = np.random.default_rng(4).normal(size=(300, 6)) * 5
    lp = log_softmax(x)
    lse = logsumexp(x, 0.7)
    for i in range(0, 300, 37):
        np.testing.assert_array_equal(lp[i], log_softmax(x[i]))
        assert lse[i] == logsumexp(x[i], 0.7)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("t", [1.0, 0.3, 1e-300, 1e300])
def test_blocked_path_for_large_arrays_equals_the_general_path(monkeypatch, dtype, t):
    """Large arrays are normalised a block of rows at a time, with the same values."""
    import boltzmann_rl._floor as floor

    monkeypatch.setattr(floor, "_BLOCK", 256)  # blocks of a few rows beyond 1 KiB
    x = (np.random.default_rng(6).normal(size=(3, 37, 50)) * 30).astype(dtype)
    np.testing.assert_array_equal(softmax(x, t), general_path(softmax, x, t))
    y = x.copy()
    y[1, 20, 7] = np.nan
    with pytest.raises(ValueError, match=r"NaN.*\[1, 20, 7\]"):
        softmax(y, t)
    y[1, 20] = [np.inf] * 2 + [0.0] * 48
    np.testing.assert_array_equal(softmax(y, t)[1, 20], [0.5] * 2 + [0.0] * 48)
    y[1, 20] = -np.inf
    with pytest.raises(ValueError, match=r"every entry.*row \[1, 20\]"):
        softmax(y, t)
    big = np.finfo(dtype).max
    y[1, 20] = [big, -big] * 25  # the shift overflows: the general path halves it
    np.testing.assert_array_equal(softmax(y, t), general_path(softmax, y, t))


def test_column_cumsum_equals_numpy_cumsum():
    from boltzmann_rl._floor import cumsum as _cumsum

    e = np.random.default_rng(2).random((500, 7))
    np.testing.assert_array_equal(_cumsum(e.copy(), 1), np.cumsum(e, axis=1))
    np.testing.assert_array_equal(_cumsum(e.copy(), 0), np.cumsum(e, axis=0))


@pytest.mark.parametrize("scale,dtype", [(1.0, np.float64), (100.0, np.float64), (1.0, np.float32)])
def test_sampling_many_short_rows_follows_the_probabilities(scale, dtype):
    """Span path (narrow float64), general path (wide) and float32, one chi-square each."""
    x = np.array([0.0, 0.05, 0.01, -0.01, 0.02]) * scale
    rows = np.tile(x, (20_000, 1)).astype(dtype)
    rows[::2] += 3.0 * scale  # a per-row constant changes nothing
    draws = softmax_sample(rows, np.random.default_rng(7), 0.01 * scale)
    counts = np.bincount(draws, minlength=x.size)
    expected = softmax(x, 0.01 * scale) * rows.shape[0]
    assert scipy.stats.chisquare(counts, expected).pvalue > 1e-3


class _ExtremeUniforms(np.random.Generator):
    """A generator whose uniforms are all ``u``: the ends of [0, 1)."""

    def __init__(self, u):
        super().__init__(np.random.PCG64(0))
        self.u = u

    def random(self, size=None, dtype=np.float64, out=None):
        return self.u if size is None else np.full(size, self.u)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("u", [0.0, 1.0 - 2.0**-53])
def test_sampling_never_draws_a_zero_weight_entry_at_the_ends_of_the_uniform(dtype, u):
    """Uniforms at both ends of [0, 1) land on allowed entries: one just below 1 is not
    rounded up to 1 in float32, so the excluded last entry is never drawn."""
    gen = _ExtremeUniforms(u)
    x = np.array([-np.inf, 0.3, 0.3, -np.inf], dtype=dtype)
    expected = 1 if u == 0.0 else 2
    assert softmax_sample(x, gen) == expected
    assert softmax_sample(x.tolist(), gen) == expected
    assert np.all(softmax_sample(np.tile(x, (100, 1)), gen) == expected)
    assert np.all(softmax_sample(np.tile(x, (100, 1)), gen, 0.0) == expected)


@settings(max_examples=100, deadline=None)
@given(
    x=hnp.arrays(
        np.float64,
        st.integers(1, 32),
        elements=st.one_of(finite, st.just(-math.inf)),
    ).filter(lambda a: np.isfinite(a).any()),
    t=st.one_of(st.floats(1e-300, 1e300), st.integers(1, 5)),
)
def test_small_row_fast_path_with_excluded_entries_agrees_with_the_general_path(x, t):
    general = general_path(softmax, x, t)
    np.testing.assert_allclose(softmax(x, t), general, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(softmax(x.tolist(), t), general, rtol=1e-14, atol=1e-300)
    assert np.all(softmax(x, t)[x == -np.inf] == 0.0)


def test_small_row_fast_path_keeps_dtypes_and_huge_temperatures():
    assert softmax([np.float32(1.0), np.float32(2.0)]).dtype == np.float32
    assert softmax([1, 2]).dtype == np.float64
    x = [BIG, -BIG]  # the difference overflows; only a huge T makes it matter
    np.testing.assert_allclose(softmax(x, 1e307), softmax(np.array([x]), 1e307)[0], rtol=1e-14)
    np.testing.assert_array_equal(softmax(x, 1.0), [1.0, 0.0])


# ---------------------------------------------------------------------------- rng


def test_as_generator_accepts_seeds_generators_and_none():
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    assert isinstance(as_generator(None), np.random.Generator)
    assert as_generator(5).random() == as_generator(5).random()
    assert (
        as_generator(np.random.SeedSequence(5)).random()
        == as_generator(np.random.SeedSequence(5)).random()
    )


def test_as_generator_rejects_legacy_and_bad_seeds():
    with pytest.raises(TypeError, match="RandomState"):
        as_generator(np.random.RandomState(0))
    with pytest.raises(ValueError, match="-1"):
        as_generator(-1)
    with pytest.raises(TypeError):
        as_generator(True)


def test_public_names_are_exported_and_documented():
    for name in br.__all__:
        obj = getattr(br, name)
        if name.startswith("__"):
            continue
        assert obj.__doc__ and "Examples" in obj.__doc__, name


def test_single_row_argmax_path_splits_ties_and_keeps_the_contract():
    rng = np.random.default_rng(8)
    row = np.array([1.0, 3.0, -np.inf, 3.0])
    draws = [softmax_sample(row, rng, 0.0) for _ in range(4000)]
    counts = np.bincount(draws, minlength=4)
    assert counts[0] == 0 and counts[2] == 0
    assert scipy.stats.binomtest(counts[1], 4000).pvalue > 1e-3
    assert softmax_sample([0.0, np.inf, 1.0], rng, 0) == 1  # +inf holds all the mass
    with pytest.raises(ValueError, match="NaN"):
        softmax_sample(np.array([0.0, np.nan]), rng, 0.0)
    with pytest.raises(ValueError, match="every entry"):
        softmax_sample(np.array([-np.inf, -np.inf]), rng, 0.0)


# ------------------------------------------------ one decision from one uniform (agents)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-50, 50) | st.just(-math.inf), min_size=1, max_size=12).filter(
        lambda r: max(r) > -math.inf
    ),
    st.sampled_from([1.0, 0.3, 5.0, 0.0]),
)
def test_one_uniform_draw_is_monotone_in_u_and_never_draws_an_excluded_action(row, t):
    # The draw from one uniform (policies' sample_row) is the inverse CDF: a
    # non-decreasing step function of u that draws only actions of positive
    # probability, the first at u = 0 and the last one of non-negligible probability at
    # u just below 1, even where rounding of the running total leaves it above 0 after
    # the last weight (the fallback branch).
    from boltzmann_rl._floor import small_choice

    p = br.softmax(np.array(row), t)
    us = [0.0, *np.linspace(0.0, 1.0, 513)[1:-1].tolist(), np.nextafter(1.0, 0.0)]
    draws = [small_choice(row, t, u) for u in us]
    assert draws == sorted(draws)
    assert all(p[a] > 0 for a in draws)
    assert p[draws[-1] + 1 :].sum() < 1e-15  # what lies beyond is below a double's u
    assert draws[0] == int(np.flatnonzero(p > 0)[0])


def test_one_uniform_draw_near_one_with_rounding_left_over():
    from boltzmann_rl._floor import small_choice

    # For this row the running total u * sum - w_0 - ... - w_5 stays >= 0 at the
    # largest u below 1; the draw is still the last action.
    row = [8.047169314794976, 8.527484705742912, -6.676872919350705, 1.6324400572267765,
           -8.307519568543375, 23.45808073840668]  # fmt: skip
    assert small_choice(row, 1.0, np.nextafter(1.0, 0.0)) == 5
    assert small_choice([*row[:5], -math.inf, row[5], -math.inf], 1.0, 0.9999999999999999) == 6


@pytest.mark.parametrize(
    ("base", "t"),
    [(-699.0, 1.0), (669.0, 1.0), (-1.0, 1.0), (-31.0, 0.5), (1.0, 3.0), (20.0, 0.1), (669.0, 3.0)],
)
def test_span_fast_path_without_the_shift_near_its_limits(base, t):
    # The weights are exp(x / T) unshifted at T = 1 for |x| < 700 (normal floats, finite
    # sums) and for |x / T| <= 32 otherwise; beyond (the last case) they are shifted.
    rng = np.random.default_rng(9)
    x = (base + rng.random((50, 10)) * 30.0) * t
    for axis in (-1, 0):
        np.testing.assert_allclose(
            softmax(x, t, axis=axis), general_path(softmax, x, t, axis=axis), rtol=2e-14
        )
    draws = softmax_sample(np.broadcast_to(x[0], (20_000, 10)), 3, t)
    p = softmax(x[0], t)
    counts = np.bincount(draws, minlength=10)
    keep = p * 20_000 >= 5
    assert (
        scipy.stats.chisquare(counts[keep], p[keep] / p[keep].sum() * counts[keep].sum()).pvalue
        > 1e-3
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("t", [1.0, 1e30, 1e300, 1.7e308, np.inf])
def test_logsumexp_of_a_single_allowed_or_infinite_entry_is_that_entry(dtype, t):
    # m + T * log(1) is m, not NaN where T overflows the dtype (1e300 in float32) or
    # is inf: T * 0 = NaN must never reach the result.
    x = np.array([[3.0, np.inf, -1.0, 1.0], [-np.inf, 2.0, -np.inf, -np.inf]], dtype=dtype)
    out = logsumexp(x, t)
    assert out.dtype == dtype
    assert out[0] == np.inf and out[1] == 2.0
    assert logsumexp(x[1], t) == 2.0 and logsumexp(x[0], t) == np.inf


def test_importing_the_core_loads_the_core_and_the_floor_only():
    import subprocess
    import sys

    code = (
        "import sys, boltzmann_rl.core; "
        "print(sorted(m for m in sys.modules if m.startswith('boltzmann_rl')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout.strip()
    assert loaded == str(
        ["boltzmann_rl", "boltzmann_rl._floor", "boltzmann_rl._version", "boltzmann_rl.core"]
    )
