"""Choose the neural detector's decision logic on validation data (not on the test set).

The network's per-hop p_human is computed once per recording (zero during the warm-up hops,
as NeuralDetector reports it); then a grid of decision settings (strict threshold and
on_hops out of context, the context period and its threshold) is scored with uspd.evaluate.
Rule: among settings with at most `max_false_alarms` on the validation empty time, the
highest major recall, then minor recall within 2 m, then the fewest false alarms.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from uspd.detect import Decisions
from uspd.evaluate import evaluate_corpus
from uspd.model.dataset import Recording
from uspd.model.runtime import DecisionLogic, ModelBundle, NeuralConfig, p_human, softmax

THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
ON_HOPS = (1, 2, 4, 6, 8, 12)
CONTEXT_S = (0.0, 10.0, 30.0)
CONTEXT_THRESHOLDS = (0.3, 0.5, 0.7)


@dataclass(frozen=True)
class TunedDecision:
    threshold: float
    on_hops: int
    context_s: float
    context_threshold: float
    major_recall: float
    minor_near_recall: float
    false_alarms: int
    empty_h: float

    def manifest(self) -> dict:
        return {"threshold": self.threshold, "on_hops": self.on_hops,
                "context_s": self.context_s, "context_threshold": self.context_threshold,
                "validation": {"major_recall": self.major_recall,
                               "minor_near_recall": self.minor_near_recall,
                               "false_alarms": self.false_alarms, "empty_h": self.empty_h}}


def tune_decision(bundle: ModelBundle, recs: Sequence[Recording], max_false_alarms: int = 1,
                  hop_s: float = 0.025) -> TunedDecision:
    """Grid-search the decision settings on `recs` (see module docstring)."""
    warm_up = bundle.arch.receptive_field_hops  # as NeuralDetector: no motion while filling
    scores = []
    for r in recs:
        sc = p_human(softmax(bundle.network().process(r.features)))
        sc[:warm_up] = 0.0
        scores.append(sc)
    off = NeuralConfig()
    best: tuple | None = None
    for thr, on_hops, ctx_s, ctx_thr in itertools.product(
            THRESHOLDS, ON_HOPS, CONTEXT_S, CONTEXT_THRESHOLDS):
        if ctx_s == 0.0 and ctx_thr != CONTEXT_THRESHOLDS[0]:
            continue  # context threshold unused without context
        if ctx_thr > thr:
            continue
        items = []
        for r, sc in zip(recs, scores, strict=True):
            logic = DecisionLogic(thr, on_hops, ctx_thr if ctx_s else thr,
                                  round(ctx_s / hop_s), off.off_ratio,
                                  max(1, round(off.off_s / hop_s)))
            items.append((Decisions(r.t_end_s, sc, logic.process(sc)), r.labels))
        rep = evaluate_corpus(items, with_det=False)
        if rep.false_alarms > max_false_alarms:
            continue
        key = (rep.major.recall, rep.minor_near.recall, -rep.false_alarms, thr)
        if best is None or key > best[0]:
            best = (key, TunedDecision(thr, on_hops, ctx_s, ctx_thr if ctx_s else thr,
                                       float(rep.major.recall), float(rep.minor_near.recall),
                                       int(rep.false_alarms), float(rep.empty_h)))
    if best is None:  # nothing meets the FA budget: the strictest setting
        return TunedDecision(THRESHOLDS[-1], ON_HOPS[-1], 0.0, THRESHOLDS[-1], float("nan"),
                             float("nan"), -1, float("nan"))
    return best[1]


__all__ = ["TunedDecision", "tune_decision"]
