"""Compare trained models along the DET curve, on the recipe's validation set and the held-out
corpus, from cached features.

For each model it prints:
- the FA/h of the detector's reported score (p_human held over the model's on_hops) at the
  thresholds giving 95 / 97 / 98 / 99 % major recall, on the whole corpus and, at the same
  threshold, on the empty families alone (the issue's second target);
- the deployed decision logic of the model's manifest: major recall, minor recall within 2 m,
  false alarms, median major latency;
- with --within 3,4: the same FA/h at the threshold giving 99 % recall of the major events
  that came nearer than each distance (a detection range's operating point);
- with --pool: the same on the held-out and confirmation corpora taken as one (or on the
  corpora whose first seeds it lists: --pool 900000000,950000000,975000000 adds the third);
- with --skip-start-s 6: everything scored without each recording's first 6 s of empty time,
  where the front end is still cold (EvalConfig.skip_start_s): the steady-state figures of a
  device that has run for hours. Events are scored as always;
- with --bootstrap N (default 1000; 0: none): each model's 99 % figures over N resamples of
  the recordings within each family (median and 5-95 % interval), and the share of resamples
  where each model is below the first (`uspd.resample`; the same resamples for every model).
  One corpus's 99 % figure rests on its ten weakest walkers; the interval says how far
  another corpus of the same suite may put it.

The network runs as one batch per recording in torch (the runtime's equations; the parity
test bounds the difference), so a model is scored on the scale-6.5 corpus in seconds
instead of the 12 min the streaming runtime takes; torch is needed, as for training. Features
come from the caches that training (`runs/cache`) and heldout_eval.py (`runs/heldout_cache`)
write; a missing one is an error that says which command fills it.

    .venv/bin/python benchmarks/compare_models.py MODEL.npz [MODEL.npz ...] [--scale 6.5]
        [--recipe configs/seed1_null2.toml] [--no-validation] [--within 3,4] [--seed0 950000000]
        [--clutter-null-rank 2] [--pool [SEED0,SEED0,...]] [--skip-start-s 6]
        [--bootstrap 1000] [--bootstrap-seed 0]

A model written A.npz+B.npz is the average of the members' p_human (an ensemble; its warm-up
is the longest member's, its hold and deployed logic the first member's, which were tuned for
that member alone): it shows how much of a model's false alarms are its own rather than the
scene's.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from heldout_eval import (
    CONFIRM_SEED0,
    FINAL_SEED0,
    FOURTH_SEED0,
    add_seed0_arg,
    cache_path,
    check_seed0,
    jobs,
    read_cached,
)
from uspd.dsp.frontend import stacked_features
from uspd.model.recipe import TEST_SEED0

RECALLS = (0.95, 0.97, 0.98, 0.99)


class Item:
    """What held_score_report needs of a recording: hop end times (s) and labels."""

    def __init__(self, family: str, t_end_s: np.ndarray, labels) -> None:
        self.family, self.t_end_s, self.labels = family, t_end_s, labels


def heldout_items(scale: float, fe_cfg, cache: str, seed0: int = TEST_SEED0,
                  null_rank: int = 0) -> list[tuple[Item, np.ndarray]]:
    """Each held-out recording's labels and the features a model on `fe_cfg` reads. With
    null_rank, a model without the clutter null reads its features from the caches made with
    that null (the null adds null_db and leaves the rest bit-identical), so one render serves
    both kinds of model."""
    from dataclasses import replace

    read_cfg = fe_cfg
    if null_rank and not fe_cfg.clutter_null_rank:
        read_cfg = replace(fe_cfg, clutter_null_rank=null_rank)
    out = []
    for job in jobs(scale, seed0):
        path = cache_path(cache, job, read_cfg)
        if path is None or not path.exists():
            sys.exit(f"error: no cached features for {job[0]} seed {job[1]} in {cache}; run "
                     f"benchmarks/heldout_eval.py --scale {scale:g} --seed0 {seed0} with "
                     "that model first")
        feats, labels = read_cached(path)
        if read_cfg is not fe_cfg:
            feats = replace(feats, null_db=None)
        out.append((Item(job[0], feats.t_end_s, labels), stacked_features(feats)))
    return out


def validation_items(recipe_path: str, fe_cfg) -> list[tuple[Item, np.ndarray]]:
    from uspd.model.recipe import load_recipe
    from uspd.model.simdata import build_recordings
    from uspd.model.train_job import validation_specs

    d = load_recipe(Path(recipe_path)).data
    specs = validation_specs(d)
    recs = build_recordings(specs, d.cache_dir, fe_cfg, workers=d.workers)
    return [(Item(s.scene, r.t_end_s, r.labels), r.features) for s, r in zip(specs, recs,
                                                                               strict=True)]


def class_probabilities_of(bundles: list, feats: list[np.ndarray]) -> list[np.ndarray]:
    """Per recording, the class probabilities averaged over all networks of `bundles` (one
    bundle: its own), torch batch, each network run from the recording's start."""
    from uspd.model.net import DopplerTCN
    from uspd.model.runtime import softmax
    from uspd.model.train import predict

    nets = [DopplerTCN.from_weights(arch, w) for b in bundles for arch, w in b.networks()]
    return [np.mean([softmax(predict(net, x)) for net in nets], axis=0) for x in feats]


def scores_of(bundles: list, feats: list[np.ndarray]
              ) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Per recording, the per-hop score the decision reads as NeuralDetector makes it
    (p_human, 0 during the warm-up (ModelBundle.warm_up_hops), or its mean evidence over the
    manifest's evidence_hops, or its slow path; then its repeat veto and its cold start, if
    any), and what its off rule reads (None: that score; with release "fast" or
    "fast-rearm", p_human), torch batch; of several bundles or an ensemble, of the class
    probabilities averaged over all their networks (0 until the longest warm-up is over), as
    the ensemble runtime averages them; the score path, veto and cold start are the first
    bundle's."""
    from uspd.model.runtime import NeuralDetector, decision_scores

    warm_up = max(b.warm_up_hops for b in bundles)
    det = NeuralDetector(bundles[0])
    path = det.path
    probs = class_probabilities_of(bundles, feats)
    return ([decision_scores(p, warm_up, path=path, veto=det.veto, cold=det.cold)
             for p in probs],
            [path.release_scores(p, warm_up) for p in probs])


def deployed_decisions(logic, item: Item, score: np.ndarray,
                       release: np.ndarray | None = None):
    """The deployed decision logic (`NeuralDetector(bundle).logic`, built from the manifest)
    run afresh over one recording's per-hop score (and the score its off rule reads, if not
    that one), as the detector does while streaming."""
    from uspd.detect import Decisions

    logic.reset()
    return Decisions(item.t_end_s, score, logic.process(score, release))


def compare(bundle, items: list[Item], scores: list[np.ndarray], cfg=None,
            bootstrap: bool = False, releases: list | None = None) -> dict:
    """One model's row: DET figures at RECALLS (and at 99 % of the events within each of
    cfg.within_m), then its deployed decision (its off rule reading `releases`, scores_of's
    second list, if given), all scored by `cfg` (default the protocol); with `bootstrap`, also
    what `uspd.resample` needs to resample its 99 % figures."""
    from uspd.evaluate import EvalConfig, evaluate_corpus, report_from_results
    from uspd.model.runtime import NeuralDetector
    from uspd.model.tune import held_score_results, in_empty_family
    from uspd.resample import tally

    logic = NeuralDetector(bundle).logic  # the manifest's deployed decision
    hold = logic.on_hops
    cfg = cfg or EvalConfig()
    # each recording scored once: the whole corpus's and the empty families' figures (as
    # held_score_report and empty_family_report give them) come from the same results
    results = held_score_results(items, scores, hold, cfg)
    in_family = np.array([in_empty_family(it.labels) for it in items], bool)
    full = report_from_results(results, cfg)
    empty_rep = report_from_results([r for r, e in zip(results, in_family, strict=True) if e],
                                    cfg)
    points = [(f"{r:.0%}", r, None) for r in RECALLS]
    points += [(f"99% <{d:g}m", 0.99, d) for d in cfg.within_m]
    det = {}
    for name, r, within in points:
        op = full.operating_point(r, within)
        det[name] = {"threshold": op.threshold if op else None,
                     "fa_per_hour": op.fa_per_hour if op else None,
                     "empty_fa_per_hour": empty_rep.fa_per_hour_at(op.threshold)
                     if op and empty_rep.empty_h else None}
    releases = releases or [None] * len(items)
    deployed = [(deployed_decisions(logic, it, sc, rel), it.labels)
                for it, sc, rel in zip(items, scores, releases, strict=True)]
    rep = evaluate_corpus(deployed, cfg, with_det=False)
    return {"hold": hold, "det": det, "empty_h": empty_rep.empty_h, "all_empty_h": full.empty_h,
            "major": f"{rep.major.n_detected}/{rep.major.n_events}",
            "minor_near": rep.minor_near.recall, "false_alarms": rep.false_alarms,
            "latency_s": rep.major.latency_median_s,
            "tally": tally(results, full.det.thresholds, cfg.fa_repeat_s) if bootstrap else None,
            "in_family": in_family}


def print_bootstrap(rows: dict[str, dict], strata: list[str], n_boot: int, seed: int,
                    recall: float = 0.99) -> None:
    """The 99 % figures of each model over n_boot resamples of the recordings within each
    family (uspd.resample), and how often each model is below the first in the same
    resample."""
    from uspd.resample import fa_per_hour_at_recall, stratified_weights

    w = stratified_weights(strata, n_boot, np.random.default_rng(seed))
    figs = {m: (fa_per_hour_at_recall(c["tally"], w, recall),
                fa_per_hour_at_recall(c["tally"], w, recall, c["in_family"]))
            for m, c in rows.items()}
    print(f"bootstrap: {n_boot} resamples of the recordings within each family (seed {seed}); "
          f"FA/h at {recall:.0%} major recall, median [5 %, 95 %], all empty / empty families; "
          "then the share of resamples where the model is below the first one (ties apart)")
    first = next(iter(figs.values()))
    for m, pair in figs.items():
        cells = "  ".join(f"{np.nanmedian(x):6.2f} [{np.nanpercentile(x, 5):6.2f}, "
                          f"{np.nanpercentile(x, 95):6.2f}]" for x in pair)
        paired = ""
        if pair is not first:
            paired = "   " + " / ".join(
                f"below {np.mean(x < x0):.0%}, equal {np.mean(x == x0):.0%}"
                for x, x0 in zip(pair, first, strict=True))
        print(f"{m[-28:]:28s}{cells}{paired}")


def use_torch(script: str) -> None:
    """Import torch on every core, or exit with a one-line error saying how to get it."""
    try:
        import torch
    except ImportError:
        sys.exit(f"error: {script} needs torch (make setup installs it)")
    torch.set_num_threads(os.cpu_count() or 1)


def print_table(title: str, rows: dict[str, dict]) -> None:
    first = next(iter(rows.values()))
    print(f"\n== {title}: {first['all_empty_h']:.1f} h empty, {first['empty_h']:.1f} h of it in "
          "the empty families ==")
    print("FA/h of the held score at the threshold giving each major recall (all empty time / "
          "empty families only; '<3m': of the major events nearer than 3 m); then the "
          "deployed decision")
    head = "".join(f"{name:>16s}" for name in first["det"])
    print(f"{'model':28s}{'hold':>5s}{head}   {'major':>9s} {'minor<=2m':>9s} {'FA':>4s} "
          f"{'latency':>8s}")
    for name, c in rows.items():
        cells = "".join(
            f"{x['fa_per_hour']:7.2f} /{x['empty_fa_per_hour']:6.2f} " if x["fa_per_hour"]
            is not None else f"{'-':>16s}" for x in c["det"].values())
        print(f"{name[-28:]:28s}{c['hold']:5d}{cells}   {c['major']:>9s} "
              f"{c['minor_near']:9.1%} {c['false_alarms']:4d} {c['latency_s']:7.2f}s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", help="model .npz files (manifest .json beside each); "
                    "A.npz+B.npz: their average")
    ap.add_argument("--scale", type=float, default=6.5, help="held-out corpus scale")
    ap.add_argument("--cache", default="runs/heldout_cache")
    ap.add_argument("--recipe", default="configs/seed1_null2.toml",
                    help="recipe whose validation set to score (its cache_dir; default: the "
                    "shipped model's recipe)")
    ap.add_argument("--no-validation", action="store_true",
                    help="score the held-out corpus only (validation renders what the "
                    "recipe's cache lacks)")
    ap.add_argument("--within", default="",
                    help="also FA/h at 99 %% recall of the major events nearer than each of "
                    "these distances (m, comma-separated)")
    ap.add_argument("--clutter-null-rank", type=int, default=0,
                    help="read the held-out features of models without the clutter null from "
                    "the caches of heldout_eval.py --clutter-null-rank K (or of a model with "
                    "that null): one render serves both")
    ap.add_argument("--skip-start-s", type=float, default=0.0,
                    help="leave each recording's first S seconds of empty time unscored (the "
                    "front end's cold start): steady-state FA/h")
    ap.add_argument("--bootstrap", type=int, default=1000,
                    help="resamples of the recordings within each family for an interval of "
                    "each model's 99 %% figures and a paired comparison (0: none)")
    ap.add_argument("--bootstrap-seed", type=int, default=0)
    add_seed0_arg(ap)
    ap.add_argument("--pool", nargs="?", const=f"{TEST_SEED0},{CONFIRM_SEED0}", default="",
                    help="also score these corpora as one, by first seed (comma-separated; "
                    f"alone: {TEST_SEED0},{CONFIRM_SEED0}, the held-out and confirmation "
                    f"corpora; {FINAL_SEED0} is the third, {FOURTH_SEED0} the fourth; their "
                    "caches must be filled): the 99 %% figure rests on the weakest 1 %% of "
                    "walkers, more of them there")
    args = ap.parse_args()
    check_seed0(args.seed0)
    if args.bootstrap < 0:
        sys.exit(f"error: --bootstrap takes a number of resamples >= 0, not {args.bootstrap}")
    try:
        args.pool = list(dict.fromkeys(  # a corpus named twice is pooled once
            check_seed0(int(x), "--pool") for x in args.pool.split(",") if x.strip()))
    except ValueError:
        sys.exit(f"error: --pool takes first seeds separated by commas, not {args.pool!r}")
    from uspd.config import float_list
    from uspd.errors import UspdError
    from uspd.evaluate import EvalConfig

    try:  # checked as the evaluation checks it
        args.eval_cfg = EvalConfig(within_m=float_list(args.within, "--within"),
                                   skip_start_s=args.skip_start_s)
    except UspdError as exc:
        sys.exit(f"error: {exc}")
    use_torch("compare_models.py")
    from uspd.model.runtime import NeuralDetector, load_model

    try:
        bundles = {m: [load_model(part) for part in m.split("+")] for m in args.models}
    except UspdError as exc:
        sys.exit(f"error: {exc}")
    fe_cfgs = {}
    for m, members in bundles.items():
        cfgs = {repr(NeuralDetector(b).fe_cfg) for b in members}
        if len(cfgs) > 1:
            sys.exit(f"error: the members of {m} were trained on different front ends")
        fe_cfgs[m] = NeuralDetector(members[0]).fe_cfg
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; held-out scale "
          f"{args.scale:g} (seeds {args.seed0}+), validation of {args.recipe}")
    t0 = time.perf_counter()
    try:
        run_all(args, bundles, fe_cfgs)
    except UspdError as exc:  # e.g. a recipe path that is not there
        sys.exit(f"error: {exc}")
    print(f"\n{time.perf_counter() - t0:.0f} s")


def run_all(args: argparse.Namespace, bundles: dict, fe_cfgs: dict) -> None:
    """Score every model on validation, then on the held-out corpus, and print the tables."""
    corpora: dict[tuple[int, str], list] = {}

    def corpus(seed0: int, fe) -> list:
        """One corpus's items, read once (the pool reuses the held-out corpus's)."""
        key = (seed0, repr(fe))
        if key not in corpora:
            corpora[key] = heldout_items(args.scale, fe, args.cache, seed0,
                                         args.clutter_null_rank)
        return corpora[key]

    sets = [("validation", lambda fe: validation_items(args.recipe, fe)),
            (f"held-out, scale {args.scale:g}, seeds {args.seed0}+",
             lambda fe: corpus(args.seed0, fe))]
    if args.pool:
        sets.append((f"{len(args.pool)} corpora pooled, scale {args.scale:g}, seeds "
                     + " and ".join(f"{s}+" for s in args.pool),
                     lambda fe: [x for seed0 in args.pool for x in corpus(seed0, fe)]))
    for title, load in sets[args.no_validation:]:
        rows, cached = {}, {}
        for m, b in bundles.items():
            key = repr(fe_cfgs[m])
            if key not in cached:
                cached[key] = load(fe_cfgs[m])
            data = cached[key]
            items = [it for it, _ in data]
            scores, releases = scores_of(b, [x for _, x in data])
            rows[m] = compare(b[0], items, scores, args.eval_cfg,
                              bootstrap=args.bootstrap > 0, releases=releases)
        if args.skip_start_s:
            title += f", without each recording's first {args.skip_start_s:g} s of empty time"
        print_table(title, rows)
        if args.bootstrap:
            print_bootstrap(rows, [it.family for it, _ in data], args.bootstrap,
                            args.bootstrap_seed)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
