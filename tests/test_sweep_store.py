"""The SQLite store: round trip, one transaction per cell, no pickle, the writer lock."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from boltzmann_rl.sweep.cells import Cell
from boltzmann_rl.sweep.store import STORE_FILE, Store, StoreLocked


def cell(policy: str = "greedy") -> Cell:
    return Cell("bandit", "gaussian", {"arms": 3}, "sample_average", {}, policy, {"runs": 4})


def test_round_trip(tmp_path):
    c = cell()
    arrays = {"reward": np.linspace(0, 1, 7), "reward_ci": np.full(7, np.nan)}
    summary = {"mean_reward": 0.25, "mean_reward_ci": float("nan"), "note": "x"}
    with Store(tmp_path) as store:
        store.record_study("s", "s.toml", "[study]", {"name": "s"})
        run = store.begin_run("serial", 1, ["run"])
        store.add_result(c, summary, arrays, wall_time=0.5, batch_size=2, batch_wall_time=1.0)
        store.end_run("finished")
    with Store(tmp_path, readonly=True) as store:
        assert store.done_ids() == {c.id}
        assert store.summary(c.id) == {"mean_reward": 0.25, "mean_reward_ci": None, "note": "x"}
        got = store.arrays(c.id)
        np.testing.assert_array_equal(got["reward"], arrays["reward"])
        assert np.isnan(got["reward_ci"]).all()
        (row,) = store.cells()
        assert row["config"] == c.config()
        assert row["seed"] == str(c.entropy)
        assert row["code_version"].startswith("boltzmann_rl ")
        assert row["batch_size"] == 2 and row["wall_time"] == 0.5 and row["run_id"] == run
        (r,) = store.runs()
        assert r["status"] == "finished" and r["cells_done"] == 1 and r["argv"] == ["run"]
        assert store.latest_study()["spec"] == {"name": "s"}


def test_nothing_is_pickled(tmp_path):
    with Store(tmp_path) as store:
        store.add_result(cell(), {"m": 1.0}, {"reward": np.arange(3.0)}, wall_time=0.1)
    conn = sqlite3.connect(tmp_path / STORE_FILE)
    for blob, dtype, shape in conn.execute("SELECT data, dtype, shape_json FROM arrays"):
        assert dtype == "<f8" and json.loads(shape) == [3]
        assert blob == np.arange(3.0).astype("<f8").tobytes()
        assert not blob.startswith(b"\x80")  # no pickle protocol header
    for (text,) in conn.execute("SELECT config_json FROM cells"):
        json.loads(text)
    conn.close()


def test_first_result_wins_and_study_rows_deduplicate(tmp_path):
    c = cell()
    with Store(tmp_path) as store:
        store.add_result(c, {"m": 1.0}, {"a": np.zeros(2)}, wall_time=0.1)
        store.add_result(c, {"m": 2.0}, {"a": np.ones(2)}, wall_time=0.1)
        assert store.summary(c.id) == {"m": 1.0}
        a = store.record_study("s", "f", "t", {"x": 1})
        assert store.record_study("s", "f", "t", {"x": 1}) == a
        assert store.record_study("s", "f", "t2", {"x": 1}) != a


def test_parts_are_kept_until_their_cell_is_committed(tmp_path):
    c = Cell("gym", "FrozenLake-v1", {}, "qlearning", {}, "greedy", {"seeds": 2, "episodes": 5})
    with Store(tmp_path) as store:
        store.begin_run("serial", 1)
        store.add_part(c, 1, {"x": np.array([1.5, np.nan])}, wall_time=0.2, worker="w1")
        store.add_part(c, 1, {"x": np.zeros(2)}, wall_time=9.0)  # the first one wins
        store.add_part(c, 0, {"x": np.arange(3.0), "e": np.zeros(0)}, wall_time=0.1, worker="w0")
        assert store.part_indices() == {c.id: {0, 1}}
        assert store.done_ids() == set() and store.cells() == []  # a part is not a cell
    with Store(tmp_path, readonly=True) as store:
        parts = store.parts(c.id)
        assert [(p["part"], p["worker"], p["wall_time"]) for p in parts] == [
            (0, "w0", 0.1),
            (1, "w1", 0.2),
        ]
        np.testing.assert_array_equal(parts[1]["arrays"]["x"], [1.5, np.nan])
        assert parts[0]["arrays"]["e"].shape == (0,) and sorted(parts[0]["arrays"]) == ["e", "x"]
    with Store(tmp_path) as store:
        store.add_result(c, {"m": 1.0}, {"a": np.zeros(2)}, wall_time=0.3)
        assert store.part_indices() == {} and store.parts(c.id) == []
        store.add_part(c, 0, {"x": np.zeros(1)}, wall_time=0.1)  # its cell is finished
        assert store.part_indices() == {}
    conn = sqlite3.connect(tmp_path / STORE_FILE)
    assert conn.execute("SELECT COUNT(*) FROM part_arrays").fetchone() == (0,)
    conn.close()


def test_readonly_without_store_says_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="no results store here"):
        Store(tmp_path / "nothing", readonly=True)


def test_not_a_store(tmp_path):
    (tmp_path / STORE_FILE).write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ValueError, match="not a boltzmann_rl results store"):
        Store(tmp_path)


def test_second_writer_refuses_with_a_clear_message(tmp_path):
    with Store(tmp_path) as first:
        first.lock()
        with Store(tmp_path) as second, pytest.raises(StoreLocked) as info:
            second.lock()
    message = str(info.value)
    assert "another run is writing to this results store" in message
    assert "--out" in message
    # released on close: a new writer gets it
    with Store(tmp_path) as third:
        third.lock()


def test_lock_is_released_when_the_holder_is_killed(tmp_path):
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        from boltzmann_rl.sweep.store import Store
        s = Store({str(tmp_path)!r}); s.lock()
        print("locked", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "locked" in proc.stdout and proc.returncode != 0
    with Store(tmp_path) as store:
        store.lock()  # the OS dropped the dead process's lock


def test_lock_held_by_another_process_names_it(tmp_path):
    code = textwrap.dedent(
        f"""
        import sys, time
        from boltzmann_rl.sweep.store import Store
        s = Store({str(tmp_path)!r}); s.lock()
        print("locked", flush=True)
        sys.stdin.read()
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout.readline().strip() == "locked"
            with Store(tmp_path) as store, pytest.raises(StoreLocked, match=f"process {proc.pid}"):
                store.lock()
        finally:
            proc.stdin.close()
            proc.wait(timeout=30)
