"""Gymnasium spaces as table indices, the tile coder, and unsupported-space errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from gymnasium import spaces

from boltzmann_rl.gym import (
    LinearAgent,
    TileCoder,
    UnsupportedSpaceError,
    action_map,
    make_agent,
    observation_index,
)

# --------------------------------------------------------------------------- Discrete


@pytest.mark.parametrize("start", [0, 1, -3, 100])
def test_discrete_index_honours_start(start):
    space = spaces.Discrete(5, start=start)
    index = observation_index(space)
    assert index.n == 5
    assert [index(start + i) for i in range(5)] == list(range(5))
    assert index.batch(np.arange(start, start + 5)).tolist() == list(range(5))


def test_discrete_index_accepts_numpy_integers_and_rejects_outside_values():
    index = observation_index(spaces.Discrete(3, start=2))
    assert index(np.int64(4)) == 2
    with pytest.raises(ValueError, match=r"observation 5 is outside Discrete\(3, start=2\)"):
        index(5)
    with pytest.raises(ValueError, match="outside"):
        index(1)  # would silently wrap to row -1 without the check
    with pytest.raises(ValueError, match="outside"):
        index.batch(np.array([2, 9]))


# --------------------------------------------------------------------- Tuple, MultiDiscrete


def _all_obs(space):
    """Every observation of a small discrete space, in row-major order."""
    if isinstance(space, spaces.Discrete):
        return [space.start + i for i in range(space.n)]
    if isinstance(space, spaces.MultiDiscrete):
        nvec, start = space.nvec.reshape(-1), space.start.reshape(-1)
        return [
            (np.array(v) + start).reshape(space.nvec.shape)
            for v in itertools.product(*(range(n) for n in nvec))
        ]
    return list(itertools.product(*(_all_obs(s) for s in space.spaces)))


@pytest.mark.parametrize(
    "space",
    [
        spaces.Tuple((spaces.Discrete(3), spaces.Discrete(2))),
        spaces.Tuple((spaces.Discrete(3, start=1), spaces.Discrete(4, start=-2))),
        spaces.MultiDiscrete([2, 3, 4]),
        spaces.MultiDiscrete([3, 2], start=[5, -1]),
        spaces.MultiDiscrete([[2, 2], [3, 1]]),
        spaces.Tuple(
            (
                spaces.Discrete(2, start=1),
                spaces.MultiDiscrete([2, 3], start=[0, 1]),
                spaces.Tuple((spaces.Discrete(2), spaces.Discrete(3, start=7))),
            )
        ),
    ],
    ids=["tuple", "tuple-start", "multidiscrete", "multidiscrete-start", "md-2d", "nested"],
)
def test_composite_index_is_a_bijection_in_row_major_order(space):
    index = observation_index(space)
    obs = _all_obs(space)
    assert index.n == len(obs)
    assert [index(o) for o in obs] == list(range(len(obs)))
    # agrees with numpy's ravel_multi_index on the flat parts
    for o in obs[:: max(1, len(obs) // 7)]:
        assert 0 <= index(o) < index.n


def test_multidiscrete_matches_ravel_multi_index():
    space = spaces.MultiDiscrete([3, 4, 5], start=[1, 0, -2])
    index = observation_index(space)
    rng = np.random.default_rng(0)
    for _ in range(20):
        digits = [int(rng.integers(n)) for n in (3, 4, 5)]
        obs = np.array(digits) + np.array([1, 0, -2])
        assert index(obs) == np.ravel_multi_index(digits, (3, 4, 5))


def test_batch_index_matches_single_index_for_vector_observations():
    tup = spaces.Tuple((spaces.Discrete(3, start=1), spaces.MultiDiscrete([2, 2])))
    index = observation_index(tup)
    singles = [(1, np.array([0, 1])), (3, np.array([1, 1])), (2, np.array([1, 0]))]
    batched = (np.array([1, 3, 2]), np.array([[0, 1], [1, 1], [1, 0]]))
    assert index.batch(batched).tolist() == [index(o) for o in singles]
    md = observation_index(spaces.MultiDiscrete([3, 2], start=[1, 0]))
    assert md.batch(np.array([[1, 0], [3, 1]])).tolist() == [0, 5]


def test_tuple_index_rejects_out_of_range_parts():
    index = observation_index(spaces.Tuple((spaces.Discrete(2), spaces.Discrete(3, start=1))))
    with pytest.raises(ValueError, match="outside"):
        index((0, 0))


def test_tabular_agent_for_tuple_space_has_one_row_per_joint_state():
    # Blackjack-v1's observation space: Tuple(Discrete(32), Discrete(11), Discrete(2))
    space = spaces.Tuple((spaces.Discrete(32), spaces.Discrete(11), spaces.Discrete(2)))
    agent = make_agent("qlearning", space, spaces.Discrete(2), "greedy", rng=0)
    assert agent.q.shape == (32 * 11 * 2, 2)
    assert agent.observe((31, 10, 1)) == 32 * 11 * 2 - 1


# --------------------------------------------------------------------------- actions


@pytest.mark.parametrize("start", [0, 1, -2])
def test_action_map_honours_start(start):
    actions = action_map(spaces.Discrete(4, start=start))
    assert actions.n == 4
    assert [actions.to_env(a) for a in range(4)] == [start + a for a in range(4)]
    assert actions.to_env(np.array([0, 3])).tolist() == [start, start + 3]


# --------------------------------------------------------------------- unsupported spaces


@pytest.mark.parametrize(
    ("space", "name"),
    [
        (spaces.MultiBinary(4), "MultiBinary(4)"),
        (spaces.Text(5), "Text("),
        (spaces.Dict({"a": spaces.Discrete(2)}), "Dict("),
        (spaces.Tuple((spaces.Discrete(2), spaces.Box(0.0, 1.0, (1,)))), "Tuple("),
        (spaces.Box(0.0, 1.0, (2,)), "Box("),
    ],
)
def test_unsupported_observation_space_error_names_space_and_what_is_supported(space, name):
    with pytest.raises(UnsupportedSpaceError) as info:
        observation_index(space)
    msg = str(info.value)
    assert msg.startswith("observation space ")
    assert name in msg
    assert "supported observation spaces: Discrete" in msg
    assert "MultiDiscrete" in msg and "Tuple" in msg and "Box through a tile coder" in msg
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "space",
    [
        spaces.Box(-1.0, 1.0, (1,)),
        spaces.MultiDiscrete([2, 2]),
        spaces.MultiBinary(2),
        spaces.Tuple((spaces.Discrete(2),)),
    ],
)
def test_unsupported_action_space_error_names_space(space):
    with pytest.raises(UnsupportedSpaceError, match=r"supported action spaces: Discrete") as info:
        make_agent("sarsa", spaces.Discrete(3), space, "greedy")
    assert str(info.value).startswith(f"action space {space!r}")


def test_box_observations_get_a_tile_coded_agent_and_other_options_are_rejected():
    agent = make_agent(
        "expected-sarsa", spaces.Box(-1.0, 1.0, (2,)), spaces.Discrete(3), "greedy", tilings=4
    )
    assert isinstance(agent, LinearAgent)
    assert agent.coder.tilings == 4
    with pytest.raises(TypeError, match="only apply to Box"):
        make_agent("sarsa", spaces.Discrete(3), spaces.Discrete(2), "greedy", tilings=4)


def test_unbounded_box_dims_are_tiled_over_plus_minus_3_unless_bounds_are_given():
    space = spaces.Box(np.array([0.0, -np.inf], np.float32), np.array([1.0, np.inf], np.float32))
    coder = make_agent("qlearning", space, spaces.Discrete(2), "greedy").coder
    assert coder.low.tolist() == [0.0, -3.0] and coder.high.tolist() == [1.0, 3.0]
    with pytest.raises(ValueError, match="finite bounds"):
        make_agent("qlearning", space, spaces.Discrete(2), "greedy", low=[0, -np.inf])
    space = spaces.Box(-np.inf, np.inf, (2,))
    agent = make_agent("qlearning", space, spaces.Discrete(2), "greedy", low=[-1, -1], high=[1, 1])
    assert agent.coder.n_features == 8 * 81


# --------------------------------------------------------------------------- tile coder


def test_tile_coder_activates_one_tile_per_tiling_in_its_own_block():
    coder = TileCoder([-1.2, -0.07], [0.6, 0.07], tilings=8, tiles=8)
    rng = np.random.default_rng(0)
    obs = rng.uniform([-1.2, -0.07], [0.6, 0.07], size=(200, 2))
    feats = coder.batch(obs)
    assert feats.shape == (200, 8)
    per = coder.n_features // 8
    assert ((feats // per) == np.arange(8)).all()
    assert feats.min() >= 0 and feats.max() < coder.n_features
    assert (feats == np.stack([coder(o) for o in obs])).all()


def test_tile_coder_generalises_locally_and_clips_outside_the_box():
    coder = TileCoder([0.0, 0.0], [1.0, 1.0], tilings=8, tiles=10)
    a, near, far = coder([0.5, 0.5]), coder([0.51, 0.5]), coder([0.9, 0.1])
    shared_near = len(set(a.tolist()) & set(near.tolist()))
    shared_far = len(set(a.tolist()) & set(far.tolist()))
    assert shared_near >= 6 and shared_far == 0
    assert coder([-5.0, 7.0]).tolist() == coder([0.0, 1.0]).tolist()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"low": [0.0], "high": [0.0]}, "below high"),
        ({"low": [0.0, 0.0], "high": [1.0]}, "same non-empty shape"),
        ({"low": [0.0], "high": [1.0], "tilings": 0}, "tilings"),
        ({"low": [0.0], "high": [1.0], "tiles": 0}, "tiles"),
    ],
)
def test_tile_coder_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TileCoder(**kwargs)


def test_indices_refuse_non_integers_and_out_of_range_values():
    from gymnasium.spaces import Discrete, MultiDiscrete

    from boltzmann_rl.gym.spaces import observation_index

    index = observation_index(Discrete(3))
    for bad in (1.5, float("nan"), float("inf"), -1, 3, None):
        with pytest.raises(ValueError, match=r"is outside Discrete\(3\)"):
            index(bad)
    assert index(2.0) == 2 and index(np.int64(1)) == 1
    with pytest.raises(ValueError, match=r"\[1.0, 1.5\] are outside Discrete\(3\) \(not integers"):
        index.batch(np.array([1.0, 1.5]))
    with pytest.raises(ValueError, match="not integers"):
        index.batch(np.array([1.0, np.nan]))  # was a RuntimeWarning on the cast
    with pytest.raises(ValueError, match=r"\[-1, 0\] are outside Discrete\(3\)"):
        index.batch([-1, 0])
    multi = observation_index(MultiDiscrete([2, 3]))
    with pytest.raises(ValueError, match="not integers"):
        multi(np.array([1.0, 1.5]))
    assert multi(np.array([1, 2])) == 5


def test_box_check_refuses_nan_and_out_of_bounds_in_batches_too():
    from gymnasium.spaces import Box

    from boltzmann_rl.gym.spaces import checked_observe
    from boltzmann_rl.gym.tiles import TileCoder

    space = Box(np.array([-1.0, -np.inf]), np.array([1.0, np.inf]), dtype=np.float64)
    coder = TileCoder([-1.0, -5.0], [1.0, 5.0], tilings=2, tiles=4)
    observe = checked_observe(space, coder)
    assert observe([0.5, 1e300]).tolist() == coder([0.5, 1e300]).tolist()  # unbounded side
    with pytest.raises(ValueError, match=r"NaN in dimension 1"):
        observe([0.5, np.nan])
    with pytest.raises(ValueError, match=r"\[1.5, 0.0\] is outside Box.*\(dimension 0\)"):
        observe.batch(np.array([[0.0, 0.0], [1.5, 0.0]]))
    with pytest.raises(ValueError, match="has 3 values"):
        observe([0.0, 0.0, 0.0])
    assert observe.batch(np.zeros((2, 2))).shape == (2, 2)
