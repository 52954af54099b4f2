"""Audio sources and bad-input handling: each failure is the right UspdError subclass."""

import io
import warnings

import numpy as np
import pytest
import soundfile as sf

from uspd.audio import ArraySource
from uspd.audio.checks import (
    ClippingWarning,
    check_clipping_head,
    clipped_fraction,
    warn_if_clipped,
)
from uspd.audio.files import open_audio
from uspd.audio.stdin import PartialFrameWarning, RawPcmSource
from uspd.detect import detect_stream
from uspd.errors import ConfigError, InputError, SignalError


def tone(fs, f0, dur_s, n_ch, amp=0.3, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(fs * dur_s)) / fs
    x = amp * np.cos(2 * np.pi * f0 * t)[:, None] * np.ones(n_ch)
    return (x + 1e-4 * rng.standard_normal(x.shape)).astype(np.float32)


def test_wav_blocks_roundtrip(tmp_path):
    x = tone(48000, 20000.0, 0.3, 2)
    p = tmp_path / "a.wav"
    sf.write(p, x, 48000, subtype="FLOAT")
    src = open_audio(p)
    assert (src.fs_hz, src.n_channels) == (48000, 2)
    blocks = list(src.blocks(1000))
    assert all(b.dtype == np.float32 and b.shape[1] == 2 for b in blocks)
    np.testing.assert_array_equal(np.concatenate(blocks), x)


def test_flac_reads(tmp_path):
    x = tone(96000, 40000.0, 0.2, 1)
    p = tmp_path / "a.flac"
    sf.write(p, x, 96000, subtype="PCM_24")
    y = np.concatenate(list(open_audio(p).blocks(4096)))
    np.testing.assert_allclose(y, x, atol=1e-6)


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        open_audio(tmp_path / "nope.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk")
    with pytest.raises(InputError):
        open_audio(bad)
    txt = tmp_path / "notes.wav"
    txt.write_text("hello, not audio\n" * 10)
    with pytest.raises(InputError) as ei:
        open_audio(txt)
    assert "\n" not in str(ei.value)


def test_truncated_wav(tmp_path):
    p = tmp_path / "full.wav"
    sf.write(p, tone(48000, 20000.0, 0.5, 2), 48000, subtype="PCM_16")
    data = p.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2 + 1])
    with pytest.raises(InputError, match="truncated"):
        open_audio(cut)
    head_only = tmp_path / "head.wav"
    head_only.write_bytes(data[:30])
    with pytest.raises(InputError):
        open_audio(head_only)


def test_file_channel_mismatch(tmp_path):
    p = tmp_path / "st.wav"
    sf.write(p, tone(48000, 20000.0, 0.1, 2), 48000)
    with pytest.raises(InputError, match="channel"):
        open_audio(p, channels=4)


@pytest.mark.parametrize("fmt,scale,np_dtype", [("s16le", 32767, "<i2"),
                                                 ("s32le", 2**31 - 1, "<i4"),
                                                 ("f32le", 1.0, "<f4")])
def test_raw_pcm_formats(fmt, scale, np_dtype):
    x = tone(48000, 20000.0, 0.1, 3)
    raw = (x * scale).astype(np_dtype).tobytes() if fmt != "f32le" else x.astype("<f4").tobytes()
    src = RawPcmSource(io.BytesIO(raw), 48000, 3, fmt)
    y = np.concatenate(list(src.blocks(777)))
    assert y.shape == x.shape
    np.testing.assert_allclose(y, x, atol=1e-4)


class Trickle(io.RawIOBase):
    """A pipe that returns at most 5 bytes per read."""

    def __init__(self, data):
        self.buf = io.BytesIO(data)

    def readable(self):
        return True

    def read(self, n=-1):
        return self.buf.read(min(n, 5) if n >= 0 else 5)


def test_raw_pcm_short_reads_are_completed():
    x = tone(48000, 20000.0, 0.01, 2)
    raw = (x * 32767).astype("<i2").tobytes()
    blocks = list(RawPcmSource(Trickle(raw), 48000, 2).blocks(100))
    assert [b.shape[0] for b in blocks[:-1]] == [100] * (len(blocks) - 1)
    assert sum(b.shape[0] for b in blocks) == x.shape[0]


def test_raw_pcm_wrong_channel_count():
    """3 channels of s16 read as 2 channels: 2 bytes left over at the end -> InputError."""
    raw = (tone(48000, 20000.0, 0.01, 3) * 32767).astype("<i2").tobytes()  # 480 frames x 3
    src = RawPcmSource(io.BytesIO(raw + b"\x00\x00\x00\x00\x00\x00"), 48000, 4)
    with pytest.raises(InputError, match="channels"):
        list(src.blocks(256))
    # allowed: the partial frame is dropped with a warning
    src = RawPcmSource(io.BytesIO(raw[:-2]), 48000, 3, allow_partial=True)
    with pytest.warns(PartialFrameWarning):
        n = sum(b.shape[0] for b in src.blocks(256))
    assert n == 479


def test_raw_pcm_bad_options():
    with pytest.raises(ConfigError):
        RawPcmSource(io.BytesIO(b""), 48000, 2, "s24be")
    with pytest.raises(ConfigError):
        RawPcmSource(io.BytesIO(b""), 48000, 0)


def test_nan_float_input():
    x = tone(96000, 40000.0, 0.3, 2)
    x[5000, 1] = np.nan
    src = RawPcmSource(io.BytesIO(x.astype("<f4").tobytes()), 96000, 2, "f32le")
    with pytest.raises(SignalError, match="NaN"):
        list(detect_stream(src))
    y = tone(96000, 40000.0, 1.0, 1)
    y[60000] = np.inf  # after the head: found while streaming
    with pytest.raises(SignalError, match="NaN/Inf"):
        list(detect_stream(ArraySource(y, 96000)))


def test_silence_and_missing_carrier():
    with pytest.raises(SignalError, match="silent"):
        list(detect_stream(ArraySource(np.zeros((48000, 2)), 48000)))
    noise = np.random.default_rng(0).standard_normal((48000, 2)).astype(np.float32) * 0.01
    with pytest.raises(SignalError, match="no carrier"):
        list(detect_stream(ArraySource(noise, 48000)))
    with pytest.raises(SignalError, match="no carrier found at 21000"):
        list(detect_stream(ArraySource(tone(48000, 20000.0, 0.6, 1), 48000), carrier=21000.0))


def test_rate_too_low():
    x = tone(32000, 12000.0, 0.6, 1)
    with pytest.raises(SignalError, match="too low"):
        list(detect_stream(ArraySource(x, 32000)))
    with pytest.raises(SignalError, match="too low"):
        list(detect_stream(ArraySource(tone(48000, 20000.0, 0.6, 1), 48000), carrier=23900.0))


def test_clipping_head_is_an_error_sporadic_clipping_warns():
    x = tone(48000, 20000.0, 0.6, 1, amp=3.0)
    x = np.clip(x, -1.0, 1.0)
    assert clipped_fraction(x) > 0.1
    with pytest.raises(SignalError, match="clipped"):
        check_clipping_head(x)
    ok = tone(48000, 20000.0, 0.2, 1)
    ok[100:110] = 1.0
    check_clipping_head(ok)  # 10 samples in 9600: tolerated
    with pytest.warns(ClippingWarning):
        assert warn_if_clipped(ok, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not warn_if_clipped(tone(48000, 20000.0, 0.1, 1), 0.0)
