"""``boltzmann-rl list``: every registry entry appears, with its parameters and defaults."""

from __future__ import annotations

import inspect
import json

import pytest

from boltzmann_rl.bandits import BANDIT_AGENTS, ENVIRONMENTS, GradientBandit
from boltzmann_rl.bandits.registry import register_bandit_agent
from boltzmann_rl.cli import main
from boltzmann_rl.gym import ALGORITHMS
from boltzmann_rl.policies import POLICY_NAMES, Boltzmann, register_policy
from boltzmann_rl.spec import SCHEDULES, policy_registry
from boltzmann_rl.sweep.tasks import TASKS


def _text(capsys, *args):
    assert main(["list", *args]) == 0
    return capsys.readouterr().out


def _defaults(cls, skip=0):
    params = list(inspect.signature(cls).parameters.values())[skip:]
    return {p.name: p.default for p in params if p.default is not p.empty}


def test_every_registry_entry_appears_with_its_parameters(capsys):
    out = _text(capsys)
    for name in [*ENVIRONMENTS, *BANDIT_AGENTS, *ALGORITHMS, *policy_registry(), *SCHEDULES]:
        assert name in out, name
    for kind in TASKS:
        assert f"problem.type = {kind!r}" in out
    for env_id in ("FrozenLake-v1", "CartPole-v1", "Acrobot-v1"):
        assert env_id in out
    for entry in BANDIT_AGENTS.values():
        for p in entry.params:
            assert f"{p.name}: {p.type} = " in out, (entry.name, p.name)
    for cls in [*ENVIRONMENTS.values(), *policy_registry().values(), *SCHEDULES.values()]:
        for name in inspect.signature(cls).parameters:
            assert name in out, (cls, name)


def test_json_defaults_are_the_signatures(capsys):
    data = json.loads(_text(capsys, "--json"))
    assert list(data) == ["environments", "agents", "policies", "schedules", "studies"]
    bandit = {e["name"]: e for e in data["agents"] if e["kind"] == "bandit"}
    assert list(bandit) == list(BANDIT_AGENTS)
    grad = {p["name"]: p["default"] for p in bandit["gradient"]["params"]}
    assert grad == {k: str(v) for k, v in _defaults(GradientBandit).items()}
    policies = {e["name"]: e for e in data["policies"]}
    assert set(policies) == set(POLICY_NAMES)
    assert policies["ucb"]["params"] == [
        {"name": "c", "type": "float", "default": "2", "required": False, "doc": ""}
    ]
    schedules = {e["name"]: e for e in data["schedules"]}
    assert [p["required"] for p in schedules["inverse"]["params"]] == [True, False]
    studies = {e["name"]: e for e in data["studies"]}
    assert set(studies) == set(TASKS)


def test_sections_can_be_chosen_and_a_wrong_one_is_a_usage_error(capsys):
    out = _text(capsys, "schedules")
    assert out.startswith("schedules") and "policies" not in out
    with pytest.raises(SystemExit) as exc:
        main(["list", "everything"])
    assert exc.value.code == 2
    assert "unknown section 'everything'" in capsys.readouterr().err


@pytest.fixture
def registries():
    """Registrations made by a test are undone after it."""
    saved = dict(POLICY_NAMES), dict(BANDIT_AGENTS)
    yield
    for registry, before in zip((POLICY_NAMES, BANDIT_AGENTS), saved, strict=True):
        registry.clear()
        registry.update(before)


def test_what_a_user_registers_is_listed(capsys, registries):
    @register_policy(name="warm")
    class Warm(Boltzmann):
        def __init__(self, temperature: float = 5.0) -> None:
            super().__init__(temperature)

    def slow_gradient(step_size: float = 0.01) -> GradientBandit:
        """The gradient bandit, small steps."""
        return GradientBandit(step_size)

    register_bandit_agent("slow_gradient", slow_gradient)
    out = _text(capsys, "policies", "agents")
    assert "warm(temperature: float = 5)" in out
    assert "slow_gradient  The gradient bandit, small steps." in out
    assert "step_size: float = 0.01" in out
