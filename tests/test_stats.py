"""Confidence intervals (boltzmann_rl.stats) against scipy, which is test-only."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from boltzmann_rl.stats import ci_halfwidth, mean_ci, moving_average, normal_quantile, t_quantile


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 7, 10, 29, 30, 100, 249, 999, 1999, 1e4, 5e4])
@pytest.mark.parametrize("p", [0.6, 0.75, 0.9, 0.95, 0.975, 0.995, 0.9995, 0.025, 0.3])
def test_t_quantile_matches_scipy(p, df):
    assert t_quantile(p, df) == pytest.approx(sps.t.ppf(p, df), rel=1e-10)


@pytest.mark.parametrize("df", [1e5 + 1, 1e6, 1e8])
def test_t_quantile_large_df_uses_the_expansion(df):
    # scipy itself switches to cruder formulas here; the expansion is the reference
    z = normal_quantile(0.975)
    expected = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    assert t_quantile(0.975, df) == pytest.approx(expected, rel=1e-14)
    assert t_quantile(0.975, df) == pytest.approx(sps.t.ppf(0.975, df), rel=1e-9)


def test_t_quantile_symmetry_centre_and_infinity():
    assert t_quantile(0.5, 7) == 0.0
    assert t_quantile(0.025, 7) == -t_quantile(0.975, 7)
    assert t_quantile(0.975, math.inf) == normal_quantile(0.975)
    assert normal_quantile(0.975) == pytest.approx(1.959963984540054, rel=1e-15)
    # near the centre the quantile keeps its relative precision (df = 4 has pdf(0) = 3/8)
    assert t_quantile(0.5 + 1e-9, 4) == pytest.approx(1e-9 / 0.375, rel=1e-8)


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_quantiles_reject_bad_probabilities(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        t_quantile(p, 5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        normal_quantile(p)


@pytest.mark.parametrize("df", [0, -1, float("nan")])
def test_t_quantile_rejects_bad_df(df):
    with pytest.raises(ValueError, match="df"):
        t_quantile(0.9, df)


def test_t_quantile_rejects_non_numbers():
    with pytest.raises(TypeError):
        t_quantile("0.9", 5)
    with pytest.raises(TypeError):
        t_quantile(0.9, "5")


@pytest.mark.parametrize("n", [2, 3, 10, 250, 2000])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_mean_ci_matches_scipy_t_interval(n, confidence):
    x = np.random.default_rng(n).normal(3.0, 2.0, size=n)
    mean, half = mean_ci(x, confidence=confidence)
    lo, hi = sps.t.interval(confidence, n - 1, loc=x.mean(), scale=sps.sem(x))
    assert mean == pytest.approx(x.mean(), rel=1e-15)
    assert half == pytest.approx((hi - lo) / 2, rel=1e-10)
    assert isinstance(mean, float) and isinstance(half, float)


def test_mean_ci_along_an_axis():
    x = np.random.default_rng(0).normal(size=(50, 3, 4))
    mean, half = mean_ci(x, axis=0)
    assert mean.shape == half.shape == (3, 4)
    np.testing.assert_allclose(half, sps.sem(x, axis=0) * sps.t.ppf(0.975, 49), rtol=1e-10)
    mean1, half1 = mean_ci(x, axis=1)
    assert mean1.shape == (50, 4)
    np.testing.assert_allclose(half1, sps.sem(x, axis=1) * sps.t.ppf(0.975, 2), rtol=1e-10)


def test_mean_ci_single_observation_has_nan_halfwidth():
    mean, half = mean_ci([4.0])
    assert mean == 4.0 and math.isnan(half)
    assert math.isnan(ci_halfwidth(1.0, 1))


def test_mean_ci_bad_input():
    with pytest.raises(ValueError, match="no observations"):
        mean_ci(np.empty((0, 3)))
    with pytest.raises(ValueError, match="confidence"):
        mean_ci([1.0, 2.0], confidence=1.0)
    with pytest.raises(ValueError, match="out of bounds"):
        mean_ci([1.0, 2.0], axis=1)
    with pytest.raises(TypeError, match="numeric"):
        mean_ci(["a", "b"])
    with pytest.raises(ValueError, match="scalar"):
        mean_ci(3.0)
    with pytest.raises(ValueError, match="positive integer"):
        ci_halfwidth(1.0, 0)


def test_ci_halfwidth_for_boolean_data_is_the_t_interval_of_the_proportion():
    x = np.zeros(400, dtype=bool)
    x[:100] = True
    mean, half = mean_ci(x)
    assert mean == 0.25
    expected = sps.t.ppf(0.975, 399) * math.sqrt(0.25 * 0.75 * 400 / 399 / 400)
    assert half == pytest.approx(expected, rel=1e-12)


def test_mean_ci_coverage_is_close_to_nominal():
    # 4000 intervals of 10 normal draws: coverage 95% within ±1.2% (about 3.5 sigma)
    rng = np.random.default_rng(12345)
    x = rng.normal(1.0, 3.0, size=(10, 4000))
    mean, half = mean_ci(x, axis=0)
    coverage = np.mean(np.abs(mean - 1.0) <= half)
    assert abs(coverage - 0.95) < 0.012


@pytest.mark.parametrize("window", [1, 3, 100, 1000])
def test_moving_average_is_the_mean_of_the_last_window_values(window):
    x = np.random.default_rng(7).normal(size=250)
    expected = [x[max(0, i + 1 - window) : i + 1].mean() for i in range(x.size)]
    np.testing.assert_allclose(moving_average(x, window), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("window", [0, 2.0, True, None])
def test_moving_average_refuses_a_window_that_is_not_a_positive_integer(window):
    with pytest.raises(
        ValueError, match=f"window must be a positive integer, actual value: {window!r}"
    ):
        moving_average([1.0, 2.0], window)
