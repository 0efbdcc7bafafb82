"""Random streams for a batch of runs: :mod:`boltzmann_rl._rng`, under its bandit name.

The module lives below both worlds, so the gym engine shares it without importing the
bandit world.

Examples
--------
>>> from boltzmann_rl.bandits.rng import CHUNK_RUNS, BatchRNG
>>> CHUNK_RUNS, BatchRNG.from_seed(0, n_rows=300).segment_sizes
(250, [250, 50])
"""

from boltzmann_rl._rng import (
    AGENT_STREAM,
    BLOCK_STEPS,
    CHUNK_RUNS,
    ENV_STREAM,
    BatchRNG,
    as_seed_sequence,
    chunk_seed,
    n_chunks,
)

__all__ = [
    "AGENT_STREAM",
    "BLOCK_STEPS",
    "CHUNK_RUNS",
    "ENV_STREAM",
    "BatchRNG",
    "as_seed_sequence",
    "chunk_seed",
    "n_chunks",
]
