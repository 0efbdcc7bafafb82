"""Smoke test of benchmarks/bench_bandit.py (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_bandit_quick_runs():
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::RuntimeWarning",
            str(ROOT / "benchmarks" / "bench_bandit.py"),
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
    assert any(line.startswith("floor (np.exp") for line in lines)
    assert any(line.startswith("| Boltzmann T=0.1 |") for line in lines)
    assert any(line.startswith("| ε-greedy 0.1 |") for line in lines)
    assert any(line.startswith("peak traced memory") for line in lines)
