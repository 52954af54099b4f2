"""Test helper: feed a streaming object's process() in random block sizes."""

from collections.abc import Callable, Sequence

import numpy as np


def in_random_blocks(process: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                     rng: np.random.Generator, sizes: Sequence[int]) -> np.ndarray:
    """process(block) over x (n_hops, ...) in blocks of sizes drawn from `sizes` (0 included
    where given), outputs concatenated: to compare with one process(x) bit for bit."""
    parts, i = [], 0
    while i < x.shape[0]:
        n = int(rng.choice(sizes))
        parts.append(process(x[i:i + n]))
        i += n
    return np.concatenate(parts)
