"""The sensing device: loudspeaker (per-unit ultrasonic response, gating), microphone array
(geometry, sensitivity, self-noise, per-mic gain/phase mismatch, DC, clipping, 16-bit).

Device coordinates: origin at the device centre, x forward, z up; `Device.yaw_deg` turns them
about z into room coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from uspd.errors import ConfigError
from uspd.physics import spl_to_pressure_pa

Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class Speaker:
    """Loudspeaker ultrasonic response: a 2nd-order resonance (tweeter/cone break-up) whose
    frequency, Q and gain vary between units.

    The emission level is specified at the *nominal* unit; a drawn unit differs by
    H_unit(f0) / H_nominal(f0) (complex). resonance_sd_frac, q_sd_frac: relative spread;
    gain_sd_db: flat gain spread. Driver (cone) resonance and excursion for music are in
    `uspd.sim.music.MusicConfig`.
    """

    resonance_hz: float = 38000.0
    q: float = 3.0
    resonance_sd_frac: float = 0.05
    q_sd_frac: float = 0.2
    gain_sd_db: float = 1.5

    def response(self, freq_hz: ArrayLike, resonance_hz: float, q: float) -> NDArray:
        """Complex band-pass response (peak 1 at resonance) at freq_hz."""
        s = 1j * np.asarray(freq_hz, float) / resonance_hz
        return (s / q) / (s**2 + s / q + 1.0)

    def unit_response(self, carrier_hz: float, rng: np.random.Generator) -> complex:
        """Complex gain of a unit drawn from rng relative to the nominal unit, at carrier_hz."""
        fr = self.resonance_hz * (1.0 + self.resonance_sd_frac * rng.standard_normal())
        q = max(0.5, self.q * (1.0 + self.q_sd_frac * rng.standard_normal()))
        g = 10.0 ** (self.gain_sd_db * rng.standard_normal() / 20.0)
        nominal = self.response(carrier_hz, self.resonance_hz, self.q)
        return complex(g * self.response(carrier_hz, fr, q) / nominal)


@dataclass(frozen=True)
class Microphones:
    """Microphone chain (identical nominal mics, per-unit mismatch).

    full_scale_db_spl: RMS SPL of a sine that just reaches digital full scale (acoustic
    overload point). self_noise_db_spl: broadband (0..fs/2) RMS self-noise. gain_db / phase_deg:
    explicit per-mic mismatch (phase at the carrier, applied to the ultrasonic band), or None to
    draw with gain_sd_db / phase_sd_deg. dc_offset_sd: DC offset spread (fraction of full
    scale). bits: quantisation (16), or 0 for none.
    """

    full_scale_db_spl: float = 120.0
    self_noise_db_spl: float = 32.0
    gain_db: tuple[float, ...] | None = None
    phase_deg: tuple[float, ...] | None = None
    gain_sd_db: float = 1.0
    phase_sd_deg: float = 3.0
    dc_offset_sd: float = 2e-3
    bits: int = 16

    def mismatch(
        self, n_mics: int, rng: np.random.Generator
    ) -> tuple[NDArray, NDArray, NDArray]:
        """Per-mic (linear gain, phase rad, DC offset), drawn from rng unless configured."""
        g_db = rng.normal(0.0, self.gain_sd_db, n_mics)
        ph = rng.normal(0.0, self.phase_sd_deg, n_mics)
        dc = rng.normal(0.0, self.dc_offset_sd, n_mics)
        for name, val in (("gain_db", self.gain_db), ("phase_deg", self.phase_deg)):
            if val is not None and len(val) != n_mics:
                raise ConfigError(f"microphones.{name} needs {n_mics} values")
        if self.gain_db is not None:
            g_db = np.asarray(self.gain_db, float)
        if self.phase_deg is not None:
            ph = np.asarray(self.phase_deg, float)
        return 10.0 ** (g_db / 20.0), np.deg2rad(ph), dc

    @property
    def pa_per_full_scale(self) -> float:
        """Peak pressure (Pa) that maps to digital 1.0."""
        return float(math.sqrt(2.0) * spl_to_pressure_pa(self.full_scale_db_spl))

    def digitise(self, pressure_pa: NDArray, gain: NDArray, dc: NDArray) -> NDArray[np.float32]:
        """Pressure (n, n_mics) Pa -> float32 samples: gain, DC, clip at +-1, quantise."""
        x = pressure_pa * (gain / self.pa_per_full_scale) + dc
        np.clip(x, -1.0, 1.0, out=x)
        if self.bits:
            q = float(2 ** (self.bits - 1) - 1)
            x = np.round(x * q) / q
        return x.astype(np.float32)


def ring_array(n_mics: int, radius_m: float, z_m: float = 0.0) -> tuple[Vec3, ...]:
    """n mics evenly on a horizontal circle (device coordinates)."""
    a = 2 * np.pi * np.arange(n_mics) / n_mics
    return tuple((float(radius_m * np.cos(x)), float(radius_m * np.sin(x)), z_m) for x in a)


@dataclass(frozen=True)
class Device:
    """Where the device is and what it is made of.

    position_m: device centre in the room; yaw_deg: rotation about z; mics_m / speaker_m:
    positions in device coordinates (m). fs_hz / carrier_hz: what this kind of device runs at
    (used by `Scene.for_device`).
    """

    position_m: Vec3 = (2.5, 0.3, 0.8)
    yaw_deg: float = 90.0
    mics_m: tuple[Vec3, ...] = ring_array(4, 0.035)
    speaker_m: Vec3 = (0.0, 0.0, -0.045)
    speaker: Speaker = Speaker()
    microphones: Microphones = Microphones()
    fs_hz: int = 96000
    carrier_hz: float = 40000.0

    def __post_init__(self) -> None:
        if not 1 <= len(self.mics_m) <= 8:
            raise ConfigError(f"1 to 8 microphones, got {len(self.mics_m)}")
        for m in self.mics_m:
            if np.linalg.norm(np.subtract(m, self.speaker_m)) < 0.005:
                raise ConfigError("a microphone sits on the loudspeaker (< 5 mm)")

    @classmethod
    def echo_like(cls, position_m: Vec3 = (2.5, 0.3, 0.8), n_mics: int = 4) -> Device:
        """Smart-speaker: mic ring of 3.5 cm radius on top, speaker 4.5 cm below, 96k/40 kHz."""
        return cls(position_m=position_m, mics_m=ring_array(n_mics, 0.035))

    @classmethod
    def laptop(cls, position_m: Vec3 = (2.5, 0.3, 0.75)) -> Device:
        """Laptop: 2 mics 14 cm apart in the screen bezel, speakers under the keyboard edge,
        48 kHz with a 20 kHz near-ultrasound carrier."""
        return cls(
            position_m=position_m,
            mics_m=((-0.05, -0.07, 0.25), (-0.05, 0.07, 0.25)),
            speaker_m=(0.12, 0.0, 0.0),
            speaker=Speaker(resonance_hz=16000.0, q=1.5, gain_sd_db=2.0),
            microphones=Microphones(full_scale_db_spl=120.0, self_noise_db_spl=36.0),
            fs_hz=48000,
            carrier_hz=20000.0,
        )

    @property
    def n_mics(self) -> int:
        return len(self.mics_m)

    def _to_room(self, local: ArrayLike) -> NDArray[np.float64]:
        a = math.radians(self.yaw_deg)
        rot = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0],
                        [0.0, 0.0, 1.0]])
        return np.asarray(local, float) @ rot.T + np.asarray(self.position_m, float)

    def mic_positions_m(self) -> NDArray[np.float64]:
        """(n_mics, 3) room coordinates."""
        return self._to_room(self.mics_m)

    def speaker_position_m(self) -> NDArray[np.float64]:
        """(3,) room coordinates."""
        return self._to_room(self.speaker_m)


def gate(
    t_s: NDArray, schedule: Sequence[tuple[float, float]] | None, ramp_s: float
) -> NDArray[np.float64]:
    """Emission on/off gain (0..1) at times t_s: raised-cosine ramps of ramp_s starting at each
    t_on and ending at each t_off. schedule None = always on (also before t = 0)."""
    if schedule is None:
        return np.ones_like(t_s, dtype=float)
    g = np.zeros_like(t_s, dtype=float)
    for t_on, t_off in schedule:
        up = np.clip((t_s - t_on) / ramp_s, 0.0, 1.0)
        down = np.clip((t_off - t_s) / ramp_s, 0.0, 1.0)
        w = np.minimum(up, down)
        g = np.maximum(g, 0.5 - 0.5 * np.cos(np.pi * w))
    return g


def check_schedule(schedule: Sequence[tuple[float, float]] | None, ramp_s: float) -> None:
    if schedule is None:
        return
    last = -math.inf
    for t_on, t_off in schedule:
        if not t_on + 2 * ramp_s <= t_off or t_on < last:
            raise ConfigError(
                f"emission schedule needs increasing (t_on, t_off) at least two ramps long, "
                f"got {tuple(schedule)}"
            )
        last = t_off
