"""Environment and emission timing against formulas: temperature drift rotates static echo
phases, air currents jitter them in proportion to path length, gating ramps reach an echo L/c
late, too-fast scatterers are faded rather than aliased, bursts land where they are reported."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import signal

from uspd.physics import speed_of_sound_mps
from uspd.sim.device import Device, Microphones
from uspd.sim.environment import Environment
from uspd.sim.render import render
from uspd.sim.room import FurniturePoint, Room
from uspd.sim.scene import Emission, Scene
from uspd.sim.targets import MovingPoint

MICS = Microphones(self_noise_db_spl=-40.0, gain_sd_db=0.0, phase_sd_deg=0.0, dc_offset_sd=0.0,
                   bits=0)
DEVICE = dataclasses.replace(Device.echo_like((4.0, 1.0, 1.0)), microphones=MICS)
FAR = FurniturePoint((4.0, 4.0, 1.0), 1.0)
F0, FS = DEVICE.carrier_hz, DEVICE.fs_hz


def room(furniture: tuple[FurniturePoint, ...]) -> Room:
    return Room(dims_m=(8.0, 8.0, 4.0), reflection=(0.0,) * 6, furniture=furniture,
                image_order=0)


def echo_of_far_point(**kw) -> np.ndarray:
    """Complex baseband (8 kHz) of the far furniture echo at mic 0 (scene with minus without;
    "without" keeps the point with a vanishing cross-section so both draw the same air)."""
    ghost = dataclasses.replace(FAR, sigma_m2=1e-30)
    with_it = render(Scene(device=DEVICE, room=room((FAR,)), **kw)).audio[:, 0]
    without = render(Scene(device=DEVICE, room=room((ghost,)), **kw)).audio[:, 0]
    d = (with_it - without).astype(float)
    z = 2 * d * np.exp(-2j * np.pi * F0 * np.arange(d.size) / FS)
    return signal.resample_poly(z, 1, FS // 8000)


def far_path_m() -> float:
    p = np.array(FAR.position_m)
    return float(np.linalg.norm(p - DEVICE.speaker_position_m())
                 + np.linalg.norm(p - DEVICE.mic_positions_m()[0]))


def test_temperature_drift_rotates_static_echo_phase() -> None:
    drift = 2.0  # °C/min
    env = dataclasses.replace(Environment.quiet(), temp_drift_c_per_min=drift)
    z = echo_of_far_point(duration_s=1.0, environment=env)
    t = np.arange(z.size) / 8000
    a, b = (t > 0.1) & (t < 0.15), (t > 0.85) & (t < 0.9)
    measured = np.angle(z[b].mean() / z[a].mean())
    temp = 21.0 + drift * np.array([0.125, 0.875]) / 60
    c = speed_of_sound_mps(temp, 45.0)
    expected = -2 * np.pi * F0 * far_path_m() * (1 / c[1] - 1 / c[0])
    assert abs(expected) > 0.1
    assert measured == pytest.approx(expected, rel=0.05)


def test_air_currents_jitter_phase_in_proportion_to_path() -> None:
    rms = 0.2  # mm per m of path
    env = dataclasses.replace(Environment.quiet(), air_rms_mm_per_m=rms, air_band_hz=(1.0, 3.0))
    z = echo_of_far_point(duration_s=3.0, environment=env, seed=11)
    phase = np.unwrap(np.angle(z[800:]))
    c = float(speed_of_sound_mps(21.0, 45.0))
    expected = 2 * np.pi * F0 / c * far_path_m() * rms * 1e-3
    assert np.std(phase) == pytest.approx(expected, rel=0.35)


def test_gating_ramp_reaches_the_echo_l_over_c_later() -> None:
    t_on, ramp = 0.05, 0.004
    em = Emission(schedule=((t_on, 1.0),), ramp_s=ramp)
    z = echo_of_far_point(duration_s=0.12, environment=Environment.quiet(), emission=em)
    mag = np.abs(z)
    t = np.arange(z.size) / 8000
    steady = mag[t > 0.1].mean()
    t_half = t[np.argmax(mag > 0.5 * steady)]
    c = float(speed_of_sound_mps(21.0, 45.0))
    assert t_half == pytest.approx(t_on + ramp / 2 + far_path_m() / c, abs=5e-4)
    assert mag[t < t_on].max() < 1e-3 * steady


def test_doppler_beyond_baseband_is_faded_not_aliased() -> None:
    def echo_power(speed: float) -> float:  # moving from t = -1 s, at y = 5.7 m at t = 0
        tgt = MovingPoint((4.0, 5.7 + speed, 1.0), (0.0, -speed, 0.0), 0.5, t_start=-1.0)
        kw = dict(device=DEVICE, room=room(()), environment=Environment.quiet(), duration_s=0.2)
        a = render(Scene(sources=(tgt,), **kw)).audio[:, 0].astype(float)
        b = render(Scene(**kw)).audio[:, 0].astype(float)
        return float(np.mean((a - b) ** 2))

    slow, fast = echo_power(1.0), echo_power(16.0)  # 16 m/s: 3.7 kHz > 3 kHz baseband Nyquist
    assert slow > 0 and fast < 1e-4 * slow


def test_bursts_are_reported_and_land_in_their_spans() -> None:
    env = dataclasses.replace(Environment.quiet(), burst_rate_per_min=240.0)
    kw = dict(device=DEVICE, room=room(()), duration_s=1.5, seed=2)
    rec = render(Scene(environment=env, **kw))
    ref = render(Scene(environment=Environment.quiet(), **kw))
    spans = [d for d in rec.labels.distractors if d.kind == "burst"]
    assert spans
    diff = (rec.audio[:, 0] - ref.audio[:, 0]).astype(float) ** 2
    t = np.arange(diff.size) / FS
    inside = np.zeros(diff.size, bool)
    for s in spans:
        inside |= (t >= s.start - 0.002) & (t < s.end + 0.002)
    assert diff.sum() > 0 and diff[inside].sum() > 0.999 * diff.sum()
