"""Choose the neural detector's decision logic on validation data (not on the test set).

The network's per-hop p_human is computed once per recording (zero during the warm-up hops,
as NeuralDetector reports it); then decision settings are scored with uspd.evaluate, in three
stages: (0) the hold, on_hops: the detector reports p_human held over on_hops as its score, and
the issue's headline figure is that score's FA/h at 99 % major recall (a threshold sweep), so
the hold with the fewest validation FA/h there is kept (ties: the shorter, faster one);
(1) the strict rule with that hold, threshold x off rule (every hold, if none of these meets
the false-alarm budget); (2) the best of those with each
context period and context threshold added. Rule in (1) and (2): among settings with at most
`max_false_alarms` on the validation empty time, the highest major recall, then minor recall
within 2 m, then the fewest false alarms, then the higher threshold. det_recall=None skips
stage 0 and searches every hold in stage 1 (the tuner before stage 0 existed).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from uspd.detect import Decisions
from uspd.errors import ConfigError
from uspd.evaluate import Report, evaluate_corpus
from uspd.labels import Labels, Segment
from uspd.model.dataset import Recording
from uspd.model.runtime import (
    DEFAULT_OFF_RATIO,
    DEFAULT_OFF_S,
    DecisionLogic,
    ModelBundle,
    held_min,
    p_human,
    softmax,
)

# p_human of a trained network crowds near 1 (walkers and the worst distractors alike), so
# the grid is finest there, down to 1e-4 from 1: on a validation set with hours of empty room
# the hold chosen in stage 0 may meet the false-alarm budget only above 0.999
THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9998,
              0.9999)
ON_HOPS = (1, 2, 4, 6, 8, 12)
# off rule (ratio of the on-threshold, hold in s): the runtime's default, and a quicker one
# that ends motion before the scored empty time starts 1.5 s after a person leaves
OFF_RULES = ((DEFAULT_OFF_RATIO, DEFAULT_OFF_S), (0.8, 0.2))
CONTEXT_S = (10.0, 30.0)
CONTEXT_THRESHOLDS = (0.3, 0.5, 0.7)
DET_RECALL = 0.99  # stage 0: the hold with the fewest FA/h of the held score at this recall
# ... counted on all scored empty time, or on the empty-family recordings' only
SCOPES = ("all", "empty-families")


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

    def manifest(self) -> dict:
        out = {"threshold": self.threshold, "on_hops": self.on_hops,
               "context_s": self.context_s, "context_threshold": self.context_threshold,
               "off_ratio": self.off_ratio, "off_s": self.off_s,
               "validation": {"major_recall": _measured(self.major_recall),
                              "minor_near_recall": _measured(self.minor_near_recall),
                              "false_alarms": self.false_alarms,
                              "empty_h": _measured(self.empty_h)}}
        if self.det_fa_per_hour is not None:
            out["validation"]["held_score_fa_per_hour_at_recall"] = {
                "recall": DET_RECALL,
                **{str(k): _measured(v) for k, v in self.det_fa_per_hour.items()}}
        return out


def held_score_report(recs: Sequence[Recording], scores: Sequence, hold: int) -> Report:
    """Corpus report (with DET curve) of p_human held over `hold` hops, the detector's
    reported score, as the score of each recording."""
    items = []
    for r, sc in zip(recs, scores, strict=True):
        held = held_min(sc, hold)
        items.append((Decisions(r.t_end_s, held, held >= 0.5), r.labels))
    return evaluate_corpus(items)


def weakest_major_segments(recs: Sequence[Recording], scores: Sequence, hold: int,
                           after_s: float = 0.5) -> list[tuple[float, int, Segment]]:
    """(peak, recording index, segment) of every major label segment, weakest first: peak is
    the highest p_human held over `hold` hops from the segment's start to after_s (s) past its
    end, the score a threshold must not exceed for the segment to count as found."""
    rows = []
    for i, (r, sc) in enumerate(zip(recs, scores, strict=True)):
        held = held_min(sc, hold)
        for seg in (g for g in r.labels.segments if g.label == "major"):
            m = (r.t_end_s >= seg.start) & (r.t_end_s <= seg.end + after_s)
            if m.any():
                rows.append((float(held[m].max()), i, seg))
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
        empty = [(r, sc) for r, sc in zip(recs, scores, strict=True)
                 if in_empty_family(r.labels)]
        rep = held_score_report([e[0] for e in empty], [e[1] for e in empty], hold)
        out.append(float(rep.fa_per_hour_at(op.threshold)))
    return tuple(out)


def deployed_scores(bundle: ModelBundle, recs: Sequence[Recording]) -> list[np.ndarray]:
    """Per recording, per hop p_human as NeuralDetector reports it (0 during the warm-up)."""
    warm_up = bundle.receptive_field_hops
    scores = []
    for r in recs:
        sc = p_human(softmax(bundle.network().process(r.features)))
        sc[:warm_up] = 0.0
        scores.append(sc)
    return scores


def tune_decision(bundle: ModelBundle, recs: Sequence[Recording], max_false_alarms: int = 1,
                  hop_s: float = 0.025, det_recall: float | None = DET_RECALL,
                  det_scope: str = "all") -> TunedDecision:
    """Grid-search the decision settings on `recs` (see module docstring); det_scope: the
    empty time stage 0 counts false alarms on (SCOPES)."""
    scores = deployed_scores(bundle, recs)
    det_fa = None
    holds = ON_HOPS
    if det_recall is not None:
        # the scope's figure, then (ties) the one over all empty time
        figs = {k: _fa_per_hour_by_scope(recs, scores, k, det_recall, (det_scope, "all"))
                for k in ON_HOPS}
        det_fa = {k: f[0] for k, f in figs.items()}
        holds = (min(ON_HOPS, key=lambda k: (*figs[k], k)),)

    def score(thr: float, on_hops: int, ctx_s: float, ctx_thr: float, off_ratio: float,
              off_s: float) -> tuple | None:
        items = []
        for r, sc in zip(recs, scores, strict=True):
            logic = DecisionLogic(thr, on_hops, ctx_thr, round(ctx_s / hop_s), off_ratio,
                                  max(1, round(off_s / hop_s)))
            items.append((Decisions(r.t_end_s, sc, logic.process(sc)), r.labels))
        rep = evaluate_corpus(items, with_det=False)
        if rep.false_alarms > max_false_alarms:
            return None
        key = (rep.major.recall, rep.minor_near.recall, -rep.false_alarms, thr)
        return key, TunedDecision(thr, on_hops, ctx_s, ctx_thr, off_ratio, off_s,
                                  float(rep.major.recall), float(rep.minor_near.recall),
                                  int(rep.false_alarms), float(rep.empty_h), det_fa)

    def best_strict(holds: Sequence[int]) -> tuple | None:
        strict = [score(thr, on, 0.0, thr, ratio, off_s) for thr, on, (ratio, off_s)
                  in itertools.product(THRESHOLDS, holds, OFF_RULES)]
        return max((c for c in strict if c is not None), default=None, key=lambda c: c[0])

    best = best_strict(holds)
    if best is None and len(holds) < len(ON_HOPS):  # that hold never meets the FA budget
        holds = ON_HOPS
        best = best_strict(holds)
    if best is None:  # nothing meets the FA budget: the strictest setting
        return TunedDecision(THRESHOLDS[-1], holds[-1], 0.0, THRESHOLDS[-1], *OFF_RULES[0],
                             float("nan"), float("nan"), -1, float("nan"), det_fa)
    top = best[1]
    with_context = [score(top.threshold, top.on_hops, ctx_s, ctx_thr, top.off_ratio, top.off_s)
                    for ctx_s, ctx_thr in itertools.product(CONTEXT_S, CONTEXT_THRESHOLDS)
                    if ctx_thr <= top.threshold]
    return max([best, *(c for c in with_context if c is not None)], key=lambda c: c[0])[1]


__all__ = ["SCOPES", "TunedDecision", "deployed_scores", "held_score_fa_per_hour",
           "held_score_report", "in_empty_family", "tune_decision"]
