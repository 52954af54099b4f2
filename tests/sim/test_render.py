"""Renderer physics against formulas: Doppler, spreading + absorption, music sidebands, mic
mismatch, block continuity, determinism, clipping/quantisation, impossible configurations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import signal

from uspd.errors import ConfigError
from uspd.physics import air_absorption_db_per_m, speed_of_sound_mps
from uspd.sim.device import Device, Microphones
from uspd.sim.environment import Environment
from uspd.sim.music import MusicConfig, excursion_gain, predicted_sideband_dbc
from uspd.sim.render import render, render_blocks
from uspd.sim.room import Room
from uspd.sim.scene import Emission, Scene
from uspd.sim.targets import MovingPoint

QUIET_MICS = Microphones(self_noise_db_spl=-40.0, gain_sd_db=0.0, phase_sd_deg=0.0,
                         dc_offset_sd=0.0)


def quiet_scene(device: Device, **kw) -> Scene:
    """Anechoic, still air, no noise: only the direct path and what the test adds."""
    device = dataclasses.replace(device, microphones=kw.pop("microphones", QUIET_MICS))
    return Scene.for_device(device, room=kw.pop("room", Room.anechoic()),
                            environment=Environment.quiet(), **kw)


def demod(x: np.ndarray, fs: int, f0: float) -> np.ndarray:
    """Complex amplitude of x (n,) around f0: x exp(-j w0 t) * 2 (Pa-free, digital units)."""
    n = np.arange(x.size)
    return 2.0 * x.astype(float) * np.exp(-2j * np.pi * f0 * n / fs)


def to_8k(z: np.ndarray, fs: int) -> np.ndarray:
    """Low-pass and decimate a demodulated signal to 8 kHz (removes the image at -2 f0)."""
    return signal.resample_poly(z, 1, fs // 8000)


def spectrum(z: np.ndarray, fs: int, pad: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Hann-windowed amplitude spectrum (amplitude of a complex exponential) of z."""
    w = np.hanning(z.size)
    nfft = pad * z.size
    s = np.fft.fftshift(np.fft.fft(z * w, nfft)) / w.sum()
    f = np.fft.fftshift(np.fft.fftfreq(nfft, 1.0 / fs))
    return f, np.abs(s)


@pytest.mark.parametrize("device", [Device.echo_like((4.0, 1.0, 1.0)),
                                    Device.laptop((4.0, 1.0, 1.0))], ids=["96k40k", "48k20k"])
@pytest.mark.parametrize("v", [0.8, -1.3])
def test_doppler_of_radial_target(device: Device, v: float) -> None:
    f0, fs = device.carrier_hz, device.fs_hz
    # the device looks along +y (yaw 90°); the target approaches (v > 0) or recedes on that axis
    z = 1.0 + (0.125 if device.fs_hz == 48000 else 0.0)
    tgt = MovingPoint((4.0, 3.5, z), (0.0, -v, 0.0), sigma_m2=0.2)
    rec = render(quiet_scene(device, duration_s=1.0, sources=(tgt,)))
    z_bb = to_8k(demod(rec.audio[:, 0], fs, f0), fs)  # the echo is < 1 kHz
    f, a = spectrum(z_bb, 8000)
    band = (np.abs(f) > 40) & (np.abs(f) < 1500)
    f_peak = f[band][np.argmax(a[band])]
    c = float(speed_of_sound_mps(21.0, 45.0))
    expected = 2 * v * f0 / c
    assert f_peak == pytest.approx(expected, rel=0.01)


def test_echo_level_follows_spreading_and_absorption() -> None:
    dev = Device.echo_like((4.0, 1.0, 1.0))
    f0, fs = dev.carrier_hz, dev.fs_hz
    base = dict(duration_s=0.2, emission=Emission(level_db_spl=90.0),
                microphones=dataclasses.replace(QUIET_MICS, bits=0))  # no 16-bit grain
    empty = render(quiet_scene(dev, **base)).audio.astype(float)
    spk, mics = dev.speaker_position_m(), dev.mic_positions_m()
    alpha = float(air_absorption_db_per_m(f0, 21.0, 45.0))
    levels, predicted = [], []
    for d in (1.0, 2.0, 3.5):
        p = np.array([4.0, 1.0 + d, 1.2])
        rec = render(quiet_scene(dev, sources=(MovingPoint(tuple(p), sigma_m2=1.0),), **base))
        echo = rec.audio.astype(float) - empty
        amp = np.abs([demod(echo[:, m], fs, f0)[2000:].mean() for m in range(dev.n_mics)])
        levels.append(20 * np.log10(amp))
        r1 = np.linalg.norm(p - spk)
        r2 = np.linalg.norm(p - mics, axis=1)
        predicted.append(-20 * np.log10(r1 * r2) - alpha * (r1 + r2))
    levels, predicted = np.array(levels), np.array(predicted)
    np.testing.assert_allclose(levels - levels[0], predicted - predicted[0], atol=0.5)


@pytest.mark.parametrize(("a2", "a3", "exc_mm"), [(0.05, 0.02, 0.1), (0.0, 0.0, 0.2),
                                                  (0.1, 0.0, 0.0)])
def test_music_sidebands_match_prediction(a2: float, a3: float, exc_mm: float) -> None:
    dev = Device.echo_like((4.0, 1.0, 1.0))
    f0, fs = dev.carrier_hz, dev.fs_hz
    fb, m_amp = 60.0, 0.5
    music = MusicConfig(tone_hz=fb, tone_amplitude=m_amp, a2=a2, a3=a3,
                        excursion_peak_mm=exc_mm, level_db_spl=60.0)
    rec = render(quiet_scene(dev, duration_s=1.2, music=music))
    z = to_8k(demod(rec.audio[int(0.2 * fs):, 0], fs, f0), fs)  # 1 s: bins on whole Hz
    f, a = spectrum(z, 8000, pad=1)
    carrier = a[np.argmin(np.abs(f))]
    upper = 20 * np.log10(a[np.argmin(np.abs(f - fb))] / carrier)
    lower = 20 * np.log10(a[np.argmin(np.abs(f + fb))] / carrier)
    c = float(speed_of_sound_mps(21.0, 45.0))
    h = excursion_gain(music, fb, fs / 16)
    beta = 2 * np.pi * f0 * abs(h) * m_amp / c
    pu, pl = predicted_sideband_dbc(beta, m_amp, a2, a3, np.angle(h))
    assert -45 < pu < -15  # a physically plausible distortion level
    assert upper == pytest.approx(pu, abs=1.0)
    assert lower == pytest.approx(pl, abs=1.0)


def test_volume_setting_scales_the_distortion_not_the_audible_music() -> None:
    """With full_drive_db_spl, 20 dB below full drive the cone moves 10x less: the sidebands
    follow the prediction at a tenth of the drive, while the audio band stays as it was."""
    dev = Device.echo_like((4.0, 1.0, 1.0))
    f0, fs = dev.carrier_hz, dev.fs_hz
    fb, m_amp, level = 60.0, 0.5, 60.0
    mics = dataclasses.replace(QUIET_MICS, bits=0)
    kw = dict(tone_hz=fb, tone_amplitude=m_amp, a2=0.05, a3=0.0, excursion_peak_mm=0.1,
              level_db_spl=level)
    full = render(quiet_scene(dev, duration_s=1.2, microphones=mics,
                              music=MusicConfig(**kw))).audio.astype(float)
    quiet_music = MusicConfig(**kw, full_drive_db_spl=level + 20.0)
    assert quiet_music.drive_scale == pytest.approx(0.1)
    vol = render(quiet_scene(dev, duration_s=1.2, microphones=mics,
                             music=quiet_music)).audio.astype(float)
    z = to_8k(demod(vol[int(0.2 * fs):, 0], fs, f0), fs)
    f, a = spectrum(z, 8000, pad=1)
    upper = 20 * np.log10(a[np.argmin(np.abs(f - fb))] / a[np.argmin(np.abs(f))])
    c = float(speed_of_sound_mps(21.0, 45.0))
    h = excursion_gain(quiet_music, fb, fs / 16)
    g = quiet_music.drive_scale
    pu, _ = predicted_sideband_dbc(2 * np.pi * f0 * abs(h) * m_amp * g / c, m_amp * g, 0.05,
                                   0.0, np.angle(h))
    assert upper == pytest.approx(pu, abs=1.0)
    assert pu < predicted_sideband_dbc(2 * np.pi * f0 * abs(h) * m_amp / c, m_amp, 0.05, 0.0,
                                       np.angle(h))[0] - 19.0
    sos = signal.butter(8, 5000, fs=fs, output="sos")  # the audible music, < 5 kHz
    audible_full, audible_vol = signal.sosfilt(sos, full[:, 0]), signal.sosfilt(sos, vol[:, 0])
    residual_db = 10 * np.log10(np.sum((audible_vol - audible_full) ** 2)
                                / np.sum(audible_full**2))
    assert residual_db < -40.0  # had the audible music been turned down 20 dB: -0.9 dB


def test_music_louder_than_full_drive_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="full_drive"):
        MusicConfig(level_db_spl=90.0, full_drive_db_spl=85.0)


def test_mic_gain_and_phase_mismatch_show_in_output() -> None:
    gains, phases = (0.0, 1.5, -2.0, 0.7), (0.0, 10.0, -25.0, 4.0)
    mics = dataclasses.replace(QUIET_MICS, gain_db=gains, phase_deg=phases)
    dev = Device.echo_like((4.0, 1.0, 1.0))
    rec = render(quiet_scene(dev, duration_s=0.05, microphones=mics))
    f0, fs = dev.carrier_hz, dev.fs_hz
    amp = np.array([demod(rec.audio[:, m], fs, f0)[:4800].mean() for m in range(4)])
    c = float(speed_of_sound_mps(21.0, 45.0))
    alpha = float(air_absorption_db_per_m(f0, 21.0, 45.0))
    r = np.linalg.norm(dev.mic_positions_m() - dev.speaker_position_m(), axis=1)
    geometry = np.exp(-2j * np.pi * f0 * r / c) / r * 10 ** (-alpha * r / 20)
    rel = (amp / geometry) / (amp[0] / geometry[0])
    np.testing.assert_allclose(20 * np.log10(np.abs(rel)), np.subtract(gains, gains[0]),
                               atol=0.05)
    np.testing.assert_allclose(np.rad2deg(np.angle(rel)), np.subtract(phases, phases[0]),
                               atol=0.5)


def busy_scene(seed: int = 3) -> Scene:
    env = Environment(hvac_on=((0.0, 0.4),), temp_drift_c_per_min=1.0,
                      burst_rate_per_min=120.0)
    return Scene(seed=seed, duration_s=0.6, environment=env, music=MusicConfig(),
                 emission=Emission(schedule=((0.05, 0.5),)),
                 sources=(MovingPoint((2.5, 2.0, 1.0), (0.3, -1.0, 0.1), 0.2, 0.1, 0.45),))


def test_blocks_equal_one_shot_and_seed_determinism() -> None:
    sc = busy_scene()
    whole = render(sc).audio
    blocks = list(render_blocks(sc, block_s=0.07))
    assert len(blocks) > 5
    np.testing.assert_array_equal(np.concatenate(blocks), whole)
    np.testing.assert_array_equal(render(sc).audio, whole)
    other = render(dataclasses.replace(sc, seed=4)).audio
    assert not np.array_equal(other, whole)
    assert whole.dtype == np.float32 and whole.shape == (round(0.6 * 96000), 4)


def test_labels_report_environment_distractors() -> None:
    labels = render(busy_scene()).labels
    kinds = {d.kind for d in labels.distractors}
    assert {"music", "air", "target"} <= kinds
    assert labels.segments[0].start == 0.0 and labels.segments[-1].end == 0.6


def test_clipping_and_16_bit_quantisation() -> None:
    dev = Device.echo_like((4.0, 1.0, 1.0))
    rec = render(quiet_scene(dev, duration_s=0.02, emission=Emission(level_db_spl=125.0)))
    x = rec.audio.astype(float)
    assert np.abs(x).max() == 1.0
    assert np.mean(np.abs(x) == 1.0) > 0.1  # the tone is flattened at full scale
    np.testing.assert_allclose(x * 32767, np.round(x * 32767), atol=1e-3)


@pytest.mark.parametrize(("fs", "f0"), [(48000, 30000.0), (48000, 23000.0), (96000, 46000.0)])
def test_carrier_above_nyquist_is_a_config_error(fs: int, f0: float) -> None:
    with pytest.raises(ConfigError):
        render(Scene(fs_hz=fs, duration_s=0.1, emission=Emission(carrier_hz=f0)))


def test_impossible_devices_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        Device(mics_m=((0.0, 0.0, 0.0),) * 9)
    with pytest.raises(ConfigError):
        Scene(device=Device(position_m=(9.0, 1.0, 1.0)))
