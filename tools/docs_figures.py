"""Regenerate docs/figures/: one Doppler spectrogram per scene family (seed 1, 20 s, echo-like
device) through the same front end as `uspd plot`, with labels and the shipped neural
detector's decisions.

    .venv/bin/python tools/docs_figures.py [--families walk-in,empty-fan] [--device echo]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from uspd.audio import ArraySource
from uspd.model.train_job import register_builtin
from uspd.plot import plot_run
from uspd.runner import run_detectors
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
    register_builtin()
    for fam in args.families.split(","):
        rec = render(make_scene(fam, seed=1, duration_s=args.duration, device=args.device))
        run = run_detectors(ArraySource(rec.audio, rec.fs_hz), ["neural"], keep_features=True)
        suffix = "" if args.device == "echo" else f"-{args.device}"
        png = plot_run(
            run, OUT / f"{fam}{suffix}.png", labels=rec.labels, detector="neural",
            title=f"{fam} ({args.device}, {rec.labels.carrier_hz / 1000:.1f} kHz tone, "
                  f"{rec.fs_hz / 1000:g} kHz sampling); black band: neural detections",
            db_range=(-110.0, -40.0),
        )
        print(f"wrote {png}")


if __name__ == "__main__":
    main()
