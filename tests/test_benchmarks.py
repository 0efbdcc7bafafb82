"""Smoke tests of the benchmark scripts: each runs with ``--quick`` and prints its ratios.

No timing is asserted here, ever: timings belong to the scripts' output, not to tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_quick(script: str) -> list[str]:
    """Run ``benchmarks/<script> --quick`` (RuntimeWarnings as errors); its output lines."""
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::RuntimeWarning",
            str(ROOT / "benchmarks" / script),
            "--quick",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_bench_core_quick_runs():
    lines = run_quick("bench_core.py")
    ratios = [line for line in lines if line.startswith("ratio ")]
    for case in (
        "softmax (2000, 10):",
        "softmax (16, 50257):",
        "softmax one row of 4 (array):",
        "softmax one row of 18 (list):",
        "sampling (2000, 10):",
        "sampling one row of 4 (array):",
        "sampling one row of 18 (array):",
    ):
        assert any(line.startswith(f"ratio {case}") for line in ratios), case
    assert any(line.startswith("| log_softmax (2000, 10) |") for line in lines)
    assert any(line.startswith("| logsumexp (16, 50257) |") for line in lines)


# ----------------------------------------------------------------------- bench_bandit.py


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
