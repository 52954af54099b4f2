"""Physics against formulas and the ISO 9613-1 reference values."""

import numpy as np
import pytest

from uspd import physics


def test_iso9613_absorption_at_40khz_matches_standard():
    # ISO 9613-1 gives about 1.32 dB/m at 40 kHz, 20 °C, 50 % RH, 101.325 kPa.
    alpha = physics.air_absorption_db_per_m(40_000.0, 20.0, 50.0)
    assert alpha == pytest.approx(1.32, rel=0.03)


@pytest.mark.parametrize(
    ("freq_hz", "temp_c", "rh", "expected_db_per_km"),
    [
        # Octave-band values tabulated in ISO 9613-2 Table 2 (computed by ISO 9613-1), dB/km.
        (2_000.0, 10.0, 70.0, 9.7),
        (4_000.0, 10.0, 70.0, 32.8),
        (8_000.0, 10.0, 70.0, 117.0),
        (4_000.0, 20.0, 70.0, 22.9),
        (8_000.0, 20.0, 70.0, 76.6),
    ],
)
def test_iso9613_absorption_table_rows(freq_hz, temp_c, rh, expected_db_per_km):
    alpha = physics.air_absorption_db_per_m(freq_hz, temp_c, rh) * 1000.0
    assert alpha == pytest.approx(expected_db_per_km, rel=0.03)


def test_absorption_rises_with_frequency_in_ultrasound():
    f = np.array([18e3, 20e3, 32e3, 40e3, 44e3])
    alpha = physics.air_absorption_db_per_m(f)
    assert np.all(np.diff(alpha) > 0)


def test_speed_of_sound_follows_temperature():
    assert physics.speed_of_sound_mps(0.0, 0.0) == pytest.approx(331.3, abs=0.01)
    c20 = physics.speed_of_sound_mps(20.0, 50.0)
    assert c20 == pytest.approx(343.8, abs=0.3)
    # about +0.6 m/s per °C
    slope = physics.speed_of_sound_mps(25.0, 50.0) - physics.speed_of_sound_mps(24.0, 50.0)
    assert slope == pytest.approx(0.6, abs=0.05)


def test_bistatic_doppler_reduces_to_monostatic_when_colocated():
    f0, c = 40_000.0, 343.0
    s = np.zeros(3)
    p = np.array([2.0, 0.0, 0.0])
    v = np.array([-1.2, 0.0, 0.0])  # approaching at 1.2 m/s
    fd = physics.bistatic_doppler_hz(f0, s, p, v, s, c)
    assert fd == pytest.approx(physics.monostatic_doppler_hz(f0, 1.2, c), rel=1e-12)
    assert fd == pytest.approx(2 * 1.2 * f0 / c, rel=0.01)


def test_bistatic_doppler_equals_path_length_rate():
    rng = np.random.default_rng(3)
    f0, c = 20_000.0, 343.0
    s, m = np.array([0.0, 0.0, 0.0]), np.array([0.03, 0.01, 0.0])
    p, v = rng.normal(size=3) * 2 + 3, rng.normal(size=3)
    dt = 1e-6
    dl_dt = (
        physics.bistatic_path_length_m(s, p + v * dt, m)
        - physics.bistatic_path_length_m(s, p - v * dt, m)
    ) / (2 * dt)
    fd = physics.bistatic_doppler_hz(f0, s, p, v, m, c)
    # first order: f_d = -f0 dL/dt / c; exact differs by O(v/c)
    assert fd == pytest.approx(-f0 * dl_dt / c, rel=0.01)


def test_velocity_axis_inverts_doppler():
    v = np.linspace(-3, 3, 13)
    for f0 in (20e3, 40e3):
        fd = physics.monostatic_doppler_hz(f0, v)
        np.testing.assert_allclose(physics.doppler_to_velocity_mps(fd, f0), v, atol=1e-12)


def test_spl_round_trip():
    assert physics.spl_to_pressure_pa(94.0) == pytest.approx(1.0, rel=0.003)
    assert physics.pressure_to_spl(physics.spl_to_pressure_pa(70.0)) == pytest.approx(70.0)
