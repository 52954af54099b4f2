"""Bootstrap intervals of the DET operating point, resampling whole recordings.

The headline figure (FA/h at the score threshold that finds 99 % of the major events) rests
on the ten or so weakest walkers of a corpus and on the few rooms whose alarms pass that
threshold, so it moves between corpora of the same suite (0.17 to 16.49 FA/h on the empty
families for one model, stops 39-40). Resampling the recordings of a corpus within each family
(the corpus's design), with replacement, gives an interval for that figure; the same resamples
for two models give how often one is below the other (a paired comparison), which a single
pair of figures cannot.

Every figure here is the operating point of `uspd.evaluate.DetCurve` with each recording
counted as often as it was drawn: with every recording drawn once it is that figure exactly
(tested), so the intervals are of the protocol's own numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from uspd.evaluate import RecordingResult, false_alarm_counts


@dataclass(frozen=True)
class CorpusTally:
    """What the operating point needs of each recording, on one threshold grid.

    thresholds: decreasing (a DetCurve's, which holds every major event's maximum score);
    event_max: every major event's maximum score; event_rec: its recording's index;
    fa_counts: (n_recordings, n_thresholds) false alarms with motion = score >= threshold;
    empty_h: (n_recordings,) scored empty hours.
    """

    thresholds: NDArray[np.float64]
    event_max: NDArray[np.float64]
    event_rec: NDArray[np.int64]
    fa_counts: NDArray[np.int64]
    empty_h: NDArray[np.float64]


def tally(results: Sequence[RecordingResult], thresholds: NDArray,
          repeat_s: float) -> CorpusTally:
    """The per-recording parts of a DET operating point (results scored with the held score,
    as `uspd.model.tune.held_score_report` scores them) on `thresholds`."""
    ev, rec = [], []
    for i, r in enumerate(results):
        for e in r.events:
            if e.label == "major":
                ev.append(e.max_score)
                rec.append(i)
    thr = np.asarray(thresholds, dtype=float)
    counts = np.zeros((len(results), thr.size), np.int64)
    for i, r in enumerate(results):
        if np.isfinite(r.fa_score).any():
            counts[i] = false_alarm_counts(r.t_s, r.fa_score, thr, repeat_s)
    return CorpusTally(thr, np.asarray(ev, dtype=float), np.asarray(rec, dtype=np.int64),
                       counts, np.array([r.empty_s / 3600.0 for r in results]))


def stratified_weights(strata: Sequence, n_boot: int,
                       rng: np.random.Generator) -> NDArray[np.int64]:
    """(n_boot, n_recordings) times each recording is drawn: each resample draws, with
    replacement, as many recordings of each stratum (family) as the corpus holds."""
    labels = np.asarray(strata)
    w = np.zeros((n_boot, labels.size), np.int64)
    for s in np.unique(labels):
        idx = np.flatnonzero(labels == s)
        w[:, idx] = rng.multinomial(idx.size, np.full(idx.size, 1.0 / idx.size), size=n_boot)
    return w


def fa_per_hour_at_recall(t: CorpusTally, weights: NDArray, target_recall: float,
                          counted: NDArray | None = None) -> NDArray[np.float64]:
    """FA/h at the operating point of each row of `weights` (times each recording counts):
    the threshold reaching target_recall of the (weighted) major events with the fewest
    false alarms, ties to the higher threshold, as `DetCurve.operating_point` chooses it
    over all recordings. The figure counts the false alarms and empty hours of the
    recordings where `counted` is true (default all), at that threshold. nan where the
    target is out of reach or no counted empty time was drawn."""
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    order = np.argsort(-t.event_max, kind="stable")
    ev_sorted = t.event_max[order]
    cum = np.cumsum(w[:, t.event_rec[order]], axis=1)  # drawn events at or above each score
    total = cum[:, -1] if cum.shape[1] else np.zeros(w.shape[0])
    need = np.maximum(1, np.ceil(target_recall * total - 1e-9))
    out = np.full(w.shape[0], math.nan)
    fa = w @ t.fa_counts  # (n_boot, n_thresholds) false alarms over all recordings
    w_counted = w if counted is None else w * np.asarray(counted, bool)
    fa_counted = fa if counted is None else w_counted @ t.fa_counts
    hours = w_counted @ t.empty_h
    desc = t.thresholds[::-1]  # increasing, for searchsorted
    for b in range(w.shape[0]):
        if total[b] == 0 or need[b] > total[b]:
            continue
        thr_hi = ev_sorted[int(np.searchsorted(cum[b], need[b], "left"))]
        if not math.isfinite(thr_hi):
            continue
        # the first grid threshold at or below thr_hi: the highest candidate
        j_hi = t.thresholds.size - int(np.searchsorted(desc, thr_hi, "right"))
        j = j_hi + int(np.argmin(fa[b, j_hi:]))  # first minimum: the highest threshold
        if hours[b] > 0:
            out[b] = fa_counted[b, j] / hours[b]
    return out
