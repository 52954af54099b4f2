"""Choose the neural detector's decision logic on validation data (not on the test set).

The network's class probabilities are computed once per recording; the score the decision
reads is p_human (zero during the warm-up hops, as NeuralDetector reports it), or the mean
evidence (runtime.mean_evidence) over evidence_hops hops, or the two-path score of a slow
path (runtime.ScorePath: max(p_human, the mean evidence over slow_hops hops + slow_shift
nats)). Each evidence window and slow path is a score path, tried alike; with slow_release
"fast" (or "fast-rearm") the slow paths' deployed settings end motion on p_human per hop
(ScorePath.release). Decision settings are scored with uspd.evaluate, in three stages: (0)
for each score path, the hold, on_hops: the detector reports its score held over on_hops,
and the issue's headline figure is that score's FA/h at 99 % major recall (a threshold
sweep), so the hold with the fewest validation FA/h there is kept (ties: the shorter, faster
one); paths worse there than p_human per hop (window 1) are dropped; (1) for each path the
strict rule with its hold, threshold x off rule (every hold, if none of these meets the
false-alarm budget), and the path whose best setting ranks highest (ties: the lower stage-0
figure, then the shorter window, the lesser shift); (2) the best of those with each context
period and context threshold added. Rule in (1) and (2): among settings with at most
`max_false_alarms` on the validation empty time, the highest major recall, then minor recall
within 2 m, then the fewest false alarms, then the higher threshold; or, with a recall floor
(`min_major_recall`, walker parity with another model), among settings reaching that major
recall on validation, the fewest false alarms, then the highest major recall, minor recall
within 2 m, the higher threshold. Stage 1 ranks windows by the deployed decision, not by
stage 0's figure: far out on the DET curve, where a deployed setting lives, a long window
can lose what it gains at 99 % (stop 33). det_recall=None skips stage 0 and searches every
hold in stage 1 on the first window (the tuner before stage 0 existed).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from uspd.detect import Decisions
from uspd.errors import ConfigError
from uspd.evaluate import (
    EvalConfig,
    Event,
    RecordingResult,
    Report,
    evaluate_corpus,
    evaluate_recording,
    report_from_results,
)
from uspd.labels import Labels
from uspd.model.dataset import Recording
from uspd.model.repeat import RepeatVeto, RepeatVetoConfig
from uspd.model.runtime import (
    DEFAULT_OFF_RATIO,
    DEFAULT_OFF_S,
    DecisionLogic,
    ModelBundle,
    ScorePath,
    decision_scores,
    held_min,
    softmax,
)

# p_human of a trained network crowds near 1 (walkers and the worst distractors alike), so
# the grid is finest there, down to 1e-4 from 1: on a validation set with hours of empty room
# the hold chosen in stage 0 may meet the false-alarm budget only above 0.999
THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9998,
              0.9999)
ON_HOPS = (1, 2, 4, 6, 8, 12)
# Evidence windows (hops) are tried as a recipe asks ([train] evidence_hops; the default is 1
# alone, p_human per hop). On the shipped network's validation set, of 1 / 8 / 16 / 24 / 32,
# the mean evidence over 24 hops (0.6 s) halved the FA/h at 99 % of the 6-hop minimum, and 8
# hops found the most walkers deployed (docs/candidates/README.md, stop 33)
# off rule (ratio of the on-threshold, hold in s): the runtime's default, and a quicker one
# that ends motion before the scored empty time starts 1.5 s after a person leaves
OFF_RULES = ((DEFAULT_OFF_RATIO, DEFAULT_OFF_S), (0.8, 0.2))
CONTEXT_S = (10.0, 30.0)
CONTEXT_THRESHOLDS = (0.3, 0.5, 0.7)
DET_RECALL = 0.99  # stage 0: the hold with the fewest FA/h of the held score at this recall
# ... counted on all scored empty time, or on the empty-family recordings' only
SCOPES = ("all", "empty-families")


def check_min_major_recall(floor: object, what: str) -> float | None:
    """floor as a recall in (0, 1], or None (no floor), or a ConfigError saying `what` is
    wrong."""
    if floor is None:
        return None
    if isinstance(floor, bool) or not isinstance(floor, (int, float)) or not 0 < floor <= 1:
        raise ConfigError(f"{what} must be a major recall in (0, 1], not {floor!r}")
    return float(floor)


def check_evidence_hops(windows: object, what: str) -> tuple[int, ...]:
    """windows as a tuple of whole numbers >= 1 (at least one), or a ConfigError saying
    `what` is wrong."""
    if (not isinstance(windows, (tuple, list)) or not windows
            or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in windows)):
        raise ConfigError(f"{what} must list whole numbers of hops >= 1, not {windows!r}")
    return tuple(windows)


def _measured(x: float) -> float | None:
    """x, or None (JSON null) where nothing was measured (NaN: the tuner's fallback) or no
    threshold reaches the recall (inf); neither is valid JSON."""
    return float(x) if np.isfinite(x) else None


@dataclass(frozen=True)
class TunedDecision:
    threshold: float
    on_hops: int
    context_s: float
    context_threshold: float
    off_ratio: float
    off_s: float
    major_recall: float
    minor_near_recall: float
    false_alarms: int
    empty_h: float
    det_fa_per_hour: dict[int, float] | None = None  # stage 0: on_hops -> FA/h at det_recall
    evidence_hops: int = 1  # the decision reads mean_evidence over this many hops (1: p_human)
    # stage 0: evidence_hops -> the fewest FA/h at det_recall over the holds
    det_fa_by_evidence: dict[int, float] | None = None
    min_major_recall: float | None = None  # the recall floor it was tuned with, if any
    slow_hops: int = 0  # the two-path score's slow window (ScorePath; 0: none) ...
    slow_shift: float = 0.0  # ... and its shift (nats)
    release: str = "score"  # what the off rule reads (ScorePath.release)
    # stage 0 with slow paths tried: each path's label -> the fewest FA/h at det_recall
    det_fa_by_path: dict[str, float] | None = None
    repeat_veto: RepeatVetoConfig | None = None  # the score's repeat veto, if any

    @property
    def path(self) -> ScorePath:
        return ScorePath(self.evidence_hops, self.slow_hops, self.slow_shift, self.release)

    def manifest(self) -> dict:
        out = {"threshold": self.threshold, "on_hops": self.on_hops,
               "evidence_hops": self.evidence_hops,
               **({"slow_hops": self.slow_hops, "slow_shift": self.slow_shift}
                  if self.slow_hops else {}),
               **({"release": self.release} if self.release != "score" else {}),
               **({"repeat_veto": self.repeat_veto.to_json()} if self.repeat_veto else {}),
               "context_s": self.context_s, "context_threshold": self.context_threshold,
               "off_ratio": self.off_ratio, "off_s": self.off_s,
               "validation": {"major_recall": _measured(self.major_recall),
                              "minor_near_recall": _measured(self.minor_near_recall),
                              "false_alarms": self.false_alarms,
                              "empty_h": _measured(self.empty_h)}}
        if self.min_major_recall is not None:
            out["validation"]["min_major_recall"] = self.min_major_recall
        if self.det_fa_per_hour is not None:
            out["validation"]["held_score_fa_per_hour_at_recall"] = {
                "recall": DET_RECALL,
                **{str(k): _measured(v) for k, v in self.det_fa_per_hour.items()}}
        if self.det_fa_by_evidence is not None:
            out["validation"]["held_score_fa_per_hour_by_evidence_hops"] = {
                str(k): _measured(v) for k, v in self.det_fa_by_evidence.items()}
        if self.det_fa_by_path is not None:
            out["validation"]["held_score_fa_per_hour_by_path"] = {
                k: _measured(v) for k, v in self.det_fa_by_path.items()}
        return out


def held_score_results(recs: Sequence[Recording], scores: Sequence, hold: int,
                       cfg: EvalConfig | None = None) -> list[RecordingResult]:
    """Each recording scored (by `cfg`, default the protocol) with p_human held over `hold`
    hops, the detector's reported score, as its score."""
    out = []
    for r, sc in zip(recs, scores, strict=True):
        held = held_min(sc, hold)
        out.append(evaluate_recording(Decisions(r.t_end_s, held, held >= 0.5), r.labels, cfg))
    return out


def held_score_report(recs: Sequence[Recording], scores: Sequence, hold: int,
                      cfg: EvalConfig | None = None) -> Report:
    """Corpus report (with DET curve) of held_score_results."""
    return report_from_results(held_score_results(recs, scores, hold, cfg), cfg)


def weakest_major_events(recs: Sequence[Recording], scores: Sequence, hold: int,
                         cfg: EvalConfig | None = None) -> list[tuple[float, int, Event]]:
    """(peak, recording index, event) of every major event the protocol (`cfg`) scores, weakest
    first: peak is the event's max_score, the highest p_human held over `hold` hops from its
    start to the grace after its end, the score a threshold must not exceed for the event to
    count as found. These are the events the corpus report's recall counts: segments merged
    across short gaps, without those a recording ends too soon to judge."""
    rows = [(ev.max_score, i, ev)
            for i, res in enumerate(held_score_results(recs, scores, hold, cfg))
            for ev in res.events if ev.label == "major"]
    rows.sort(key=lambda row: row[0])
    return rows


def in_empty_family(labels: Labels) -> bool:
    """Whether a recording is of an empty-room family (empty-fan, empty-music, ...): the
    issue's second target counts false alarms on these alone."""
    return labels.scene.startswith("empty")


def held_score_fa_per_hour(recs: Sequence[Recording], scores: Sequence, hold: int,
                           recall: float, scope: str = "all") -> float:
    """FA/h of p_human held over `hold` hops (the detector's reported score) at the threshold
    reaching `recall` of the major events of all `recs` (inf if unreachable), counted on all
    scored empty time (scope "all") or on the empty-family recordings' alone
    ("empty-families"; inf if there are none)."""
    return _fa_per_hour_by_scope(recs, scores, hold, recall, (scope,))[0]


def _fa_per_hour_by_scope(recs: Sequence[Recording], scores: Sequence, hold: int,
                          recall: float, scopes: Sequence[str]) -> tuple[float, ...]:
    """held_score_fa_per_hour for each of `scopes`, from one report of the whole corpus."""
    for scope in scopes:
        if scope not in SCOPES:
            raise ConfigError(
                f"selection scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    op = held_score_report(recs, scores, hold).operating_point(recall)
    if op is None:
        return tuple(float("inf") for _ in scopes)
    out = []
    for scope in scopes:
        if scope == "all":
            out.append(float(op.fa_per_hour))
            continue
        out.append(float(empty_family_report(recs, scores, hold).fa_per_hour_at(op.threshold)))
    return tuple(out)


def empty_family_report(recs: Sequence, scores: Sequence, hold: int,
                        cfg: EvalConfig | None = None) -> Report:
    """held_score_report of the empty-family recordings of `recs` alone (the issue's second
    target counts their false alarms; its fa_per_hour_at is inf if there are none)."""
    pairs = [(r, sc) for r, sc in zip(recs, scores, strict=True) if in_empty_family(r.labels)]
    return held_score_report([p[0] for p in pairs], [p[1] for p in pairs], hold, cfg)


def class_probabilities(bundle: ModelBundle, recs: Sequence[Recording]) -> list[np.ndarray]:
    """Per recording, the network's (n_hops, n_classes) probabilities, run from a fresh
    state as the detector runs it."""
    return [softmax(bundle.network().process(r.features)) for r in recs]


def deployed_scores(bundle: ModelBundle, recs: Sequence[Recording], evidence_hops: int = 1,
                    probs: Sequence[np.ndarray] | None = None,
                    path: ScorePath | None = None,
                    veto: RepeatVeto | None = None) -> list[np.ndarray]:
    """Per recording, per hop the score NeuralDetector's decision reads (p_human, 0 during the
    warm-up; with evidence_hops > 1 its mean evidence; or what `path` reads; then through
    `veto`, if given; then the bundle's cold start); probs: class_probabilities, if known."""
    probs = class_probabilities(bundle, recs) if probs is None else probs
    return [decision_scores(p, bundle.warm_up_hops, evidence_hops, path, veto,
                            bundle.cold_start) for p in probs]


def check_slow_paths(paths: object, what: str) -> tuple[tuple[int, float], ...]:
    """paths as (window hops >= 2, shift nats) pairs, or a ConfigError saying `what` is
    wrong."""
    def ok(p: object) -> bool:
        return (isinstance(p, (tuple, list)) and len(p) == 2
                and not isinstance(p[0], bool) and isinstance(p[0], int) and p[0] >= 2
                and not isinstance(p[1], bool) and isinstance(p[1], (int, float))
                and bool(np.isfinite(p[1])))

    if not isinstance(paths, (tuple, list)) or not all(ok(p) for p in paths):
        raise ConfigError(f"{what} must list [window hops >= 2, shift nats] pairs, not "
                          f"{paths!r}")
    return tuple((int(w), float(d)) for w, d in paths)


def tune_decision(bundle: ModelBundle, recs: Sequence[Recording], max_false_alarms: int = 1,
                  hop_s: float = 0.025, det_recall: float | None = DET_RECALL,
                  det_scope: str = "all", evidence_hops: Sequence[int] = (1,),
                  min_major_recall: float | None = None,
                  slow_paths: Sequence[tuple[int, float]] = (), slow_release: str = "score",
                  progress: Callable[[int, int], None] | None = None,
                  repeat_veto: RepeatVetoConfig | None = None) -> TunedDecision:
    """Grid-search the decision settings on `recs` (see module docstring); det_scope: the
    empty time stage 0 counts false alarms on (SCOPES); evidence_hops: the evidence windows
    to try (without stage 0, det_recall None, only the first); slow_paths: (window hops,
    shift nats) of the two-path scores to try beside them (ScorePath), as the windows are;
    slow_release: what the off rule of those reads (ScorePath.release: "fast", p_human per hop);
    min_major_recall: a recall floor in place of the false-alarm budget (None: the budget,
    max_false_alarms); progress(done, total): called as the score paths are searched;
    repeat_veto: the veto every path's score goes through (uspd.model.repeat), searched and
    written into the decision with it."""
    evidence_hops = check_evidence_hops(evidence_hops, "evidence_hops")
    slow_paths = check_slow_paths(slow_paths, "slow_paths")
    floor = check_min_major_recall(min_major_recall, "min_major_recall")
    probs = class_probabilities(bundle, recs)
    paths = [ScorePath(e) for e in evidence_hops] + [ScorePath(1, w, d, slow_release)
                                                     for w, d in slow_paths]
    paths = list(dict.fromkeys(paths[:1] if det_recall is None else paths))
    veto = None if repeat_veto is None else RepeatVeto(repeat_veto, hop_s)
    scores = {e: deployed_scores(bundle, recs, probs=probs, path=e, veto=veto) for e in paths}
    warm = bundle.warm_up_hops
    releases = {e: [e.release_scores(p, warm) for p in probs] for e in paths}
    det_fa: dict[ScorePath, dict[int, float]] = {}
    first_hold: dict[ScorePath, tuple[int, ...]] = {e: ON_HOPS for e in paths}
    stage0: dict[ScorePath, tuple[float, float]] = {e: (0.0, 0.0) for e in paths}
    if det_recall is not None:
        for e in paths:
            # the scope's figure, then (ties) the one over all empty time, the shorter hold
            figs = {k: _fa_per_hour_by_scope(recs, scores[e], k, det_recall,
                                             (det_scope, "all")) for k in ON_HOPS}
            hold = min(ON_HOPS, key=lambda k: (*figs[k], k))
            det_fa[e], first_hold[e], stage0[e] = {k: f[0] for k, f in figs.items()}, (hold,), \
                figs[hold]
        if ScorePath() in paths:  # a path must do at least as well as p_human per hop there
            paths = [e for e in paths if stage0[e] <= stage0[ScorePath()]]
    windows = [e for e in det_fa if not e.slow_hops]
    by_evidence = ({e.evidence_hops: stage0[e][0] for e in windows} if len(windows) > 1
                   else None)
    by_path = {e.label(): stage0[e][0] for e in det_fa} if slow_paths and det_fa else None

    def decided(e: ScorePath, thr: float, on_hops: int, ctx_s: float, ctx_thr: float,
                off_ratio: float, off_s: float, rep: Report | None) -> TunedDecision:
        measured = (float("nan"), float("nan"), -1, float("nan")) if rep is None else (
            float(rep.major.recall), float(rep.minor_near.recall), int(rep.false_alarms),
            float(rep.empty_h))
        return TunedDecision(thr, on_hops, ctx_s, ctx_thr, off_ratio, off_s, *measured,
                             det_fa_per_hour=det_fa.get(e), evidence_hops=e.evidence_hops,
                             det_fa_by_evidence=by_evidence, min_major_recall=floor,
                             slow_hops=e.slow_hops, slow_shift=e.slow_shift,
                             release=e.release,
                             det_fa_by_path=by_path, repeat_veto=repeat_veto)

    def score(e: ScorePath, thr: float, on_hops: int, ctx_s: float, ctx_thr: float,
              off_ratio: float, off_s: float) -> tuple | None:
        items = []
        for r, sc, rel in zip(recs, scores[e], releases[e], strict=True):
            logic = DecisionLogic(thr, on_hops, ctx_thr, round(ctx_s / hop_s), off_ratio,
                                  max(1, round(off_s / hop_s)), e.rearms)
            items.append((Decisions(r.t_end_s, sc, logic.process(sc, rel)), r.labels))
        rep = evaluate_corpus(items, with_det=False)
        if floor is None:
            if rep.false_alarms > max_false_alarms:
                return None
            key = (rep.major.recall, rep.minor_near.recall, -rep.false_alarms, thr)
        else:
            if rep.major.recall < floor:
                return None
            key = (-rep.false_alarms, rep.major.recall, rep.minor_near.recall, thr)
        return key, decided(e, thr, on_hops, ctx_s, ctx_thr, off_ratio, off_s, rep)

    def best_strict(e: ScorePath, holds: Sequence[int]) -> tuple | None:
        strict = [score(e, thr, on, 0.0, thr, ratio, off_s) for thr, on, (ratio, off_s)
                  in itertools.product(THRESHOLDS, holds, OFF_RULES)]
        return max((c for c in strict if c is not None), default=None, key=lambda c: c[0])

    # stage 1 per path (every hold, if the path's own never meets the FA budget); the path
    # whose best ranks highest, ties to the lower stage-0 figure, the shorter window, no or
    # the lesser shift
    per_path = {}
    for i, e in enumerate(paths):
        per_path[e] = best_strict(e, first_hold[e])
        if progress is not None:
            progress(i + 1, len(paths))
    for e in paths:
        if per_path[e] is None and len(first_hold[e]) < len(ON_HOPS):
            per_path[e] = best_strict(e, ON_HOPS)
    found = [e for e in paths if per_path[e] is not None]
    if not found:  # nothing meets the FA budget (the recall floor): the strictest (loosest)
        i = -1 if floor is None else 0
        return decided(paths[0], THRESHOLDS[i], ON_HOPS[i], 0.0, THRESHOLDS[i], *OFF_RULES[0],
                       None)
    e = max(found, key=lambda w: (per_path[w][0], tuple(-x for x in stage0[w]), -w.window,
                                  -w.slow_shift))
    top = per_path[e][1]
    with_context = [score(e, top.threshold, top.on_hops, ctx_s, ctx_thr, top.off_ratio,
                          top.off_s)
                    for ctx_s, ctx_thr in itertools.product(CONTEXT_S, CONTEXT_THRESHOLDS)
                    if ctx_thr <= top.threshold]
    return max([per_path[e], *(c for c in with_context if c is not None)],
               key=lambda c: c[0])[1]


__all__ = ["SCOPES", "TunedDecision", "check_evidence_hops", "check_min_major_recall",
           "check_slow_paths",
           "class_probabilities", "deployed_scores", "empty_family_report",
           "held_score_fa_per_hour",
           "held_score_report", "in_empty_family", "tune_decision"]
