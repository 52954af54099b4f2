"""Ground-truth labels from the motion sources themselves (never from the rendered audio).

Per frame of `resolution_s` (10 ms), at the frame centre:
- major: a present person's body (the "torso" point, ~centre of mass) moves faster than
  MAJOR_SPEED_MPS (walking, sitting down, standing up);
- minor: a present person is not major but a hand or arm point moves faster than
  MINOR_SPEED_MPS (reaching, turning a page, lifting a cup);
- still: a person is present (active) and neither (breathing moves the chest ~5 mm/s);
- empty: nobody is present.
With several people the strongest label wins (major > minor > still > empty). Speeds are
central finite differences of the source positions over +-SPEED_STEP_S (1 ms), far finer than
any body motion. Frames are merged into `Segment`s that tile [0, duration_s) exactly; major and
minor segments carry distance_m, the smallest distance from the device to a moving part (torso
for major, the moving hand/arm points for minor) during the segment. Non-person sources give
`DistractorSpan`s where `active()` is True.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from uspd.errors import ConfigError
from uspd.labels import LABELS, DistractorSpan, Segment
from uspd.sim.sources import MotionSource

MAJOR_SPEED_MPS = 0.2  # body (torso) speed above which motion is "major"
MINOR_SPEED_MPS = 0.05  # hand/arm speed above which a non-major person is "minor"
SPEED_STEP_S = 1e-3  # half-step of the central difference
BODY_POINT = "torso"
LIMB_SUFFIXES = ("hand", "arm")
_BLOCK_FRAMES = 2000  # evaluate sources in blocks to bound memory on long recordings
_CODE = {name: i for i, name in enumerate(LABELS)}  # empty 0, still 1, minor 2, major 3


def point_speeds_mps(source: MotionSource, t_s: ArrayLike) -> tuple[NDArray, NDArray]:
    """Speeds (n_points, n) m/s and positions (n_points, n, 3) m of a source's points at t_s.

    Central difference over +-SPEED_STEP_S; t_s must be increasing with steps > 2 SPEED_STEP_S.
    """
    t = np.asarray(t_s, dtype=float)
    h = SPEED_STEP_S
    grid = np.stack([t - h, t, t + h], axis=-1).ravel()
    pos = source.scatterers(grid).positions_m.reshape(-1, t.size, 3, 3)
    speed = np.linalg.norm(pos[:, :, 2] - pos[:, :, 0], axis=-1) / (2 * h)
    return speed, pos[:, :, 1]


def _person_frames(
    source: MotionSource, t: NDArray, device: NDArray
) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
    """Label code and moving-part distance (m, inf where not moving) per frame for one person."""
    names = source.scatterers(t[:1]).names
    if BODY_POINT not in names:
        raise ConfigError(f"person source without a {BODY_POINT!r} point: {names}")
    body = names.index(BODY_POINT)
    limbs = [i for i, n in enumerate(names) if n.endswith(LIMB_SUFFIXES)]
    code = np.zeros(t.size, dtype=np.int8)
    dist = np.full(t.size, np.inf)
    for lo in range(0, t.size, _BLOCK_FRAMES):
        tb = t[lo : lo + _BLOCK_FRAMES]
        present = np.asarray(source.active(tb), dtype=bool)
        speed, pos = point_speeds_mps(source, tb)
        d = np.linalg.norm(pos - device, axis=-1)  # (n_points, n)
        major = present & (speed[body] > MAJOR_SPEED_MPS)
        if limbs:
            moving = speed[limbs] > MINOR_SPEED_MPS
            minor = present & ~major & moving.any(axis=0)
            d_limb = np.where(moving, d[limbs], np.inf).min(axis=0)
        else:
            minor = np.zeros_like(major)
            d_limb = np.full(tb.size, np.inf)
        c = np.where(present, _CODE["still"], _CODE["empty"])
        c = np.where(minor, _CODE["minor"], c)
        c = np.where(major, _CODE["major"], c)
        code[lo : lo + tb.size] = c
        dist[lo : lo + tb.size] = np.where(major, d[body], np.where(minor, d_limb, np.inf))
    return code, dist


def _runs(values: NDArray) -> list[tuple[int, int]]:
    """(start, stop) index ranges of equal consecutive values."""
    if values.size == 0:
        return []
    edges = np.flatnonzero(np.diff(values)) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [values.size]])
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def labels_for(
    sources: Sequence[MotionSource],
    device_position_m: ArrayLike,
    duration_s: float,
    resolution_s: float = 0.01,
) -> tuple[list[Segment], list[DistractorSpan]]:
    """Segments tiling [0, duration_s) and distractor spans for a scene (see module doc).

    device_position_m: (3,) m, the device (for distance_m). Frame edges are rounded to 1 us.
    """
    if duration_s <= 0 or resolution_s <= 0:
        raise ConfigError("duration_s and resolution_s must be positive")
    if resolution_s < 4 * SPEED_STEP_S:
        raise ConfigError(f"resolution_s must be >= {4 * SPEED_STEP_S} s")
    device = np.asarray(device_position_m, dtype=float).reshape(3)
    n = math.ceil(duration_s / resolution_s - 1e-9)
    edges = np.minimum(np.arange(n + 1) * resolution_s, duration_s)
    edges[-1] = duration_s
    centres = 0.5 * (edges[:-1] + edges[1:])

    code = np.zeros(n, dtype=np.int8)
    dist = np.full(n, np.inf)
    spans: list[DistractorSpan] = []

    def at(i: int) -> float:  # frame edge i (s); the last one is exactly duration_s
        return float(duration_s) if i == n else round(float(edges[i]), 6)

    for src in sources:
        if src.kind == "person":
            c, d = _person_frames(src, centres, device)
            stronger = c > code
            same = (c == code) & (c >= _CODE["minor"])
            dist = np.where(stronger, d, np.where(same, np.minimum(dist, d), dist))
            code = np.maximum(code, c)
        else:
            on = np.asarray(src.active(centres), dtype=bool)
            for a, b in _runs(on.astype(np.int8)):
                if on[a]:
                    spans.append(DistractorSpan(at(a), at(b), src.kind))

    segments = []
    for a, b in _runs(code):
        label = LABELS[int(code[a])]
        d_seg = None
        if label in ("minor", "major"):
            d_seg = round(float(dist[a:b].min()), 3)
        segments.append(Segment(at(a), at(b), label, d_seg))
    spans.sort(key=lambda s: (s.start, s.kind))
    return segments, spans
