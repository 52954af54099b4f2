"""Doppler spectrogram figures (PNG) with ground-truth bands and detections drawn over them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from uspd.labels import Labels

if TYPE_CHECKING:
    from uspd.runner import RunResult

LABEL_COLOURS = {"empty": "#dddddd", "still": "#8fbcd4", "minor": "#f2b134", "major": "#d9534f"}
DISTRACTOR_COLOURS = {
    "fan": "#6a3d9a",
    "curtain": "#33a02c",
    "music": "#1f78b4",
    "air": "#b2df8a",
    "ultrasonic": "#e31a1c",
}


def plot_doppler(
    t_s: np.ndarray,
    velocity_mps: np.ndarray,
    doppler_db: np.ndarray,
    out_png: str | Path,
    labels: Labels | None = None,
    detections: Sequence[tuple[float, float]] = (),
    title: str = "",
    db_range: tuple[float, float] | None = None,
) -> Path:
    """Write a Doppler spectrogram PNG.

    t_s: (n_hops,) hop end times (s); velocity_mps: (n_bins,) radial velocity axis, positive =
    approaching; doppler_db: (n_hops, n_bins) power re received carrier (dB). Labels become a
    coloured band under the spectrogram, distractors a band per kind, detections
    [(start_s, end_s), ...] a black band.
    """
    # Bands under the spectrogram: detections, truth, distractors (the last two if labelled).
    n_bands = 1 + (1 if labels is not None else 0) + (1 if labels and labels.distractors else 0)
    fig, axes = plt.subplots(
        1 + n_bands,
        1,
        figsize=(12, 5.5),
        sharex=True,
        gridspec_kw={"height_ratios": [8] + [0.6] * n_bands},
    )
    ax = axes[0]
    lo, hi = db_range or _robust_db_range(doppler_db)
    hop = float(np.median(np.diff(t_s))) if len(t_s) > 1 else 0.025
    extent = (float(t_s[0]) - hop, float(t_s[-1]), velocity_mps[0], velocity_mps[-1])
    im = ax.imshow(
        doppler_db.T, origin="lower", aspect="auto", extent=extent, vmin=lo, vmax=hi,
        cmap="magma", interpolation="nearest",
    )
    ax.set_ylabel("radial velocity (m/s)\n+ approaching")
    ax.set_title(title)
    fig.colorbar(im, ax=axes, label="dB re carrier", fraction=0.03, pad=0.01)

    row = 1
    det_ax = axes[row]
    for start, end in detections:
        det_ax.axvspan(start, end, color="black")
    det_ax.set_yticks([])
    det_ax.set_ylabel("detected", rotation=0, ha="right", va="center", fontsize=8)
    row += 1
    handles = []
    if labels is not None:
        lab_ax = axes[row]
        for seg in labels.segments:
            lab_ax.axvspan(seg.start, seg.end, color=LABEL_COLOURS.get(seg.label, "white"))
        lab_ax.set_yticks([])
        lab_ax.set_ylabel("truth", rotation=0, ha="right", va="center", fontsize=8)
        handles += [Patch(color=c, label=k) for k, c in LABEL_COLOURS.items()]
        row += 1
        if labels.distractors:
            dis_ax = axes[row]
            kinds = sorted({d.kind for d in labels.distractors})
            for i, kind in enumerate(kinds):
                for d in labels.distractors:
                    if d.kind == kind:
                        dis_ax.axvspan(d.start, d.end, ymin=i / len(kinds),
                                       ymax=(i + 1) / len(kinds),
                                       color=DISTRACTOR_COLOURS.get(kind, "grey"))
            dis_ax.set_yticks([])
            dis_ax.set_ylabel("distractors", rotation=0, ha="right", va="center", fontsize=8)
            handles += [Patch(color=DISTRACTOR_COLOURS.get(k, "grey"), label=k) for k in kinds]
    axes[-1].set_xlabel("time (s)")
    if handles:
        fig.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=8,
                   bbox_to_anchor=(0.5, 0.02),
                   frameon=False)
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return out_png


def plot_run(
    run: RunResult,
    out_png: str | Path,
    labels: Labels | None = None,
    detector: str | None = None,
    title: str = "",
    db_range: tuple[float, float] | None = None,
) -> Path:
    """Spectrogram of a `run_detectors(..., keep_features=True)` result, with `detector`'s
    motion spans (if named) and the labels drawn under it."""
    from uspd.runner import motion_spans

    feats = run.features
    if feats is None:
        raise ValueError("plot_run needs a run made with keep_features=True")
    hop = float(np.median(np.diff(feats.t_end_s))) if feats.n_hops > 1 else 0.025
    spans = motion_spans(run.decisions[detector], hop) if detector else []
    return plot_doppler(feats.t_end_s, run.velocity_axis_mps, feats.doppler_db, out_png,
                        labels=labels, detections=spans, title=title, db_range=db_range)


def _robust_db_range(doppler_db: np.ndarray) -> tuple[float, float]:
    """Colour range: from the median floor to a few dB above the 99.9th percentile."""
    finite = doppler_db[np.isfinite(doppler_db)]
    if finite.size == 0:
        return (-120.0, -60.0)
    lo = float(np.percentile(finite, 50)) - 3.0
    hi = float(np.percentile(finite, 99.9)) + 3.0
    return lo, max(hi, lo + 10.0)
