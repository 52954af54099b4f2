"""The 99 %-recall tail of a model on the held-out corpus: which walkers set the threshold and
which recordings raise the false alarms at it; then where the deployed decision's false alarms
fall.

The issue's headline figures are FA/h at the threshold that finds 99 % of the major events.
That threshold is set by the weakest 1 % of the walkers, and the alarms it lets through may
come from a few recordings. This script names both, with each recording's distractors (a
fan's blades, speed and oscillation, music level...), so a failure can be looked at with
`uspd simulate SCENE --seed N`. Analysis only: nothing here is tuned on the test set.

Features come from heldout_eval.py's cache (run it at the same --scale first); the network
runs as one torch batch per recording, as in compare_models.py.

    .venv/bin/python benchmarks/heldout_tail.py [--scale 6.5] [--model M.npz] [--weakest 15]
        [--recordings 12] [--target-recall 0.99] [--startup-s 6] [--clutter-null-rank 2]

--startup-s: alarms that start this soon after their recording does are counted apart. Every
simulated recording starts its front end cold (the music canceller's 3 s fit, the clutter
null's and the periodic canceller's memories fill), while a deployed device has run for hours
before anyone walks in, so start-up alarms weigh far more here than in a home.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import Counter

import numpy as np

from compare_models import deployed_decisions, heldout_items, scores_of, use_torch
from heldout_eval import add_seed0_arg, check_seed0, jobs


def describe(family: str, seed: int, duration_s: float, device: str) -> str:
    """The recording's moving things and music, in a few words (distances from the device)."""
    from uspd.sim.library import make_scene

    scene = make_scene(family, seed=seed, duration_s=duration_s, device=device)
    dev = np.asarray(scene.device.position_m)
    parts = []
    for src in scene.sources:
        kind = getattr(src, "kind", type(src).__name__.lower())
        if kind == "fan":
            osc = (f"oscillating {src.oscillate_deg:.0f} deg / {src.oscillate_period_s:.1f} s"
                   if src.oscillate_deg else "fixed")
            dist = float(np.linalg.norm(np.asarray(src.hub_m) - dev))
            parts.append(f"fan {src.n_blades} blades {src.rpm:.0f} rpm pitch "
                         f"{src.pitch_deg:.0f} deg, {osc}, {dist:.1f} m")
        else:
            parts.append(kind)
    if scene.music is not None:
        parts.append(f"music {scene.music.level_db_spl:.0f} dB SPL")
    return "; ".join(parts) or "nothing moving"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=6.5, help="held-out corpus scale")
    ap.add_argument("--model", help="model .npz (default: the shipped one)")
    ap.add_argument("--cache", default="runs/heldout_cache")
    ap.add_argument("--target-recall", type=float, default=0.99)
    ap.add_argument("--weakest", type=int, default=15, help="weakest major events to list")
    ap.add_argument("--recordings", type=int, default=12,
                    help="recordings with the most false alarms at the threshold to list")
    ap.add_argument("--startup-s", type=float, default=6.0,
                    help="alarms starting this soon after their recording's start are start-up")
    ap.add_argument("--clutter-null-rank", type=int, default=0,
                    help="read the features of a model without the clutter null from the caches "
                    "of heldout_eval.py --clutter-null-rank K, as compare_models.py does")
    add_seed0_arg(ap)
    args = ap.parse_args()
    check_seed0(args.seed0)
    use_torch("heldout_tail.py")
    from uspd.detect import Decisions
    from uspd.errors import UspdError
    from uspd.evaluate import evaluate_recording
    from uspd.model.runtime import NeuralDetector, held_min, load_model
    from uspd.model.train_job import BUILTIN_NPZ
    from uspd.model.tune import held_score_report, in_empty_family, weakest_major_events

    t0 = time.perf_counter()
    try:
        bundle = load_model(args.model or BUILTIN_NPZ)
    except UspdError as exc:
        sys.exit(f"error: {exc}")
    data = heldout_items(args.scale, NeuralDetector(bundle).fe_cfg, args.cache, args.seed0,
                         args.clutter_null_rank)
    todo = jobs(args.scale, args.seed0)
    items = [it for it, _ in data]
    scores, releases = scores_of([bundle], [x for _, x in data])
    logic = NeuralDetector(bundle).logic  # the manifest's deployed decision
    hold = logic.on_hops
    op = held_score_report(items, scores, hold).operating_point(args.target_recall)
    if op is None:
        sys.exit(f"error: {args.target_recall:.0%} major recall is out of reach")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; model "
          f"{args.model or 'shipped'}, held-out scale {args.scale:g} ({len(items)} recordings); "
          f"score = p_human held over {hold} hops")
    print(f"{args.target_recall:.0%} major recall at threshold {op.threshold:.5f}: "
          f"{op.false_alarms} false alarms, {op.fa_per_hour:.2f} FA/h")

    weak = weakest_major_events(items, scores, hold)
    print(f"\nweakest {args.weakest} of {len(weak)} major events (peak held score to 0.5 s "
          "after; below the threshold = missed there):")
    for peak, i, ev in weak[:args.weakest]:
        fam, seed, _, device = todo[i]
        dist = f"{ev.distance_m:.1f} m" if ev.distance_m is not None else "-"
        mark = "missed" if peak < op.threshold else "found "
        print(f"  {peak:.4f} {mark} {fam:17s} seed {seed} {device:6s} "
              f"{ev.start:5.1f}-{ev.end:5.1f} s at {dist}: {describe(*todo[i])}")

    per_rec = []
    # per device: [false alarms, empty h, of which in the empty families: alarms, h]
    by_device: dict[str, list[float]] = {}
    startup = Counter()  # start-up false alarms: all empty time, empty families
    for i, (it, sc) in enumerate(zip(items, scores, strict=True)):
        held = held_min(sc, hold)
        res = evaluate_recording(Decisions(it.t_end_s, held, held >= op.threshold), it.labels)
        n = sum(fa.count for fa in res.false_alarms)
        if n:
            per_rec.append((n, i, res.false_alarms))
        early = sum(fa.count for fa in res.false_alarms if fa.t_start < args.startup_s)
        startup["all"] += early
        startup["empty families"] += early if in_empty_family(it.labels) else 0
        row = by_device.setdefault(todo[i][3], [0, 0.0, 0, 0.0])
        row[0] += n
        row[1] += res.empty_s / 3600
        if in_empty_family(it.labels):
            row[2] += n
            row[3] += res.empty_s / 3600
    print("\nby device at that threshold (false alarms / empty hours, all empty time; empty "
          "families):")
    for device, (n, h, ne, he) in sorted(by_device.items()):
        events = [peak for peak, i, _ in weak if todo[i][3] == device]
        missed = sum(peak < op.threshold for peak in events)
        print(f"  {device:6s} {n / h:6.2f} FA/h ({n} in {h:.1f} h); {ne / he if he else 0:6.2f} "
              f"({ne} in {he:.1f} h); {missed} of {len(events)} major events missed")
    by_family = Counter()
    for n, i, _ in per_rec:
        by_family[todo[i][0]] += n
    print(f"\nfalse alarms at that threshold by family: {dict(by_family.most_common())}")
    print(f"starting in a recording's first {args.startup_s:g} s (start-up): {startup['all']} of "
          f"{sum(by_family.values())}; in the empty families {startup['empty families']} of "
          f"{sum(row[2] for row in by_device.values())}")
    per_rec.sort(key=lambda r: -r[0])
    total = sum(n for n, _, _ in per_rec)
    top = per_rec[:args.recordings]
    print(f"{len(per_rec)} recordings raise them; the {len(top)} with the most "
          f"({sum(n for n, _, _ in top)} of {total}):")
    for n, i, fas in top:
        fam, seed, _, device = todo[i]
        starts = [fa.t_start for fa in fas]
        gaps = np.diff(starts)
        period = (f", every {np.median(gaps):.1f} s" if gaps.size >= 2
                  and np.std(gaps) < 0.1 * np.median(gaps) else "")
        print(f"  {n:3d} {fam:17s} seed {seed} {device:6s} first at {starts[0]:.1f} s{period}: "
              f"{describe(*todo[i])}")

    deployed = []
    for i, (it, sc, rel) in enumerate(zip(items, scores, releases, strict=True)):
        res = evaluate_recording(deployed_decisions(logic, it, sc, rel), it.labels)
        deployed += [(i, fa) for fa in res.false_alarms]
    print(f"\nfalse alarms at the deployed decision (threshold {logic.threshold:g}): "
          f"{sum(fa.count for _, fa in deployed)}")
    for i, fa in deployed:
        fam, seed, _, device = todo[i]
        print(f"  {fam:17s} seed {seed} {device:6s} at {fa.t_start:5.1f} s: "
              f"{describe(*todo[i])}")
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
