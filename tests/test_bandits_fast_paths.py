"""The engine's fast paths give bit-for-bit the numbers of its general paths.

Each shortcut of the per-step work is compared with the code it stands in for:

* the floor's ``argmax_columns`` fast path (one maximum per column, found from the
  entries below it) against its general path (equality with the maximum, ties broken by ``u``);
* ε-greedy with one ε (the select function the simulation calls, the cap of the
  explored arm skipped where rounding cannot need it, an entropy kept as one number)
  against the per-row-ε path;
* the environment writing rewards and optimal flags into the simulation's buffers
  against the arrays it returns otherwise;
* the simulation's loop for one built-in agent (constant entropies, moments from a
  cache) against its general loop; the ``uint8`` count of optimal actions against
  ``count_nonzero``.
"""

from __future__ import annotations

import copy
import math
import pickle
from dataclasses import dataclass

import numpy as np
import pytest
from helpers import assert_same_results

from boltzmann_rl._floor import _FAST_ARMS, Work, argmax_columns
from boltzmann_rl.bandits import (
    ActionValueAgent,
    BernoulliBandit,
    GaussianBandit,
    NonstationaryBandit,
    simulate,
)
from boltzmann_rl.bandits.rng import ENV_STREAM, BatchRNG
from boltzmann_rl.bandits.simulate import _moments
from boltzmann_rl.policies import EpsilonGreedy
from boltzmann_rl.schedules import Linear


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
