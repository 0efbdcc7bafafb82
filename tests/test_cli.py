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


# ------------------------------------------------------------------------ fuzz (slow)

_BAD_VALUES: list = [
    -1,
    0,
    1.5,
    -0.0,
    2**63,
    10**400,
    float("nan"),
    float("inf"),
    True,
    "",
    " ",
    "x" * 20_000,
    "boltzmann(",
    "__import__('os').system('echo pwned')",
    "boltzmann(temperature=1e999)",
    "egreedy(epsilon=" + "9" * 400 + ")",
    "exp(1, 0.01, -5)",
    "∞",
    "../../etc/passwd",
    [],
    [1, "a", None],
    {},
    {"geomspace": [1e-3, 1e3, 10**12]},
    {"linspace": [0, 1, -3]},
    {"nested": {"deeper": [1, 2]}},
    "RAW:1e999",
    "RAW:1e-999",
]


def _toml_value(value) -> str:
    if isinstance(value, str) and value.startswith("RAW:"):
        return value[4:]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value == float("inf") else repr(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"


def _toml(study: dict) -> str:
    lines = []
    for table, body in study.items():
        rows = body if isinstance(body, list) else [body]
        for row in rows:
            lines.append(f"[[{table}]]" if isinstance(body, list) else f"[{table}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in row.items()]
    return "\n".join(lines) + "\n"


def _base_studies() -> list[dict]:
    bandit = {
        "study": {"name": "fuzz", "seed": 1},
        "problem": {"type": "bandit", "env": "gaussian", "args": {"arms": 3}},
        "agent": {"name": "action_value", "args": {}},
        "budget": {"runs": 5, "steps": 5},
        "schedules": {"fast": "exp(1, 0.01, 10)"},
        "analysis": {"metric": "mean_reward", "curves": "best"},
        "family": [
            {"name": "B", "policy": "boltzmann(temperature={T})", "grid": {"T": [0.1, 1.0]}},
            {"name": "E", "policy": "egreedy(epsilon=0.1)"},
        ],
    }
    gym = {
        "study": {"name": "fuzz_gym"},
        "problem": {"type": "gym", "env": "FrozenLake-v1", "args": {"is_slippery": False}},
        "budget": {"seeds": 1, "episodes": 3, "eval_episodes": 1},
        "family": [{"name": "B", "policy": "boltzmann(temperature={T})", "grid": {"T": [1.0]}}],
    }
    return [bandit, gym]


def _key_paths(study: dict) -> list[tuple]:
    paths = []
    for table, body in study.items():
        rows = body if isinstance(body, list) else [body]
        for i, row in enumerate(rows):
            base = (table, i) if isinstance(body, list) else (table,)
            paths.append((*base, "colour"))  # an unknown key
            for key, value in row.items():
                paths.append((*base, key))
                if isinstance(value, dict):
                    paths += [(*base, key, k) for k in value]
    return paths


def _set(study: dict, path: tuple, value) -> None:
    node = study
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


class _Hang(Exception):
    pass


def _run_with_alarm(argv: list[str], capsys, seconds: int = 60) -> tuple[int, str]:
    import signal

    def hang(signum, frame):
        raise _Hang(argv)

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return code, capsys.readouterr().err


@pytest.mark.slow
def test_fuzz_study_files_give_a_clear_error_and_a_documented_code(tmp_path, capsys):
    import copy
    import random

    rng = random.Random(20261202)
    cases = 0
    for base in _base_studies():
        for path in _key_paths(base):
            for value in rng.sample(_BAD_VALUES, 4):
                study = copy.deepcopy(base)
                _set(study, path, value)
                file = tmp_path / f"case{cases}.toml"
                file.write_text(_toml(study))
                out = tmp_path / f"out{cases}"
                argv = ["run", str(file), "--out", str(out), "--backend", "serial"]
                code, err = _run_with_alarm([*argv, "--quiet", "--no-figures"], capsys)
                where = f"{path} = {str(value)[:60]!r}: exit {code}, stderr {err[:300]!r}"
                assert code in EXIT_CODES, where
                assert "Traceback" not in err, where
                if code != 0:
                    assert err.startswith("boltzmann-rl: error: "), where
                    assert err.strip().count("\n") == 0, where
                cases += 1
    assert cases > 150


@pytest.mark.slow
def test_fuzz_command_line_options_give_a_clear_error_and_a_documented_code(tmp_path, capsys):
    import random

    rng = random.Random(7)
    words = [str(v) for v in _BAD_VALUES if not isinstance(v, list | dict)]
    words += ["--runs", "--steps", "--policy", "--out", "--seed", "-5", "1e309", str(tmp_path)]
    commands = {
        "bandit": ["--policy", "--runs", "--steps", "--arms", "--seed", "--reward-scale", "--out"],
        "gym": ["--policy", "--episodes", "--alpha", "--gamma", "--seed", "--out"],
        "run": ["--out", "--workers", "--max-cells", "--backend"],
        "export": ["--format", "--to"],
        "plot": [],
    }
    study = study_file(tmp_path)
    for i in range(150):
        command = rng.choice(list(commands))
        argv = [command]
        if command == "gym":
            argv.append("FrozenLake-v1")
        elif command == "run":
            argv.append(str(study))
        elif command in ("export", "plot"):
            argv.append(rng.choice([str(tmp_path / "nowhere"), str(study), str(tmp_path)]))
        for option in rng.sample(commands[command], min(2, len(commands[command]))):
            argv += [option, rng.choice(words)]
        if command == "bandit" and "--policy" not in argv:
            argv += ["--policy", "greedy", "--runs", "2", "--steps", "2"]
        if command == "gym" and "--episodes" not in argv:
            argv += ["--episodes", "2"]
        if command == "run":
            argv += [
                "--backend",
                "serial",
                "--quiet",
                "--no-figures",
                "--out",
                str(tmp_path / f"r{i}"),
            ]
        code, err = _run_with_alarm(argv, capsys)
        where = f"{argv!r}: exit {code}, stderr {err[-300:]!r}"
        assert code in EXIT_CODES, where
        assert "Traceback" not in err, where


def test_bandit_too_large_for_memory_is_one_line_exit_2(capsys, monkeypatch):
    monkeypatch.setenv("BOLTZMANN_RL_MEMORY_LIMIT", "23.1GiB")
    argv = ["bandit", "--policy", "greedy", "--runs", "10000000", "--steps", "10000000"]
    assert main(argv) == 2  # was a numpy MemoryError traceback after 12 s
    line = one_error_line(capsys.readouterr().err)
    assert "needs about" in line and "TiB" in line and "23.1 GiB" in line


def test_export_to_an_existing_file_is_one_line_exit_4(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["run", str(study_file(tmp_path)), "--out", str(out), "--backend", "serial"]
    assert main([*argv, "--quiet", "--no-figures"]) == 0
    target = tmp_path / "a_file"
    target.write_text("keep me")
    assert main(["export", str(out), "--to", str(target)]) == 4
    assert str(target) in one_error_line(capsys.readouterr().err)
    assert target.read_text() == "keep me"
