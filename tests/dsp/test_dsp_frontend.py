"""Front end: chunk invariance, velocity mapping, static-echo suppression, normalisation."""

import numpy as np
import pytest
from chunking import feed

from uspd.dsp.frontend import FrontEnd, FrontEndConfig
from uspd.errors import ConfigError, SignalError
from uspd.physics import speed_of_sound_mps

C = float(speed_of_sound_mps(20.0))


def tone_scene(fs, f0, dur_s, echoes, n_mics=1, noise_dbfs=None, seed=0, direct=0.3):
    """Direct path (amplitude `direct`) + echoes [(rel_db, path_fn(t) -> m)] + white noise."""
    t = np.arange(int(fs * dur_s)) / fs
    x = np.zeros((t.size, n_mics))
    for m in range(n_mics):
        x[:, m] = direct * np.cos(2 * np.pi * f0 * t + 0.7 * m)
        for rel_db, path in echoes:
            x[:, m] += direct * 10 ** (rel_db / 20) * np.cos(2 * np.pi * f0 * (t - path(t) / C))
    if noise_dbfs is not None:
        rng = np.random.default_rng(seed)
        x += 10 ** (noise_dbfs / 20) * np.sqrt(2) * rng.standard_normal(x.shape)
    return x


def radial(v_mps, r0_m=2.0):
    """Monostatic path length of a scatterer approaching at v (m/s): 2 (r0 - v t)."""
    return lambda t: 2.0 * (r0_m - v_mps * t)


@pytest.mark.parametrize("fs,f0,n_mics", [(96000, 40000.0, 3), (44100, 19500.0, 1)])
def test_chunk_invariance_bit_identical(fs, f0, n_mics):
    x = tone_scene(fs, f0, 0.6, [(-40, radial(0.8))], n_mics=n_mics, noise_dbfs=-80)
    ref = FrontEnd(FrontEndConfig(), fs, n_mics, f0).process(x)
    rng = np.random.default_rng(1)
    sizes = [*rng.integers(0, 3000, 40), 0, 1, 1, 0, 7, 1]
    rng.shuffle(sizes)
    got = feed(FrontEnd(FrontEndConfig(), fs, n_mics, f0), x, sizes)
    assert ref.n_hops == got.n_hops == int(0.6 * fs) // FrontEnd(
        FrontEndConfig(), fs, n_mics, f0).hop_in
    for name in ("t_end_s", "doppler_db", "per_mic_db", "carrier_dbfs"):
        assert np.array_equal(getattr(ref, name), getattr(got, name)), name


def test_empty_and_tiny_chunks_give_empty_blocks():
    fe = FrontEnd(FrontEndConfig(), 48000, 2, 20000.0)
    b = fe.process(np.zeros((0, 2)))
    assert b.n_hops == 0 and b.doppler_db.shape == (0, 40) and b.per_mic_db.shape == (0, 2, 40)
    assert fe.process(np.zeros((1, 2), np.float32)).n_hops == 0


@pytest.mark.parametrize("v", [-2.0, -0.5, 0.5, 1.0, 2.6])
def test_echo_lands_in_its_velocity_bin_for_both_carriers(v):
    bins = []
    for fs, f0 in [(96000, 40000.0), (48000, 20000.0)]:
        x = tone_scene(fs, f0, 0.5, [(-50, radial(v))])
        fe = FrontEnd(FrontEndConfig(), fs, 1, f0)
        feats = fe.process(x)
        spec = feats.doppler_db[-4:].mean(axis=0)
        k = int(np.argmax(spec))
        assert k == int(np.argmin(np.abs(fe.velocity_axis_mps - v)))
        # the echo's power (50 dB below the carrier) is in its bin and the two neighbours
        total = 10 * np.log10(np.sum(10 ** (spec[k - 1:k + 2] / 10)))
        assert total == pytest.approx(-50.0, abs=1.0)
        bins.append(k)
    assert bins[0] == bins[1]
    assert np.all(np.diff(fe.velocity_axis_mps) > 0) and fe.velocity_axis_mps[-1] == 3.0


def test_static_echo_suppressed():
    """A static echo 50 dB above a moving one: its residual is >= 90 dB below the carrier."""
    cfg = FrontEndConfig(db_floor=-250.0)
    fs, f0 = 96000, 40000.0
    static = [(-3.0, lambda t: np.full_like(t, 3.3))]
    fe = FrontEnd(cfg, fs, 1, f0)
    only_static = fe.process(tone_scene(fs, f0, 1.0, static)).doppler_db
    residual_db = float(only_static.max())
    # without the high-pass the static power (~0 dB re carrier) sits in the two centre bins
    assert residual_db < -90.0, residual_db
    moving = FrontEnd(cfg, fs, 1, f0).process(
        tone_scene(fs, f0, 1.0, [*static, (-50.0, radial(0.7))])
    ).doppler_db
    k = int(np.argmin(np.abs(fe.velocity_axis_mps - 0.7)))
    # expected level: moving echo power re the received carrier (direct + static echo)
    carrier = abs(0.3 + 0.3 * 10 ** (-3 / 20) * np.exp(-2j * np.pi * f0 * 3.3 / C)) ** 2
    expected_db = 10 * np.log10((0.3 * 10 ** (-50 / 20)) ** 2 / carrier)
    got_db = 10 * np.log10(np.sum(10 ** (moving[-5:, k - 1:k + 2] / 10), axis=1))
    np.testing.assert_allclose(got_db, expected_db, atol=1.0)
    centre = np.abs(fe.velocity_axis_mps) < 0.1
    assert moving[12:, centre].max() < expected_db - 30.0  # after the onset transient


@pytest.mark.parametrize("fs,f0", [(48000, 20000.0), (96000, 40000.0)])
def test_drifting_static_echo_suppressed(fs, f0):
    """Air warming 0.1 K/s (c +0.06 m/s per s; rooms drift far slower): the wall echo's
    phase wanders, yet its residual stays >= 60 dB down and >= 100 dB once settled."""
    cfg = FrontEndConfig(db_floor=-250.0)
    t = np.arange(fs) / fs
    c_t = C + 0.6 * 0.1 * t
    x = 0.3 * np.cos(2 * np.pi * f0 * t) + 0.25 * np.cos(2 * np.pi * f0 * (t - 4.0 / c_t))
    feats = FrontEnd(cfg, fs, 1, f0).process(x[:, None])
    assert feats.doppler_db.max() < -60.0
    assert feats.doppler_db[feats.t_end_s > 0.5].max() < -100.0


def test_breathing_mostly_removed():
    """5 mm chest motion at 0.25 Hz (peak 8 mm/s): well below a walker's echo."""
    cfg = FrontEndConfig()
    fs, f0 = 48000, 20000.0
    breath = [(-30.0, lambda t: 2 * (1.5 + 0.005 * np.sin(2 * np.pi * 0.25 * t)))]
    walk = [(-30.0, radial(0.5, 1.5))]
    b = FrontEnd(cfg, fs, 1, f0).process(tone_scene(fs, f0, 2.0, breath)).doppler_db
    w = FrontEnd(cfg, fs, 1, f0).process(tone_scene(fs, f0, 2.0, walk)).doppler_db
    assert w[8:].max() - b[8:].max() > 25.0


def test_features_independent_of_gain():
    fs, f0 = 48000, 20000.0
    x = tone_scene(fs, f0, 0.5, [(-40, radial(1.2))], n_mics=2, noise_dbfs=-90)
    a = FrontEnd(FrontEndConfig(), fs, 2, f0).process(x)
    b = FrontEnd(FrontEndConfig(), fs, 2, f0).process(10.0 * x)
    np.testing.assert_allclose(a.doppler_db, b.doppler_db, atol=1e-3)
    np.testing.assert_allclose(a.per_mic_db, b.per_mic_db, atol=1e-3)
    np.testing.assert_allclose(b.carrier_dbfs - a.carrier_dbfs, 20.0, atol=1e-6)
    # carrier_dbfs: a 0.3 full-scale sine is 20 log10(0.3) dBFS
    assert a.carrier_dbfs[-1] == pytest.approx(20 * np.log10(0.3), abs=0.1)


def test_per_mic_gain_difference_cancels():
    fs, f0 = 48000, 20000.0
    x = tone_scene(fs, f0, 0.5, [(-40, radial(1.2))], n_mics=2, noise_dbfs=-90)
    y = x * np.array([1.0, 0.1])
    # the null and the music canceller's reference mix mics: only the plain path cancels
    cfg = FrontEndConfig(speaker_null=False, music_canceller=False)
    a = FrontEnd(cfg, fs, 2, f0).process(x)
    b = FrontEnd(cfg, fs, 2, f0).process(y)
    np.testing.assert_allclose(a.per_mic_db, b.per_mic_db, atol=1e-3)


def test_silence_gives_finite_floor():
    feats = FrontEnd(FrontEndConfig(), 48000, 2, 20000.0).process(np.zeros((12000, 2)))
    assert np.all(feats.doppler_db == -120.0) and np.all(np.isfinite(feats.carrier_dbfs))


def test_rate_too_low_for_carrier():
    with pytest.raises(SignalError, match="too low"):
        FrontEnd(FrontEndConfig(), 44100, 1, 21900.0)
    with pytest.raises(SignalError):
        FrontEnd(FrontEndConfig(), 48000, 1, 40000.0)
    with pytest.raises(ConfigError):
        FrontEnd(FrontEndConfig(hop_s=0.2, window_s=0.1), 48000, 1, 20000.0)


def test_configured_dims_drive_shapes():
    cfg = FrontEndConfig(n_velocity_bins=24, max_speed_mps=2.0)
    fe = FrontEnd(cfg, 96000, 2, 38000.0)
    feats = fe.process(np.zeros((9600, 2)))
    assert feats.doppler_db.shape == (4, 24) and feats.per_mic_db.shape == (4, 2, 24)
    assert feats.doppler_db.dtype == np.float32
    np.testing.assert_allclose(feats.t_end_s, [0.025, 0.05, 0.075, 0.1])


def test_baseband_tap_sees_the_clutter_free_baseband_whole_and_chunk_invariant():
    # a -40 dB echo approaching at 0.8 m/s: the tapped baseband is the static-free signal
    # the Doppler spectra come from, so its spectrum peaks at the echo's Doppler shift
    fs, f0, v = 96000, 40000.0, 0.8
    x = tone_scene(fs, f0, 1.0, [(-40, radial(v))], n_mics=3, noise_dbfs=-90)
    taps = []
    for sizes in ([x.shape[0]], [*np.random.default_rng(2).integers(0, 5000, 60)]):
        fe = FrontEnd(FrontEndConfig(), fs, 3, f0)
        parts = []
        fe.baseband_tap = parts.append
        feats = feed(fe, x, sizes)
        bb = np.concatenate(parts, axis=1)
        assert bb.shape == (3, feats.n_hops * fe.plan.hop_bb)
        taps.append(bb)
    assert np.array_equal(taps[0], taps[1])
    tail = taps[0][0, taps[0].shape[1] // 2:]  # past the filters' start
    spec = np.abs(np.fft.fft(tail)) ** 2
    freqs = np.fft.fftfreq(tail.size, 1.0 / fe.fs_bb_hz)
    assert freqs[np.argmax(spec)] == pytest.approx(2 * v * f0 / C, abs=2.0)


def test_clutter_null_features_remove_a_lasting_mover_and_stream_bit_identically():
    # one echo approaching for 4 s from a fixed direction (the same phase at every mic): the
    # room's only lasting mover, so once the null is warm (3 s) it is projected out of null_db
    # while doppler_db keeps it; any chunking gives the same bits
    fs, f0, v = 96000, 40000.0, 0.8
    x = tone_scene(fs, f0, 4.0, [(-40, radial(v, r0_m=4.0))], n_mics=3, noise_dbfs=-100)
    cfg = FrontEndConfig(clutter_null_rank=1)
    ref = FrontEnd(cfg, fs, 3, f0).process(x)
    got = feed(FrontEnd(cfg, fs, 3, f0), x, [*np.random.default_rng(4).integers(0, 9000, 50)])
    for name in ("doppler_db", "null_db"):
        assert np.array_equal(getattr(ref, name), getattr(got, name)), name
    fe = FrontEnd(cfg, fs, 3, f0)
    k = int(np.argmin(np.abs(fe.velocity_axis_mps - v)))
    late = ref.t_end_s > 3.5
    assert np.mean(ref.doppler_db[late, k]) > -60  # the echo, in the plain features
    assert np.mean(ref.doppler_db[late, k] - ref.null_db[late, k]) > 20
    # the null passes everything until the front end says it has settled, and acts at once
    # after (what a detector's warm-up may wait for: ModelBundle.warm_up_hops)
    early = ref.t_end_s < cfg.settle_s
    assert cfg.settle_s == 3.0 and np.allclose(ref.null_db[early], ref.doppler_db[early],
                                               atol=1e-3)
    soon = (ref.t_end_s > cfg.settle_s + cfg.window_s) & (ref.t_end_s < cfg.settle_s + 0.3)
    assert np.min(ref.doppler_db[soon, k] - ref.null_db[soon, k]) > 10
    plain = FrontEnd(FrontEndConfig(), fs, 3, f0).process(x)
    assert plain.null_db is None
    # the null adds null_db and changes nothing else, bit for bit (a cache made with the null
    # serves models without it: compare_models.py --clutter-null-rank)
    for name in ("t_end_s", "doppler_db", "per_mic_db", "carrier_dbfs"):
        assert np.array_equal(getattr(plain, name), getattr(ref, name)), name


def test_clutter_null_needs_a_spare_dimension():
    # two mics: the speaker null leaves one dimension, so the clutter null passes it whole
    x = tone_scene(48000, 20000.0, 1.0, [(-40, radial(0.5))], n_mics=2, noise_dbfs=-90)
    feats = FrontEnd(FrontEndConfig(clutter_null_rank=2), 48000, 2, 20000.0).process(x)
    assert np.allclose(feats.null_db, feats.doppler_db, atol=1e-4)
    with pytest.raises(ConfigError, match="clutter_null"):
        FrontEnd(FrontEndConfig(clutter_null_rank=-1), 48000, 2, 20000.0)


def test_cache_key_ignores_the_later_settings_at_their_defaults():
    base = FrontEndConfig()
    assert base.key_repr() == repr(base).replace(
        ", clutter_null_rank=0, clutter_null_tau_s=10.0, periodic_cancel=False, "
        "periodic_cancel_gate=0.5", "")
    assert "clutter_null_rank=2" in FrontEndConfig(clutter_null_rank=2).key_repr()
