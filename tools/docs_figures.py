"""Regenerate docs/figures/: one Doppler spectrogram per scene family (seed 1, 20 s, echo-like
device) through the same front end as `uspd plot`, with labels and baseline detections.

    .venv/bin/python tools/docs_figures.py [--families walk-in,empty-fan] [--device echo]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from uspd.audio import ArraySource
from uspd.plot import plot_doppler
from uspd.runner import motion_spans, run_detectors
from uspd.sim.library import SCENES, make_scene
from uspd.sim.render import render

OUT = Path(__file__).resolve().parents[1] / "docs" / "figures"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", default=",".join(n for n in SCENES if n != "demo"))
    ap.add_argument("--device", default="echo")
    ap.add_argument("--duration", type=float, default=20.0)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for fam in args.families.split(","):
        rec = render(make_scene(fam, seed=1, duration_s=args.duration, device=args.device))
        run = run_detectors(ArraySource(rec.audio, rec.fs_hz), ["baseline"], keep_features=True)
        f = run.features
        hop = float(np.median(np.diff(f.t_end_s)))
        suffix = "" if args.device == "echo" else f"-{args.device}"
        png = plot_doppler(
            f.t_end_s, run.velocity_axis_mps, f.doppler_db, OUT / f"{fam}{suffix}.png",
            labels=rec.labels, detections=motion_spans(run.decisions["baseline"], hop),
            title=f"{fam} ({args.device}, {rec.labels.carrier_hz / 1000:.1f} kHz tone, "
                  f"{rec.fs_hz / 1000:g} kHz sampling); black band: baseline detections",
            db_range=(-110.0, -40.0),
        )
        print(f"wrote {png}")


if __name__ == "__main__":
    main()
