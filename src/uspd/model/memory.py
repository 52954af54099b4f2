"""Base of the network's streaming per-bin memories (runtime.PeakHistory, echo.RepeatEcho)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FLOOR_DB = -120.0  # a memory's input before the stream began (the front end's dB floor)


class BinMemory:
    """A streaming memory over (n_hops, n_bins) dB features: process() takes blocks of any size
    (0 included) and hands the non-empty ones, as float64 rows, to the subclass's _advance,
    which returns one output row per hop and must give the same rows whatever the blocks."""

    n_bins: int

    def process(self, x: NDArray) -> NDArray[np.float64]:
        """x (n_hops, n_bins) dB -> (n_hops, n_bins) dB."""
        x = np.asarray(x, np.float64).reshape(-1, self.n_bins)
        return x.copy() if x.shape[0] == 0 else self._advance(x)

    def _advance(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        raise NotImplementedError


def with_memories(x: NDArray, memories: list[BinMemory]) -> NDArray[np.float32]:
    """Features x (n_hops, n_features) raw dB with each memory's output appended, advancing
    the memories, which read the first n_bins columns (the plain Doppler features; any after
    them, the clutter null's, pass through); in float32, the precision training sees
    (runtime.model_inputs)."""
    x32 = np.asarray(x, np.float32)
    if not memories:
        return x32
    plain = x32[:, :memories[0].n_bins]
    return np.concatenate([x32, *(m.process(plain).astype(np.float32) for m in memories)],
                          axis=1)
