"""How much memory a bandit simulation needs, estimated before anything is allocated.

:func:`simulation_bytes` adds up what :func:`~boltzmann_rl.bandits.simulate` holds at
once for ``runs`` runs of ``groups`` agent configurations on ``arms`` arms:

* per run and arm: the agent's state (estimates, counts, weights and scratch rows of
  the policy, about six float64 each), the environment's true values, and a block of
  :data:`~boltzmann_rl.bandits.rng.BLOCK_STEPS` uniform draws per arm;
* per run: the block buffers of the per-step metrics (reward, regret, entropy, the
  entropy's normaliser, the optimal flag; ``BLOCK_STEPS`` steps each), a dozen
  accumulators (cumulative regret, reward sums, actions, row indices) and the
  result's per-run summaries (one float64 per summary of
  :data:`~boltzmann_rl.bandits.SUMMARIES`);
* per step: the per-chunk moments of every metric (a sum and a sum of squared
  deviations per group and per chunk of :data:`~boltzmann_rl.bandits.rng.CHUNK_RUNS`
  runs), which grow as ``steps x runs / 250``;
* per chunk: its random-stream bookkeeping (Python objects, about 200 bytes).

It is an estimate (within a small factor), used to refuse work that cannot fit, not
an accounting: :func:`check_simulation` raises
:class:`~boltzmann_rl._resources.ResourceLimitError` naming it and the limit.

Examples
--------
>>> from boltzmann_rl.bandits._memory import simulation_bytes
>>> simulation_bytes(runs=2000, steps=1000, arms=10) < 2**27  # the testbed: ~100 MiB at most
True
>>> simulation_bytes(runs=10**7, steps=10**7, arms=10) > 2**40
True
"""

from __future__ import annotations

import numbers
from typing import Any

from boltzmann_rl._resources import check_memory
from boltzmann_rl.bandits.results import METRICS, SUMMARIES
from boltzmann_rl.bandits.rng import BLOCK_STEPS, CHUNK_RUNS

__all__ = ["check_simulation", "simulation_bytes"]

_F8 = 8
_PER_ARM = _F8 * (6 + 1 + BLOCK_STEPS)
# the optimal flags are bytes; the result keeps len(SUMMARIES) floats per run
_PER_RUN = _F8 * (4 * BLOCK_STEPS + 12 + len(SUMMARIES)) + BLOCK_STEPS
_PER_CHUNK = 200


def simulation_bytes(runs: int, steps: int, arms: int, groups: int = 1) -> int:
    """Estimated peak memory of a simulation, in bytes (exact integer arithmetic).

    Parameters
    ----------
    runs, steps, arms, groups : int
        The simulation's size (``groups`` agent configurations simulated together).

    Returns
    -------
    int

    Examples
    --------
    >>> from boltzmann_rl.bandits._memory import simulation_bytes
    >>> simulation_bytes(250, 1, 1) == 250 * (1184 + 312) + 1 * 4 * 2 * 8 + 200
    True
    """
    chunks = -(-runs // CHUNK_RUNS)
    rows = runs * groups
    moments = steps * groups * chunks * len(METRICS) * 2 * _F8
    return rows * (_PER_RUN + arms * _PER_ARM) + moments + chunks * _PER_CHUNK


def check_simulation(env: Any, agents: Any, runs: Any, steps: Any, chunks: Any = None) -> None:
    """Refuse a simulation whose estimated memory exceeds the limit.

    Arguments that are not positive integers are left for :func:`simulate`'s own
    checks (which name them); ``chunks`` as in :func:`simulate` counts only the runs of
    those chunks; an environment given by name counts one arm, so the
    estimate is a lower bound there.

    Raises
    ------
    ResourceLimitError
        Naming the runs, steps and arms, the estimate and the limit.

    Examples
    --------
    >>> from boltzmann_rl.bandits._memory import check_simulation
    >>> check_simulation("gaussian", "greedy", 10, 10)
    >>> check_simulation("gaussian", "greedy", 10**7, 10**7)
    Traceback (most recent call last):
    ...
    boltzmann_rl._resources.ResourceLimitError: the simulation of 10000000 runs x 10000000 steps ...
    """
    sizes = (runs, steps)
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in sizes):
        return
    if runs < 1 or steps < 1:
        return
    if isinstance(chunks, tuple) and len(chunks) == 2 and all(isinstance(c, int) for c in chunks):
        # a part of the runs (chunks start..stop-1); a bad pair is simulate's to report
        part = min(runs, chunks[1] * CHUNK_RUNS) - max(chunks[0], 0) * CHUNK_RUNS
        runs = part if 0 < part <= runs else runs
    arms = getattr(env, "arms", 1)
    arms = int(arms) if isinstance(arms, numbers.Integral) else 1
    arms = arms if arms > 0 else 1
    groups = len(agents) if isinstance(agents, list | tuple) else 1
    nbytes = simulation_bytes(int(runs), int(steps), arms, max(groups, 1))
    what = f"the simulation of {runs} runs x {steps} steps"
    what += f" x {arms} arms" if arms > 1 else ""
    what += f" x {groups} groups" if groups > 1 else ""
    check_memory(nbytes, what)
