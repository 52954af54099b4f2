"""Training data for the neural classifier (numpy only): per-hop targets, windows, augmentation.

A recording becomes a `Recording`: raw dB Doppler features (n_hops, n_bins), hop end times,
per-hop class targets (CLASSES order: nothing / non_human / minor / major) and the Labels used
to evaluate decisions (built from the targets when a recording has none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from uspd.errors import InputError
from uspd.labels import DistractorSpan, Labels, Segment
from uspd.model.runtime import CLASSES

NOTHING, NON_HUMAN, MINOR, MAJOR = range(4)
NON_HUMAN_KIND = "non_human"


def per_hop_targets(
    labels: Labels, t_end_s: NDArray, distractors: Sequence[DistractorSpan] | None = None
) -> NDArray[np.int64]:
    """Class index per hop from the label in force at each hop end time t_end_s (s).

    major / minor from the segments; non_human where a distractor span (default: the labels'
    own) is active in empty or still time; nothing otherwise. Human motion wins over
    distractors.
    """
    t = np.asarray(t_end_s, dtype=float).reshape(-1)
    spans = labels.distractors if distractors is None else distractors
    out = np.full(t.shape, NOTHING, dtype=np.int64)
    if labels.segments:
        starts = np.array([s.start for s in labels.segments])
        names = np.array([s.label for s in labels.segments])
        lab = names[np.clip(np.searchsorted(starts, t, "right") - 1, 0, len(starts) - 1)]
    else:
        lab = np.full(t.shape, "empty")
    for sp in spans:
        out[(t >= sp.start) & (t < sp.end)] = NON_HUMAN
    out[lab == "minor"] = MINOR
    out[lab == "major"] = MAJOR
    return out


def labels_from_targets(t_end_s: NDArray, targets: NDArray, hop_s: float) -> Labels:
    """Labels equivalent to per-hop targets (for evaluating recordings given only targets).

    Segment edges lie half a hop between hop end times, so the label in force at each
    t_end_s[i] is its target; minor/major become segments, the rest empty; non_human hops
    become distractor spans of kind "non_human".
    """
    t = np.asarray(t_end_s, float)
    y = np.asarray(targets)
    name = {NOTHING: "empty", NON_HUMAN: "empty", MINOR: "minor", MAJOR: "major"}
    segs: list[Segment] = []
    spans: list[DistractorSpan] = []
    edges = np.concatenate([[0.0], t + hop_s / 2.0])
    for a, b in _runs([name[int(c)] for c in y]):
        segs.append(Segment(float(edges[a]), float(edges[b]), name[int(y[a])]))
    for a, b in _runs((y == NON_HUMAN).tolist()):
        if y[a] == NON_HUMAN:
            spans.append(DistractorSpan(float(edges[a]), float(edges[b]), NON_HUMAN_KIND))
    dur = float(edges[-1]) if t.size else 0.0
    if not segs:
        segs = [Segment(0.0, max(dur, hop_s), "empty")]
    return Labels(fs_hz=0, carrier_hz=0.0, duration_s=dur, n_mics=0, segments=tuple(segs),
                  distractors=tuple(spans), scene="from-targets")


def _runs(values: list) -> list[tuple[int, int]]:
    out, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            out.append((start, i))
            start = i
    return out


@dataclass
class Recording:
    """One recording's features and truth. features (n_hops, n_bins) raw dB."""

    features: NDArray[np.float32]
    targets: NDArray[np.int64]
    t_end_s: NDArray[np.float64]
    labels: Labels


def as_recording(item: object, hop_s: float = 0.025) -> Recording:
    """Accept a Recording, (features, targets), (features, targets, t_end_s) or
    (features, targets, t_end_s, labels)."""
    if isinstance(item, Recording):
        return item
    if not isinstance(item, (tuple, list)) or not 2 <= len(item) <= 4:
        raise InputError("training item must be (features, targets[, t_end_s[, labels]])")
    x = np.asarray(item[0], np.float32)
    y = np.asarray(item[1], np.int64)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise InputError(f"features {x.shape} and targets {y.shape} do not match")
    if y.size and (y.min() < 0 or y.max() >= len(CLASSES)):
        raise InputError(f"targets must be class indices 0..{len(CLASSES) - 1}")
    t = (np.asarray(item[2], float) if len(item) >= 3 and item[2] is not None
         else np.arange(1, x.shape[0] + 1) * hop_s)
    labels = item[3] if len(item) == 4 and item[3] is not None else labels_from_targets(
        t, y, hop_s)
    return Recording(x, y, t, labels)


def window_index(
    recs: Sequence[Recording], window_hops: int, stride_hops: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """All full windows: (recording index, end hop index (inclusive), class of the end hop)."""
    ri, ends = [], []
    for k, r in enumerate(recs):
        e = np.arange(window_hops - 1, r.features.shape[0], stride_hops)
        ri.append(np.full(e.shape, k))
        ends.append(e)
    if not ri:
        z = np.zeros(0, np.int64)
        return z, z, z
    rec = np.concatenate(ri).astype(np.int64)
    end = np.concatenate(ends).astype(np.int64)
    cls = np.array([recs[a].targets[b] for a, b in zip(rec, end, strict=True)], np.int64)
    return rec, end, cls


def balanced_weights(classes: NDArray, n_classes: int = len(CLASSES)) -> NDArray[np.float64]:
    """Sampling probability per window so every present class is drawn equally often."""
    counts = np.bincount(classes, minlength=n_classes).astype(float)
    w = np.where(counts[classes] > 0, 1.0 / np.maximum(counts[classes], 1), 0.0)
    return w / w.sum() if w.sum() > 0 else w


def norm_stats(recs: Sequence[Recording], min_std_db: float = 1.0) -> tuple[NDArray, NDArray]:
    """Per-bin offset (mean dB) and scale (1 / std) over all training hops."""
    x = np.concatenate([r.features for r in recs]).astype(np.float64)
    return x.mean(axis=0), 1.0 / np.maximum(x.std(axis=0), min_std_db)


@dataclass(frozen=True)
class AugmentConfig:
    """Augmentations that stay meaningful on features already referenced to the carrier."""

    p_floor: float = 0.5  # raise the noise floor ...
    floor_db: tuple[float, float] = (-100.0, -70.0)  # ... to a level drawn from this range
    p_jitter: float = 0.5  # shift all velocity bins by +-1 bin
    p_flip: float = 0.5  # mirror the velocity axis (approaching <-> receding)
    p_mask: float = 0.3  # replace a short span of hops by the window's per-bin median
    max_mask_hops: int = 4


def augment(
    x: NDArray, rng: np.random.Generator, cfg: AugmentConfig, protect_last: int = 0,
    groups: int = 1,
) -> NDArray[np.float32]:
    """Augment a batch of windows x (batch, n_hops, groups * n_bins) dB; returns a new array.

    groups > 1: the inputs are the features followed by other per-bin channels (their
    history): floor, mirror and bin shift act on every group alike, time masks (dropouts of
    the features) on the first only, and never on the last `protect_last` hops (the ones the
    loss is on).
    """
    x = np.array(x, dtype=np.float64)
    b, n, width = x.shape
    if groups < 1 or width % groups:
        raise InputError(f"augment: {width} inputs do not split into {groups} groups")
    for i in range(b):
        w = x[i].reshape(n, groups, width // groups)
        if rng.random() < cfg.p_floor:
            floor = rng.uniform(*cfg.floor_db)
            w = 10.0 * np.log10(10.0 ** (w / 10.0) + 10.0 ** (floor / 10.0))
        if rng.random() < cfg.p_flip:
            w = w[:, :, ::-1]
        if rng.random() < cfg.p_jitter:
            s = int(rng.choice([-1, 1]))
            w = np.roll(w, s, axis=2)
            if s > 0:
                w[:, :, 0] = w[:, :, 1]
            else:
                w[:, :, -1] = w[:, :, -2]
        limit = n - protect_last
        if rng.random() < cfg.p_mask and limit > cfg.max_mask_hops:
            m = int(rng.integers(1, cfg.max_mask_hops + 1))
            a = int(rng.integers(0, limit - m + 1))
            w = w.copy()
            w[a:a + m, 0] = np.median(w[:, 0], axis=0)
        x[i] = w.reshape(n, width)
    return x.astype(np.float32)


def gather(recs: Sequence[Recording], rec: NDArray, end: NDArray, window_hops: int
           ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Windows (batch, window_hops, n_bins) and their targets (batch, window_hops)."""
    xs = [recs[a].features[b - window_hops + 1:b + 1] for a, b in zip(rec, end, strict=True)]
    ys = [recs[a].targets[b - window_hops + 1:b + 1] for a, b in zip(rec, end, strict=True)]
    return np.stack(xs), np.stack(ys)
