"""Physical relations of airborne ultrasound: pure functions, SI units.

- speed of sound in air from temperature and humidity,
- ISO 9613-1:1993 atmospheric absorption (dB/m),
- Doppler relations for a point scatterer with separate speaker and microphone.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

REFERENCE_PRESSURE_PA = 20e-6  # 0 dB SPL
STANDARD_PRESSURE_KPA = 101.325
_T0_K = 293.15  # ISO 9613-1 reference temperature
_T01_K = 273.16  # triple-point isotherm temperature


def celsius_to_kelvin(temp_c: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(temp_c, dtype=float) + 273.15


def speed_of_sound_mps(temp_c: ArrayLike = 20.0, rel_humidity_pct: ArrayLike = 50.0) -> NDArray:
    """Speed of sound in air (m/s).

    Ideal-gas relation c = 331.3 sqrt(T/273.15) plus a small humidity term (water vapour lowers
    the mean molar mass; about +0.6 m/s at 20 °C, 50 % RH). 343.4 m/s at 20 °C, 50 % RH.
    """
    temp_k = celsius_to_kelvin(temp_c)
    h = molar_water_vapour_pct(temp_c, rel_humidity_pct)
    return 331.3 * np.sqrt(temp_k / 273.15) * (1.0 + 0.0016 * h)


def molar_water_vapour_pct(
    temp_c: ArrayLike, rel_humidity_pct: ArrayLike, pressure_kpa: ArrayLike = STANDARD_PRESSURE_KPA
) -> NDArray:
    """Molar concentration of water vapour h (%), ISO 9613-1 Annex B."""
    temp_k = celsius_to_kelvin(temp_c)
    c_sat = -6.8346 * (_T01_K / temp_k) ** 1.261 + 4.6151
    p_sat_rel = 10.0**c_sat
    return np.asarray(rel_humidity_pct, float) * p_sat_rel / (
        np.asarray(pressure_kpa, float) / STANDARD_PRESSURE_KPA
    )


def air_absorption_db_per_m(
    freq_hz: ArrayLike,
    temp_c: ArrayLike = 20.0,
    rel_humidity_pct: ArrayLike = 50.0,
    pressure_kpa: ArrayLike = STANDARD_PRESSURE_KPA,
) -> NDArray:
    """Pure-tone atmospheric absorption coefficient alpha (dB/m), ISO 9613-1:1993 eq. (3)-(5).

    Classical + rotational absorption plus the vibrational relaxation of O2 and N2.
    About 1.3 dB/m at 40 kHz and 0.5 dB/m at 20 kHz (20 °C, 50 % RH): the reason ultrasonic
    echoes fade within a room and do not carry far.
    """
    f = np.asarray(freq_hz, dtype=float)
    temp_k = celsius_to_kelvin(temp_c)
    p_rel = np.asarray(pressure_kpa, float) / STANDARD_PRESSURE_KPA
    t_rel = temp_k / _T0_K
    h = molar_water_vapour_pct(temp_c, rel_humidity_pct, pressure_kpa)
    fr_o = p_rel * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
    fr_n = p_rel * t_rel**-0.5 * (9.0 + 280.0 * h * np.exp(-4.170 * (t_rel ** (-1.0 / 3.0) - 1.0)))
    return (
        8.686
        * f**2
        * (
            1.84e-11 / p_rel * t_rel**0.5
            + t_rel**-2.5
            * (
                0.01275 * np.exp(-2239.1 / temp_k) / (fr_o + f**2 / fr_o)
                + 0.1068 * np.exp(-3352.0 / temp_k) / (fr_n + f**2 / fr_n)
            )
        )
    )


def spl_to_pressure_pa(level_db_spl: ArrayLike) -> NDArray:
    """RMS sound pressure (Pa) of a level in dB SPL."""
    return REFERENCE_PRESSURE_PA * 10.0 ** (np.asarray(level_db_spl, float) / 20.0)


def pressure_to_spl(pressure_rms_pa: ArrayLike) -> NDArray:
    """Level in dB SPL of an RMS pressure (Pa)."""
    return 20.0 * np.log10(np.asarray(pressure_rms_pa, float) / REFERENCE_PRESSURE_PA)


def bistatic_path_length_m(speaker_m: ArrayLike, point_m: ArrayLike, mic_m: ArrayLike) -> NDArray:
    """Speaker → point → microphone path length (m). Positions (..., 3), broadcast."""
    p = np.asarray(point_m, float)
    return np.linalg.norm(p - np.asarray(speaker_m, float), axis=-1) + np.linalg.norm(
        p - np.asarray(mic_m, float), axis=-1
    )


def bistatic_doppler_hz(
    carrier_hz: ArrayLike,
    speaker_m: ArrayLike,
    point_m: ArrayLike,
    velocity_mps: ArrayLike,
    mic_m: ArrayLike,
    speed_mps: ArrayLike = 343.0,
) -> NDArray:
    """Exact Doppler shift (Hz) of the echo of a moving point, fixed speaker and microphone.

    The point hears f' = f0 (c - v.e1)/c (e1: unit vector speaker→point) and re-radiates as a
    moving source towards the mic, heard as f'' = f' c / (c - v.e2) (e2: unit vector point→mic).
    """
    p = np.asarray(point_m, float)
    v = np.asarray(velocity_mps, float)
    e1 = p - np.asarray(speaker_m, float)
    e1 = e1 / np.linalg.norm(e1, axis=-1, keepdims=True)
    e2 = np.asarray(mic_m, float) - p
    e2 = e2 / np.linalg.norm(e2, axis=-1, keepdims=True)
    c = np.asarray(speed_mps, float)
    f0 = np.asarray(carrier_hz, float)
    received = f0 * (c - np.sum(v * e1, axis=-1)) / (c - np.sum(v * e2, axis=-1))
    return received - f0


def monostatic_doppler_hz(
    carrier_hz: ArrayLike, radial_velocity_mps: ArrayLike, speed_mps: ArrayLike = 343.0
) -> NDArray:
    """Doppler shift (Hz) for co-located speaker and mic; positive velocity = approaching.

    Exact: f0 ((c + v)/(c - v) - 1); to first order 2 v f0 / c.
    """
    v = np.asarray(radial_velocity_mps, float)
    c = np.asarray(speed_mps, float)
    return np.asarray(carrier_hz, float) * ((c + v) / (c - v) - 1.0)


def doppler_to_velocity_mps(
    doppler_hz: ArrayLike, carrier_hz: ArrayLike, speed_mps: ArrayLike = 343.0
) -> NDArray:
    """Radial velocity (m/s, approaching positive) whose monostatic echo is shifted by doppler_hz.

    Inverse of `monostatic_doppler_hz`; the front end uses it to put the Doppler axis in m/s so
    that one model serves every carrier.
    """
    fd = np.asarray(doppler_hz, float)
    f0 = np.asarray(carrier_hz, float)
    c = np.asarray(speed_mps, float)
    return c * fd / (2.0 * f0 + fd)


def wavelength_m(freq_hz: ArrayLike, speed_mps: ArrayLike = 343.0) -> NDArray:
    return np.asarray(speed_mps, float) / np.asarray(freq_hz, float)
