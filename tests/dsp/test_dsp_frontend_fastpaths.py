"""Front-end fast paths: cached buffers, multi-step chunks and the velocity mapping."""

import numpy as np
import pytest
from chunking import feed

from uspd.dsp.features import DopplerAnalyzer, velocity_edges_mps, velocity_mapping
from uspd.dsp.frontend import MAX_HOPS_PER_STEP, FrontEnd, FrontEndConfig
from uspd.physics import speed_of_sound_mps

C = float(speed_of_sound_mps(20.0))


def scene(fs, f0, dur_s, n_mics, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(fs * dur_s)) / fs
    path = 2.0 * (2.0 - 0.9 * t)
    x = 0.3 * np.cos(2 * np.pi * f0 * t)[:, None] + 0.003 * np.cos(
        2 * np.pi * f0 * (t - path / C))[:, None]
    return (x + 1e-4 * rng.standard_normal((t.size, n_mics))).astype(np.float32)


@pytest.mark.parametrize("fs,f0,n_mics", [(48000, 20000.0, 2), (96000, 40000.0, 1)])
def test_bit_identical_across_streaming_chunk_sizes(fs, f0, n_mics):
    x = scene(fs, f0, 2.0, n_mics)
    fe = FrontEnd(FrontEndConfig(), fs, n_mics, f0)
    assert x.shape[0] // fe.hop_in > MAX_HOPS_PER_STEP  # the one-call run takes several steps
    ref = fe.process(x)
    fe.reset()  # reset must forget everything, cached buffers included
    again = fe.process(x)
    hop = fe.hop_in
    runs = [again]
    chunkings = ([hop] * 79, [int(0.05 * fs)] * 39, [int(0.5 * fs)] * 3, [hop - 1, 2, hop + 3] * 20)
    for sizes in chunkings:
        runs.append(feed(FrontEnd(FrontEndConfig(), fs, n_mics, f0), x, sizes))
    for got in runs:
        assert got.n_hops == ref.n_hops
        for name in ("t_end_s", "doppler_db", "per_mic_db", "carrier_dbfs"):
            assert np.array_equal(getattr(ref, name), getattr(got, name)), name


@pytest.mark.parametrize("fs_bb,f0", [(2400.0, 40000.0), (1200.0, 20000.0), (2450.0, 19500.0)])
def test_velocity_mapping_matches_overlap_weights(fs_bb, f0):
    """Spectrum -> velocity bins equals the plain FFT times the overlap-weight matrix."""
    n_mics, hop = 2, round(0.025 * fs_bb)
    an = DopplerAnalyzer(fs_bb, round(0.1 * fs_bb), f0, 3.0, 40, C, n_mics)
    rng = np.random.default_rng(3)
    z = rng.standard_normal((n_mics, 6 * hop)) + 1j * rng.standard_normal((n_mics, 6 * hop))
    dop, car = an.process(z, np.square(z.view(np.float64)), hop)
    weights = velocity_mapping(fs_bb, an.nfft, f0, velocity_edges_mps(3.0, 40), C)
    w2 = an.win**2
    buf = np.concatenate([np.zeros((n_mics, an.window_bb - 1)), z], axis=1)
    for h in range(6):
        frame = buf[:, h * hop + hop - 1:h * hop + hop - 1 + an.window_bb]
        pw = np.abs(np.fft.fft(frame * an.win, n=an.nfft)) ** 2 / (an.nfft * w2.sum())
        np.testing.assert_allclose(dop[h], pw @ weights, rtol=1e-9)
        np.testing.assert_allclose(car[h], (np.abs(frame) ** 2) @ (w2 / w2.sum()), rtol=1e-12)
