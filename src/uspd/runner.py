"""Offline runs: one recording through the front end once and several detectors side by side.

Uses the same streaming objects as `uspd detect` (FrontEnd.process, Detector.process), so
offline figures are the figures of the live path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from uspd.audio import AudioSource
from uspd.detect import Decisions, checked_stream, front_end_for, make_detector
from uspd.dsp.frontend import FeatureBlock, FrontEnd, FrontEndConfig


@dataclass
class RunResult:
    """Per-detector decisions over one recording, and optionally its features."""

    carrier_hz: float
    fs_hz: int
    decisions: dict[str, Decisions]
    features: FeatureBlock | None
    velocity_axis_mps: np.ndarray


def concat_decisions(parts: Sequence[Decisions]) -> Decisions:
    """Join per-block decisions into one record of the whole recording."""
    if not parts:
        return Decisions(np.zeros(0), np.zeros(0), np.zeros(0, bool), np.zeros(0, "<U5"))
    return Decisions(
        t_s=np.concatenate([p.t_s for p in parts]),
        score=np.concatenate([p.score for p in parts]),
        motion=np.concatenate([p.motion for p in parts]),
        kind=np.concatenate([np.asarray(p.kind, dtype="<U5") for p in parts]),
    )


def run_detectors(
    source: AudioSource,
    detector_names: Sequence[str],
    carrier: str | float = "auto",
    cfg: FrontEndConfig | None = None,
    keep_features: bool = False,
    block_s: float = 0.5,
) -> RunResult:
    """Feed `source` through one FrontEnd (`cfg`, else the one the detectors need) and every
    named detector; collect decisions."""
    cfg = cfg or front_end_for(detector_names)
    stream = checked_stream(source, carrier, cfg, block_s=block_s)
    fe = FrontEnd(cfg, stream.fs_hz, stream.n_channels, stream.carrier_hz)
    detectors = {name: make_detector(name, cfg) for name in detector_names}
    parts: dict[str, list[Decisions]] = {name: [] for name in detectors}
    feats: list[FeatureBlock] = []
    for block in stream.blocks:
        fb = fe.process(block)
        if fb.n_hops == 0:
            continue
        if keep_features:
            feats.append(fb)
        for name, det in detectors.items():
            parts[name].append(det.process(fb))
    features = (
        FeatureBlock.concat(feats, stream.n_channels, cfg.n_velocity_bins)
        if keep_features
        else None
    )
    return RunResult(
        carrier_hz=stream.carrier_hz,
        fs_hz=stream.fs_hz,
        decisions={name: concat_decisions(p) for name, p in parts.items()},
        features=features,
        velocity_axis_mps=fe.velocity_axis_mps,
    )


def detect_features(
    features: FeatureBlock, detector_names: Sequence[str], cfg: FrontEndConfig | None = None
) -> dict[str, Decisions]:
    """Fresh detectors over features the front end made earlier (e.g. a cache). Detectors give
    the same output for any split of the feature stream, so this equals `run_detectors`."""
    cfg = cfg or front_end_for(detector_names)
    return {name: make_detector(name, cfg).process(features) for name in detector_names}


def motion_spans(dec: Decisions, hop_s: float) -> list[tuple[float, float]]:
    """Maximal runs of motion decisions as (start_s, end_s), start one hop before the first."""
    spans: list[tuple[float, float]] = []
    on = None
    for t, m in zip(dec.t_s, dec.motion, strict=True):
        if m and on is None:
            on = float(t) - hop_s
        elif not m and on is not None:
            spans.append((on, float(t) - hop_s))
            on = None
    if on is not None:
        spans.append((on, float(dec.t_s[-1])))
    return spans
