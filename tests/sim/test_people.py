"""Body model of a person: gait kinematics vs biomechanics, minimum-jerk hands, presence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from uspd.errors import ConfigError
from uspd.sim.people import (
    Enter,
    HandMotion,
    Leave,
    Person,
    Sit,
    Stand,
    StandUp,
    Start,
    WalkTo,
    minimum_jerk,
)
from uspd.sim.sources import MotionSource

DT = 1e-3


def _speeds(person: Person, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    sc = person.scatterers(t)
    v = np.linalg.norm(np.gradient(sc.positions_m, DT, axis=1), axis=-1)
    return sc.positions_m, v, sc.names


def _walker(speed: float = 1.2) -> Person:
    return Person([Start((0.5, 1.0)), WalkTo((10.5, 1.0)), Stand(2.0)], speed_mps=speed)


@pytest.mark.parametrize("speed", [0.8, 1.2, 1.5])
def test_gait_torso_speed_feet_and_cycle(speed: float) -> None:
    p = _walker(speed)
    walk = next(e for e in p.events if e.name == "walk")
    t = np.arange(walk.start_s + 1.0, walk.end_s - 1.0, DT)  # cruise only
    pos, v, names = _speeds(p, t)
    torso = pos[names.index("torso")]
    mean_speed = (torso[-1, 0] - torso[0, 0]) / (t[-1] - t[0])
    assert mean_speed == pytest.approx(speed, rel=0.02)
    # the path is a straight line along +x; the torso never leaves it by more than the sway
    assert np.abs(torso[:, 1] - 1.0).max() < 0.03

    leg_length = 0.53 * 1.75
    boulic_hz = math.sqrt(speed / leg_length) / 1.346  # Boulic 1990 cycle duration
    for foot in ("left_foot", "right_foot"):
        vf = v[names.index(foot)]
        assert 2.5 <= vf.max() / speed <= 3.0
        # stance: the foot is on the ground and still for ~60 % of the cycle
        assert np.mean(vf < 1e-6) == pytest.approx(0.6, abs=0.03)
        assert pos[names.index(foot)][vf < 1e-6, 2].max() < 0.051
        lifts = np.flatnonzero((vf[1:] > 0.05) & (vf[:-1] <= 0.05))
        cycle_hz = 1.0 / np.median(np.diff(t[lifts]))
        assert cycle_hz == pytest.approx(boulic_hz, rel=0.08)
        assert 0.6 <= cycle_hz <= 1.2  # 72-144 steps per minute
    # the torso bobs a few cm, twice per cycle
    bob = np.ptp(torso[:, 2])
    assert 0.005 < bob < 0.06


def test_standing_after_a_walk_is_still() -> None:
    p = _walker()
    stand = next(e for e in p.events if e.name == "standing")
    t = np.arange(stand.start_s + 0.01, stand.end_s, DT)
    _, v, names = _speeds(p, t)
    for i, name in enumerate(names):
        assert v[i].max() < 0.02, name  # only breathing moves (chest, head)


def test_sit_down_and_stand_up_move_the_torso() -> None:
    rng = np.random.default_rng(3)
    p = Person([Start((1.0, 1.0)), Sit(5.0), StandUp(), Stand(1.0)], rng=rng)
    sit = next(e for e in p.events if e.name == "sit_down")
    up = next(e for e in p.events if e.name == "stand_up")
    for ev in (sit, up):
        assert 1.5 <= ev.end_s - ev.start_s <= 2.5
    t = np.arange(0.0, up.end_s + 1.0, DT)
    pos, v, names = _speeds(p, t)
    z = pos[names.index("torso"), :, 2]
    standing_z, seated_z = z[0], z[np.searchsorted(t, sit.end_s + 1.0)]
    assert 0.3 < standing_z - seated_z < 0.6
    assert z[-1] == pytest.approx(standing_z, abs=0.01)
    during = (t > sit.start_s) & (t < sit.end_s)
    assert v[names.index("torso"), during].max() > 0.3


def test_breathing_while_seated() -> None:
    p = Person([Start((1.0, 1.0), seated=True), Sit(60.0)], rng=np.random.default_rng(5))
    t = np.arange(0.0, 60.0, 0.01)
    x = p.scatterers(t).positions_m[0, :, 0]  # torso, facing +x
    x = x - x.mean()
    assert 0.002 <= 0.5 * np.ptp(x) <= 0.005
    spec = np.abs(np.fft.rfft(x))
    f = np.fft.rfftfreq(x.size, 0.01)
    assert 0.2 <= f[spec.argmax()] <= 0.3


def test_minimum_jerk_profile() -> None:
    tau = np.linspace(0, 1, 10001)
    x = minimum_jerk(tau)
    v = np.gradient(x, tau)
    assert x[0] == 0 and x[-1] == pytest.approx(1.0)
    assert abs(v[0]) < 1e-3 and abs(v[-1]) < 1e-3
    assert v.max() == pytest.approx(1.875, rel=1e-4)


def test_hand_motion_is_minimum_jerk() -> None:
    dist, move, hold, at = 0.3, 1.0, 0.5, 2.0
    p = Person(
        [Start((1.0, 1.0), seated=True),
         Sit(6.0, minor_motions=[HandMotion(at, "cup", "right", dist, move, hold)])]
    )  # fmt: skip
    t = np.arange(0.0, 6.0, DT)
    pos, v, names = _speeds(p, t)
    hand = pos[names.index("right_hand")]
    i0, i1 = np.searchsorted(t, [at, at + move])
    disp = np.linalg.norm(hand - hand[0], axis=-1)
    assert disp[i1] == pytest.approx(dist, rel=1e-3)
    vh = v[names.index("right_hand")]
    assert vh[i0] < 1e-3 and vh[i1] < 1e-3  # starts and ends at rest
    assert vh[i0:i1].max() == pytest.approx(1.875 * dist / move, rel=0.01)
    back = np.searchsorted(t, at + 2 * move + hold)
    assert disp[back + 5] < 1e-6  # returned to the rest position
    assert v[names.index("left_hand")].max() < 1e-6
    # the arm follows at half the displacement; the torso only breathes
    assert v[names.index("right_arm")].max() == pytest.approx(0.5 * vh.max(), rel=0.01)
    assert v[names.index("torso")].max() < 0.01


def test_outside_the_room_sigma_zero_and_inactive() -> None:
    p = Person(
        [Enter((0.2, 1.0), t_s=3.0), WalkTo((3.0, 1.0)), Stand(2.0), WalkTo((0.2, 1.0)), Leave()]
    )
    t = np.arange(0.0, p.t_leave_s + 3.0, 0.01)
    sc = p.scatterers(t)
    act = p.active(t)
    outside = (t < 3.0) | (t >= p.t_leave_s)
    assert not act[outside].any() and act[~outside].all()
    assert np.all(sc.cross_section_m2[:, outside] == 0)
    inside = (t > 3.0 + 0.5) & (t < p.t_leave_s - 0.5)
    assert np.all(sc.cross_section_m2[:, inside] > 0)
    assert sc.cross_section_m2[0, inside].max() == pytest.approx(0.2)
    # walking in through the door: already at speed when entering
    _, v, names = _speeds(p, np.arange(3.0, 3.2, DT))
    assert v[names.index("torso")].min() > 1.0


def test_scatterers_pure_and_chunk_independent() -> None:
    p = Person(
        [Enter((0.2, 1.0), t_s=0.5), WalkTo((2.0, 1.0), (2.0, 3.0)), Sit(8.0, minor_motions=1),
         WalkTo((0.2, 1.0)), Leave()],
        rng=np.random.default_rng(1),
    )  # fmt: skip
    t = np.arange(0.0, 20.0, 1 / 4000)
    whole = p.scatterers(t)
    parts = [p.scatterers(c) for c in np.array_split(t, 7)]
    np.testing.assert_array_equal(
        whole.positions_m, np.concatenate([c.positions_m for c in parts], axis=1)
    )
    np.testing.assert_array_equal(
        whole.cross_section_m2, np.concatenate([c.cross_section_m2 for c in parts], axis=1)
    )
    # continuous: no jumps beyond what 4 m/s allows between samples (carrier phase)
    step = np.linalg.norm(np.diff(whole.positions_m, axis=1), axis=-1)
    assert step.max() < 6.0 / 4000


def _scripted(seed: int) -> Person:
    return Person(
        [Enter((0.2, 1.0), t_s=1.0), WalkTo((3.0, 2.0)), Sit(20.0, minor_motions=3), StandUp(),
         WalkTo((0.2, 1.0)), Leave()],
        rng=np.random.default_rng(seed),
    )  # fmt: skip


def test_deterministic_from_rng() -> None:
    t = np.linspace(0, 30, 3001)
    a, b, c = _scripted(7), _scripted(7), _scripted(8)
    np.testing.assert_array_equal(a.scatterers(t).positions_m, b.scatterers(t).positions_m)
    assert a.events == b.events
    assert not np.allclose(a.scatterers(t).positions_m, c.scatterers(t).positions_m)
    assert a.events != c.events



def test_u_turn_side_does_not_follow_rounding() -> None:
    """Walking to a point and back: a return waypoint off the outbound line by a picometre on
    either side (as rounding puts it, differently on AVX2 and AVX-512 machines) must not pick
    the side the person turns on; the body then sweeps the same points as on the exact line."""
    def there_and_back(dy: float) -> Person:
        return Person([Start((1.0, 1.0)), WalkTo((3.0, 2.0)), WalkTo((1.0, 1.0 + dy)),
                       Stand(1.0)], speed_mps=1.0)

    t = np.arange(0.0, 6.0, 0.01)
    exact = there_and_back(0.0)
    assert exact.u_turns == 1
    for dy in (1e-12, -1e-12):
        other = there_and_back(dy).scatterers(t).positions_m
        assert np.max(np.abs(other - exact.scatterers(t).positions_m)) < 1e-6
    assert _walker().u_turns == 0


def test_person_is_a_motion_source() -> None:
    p = _walker()
    assert isinstance(p, MotionSource) and p.kind == "person"


def test_invalid_scripts() -> None:
    with pytest.raises(ConfigError):
        Person([Start((0, 0))], speed_mps=2.5)
    with pytest.raises(ConfigError):
        Person([WalkTo((1, 1))])
    with pytest.raises(ConfigError):
        Person([Start((0, 0)), Leave()])  # no door to leave through
    with pytest.raises(ConfigError):
        Person([Start((0, 0)), Sit(2.0, minor_motions=5)])  # does not fit
