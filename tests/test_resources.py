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
