"""The files in examples/ run as written, and the user's-own-agent example learns."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "own_agent_blackjack.py"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_own_agent_example_runs_as_a_script():
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--episodes", "300", "--eval-episodes", "100"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "greedy mean return" in proc.stdout
    assert "boltzmann(temperature=exp(1.0, 0.02, 300))" in proc.stdout


def test_own_agent_example_uses_the_policy_and_is_seeded():
    example = _load(EXAMPLE)
    a = example.train(400, seed=3)
    b = example.train(400, seed=3)
    assert a.episode == 400
    assert a.training_error == b.training_error  # same seed, same run
    assert repr(a.policy) == "boltzmann(temperature=exp(1.0, 0.02, 400))"
    # the Boltzmann policy picks both actions early (hot) and the better one late (cold)
    q = np.array([0.0, 0.5])
    rng = np.random.default_rng(0)
    early = {a.policy.sample(q, rng, step=0) for _ in range(50)}
    late = {a.policy.sample(q, rng, step=400) for _ in range(50)}
    assert early == {0, 1} and late == {1}


def test_the_replacement_is_a_few_marked_lines():
    marked = [line for line in EXAMPLE.read_text().splitlines() if "# <-" in line]
    assert len(marked) == 4  # two imports, the policy, the sampling line


@pytest.mark.slow
def test_own_agent_example_learns_blackjack():
    example = _load(EXAMPLE)
    agent = example.train(40_000, seed=0)
    mean = example.evaluate(agent, 20_000, seed=1)
    # random play loses about 0.4 per hand, always standing about 0.16; the optimal
    # policy (no doubling or splitting) about 0.05
    assert mean > -0.1
