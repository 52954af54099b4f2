"""Choose the neural detector's decision logic on validation data (not on the test set).

The network's per-hop p_human is computed once per recording (zero during the warm-up hops,
as NeuralDetector reports it); then decision settings are scored with uspd.evaluate, in two
stages: (1) the strict rule alone, threshold x on_hops x off rule; (2) the best of those with
each context period and context threshold added. Rule: among settings with at most
`max_false_alarms` on the validation empty time, the highest major recall, then minor recall
within 2 m, then the fewest false alarms, then the higher threshold.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from uspd.detect import Decisions
from uspd.evaluate import evaluate_corpus
from uspd.model.dataset import Recording
from uspd.model.runtime import (
    DEFAULT_OFF_RATIO,
    DEFAULT_OFF_S,
    DecisionLogic,
    ModelBundle,
    p_human,
    softmax,
)

THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
ON_HOPS = (1, 2, 4, 6, 8, 12)
# off rule (ratio of the on-threshold, hold in s): the runtime's default, and a quicker one
# that ends motion before the scored empty time starts 1.5 s after a person leaves
OFF_RULES = ((DEFAULT_OFF_RATIO, DEFAULT_OFF_S), (0.8, 0.2))
CONTEXT_S = (10.0, 30.0)
CONTEXT_THRESHOLDS = (0.3, 0.5, 0.7)


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

    def manifest(self) -> dict:
        return {"threshold": self.threshold, "on_hops": self.on_hops,
                "context_s": self.context_s, "context_threshold": self.context_threshold,
                "off_ratio": self.off_ratio, "off_s": self.off_s,
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
                                  int(rep.false_alarms), float(rep.empty_h))

    strict = [score(thr, on, 0.0, thr, ratio, off_s) for thr, on, (ratio, off_s)
              in itertools.product(THRESHOLDS, ON_HOPS, OFF_RULES)]
    best = max((c for c in strict if c is not None), default=None, key=lambda c: c[0])
    if best is None:  # nothing meets the FA budget: the strictest setting
        return TunedDecision(THRESHOLDS[-1], ON_HOPS[-1], 0.0, THRESHOLDS[-1], *OFF_RULES[0],
                             float("nan"), float("nan"), -1, float("nan"))
    top = best[1]
    with_context = [score(top.threshold, top.on_hops, ctx_s, ctx_thr, top.off_ratio, top.off_s)
                    for ctx_s, ctx_thr in itertools.product(CONTEXT_S, CONTEXT_THRESHOLDS)
                    if ctx_thr <= top.threshold]
    return max([best, *(c for c in with_context if c is not None)], key=lambda c: c[0])[1]


__all__ = ["TunedDecision", "tune_decision"]
