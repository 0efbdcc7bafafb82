"""The memory guard: sizes, the limit from the environment, the refusal message."""

import pytest

from boltzmann_rl._resources import (
    ResourceLimitError,
    check_memory,
    format_bytes,
    memory_limit,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1024", 1024), ("500MB", 500 * 10**6), ("64GiB", 64 * 2**30), ("1.5 t", 15 * 10**11)],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "lots", "12 parsecs", "-5GB", "0", "1e999", "9" * 100])
def test_parse_size_refuses_names_the_text(text):
    with pytest.raises(ValueError, match="BOLTZMANN_RL_MEMORY_LIMIT"):
        parse_size(text)


def test_limit_from_environment(monkeypatch):
    monkeypatch.setenv("BOLTZMANN_RL_MEMORY_LIMIT", "3GiB")
    assert memory_limit() == 3 * 2**30
    monkeypatch.setenv("BOLTZMANN_RL_MEMORY_LIMIT", "nonsense")
    with pytest.raises(ValueError, match="nonsense"):
        memory_limit()
    monkeypatch.delenv("BOLTZMANN_RL_MEMORY_LIMIT")
    assert memory_limit() > 2**20


def test_refusal_names_estimate_and_limit():
    with pytest.raises(ResourceLimitError) as info:
        check_memory(3_200_000_000_000, "the simulation", limit=int(23.1 * 2**30))
    assert str(info.value) == (
        "the simulation needs about 2.91 TiB, more than the limit of 23.1 GiB "
        "(set BOLTZMANN_RL_MEMORY_LIMIT to raise it)"
    )
    assert isinstance(info.value, ValueError)
    check_memory(2**30, "fits", limit=2**30)


def test_astronomical_estimate_is_refused_not_overflowed():
    with pytest.raises(ResourceLimitError, match="more than 1e308 B"):
        check_memory(10**400, "the table", limit=2**30)
    assert format_bytes(10**400) == "more than 1e308 B"


def test_bandit_simulation_beyond_the_limit_is_refused_before_allocating(monkeypatch):
    from boltzmann_rl.bandits import simulate

    monkeypatch.setenv("BOLTZMANN_RL_MEMORY_LIMIT", "23.1GiB")
    with pytest.raises(ResourceLimitError) as info:  # was a numpy MemoryError after 12 s
        simulate("gaussian", "greedy", runs=10_000_000, steps=10_000_000)
    message = str(info.value)
    assert message.startswith("the simulation of 10000000 runs x 10000000 steps")
    assert "TiB" in message and "23.1 GiB" in message
    with pytest.raises(ResourceLimitError):  # built a list of 4e9 chunks first: hung
        simulate("gaussian", "greedy", runs=10**12, steps=10)


def test_bandit_estimate_counts_the_real_buffers():
    from boltzmann_rl.bandits._memory import simulation_bytes

    # the per-step, per-chunk moments dominate long runs: steps x groups x chunks x 8 x 8
    assert simulation_bytes(10**7, 10**7, 10) > 10**7 * 40_000 * 4 * 2 * 8
    assert simulation_bytes(2000, 1000, 10, groups=3) > 3 * simulation_bytes(2000, 1000, 10) / 2


def test_part_of_a_huge_simulation_is_allowed():
    from boltzmann_rl.bandits import simulate

    part = simulate("gaussian", "greedy", runs=10**9, steps=5, chunks=(0, 1))
    assert part.groups[0].runs == 250


def test_gym_table_beyond_the_limit_is_refused(monkeypatch):
    from boltzmann_rl.gym.agents import QLearningAgent

    monkeypatch.setenv("BOLTZMANN_RL_MEMORY_LIMIT", "1GiB")
    with pytest.raises(ResourceLimitError, match=r"Q table of 1000000000 states x 4 actions"):
        QLearningAgent(10**9, 4, "greedy")  # was killed by the system after two minutes
    QLearningAgent(1000, 4, "greedy")
