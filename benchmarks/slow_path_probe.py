"""Would a slow evidence path beside the fast one lift the weakest walkers above the fans?

The deployed score is p_human held over the model's on_hops (about 0.15 s): quick, and what the
99 % threshold is set on. The hops of a far sitter behind a fan are each weak but keep coming;
a fan's are strong in bursts. The mean log-odds over a long window (runtime.mean_evidence, W
hops) adds the sitter's up and averages the fan's away, but alone it is slow and loses on
the DET curve (stop 33: `evidence24`). This probe scores their maximum,

    score = max(held p_human, sigmoid(mean log-odds over W hops + shift)),

so a strong walker still fires within the fast path's latency and a weak steady one can fire
on the slow path; `shift` (nats) sets how much the slow path is trusted. It prints, per
(W, shift), the FA/h at the target major recall (all empty time / empty families), beside the
fast path alone (the deployed score) and the slow path alone.

Analysis only: (W, shift) chosen here on a held-out corpus would be chosen on the test set.
A candidate built on it tunes them on validation (`--validation`) and is judged on a corpus
none of this has read. Features come from heldout_eval.py's cache (or the recipe's training
cache with --validation); torch runs the network as one batch per recording.

    .venv/bin/python benchmarks/slow_path_probe.py [--model M.npz] [--seed0 S | --pool S,S]
        [--windows 24,48,80] [--shifts -2,0,1,2,4] [--skip-start-s 0] [--validation]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

from compare_models import heldout_items, use_torch, validation_items
from heldout_eval import add_seed0_arg, check_seed0


def slow_path(probs: np.ndarray, warm_hops: int, window: int) -> np.ndarray:
    """mean_evidence over `window` hops, the warm-up's hops counted as -EVIDENCE_CLIP and
    scored 0, as the runtime's evidence window does."""
    from uspd.model.runtime import EVIDENCE_CLIP, human_log_odds, mean_evidence

    lo = human_log_odds(probs)
    lo[:warm_hops] = -EVIDENCE_CLIP
    score = mean_evidence(lo, window)
    score[:warm_hops] = 0.0
    return score


def two_path(fast: np.ndarray, slow: np.ndarray, shift: float) -> np.ndarray:
    """max(fast, slow shifted by `shift` nats in log-odds); 0 where fast is (the warm-up)."""
    p = np.clip(slow, 1e-12, 1 - 1e-12)
    shifted = 1.0 / (1.0 + np.exp(-(np.log(p) - np.log1p(-p) + shift)))
    return np.where(fast > 0, np.maximum(fast, shifted), 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="model .npz (default: the shipped one)")
    ap.add_argument("--scale", type=float, default=6.5, help="held-out corpus scale")
    ap.add_argument("--cache", default="runs/heldout_cache")
    ap.add_argument("--clutter-null-rank", type=int, default=2,
                    help="read features from the caches of heldout_eval.py --clutter-null-rank K")
    ap.add_argument("--pool", default="", help="score these corpora as one (first seeds, "
                    "comma-separated) instead of --seed0's")
    ap.add_argument("--windows", default="24,48,80", help="slow path windows (hops)")
    ap.add_argument("--shifts", default="-2,0,1,2,4", help="slow path shifts (nats)")
    ap.add_argument("--target-recall", type=float, default=0.99)
    ap.add_argument("--skip-start-s", type=float, default=0.0,
                    help="leave each recording's first S s of empty time unscored")
    ap.add_argument("--validation", action="store_true",
                    help="score the shipped recipe's validation set instead of a corpus")
    ap.add_argument("--recipe", default="configs/seed1_null2.toml",
                    help="recipe whose validation set --validation scores")
    add_seed0_arg(ap)
    args = ap.parse_args()
    try:
        seeds = [check_seed0(int(s), "--pool") for s in args.pool.split(",") if s.strip()]
        windows = [int(w) for w in args.windows.split(",")]
        shifts = [float(d) for d in args.shifts.split(",")]
    except ValueError as exc:
        sys.exit(f"error: --pool, --windows and --shifts take comma-separated numbers ({exc})")
    if any(w < 2 for w in windows):
        sys.exit("error: --windows must be at least 2 hops")
    seeds = seeds or [check_seed0(args.seed0)]
    use_torch("slow_path_probe.py")
    from uspd.errors import UspdError
    from uspd.evaluate import EvalConfig
    from uspd.model.net import DopplerTCN
    from uspd.model.runtime import NeuralDetector, decision_scores, held_min, load_model, softmax
    from uspd.model.train import predict
    from uspd.model.train_job import BUILTIN_NPZ
    from uspd.model.tune import empty_family_report, held_score_report

    t0 = time.perf_counter()
    try:
        bundle = load_model(args.model or BUILTIN_NPZ)
        cfg = EvalConfig(skip_start_s=args.skip_start_s)
    except UspdError as exc:
        sys.exit(f"error: {exc}")
    if bundle.members:
        sys.exit("error: slow_path_probe.py takes one network, not an ensemble")
    det = NeuralDetector(bundle)
    hold, warm = det.logic.on_hops, bundle.warm_up_hops
    if args.validation:
        data = validation_items(args.recipe, det.fe_cfg)
        where = f"validation of {args.recipe}"
    else:
        data = [x for s0 in seeds for x in heldout_items(args.scale, det.fe_cfg, args.cache, s0,
                                                         args.clutter_null_rank)]
        where = "held-out seeds " + " and ".join(f"{s}+" for s in seeds)
    items = [it for it, _ in data]
    net = DopplerTCN.from_weights(bundle.arch, bundle.weights)
    probs = [softmax(predict(net, x)) for _, x in data]
    fast = [held_min(decision_scores(p, warm), hold) for p in probs]

    def figures(scores: list[np.ndarray]) -> str:
        op = held_score_report(items, scores, 1, cfg).operating_point(args.target_recall)
        if op is None:
            return "out of reach"
        fam = empty_family_report(items, scores, 1, cfg)
        fam_fa = fam.fa_per_hour_at(op.threshold) if fam.empty_h else float("nan")
        return f"{op.fa_per_hour:7.2f} / {fam_fa:5.2f}   threshold {op.threshold:.4f}"

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; model "
          f"{args.model or 'shipped'} (hold {hold}); {where}, {len(items)} recordings"
          + (f"; first {args.skip_start_s:g} s of empty time unscored" if args.skip_start_s
             else ""))
    print(f"FA/h at {args.target_recall:.0%} major recall (all empty time / empty families)")
    print(f"  fast path alone (the deployed score)   {figures(fast)}")
    for w in windows:
        slow = [slow_path(p, warm, w) for p in probs]
        print(f"  slow path alone, W {w:3d} hops           {figures(slow)}")
        for d in shifts:
            combined = [two_path(f, s, d) for f, s in zip(fast, slow, strict=True)]
            print(f"  max, W {w:3d} hops, shift {d:+5.1f} nats    {figures(combined)}")
    print(f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
