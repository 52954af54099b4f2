"""The air between things: currents from heating/AC, temperature drift, ultrasonic noise.

- Air currents (convection, HVAC) change the sound speed and move the air along each static
  echo path; we model their effect as a path-length perturbation dL(t) (mm) whose RMS grows with
  the path length (`air_rms_mm_per_m`, plus `hvac_rms_mm_per_m` while the HVAC runs) and whose
  spectrum spans `air_band_hz` (0.1-3 Hz). 0.2 mm/m on a 5 m echo at 40 kHz is ~0.7 rad RMS.
- Temperature: linear drift (°C/min) plus a slow wander; changes c (all phases) and absorption.
- Ambient ultrasonic noise: a noise floor in dB SPL within the simulated band around the carrier,
  plus optional bursts (keys jingling, clicks: short broadband ultrasonic events) at random times,
  reported as distractors ("burst").
Slow processes are sums of sinusoids with random frequencies and phases: closed-form in time, so
any block of a long scene is exact and cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from uspd.errors import ConfigError

_N_PARTIALS = 10


@dataclass(frozen=True)
class Environment:
    """Air currents, temperature drift and ultrasonic noise (see module doc for units)."""

    air_rms_mm_per_m: float = 0.02
    hvac_rms_mm_per_m: float = 0.2
    hvac_on: tuple[tuple[float, float], ...] = ()
    air_band_hz: tuple[float, float] = (0.1, 3.0)
    temp_drift_c_per_min: float = 0.0
    temp_wander_c: float = 0.05
    noise_db_spl: float = 20.0
    burst_rate_per_min: float = 0.0
    burst_level_db_spl: float = 75.0
    burst_duration_s: tuple[float, float] = (0.05, 0.5)

    def __post_init__(self) -> None:
        lo, hi = self.air_band_hz
        if not 0 < lo < hi <= 20.0:
            raise ConfigError("environment.air_band_hz must be 0 < lo < hi <= 20 Hz")
        if min(self.air_rms_mm_per_m, self.hvac_rms_mm_per_m, self.temp_wander_c,
               self.burst_rate_per_min) < 0:
            raise ConfigError("environment levels and rates must be >= 0")
        if abs(self.temp_drift_c_per_min) > 2.0:
            raise ConfigError("temperature drift beyond 2 °C/min is not a room")

    @classmethod
    def quiet(cls) -> Environment:
        """Still air, constant temperature, no ultrasonic noise (for tests)."""
        return cls(air_rms_mm_per_m=0.0, temp_wander_c=0.0, noise_db_spl=-100.0)


class SlowProcess:
    """n independent zero-mean processes with given RMS (n,) and band (Hz): sums of sinusoids
    with log-uniform random frequencies; evaluate at any times with `__call__` -> (n, len(t))."""

    def __init__(self, rms: NDArray, band_hz: tuple[float, float],
                 rng: np.random.Generator) -> None:
        rms = np.atleast_1d(np.asarray(rms, float))
        n = rms.size
        lo, hi = np.log(band_hz[0]), np.log(band_hz[1])
        self.freq = np.exp(rng.uniform(lo, hi, (n, _N_PARTIALS)))
        self.phase = rng.uniform(0, 2 * np.pi, (n, _N_PARTIALS))
        w = rng.rayleigh(1.0, (n, _N_PARTIALS))
        w /= np.sqrt(np.sum(w**2, axis=1, keepdims=True) / 2.0)  # unit RMS
        self.amp = w * rms[:, None]

    def __call__(self, t_s: NDArray) -> NDArray[np.float64]:
        arg = 2 * np.pi * self.freq[:, :, None] * t_s + self.phase[:, :, None]
        return np.einsum("nk,nkt->nt", self.amp, np.sin(arg))


def smooth_intervals(t_s: NDArray, intervals: tuple[tuple[float, float], ...],
                     ramp_s: float = 5.0) -> NDArray[np.float64]:
    """0..1 weight that rises/falls over ramp_s at each interval edge (HVAC spinning up)."""
    w = np.zeros_like(t_s, dtype=float)
    for a, b in intervals:
        x = np.minimum(np.clip((t_s - a) / ramp_s, 0, 1), np.clip((b - t_s) / ramp_s, 0, 1))
        w = np.maximum(w, 0.5 - 0.5 * np.cos(np.pi * x))
    return w


@dataclass(frozen=True)
class Burst:
    """One ultrasonic burst: start (s), duration (s), level (dB SPL at the device)."""

    start_s: float
    duration_s: float
    level_db_spl: float


def draw_bursts(env: Environment, duration_s: float, rng: np.random.Generator) -> list[Burst]:
    """Poisson arrivals at burst_rate_per_min over the scene."""
    out: list[Burst] = []
    if env.burst_rate_per_min <= 0:
        return out
    t = float(rng.exponential(60.0 / env.burst_rate_per_min))
    while t < duration_s:
        d = float(rng.uniform(*env.burst_duration_s))
        out.append(Burst(t, min(d, duration_s - t), env.burst_level_db_spl + rng.normal(0, 4)))
        t += d + float(rng.exponential(60.0 / env.burst_rate_per_min))
    return out


def burst_envelope(t_s: NDArray, bursts: list[Burst]) -> NDArray[np.float64]:
    """RMS pressure (Pa) envelope of the bursts at t_s: a jangle of decaying clicks."""
    from uspd.physics import spl_to_pressure_pa

    env = np.zeros_like(t_s, dtype=float)
    for b in bursts:
        tau = t_s - b.start_s
        on = (tau >= 0) & (tau < b.duration_s)
        if not on.any():
            continue
        clicks = 0.4 + 0.6 * np.abs(np.sin(2 * np.pi * 9.0 * tau[on])) ** 4  # ~18 clicks/s
        env[on] = np.maximum(env[on], spl_to_pressure_pa(b.level_db_spl) * clicks)
    return env
