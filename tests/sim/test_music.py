"""Synthetic music: deterministic, block-exact, bass-heavy, hi-hats near a 20 kHz carrier;
the sideband predictor against the closed forms of pure PM and pure AM."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from uspd.sim.music import MusicConfig, MusicSynth, predicted_sideband_dbc


def synth(seed: int, duration_s: float = 4.0) -> MusicSynth:
    return MusicSynth(MusicConfig(), duration_s, np.random.default_rng(seed))


def test_music_is_deterministic_and_block_exact() -> None:
    fs = 48000
    n = np.arange(2 * fs)
    t = n / fs
    a = synth(5).drive(t, n)
    np.testing.assert_array_equal(a, synth(5).drive(t, n))
    split = np.concatenate([synth(5).drive(t[:30001], n[:30001]),
                            synth(5).drive(t[30001:], n[30001:])])
    np.testing.assert_array_equal(a, split)
    assert synth(5).tempo_bpm != synth(6).tempo_bpm
    assert 0.05 < np.std(a) and np.max(np.abs(a)) < 1.5


def test_music_spectrum_bass_heavy_with_hats_near_20khz() -> None:
    fs = 48000
    n = np.arange(4 * fs)
    x = synth(2).drive(n / fs, n)
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    f = np.fft.rfftfreq(x.size, 1 / fs)
    bass = spec[f < 200].sum()
    assert bass > 0.5 * spec.sum()  # the cone is driven mostly by the bass
    near_carrier = spec[(f > 18000) & (f < 22000)].sum()
    assert near_carrier > 1e-6 * spec.sum()  # hi-hats do reach the near-ultrasound band
    low_only = synth(2).drive(n / fs, n, part="low")
    spec_low = np.abs(np.fft.rfft(low_only * np.hanning(x.size))) ** 2
    assert spec_low[f > 2500].sum() < 1e-6 * spec_low.sum()  # "low" fits the baseband


@pytest.mark.parametrize("beta", [0.02, 0.1, 0.4])
def test_prediction_pure_pm_is_bessel_ratio(beta: float) -> None:
    up, lo = predicted_sideband_dbc(beta, 0.5, 0.0, 0.0, excursion_phase_rad=0.3)
    expected = 20 * np.log10(special.jv(1, beta) / special.jv(0, beta))
    assert up == pytest.approx(expected, abs=1e-9) and lo == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("a2", "m"), [(0.05, 0.5), (0.1, 0.8)])
def test_prediction_pure_am_is_a2_m(a2: float, m: float) -> None:
    up, lo = predicted_sideband_dbc(0.0, m, a2, 0.0)
    assert up == pytest.approx(20 * np.log10(a2 * m)) and lo == pytest.approx(up)
    up3, _ = predicted_sideband_dbc(0.0, m, 0.0, 0.04, order=2)
    assert up3 == pytest.approx(20 * np.log10(0.75 * 0.04 * m**2 / (1 + 1.5 * 0.04 * m**2)))
