"""People as moving point scatterers, driven by a small readable script.

    person = Person(
        [Enter((0.1, 2.0), t_s=2.0), WalkTo((2.5, 2.0)), Sit(30.0, minor_motions=3),
         StandUp(), WalkTo((0.1, 2.0)), Leave()],
        speed_mps=1.2, height_m=1.75, rng=np.random.default_rng(7))
    sc = person.scatterers(t_s)          # positions (10, n_times, 3) m, sigma (10, n_times) m^2

The script is compiled once into piecewise-analytic trajectories (a path-length profile s(t)
along a polyline, a sit/stand posture q(t) in [0, 1], minimum-jerk hand displacements), so
`scatterers()` is pure, vectorised over time and exact enough for carrier phase (no per-sample
noise, positions continuous everywhere).

Body model (10 points): torso (chest, ~centre of mass: the point used for "major" labels), head,
two arms (elbow region), two hands, two legs (knee region), two feet. Gait after Boulic et al.
(1990): cycle duration 1.346 / sqrt(v / leg_length) s, so the stride is 1.346 sqrt(v leg_length)
m; the gait phase advances with distance walked, so each foot is exactly still during stance
(60 % of the cycle) and moves one stride during swing (40 %) with a flat-topped velocity profile
that peaks at 1 / (0.4 (1 - SWING_TAPER)) = 2.86 x body speed. The torso bobs twice per cycle and
sways laterally once per cycle; the arms swing in counter-phase to the legs. Every walk ends in
double support, with arm swing, sway and bob back at zero, so standing is truly still.

Cross-sections (m^2, at 20-40 kHz, for a 1.75 m adult, scaled with height^2), `CROSS_SECTION_M2`:
torso 0.2, head 0.03, arm 0.02, leg 0.03, hand 0.008, foot 0.01. They do not vary with aspect.

While seated or standing, the chest moves a few mm along the facing direction at 0.2-0.3 Hz
(breathing: label "still"). Minor motions (`HandMotion`: reach for a phone, turn a page, lift a
cup) move one hand along a minimum-jerk out-hold-back trajectory of 10-40 cm in 0.5-1.5 s; the
arm point follows at half the displacement.

Before `Enter` and after `Leave` the person is outside: cross-sections are 0 and `active` is
False; the cross-sections fade in/out over `DOOR_FADE_S` while passing the door.

Known limits: no occlusion or aspect-dependent sigma; heading turns over TURN_BLEND_M of path
(velocity, not position, steps at the blend ends), and a path that doubles back turns
clockwise (a U-turn has no shorter side; rounding must not pick one); when a walk stops at a
sharp turn the leading foot is placed on the next path segment, so its first swing afterwards
is briefly fast (~5 m/s).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from uspd.errors import ConfigError
from uspd.sim.sources import Scatterers

POINT_NAMES = (
    "torso", "head", "left_arm", "right_arm", "left_hand", "right_hand",
    "left_leg", "right_leg", "left_foot", "right_foot",
)  # fmt: skip
CROSS_SECTION_M2 = {
    "torso": 0.2, "head": 0.03, "arm": 0.02, "hand": 0.008, "leg": 0.03, "foot": 0.01,
}  # fmt: skip
REFERENCE_HEIGHT_M = 1.75

SPEED_RANGE_MPS = (0.5, 1.6)
STANCE_FRACTION = 0.6  # part of the gait cycle a foot is on the ground
SWING_TAPER = 0.125  # part of the swing spent accelerating (and decelerating) the foot
FOOT_LIFT_M = 0.06  # toe clearance at mid-swing
ANKLE_Z_M = 0.05
HALF_STEP_WIDTH_M = 0.09
PHASE_AT_REST = 0.05  # gait phase (mod 0.5) of double support, where every walk starts and ends
WALK_RAMP_S = 0.6  # time to reach (or leave) the cruise speed
TURN_BLEND_M = 0.3  # path length over which the heading turns at a waypoint
U_TURN_TOL_RAD = 1e-9  # turns this near half a revolution are U-turns, always clockwise
ARM_SWING_RAD = math.radians(18.0)
SEAT_HEIGHT_M = 0.45
SIT_BACK_M = 0.15  # the pelvis moves back onto the seat
DOOR_FADE_S = 0.5
BOULIC_CYCLE_S = 1.346  # cycle duration at relative velocity 1 (s)

# Minor motions: right-hand direction in the body frame (forward, left, up), distance (m), time
# to move out (s), hold (s). Left hands mirror the lateral component.
HAND_MOTIONS = {
    "phone": ((0.8, -0.3, 0.15), (0.20, 0.35), (0.7, 1.2), (0.5, 2.0)),
    "page": ((0.2, 0.95, 0.15), (0.12, 0.25), (0.5, 0.8), (0.1, 0.3)),
    "cup": ((0.3, 0.2, 0.95), (0.25, 0.40), (0.9, 1.5), (1.0, 3.0)),
}


def minimum_jerk(tau: ArrayLike) -> NDArray[np.float64]:
    """Minimum-jerk position profile 10 tau^3 - 15 tau^4 + 6 tau^5, tau clipped to [0, 1].

    Zero velocity and acceleration at both ends; peak velocity 1.875 (at tau = 0.5).
    """
    x = np.clip(np.asarray(tau, dtype=float), 0.0, 1.0)
    return x**3 * (10.0 + x * (-15.0 + 6.0 * x))


def boulic_cycle_hz(speed_mps: ArrayLike, leg_length_m: ArrayLike) -> NDArray[np.float64]:
    """Gait cycle (stride) frequency (Hz): 1 / (1.346 / sqrt(v / leg_length)), Boulic 1990."""
    rv = np.asarray(speed_mps, dtype=float) / np.asarray(leg_length_m, dtype=float)
    return np.sqrt(rv) / BOULIC_CYCLE_S


def stride_length_m(speed_mps: float, leg_length_m: float) -> float:
    """Stride (two steps) length (m) at a walking speed, from the Boulic cycle duration."""
    return BOULIC_CYCLE_S * math.sqrt(speed_mps * leg_length_m)


# ---------------------------------------------------------------- script actions
XY = tuple[float, float]


def _xy(p: Sequence[float]) -> XY:
    if len(p) != 2:
        raise ConfigError(f"expected an (x, y) floor position in m, got {p!r}")
    return (float(p[0]), float(p[1]))


@dataclass(frozen=True)
class Enter:
    """Come in through the door at door_xy (m) at time t_s (s); outside the room before."""

    door_xy: XY
    t_s: float = 0.0


@dataclass(frozen=True)
class Start:
    """Already in the room at xy (m) from the start, facing heading_deg (from +x, CCW)."""

    xy: XY
    heading_deg: float = 0.0
    seated: bool = False


@dataclass(frozen=True, init=False)
class WalkTo:
    """Walk through the waypoints (m) without stopping, then stop (unless leaving next)."""

    waypoints: tuple[XY, ...]
    speed_mps: float | None = None

    def __init__(self, *waypoints: Sequence[float], speed_mps: float | None = None) -> None:
        if not waypoints:
            raise ConfigError("WalkTo needs at least one waypoint")
        object.__setattr__(self, "waypoints", tuple(_xy(p) for p in waypoints))
        object.__setattr__(self, "speed_mps", speed_mps)


@dataclass(frozen=True)
class HandMotion:
    """One minor motion during a still period; None fields are drawn (or nominal without rng).

    at_s: start, relative to the start of the still period (s). kind: "phone", "page", "cup".
    distance_m: hand displacement (m), move_s: time to move out (= time back) (s), hold_s (s).
    """

    at_s: float | None = None
    kind: str = "phone"
    hand: str = "right"
    distance_m: float | None = None
    move_s: float | None = None
    hold_s: float | None = None


MinorMotions = int | Sequence[HandMotion]


@dataclass(frozen=True)
class Stand:
    """Stand still (breathing) for duration_s, optionally with minor hand motions."""

    duration_s: float
    minor_motions: MinorMotions = 0


@dataclass(frozen=True)
class Sit:
    """Sit down (transition_s, drawn in 1.5-2.5 s if None) then sit still for duration_s."""

    duration_s: float
    minor_motions: MinorMotions = 0
    transition_s: float | None = None


@dataclass(frozen=True)
class StandUp:
    """Stand up from a seat (transition_s, drawn in 1.5-2.5 s if None)."""

    transition_s: float | None = None


@dataclass(frozen=True)
class Leave:
    """Walk out through door_xy (default: the door of `Enter`); outside the room afterwards."""

    door_xy: XY | None = None


Action = Enter | Start | WalkTo | Stand | Sit | StandUp | Leave


@dataclass(frozen=True)
class Event:
    """A compiled script step: name ("walk", "sit_down", "seated", "hand:cup", ...), times (s)."""

    name: str
    start_s: float
    end_s: float


# ---------------------------------------------------------------- helpers
def _interp_lin(x: NDArray, xp: NDArray, fp: NDArray) -> NDArray:
    """np.interp with linear extrapolation from the end segments (xp strictly increasing)."""
    y = np.interp(x, xp, fp)
    lo = x < xp[0]
    hi = x > xp[-1]
    if lo.any():
        y[lo] = fp[0] + (x[lo] - xp[0]) * (fp[1] - fp[0]) / (xp[1] - xp[0])
    if hi.any():
        y[hi] = fp[-1] + (x[hi] - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    return y


def _ramp(x: NDArray, ta: NDArray) -> NDArray:
    """Distance (in units of speed x s) covered after x s of a raised-cosine speed ramp of ta s."""
    safe = np.where(ta > 0, ta, 1.0)
    return np.where(ta > 0, 0.5 * x - safe / (2 * np.pi) * np.sin(np.pi * x / safe), 0.0)


def _swing_profile(tau: NDArray) -> NDArray:
    """Foot progress 0 -> 1 over the swing: Tukey-window velocity, peak 1 / (1 - SWING_TAPER)."""
    a = SWING_TAPER
    ramp_up = 0.5 * (tau - a / np.pi * np.sin(np.pi * tau / a))
    rest = 1.0 - tau
    ramp_down = (1.0 - a) - 0.5 * (rest - a / np.pi * np.sin(np.pi * rest / a))
    w = np.where(tau <= a, ramp_up, np.where(tau >= 1.0 - a, ramp_down, tau - 0.5 * a))
    return w / (1.0 - a)


def _smooth_fade(x: NDArray) -> NDArray:
    """0 for x <= 0, raised-cosine rise to 1 at x = 1."""
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


def _turn(a: float) -> float:
    """The heading change a (rad) as the turn a person makes: the shorter way round, and a
    U-turn (half a revolution give or take U_TURN_TOL_RAD) always clockwise, exactly -pi.
    Without the tolerance the side of a U-turn follows the last bit of arctan2, which differs
    between numpy's AVX2 and AVX-512 code paths, and the scene's motion with it."""
    d = _wrap(a)
    return -math.pi if abs(abs(d) - math.pi) < U_TURN_TOL_RAD else d


# ---------------------------------------------------------------- the person
class Person:
    """A person following a script of actions (see module docstring); a `MotionSource`.

    speed_mps: cruise walking speed (0.5-1.6), height_m: body height. With an rng, speed
    (+-10 %), height (sd 3 %), leading foot, breathing, arm swing, sit/stand durations and
    unspecified minor motions are drawn from it; without, nominal values are used.
    """

    kind = "person"

    def __init__(
        self,
        script: Sequence[Action],
        *,
        speed_mps: float = 1.2,
        height_m: float = 1.75,
        rng: np.random.Generator | None = None,
    ) -> None:
        lo, hi = SPEED_RANGE_MPS
        if not lo <= speed_mps <= hi:
            raise ConfigError(f"walking speed {speed_mps} m/s outside {lo}-{hi} m/s")
        if not 1.0 <= height_m <= 2.2:
            raise ConfigError(f"height {height_m} m outside 1.0-2.2 m")
        if not script:
            raise ConfigError("empty person script")
        self.script = tuple(script)
        self._rng = rng
        if rng is not None:
            speed_mps = float(np.clip(speed_mps * rng.uniform(0.9, 1.1), lo, hi))
            height_m = float(np.clip(height_m * (1.0 + 0.03 * rng.standard_normal()), 1.0, 2.2))
            lead = int(rng.integers(2))
            self.breath_hz = float(rng.uniform(0.2, 0.3))
            self.breath_m = float(rng.uniform(0.002, 0.005))
            self._breath_phase = float(rng.uniform(0, 2 * np.pi))
            self._arm_swing = ARM_SWING_RAD * float(rng.uniform(0.8, 1.2))
        else:
            lead = 0
            self.breath_hz, self.breath_m, self._breath_phase = 0.25, 0.003, 0.0
            self._arm_swing = ARM_SWING_RAD
        self.speed_mps = speed_mps
        self.height_m = height_m
        self.leg_length_m = 0.53 * height_m
        self._foot_offsets = (0.0, 0.5) if lead == 0 else (0.5, 0.0)
        size = (height_m / REFERENCE_HEIGHT_M) ** 2
        self._sigma = np.array(
            [CROSS_SECTION_M2[n.split("_")[-1]] * size for n in POINT_NAMES], dtype=float
        )
        self._compile()

    # ------------------------------------------------------------ compilation
    def _draw(self, lo_hi: tuple[float, float]) -> float:
        lo, hi = lo_hi
        return float(self._rng.uniform(lo, hi)) if self._rng is not None else 0.5 * (lo + hi)

    def _transition_s(self, given: float | None) -> float:
        t = given if given is not None else self._draw((1.5, 2.5))
        if not 0.5 <= t <= 5.0:
            raise ConfigError(f"sit/stand transition {t} s outside 0.5-5 s")
        return t

    def _compile(self) -> None:
        first = self.script[0]
        self._vertices: list[XY] = []
        self._moves: list[tuple[float, float, float, float, float, float, float]] = []
        self._postures: list[tuple[float, float, float, float]] = []
        self._hands: list[tuple[float, float, float, int, NDArray]] = []
        self._phase_knots: list[tuple[float, float]] = []
        self.events: list[Event] = []
        if isinstance(first, Enter):
            t = float(first.t_s)
            self.t_enter_s = t
            self._door: XY | None = _xy(first.door_xy)
            self._vertices.append(self._door)
            q = 0.0
        elif isinstance(first, Start):
            t = 0.0
            self.t_enter_s = -math.inf
            self._door = None
            self._vertices.append(_xy(first.xy))
            q = 1.0 if first.seated else 0.0
        else:
            raise ConfigError("a person script starts with Enter(...) or Start(...)")
        self._q_init = q
        self.t_leave_s = math.inf
        self._s = 0.0
        self._phase = PHASE_AT_REST
        self._t = t
        self._seated = q > 0.5
        actions = self.script[1:]
        for i, a in enumerate(actions):
            if self.t_leave_s < math.inf:
                raise ConfigError("Leave() must be the last action")
            nxt = actions[i + 1] if i + 1 < len(actions) else None
            if isinstance(a, WalkTo):
                self._stand_up_if_seated(None)
                pts = list(a.waypoints)
                leaving = isinstance(nxt, Leave)
                if leaving:
                    pts.append(self._leave_door(nxt))
                v = self.speed_mps if a.speed_mps is None else float(a.speed_mps)
                if not SPEED_RANGE_MPS[0] <= v <= SPEED_RANGE_MPS[1]:
                    raise ConfigError(f"walking speed {v} m/s outside {SPEED_RANGE_MPS} m/s")
                entering = i == 0 and isinstance(first, Enter)
                self._walk(pts, v, ramp_in=not entering, ramp_out=not leaving)
            elif isinstance(a, Stand):
                self._stand_up_if_seated(None)
                self._still(a.duration_s, a.minor_motions, "standing")
            elif isinstance(a, Sit):
                if not self._seated:
                    self._posture(1.0, self._transition_s(a.transition_s), "sit_down")
                self._still(a.duration_s, a.minor_motions, "seated")
            elif isinstance(a, StandUp):
                self._stand_up_if_seated(a.transition_s)
            elif isinstance(a, Leave):
                self._stand_up_if_seated(None)
                door = self._leave_door(a)
                here = self._vertices[-1]
                if math.dist(here, door) > 1e-3:
                    self._walk([door], self.speed_mps, ramp_in=True, ramp_out=False)
                self.t_leave_s = self._t
            elif isinstance(a, Enter | Start):
                raise ConfigError("Enter/Start only as the first action")
            else:
                raise ConfigError(f"unknown person action {a!r}")
        self.end_s = self._t
        self.events.sort(key=lambda e: (e.start_s, e.end_s))
        self._finish()

    def _leave_door(self, a: Leave) -> XY:
        door = a.door_xy if a.door_xy is not None else self._door
        if door is None:
            raise ConfigError("Leave() needs door_xy when the script starts with Start()")
        return _xy(door)

    def _stand_up_if_seated(self, transition_s: float | None) -> None:
        if self._seated:
            self._posture(0.0, self._transition_s(transition_s), "stand_up")

    def _posture(self, q1: float, duration_s: float, name: str) -> None:
        q0 = 1.0 - q1
        self._postures.append((self._t, duration_s, q0, q1))
        self.events.append(Event(name, self._t, self._t + duration_s))
        self._t += duration_s
        self._seated = q1 > 0.5

    def _walk(self, pts: list[XY], v: float, *, ramp_in: bool, ramp_out: bool) -> None:
        length = 0.0
        for p in pts:
            d = math.dist(self._vertices[-1], p)
            if d > 1e-6:
                self._vertices.append(p)
                length += d
        if length < 1e-6:
            return
        t_in = WALK_RAMP_S if ramp_in else 0.0
        t_out = WALK_RAMP_S if ramp_out else 0.0
        if length < v * 0.5 * (t_in + t_out):
            v = 2.0 * length / (t_in + t_out)
        duration = length / v + 0.5 * (t_in + t_out)
        # whole number of steps, so every stop is in double support
        n_half = max(1, round(2.0 * length / stride_length_m(v, self.leg_length_m)))
        self._moves.append((self._t, duration, self._s, length, v, t_in, t_out))
        self._phase_knots.append((self._s, self._phase))
        self._s += length
        self._phase += 0.5 * n_half
        self._phase_knots.append((self._s, self._phase))
        self.events.append(Event("walk", self._t, self._t + duration))
        self._t += duration

    def _resolve_motions(self, minor: MinorMotions, duration_s: float) -> list[HandMotion]:
        if isinstance(minor, int):
            kinds = list(HAND_MOTIONS)
            motions = []
            for j in range(minor):
                if self._rng is not None:
                    kind = kinds[int(self._rng.integers(len(kinds)))]
                    hand = "right" if self._rng.random() < 0.8 else "left"
                else:
                    kind, hand = kinds[j % len(kinds)], "right"
                _, dist, move, hold = HAND_MOTIONS[kind]
                motions.append(
                    HandMotion(None, kind, hand, self._draw(dist), self._draw(move),
                               self._draw(hold))
                )  # fmt: skip
            # spread them over the still period with random (or equal) gaps, 0.5 s margins
            busy = sum(2 * m.move_s + m.hold_s for m in motions)  # type: ignore[operator]
            free = duration_s - 1.0 - busy
            if free < 0:
                raise ConfigError(f"{minor} minor motions do not fit in {duration_s} s")
            if minor == 0:
                return []
            if self._rng is not None:
                gaps = self._rng.dirichlet(np.ones(minor + 1)) * free
            else:
                gaps = np.full(minor + 1, free / (minor + 1))
            at, out = 0.5, []
            for m, g in zip(motions, gaps[:-1], strict=True):
                at += float(g)
                out.append(HandMotion(at, m.kind, m.hand, m.distance_m, m.move_s, m.hold_s))
                at += 2 * m.move_s + m.hold_s  # type: ignore[operator]
            return out
        out = []
        for m in minor:
            if m.kind not in HAND_MOTIONS:
                raise ConfigError(f"unknown hand motion {m.kind!r}; use {list(HAND_MOTIONS)}")
            _, dist, move, hold = HAND_MOTIONS[m.kind]
            at = m.at_s if m.at_s is not None else self._draw((0.5, 0.5 * duration_s))
            out.append(
                HandMotion(at, m.kind, m.hand,
                           m.distance_m if m.distance_m is not None else self._draw(dist),
                           m.move_s if m.move_s is not None else self._draw(move),
                           m.hold_s if m.hold_s is not None else self._draw(hold))
            )  # fmt: skip
        return out

    def _still(self, duration_s: float, minor: MinorMotions, name: str) -> None:
        if duration_s < 0:
            raise ConfigError(f"negative duration {duration_s} s")
        for m in self._resolve_motions(minor, duration_s):
            assert m.at_s is not None and m.distance_m is not None
            assert m.move_s is not None and m.hold_s is not None
            if m.hand not in ("left", "right"):
                raise ConfigError(f"hand must be 'left' or 'right', not {m.hand!r}")
            if not 0.05 <= m.distance_m <= 0.5 or not 0.2 <= m.move_s <= 3.0:
                raise ConfigError(f"hand motion {m} outside 5-50 cm / 0.2-3 s")
            if m.at_s < 0 or m.at_s + 2 * m.move_s + m.hold_s > duration_s + 1e-9:
                raise ConfigError(f"hand motion {m} does not fit in {duration_s} s")
            direction = np.array(HAND_MOTIONS[m.kind][0], dtype=float)
            side = 1 if m.hand == "right" else 0
            if side == 0:
                direction[1] = -direction[1]
            disp = direction / np.linalg.norm(direction) * m.distance_m
            t0 = self._t + m.at_s
            self._hands.append((t0, m.move_s, m.hold_s, side, disp))
            self.events.append(Event(f"hand:{m.kind}", t0, t0 + 2 * m.move_s + m.hold_s))
        self.events.append(Event(name, self._t, self._t + duration_s))
        self._t += duration_s

    def _finish(self) -> None:
        """Turn the lists built by the script into arrays for vectorised evaluation."""
        self.u_turns = 0  # U-turns in the path (their side is fixed: see _turn)
        verts = np.array(self._vertices, dtype=float)
        seg = np.diff(verts, axis=0)
        seg_len = np.hypot(seg[:, 0], seg[:, 1])
        first = self.script[0]
        init = math.radians(first.heading_deg) if isinstance(first, Start) else None
        if len(verts) == 1:  # never walks: a virtual segment along the heading for the feet
            h = init if init is not None else 0.0
            verts = np.vstack([verts, verts[0] + [math.cos(h), math.sin(h)]])
            self._cum = np.array([0.0, 1.0])
            self._theta_s, self._theta_v = np.array([0.0]), np.array([h])
        else:
            self._cum = np.concatenate([[0.0], np.cumsum(seg_len)])
            ang = np.arctan2(seg[:, 1], seg[:, 0])
            for k in range(1, len(ang)):
                turn = _turn(ang[k] - ang[k - 1])
                self.u_turns += turn == -math.pi
                ang[k] = ang[k - 1] + turn
            ks, kv = [], []
            if init is not None:
                ang = ang - round((ang[0] - init) / (2 * math.pi)) * 2 * math.pi
                b = min(TURN_BLEND_M, 0.5 * seg_len[0])
                ks += [0.0, b]
                turn = _turn(init - ang[0])
                self.u_turns += turn == -math.pi
                kv += [ang[0] + turn, ang[0]]
            else:
                ks.append(0.0)
                kv.append(ang[0])
            for k in range(1, len(ang)):
                b = min(TURN_BLEND_M, 0.5 * seg_len[k - 1], 0.5 * seg_len[k])
                ks += [self._cum[k] - b, self._cum[k] + b]
                kv += [ang[k - 1], ang[k]]
            ks.append(self._cum[-1])
            kv.append(ang[-1])
            self._theta_s, self._theta_v = np.array(ks), np.array(kv)
        self._verts = verts
        knots = []
        for s, p in self._phase_knots:
            if not knots or s > knots[-1][0] + 1e-12:
                knots.append((s, p))
        if len(knots) < 2:  # never walks: a nominal stride to place the feet
            stride = stride_length_m(self.speed_mps, self.leg_length_m)
            knots = [(0.0, PHASE_AT_REST), (stride, PHASE_AT_REST + 1.0)]
        self._pk_s = np.array([k[0] for k in knots])
        self._pk_phase = np.array([k[1] for k in knots])
        m = np.array(self._moves, dtype=float).reshape(-1, 7)
        self._m_t0, self._m_T, self._m_s0, self._m_L, self._m_v, self._m_tin, self._m_tout = m.T
        p = np.array(self._postures, dtype=float).reshape(-1, 4)
        self._p_t0, self._p_T, self._p_q0, self._p_q1 = p.T
        self._bob_m = 0.02 * self.speed_mps / 1.2
        self._sway_m = 0.02

    # ------------------------------------------------------------ trajectories
    def path_length_m(self, t_s: ArrayLike) -> NDArray[np.float64]:
        """Distance walked s(t) (m) along the path (extrapolated before entering/after leaving)."""
        t = np.asarray(t_s, dtype=float)
        if len(self._m_t0) == 0:
            return np.zeros_like(t)
        idx = np.searchsorted(self._m_t0, t, side="right") - 1
        i = np.clip(idx, 0, len(self._m_t0) - 1)
        dur, v, tin, tout = self._m_T[i], self._m_v[i], self._m_tin[i], self._m_tout[i]
        tau = np.clip(t - self._m_t0[i], 0.0, dur)
        s = self._m_s0[i] + v * (
            _ramp(np.minimum(tau, tin), tin)
            + np.clip(tau - tin, 0.0, np.maximum(dur - tin - tout, 0.0))
            + 0.5 * tout
            - _ramp(np.clip(dur - tau, 0.0, tout), tout)
        )
        if self._m_tin[0] == 0.0:  # walking in through the door: keep moving before
            before = idx < 0
            s = np.where(before, self._m_s0[0] + self._m_v[0] * (t - self._m_t0[0]), s)
        if self._m_tout[-1] == 0.0:  # walking out: keep moving after
            t_end = self._m_t0[-1] + self._m_T[-1]
            after = t > t_end
            s_end = self._m_s0[-1] + self._m_L[-1]
            s = np.where(after, s_end + self._m_v[-1] * (t - t_end), s)
        return s

    def posture(self, t_s: ArrayLike) -> NDArray[np.float64]:
        """Sitting fraction q(t): 0 standing, 1 seated, minimum-jerk transitions."""
        t = np.asarray(t_s, dtype=float)
        if len(self._p_t0) == 0:
            return np.full(t.shape, self._q_init)
        idx = np.searchsorted(self._p_t0, t, side="right") - 1
        i = np.clip(idx, 0, len(self._p_t0) - 1)
        q = self._p_q0[i] + (self._p_q1[i] - self._p_q0[i]) * minimum_jerk(
            (t - self._p_t0[i]) / self._p_T[i]
        )
        return np.where(idx < 0, self._q_init, q)

    def _xy_at(self, s: NDArray) -> NDArray:
        return np.stack(
            [
                _interp_lin(s, self._cum, self._verts[:, 0]),
                _interp_lin(s, self._cum, self._verts[:, 1]),
            ],
            axis=-1,
        )

    def _heading(self, s: NDArray) -> NDArray:
        return np.interp(s, self._theta_s, self._theta_v)

    def _foot(self, phase: NDArray, offset: float, side: float) -> NDArray:
        """Foot position (n, 3): planted during stance, one stride forward during swing."""
        u = phase + offset
        k = np.floor(u)
        fr = u - k
        swing = fr >= STANCE_FRACTION
        tau = np.where(swing, (fr - STANCE_FRACTION) / (1.0 - STANCE_FRACTION), 0.0)
        progress = np.where(swing, _swing_profile(tau), 0.0)
        foot_phase = k + 0.5 * STANCE_FRACTION + progress - offset
        s_f = _interp_lin(foot_phase, self._pk_phase, self._pk_s)
        xy = self._xy_at(s_f)
        th = self._heading(s_f)
        xy = xy + side * HALF_STEP_WIDTH_M * np.stack([-np.sin(th), np.cos(th)], axis=-1)
        z = ANKLE_Z_M + FOOT_LIFT_M * np.sin(np.pi * tau) ** 2
        return np.concatenate([xy, z[:, None]], axis=-1)

    def _hand_offsets(self, t: NDArray) -> NDArray:
        """Minor-motion displacement (2, n, 3) of the left/right hand in the body frame (m)."""
        out = np.zeros((2, t.size, 3))
        if t.size == 0:
            return out
        t_lo, t_hi = t.min(), t.max()
        for t0, move, hold, side, disp in self._hands:
            if t0 > t_hi or t0 + 2 * move + hold < t_lo:
                continue
            g = minimum_jerk((t - t0) / move) - minimum_jerk((t - t0 - move - hold) / move)
            out[side] += g[:, None] * disp[None, :]
        return out

    def presence(self, t_s: ArrayLike) -> NDArray[np.float64]:
        """Cross-section scale in [0, 1]: 0 outside, smooth fade while passing the door."""
        t = np.asarray(t_s, dtype=float)
        a = _smooth_fade((t - self.t_enter_s) / DOOR_FADE_S) if self.t_enter_s > -math.inf else 1
        b = _smooth_fade((self.t_leave_s - t) / DOOR_FADE_S) if self.t_leave_s < math.inf else 1
        return np.asarray(a * b * self.active(t), dtype=float)

    def active(self, t_s: ArrayLike) -> NDArray[np.bool_]:
        """True while the person is inside the room (between Enter and Leave)."""
        t = np.asarray(t_s, dtype=float)
        return (t >= self.t_enter_s) & (t < self.t_leave_s)

    def scatterers(self, t_s: ArrayLike) -> Scatterers:
        """Body points at times t_s (s, 1-D): positions (10, n, 3) m, sigma (10, n) m^2."""
        t = np.atleast_1d(np.asarray(t_s, dtype=float))
        n = t.size
        h = self.height_m
        s = self.path_length_m(t)
        q = self.posture(t)[:, None]
        base = np.concatenate([self._xy_at(s), np.zeros((n, 1))], axis=-1)
        th = self._heading(s)
        fwd = np.stack([np.cos(th), np.sin(th), np.zeros(n)], axis=-1)
        left = np.stack([-np.sin(th), np.cos(th), np.zeros(n)], axis=-1)
        up = np.array([0.0, 0.0, 1.0])
        phase = _interp_lin(s, self._pk_s, self._pk_phase)
        g = 2 * np.pi * (phase - PHASE_AT_REST)
        swing = np.sin(g)[:, None]  # 0 at every stop
        bob = (self._bob_m * 0.5 * (np.cos(2 * g) - 1.0))[:, None]
        breath = self.breath_m * np.sin(2 * np.pi * self.breath_hz * t + self._breath_phase)
        breath = breath[:, None]
        drop = 0.72 * h - (SEAT_HEIGHT_M + 0.19 * h)  # chest/hip drop when sitting
        lean = np.sin(np.pi * q)  # trunk flexion, only during a transition
        trunk = base + fwd * (-SIT_BACK_M * q) + left * (self._sway_m * swing)
        trunk = trunk + up * (bob - q * drop)
        torso = trunk + up * (0.72 * h) + fwd * (0.08 * lean + breath)
        head = trunk + up * (0.93 * h) + fwd * (0.20 * lean + 0.3 * breath)
        hands_d = self._hand_offsets(t)
        arm_len = 0.44 * h
        pts = {"torso": torso, "head": head}
        for j, (name, sgn) in enumerate((("left", 1.0), ("right", -1.0))):
            shoulder = trunk + up * (0.82 * h) + left * (sgn * 0.19 * h / REFERENCE_HEIGHT_M)
            alpha = -sgn * self._arm_swing * swing  # arms in counter-phase to each other
            hang = fwd * (arm_len * np.sin(alpha)) - up * (arm_len * np.cos(alpha))
            lap = fwd * 0.30 - up * 0.30 - left * (sgn * 0.05)
            d = hands_d[0] if name == "left" else hands_d[1]
            disp = fwd * d[:, :1] + left * d[:, 1:2] + up * d[:, 2:3]
            rest = shoulder + (1.0 - q) * hang + q * lap
            pts[f"{name}_hand"] = rest + disp
            pts[f"{name}_arm"] = 0.5 * (shoulder + rest + disp)
            hip = trunk + up * (0.53 * h) + left * (sgn * HALF_STEP_WIDTH_M)
            foot = self._foot(phase, self._foot_offsets[j], sgn)
            pts[f"{name}_foot"] = foot
            pts[f"{name}_leg"] = 0.5 * (hip + foot) + q * (fwd * 0.12 + up * 0.15)
        positions = np.stack([pts[nm] for nm in POINT_NAMES])
        sigma = self._sigma[:, None] * self.presence(t)[None, :]
        return Scatterers(positions, sigma, POINT_NAMES)
