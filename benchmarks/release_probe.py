"""Probe: a two-path model's deployed decision with motion released on the fast path alone.

Stop 41 found every deployed false alarm of the slow evidence path (`slow` on the eleventh
corpus, `slow_par` on the twelfth) starting exactly 1.5 s after a walker left, where the
protocol starts counting: the slow path averages the leaving walker's fading hops and keeps
the output on where per-hop p_human already dips under the off level. Here the same network
and decision run twice over each cached corpus: as the manifest says (the off rule reads the
two-path score), and with the off rule reading the fast path (p_human per hop) while the
two-path score still switches motion on (`DecisionLogic.process(score, release=...)`).

Analysis only, on corpora that have judged candidates already: it says whether such a
release is worth a candidate and a rule, not whether to install one. Since stop 42 a
manifest can ask for the release itself (decision key `release = "fast"`), and
compare_models.py runs it so; this probe runs both releases of any two-path model.

    .venv/bin/python benchmarks/release_probe.py MODEL.npz [--seed0 999902344,999951172]
        [--scale 6.5] [--clutter-null-rank 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

from compare_models import class_probabilities_of, heldout_items, use_torch
from heldout_eval import check_seed0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="model .npz whose manifest has a slow path")
    ap.add_argument("--seed0", default="999902344,999951172",
                    help="corpora by first seed, comma-separated (their caches filled)")
    ap.add_argument("--scale", type=float, default=6.5)
    ap.add_argument("--cache", default="runs/heldout_cache")
    ap.add_argument("--clutter-null-rank", type=int, default=0,
                    help="read the caches of heldout_eval.py --clutter-null-rank K")
    args = ap.parse_args()
    try:
        seeds = [check_seed0(int(x)) for x in args.seed0.split(",") if x.strip()]
    except ValueError:
        sys.exit(f"error: --seed0 takes first seeds separated by commas, not {args.seed0!r}")
    use_torch("release_probe.py")
    from uspd.detect import Decisions
    from uspd.errors import UspdError
    from uspd.evaluate import evaluate_corpus
    from uspd.model.runtime import NeuralDetector, ScorePath, decision_scores, load_model

    try:
        bundle = load_model(args.model)
    except UspdError as exc:
        sys.exit(f"error: {exc}")
    det = NeuralDetector(bundle)
    if not det.path.slow_hops:
        sys.exit(f"error: {args.model} has no slow path in its decision (slow_hops)")
    warm = bundle.warm_up_hops
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {args.model}: "
          f"{det.path}, {det.logic.threshold:g} over {det.logic.on_hops} hops")
    t0 = time.perf_counter()
    for seed0 in seeds:
        data = heldout_items(args.scale, det.fe_cfg, args.cache, seed0, args.clutter_null_rank)
        rows = {"release on the two-path score": [], "release on the fast path": []}
        probs_all = class_probabilities_of([bundle], [x for _, x in data])
        for (item, _), probs in zip(data, probs_all, strict=True):
            two_path = decision_scores(probs, warm, path=det.path)
            fast = decision_scores(probs, warm, path=ScorePath(1))
            for name, release in zip(rows, (None, fast), strict=True):
                det.logic.reset()
                motion = det.logic.process(two_path, release=release)
                rows[name].append((Decisions(item.t_end_s, two_path, motion), item.labels))
        print(f"\ncorpus {seed0}+ (scale {args.scale:g}, {len(data)} recordings):")
        for name, items in rows.items():
            rep = evaluate_corpus(items, with_det=False)
            print(f"  {name:30s} major {rep.major.n_detected}/{rep.major.n_events}, minor "
                  f"<= 2 m {rep.minor_near.recall:.1%}, {rep.false_alarms} false alarms in "
                  f"{rep.empty_h:.1f} h, latency {rep.major.latency_median_s:.2f} s")
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
