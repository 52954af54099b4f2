"""A rendered fan: its Doppler echo repeats at the blade-flash rate n_blades * rpm / 60."""

import numpy as np
from scipy import signal

from uspd.sim.distractors import Fan
from uspd.sim.render import render
from uspd.sim.scene import Device, Environment, Room, Scene


def _moving_envelope(audio: np.ndarray, fs: int, f0: float) -> tuple[np.ndarray, float]:
    """Power envelope (at fs/48) of everything in the carrier band except the static echoes."""
    t = np.arange(audio.shape[0]) / fs
    bb = audio[:, 0] * np.exp(-2j * np.pi * f0 * t)
    bb = signal.decimate(signal.decimate(bb, 8, ftype="fir"), 6, ftype="fir")
    rate = fs / 48
    sos = signal.butter(4, 5.0, "highpass", fs=rate, output="sos")  # drop the static echoes
    moving = signal.sosfiltfilt(sos, bb)
    return np.abs(moving) ** 2, rate


def test_fan_echo_repeats_at_blade_flash_rate():
    device = Device.echo_like((2.5, 0.3, 0.8))
    fan = Fan(hub_m=(2.5, 2.0, 0.9), facing_deg=-60.0, n_blades=3, rpm=700.0,
              device_position_m=device.position_m, spin_s=0.1)
    scene = Scene.for_device(device, name="fan", seed=4, duration_s=4.0, room=Room(),
                             environment=Environment.quiet(), sources=(fan,))
    rec = render(scene)
    env, rate = _moving_envelope(rec.audio, rec.fs_hz, scene.emission.carrier_hz)
    env = env[int(1.0 * rate):-int(0.5 * rate)]  # after spin-up, before the filters' end
    spec = np.abs(np.fft.rfft(env - env.mean()))
    freqs = np.fft.rfftfreq(env.size, 1 / rate)
    flash_hz = 3 * 700.0 / 60.0  # 35 Hz
    band = freqs > 5.0
    peak_hz = freqs[band][np.argmax(spec[band])]
    harmonic = peak_hz / flash_hz
    assert abs(harmonic - round(harmonic)) < 0.03 and round(harmonic) >= 1, peak_hz
    # and the line at the flash rate stands well above the envelope's spectral floor
    near = np.abs(freqs - flash_hz) < 0.5
    assert spec[near].max() > 10 * np.median(spec[band])
