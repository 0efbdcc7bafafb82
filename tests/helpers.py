"""Helpers shared by several test modules (imported as ``helpers``: pytest puts this
folder on ``sys.path`` for the test modules beside it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from boltzmann_rl.bandits.results import METRICS
from boltzmann_rl.sweep.store import Store


def assert_same_results(a, b):
    """Bit-for-bit equality of two bandit groups' curves and summaries."""
    for m in METRICS:
        np.testing.assert_array_equal(a.curves[m].mean, b.curves[m].mean, err_msg=m)
        np.testing.assert_array_equal(a.curves[m].ci, b.curves[m].ci, err_msg=m)
    assert a.stats == b.stats
    assert a.per_run.keys() == b.per_run.keys()
    for name in a.per_run:
        np.testing.assert_array_equal(a.per_run[name], b.per_run[name], err_msg=name)


def store_results(out: Path) -> tuple[list[dict], dict[str, dict[str, np.ndarray]]]:
    """Everything in a results store that must not depend on how a run went: the
    finished cells' ids, configurations and summaries, and their arrays."""
    with Store(out, readonly=True) as store:
        cells = sorted(
            (
                {"id": c["cell_id"], "config": c["config"], "summary": c["summary"]}
                for c in store.cells()
            ),
            key=lambda c: c["id"],
        )
        arrays = {c["id"]: store.arrays(c["id"]) for c in cells}
    return cells, arrays


def assert_same_stores(a: Path, b: Path) -> None:
    """Bit-for-bit equality of the finished cells of two results stores."""
    cells_a, arrays_a = store_results(a)
    cells_b, arrays_b = store_results(b)
    assert cells_a == cells_b
    assert arrays_a.keys() == arrays_b.keys()
    for cid in arrays_a:
        assert arrays_a[cid].keys() == arrays_b[cid].keys()
        for name in arrays_a[cid]:
            np.testing.assert_array_equal(arrays_a[cid][name], arrays_b[cid][name])
