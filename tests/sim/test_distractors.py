"""Fans and curtains: blade-flash periodicity, spin-up, oscillation, slow curtain sway."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import find_peaks

from uspd.errors import ConfigError
from uspd.sim.distractors import Curtain, Fan, random_curtain, random_fan
from uspd.sim.sources import MotionSource

DEVICE = (2.732, 2.0, 1.0)  # 2 m from the hub, 30 deg off the axis of a fan facing +x


@pytest.mark.parametrize(("n_blades", "rpm"), [(3, 900.0), (4, 600.0), (5, 1300.0)])
def test_fan_repeats_at_blade_flash_rate(n_blades: int, rpm: float) -> None:
    fan = Fan(hub_m=(1.0, 1.0, 1.0), facing_deg=0.0, n_blades=n_blades, rpm=rpm,
              device_position_m=DEVICE)  # fmt: skip
    period = 60.0 / (rpm * n_blades)
    t = np.arange(0.0, 0.3, 1e-4)
    a, b = fan.scatterers(t), fan.scatterers(t + period)
    k = fan.points_per_blade
    # after one flash period blade i sits where blade i+1 was: same set of points
    rolled_pos = np.concatenate([a.positions_m[:1], np.roll(a.positions_m[1:], -k, axis=0)])
    rolled_sig = np.concatenate(
        [a.cross_section_m2[:1], np.roll(a.cross_section_m2[1:], -k, axis=0)]
    )
    np.testing.assert_allclose(b.positions_m, rolled_pos, atol=1e-9)
    np.testing.assert_allclose(b.cross_section_m2, rolled_sig, atol=1e-12)
    # but it is not periodic at half that period (no spurious symmetry)
    c = fan.scatterers(t + 0.5 * period)
    assert not np.allclose(c.cross_section_m2.sum(0), a.cross_section_m2.sum(0), atol=1e-4)

    total = a.cross_section_m2[1:].sum(0)  # blades, without the hub
    assert total.max() > 2 * total.min()  # flashes over a diffuse floor
    blade0 = a.cross_section_m2[1 : 1 + fan.points_per_blade].sum(0)
    assert blade0.max() > 5 * blade0.min()  # one blade: a sharp flash once per turn
    peaks, _ = find_peaks(total, height=0.5 * (total.max() + total.min()))
    assert np.median(np.diff(t[peaks])) == pytest.approx(period, rel=0.02)
    # blade tips move at 2 pi r rpm / 60
    tip = a.positions_m[k]  # blade0, outermost point
    speed = np.linalg.norm(np.gradient(tip, 1e-4, axis=0), axis=-1)
    r_tip = 0.2 * fan.radius_m + 0.8 * fan.radius_m * (k - 0.5) / k
    assert np.median(speed) == pytest.approx(2 * np.pi * r_tip * rpm / 60, rel=0.01)


def test_fan_on_off_spin_and_activity() -> None:
    fan = Fan(rpm=600.0, on_times_s=((2.0, 10.0),), spin_s=3.0, device_position_m=DEVICE)
    omega = np.gradient(fan.rotor_angle_rad(np.arange(0, 20, 0.01)), 0.01)
    full = 2 * np.pi * 600 / 60
    t = np.arange(0, 20, 0.01)
    assert np.abs(omega[t < 1.9]).max() < 1e-9
    assert omega[(t > 5.1) & (t < 9.9)] == pytest.approx(full, rel=1e-6)
    assert omega[np.searchsorted(t, 3.5)] == pytest.approx(0.5 * full, rel=0.02)  # ramp
    assert np.abs(omega[t > 13.1]).max() < 1e-9
    act = fan.active(t)
    np.testing.assert_array_equal(act, (t >= 2.0) & (t < 13.0))  # on + spin-down
    sc = fan.scatterers(t)
    assert np.all(sc.cross_section_m2 > 0)  # a stopped fan still reflects (static)


def test_oscillating_fan_sweeps_within_amplitude() -> None:
    fan = Fan(oscillate_deg=40.0, oscillate_period_s=12.0, facing_deg=0.0,
              device_position_m=DEVICE)  # fmt: skip
    t = np.arange(0.0, 24.0, 0.01)
    yaw = np.degrees(fan.yaw_rad(t))
    assert yaw.max() == pytest.approx(40.0, abs=0.5) and yaw.min() == pytest.approx(-40, abs=0.5)
    spec = np.abs(np.fft.rfft(yaw))
    assert np.fft.rfftfreq(t.size, 0.01)[spec.argmax()] == pytest.approx(1 / 12, rel=0.05)
    hub = fan.scatterers(t).positions_m[0]
    assert np.ptp(hub[:, 1]) > 0.05  # the head moves


def test_curtain_sways_slowly_by_centimetres() -> None:
    c = Curtain(draft_times_s=((5.0, 40.0),), fade_s=2.0)
    t = np.arange(0.0, 50.0, 0.02)
    sc = c.scatterers(t)
    assert sc.cross_section_m2.sum(0) == pytest.approx(np.full(t.size, c.sigma_m2))
    pos = sc.positions_m
    v = np.linalg.norm(np.gradient(pos, 0.02, axis=1), axis=-1)
    on = (t > 8) & (t < 38)
    disp = np.linalg.norm(pos - pos[:, :1], axis=-1)
    assert 0.005 < disp[:, on].max() < 0.1  # cm amplitudes
    assert v.max() < 0.5
    # motion energy is below 1 Hz
    y = pos[-1, :, 1] - pos[-1, :, 1].mean()  # hem point, normal is +y
    spec = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(t.size, 0.02)
    assert spec[f <= 1.0].sum() > 0.99 * spec.sum()
    # still without draft, active exactly during the draft
    assert v[:, t < 5.0].max() < 1e-9 and v[:, t > 40.0].max() < 1e-9
    np.testing.assert_array_equal(c.active(t), (t >= 5.0) & (t < 40.0))
    # hem moves more than the top row (hanging from the rod)
    assert disp[-1].max() > 3 * disp[0].max()


def test_random_distractors_deterministic_and_plausible() -> None:
    for seed in range(5):
        f1 = random_fan(np.random.default_rng(seed), (1.0, 1.0, 1.0), DEVICE)
        f2 = random_fan(np.random.default_rng(seed), (1.0, 1.0, 1.0), DEVICE)
        assert f1 == f2
        assert 3 <= f1.n_blades <= 5 and 300 <= f1.rpm <= 1500 and 0.15 <= f1.radius_m <= 0.25
        c = random_curtain(np.random.default_rng(seed), (2.0, 0.05, 1.3), 90.0)
        assert c == random_curtain(np.random.default_rng(seed), (2.0, 0.05, 1.3), 90.0)
        assert all(0.1 <= f <= 1.0 for f in c.mode_hz)
    assert random_fan(np.random.default_rng(0), (1, 1, 1)) != random_fan(
        np.random.default_rng(1), (1, 1, 1)
    )


def test_distractors_are_motion_sources() -> None:
    for src, kind in ((Fan(), "fan"), (Curtain(), "curtain")):
        assert isinstance(src, MotionSource) and src.kind == kind


def test_invalid_distractors() -> None:
    with pytest.raises(ConfigError):
        Fan(n_blades=1)
    with pytest.raises(ConfigError):
        Fan(on_times_s=((5.0, 2.0),))
    with pytest.raises(ConfigError):
        Curtain(mode_hz=(5.0,), mode_weight=(1.0,), mode_phase_rad=(0.0,))
