"""The command line's contract for faults: one line, a documented exit code, nothing lost."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from boltzmann_rl.cli import EXIT_CODES, build_parser, main
from boltzmann_rl.sweep.store import Store

ROOT = Path(__file__).resolve().parents[1]

BANDIT = """
[study]
name = "disk"

[problem]
type = "bandit"
env = "gaussian"
args = { arms = 3 }

[budget]
runs = 20
steps = STEPS

[[family]]
name = "Boltzmann"
policy = "boltzmann(temperature={temperature})"
grid = { temperature = TEMPS }
"""


def study_file(folder: Path, temps: str = "[0.5]", steps: int = 20) -> Path:
    path = folder / "study.toml"
    path.write_text(BANDIT.replace("TEMPS", temps).replace("STEPS", str(steps)))
    return path


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("boltzmann-rl: error: ")
    assert "Traceback" not in err
    return lines[0]


def test_exit_codes_are_documented_in_help_and_readme():
    epilog = build_parser().format_help()
    readme = (ROOT / "README.md").read_text()
    for code in EXIT_CODES:
        assert re.search(rf"^\s+{code}\s", epilog, re.M), code
        assert f"| {code} |" in readme, code


@pytest.mark.parametrize("command", ["run", "bandit", "gym"])
def test_out_naming_an_existing_file(tmp_path, capsys, command):
    target = tmp_path / "a_file"
    target.write_text("keep me")
    argv = {
        "run": ["run", str(study_file(tmp_path)), "--backend", "serial"],
        "bandit": ["bandit", "--policy", "greedy", "--runs", "2", "--steps", "2"],
        "gym": ["gym", "FrozenLake-v1", "--policy", "greedy", "--episodes", "2"],
    }[command]
    assert main([*argv, "--out", str(target)]) == 4  # was a traceback
    line = one_error_line(capsys.readouterr().err)
    assert str(target) in line and "not a folder" in line
    assert target.read_text() == "keep me"


@contextlib.contextmanager
def mounted(options: str):
    """A fresh tmpfs with ``options``, or a skip where the machine does not allow it."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs Linux and root")
    folder = Path(tempfile.mkdtemp(prefix="brl-mnt-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def test_out_on_a_read_only_filesystem(tmp_path, capsys):
    study = study_file(tmp_path)
    with mounted("size=1m,ro") as ro:
        for argv in (
            ["run", str(study), "--backend", "serial"],
            ["bandit", "--policy", "greedy", "--runs", "2", "--steps", "2"],
        ):
            assert main([*argv, "--out", str(ro / "out")]) == 4
            line = one_error_line(capsys.readouterr().err)
            assert str(ro / "out") in line and "Read-only file system" in line


def test_full_disk_mid_run_keeps_the_store_consistent_and_resumable(tmp_path, capsys):
    temps = "{ geomspace = [0.01, 100.0, 40] }"
    study = study_file(tmp_path, temps, steps=2000)
    whole = tmp_path / "whole"
    argv = ["run", str(study), "--backend", "serial", "--quiet", "--no-figures"]
    assert main([*argv, "--out", str(whole)]) == 0
    with mounted("size=1m") as small:
        out = small / "out"
        assert main([*argv, "--out", str(out)]) == 4  # sqlite3.OperationalError traceback
        line = one_error_line(capsys.readouterr().err)
        assert str(out) in line and ("full" in line or "No space left" in line)
        conn = sqlite3.connect(out / "store.sqlite")
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        kept = conn.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
        orphans = conn.execute(
            "SELECT COUNT(*) FROM arrays WHERE cell_id NOT IN (SELECT cell_id FROM cells)"
        ).fetchone()[0]
        conn.close()
        assert 0 < kept < 40 and orphans == 0
        subprocess.run(["mount", "-o", "remount,size=64m", str(small)], check=True)
        assert main([*argv, "--out", str(out), "--json"]) == 0
        resumed = json.loads(capsys.readouterr().out)
        assert resumed["skipped"] == kept and resumed["ran"] == 40 - kept
        with Store(whole, readonly=True) as a, Store(out, readonly=True) as b:
            assert {c["cell_id"]: c["summary"] for c in a.cells()} == {
                c["cell_id"]: c["summary"] for c in b.cells()
            }
            for cell_id in a.done_ids():
                for name, arr in a.arrays(cell_id).items():
                    assert (b.array(cell_id, name) == arr).all()
