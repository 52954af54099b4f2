"""Audio input backends (WAV/FLAC files, raw PCM streams) and signal checks.

Every source has the same small interface (`AudioSource`): `fs_hz`, `n_channels` and
`blocks(block_frames)`, an iterator of float32 arrays (n, n_channels) scaled to [-1, 1].
Sources read lazily, so memory stays flat on an endless stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray


@runtime_checkable
class AudioSource(Protocol):
    fs_hz: int
    n_channels: int

    def blocks(self, block_frames: int) -> Iterator[NDArray[np.float32]]: ...


class ArraySource:
    """An in-memory AudioSource (tests, simulation output): audio (n, ch) float."""

    def __init__(self, audio: NDArray, fs_hz: int):
        a = np.asarray(audio, np.float32)
        self.audio = a[:, None] if a.ndim == 1 else a
        self.fs_hz = int(fs_hz)
        self.n_channels = int(self.audio.shape[1])

    def blocks(self, block_frames: int) -> Iterator[NDArray[np.float32]]:
        for i in range(0, self.audio.shape[0], block_frames):
            yield self.audio[i:i + block_frames]


__all__ = ["ArraySource", "AudioSource"]
