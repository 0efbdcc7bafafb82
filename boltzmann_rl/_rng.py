"""Random streams for a batch of runs, split into fixed chunks.

Shared by the bandit engine (:mod:`boltzmann_rl.bandits.simulate`, which re-exports
it as :mod:`boltzmann_rl.bandits.rng`) and the batched tabular gym engine
(:mod:`boltzmann_rl.gym.tabular`); it imports nothing of ours.

The results of a bandit simulation are a deterministic function of the configuration
and the seed, whatever the batch layout: a policy simulated alone or stacked with
others, on one worker or split between many, gives bit-for-bit the same numbers. This
module is how.

The seeding tree
----------------
Runs are cut into fixed **chunks** of :data:`CHUNK_RUNS` (250) consecutive runs; the
last chunk of ``R`` runs may be shorter. A group (one agent configuration) with seed
``s`` draws the randomness of chunk ``c`` from two streams::

    SeedSequence(s)                        the group's seed
      .spawn(c + 1)[c]                     chunk c
        .spawn(2)[0]   environment         true values, reward noise, random walks
        .spawn(2)[1]   agent               action sampling, posterior draws, ...

:func:`chunk_seed` builds a node of that tree directly (``SeedSequence`` with the
``spawn_key`` the calls above would give), so any chunk can be simulated on its own.
The environment stream does not depend on the agent, so every group with the same
seed sees the same environments (common random numbers): the true values of run ``r``
depend only on the seed and ``r``'s chunk.

Blocks
------
Per-step draws are made in **blocks** of :data:`BLOCK_STEPS` (32) steps: one call per
chunk draws ``(32, n)`` (or ``(32, k, n)``) numbers, and each step takes one slice.
The block size is fixed, and full blocks are always drawn, so a run of ``T`` steps is
the first ``T`` steps of a longer run with the same seed.

Examples
--------
>>> from boltzmann_rl._rng import BatchRNG
>>> rng = BatchRNG.from_seed(0, n_rows=300)      # two chunks: 250 + 50 runs
>>> rng.n_rows, rng.uniform().shape, rng.normal(k=3).shape
(300, (300,), (3, 300))
>>> a = BatchRNG.from_seed(0, n_rows=300).uniform()
>>> b = BatchRNG.from_seed(0, n_rows=250).uniform()     # the first chunk alone
>>> bool((a[:250] == b).all())
True
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.random import SFC64, Generator, SeedSequence

from boltzmann_rl._checks import nonnegative_int, positive_int

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

CHUNK_RUNS = 250
"""Runs per chunk: each chunk of runs has its own random streams."""

BLOCK_STEPS = 32
"""Steps of per-step randomness drawn by one call per chunk."""

ENV_STREAM = 0
"""Index of the environment stream among a chunk's children."""

AGENT_STREAM = 1
"""Index of the agent stream among a chunk's children."""


def as_seed_sequence(seed: Any) -> SeedSequence:
    """Return ``seed`` as a :class:`numpy.random.SeedSequence`.

    Parameters
    ----------
    seed : int, sequence of int or SeedSequence
        A non-negative integer (the usual case), a sequence of them (for example
        words of a hash of an experiment cell's id), or a ``SeedSequence`` whose
        ``entropy`` and ``spawn_key`` are used (not its spawn counter).

    Returns
    -------
    SeedSequence

    Raises
    ------
    TypeError
        ``None``, a float, a bool, a ``Generator`` or any other type: a simulation
        is always reproducible, so a seed is required.
    ValueError
        A negative integer.

    Examples
    --------
    >>> from boltzmann_rl._rng import as_seed_sequence
    >>> as_seed_sequence(7).entropy
    7
    >>> as_seed_sequence([1, 2]).entropy
    [1, 2]
    """
    if isinstance(seed, SeedSequence):
        return SeedSequence(seed.entropy, spawn_key=seed.spawn_key)
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return SeedSequence(nonnegative_int(seed, "seed"))
    if isinstance(seed, list | tuple) and seed:
        words = []
        for w in seed:
            if isinstance(w, bool) or not isinstance(w, numbers.Integral) or w < 0:
                raise TypeError(f"seed words must be non-negative integers, got {seed!r}")
            words.append(int(w))
        return SeedSequence(words)
    raise TypeError(
        "seed must be a non-negative int, a sequence of them or a numpy SeedSequence, "
        f"got {type(seed).__name__}: {seed!r}"
    )


def chunk_seed(seed: Any, chunk: int, stream: int) -> SeedSequence:
    """The ``SeedSequence`` of one stream of one chunk (see the module docstring).

    ``chunk_seed(s, c, i)`` equals ``SeedSequence(s).spawn(c + 1)[c].spawn(2)[i]``.

    Parameters
    ----------
    seed : int, sequence of int or SeedSequence
        The group's seed.
    chunk : int
        Chunk index (runs ``chunk * CHUNK_RUNS`` onwards).
    stream : int
        :data:`ENV_STREAM` or :data:`AGENT_STREAM`.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl._rng import chunk_seed
    >>> a = chunk_seed(5, 2, 1).generate_state(2)
    >>> b = np.random.SeedSequence(5).spawn(3)[2].spawn(2)[1].generate_state(2)
    >>> bool((a == b).all())
    True
    """
    base = as_seed_sequence(seed)
    return SeedSequence(base.entropy, spawn_key=(*base.spawn_key, int(chunk), int(stream)))


def n_chunks(runs: int) -> int:
    """Number of chunks of :data:`CHUNK_RUNS` runs needed for ``runs`` runs.

    Examples
    --------
    >>> from boltzmann_rl._rng import n_chunks
    >>> n_chunks(2000), n_chunks(2001), n_chunks(1)
    (8, 9, 1)
    """
    return -(-int(runs) // CHUNK_RUNS)


class _Buffer:
    __slots__ = ("data", "pos")

    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self.pos = 0


class BatchRNG:
    """Per-step random numbers for a batch of rows, drawn chunk by chunk.

    The rows are the concatenation of *segments*; each segment has its own
    :class:`numpy.random.Generator` (one chunk of one group, see the module
    docstring), on numpy's SFC64 bit generator, whose normal draws are about a
    quarter faster than PCG64's (statistical quality: both pass TestU01 BigCrush
    and PractRand). Every method returns numbers for all rows, the part of each segment
    drawn from that segment's generator only, so a row's numbers do not depend on
    what other segments share the batch.

    This is the ``rng`` a :class:`~boltzmann_rl.bandits.agents.BanditAgent` gets in
    ``select``: an agent draws with :meth:`uniform`, :meth:`normal`, :meth:`gumbel`
    (block-buffered, the fast path) or :meth:`beta` / :meth:`map` (direct draws).

    Parameters
    ----------
    segments : sequence of (SeedSequence, int)
        The seed and the number of rows of each segment, in row order.
    block : int, default BLOCK_STEPS
        Steps per buffered draw. Part of the definition of the random streams:
        changing it changes the numbers.

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl._rng import BatchRNG
    >>> rng = BatchRNG([(np.random.SeedSequence(1), 2), (np.random.SeedSequence(2), 3)])
    >>> rng.uniform().shape
    (5,)
    """

    __slots__ = ("_block", "_buffers", "_gens", "_slices", "n_rows")

    def __init__(self, segments: Sequence[tuple[SeedSequence, int]], block: int = BLOCK_STEPS):
        self._block = positive_int(block, "block")
        self._gens: list[Generator] = []
        self._slices: list[slice] = []
        start = 0
        for seq, n in segments:
            n = positive_int(n, "segment size")
            self._gens.append(Generator(SFC64(seq)))
            self._slices.append(slice(start, start + n))
            start += n
        self.n_rows = start
        self._buffers: dict[tuple[str, int | None], _Buffer] = {}

    @classmethod
    def from_seed(
        cls, seed: Any, n_rows: int, *, stream: int = AGENT_STREAM, first_chunk: int = 0
    ) -> BatchRNG:
        """The streams of ``n_rows`` consecutive runs of one group with ``seed``.

        Parameters
        ----------
        seed : int, sequence of int or SeedSequence
            The group's seed.
        n_rows : int
            Number of runs, starting at run ``first_chunk * CHUNK_RUNS``.
        stream : int, default AGENT_STREAM
            Which stream of each chunk.
        first_chunk : int, default 0
            Index of the first chunk.

        Examples
        --------
        >>> from boltzmann_rl._rng import BatchRNG
        >>> BatchRNG.from_seed(0, 600).segment_sizes
        [250, 250, 100]
        """
        return cls(_segments(seed, n_rows, stream, first_chunk))

    @property
    def segment_sizes(self) -> list[int]:
        """Rows of each segment, in order."""
        return [s.stop - s.start for s in self._slices]

    @property
    def generators(self) -> list[tuple[Generator, slice]]:
        """Each segment's generator and its rows: for draws the methods do not cover."""
        return list(zip(self._gens, self._slices, strict=True))

    def _next(self, kind: str, k: int | None) -> np.ndarray:
        key = (kind, k)
        buf = self._buffers.get(key)
        if buf is None or buf.pos == self._block:
            buf = self._refill(kind, k)
            self._buffers[key] = buf
        out = buf.data[buf.pos]
        buf.pos += 1
        return out

    def _refill(self, kind: str, k: int | None) -> _Buffer:
        b = self._block
        shape = (b, self.n_rows) if k is None else (b, k, self.n_rows)
        data = np.empty(shape)
        for gen, sl in zip(self._gens, self._slices, strict=True):
            n = sl.stop - sl.start
            size = (b, n) if k is None else (b, k, n)
            if kind == "uniform":
                draw = gen.random(size)
            elif kind == "normal":
                draw = gen.standard_normal(size)
            else:
                draw = gen.gumbel(size=size)
            data[..., sl] = draw
        return _Buffer(data)

    def _check_k(self, k: Any) -> int | None:
        if k is None:
            return None
        return positive_int(k, "k")

    def uniform(self, k: int | None = None) -> np.ndarray:
        """Uniform numbers on ``[0, 1)`` for this step: shape ``(n_rows,)`` or ``(k, n_rows)``.

        The returned array is a view into a buffer that later calls overwrite:
        copy it to keep it.

        Examples
        --------
        >>> from boltzmann_rl._rng import BatchRNG
        >>> u = BatchRNG.from_seed(0, 4).uniform()
        >>> bool(((u >= 0) & (u < 1)).all())
        True
        """
        return self._next("uniform", self._check_k(k))

    def normal(self, k: int | None = None) -> np.ndarray:
        """Standard normal numbers for this step: shape ``(n_rows,)`` or ``(k, n_rows)``.

        Examples
        --------
        >>> from boltzmann_rl._rng import BatchRNG
        >>> BatchRNG.from_seed(0, 4).normal(k=2).shape
        (2, 4)
        """
        return self._next("normal", self._check_k(k))

    def gumbel(self, k: int | None = None) -> np.ndarray:
        """Standard Gumbel numbers for this step: shape ``(n_rows,)`` or ``(k, n_rows)``.

        Examples
        --------
        >>> from boltzmann_rl._rng import BatchRNG
        >>> BatchRNG.from_seed(0, 4).gumbel(k=3).shape
        (3, 4)
        """
        return self._next("gumbel", self._check_k(k))

    def map(self, draw: Callable[[Generator, slice], np.ndarray]) -> np.ndarray:
        """Concatenate ``draw(generator, rows)`` over the segments (along the last axis).

        For draws whose parameters change every step (posterior samples, say).

        Examples
        --------
        >>> import numpy as np
        >>> from boltzmann_rl._rng import BatchRNG
        >>> rng = BatchRNG.from_seed(0, 300)
        >>> a = np.ones(300)
        >>> rng.map(lambda g, rows: g.beta(a[rows], a[rows])).shape
        (300,)
        """
        parts = [draw(gen, sl) for gen, sl in zip(self._gens, self._slices, strict=True)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)

    def beta(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Beta draws with per-row parameters ``a``, ``b`` of shape ``(..., n_rows)``.

        Examples
        --------
        >>> import numpy as np
        >>> from boltzmann_rl._rng import BatchRNG
        >>> BatchRNG.from_seed(0, 5).beta(np.ones((2, 5)), np.ones((2, 5))).shape
        (2, 5)
        """
        return self.map(lambda g, sl: g.beta(a[..., sl], b[..., sl]))


def _segments(seed: Any, n_rows: int, stream: int, first_chunk: int = 0):
    n_rows = positive_int(n_rows, "the number of runs")
    segs = []
    left = int(n_rows)
    c = int(first_chunk)
    while left > 0:
        n = min(CHUNK_RUNS, left)
        segs.append((chunk_seed(seed, c, stream), n))
        left -= n
        c += 1
    return segs
