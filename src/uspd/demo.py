"""The README's main job: a scripted day-in-the-life scene, detected and scored against truth.

Story (60 s nominal): an empty room with a fan → a person walks in → sits and reads with minor
motions → music starts → the person leaves → the empty room with music. The demo renders it,
runs the default detector (and the classic baseline beside it), prints a timeline of detections
against the truth and a summary (recall, false alarms, latency), and writes a Doppler
spectrogram PNG with the detections drawn over it. No torch needed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from uspd.audio import ArraySource
from uspd.detect import DETECTORS, Decisions
from uspd.evaluate import RecordingResult, evaluate_recording
from uspd.labels import Labels
from uspd.plot import plot_run
from uspd.runner import RunResult, run_detectors

DEMO_SEED = 2026
DEMO_DURATION_S = 60.0


@dataclass
class DemoResult:
    labels: Labels
    run: RunResult
    scores: dict[str, RecordingResult]
    png: Path
    timeline: str
    summary: str


def _majority(labels: Labels, t0: float, t1: float) -> str:
    """The label of [t0, t1): the most 'active' one covering at least 20 % of it."""
    order = ("major", "minor", "still", "empty")
    cover = dict.fromkeys(order, 0.0)
    for s in labels.segments:
        cover[s.label] += max(0.0, min(s.end, t1) - max(s.start, t0))
    for lab in order:
        if cover[lab] >= 0.2 * (t1 - t0):
            return lab
    return max(cover, key=cover.get)


def timeline(labels: Labels, decisions: dict[str, Decisions], step_s: float = 2.0) -> str:
    """Text table: per step, the truth, active distractors, and each detector's motion."""
    names = list(decisions)
    head = f"{'time (s)':>11}  {'truth':6}  {'distractors':14}" + "".join(
        f"  {n:>9}" for n in names)
    lines = [head, "-" * len(head)]
    t = 0.0
    while t < labels.duration_s - 1e-9:
        t1 = min(t + step_s, labels.duration_s)
        dis = sorted({d.kind for d in labels.distractors if d.start < t1 and d.end > t})
        cells = []
        for n in names:
            d = decisions[n]
            sel = (d.t_s > t) & (d.t_s <= t1)
            frac = float(np.mean(d.motion[sel])) if sel.any() else 0.0
            kinds = d.kind[sel][d.motion[sel]] if sel.any() else []
            kind = max(set(kinds), key=list(kinds).count) if len(kinds) else ""
            cells.append(f"{kind.upper() if frac >= 0.5 else kind}" if frac > 0 else ".")
        lines.append(f"{t:5.0f}-{t1:<5.0f}  {_majority(labels, t, t1):6}  "
                     f"{','.join(dis) or '-':14}" + "".join(f"  {c:>9}" for c in cells))
        t = t1
    lines.append("(detector cells: '.' no motion; lower case: motion in part of the step; "
                 "UPPER CASE: most of it)")
    return "\n".join(lines)


def summary(scores: dict[str, RecordingResult]) -> str:
    """Per detector: major/minor events detected, latency, false alarms in empty time."""
    lines = []
    for name, r in scores.items():
        maj = [e for e in r.events if e.label == "major"]
        mino = [e for e in r.events if e.label == "minor"]
        lat = [e.latency_s for e in maj if e.detected]
        lat_txt = f"median latency {np.median(lat):.2f} s" if lat else "no latency (none found)"
        lines.append(
            f"{name:>9}: major {sum(e.detected for e in maj)}/{len(maj)} ({lat_txt}), "
            f"minor {sum(e.detected for e in mino)}/{len(mino)}, "
            f"false alarms {len(r.false_alarms)} in {r.empty_s:.0f} s of empty room"
        )
    return "\n".join(lines)


def run_demo(
    out_dir: Path,
    duration_s: float = DEMO_DURATION_S,
    seed: int = DEMO_SEED,
    device: str = "echo",
    detectors: tuple[str, ...] | None = None,
    on_block: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """Render the demo scene, detect, score and plot. Writes demo.png (and the recording,
    demo.wav/.json) into out_dir, replacing the demo's own earlier outputs only."""
    import soundfile as sf

    from uspd.sim.library import make_scene
    from uspd.sim.render import render_blocks, scene_labels

    scene = make_scene("demo", seed=seed, duration_s=duration_s, device=device)
    n_blocks = int(np.ceil(duration_s))
    blocks = []
    for i, b in enumerate(render_blocks(scene, block_s=1.0), 1):
        blocks.append(b)
        if on_block:
            on_block(i, n_blocks)
    audio = np.concatenate(blocks)
    labels = scene_labels(scene)
    out_dir.mkdir(parents=True, exist_ok=True)
    sf.write(out_dir / "demo.wav", audio, scene.fs_hz, subtype="PCM_16")
    labels.save(out_dir / "demo.json")
    if detectors is None:
        detectors = ("neural", "baseline") if "neural" in DETECTORS else ("baseline",)
    run = run_detectors(ArraySource(audio, scene.fs_hz), detectors, keep_features=True)
    scores = {n: evaluate_recording(d, labels) for n, d in run.decisions.items()}
    main = detectors[0]
    png = plot_run(
        run, out_dir / "demo.png", labels=labels, detector=main,
        title=f"uspd demo: {scene.emission.carrier_hz / 1000:g} kHz tone, {main} detector",
    )
    return DemoResult(labels, run, scores, png, timeline(labels, run.decisions),
                      summary(scores))
