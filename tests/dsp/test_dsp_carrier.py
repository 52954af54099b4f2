"""Carrier detection: sub-hertz accuracy on real-looking heads, SignalError without a tone."""

import numpy as np
import pytest

from uspd.dsp.carrier import carrier_prominence_db, detect_carrier
from uspd.errors import SignalError


def head(fs, f0, dur_s=0.5, n_mics=2, seed=0, noise_dbfs=-70.0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(fs * dur_s)) / fs
    x = np.zeros((t.size, n_mics))
    for m in range(n_mics):
        x[:, m] = 0.2 * np.cos(2 * np.pi * f0 * t + m)
        # a person walking (echo 40 dB down, +1 m/s) and some audible-band sound
        x[:, m] += 0.002 * np.cos(2 * np.pi * f0 * (t - 2 * (2.0 - 1.0 * t) / 343.4))
        x[:, m] += 0.3 * np.sin(2 * np.pi * 440.0 * t) * np.sin(2 * np.pi * 3.0 * t)
    return x + 10 ** (noise_dbfs / 20) * rng.standard_normal(x.shape)


@pytest.mark.parametrize("fs,f0", [(48000, 20000.0), (44100, 19870.37), (96000, 40000.0),
                                   (96000, 40123.71)])
def test_finds_carrier_to_below_one_hertz(fs, f0):
    est = detect_carrier(head(fs, f0), fs)
    assert abs(est - f0) < 1.0
    assert abs(est - f0) < 0.05  # in practice far better; the front end wants < ~0.5 Hz


def test_strongest_tone_wins():
    fs = 96000
    x = head(fs, 40000.0) + 0.5 * head(fs, 25000.0, seed=1)
    assert abs(detect_carrier(x, fs) - 40000.0) < 1.0


def test_noise_only_raises():
    rng = np.random.default_rng(3)
    with pytest.raises(SignalError, match="no carrier found"):
        detect_carrier(0.1 * rng.standard_normal((48000, 2)), 96000)


def test_unstable_tone_raises():
    """A tone only in the last quarter of the head (a chirp/beep) is not a carrier."""
    fs = 48000
    x = head(fs, 20000.0, noise_dbfs=-60.0)
    n = 3 * x.shape[0] // 4
    x[:n] = 1e-3 * np.random.default_rng(0).standard_normal((n, 2))
    with pytest.raises(SignalError, match="not stable"):
        detect_carrier(x, fs)


def test_low_rate_and_silence_raise():
    with pytest.raises(SignalError, match="no band above"):
        detect_carrier(np.ones((16000, 1)), 32000)
    with pytest.raises(SignalError, match="silent"):
        detect_carrier(np.zeros((48000, 1)), 96000)


def test_prominence_of_given_carrier():
    fs = 48000
    x = head(fs, 20000.0)
    assert carrier_prominence_db(x, fs, 20000.0) > 40.0
    assert carrier_prominence_db(x, fs, 21000.0) < 10.0
