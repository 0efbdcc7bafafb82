"""A tile coder: ``Box`` observations as a few active binary features.

Tile coding (Sutton and Barto, 2018, sec. 9.5.4) covers the box ``[low, high]`` with
``tilings`` overlapping grids of ``tiles`` x ... x ``tiles`` cells, each grid offset
from the others by a fraction of a cell. An observation activates exactly one cell
per tiling, so it becomes ``tilings`` feature indices, and a linear action-value
function ``q(s, a) = sum of w[a, i] over the active i`` generalises between nearby
observations while staying cheap to update.

The offsets follow the asymmetric displacement Sutton and Barto recommend: tiling
``k`` is shifted by ``k * (1, 3, 5, ...) / tilings`` of a cell along the dimensions,
so the tilings do not all line up along the diagonal.

Examples
--------
>>> from boltzmann_rl.gym.tiles import TileCoder
>>> coder = TileCoder([-1.2, -0.07], [0.6, 0.07], tilings=8, tiles=8)
>>> coder.n_features
648
>>> coder([-0.5, 0.0]).tolist()
[31, 112, 193, 274, 355, 436, 517, 598]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from boltzmann_rl._checks import positive_int

__all__ = ["TileCoder"]


class TileCoder:
    """Grid tile coder over a box, with asymmetric offsets between the tilings.

    Parameters
    ----------
    low, high : array_like
        The box's bounds, finite, one per dimension, ``low < high``. Observations
        outside are clipped to the box.
    tilings : int, default 8
        Number of overlapping grids; each observation activates one cell in each.
    tiles : int or sequence of int, default 8
        Cells per dimension of each grid (one value, or one per dimension). Every
        grid has one more cell per dimension to cover the offsets.

    Attributes
    ----------
    n_features : int
        ``tilings * prod(tiles + 1)``: the length of the weight vector per action.
    tilings : int

    Raises
    ------
    ValueError
        For bounds that are not finite or not increasing, or non-positive counts.

    References
    ----------
    .. [1] R. S. Sutton and A. G. Barto, *Reinforcement Learning: An Introduction*,
       2nd ed., MIT Press, 2018, sec. 9.5.4 and 10.1 (Mountain Car).

    Examples
    --------
    >>> import numpy as np
    >>> from boltzmann_rl.gym.tiles import TileCoder
    >>> coder = TileCoder([0.0], [1.0], tilings=2, tiles=2)
    >>> coder.n_features, coder([0.0]).tolist(), coder([0.99]).tolist()
    (6, [0, 3], [1, 5])
    >>> coder.batch(np.array([[0.0], [0.99]])).tolist()
    [[0, 3], [1, 5]]
    """

    def __init__(self, low: Any, high: Any, *, tilings: int = 8, tiles: Any = 8) -> None:
        low_arr = np.asarray(low, dtype=np.float64).reshape(-1)
        high_arr = np.asarray(high, dtype=np.float64).reshape(-1)
        if low_arr.shape != high_arr.shape or low_arr.size == 0:
            raise ValueError(
                f"low and high must have the same non-empty shape, got {low_arr.shape} "
                f"and {high_arr.shape}"
            )
        if not (np.isfinite(low_arr).all() and np.isfinite(high_arr).all()):
            raise ValueError(
                f"tile coding needs finite bounds, got low={low_arr.tolist()}, "
                f"high={high_arr.tolist()}; pass finite low/high for the unbounded dimensions"
            )
        if not (low_arr < high_arr).all():
            raise ValueError(
                f"low must be below high in every dimension, got low={low_arr.tolist()}, "
                f"high={high_arr.tolist()}"
            )
        n_tilings = positive_int(tilings, "tilings")
        dims = low_arr.size
        if np.ndim(tiles) > 1 or np.size(tiles) not in (1, dims):
            raise ValueError(
                f"tiles must be one integer or one per dimension ({dims}), actual value: {tiles!r}"
            )
        tiles_arr = np.broadcast_to(np.asarray(tiles), (dims,))
        if tiles_arr.dtype.kind not in "iu" or (tiles_arr < 1).any():
            raise ValueError(f"tiles must be positive integers, actual value: {tiles!r}")
        self.low = low_arr
        self.high = high_arr
        self.tilings = n_tilings
        self.tiles = tiles_arr.astype(np.int64)
        self._scale = self.tiles / (high_arr - low_arr)
        # offsets[k, d] = k * (2 d + 1) / tilings, in cells, reduced mod 1
        k = np.arange(self.tilings)[:, None]
        d = np.arange(dims)[None, :]
        self._offsets = ((k * (2 * d + 1)) % self.tilings) / self.tilings
        cells = self.tiles + 1
        strides = np.ones(dims, dtype=np.int64)
        for j in range(dims - 2, -1, -1):
            strides[j] = strides[j + 1] * cells[j + 1]
        self._strides = strides
        self._per_tiling = int(np.prod(cells))
        self._base = np.arange(self.tilings, dtype=np.int64) * self._per_tiling
        self.n_features = self.tilings * self._per_tiling

    def __call__(self, obs: Any) -> np.ndarray:
        """Return the ``tilings`` active feature indices of one observation (int64)."""
        x = np.asarray(obs, dtype=np.float64).reshape(-1)
        z = (np.clip(x, self.low, self.high) - self.low) * self._scale
        coords = np.minimum((z + self._offsets).astype(np.int64), self.tiles)
        return self._base + coords @ self._strides

    def batch(self, obs: Any) -> np.ndarray:
        """Return the active features of a batch of observations, shape ``(n, tilings)``."""
        x = np.asarray(obs, dtype=np.float64)
        x = x.reshape(x.shape[0], -1)
        z = (np.clip(x, self.low, self.high) - self.low) * self._scale
        coords = np.minimum((z[:, None, :] + self._offsets).astype(np.int64), self.tiles)
        return self._base + coords @ self._strides

    def __repr__(self) -> str:
        return (
            f"TileCoder(low={self.low.tolist()}, high={self.high.tolist()}, "
            f"tilings={self.tilings}, tiles={self.tiles.tolist()})"
        )
