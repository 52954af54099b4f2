"""The 99 %-recall tail of a neural model on a recipe's validation set (never the test set).

FA/h of the detector's score (p_human held over k hops, zero during the warm-up) at 90-99 %
major recall for each hold k, the model's own decision logic on this set, and the weakest
major events, which decide the 99 % figure, and where the decision's false alarms are (room,
times, distractor; how many start in a recording's first --startup-s s, while the front end
is cold: at stops 37 and 39 every validation false alarm of the comb's networks was one
room's start-up). Recordings are rendered once into the recipe's
cache directory. A recipe with a different validation set (e.g. the previous shipped recipe,
`git show 5b6a26b:configs/shipped.toml`, 153 major events) shows how much that figure moves:

    .venv/bin/python benchmarks/validation_tail.py [--model M.npz] [--config configs/shipped.toml]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from rich.progress import Progress

from uspd.detect import Decisions
from uspd.dsp.frontend import FrontEndConfig
from uspd.evaluate import evaluate_corpus, evaluate_recording
from uspd.model.recipe import load_recipe
from uspd.model.runtime import NeuralDetector, load_model
from uspd.model.simdata import build_recordings
from uspd.model.train_job import BUILTIN_NPZ, validation_specs
from uspd.model.tune import (
    class_probabilities,
    deployed_scores,
    held_score_report,
    weakest_major_events,
)

HOLDS = (1, 2, 4, 6, 8, 12)
RECALLS = (0.9, 0.95, 0.98, 0.99)


def print_false_alarms(items: list, specs: list, startup_s: float) -> None:
    """Each false alarm of the deployed decision (items: (Decisions, Labels) per spec), and how
    many start within startup_s (s) of their recording's start."""
    early = 0
    for (dec, labels), spec in zip(items, specs, strict=True):
        for fa in evaluate_recording(dec, labels).false_alarms:
            early += fa.t_start < startup_s
            print(f"  false alarm: {spec.scene:16s} seed {spec.seed} {spec.device:6s} "
                  f"{fa.t_start:6.2f}-{fa.t_end:6.2f} s ({fa.distractor}, counts {fa.count})")
    print(f"  {early} of them start in a recording's first {startup_s:g} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=BUILTIN_NPZ)
    ap.add_argument("--config", type=Path, default=Path("configs/shipped.toml"))
    ap.add_argument("--weakest", type=int, default=12, help="weakest major events to list")
    ap.add_argument("--startup-s", type=float, default=6.0,
                    help="count the false alarms that start within this long of a recording's "
                    "start (s)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    bundle = load_model(args.model)
    data = load_recipe(args.config).data
    specs = validation_specs(data)
    with Progress() as bar:
        task = bar.add_task(f"validation recordings ({len(specs)})", total=len(specs))
        recs = build_recordings(specs, data.cache_dir, FrontEndConfig(**bundle.feature_config()),
                                workers=data.workers,
                                progress=lambda i, n: bar.update(task, completed=i))
    # the score the deployed decision reads (p_human, or the manifest's evidence window or
    # slow path), so that the deployed rule below runs on what the detector gives it
    path = NeuralDetector(bundle).path
    probs = class_probabilities(bundle, recs)
    scores = deployed_scores(bundle, recs, probs=probs, path=path)
    releases = [path.release_scores(p, bundle.warm_up_hops) for p in probs]
    print(f"model {args.model} on the validation set of {args.config}: {len(recs)} recordings "
          f"({platform.machine()}, {os.cpu_count()} cores)")
    for k in HOLDS:
        rep = held_score_report(recs, scores, k)
        cells = []
        for q in RECALLS:
            op = rep.operating_point(q)
            cells.append(f"{q:.0%}: {op.fa_per_hour:6.1f} (thr {op.threshold:.3f})" if op
                         else f"{q:.0%}: -")
        print(f"hold {k:2d}: {rep.major.n_events} major events, {rep.empty_h:.2f} h empty; "
              "FA/h at " + "  ".join(cells))
    dec = bundle.manifest.get("decision", {})
    if dec:
        logic = NeuralDetector(bundle).logic  # the deployed rule, as the manifest sets it
        items = []
        for r, s, rel in zip(recs, scores, releases, strict=True):
            logic.reset()
            items.append((Decisions(r.t_end_s, s, logic.process(s, rel)), r.labels))
        rep = evaluate_corpus(items, with_det=False)
        print(f"its decision logic ({dec['threshold']} over {dec['on_hops']} hops): major "
              f"{rep.major.recall:.1%} ({rep.major.n_detected}/{rep.major.n_events}), minor "
              f"within 2 m {rep.minor_near.recall:.1%}, {rep.false_alarms} false alarms in "
              f"{rep.empty_h:.2f} h")
        print_false_alarms(items, specs, args.startup_s)
    hold = int(dec.get("on_hops", 2))
    rows = [(peak, specs[i], ev)
            for peak, i, ev in weakest_major_events(recs, scores, hold)]
    print(f"weakest major events (max p_human held over {hold} hops, to 0.5 s after):")
    for peak, spec, ev in rows[:args.weakest]:
        dist = f"{ev.distance_m:.1f} m" if ev.distance_m is not None else "-"
        print(f"  {peak:.3f}  {spec.scene:16s} seed {spec.seed} {spec.device:6s} "
              f"{ev.start:5.1f}-{ev.end:5.1f} s ({ev.end - ev.start:.1f} s) at {dist}")
    scenes = {(spec.scene, spec.seed) for _, spec, _ in rows[:args.weakest]}
    print(f"they come from {len(scenes)} scenes; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
