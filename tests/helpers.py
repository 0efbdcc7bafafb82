"""Helpers shared by several test modules (imported as ``helpers``: pytest puts this
folder on ``sys.path`` for the test modules beside it)."""

from __future__ import annotations

import numpy as np

from boltzmann_rl.bandits.results import METRICS


def assert_same_results(a, b):
    """Bit-for-bit equality of two bandit groups' curves and summaries."""
    for m in METRICS:
        np.testing.assert_array_equal(a.curves[m].mean, b.curves[m].mean, err_msg=m)
        np.testing.assert_array_equal(a.curves[m].ci, b.curves[m].ci, err_msg=m)
    assert a.stats == b.stats
    assert a.per_run.keys() == b.per_run.keys()
    for name in a.per_run:
        np.testing.assert_array_equal(a.per_run[name], b.per_run[name], err_msg=name)
