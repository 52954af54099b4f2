"""Raw interleaved PCM (s16le, s32le, f32le) from a binary stream, e.g. `arecord ... | uspd`.

Read lazily in blocks (flat memory on an endless stream); short reads from pipes are
completed before a block is returned, so blocks are whole frames.

End of stream: a raw stream must hold a whole number of frames. A remainder means that
--channels or --format disagree with the data (or the producer was cut inside a frame): by
default this is an InputError naming the byte counts; with allow_partial=True the partial
frame is dropped with a PartialFrameWarning on stderr instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

from uspd.errors import ConfigError, InputError

# format name -> (numpy dtype, scale to [-1, 1])
PCM_FORMATS: dict[str, tuple[str, float]] = {
    "s16le": ("<i2", 1.0 / 32768.0),
    "s32le": ("<i4", 1.0 / 2147483648.0),
    "f32le": ("<f4", 1.0),
}


class PartialFrameWarning(UserWarning):
    """The stream ended inside a frame; the incomplete frame was dropped."""


class RawPcmSource:
    """AudioSource over a binary stream of interleaved little-endian PCM frames."""

    def __init__(
        self,
        stream: BinaryIO,
        rate: int,
        channels: int,
        dtype: str = "s16le",
        allow_partial: bool = False,
    ):
        if dtype not in PCM_FORMATS:
            raise ConfigError(
                f"unknown raw PCM format '{dtype}' (known: {', '.join(PCM_FORMATS)})"
            )
        if int(rate) != rate or rate <= 0:
            raise ConfigError(f"raw PCM needs a positive integer --rate, not {rate}")
        if int(channels) != channels or channels < 1:
            raise ConfigError(f"raw PCM needs --channels >= 1, not {channels}")
        self.stream = stream
        self.fs_hz = int(rate)
        self.n_channels = int(channels)
        self.format = dtype
        self._np_dtype, self._scale = PCM_FORMATS[dtype]
        self.sample_bytes = np.dtype(self._np_dtype).itemsize
        self.frame_bytes = self.sample_bytes * self.n_channels
        self.allow_partial = allow_partial
        self.bytes_read = 0

    def _read_exact(self, n: int) -> bytes:
        parts: list[bytes] = []
        got = 0
        while got < n:
            try:
                b = self.stream.read(n - got)
            except OSError as exc:
                raise InputError(f"cannot read the raw PCM stream: {exc}") from exc
            if not b:
                break
            parts.append(b)
            got += len(b)
        data = b"".join(parts)
        self.bytes_read += len(data)
        return data

    def blocks(self, block_frames: int) -> Iterator[NDArray[np.float32]]:
        if block_frames <= 0:
            raise ValueError("block_frames must be positive")
        want = block_frames * self.frame_bytes
        while True:
            data = self._read_exact(want)
            n_frames = len(data) // self.frame_bytes
            rest = len(data) - n_frames * self.frame_bytes
            if n_frames:
                raw = np.frombuffer(data, self._np_dtype, n_frames * self.n_channels)
                x = raw.reshape(n_frames, self.n_channels).astype(np.float32)
                if self._scale != 1.0:
                    x *= np.float32(self._scale)
                yield x
            if len(data) < want:  # end of stream
                if rest:
                    self._partial(rest)
                return

    def _partial(self, rest: int) -> None:
        msg = (
            f"raw PCM stream of {self.bytes_read} bytes is not a whole number of "
            f"{self.frame_bytes}-byte frames ({self.n_channels} channel(s) x "
            f"{self.sample_bytes} bytes, {self.format}): {rest} bytes left over"
        )
        if not self.allow_partial:
            raise InputError(msg + "; check --channels and --format")
        warnings.warn(msg + "; dropped the partial frame", PartialFrameWarning, stacklevel=3)
