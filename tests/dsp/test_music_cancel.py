"""Music canceller: removes what the audio-band reference predicts, keeps the rest, streams."""

from dataclasses import replace

import numpy as np
import pytest
from chunking import feed
from scipy import signal

from uspd.dsp.frontend import FrontEnd, FrontEndConfig
from uspd.dsp.music_cancel import MusicCanceller
from uspd.sim.library import make_scene
from uspd.sim.render import render

FS_BB = 2400.0
HOP = 60
TAPS = 24


def reference(n, seed):
    """Band-limited 'music' r (< 500 Hz, zero mean) and its square, high-passed like the
    front end does, packed as r + j r^2."""
    rng = np.random.default_rng(seed)
    r = signal.lfilter(*signal.butter(4, 500.0, fs=FS_BB), rng.standard_normal(n))
    sq = r**2 - np.mean(r**2)
    return r + 1j * sq


def music_residual(u, n_mics, seed):
    """y_m = h_m * r + g_m * r^2 with random complex causal FIRs shorter than TAPS."""
    rng = np.random.default_rng(seed)
    out = np.empty((n_mics, u.size), np.complex128)
    for m in range(n_mics):
        h = rng.standard_normal(TAPS - 4) + 1j * rng.standard_normal(TAPS - 4)
        g = 0.3 * (rng.standard_normal(TAPS - 4) + 1j * rng.standard_normal(TAPS - 4))
        out[m] = signal.lfilter(h, 1, u.real) + signal.lfilter(g, 1, u.imag)
    return out


def power(z):
    return float(np.mean(np.abs(z) ** 2))


@pytest.mark.parametrize("n_mics", [1, 4])
def test_removes_the_music_and_keeps_an_uncorrelated_echo(n_mics):
    n = int(20 * FS_BB) // HOP * HOP
    tau_s = 3.0
    u = reference(n, seed=n_mics)
    music = music_residual(u, n_mics, seed=10 + n_mics)
    t = np.arange(n) / FS_BB
    echo = 0.05 * np.sqrt(power(music)) * np.exp(2j * np.pi * 150.0 * t + 1j * np.arange(
        n_mics)[:, None])  # -26 dB under the music, Doppler 150 Hz
    tail = slice(int(10 * FS_BB), None)  # after the fit has converged

    out = MusicCanceller(FS_BB, n_mics, HOP, TAPS, tau_s).process(music, u)
    assert 10 * np.log10(power(out[:, tail]) / power(music[:, tail])) < -40.0

    out = MusicCanceller(FS_BB, n_mics, HOP, TAPS, tau_s).process(music + echo, u)
    kept_db = 10 * np.log10(power(out[:, tail]) / power(echo[:, tail]))
    # the fit takes ~2 TAPS / (tau_s FS_BB) of an uncorrelated signal's power (misadjustment)
    misadjust_db = 10 * np.log10(1.0 - 2 * TAPS / (tau_s * FS_BB))
    assert kept_db == pytest.approx(misadjust_db, abs=0.3)


def test_no_reference_leaves_the_signal_alone():
    y = np.exp(2j * np.pi * 100.0 * np.arange(10 * HOP) / FS_BB)[None, :]
    out = MusicCanceller(FS_BB, 1, HOP, TAPS).process(y, np.zeros(10 * HOP, np.complex128))
    assert np.array_equal(out, y)


def test_streams_bit_identically_in_any_grouping_of_hops():
    n = 40 * HOP
    u = reference(n, seed=3)
    y = music_residual(u, 2, seed=4)
    ref = MusicCanceller(FS_BB, 2, HOP, TAPS).process(y, u)
    mc, parts, i = MusicCanceller(FS_BB, 2, HOP, TAPS), [], 0
    for hops in [0, 1, 3, 0, 7, 1, 2]:
        parts.append(mc.process(y[:, i:i + hops * HOP], u[i:i + hops * HOP]))
        i += hops * HOP
    parts.append(mc.process(y[:, i:], u[i:]))
    assert np.array_equal(ref, np.concatenate(parts, axis=1))


def test_partial_hops_are_refused():
    with pytest.raises(ValueError, match="whole hops"):
        MusicCanceller(FS_BB, 1, HOP, TAPS).process(np.zeros((1, HOP + 1), complex),
                                                    np.zeros(HOP + 1, complex))


def test_front_end_with_canceller_is_chunk_invariant():
    scene = make_scene("music-and-person", seed=4250, duration_s=3.0, device="echo")
    rec = render(scene)
    cfg = FrontEndConfig(music_canceller=True)
    args = (rec.fs_hz, rec.audio.shape[1], scene.emission.carrier_hz)
    ref = FrontEnd(cfg, *args).process(rec.audio)
    rng = np.random.default_rng(5)
    got = feed(FrontEnd(cfg, *args), rec.audio, [*rng.integers(0, 9000, 25), 0, 1, 7])
    for name in ("t_end_s", "doppler_db", "per_mic_db", "carrier_dbfs"):
        assert np.array_equal(getattr(ref, name), getattr(got, name)), name


def band_power_db(rec, carrier_hz, cancel):
    """Mean Doppler-band power (|v| > 0.3 m/s) after the first 5 s, dB re carrier."""
    fe = FrontEnd(FrontEndConfig(music_canceller=cancel), rec.fs_hz, rec.audio.shape[1],
                  carrier_hz)
    block = fe.process(rec.audio)
    band = np.abs(fe.velocity_axis_mps) > 0.3
    return 10 * np.log10(np.mean(10 ** (block.doppler_db[200:, band] / 10)))


def at_full_drive(scene):
    """The scene with its music at the same level on a cone that this level drives fully
    (a smaller loudspeaker), so the tone is distorted as much as the cone can."""
    music = replace(scene.music, full_drive_db_spl=scene.music.level_db_spl)
    return replace(scene, music=music)


@pytest.mark.parametrize("device,min_db", [("echo", 12.0), ("laptop", 5.0)])
def test_canceller_suppresses_rendered_music_beyond_the_null(device, min_db):
    # at full drive; the library's quieter volume settings distort less (stop 24)
    scene = at_full_drive(make_scene("empty-music", seed=4242, duration_s=10.0, device=device))
    rec = render(scene)
    f0 = scene.emission.carrier_hz
    assert band_power_db(rec, f0, False) - band_power_db(rec, f0, True) > min_db


@pytest.mark.parametrize("name", ["empty-quiet", "walk-through"])
def test_canceller_keeps_scenes_without_music(name):
    scene = make_scene(name, seed=4243, duration_s=10.0, device="echo")
    rec = render(scene)
    f0 = scene.emission.carrier_hz
    assert abs(band_power_db(rec, f0, False) - band_power_db(rec, f0, True)) < 0.3


def test_canceller_leaves_a_strong_echo_without_music_alone():
    # without the gate, the chance fit's output (~2 taps / (tau fs_bb) of the echo's power)
    # lifted the other velocity bins by ~15-35 dB here
    from test_dsp_frontend import radial, tone_scene

    fs, f0 = 48000, 20000.0
    x = tone_scene(fs, f0, 4.0, [(-40, radial(1.2))], n_mics=2, noise_dbfs=-90)
    feats = [FrontEnd(FrontEndConfig(speaker_null=False, music_canceller=on,
                                     music_canceller_gate=gate), fs, 2, f0)
             .process(x).doppler_db[80:] for on, gate in ((False, 0.0), (True, 4.0), (True, 0.0))]
    assert np.abs(feats[1] - feats[0]).max() < 3.0
    assert np.median(feats[2] - feats[0]) > 6.0  # the defect the gate removes


def test_gate_passes_a_signal_the_reference_does_not_explain():
    # y: a strong tone plus noise, reference unrelated to it. Ungated, the fit applied to the
    # next hops adds about K sum(w^2) / sum(w)^2 = K / (2 tau fs_bb) of y's power (K = 2 TAPS
    # regressors, exponential weights w); gated, no fit is significant and y passes bit for bit.
    n = int(20 * FS_BB) // HOP * HOP
    tau_s = 3.0
    rng = np.random.default_rng(7)
    u = reference(n, seed=8)
    y = (np.exp(2j * np.pi * 150.0 * np.arange(n) / FS_BB) + 0.01 * (
        rng.standard_normal((2, n)) + 1j * rng.standard_normal((2, n))))
    tail = slice(int(10 * FS_BB), None)
    gated = MusicCanceller(FS_BB, 2, HOP, TAPS, tau_s, gate=4.0)
    assert np.array_equal(gated.process(y, u), y)
    assert not gated.significant().any()
    err = MusicCanceller(FS_BB, 2, HOP, TAPS, tau_s, gate=0.0).process(y, u) - y
    added_db = 10 * np.log10(power(err[:, tail]) / power(y[:, tail]))
    chance_db = 10 * np.log10(2 * TAPS / (2 * tau_s * FS_BB))
    assert added_db == pytest.approx(chance_db, abs=1.5)


def test_gate_opens_for_music_and_rejects_bad_settings():
    n = int(10 * FS_BB) // HOP * HOP
    u = reference(n, seed=5)
    mc = MusicCanceller(FS_BB, 3, HOP, TAPS, 3.0, gate=4.0)
    mc.process(music_residual(u, 3, seed=6), u)
    assert mc.significant().all()
    with pytest.raises(ValueError, match="gate"):
        MusicCanceller(FS_BB, 1, HOP, TAPS, gate=-1.0)
