"""Running studies: backends agree, resume after a stop, export, plot, the command line."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_same_stores, store_results

from boltzmann_rl.cli import main
from boltzmann_rl.sweep import tasks
from boltzmann_rl.sweep.backends import RayBackend, RayNotInstalled, make_backend
from boltzmann_rl.sweep.config import load_study, loads_study
from boltzmann_rl.sweep.export import export_store
from boltzmann_rl.sweep.runner import plan_batches, run_study
from boltzmann_rl.sweep.store import Store, StoreLocked

GYM = """
[study]
name = "tiny_gym"
seed = 1

[problem]
type = "gym"
env = "FrozenLake-v1"
args = { is_slippery = false }

[agent]
name = "qlearning"
args = { alpha = 0.5, gamma = 0.95 }

[budget]
seeds = 2
episodes = EPISODES
eval_episodes = 3

[[family]]
name = "Boltzmann"
policy = "boltzmann(temperature={temperature})"
grid = { temperature = TEMPS }

[[family]]
name = "ε-greedy"
policy = "egreedy(epsilon={epsilon})"
grid = { epsilon = [0.05, 0.2] }

[[family]]
name = "greedy"
policy = "greedy"
"""


def gym_study(tmp_path: Path, temps: str = "[0.01, 0.1, 1.0]", episodes: int = 20) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(GYM.replace("TEMPS", temps).replace("EPISODES", str(episodes)))
    return path


# ------------------------------------------------------------------------ runner


def test_run_resume_and_grid_extension(tmp_path):
    out = tmp_path / "out"
    first = run_study(load_study(gym_study(tmp_path)), out, backend="serial", figures=False)
    assert (first.total, first.skipped, first.ran) == (6, 0, 6)
    again = run_study(load_study(gym_study(tmp_path)), out, backend="serial", figures=False)
    assert (again.total, again.skipped, again.ran) == (6, 6, 0)
    wider = load_study(gym_study(tmp_path, "[0.01, 0.03, 0.1, 1.0]"))
    third = run_study(wider, out, backend="serial", figures=False)
    assert (third.total, third.skipped, third.ran) == (7, 6, 1)
    assert [r["family"] for r in third.summary] == ["Boltzmann", "ε-greedy", "greedy"]
    report = (out / "report.md").read_text()
    assert "## Best setting per family" in report and "temperature=0.03" in report


def test_interrupted_run_resumes_to_identical_results(tmp_path, monkeypatch):
    study = load_study(gym_study(tmp_path))
    run_study(study, tmp_path / "whole", backend="serial", report=False)

    real = tasks.execute_batch
    calls = []

    def flaky(payload):
        calls.append(payload.get("part"))
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(payload)

    # each seed of a per-env gym cell is its own batch: three seeds ran, one cell is done
    monkeypatch.setattr(tasks, "execute_batch", flaky)
    with pytest.raises(KeyboardInterrupt):
        run_study(study, tmp_path / "split", backend="serial", report=False)
    with Store(tmp_path / "split", readonly=True) as store:
        assert len(store.done_ids()) == 1
        assert list(store.part_indices().values()) == [{0}]
        assert store.runs()[-1]["status"] == "interrupted"
    calls.clear()

    def counted(payload):
        calls.append(payload.get("part"))
        return real(payload)

    monkeypatch.setattr(tasks, "execute_batch", counted)
    resumed = run_study(study, tmp_path / "split", backend="serial", report=False)
    assert (resumed.skipped, resumed.ran) == (1, 5)
    assert calls == [1] + [0, 1] * 4  # the stored seed is not run again
    assert_same_stores(tmp_path / "whole", tmp_path / "split")
    with Store(tmp_path / "split", readonly=True) as store:
        assert store.part_indices() == {}  # a finished cell keeps no parts


def test_process_backend_matches_serial(tmp_path):
    study = load_study(gym_study(tmp_path))
    run_study(study, tmp_path / "serial", backend="serial", report=False)
    run_study(study, tmp_path / "process", backend="process", workers=2, report=False)
    assert_same_stores(tmp_path / "serial", tmp_path / "process")


def test_a_cell_combined_from_its_seeds_equals_the_cell_run_whole(tmp_path):
    text = gym_study(tmp_path, "[0.1]", episodes=250).read_text()
    study = loads_study(text.replace("eval_episodes = 3", "eval_episodes = 3\neval_every = 50"))
    run_study(study, tmp_path / "out", backend="serial", report=False)
    task = tasks.TASKS["gym"]
    with Store(tmp_path / "out", readonly=True) as store:
        for m in study.members:
            assert task.part_count(m.cell) == 2
            (whole,) = task.run_fn([m.cell])  # the seeds in a row, in this process
            assert store.summary(m.cell.id) == whole["summary"]
            stored = store.arrays(m.cell.id)
            assert stored.keys() == whole["arrays"].keys() >= {"eval_return", "eval_at"}
            for name, value in whole["arrays"].items():
                np.testing.assert_array_equal(stored[name], value, err_msg=name)


def test_a_cell_whose_seeds_are_all_stored_is_committed_without_running(tmp_path, monkeypatch):
    # a run stopped after its last seed was stored and before the cell was committed
    study = load_study(gym_study(tmp_path, "[0.1]"))
    run_study(study, tmp_path / "whole", backend="serial", report=False)
    out = tmp_path / "out"
    gym = tasks.TASKS["gym"]
    assert gym.parts is not None
    with Store(out) as store:
        for m in study.members:
            for i in range(gym.part_count(m.cell)):
                store.add_part(m.cell, i, gym.parts.run(m.cell, i), wall_time=0.5, worker="w")

    def never(payload):
        raise AssertionError(f"ran {payload}")

    monkeypatch.setattr(tasks, "execute_batch", never)
    result = run_study(study, out, backend="process", report=False)
    assert (result.ran, result.failed) == (4, 0)
    assert_same_stores(tmp_path / "whole", out)
    with Store(out, readonly=True) as store:
        assert {(c["worker"], c["wall_time"]) for c in store.cells()} == {("w", 1.0)}


def test_a_failing_seed_fails_its_cell_and_a_retry_runs_only_that_seed(tmp_path, monkeypatch):
    import dataclasses

    study = load_study(gym_study(tmp_path, "[0.1]"))
    run_study(study, tmp_path / "whole", backend="serial", report=False)
    gym = tasks.TASKS["gym"]
    assert gym.parts is not None
    victim = study.members[0].cell
    ran, broken = [], [True]

    def seed(cell, index):
        ran.append((cell.id, index))
        if broken[0] and cell.id == victim.id and index == 1:
            raise ValueError("seed 1 diverged")
        return gym.parts.run(cell, index)

    parts = dataclasses.replace(gym.parts, run=seed)
    monkeypatch.setitem(tasks.TASKS, "gym", dataclasses.replace(gym, parts=parts))
    out = tmp_path / "out"
    first = run_study(study, out, backend="serial", figures=False)
    assert (first.ran, first.failed) == (4, 1)
    with Store(out, readonly=True) as store:
        assert store.failures()[victim.id]["error"] == "ValueError: seed 1 diverged"
        assert store.part_indices() == {victim.id: {0}}  # its good seed is kept
    assert "failed: ValueError: seed 1 diverged" in (out / "report.md").read_text()
    ran.clear()
    broken[0] = False  # the cause fixed
    assert run_study(study, out, backend="serial", report=False).failed == 1  # not retried
    assert ran == []
    again = run_study(study, out, backend="serial", report=False, retry_failed=True)
    assert (again.ran, again.failed) == (1, 0)
    assert ran == [(victim.id, 1)]
    assert_same_stores(tmp_path / "whole", out)


def test_concurrent_run_refuses(tmp_path):
    study = load_study(gym_study(tmp_path))
    out = tmp_path / "out"
    with Store(out) as holder:
        holder.lock()
        with pytest.raises(StoreLocked, match="another run is writing"):
            run_study(study, out, backend="serial")
        code = main(["run", str(gym_study(tmp_path)), "--out", str(out), "--backend", "serial"])
        assert code == 3
    with Store(out, readonly=True) as store:
        assert store.done_ids() == set()


def test_plan_batches_spreads_work_and_keeps_every_cell():
    from boltzmann_rl.sweep.cells import Cell

    cells = [
        Cell(
            "bandit",
            "gaussian",
            {},
            "action_value",
            {},
            f"egreedy(epsilon={e / 100})",
            {"runs": 10, "steps": 10},
        )
        for e in range(1, 20)
    ]
    for workers in (1, 2, 8):
        batches = plan_batches(cells, workers)
        flat = [c for b in batches for c in b]
        assert sorted(c.id for c in flat) == sorted(c.id for c in cells)
        assert len(batches) >= min(len(cells), 2 * workers)
        assert max(map(len, batches)) - min(map(len, batches)) <= 1


# ------------------------------------------------------------------------ ray


class FakeRay(types.ModuleType):
    """Enough of Ray's API to drive the backend: tasks run when waited for, last first."""

    def __init__(self):
        super().__init__("ray")
        self.initialized = False
        self.init_kwargs = None
        self.shutdowns = 0
        self.submitted = []

    def is_initialized(self):
        return self.initialized

    def init(self, **kwargs):
        self.initialized, self.init_kwargs = True, kwargs

    def shutdown(self):
        self.initialized = False
        self.shutdowns += 1

    def cluster_resources(self):
        return {"CPU": 3.0}

    def remote(self, **options):
        assert options == {"num_cpus": 1}
        ray = self

        def wrap(fn):
            class Remote:
                def remote(self, payload):
                    ref = ("ref", len(ray.submitted))
                    ray.submitted.append((ref, fn, payload))
                    return ref

            return Remote()

        return wrap

    def wait(self, refs, num_returns=1):
        return [refs[-1]], refs[:-1]  # out of order on purpose

    def get(self, ref):
        _, fn, payload = self.submitted[ref[1]]
        return fn(payload)

    def cancel(self, ref, force=False):
        pass


def test_ray_backend_with_a_fake_ray(tmp_path, monkeypatch):
    fake = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    study = load_study(gym_study(tmp_path))
    run_study(study, tmp_path / "serial", backend="serial", report=False)
    result = run_study(
        study, tmp_path / "ray", backend="ray", ray_address="ray://head:10001", report=False
    )
    assert result.ran == 6
    assert fake.init_kwargs["address"] == "ray://head:10001"
    # one task per seed: 6 cells of 2 seeds
    assert fake.shutdowns == 1 and [p["part"] for _, _, p in fake.submitted] == [0, 1] * 6
    assert_same_stores(tmp_path / "serial", tmp_path / "ray")


def test_ray_backend_keeps_a_session_it_did_not_start(monkeypatch):
    fake = FakeRay()
    fake.initialized = True
    monkeypatch.setitem(sys.modules, "ray", fake)
    got = sorted(RayBackend(workers=2).run(abs, [-1, -2, -3]))
    assert got == [(0, 1), (1, 2), (2, 3)]
    assert fake.shutdowns == 0 and fake.init_kwargs is None


def test_missing_ray_is_reported_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(RayNotInstalled, match=r'pip install "boltzmann-rl\[ray\]"'):
        make_backend("ray").check()
    out = tmp_path / "out"
    code = main(["run", str(gym_study(tmp_path)), "--out", str(out), "--backend", "ray"])
    assert code == 2
    assert 'pip install "boltzmann-rl[ray]"' in capsys.readouterr().err
    assert not out.exists()


def test_backend_options_are_validated():
    with pytest.raises(ValueError, match="only used with --backend ray"):
        make_backend("process", address="auto")
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        make_backend("process", workers=0)


# ------------------------------------------------------------------------ export, plot, CLI


def test_cli_run_plot_export(tmp_path, capsys):
    study = gym_study(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--backend", "serial"]) == 0
    captured = capsys.readouterr()
    assert "best setting" in captured.out and "6 cells run" in captured.out
    assert "12/12 seeds done" in captured.err  # plain progress lines: not a terminal
    for name in ("sweep", "curves"):
        for ext in ("png", "svg"):
            assert (out / "figures" / f"{name}.{ext}").stat().st_size > 0
    # a gym study has no given action values to draw "what the temperature does" from
    assert not (out / "figures" / "temperature.png").exists()
    (out / "report.md").unlink()
    assert main(["plot", str(out), "--quiet"]) == 0
    assert "| family | best setting |" in (out / "report.md").read_text()

    assert main(["export", str(out), "--format", "csv", "--quiet"]) == 0
    with open(out / "export" / "cells.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["setting"] for r in rows][:3] == [
        "temperature=0.01",
        "temperature=0.1",
        "temperature=1",
    ]
    assert {"eval_return", "eval_return_ci", "cell_seed", "code_version"} <= set(rows[0])
    assert main(["export", str(out), "--format", "json", "--to", str(tmp_path / "j")]) == 0
    cells = json.loads((tmp_path / "j" / "cells.json").read_text())
    curves = json.loads((tmp_path / "j" / "curves.json").read_text())
    assert len(cells) == 6
    assert {c["curve"] for c in curves} == {"train_return"}
    assert len(curves) == 6 * 20


def test_cli_json_and_quiet(tmp_path, capsys):
    study = gym_study(tmp_path)
    out = tmp_path / "out"
    assert (
        main(
            ["run", str(study), "--out", str(out), "--backend", "serial", "--json", "--no-figures"]
        )
        == 0
    )
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["ran"] == 6 and data["summary"][0]["family"] == "Boltzmann"
    assert captured.err == ""
    argv = ["run", str(study), "--out", str(out), "--quiet", "--backend", "serial", "--no-figures"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_cli_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(GYM.replace("TEMPS", "[0.1]").replace("EPISODES", "0"))
    assert main(["run", str(bad)]) == 2
    assert f"{bad}: budget.episodes: expected an integer >= 1" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "nowhere")]) == 2
    assert "no results store here" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["export", str(tmp_path), "--format", "xlsx"])


def test_export_refuses_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="allowed: csv, json"):
        export_store(tmp_path, "parquet")


# ------------------------------------------------------------------------ kill -9


def _done(out: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{out / 'store.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_kill_dash_nine_then_resume(tmp_path):
    temps = "{ geomspace = [0.01, 10.0, 10] }"
    study = gym_study(tmp_path, temps, episodes=300)
    whole, split = tmp_path / "whole", tmp_path / "split"
    cmd = [
        sys.executable,
        "-m",
        "boltzmann_rl",
        "run",
        str(study),
        "--backend",
        "serial",
        "--quiet",
        "--no-figures",
    ]
    subprocess.run([*cmd, "--out", str(whole)], check=True)
    with subprocess.Popen([*cmd, "--out", str(split)]) as proc:
        deadline = time.monotonic() + 60
        while _done(split) < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    done = _done(split)
    assert 3 <= done < 13
    with Store(split, readonly=True) as store:
        assert store.runs()[-1]["status"] == "running"  # it never got to say otherwise
    subprocess.run([*cmd, "--out", str(split)], check=True)
    assert_same_stores(whole, split)
    export_store(whole, "csv")
    export_store(split, "csv")
    timing = {"wall_time", "batch_size", "finished_at", "code_version"}
    for name in ("cells", "curves"):
        tables = []
        for out in (whole, split):
            with open(out / "export" / f"{name}.csv", newline="") as fh:
                tables.append(
                    [{k: v for k, v in r.items() if k not in timing} for r in csv.DictReader(fh)]
                )
        assert tables[0] == tables[1]
        assert tables[0]


def test_loads_study_rejects_unknown_kind_quickly():
    with pytest.raises(ValueError, match=r"problem\.type"):
        loads_study('[study]\nname="x"\n[problem]\ntype="chess"\nenv="x"\n[budget]\n[[family]]\n')


# ------------------------------------------------------------------------ bandit studies

BANDIT = """
[study]
name = "tiny_bandit"

[problem]
type = "bandit"
env = "gaussian"
args = { arms = 5 }

[budget]
runs = 300
steps = 40

[[family]]
name = "Boltzmann"
policy = "boltzmann(temperature={temperature})"
grid = { temperature = TEMPS }

[[family]]
name = "annealed"
policy = "boltzmann(temperature={s})"
grid = { s = ["exp(1, 0.05, 40)"] }

[[family]]
name = "gradient"
agent = { name = "gradient", args = { step_size = "{alpha}" } }
grid = { alpha = [0.1, 0.4] }

[[family]]
name = "UCB"
policy = "ucb(c=2)"
"""


def bandit_study(tmp_path: Path, temps: str = "[0.05, 0.2, 1.0]") -> Path:
    path = tmp_path / "bandit.toml"
    path.write_text(BANDIT.replace("TEMPS", temps))
    return path


def test_bandit_backends_and_batching_do_not_change_results(tmp_path):
    study = load_study(bandit_study(tmp_path))
    assert len(study.cells) == 7
    run_study(study, tmp_path / "serial", backend="serial", report=False)
    run_study(study, tmp_path / "process", backend="process", workers=2, report=False)
    assert_same_stores(tmp_path / "serial", tmp_path / "process")
    # one cell alone gives the numbers it gives stacked with six others
    alone = load_study(bandit_study(tmp_path, "[0.2]"))
    run_study(alone, tmp_path / "alone", backend="serial", report=False)
    cells, arrays = store_results(tmp_path / "alone")
    all_cells, all_arrays = store_results(tmp_path / "serial")
    summaries = {c["id"]: c["summary"] for c in all_cells}
    for c in cells:
        assert c["summary"] == summaries[c["id"]]
        for name, values in arrays[c["id"]].items():
            np.testing.assert_array_equal(values, all_arrays[c["id"]][name])


def test_bandit_summaries_and_curves(tmp_path):
    study = load_study(bandit_study(tmp_path))
    result = run_study(study, tmp_path / "o", backend="serial", figures=False)
    with Store(tmp_path / "o", readonly=True) as store:
        (row, *_) = store.cells()
        assert {"mean_reward", "mean_reward_ci", "final_optimal", "regret"} <= set(row["summary"])
        names = store.array_names(row["cell_id"])
        assert {"reward", "optimal", "regret", "entropy", "reward_ci"} <= set(names)
        assert store.array(row["cell_id"], "reward").shape == (40,)
    assert [r["family"] for r in result.summary] == ["Boltzmann", "annealed", "gradient", "UCB"]


def test_bandit_validation(tmp_path):
    text = BANDIT.replace("TEMPS", "[0.1]")
    cases = [
        ('env = "gaussian"', 'env = "gausian"', "unknown environment 'gausian'"),
        ("arms = 5", "arms = 0", "problem"),
        ("arms = 5", "legs = 5", "legs"),
        ('{ name = "gradient"', '{ name = "softmax"', "family[2].agent.name: unknown agent"),
        ('step_size = "{alpha}"', 'rate = "{alpha}"', "family[2].agent.args.rate: unknown"),
        ('policy = "ucb(c=2)"', 'policy = "ucb(c=-2)"', "c"),
        ("alpha = [0.1, 0.4]", "alpha = [0.1, -0.4]", "step_size"),
        ('step_size = "{alpha}"', 'step_size = "x{alpha}"', "must be the whole value"),
        ('name = "gradient"\n', 'name = "gradient"\npolicy = "greedy"\n', "takes no policy"),
        ("runs = 300", "runs = 0", "budget.runs"),
    ]
    for old, new, expected in cases:
        changed = text.replace(old, new, 1)
        assert changed != text, old
        with pytest.raises(ValueError) as info:
            loads_study(changed, "b.toml")
        assert str(info.value).startswith("b.toml: "), str(info.value)
        assert expected in str(info.value), (old, str(info.value))


@pytest.mark.slow
def test_shipped_main_study_end_to_end_on_a_tiny_budget(tmp_path):
    root = Path(__file__).resolve().parents[1]
    text = (root / "experiments" / "temperature_sweep.toml").read_text()
    text = text.replace("runs = 2000", "runs = 20").replace("steps = 1000", "steps = 30")
    path = tmp_path / "temperature_sweep.toml"
    path.write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    report = (out / "report.md").read_text()
    for family in ("Boltzmann", "Boltzmann, annealed", "ε-greedy", "greedy", "UCB (c=2)"):
        assert f"| {family} |" in report
    assert (out / "figures" / "sweep.svg").stat().st_size > 0


@pytest.mark.slow
def test_bench_sweep_quick_runs():
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "bench_sweep.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=root,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "results identical: True" in result.stdout


def test_workers_are_spawned_when_other_threads_run():
    import multiprocessing
    import threading

    from boltzmann_rl.sweep.backends import _mp_context

    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        assert _mp_context().get_start_method() == "fork"
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert _mp_context().get_start_method() == "spawn"
    finally:
        stop.set()
        t.join()


def test_spawned_workers_give_the_same_results(tmp_path):
    import threading

    from boltzmann_rl.sweep.backends import ProcessBackend

    study = load_study(bandit_study(tmp_path, "[0.1]"))
    payloads = [tasks.batch_payload([c]) for c in study.cells]
    serial = [tasks.execute_batch(p) for p in payloads]
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()  # another thread runs: the pool spawns its workers
    try:
        got = dict(ProcessBackend(workers=2).run(tasks.execute_batch, payloads))
    finally:
        stop.set()
        t.join()
    for i, expected in enumerate(serial):
        (a,), (b,) = expected, got[i]
        assert a["summary"] == b["summary"]
        for name in a["arrays"]:
            np.testing.assert_array_equal(a["arrays"][name], b["arrays"][name])


# ------------------------------------------ cells that raise; problems from the grid

FAILING = """
[study]
name = "failing"

[problem]
type = "bandit"
env = "gaussian"
args = { arms = 5, offset = 0.0, scale = 1.0 }

[budget]
runs = 50
steps = 20

[[family]]
name = "Boltzmann"
policy = "boltzmann(temperature=0.3)"
problem_args = { offset = "{offset}" }
agent = { name = "action_value", args = { initial = "{q1}" } }
grid = { offset = [-5.0, 10.0], q1 = [-4.0, 11.0] }
zip = true

[[family]]
name = "q / sum q"
policy = "normalize"
problem_args = { offset = "{offset}" }
agent = { name = "action_value", args = { initial = "{q1}" } }
grid = { offset = [-5.0, 10.0], q1 = [-4.0, 11.0] }
zip = true
"""

NEGATIVE = "normalize(kind=plain) is defined only for values >= 0"


def test_a_failing_policy_is_recorded_and_the_study_completes(tmp_path):
    # q / sum(q) with Q1 = -4 raises ValueError at the first step; at offset +10 it runs
    study = loads_study(FAILING)
    out = tmp_path / "out"
    first = run_study(study, out, backend="process", workers=2)
    assert (first.total, first.ran, first.failed) == (4, 4, 1)
    with Store(out, readonly=True) as store:
        (failure,) = store.failures().values()
        assert failure["error"].startswith(f"ValueError: {NEGATIVE}")
        assert failure["config"]["env_args"]["offset"] == -5.0
        assert len(store.done_ids()) == 3
        assert store.runs()[-1]["status"] == "finished"
    report = (out / "report.md").read_text()
    assert "settings finished: 3 of 4; failed: 1" in report
    assert f"| q / sum q | `offset=-5, q1=-4` | failed: ValueError: {NEGATIVE}" in report
    assert "| q / sum q | `offset=10, q1=11` | 10." in report
    # not retried: the same parameters would fail the same way
    again = run_study(study, out, backend="serial", report=False)
    assert (again.skipped, again.ran, again.failed) == (4, 0, 1)
    retried = run_study(study, out, backend="serial", report=False, retry_failed=True)
    assert (retried.skipped, retried.ran, retried.failed) == (3, 1, 1)
    # the serial backend records the same results and the same failure
    run_study(study, tmp_path / "serial", backend="serial", report=False)
    assert_same_stores(out, tmp_path / "serial")
    with Store(out, readonly=True) as a, Store(tmp_path / "serial", readonly=True) as b:
        assert a.failures().keys() == b.failures().keys()


def test_a_failing_cell_does_not_fail_its_batch(tmp_path):
    study = loads_study(FAILING)
    boltzmann, normalize = (m.cell for m in study.members if m.params["offset"] == -5.0)
    assert boltzmann.batch_key == normalize.batch_key  # one problem: they share a batch
    together = tasks.execute_batch(tasks.batch_payload([boltzmann, normalize]))
    assert [r["cell_id"] for r in together] == [boltzmann.id, normalize.id]
    assert "error" not in together[0] and together[1]["error"].startswith("ValueError: ")
    (alone,) = tasks.execute_batch(tasks.batch_payload([boltzmann]))
    assert together[0]["summary"] == alone["summary"]
    for name, values in alone["arrays"].items():
        np.testing.assert_array_equal(together[0]["arrays"][name], values)


def test_a_success_replaces_a_failure_and_old_stores_have_none(tmp_path):
    cell = loads_study(FAILING).members[0].cell
    with Store(tmp_path / "s") as store:
        store.add_failure(cell, "RuntimeError: flaky", wall_time=0.1)
        assert set(store.failures()) == {cell.id}
        store.add_result(cell, {"mean_reward": 1.0}, {}, wall_time=0.1)
        assert store.failures() == {} and store.done_ids() == {cell.id}
        store.add_failure(cell, "RuntimeError: late", wall_time=0.1)  # finished stays
        assert store.failures() == {}
    with sqlite3.connect(tmp_path / "s" / "store.sqlite") as conn:
        conn.execute("DROP TABLE failures")  # a store from before failures were recorded
    with Store(tmp_path / "s", readonly=True) as store:
        assert store.failures() == {}


def test_sweep_axis_is_linear_for_offsets_and_marks_failures(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from boltzmann_rl.plotting.sweep import demo_results, plot_parameter_sweep
    from boltzmann_rl.sweep.report import load_results

    study = loads_study(FAILING)
    run_study(study, tmp_path, backend="serial", report=False)
    with Store(tmp_path, readonly=True) as store:
        fig = plot_parameter_sweep(load_results(store, study.to_dict()))
    (ax,) = fig.axes
    assert ax.get_xscale() == "linear"  # offsets -5 and +10: no log axis
    assert ax.get_xlabel() == "reward offset (added to every reward)"
    crosses = [
        line for line in ax.get_lines() if line.get_marker() == "x" and len(line.get_xdata())
    ]
    assert [list(line.get_xdata()) for line in crosses] == [[-5.0]]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Boltzmann", "q / sum q", "failed"]
    # a family that asks for a linear axis gets its own panel beside the log one
    results = demo_results()
    results.families[0]["xscale"] = "linear"
    fig = plot_parameter_sweep(results)
    assert [a.get_xscale() for a in fig.axes[:2]] == ["linear", "log"]
    assert [a.get_xlabel() for a in fig.axes[:2]] == [
        "temperature T (in units of the action values)",
        "ε (probability of a random action), log scale",
    ]


@pytest.mark.slow
def test_shipped_why_softmax_study_on_a_tiny_budget(tmp_path):
    root = Path(__file__).resolve().parents[1]
    text = (root / "experiments" / "why_softmax.toml").read_text()
    text = text.replace("runs = 2000", "runs = 20").replace("steps = 1000", "steps = 30")
    path = tmp_path / "why_softmax.toml"
    path.write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    with Store(out, readonly=True) as store:
        failures = store.failures().values()
        # plain normalization fails at offset -5 (Q1 = -4) at the first step
        assert any(f["config"]["env_args"]["offset"] == -5.0 for f in failures)
        assert all(f["config"]["policy"] == "normalize(kind=plain)" for f in failures)
        assert all(NEGATIVE in f["error"] for f in failures)
        assert len(store.done_ids()) + len(failures) == 54
    report = (out / "report.md").read_text()
    assert f"failed: ValueError: {NEGATIVE}" in report
    assert (out / "figures" / "sweep.png").stat().st_size > 0


def test_cli_reports_failed_cells_and_retries_them(tmp_path, capsys):
    from boltzmann_rl.cli import main

    study = tmp_path / "fails.toml"
    study.write_text(
        """
[study]
name = "fails"
seed = 0

[problem]
type = "bandit"
env = "gaussian"
args = { arms = 3 }

[budget]
runs = 20
steps = 5

[[family]]
name = "plain"
policy = "normalize"

[[family]]
name = "softmax"
policy = "boltzmann(temperature={t})"
grid = { t = [0.5] }
""",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["run", str(study), "--out", str(out), "--backend", "serial", "--no-figures"]) == 0
    text = capsys.readouterr().out
    assert "1 cell failed" in text and "--retry-failed" in text
    args = ["run", str(study), "--out", str(out), "--backend", "serial", "--no-figures"]
    assert main([*args, "--retry-failed"]) == 0
    assert "1 cell failed" in capsys.readouterr().out  # fails again, deterministically


# ------------------------------------------------------------------------ one study per folder


def test_a_second_study_into_a_folder_is_refused_naming_both(tmp_path, capsys):
    out = tmp_path / "out"
    first = bandit_study(tmp_path, "[0.2]")
    argv = ["--out", str(out), "--backend", "serial", "--quiet", "--no-figures"]
    assert main(["run", str(first), *argv]) == 0
    other = tmp_path / "other.toml"
    other.write_text(BANDIT.replace("TEMPS", "[0.2]").replace("tiny_bandit", "other_bandit"))
    assert main(["run", str(other), *argv]) == 2  # exited 0 and mixed the two
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "'tiny_bandit'" in err and "'other_bandit'" in err and "differ in name" in err
    budget = tmp_path / "budget.toml"
    budget.write_text(BANDIT.replace("TEMPS", "[0.2]").replace("steps = 40", "steps = 41"))
    assert main(["run", str(budget), *argv]) == 2
    assert "differ in budget" in capsys.readouterr().err
    with Store(out, readonly=True) as store:
        assert len(store.done_ids()) == 5
        assert store.latest_study()["name"] == "tiny_bandit"
    # the same study again, or with values added to a grid, resumes
    assert main(["run", str(first), *argv]) == 0
    assert main(["run", str(bandit_study(tmp_path, "[0.2, 0.5]")), *argv]) == 0
    with Store(out, readonly=True) as store:
        assert len(store.done_ids()) == 6


# ------------------------------------------------------------------------ SIGTERM


def _run_and_signal(cmd: list[str], out: Path, sig: int, after: int) -> int:
    """Start a run, send ``sig`` once ``after`` cells are committed; return the exit code."""
    with subprocess.Popen([*cmd, "--out", str(out)], stderr=subprocess.PIPE) as proc:
        deadline = time.monotonic() + 60
        while _done(out) < after and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert proc.poll() is None, "the run finished before it could be stopped"
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err.decode()
    return proc.returncode


@pytest.mark.parametrize("backend", ["serial", pytest.param("process", marks=pytest.mark.slow)])
def test_sigterm_drops_cells_in_flight_and_marks_the_run_interrupted(tmp_path, backend):
    study = gym_study(tmp_path, "{ geomspace = [0.01, 10.0, 8] }", episodes=150)
    cmd = [sys.executable, "-m", "boltzmann_rl", "run", str(study), "--backend", backend]
    cmd += ["--workers", "2", "--quiet", "--no-figures"]
    out = tmp_path / "out"
    assert _run_and_signal(cmd, out, signal.SIGTERM, after=2) == 143  # was left "running"
    with Store(out, readonly=True) as store:
        assert store.runs()[-1]["status"] == "interrupted"
        done = len(store.done_ids())
    assert 2 <= done < 12
    subprocess.run([*cmd, "--out", str(out)], check=True)
    run_study(load_study(study), tmp_path / "whole", backend="serial", report=False)
    assert_same_stores(tmp_path / "whole", out)


# ------------------------------------------------------------------------ what Ray prints


class NoisyRay(FakeRay):
    """A fake Ray that writes log lines to file descriptor 1, as Ray's raylet does."""

    def init(self, **kwargs):
        os.write(1, b"(raylet) Started a local Ray instance\n")
        print("Ray log line through sys.stdout")
        super().init(**kwargs)

    def get(self, ref):
        os.write(1, b"(raylet) Task execute_batch failed; a worker died\n")
        return super().get(ref)


def test_run_json_stdout_holds_only_the_json_whatever_ray_prints(tmp_path, monkeypatch, capfd):
    fake = NoisyRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    study, out = gym_study(tmp_path), tmp_path / "out"
    argv = ["run", str(study), "--out", str(out), "--backend", "ray", "--json", "--no-figures"]
    assert main(argv) == 0
    captured = capfd.readouterr()
    assert json.loads(captured.out)["ran"] == 6  # the raylet's lines came first
    assert "(raylet) Task execute_batch failed" in captured.err
    assert "Ray log line" in captured.err
    assert fake.shutdowns == 1


def test_ray_is_not_started_when_every_cell_is_done(tmp_path, monkeypatch, capsys):
    study, out = gym_study(tmp_path), tmp_path / "out"
    run_study(load_study(study), out, backend="serial", report=False)
    fake = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    argv = ["run", str(study), "--out", str(out), "--backend", "ray", "--json", "--no-figures"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["skipped"] == 6
    assert fake.init_kwargs is None and not fake.initialized  # was started, then shut down


@pytest.mark.slow
def test_real_ray_json_after_a_worker_dies(tmp_path):
    pytest.importorskip("ray")
    psutil = pytest.importorskip("psutil")
    study = gym_study(tmp_path, "[0.01, 0.1, 1.0]", episodes=3000)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "boltzmann_rl", "run", str(study), "--out", str(out)]
    cmd += ["--backend", "ray", "--workers", "2", "--json", "--no-figures"]
    killed = False
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline and proc.poll() is None:
            for child in psutil.Process(proc.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    if "execute_batch" in " ".join(child.cmdline()):
                        child.kill()  # a worker of this run dies; Ray retries its task
                        killed = True
                        break
            time.sleep(0.05)
        stdout, stderr = proc.communicate(timeout=300)
    assert killed, "no Ray worker was seen running a batch"
    assert proc.returncode == 0, stderr.decode()
    data = json.loads(stdout)  # nothing but the JSON
    assert data["ran"] == 6 and data["failed"] == 0 and data["backend"] == "ray"
    assert b"Traceback" not in stderr


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["serial", "process"])
def test_killed_at_random_moments_then_resumed_equals_an_uninterrupted_run(tmp_path, backend):
    import random

    rng = random.Random(13 if backend == "serial" else 14)
    # long enough (several seconds) that stops at random moments within 1.2 s of each
    # start land before the study is done, whatever the speed of the machine
    study = gym_study(tmp_path, "{ geomspace = [0.01, 10.0, 12] }", episodes=600)
    cmd = [sys.executable, "-m", "boltzmann_rl", "run", str(study), "--backend", backend]
    cmd += ["--workers", "2", "--quiet", "--no-figures", "--out", str(tmp_path / "split")]
    stops = 0
    for _ in range(12):
        sig = rng.choice([signal.SIGKILL, signal.SIGTERM])
        with subprocess.Popen(cmd, stderr=subprocess.PIPE) as proc:
            try:
                proc.wait(timeout=rng.uniform(0.3, 1.2))  # a random moment
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, sig)
                stops += 1
            _, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err, err.decode()
        # -SIGTERM: it arrived while Python was still importing, before the command
        # installed its handler (nothing had been written yet)
        assert proc.returncode in (0, 143, -signal.SIGKILL, -signal.SIGTERM), proc.returncode
        if proc.returncode == 0:
            break
    assert stops >= 2, "the study finished before it was stopped twice"
    subprocess.run(cmd, check=True)  # finish whatever is left
    with Store(tmp_path / "split", readonly=True) as store:
        statuses = [r["status"] for r in store.runs()]
    assert statuses[-1] == "finished"
    run_study(load_study(study), tmp_path / "whole", backend="serial", report=False)
    assert_same_stores(tmp_path / "whole", tmp_path / "split")
