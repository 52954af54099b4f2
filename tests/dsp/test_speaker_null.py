"""Spatial null on the loudspeaker: projection algebra, streaming, effect on rendered music."""

import numpy as np
import pytest

from uspd.dsp.frontend import FrontEnd, FrontEndConfig
from uspd.dsp.speaker_null import SpeakerNull
from uspd.sim.library import make_scene
from uspd.sim.render import render

FS_BB = 2000.0


def music_envelope(t):
    """Emitted envelope under music: AM at 60 Hz plus excursion phase modulation at 90 Hz."""
    return (1.0 + 0.1 * np.cos(2 * np.pi * 60 * t)) * np.exp(0.07j * np.sin(2 * np.pi * 90 * t))


def signatures(n_mics, seed):
    rng = np.random.default_rng(seed)
    s0 = rng.standard_normal(n_mics) + 1j * rng.standard_normal(n_mics)
    a = rng.standard_normal(n_mics) + 1j * rng.standard_normal(n_mics)
    return s0, a


@pytest.mark.parametrize("n_mics", [2, 4])
def test_null_removes_speaker_and_keeps_orthogonal_part_of_echo(n_mics):
    s0, a = signatures(n_mics, seed=n_mics)
    t = np.arange(int(4 * FS_BB)) / FS_BB
    e = music_envelope(t)
    echo = 1e-3 * a[:, None] * np.exp(2j * np.pi * 150.0 * t)  # -60 dB, Doppler 150 Hz
    speaker = s0[:, None] * e
    tail = slice(int(2 * FS_BB), None)  # after the signature estimate has settled

    music_only = SpeakerNull(FS_BB, n_mics).process(speaker)
    assert np.mean(np.abs(music_only[:, tail]) ** 2) < 1e-20 * np.mean(np.abs(speaker) ** 2)

    out = SpeakerNull(FS_BB, n_mics).process(speaker + echo)
    kept = np.mean(np.abs(out[:, tail]) ** 2) / np.mean(np.abs(echo[:, tail]) ** 2)
    expected = 1.0 - abs(np.vdot(s0, a)) ** 2 / (np.vdot(s0, s0).real * np.vdot(a, a).real)
    assert 10 * np.log10(kept) == pytest.approx(10 * np.log10(expected), abs=0.1)


def test_null_is_bypassed_with_one_mic_and_on_request():
    x = (music_envelope(np.arange(500) / FS_BB))[None, :]
    assert SpeakerNull(FS_BB, 1).process(x) is x
    fe = FrontEnd(FrontEndConfig(speaker_null=False), 96000, 4, 40000.0)
    assert not fe._null.active


def test_null_streams_bit_identically():
    s0, a = signatures(3, seed=7)
    t = np.arange(3000) / FS_BB
    x = s0[:, None] * music_envelope(t) + 1e-3 * a[:, None] * np.exp(2j * np.pi * 80 * t)
    ref = SpeakerNull(FS_BB, 3).process(x)
    null, parts, i = SpeakerNull(FS_BB, 3), [], 0
    for n in [0, 1, 17, 0, 1000, 1, 555]:
        parts.append(null.process(x[:, i:i + n]))
        i += n
    parts.append(null.process(x[:, i:]))
    assert np.array_equal(ref, np.concatenate(parts, axis=1))


def band_power_db(scene, null_on):
    """Mean Doppler-band power (|v| > 0.3 m/s) after the first second, dB re carrier."""
    rec = render(scene)
    cfg = FrontEndConfig(speaker_null=null_on, music_canceller=False)  # the null alone
    fe = FrontEnd(cfg, rec.fs_hz, rec.audio.shape[1], scene.emission.carrier_hz)
    block = fe.process(rec.audio)
    band = np.abs(fe.velocity_axis_mps) > 0.3
    return 10 * np.log10(np.mean(10 ** (block.doppler_db[40:, band] / 10)))


@pytest.mark.parametrize("device", ["echo", "laptop"])
def test_null_suppresses_rendered_music_distortion(device):
    scene = make_scene("empty-music", seed=4242, duration_s=4.0, device=device)
    assert band_power_db(scene, False) - band_power_db(scene, True) > 20.0


def test_null_keeps_a_walker_on_the_echo_device():
    scene = make_scene("walk-through", seed=4243, duration_s=6.0, device="echo")
    assert band_power_db(scene, False) - band_power_db(scene, True) < 3.0
