"""Ground-truth labels: compared with independent speed computations and the script timeline."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from uspd.labels import LABELS
from uspd.sim.distractors import Curtain, Fan
from uspd.sim.people import Enter, HandMotion, Leave, Person, Sit, StandUp, Start, WalkTo
from uspd.sim.truth import MAJOR_SPEED_MPS, MINOR_SPEED_MPS, labels_for

DEVICE = np.array([3.0, 3.0, 1.0])
RES = 0.01
HAND = HandMotion(at_s=3.0, kind="phone", hand="right", distance_m=0.3, move_s=1.0, hold_s=1.5)


def _scene() -> Person:
    return Person(
        [Enter((0.2, 1.0), t_s=1.0), WalkTo((4.0, 1.0)), Sit(10.0, minor_motions=[HAND]),
         StandUp(), WalkTo((0.2, 1.0)), Leave()]
    )  # fmt: skip


def _frames(segments: list, n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    for s in segments:
        out[round(s.start / RES) : round(s.end / RES)] = s.label
    return out


def _check_tiling(segments: list, duration: float) -> None:
    assert segments[0].start == 0.0 and segments[-1].end == duration
    for a, b in itertools.pairwise(segments):
        assert a.end == b.start and a.label != b.label
    assert all(s.label in LABELS and s.end > s.start for s in segments)


def test_labels_follow_body_and_hand_speeds() -> None:
    p = _scene()
    duration = 25.0
    segments, spans = labels_for([p], DEVICE, duration, RES)
    _check_tiling(segments, duration)
    assert spans == []
    n = round(duration / RES)
    lab = _frames(segments, n)

    # independent speeds: np.gradient on a 0.5 ms grid, read at the frame centres
    dt = 5e-4
    t = np.arange(0.0, duration, dt)
    sc = p.scatterers(t)
    v = np.linalg.norm(np.gradient(sc.positions_m, dt, axis=1), axis=-1)
    centre_idx = np.round((np.arange(n) + 0.5) * RES / dt).astype(int)
    names = sc.names
    body = v[names.index("torso"), centre_idx]
    limbs = v[[i for i, nm in enumerate(names) if nm.endswith(("hand", "arm"))]][:, centre_idx]
    present = p.active(t[centre_idx])
    major = present & (body > MAJOR_SPEED_MPS)
    minor = present & ~major & (limbs.max(axis=0) > MINOR_SPEED_MPS)
    expected = np.where(
        major, "major", np.where(minor, "minor", np.where(present, "still", "empty"))
    )
    assert np.mean(lab == expected) > 0.998  # only frames at a threshold crossing may differ
    # major boundaries within one frame of the independent threshold crossings
    got = np.flatnonzero(np.diff((lab == "major").astype(int)))
    want = np.flatnonzero(np.diff(major.astype(int)))
    assert got.size == want.size and np.abs(got - want).max() <= 1

    ev = {e.name: e for e in p.events}
    walks = [e for e in p.events if e.name == "walk"]
    frame_t = (np.arange(n) + 0.5) * RES

    def labels_in(a: float, b: float) -> set:
        return set(lab[(frame_t > a) & (frame_t < b)])

    assert labels_in(0.0, 1.0) == {"empty"}  # before entering
    assert labels_in(p.t_leave_s, duration) == {"empty"}  # after leaving
    # walking in at speed: major from the door; the stop ramp drops below 0.2 m/s at
    # t_end - (0.6 / pi) acos(1 - 2 * 0.2 / v) (raised-cosine deceleration)
    first = next(s for s in segments if s.label == "major")
    assert first.start == pytest.approx(1.0, abs=RES)
    v0 = p.speed_mps
    t_slow = walks[0].end_s - 0.6 / np.pi * np.arccos(1 - 2 * MAJOR_SPEED_MPS / v0)
    assert first.end == pytest.approx(t_slow, abs=0.05)
    # sitting down / standing up are major in their middle
    for name in ("sit_down", "stand_up"):
        mid = 0.5 * (ev[name].start_s + ev[name].end_s)
        assert labels_in(mid - 0.1, mid + 0.1) == {"major"}
    # the hand motion is minor while moving, still while held
    h0 = ev["hand:phone"].start_s
    assert labels_in(h0 + 0.2, h0 + 0.8) == {"minor"}
    assert labels_in(h0 + 1.1, h0 + 2.4) == {"still"}
    assert labels_in(h0 + 2.7, h0 + 3.3) == {"minor"}
    # seated breathing is still
    seated = ev["seated"]
    assert labels_in(seated.start_s + 0.5, h0 - 0.1) == {"still"}
    assert labels_in(ev["hand:phone"].end_s + 0.1, seated.end_s) == {"still"}

    # distance of a major segment: smallest torso-device distance within it
    mask = (frame_t > first.start) & (frame_t < first.end)
    d = np.linalg.norm(sc.positions_m[names.index("torso"), centre_idx[mask]] - DEVICE, axis=-1)
    assert first.distance_m == pytest.approx(d.min(), abs=0.01)
    hand_seg = next(s for s in segments if s.label == "minor" and s.start > h0)
    mask = (frame_t > hand_seg.start) & (frame_t < hand_seg.end)
    parts = [names.index("right_hand"), names.index("right_arm")]
    d = np.linalg.norm(sc.positions_m[parts][:, centre_idx[mask]] - DEVICE, axis=-1)
    assert hand_seg.distance_m == pytest.approx(d.min(), abs=0.02)
    assert all((s.distance_m is not None) == (s.label in ("major", "minor")) for s in segments)


def test_distractor_spans_and_strongest_person_wins() -> None:
    sitter = Person([Start((1.0, 1.0), seated=True), Sit(20.0)])
    walker = Person([Enter((0.2, 2.0), t_s=5.0), WalkTo((3.0, 2.0)), Leave((3.0, 2.0))])
    fan = Fan(on_times_s=((2.0, 6.0), (12.0, 15.0)), spin_s=1.0)
    curtain = Curtain(draft_times_s=((0.0, 4.5),))
    segments, spans = labels_for([sitter, fan, walker, curtain], DEVICE, 10.0, RES)
    _check_tiling(segments, 10.0)
    assert [s.label for s in segments] == ["still", "major", "still"]
    assert segments[1].start == 5.0 and segments[1].end == pytest.approx(walker.t_leave_s, abs=RES)
    assert spans[0].kind == "curtain" and (spans[0].start, spans[0].end) == (0.0, 4.5)
    fans = [(s.start, s.end) for s in spans if s.kind == "fan"]
    assert fans == [(2.0, 7.0)]  # the second run starts after the recording; spin-down 1 s


def test_empty_room_and_uneven_duration() -> None:
    segments, spans = labels_for([Fan()], DEVICE, 2.345, RES)
    assert [(s.start, s.end, s.label) for s in segments] == [(0.0, 2.345, "empty")]
    assert [(s.start, s.end, s.kind) for s in spans] == [(0.0, 2.345, "fan")]


def test_labels_deterministic_from_rng() -> None:
    def scene(seed: int) -> list:
        p = Person(
            [Enter((0.2, 1.0), t_s=1.0), WalkTo((3.0, 2.0)), Sit(12.0, minor_motions=2),
             StandUp(), WalkTo((0.2, 1.0)), Leave()],
            rng=np.random.default_rng(seed),
        )  # fmt: skip
        return labels_for([p], DEVICE, 25.0, RES)[0]

    assert scene(3) == scene(3)
    assert scene(3) != scene(4)
    assert sum(s.label == "minor" for s in scene(3)) >= 2
