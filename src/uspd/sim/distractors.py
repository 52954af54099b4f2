"""Things that move and reflect but are not people: fans and curtains (`MotionSource`s).

Fan: blades rotating at rpm, several points along each blade. Each blade is a pitched flat
plate: its face normal is cos(pitch) axis + sin(pitch) tangent, so it sweeps a cone once per
revolution (pitch twists by twist_deg from root to tip). When that normal points at the device
the blade "flashes" (specular lobe, `flash_width_deg` wide), so the echo repeats at the
blade-flash rate n_blades rpm / 60 Hz. Seen near the axis (off-axis angle << pitch) the flash
is weak, as for a real fan.
Peak blade sigma 0.05 m^2 (below the 4 pi A^2 / lambda^2 flat-plate limit, which twist and
curvature never reach), 0.003 m^2 diffuse. The head may oscillate in yaw (+-oscillate_deg over
oscillate_period_s); the rotor spins up/down linearly over spin_s at on/off.

Curtain: a grid of points on a vertical sheet hanging from a rod, swaying along its normal with
a few superposed low-frequency modes (0.1-1 Hz, cm amplitudes) that grow with the distance below
the rod, under a slowly gusting draft envelope that fades in/out over fade_s at the draft's
on/off times. Large total sigma (default 0.6 m^2).

Both are frozen dataclasses (parameters can go into label metadata); `random_fan` and
`random_curtain` draw plausible ones from an explicit rng.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from uspd.errors import ConfigError
from uspd.sim.sources import Scatterers

Interval = tuple[float, float]
ALWAYS: tuple[Interval, ...] = ((-math.inf, math.inf),)


def _check_intervals(intervals: tuple[Interval, ...], min_gap_s: float, what: str) -> None:
    prev_end = -math.inf
    for a, b in intervals:
        if not a < b:
            raise ConfigError(f"{what} interval ({a}, {b}) must have start < end")
        if a < prev_end + min_gap_s:
            raise ConfigError(f"{what} intervals must be sorted and {min_gap_s} s apart")
        prev_end = b


def _in_intervals(t: NDArray, intervals: tuple[Interval, ...], tail_s: float = 0.0) -> NDArray:
    on = np.zeros(t.shape, dtype=bool)
    for a, b in intervals:
        on |= (t >= a) & (t < b + tail_s)
    return on


def _ramp_integral(x: NDArray, ramp_s: float) -> NDArray:
    """Integral of clip(y / ramp_s, 0, 1) from -inf to x (s)."""
    if ramp_s <= 0:
        return np.maximum(x, 0.0)
    xc = np.clip(x, 0.0, ramp_s)
    return xc**2 / (2 * ramp_s) + np.maximum(x - ramp_s, 0.0)


def _on_time(t: NDArray, intervals: tuple[Interval, ...]) -> NDArray:
    """Time spent inside the intervals up to t (s)."""
    acc = np.zeros(t.shape)
    for a, b in intervals:
        # an interval open to the past counts from t = 0 (negative before): pure in t
        acc += np.minimum(t, b) if math.isinf(a) else np.clip(t, a, b) - a
    return acc


@dataclass(frozen=True)
class Fan:
    """A desk/pedestal fan. Positions in m (room coordinates), angles in degrees from +x (CCW).

    on_times_s: (start, stop) intervals with the motor on; between them it spins down.
    device_position_m: where the sensing device is (for the blade flash); None = a viewer in
    the horizontal plane, pitch_deg off the fan axis (flashes at full strength).
    """

    kind: ClassVar[str] = "fan"
    hub_m: tuple[float, float, float] = (1.0, 1.0, 1.0)
    facing_deg: float = 0.0
    n_blades: int = 3
    rpm: float = 900.0
    radius_m: float = 0.2
    points_per_blade: int = 4
    pitch_deg: float = 30.0
    twist_deg: float = 20.0
    oscillate_deg: float = 0.0
    oscillate_period_s: float = 15.0
    on_times_s: tuple[Interval, ...] = ALWAYS
    spin_s: float = 3.0
    rotor_phase_deg: float = 0.0
    device_position_m: tuple[float, float, float] | None = None
    blade_sigma_m2: float = 0.003
    flash_sigma_m2: float = 0.05
    flash_width_deg: float = 8.0
    hub_sigma_m2: float = 0.02

    def __post_init__(self) -> None:
        if not 2 <= self.n_blades <= 7:
            raise ConfigError(f"fan n_blades {self.n_blades} outside 2-7")
        if not 0 < self.rpm <= 3000:
            raise ConfigError(f"fan rpm {self.rpm} outside (0, 3000]")
        if not 0.05 <= self.radius_m <= 0.6 or self.points_per_blade < 1:
            raise ConfigError("fan radius 0.05-0.6 m and at least one point per blade")
        _check_intervals(self.on_times_s, 0.0, "fan on")

    @property
    def flash_hz(self) -> float:
        """Blade-flash rate n_blades rpm / 60 (Hz)."""
        return self.n_blades * self.rpm / 60.0

    @property
    def names(self) -> tuple[str, ...]:
        blades = (
            f"blade{k}_{j}" for k in range(self.n_blades) for j in range(self.points_per_blade)
        )
        return ("hub", *blades)

    def rotor_angle_rad(self, t_s: ArrayLike) -> NDArray[np.float64]:
        """Rotor angle (rad): rpm ramps linearly over spin_s after each start/stop."""
        t = np.asarray(t_s, dtype=float)
        omega = 2 * np.pi * self.rpm / 60.0
        turns = np.zeros(t.shape)
        for a, b in self.on_times_s:
            up = _ramp_integral(t - a, self.spin_s) if math.isfinite(a) else t
            down = _ramp_integral(t - b, self.spin_s) if math.isfinite(b) else 0.0
            turns = turns + up - down
        return math.radians(self.rotor_phase_deg) + omega * turns

    def yaw_rad(self, t_s: ArrayLike) -> NDArray[np.float64]:
        """Head yaw (rad): oscillates only while the motor is on."""
        t = np.asarray(t_s, dtype=float)
        yaw = np.full(t.shape, math.radians(self.facing_deg))
        if self.oscillate_deg:
            tau = _on_time(t, self.on_times_s)
            yaw += math.radians(self.oscillate_deg) * np.sin(
                2 * np.pi * tau / self.oscillate_period_s
            )
        return yaw

    def active(self, t_s: ArrayLike) -> NDArray[np.bool_]:
        """True while the rotor turns (motor on, plus the spin-down after switching off)."""
        return _in_intervals(np.asarray(t_s, dtype=float), self.on_times_s, self.spin_s)

    def scatterers(self, t_s: ArrayLike) -> Scatterers:
        """Hub + blade points: positions (1 + n_blades points_per_blade, n, 3), sigma (m^2)."""
        t = np.atleast_1d(np.asarray(t_s, dtype=float))
        n = t.size
        yaw = self.yaw_rad(t)
        axis = np.stack([np.cos(yaw), np.sin(yaw), np.zeros(n)], axis=-1)
        side = np.stack([-np.sin(yaw), np.cos(yaw), np.zeros(n)], axis=-1)
        up = np.array([0.0, 0.0, 1.0])
        f0 = math.radians(self.facing_deg)
        pivot = np.asarray(self.hub_m, dtype=float) - 0.1 * np.array([np.cos(f0), np.sin(f0), 0])
        hub = pivot + 0.1 * axis  # the head turns about a vertical axis 10 cm behind the hub
        if self.device_position_m is None:
            b = math.radians(self.pitch_deg)
            view = np.array([math.cos(f0 + b), math.sin(f0 + b), 0.0])
            to_dev = np.broadcast_to(view, (n, 3))
        else:
            to_dev = np.asarray(self.device_position_m, dtype=float) - hub
            to_dev = to_dev / np.linalg.norm(to_dev, axis=-1, keepdims=True)
        psi0 = self.rotor_angle_rad(t)
        r_hub = 0.2 * self.radius_m
        radii = r_hub + (self.radius_m - r_hub) * (np.arange(self.points_per_blade) + 0.5) / (
            self.points_per_blade
        )
        frac = (np.arange(self.points_per_blade) + 0.5) / self.points_per_blade
        pitch = np.radians(self.pitch_deg + self.twist_deg * (0.5 - frac))[:, None, None]
        width = math.radians(self.flash_width_deg)
        pos = [hub[None]]
        sig = [np.full((1, n), self.hub_sigma_m2)]
        for k in range(self.n_blades):
            psi = (psi0 + 2 * np.pi * k / self.n_blades)[:, None]
            radial = np.cos(psi) * side + np.sin(psi) * up
            tangent = -np.sin(psi) * side + np.cos(psi) * up
            normal = np.cos(pitch) * axis[None] + np.sin(pitch) * tangent[None]  # (pts, n, 3)
            cos_g = np.clip(np.abs(np.sum(normal * to_dev[None], axis=-1)), 0.0, 1.0)
            lobe = np.exp(-0.5 * (np.arccos(cos_g) / width) ** 2)
            pos.append(hub[None] + radii[:, None, None] * radial[None])
            sig.append((self.blade_sigma_m2 + self.flash_sigma_m2 * lobe) / self.points_per_blade)
        return Scatterers(np.concatenate(pos), np.concatenate(sig), self.names)


@dataclass(frozen=True)
class Curtain:
    """A curtain hanging from a rod: grid of points swaying along the sheet normal.

    centre_m: sheet centre (m); facing_deg: horizontal direction of the sheet normal (into the
    room). mode_hz / mode_weight / mode_phase_rad: the sway modes (0.1-1 Hz); amplitude_m: the
    sway amplitude at the hem. draft_times_s: (start, stop) intervals with a draft.
    """

    kind: ClassVar[str] = "curtain"
    centre_m: tuple[float, float, float] = (2.0, 0.05, 1.3)
    facing_deg: float = 90.0
    width_m: float = 1.4
    height_m: float = 2.0
    n_cols: int = 6
    n_rows: int = 5
    sigma_m2: float = 0.6
    amplitude_m: float = 0.03
    mode_hz: tuple[float, ...] = (0.23, 0.51, 0.83)
    mode_weight: tuple[float, ...] = (1.0, 0.5, 0.3)
    mode_phase_rad: tuple[float, ...] = (0.0, 1.3, 2.9)
    gust_hz: float = 0.05
    draft_times_s: tuple[Interval, ...] = ALWAYS
    fade_s: float = 2.0

    def __post_init__(self) -> None:
        n = len(self.mode_hz)
        if n == 0 or len(self.mode_weight) != n or len(self.mode_phase_rad) != n:
            raise ConfigError("curtain mode_hz, mode_weight, mode_phase_rad: same length >= 1")
        if any(not 0.05 <= f <= 2.0 for f in self.mode_hz):
            raise ConfigError("curtain mode frequencies must be 0.05-2 Hz")
        if not 0 <= self.amplitude_m <= 0.3 or self.n_cols < 1 or self.n_rows < 1:
            raise ConfigError("curtain amplitude 0-0.3 m and a grid of at least 1 x 1")
        _check_intervals(self.draft_times_s, 0.0, "curtain draft")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f"curtain{r}_{c}" for r in range(self.n_rows) for c in range(self.n_cols))

    def envelope(self, t_s: ArrayLike) -> NDArray[np.float64]:
        """Draft strength in [0, 1]: raised-cosine fades at on/off, slow gusts in between."""
        t = np.asarray(t_s, dtype=float)
        env = np.zeros(t.shape)
        for a, b in self.draft_times_s:
            rise = np.clip((t - a) / self.fade_s, 0, 1) if math.isfinite(a) else 1.0
            fall = np.clip((b - t) / self.fade_s, 0, 1) if math.isfinite(b) else 1.0
            env += (0.5 - 0.5 * np.cos(np.pi * rise)) * (0.5 - 0.5 * np.cos(np.pi * fall))
        gust = 0.7 + 0.3 * np.sin(2 * np.pi * self.gust_hz * t)
        return np.minimum(env, 1.0) * gust

    def active(self, t_s: ArrayLike) -> NDArray[np.bool_]:
        """True while a draft sways the curtain."""
        return _in_intervals(np.asarray(t_s, dtype=float), self.draft_times_s)

    def scatterers(self, t_s: ArrayLike) -> Scatterers:
        """Grid points (n_rows n_cols, n, 3) and sigma (sigma_m2 shared equally), m / m^2."""
        t = np.atleast_1d(np.asarray(t_s, dtype=float))
        f = math.radians(self.facing_deg)
        normal = np.array([math.cos(f), math.sin(f), 0.0])
        along = np.array([-math.sin(f), math.cos(f), 0.0])
        u = (np.arange(self.n_cols) + 0.5) / self.n_cols - 0.5  # across, -0.5..0.5
        depth = (np.arange(self.n_rows) + 0.5) / self.n_rows  # below the rod, 0..1
        uu, dd = (g.ravel() for g in np.meshgrid(u, depth))  # row-major: rows of depth
        env = self.envelope(t)
        sway = np.zeros((uu.size, t.size))
        slide = np.zeros((uu.size, t.size))
        for m, (fm, wm, pm) in enumerate(
            zip(self.mode_hz, self.mode_weight, self.mode_phase_rad, strict=True)
        ):
            shape = np.cos(np.pi * (m + 1) * uu + pm)  # varies across the width
            temporal = np.sin(2 * np.pi * fm * t + pm)
            sway += wm * (shape * dd)[:, None] * temporal[None]
            slide += 0.3 * wm * dd[:, None] * np.cos(2 * np.pi * fm * t + 2 * pm)[None]
        norm = float(np.sum(np.abs(self.mode_weight)))
        sway *= self.amplitude_m / norm * env[None]
        slide *= self.amplitude_m / norm * env[None]
        c = np.asarray(self.centre_m, dtype=float)
        rest = (
            c
            + (uu * self.width_m)[:, None] * along
            + ((0.5 - dd) * self.height_m)[:, None] * np.array([0.0, 0.0, 1.0])
        )
        pos = rest[:, None, :] + sway[..., None] * normal + slide[..., None] * along
        sigma = np.full((uu.size, t.size), self.sigma_m2 / uu.size)
        return Scatterers(pos, sigma, self.names)


def random_fan(
    rng: np.random.Generator,
    hub_m: tuple[float, float, float],
    device_position_m: tuple[float, float, float] | None = None,
    on_times_s: tuple[Interval, ...] = ALWAYS,
) -> Fan:
    """A plausible fan: 3-5 blades, 300-1500 rpm, radius 0.15-0.25 m, oscillating half the time."""
    return Fan(
        hub_m=tuple(float(x) for x in hub_m),  # type: ignore[arg-type]
        facing_deg=float(rng.uniform(0, 360)),
        n_blades=int(rng.integers(3, 6)),
        rpm=float(rng.uniform(300, 1500)),
        radius_m=float(rng.uniform(0.15, 0.25)),
        pitch_deg=float(rng.uniform(20, 40)),
        oscillate_deg=float(rng.uniform(20, 40)) if rng.random() < 0.5 else 0.0,
        oscillate_period_s=float(rng.uniform(10, 20)),
        on_times_s=on_times_s,
        rotor_phase_deg=float(rng.uniform(0, 360)),
        device_position_m=device_position_m,
    )


def random_curtain(
    rng: np.random.Generator,
    centre_m: tuple[float, float, float],
    facing_deg: float,
    draft_times_s: tuple[Interval, ...] = ALWAYS,
) -> Curtain:
    """A plausible curtain: 3 modes in 0.1-1 Hz, 1-5 cm sway, sigma 0.3-1 m^2."""
    return Curtain(
        centre_m=tuple(float(x) for x in centre_m),  # type: ignore[arg-type]
        facing_deg=float(facing_deg),
        width_m=float(rng.uniform(1.0, 2.0)),
        height_m=float(rng.uniform(1.5, 2.4)),
        sigma_m2=float(rng.uniform(0.3, 1.0)),
        amplitude_m=float(rng.uniform(0.01, 0.05)),
        mode_hz=tuple(float(x) for x in np.sort(rng.uniform(0.1, 1.0, 3))),
        mode_weight=tuple(float(x) for x in rng.uniform(0.2, 1.0, 3)),
        mode_phase_rad=tuple(float(x) for x in rng.uniform(0, 2 * np.pi, 3)),
        gust_hz=float(rng.uniform(0.02, 0.1)),
        draft_times_s=draft_times_s,
    )
