"""The public API of boltzmann_rl.gym: exported, documented with examples; the benchmark runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import boltzmann_rl.gym as gym_pkg
from boltzmann_rl.gym import plots

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_is_exported_and_documented_with_an_example():
    for module in (gym_pkg, plots):
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj):
                continue  # constants: AGENTS, ALGORITHMS, ANNEAL, DEFAULT_MAX_EPISODE_STEPS
            assert obj.__doc__ and "Examples" in obj.__doc__, f"{module.__name__}.{name}"


def test_submodule_public_names_are_reexported():
    from boltzmann_rl.gym import agents, spaces, tiles, training

    for module in (agents, spaces, tiles, training):
        for name in module.__all__:
            assert getattr(gym_pkg, name) is getattr(module, name), name


def test_gym_never_imports_the_bandit_world_the_sweeps_or_the_command_line():
    import ast

    forbidden = ("boltzmann_rl.bandits", "boltzmann_rl.sweep", "boltzmann_rl.cli")
    for path in (ROOT / "boltzmann_rl" / "gym").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(forbidden), f"{path.name} imports {name}"


def test_bench_gym_quick_runs():
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::RuntimeWarning",
            str(ROOT / "benchmarks" / "bench_gym.py"),
            "--quick",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum("agent share (train - env) / env" in line for line in lines) == 2
    assert any(line.startswith("worst agent share") for line in lines)
