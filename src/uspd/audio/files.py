"""WAV/FLAC (anything libsndfile reads) as a lazily read AudioSource.

Errors are one-line UspdErrors: missing file / unreadable format / corrupt data -> InputError;
a WAV whose header promises more audio than the file holds (a cut copy, an interrupted
recording) -> InputError "truncated" (libsndfile would silently read the shorter part);
a channel count disagreeing with the user's --channels -> InputError.
Headers of streamed WAVs (data size 0 or 0xFFFFFFFF) are not treated as truncated.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

from uspd.audio.checks import check_channels
from uspd.errors import InputError


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def wav_truncation(path: str | Path) -> tuple[int, int] | None:
    """(declared, present) data bytes if a RIFF/WAVE file is cut short, else None."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            hdr = fh.read(8)
            if len(hdr) < 8:
                return None
            cid, clen = hdr[:4], struct.unpack("<I", hdr[4:])[0]
            if cid == b"data":
                if clen in (0, 0xFFFFFFFF):
                    return None
                present = size - (pos + 8)
                return (clen, present) if present < clen else None
            pos += 8 + clen + (clen & 1)
    return None


class FileSource:
    """Audio file read block by block; float32 (n, n_channels) in [-1, 1]."""

    def __init__(self, path: str | Path, channels: int | None = None):
        self.path = str(path)
        if not os.path.exists(self.path):
            raise InputError(f"no such file: {self.path}")
        if os.path.isdir(self.path):
            raise InputError(f"{self.path} is a directory, not an audio file")
        try:
            info = sf.info(self.path)
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise InputError(f"cannot read {self.path}: {_one_line(exc)}") from exc
        if info.samplerate <= 0 or info.channels <= 0:
            raise InputError(f"cannot read {self.path}: invalid header")
        trunc = wav_truncation(self.path)
        if trunc is not None:
            raise InputError(
                f"{self.path} is truncated: its header declares {trunc[0]} bytes of audio but "
                f"only {trunc[1]} are present"
            )
        check_channels(info.channels, channels, self.path)
        self.fs_hz = int(info.samplerate)
        self.n_channels = int(info.channels)
        self.n_frames = int(info.frames)
        self.subtype = info.subtype

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fs_hz

    def blocks(self, block_frames: int) -> Iterator[NDArray[np.float32]]:
        if block_frames <= 0:
            raise ValueError("block_frames must be positive")
        try:
            with sf.SoundFile(self.path) as fh:
                while True:
                    data = fh.read(block_frames, dtype="float32", always_2d=True)
                    if data.shape[0] == 0:
                        return
                    yield data
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise InputError(f"error while reading {self.path}: {_one_line(exc)}") from exc


def open_audio(path: str | Path, channels: int | None = None) -> FileSource:
    """Open a WAV/FLAC/... file as an AudioSource (validated header, lazy reading)."""
    return FileSource(path, channels)
