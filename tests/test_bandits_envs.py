"""Bandit environments: the distributions they promise, the transform, regret, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from boltzmann_rl.bandits import (
    ENVIRONMENTS,
    BernoulliBandit,
    GaussianBandit,
    NonstationaryBandit,
    make_env,
)
from boltzmann_rl.bandits.rng import ENV_STREAM, BatchRNG


def _batch(env, n, seed=0):
    return env.batch(BatchRNG.from_seed(seed, n, stream=ENV_STREAM))


def test_gaussian_true_values_follow_the_stated_distribution():
    env = GaussianBandit(arms=5, mean=4.0, spread=2.0)
    v = _batch(env, 4000).values
    assert v.shape == (4000, 5)
    # mean within 5 standard errors, sd within 5 %
    assert abs(v.mean() - 4.0) < 5 * 2.0 / math.sqrt(v.size)
    assert v.std() == pytest.approx(2.0, rel=0.05)


def test_gaussian_rewards_are_true_value_plus_noise():
    env = GaussianBandit(arms=3, noise=0.5)
    batch = _batch(env, 2000)
    values = batch.values.copy()
    actions = np.arange(2000) % 3
    noise = []
    for _ in range(20):
        r, regret, optimal = batch.step(actions)
        chosen = values[np.arange(2000), actions]
        noise.append(r - chosen)
        np.testing.assert_allclose(regret, values.max(axis=1) - chosen)
        np.testing.assert_array_equal(optimal, chosen == values.max(axis=1))
    noise = np.concatenate(noise)
    assert abs(noise.mean()) < 5 * 0.5 / math.sqrt(noise.size)
    assert noise.std() == pytest.approx(0.5, rel=0.03)


def test_offset_and_scale_transform_rewards_and_regret():
    base = _batch(GaussianBandit(arms=4), 300, seed=3)
    moved = _batch(GaussianBandit(arms=4, offset=10.0, scale=3.0), 300, seed=3)
    actions = np.arange(300) % 4
    r0, g0, o0 = base.step(actions)
    r1, g1, o1 = moved.step(actions)
    np.testing.assert_allclose(r1, 10.0 + 3.0 * r0, rtol=1e-14)
    np.testing.assert_allclose(g1, 3.0 * g0, rtol=1e-14)
    np.testing.assert_array_equal(o0, o1)
    np.testing.assert_allclose(moved.values, 10.0 + 3.0 * base.values, rtol=1e-14)


def test_regret_and_optimal_actions_per_run():
    env = BernoulliBandit(probs=(0.2, 0.9, 0.9))
    batch = _batch(env, 3)
    assert batch.optimal_actions().tolist() == [[False, True, True]] * 3
    np.testing.assert_allclose(batch.regret(np.array([0, 1, 2])), [0.7, 0.0, 0.0])
    _, regret, optimal = batch.step(np.array([0, 1, 2]))
    assert optimal.tolist() == [False, True, True]
    np.testing.assert_allclose(regret, [0.7, 0.0, 0.0])


def test_bernoulli_rewards_and_drawn_probabilities():
    env = BernoulliBandit(arms=4, low=0.2, high=0.6)
    batch = _batch(env, 5000)
    p = batch.values
    assert ((p >= 0.2) & (p <= 0.6)).all()
    actions = np.zeros(5000, dtype=np.int64)
    r, _, _ = batch.step(actions)
    assert set(np.unique(r)) <= {0.0, 1.0}
    # frequency of ones matches the mean success probability of arm 0
    assert abs(r.mean() - p[:, 0].mean()) < 5 * 0.5 / math.sqrt(5000)
    assert env.reward_range == (0.0, 1.0)
    assert BernoulliBandit(offset=-1.0, scale=2.0).reward_range == (-1.0, 1.0)


def test_nonstationary_values_start_equal_and_walk():
    env = NonstationaryBandit(arms=3, start=1.0, walk=0.1)
    batch = _batch(env, 4000)
    assert (batch.values == 1.0).all()
    assert batch.optimal_actions().all()  # all tied at the start
    _, regret, optimal = batch.step(np.zeros(4000, dtype=np.int64))
    assert (regret == 0).all() and optimal.all()
    steps = batch.values - 1.0
    assert abs(steps.mean()) < 5 * 0.1 / math.sqrt(steps.size)
    assert steps.std() == pytest.approx(0.1, rel=0.05)
    # regret of the next pull is measured against the moved values
    v = batch.values
    _, regret, _ = batch.step(np.zeros(4000, dtype=np.int64))
    np.testing.assert_allclose(regret, v.max(axis=1) - v[:, 0])


def test_values_of_a_run_depend_only_on_its_chunk():
    a = _batch(GaussianBandit(), 600, seed=9).values
    b = _batch(GaussianBandit(), 250, seed=9).values
    np.testing.assert_array_equal(a[:250], b)


def test_make_env_by_name():
    assert set(ENVIRONMENTS) == {"gaussian", "bernoulli", "nonstationary"}
    assert make_env("gaussian", arms=4, offset=2.0) == GaussianBandit(arms=4, offset=2.0)
    assert isinstance(make_env(" Bernoulli "), BernoulliBandit)
    with pytest.raises(ValueError, match="unknown environment 'normal'; known environments"):
        make_env("normal")
    with pytest.raises(TypeError, match="gaussian"):
        make_env("gaussian", temperature=1.0)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: GaussianBandit(arms=1), ValueError, "at least 2 arms, got arms=1"),
        (lambda: GaussianBandit(arms=2.5), TypeError, "arms must be an integer"),
        (lambda: GaussianBandit(mean=float("nan")), ValueError, "mean must not be NaN"),
        (lambda: GaussianBandit(spread=-1.0), ValueError, "spread must be >= 0"),
        (lambda: GaussianBandit(noise=float("inf")), ValueError, "noise must be finite"),
        (lambda: GaussianBandit(offset=float("nan")), ValueError, "offset must not be NaN"),
        (lambda: GaussianBandit(scale=0.0), ValueError, "scale must be > 0"),
        (lambda: GaussianBandit(scale=-2.0), ValueError, "scale must be > 0"),
        (lambda: GaussianBandit(mean="1"), TypeError, "mean must be a number"),
        (lambda: BernoulliBandit(probs=(0.5, float("nan"))), ValueError, "index 1"),
        (lambda: BernoulliBandit(probs=(0.5, 1.2)), ValueError, r"in \[0, 1\], got 1.2"),
        (lambda: BernoulliBandit(arms=3, probs=(0.5, 0.2)), ValueError, "arms=3 but probs"),
        (lambda: BernoulliBandit(low=0.8, high=0.2), ValueError, "low <= high"),
        (lambda: NonstationaryBandit(walk=-0.01), ValueError, "walk must be >= 0"),
    ],
    ids=[
        "arms-1",
        "arms-float",
        "mean-nan",
        "spread-neg",
        "noise-inf",
        "offset-nan",
        "scale-0",
        "scale-neg",
        "mean-str",
        "probs-nan",
        "probs-big",
        "arms-probs",
        "low-high",
        "walk-neg",
    ],
)
def test_bad_parameters(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_environments_are_frozen_and_compare_by_value():
    env = GaussianBandit(arms=4)
    assert env == GaussianBandit(arms=4) and hash(env) == hash(GaussianBandit(arms=4))
    with pytest.raises(AttributeError):
        env.arms = 5  # type: ignore[misc]
    assert repr(env) == "gaussian(arms=4)"
