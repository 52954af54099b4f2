"""Evaluation: event recall and latency, false alarms per hour, DET curves, reports.

The protocol (what counts as an event, a hit, a false alarm, and which time is scored) is
written down with its rationale in docs/evaluation.md; this module implements it exactly.

Inputs per recording: decisions (anything with `t_s` (n,) s = end of the audio each decision
used, `motion` (n,) bool, and `score` (n,) float in [0, 1] for the DET curve, such as
`uspd.detect.Decisions`) and the recording's `Labels`. Everything here is a pure function of
those; `evaluate_corpus` aggregates recordings into a `Report`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from uspd.errors import ConfigError, InputError
from uspd.labels import Labels

NO_DISTRACTOR = "none"


class DecisionsLike(Protocol):
    """What evaluation reads from a detector's output (e.g. uspd.detect.Decisions)."""

    t_s: NDArray[np.float64]
    motion: NDArray[np.bool_]
    score: NDArray[np.float64]


@dataclass(frozen=True)
class EvalConfig:
    """Protocol parameters (see docs/evaluation.md)."""

    grace_s: float = 0.5  # a hit may come up to this long after the event's end (s)
    after_leave_s: float = 1.5  # empty time right after a person leaves is not scored (s)
    # empty time in a recording's first skip_start_s is not scored (s; 0: all of it is): the
    # front end starts cold there (music canceller, clutter null), while a device in a home
    # has run for hours, so this gives the steady-state FA/h; events are scored as always
    skip_start_s: float = 0.0
    near_m: float = 2.0  # "near" minor motion: distance_m <= this (m)
    merge_gap_s: float = 0.5  # same-label segments closer than this form one event (s)
    fa_repeat_s: float = 10.0  # a motion run in empty time counts once more per this long (s)
    det_max_points: int = 200  # thresholds on a DET curve (plus every event's max score)
    range_edges_m: tuple[float, ...] = (2.0, 3.0, 4.0)  # major recall per distance band (m)
    # also report FA/h at the target recall of the major events that came nearer than each of
    # these distances (m): the operating point of a detection range
    within_m: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not self.skip_start_s >= 0:
            raise ConfigError(f"evaluation: skip_start_s must be >= 0 s, not {self.skip_start_s}")
        for name, edges in (("range edges", self.range_edges_m), ("--within", self.within_m)):
            if any(e <= 0 for e in edges) or any(b <= a for a, b in itertools.pairwise(edges)):
                raise ConfigError(f"evaluation: {name} must be positive and increasing, "
                                  f"not {list(edges)}")


# ----------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Event:
    """One ground-truth motion event and how a detector did on it (times in s)."""

    label: str
    start: float
    end: float
    distance_m: float | None
    detected: bool
    latency_s: float  # nan when missed
    max_score: float  # highest score of the decisions in [start, end + grace]


def motion_events(labels: Labels, label: str, merge_gap_s: float = 0.0) -> list[tuple]:
    """(start, end, distance_m) of the `label` segments, merging runs split by short gaps.

    Segments of `label` separated by less than merge_gap_s (s) of other labels form one
    event; its distance_m is the smallest of the parts (None if no part has one).
    """
    out: list[list] = []
    for seg in labels.segments:
        if seg.label != label:
            continue
        if out and seg.start - out[-1][1] < merge_gap_s:
            prev = out[-1]
            prev[1] = seg.end
            ds = [d for d in (prev[2], seg.distance_m) if d is not None]
            prev[2] = min(ds) if ds else None
        else:
            out.append([seg.start, seg.end, seg.distance_m])
    return [tuple(e) for e in out]


def score_events(
    t_s: NDArray, motion: NDArray, score: NDArray | None, events: Sequence[tuple], label: str,
    grace_s: float,
) -> list[Event]:
    """Hit/miss, latency and max score of each (start, end, distance_m) event.

    A hit is a motion decision with t in [start, end + grace_s]; latency = first such t -
    start (>= 0). Events with no decision at all in that window (recording edges) are left out,
    and so are events starting less than grace_s before the last decision: the recording ends
    before a detector has had the time a hit may take after any other event's end.
    """
    out = []
    for start, end, dist in events:
        lo = int(np.searchsorted(t_s, start, "left"))
        hi = int(np.searchsorted(t_s, end + grace_s + 1e-9, "right"))
        if hi <= lo or t_s[-1] < start + grace_s - 1e-9:
            continue
        hits = np.flatnonzero(motion[lo:hi])
        detected = hits.size > 0
        lat = max(0.0, float(t_s[lo + hits[0]]) - start) if detected else math.nan
        mx = float(np.max(score[lo:hi])) if score is not None else math.nan
        out.append(Event(label, float(start), float(end), dist, detected, lat, mx))
    return out


# ----------------------------------------------------------------------------- empty time


def label_per_decision(labels: Labels, t_s: NDArray) -> NDArray[np.str_]:
    """Label in force at each decision time t_s (s) (the last segment's beyond the end)."""
    if not labels.segments:
        return np.full(t_s.shape, "empty")
    starts = np.array([s.start for s in labels.segments])
    names = np.array([s.label for s in labels.segments])
    idx = np.clip(np.searchsorted(starts, t_s, "right") - 1, 0, len(starts) - 1)
    return names[idx]


def leave_times(labels: Labels) -> NDArray[np.float64]:
    """Times (s) a person leaves: ends of non-empty segments directly followed by empty."""
    segs = labels.segments
    return np.array(
        [a.end for a, b in itertools.pairwise(segs)
         if a.label != "empty" and b.label == "empty"],
        dtype=float,
    )


def counted_empty(labels: Labels, t_s: NDArray, after_leave_s: float,
                  skip_start_s: float = 0.0) -> NDArray[np.bool_]:
    """Decisions scored for false alarms: in empty time, not within after_leave_s of a leave
    and not before skip_start_s (s from the recording's start).

    A decision at t is excluded when L <= t < L + after_leave_s for some leave time L, or when
    t < skip_start_s. As after a leave, motion still on when scoring starts counts from there.
    """
    mask = (label_per_decision(labels, t_s) == "empty") & (t_s >= skip_start_s)
    lv = leave_times(labels)
    if lv.size and t_s.size:
        j = np.searchsorted(lv, t_s, "right") - 1
        recent = (j >= 0) & (t_s - lv[np.maximum(j, 0)] < after_leave_s)
        mask &= ~recent
    return mask


def distractor_key(labels: Labels, t_s: NDArray) -> NDArray[np.str_]:
    """Per decision: the distractor kinds active at t (sorted, '+'-joined) or 'none'."""
    t_s = np.asarray(t_s, dtype=float)
    if not labels.distractors or t_s.size == 0:
        return np.full(t_s.shape, NO_DISTRACTOR).astype(str)
    # which distractors are active changes only at their starts and ends: one key per stretch
    # between those edges that holds a decision, not one per decision
    edges = np.unique([x for d in labels.distractors for x in (d.start, d.end)])
    stretch = np.searchsorted(edges, t_s, side="right")
    held, first = np.unique(stretch, return_index=True)
    names = []
    for t in t_s.reshape(-1)[first]:
        kinds = sorted({d.kind for d in labels.distractors if d.start <= t < d.end})
        names.append("+".join(kinds) or NO_DISTRACTOR)
    return np.asarray(names, dtype=str)[np.searchsorted(held, stretch)]


@dataclass(frozen=True)
class FalseAlarm:
    """A maximal run of motion decisions in scored empty time (times in s).

    `count` = 1 + floor((t_end - t_start) / repeat_s): an output stuck on in an empty room
    keeps counting, once per repeat_s, so "always on" cannot look like one false alarm.
    """

    t_start: float
    t_end: float
    distractor: str  # key of the distractors active at the run's first decision
    count: int = 1


def false_alarm_runs(motion: NDArray, counted: NDArray) -> list[tuple[int, int]]:
    """(first, last) decision indices of maximal runs of consecutive motion & counted."""
    m = np.asarray(motion, bool) & np.asarray(counted, bool)
    if not m.any():
        return []
    d = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1) - 1
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def count_false_alarms(
    t_s: NDArray, motion: NDArray, counted: NDArray, repeat_s: float
) -> int:
    """Total false-alarm count (runs with repeats, see FalseAlarm) of one decision sequence."""
    m = np.asarray(motion, bool) & np.asarray(counted, bool)
    if not m.any():
        return 0
    d = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1) - 1
    dur = t_s[stops] - t_s[starts]
    return int(starts.size + np.floor(dur / repeat_s + 1e-9).sum())


def false_alarm_counts(t_s: NDArray, score: NDArray, thresholds: NDArray,
                       repeat_s: float) -> NDArray[np.int64]:
    """count_false_alarms(t_s, score >= thr, all counted, repeat_s) at every thr of
    `thresholds`, in one pass: hops switch on in falling score order, each joining the runs
    beside it, and the count (runs with their repeats) is read off as each threshold is
    passed. Unscored hops carry score -inf (or nan) and never switch on. Equal to the count
    per threshold; 5x faster for a DET curve's ~1400 thresholds over 2 M hops (stop 40)."""
    t = np.asarray(t_s, dtype=float).tolist()
    sc = np.asarray(score, dtype=float)
    thr = np.asarray(thresholds, dtype=float)
    order = np.argsort(-sc, kind="stable")
    order = order[~np.isnan(sc[order])]  # nan (and the -inf tail) never switch on
    s_sorted = sc[order].tolist()
    order = order.tolist()
    n = len(t)
    left, right = list(range(n)), list(range(n))  # a run's other end, kept at its two ends
    on = [False] * (n + 1)  # on[-1] stays False: the hop before the first

    def repeats(a: int, b: int) -> int:
        return 1 + math.floor((t[b] - t[a]) / repeat_s + 1e-9)

    out = np.zeros(thr.size, np.int64)
    total, j = 0, 0
    for k in np.argsort(-thr, kind="stable").tolist():
        th = float(thr[k])
        while j < len(order) and s_sorted[j] >= th:
            i = order[j]
            j += 1
            lo = hi = i
            if on[i - 1]:
                lo = left[i - 1]
                total -= repeats(lo, i - 1)
            if i + 1 < n and on[i + 1]:
                hi = right[i + 1]
                total -= repeats(i + 1, hi)
            on[i] = True
            right[lo], left[hi] = hi, lo
            total += repeats(lo, hi)
        out[k] = total
    return out


# ----------------------------------------------------------------------------- per recording


@dataclass
class RecordingResult:
    """Everything a corpus report needs from one recording."""

    duration_s: float
    events: list[Event]
    false_alarms: list[FalseAlarm]
    empty_s: float  # scored empty time (s)
    empty_s_by_key: dict[str, float]
    alarm_s: float  # scored empty time (s) with motion on
    # for the DET sweep: decision times and scores, -inf where not scored-empty
    t_s: NDArray[np.float64]
    fa_score: NDArray[np.float64]


def _hop_s(t_s: NDArray, hop_s: float | None) -> float:
    if hop_s is not None:
        return float(hop_s)
    if t_s.size >= 2:
        return float(np.median(np.diff(t_s)))
    return 0.0


def evaluate_recording(
    dec: DecisionsLike, labels: Labels, cfg: EvalConfig | None = None, hop_s: float | None = None
) -> RecordingResult:
    """Score one recording. hop_s (s): time each decision stands for (median spacing if None).

    Scored empty time = number of scored-empty decisions x hop_s.
    """
    cfg = cfg or EvalConfig()
    t = np.asarray(dec.t_s, dtype=float).reshape(-1)
    motion = np.asarray(dec.motion, dtype=bool).reshape(-1)
    raw_score = getattr(dec, "score", None)
    score = (
        motion.astype(float) if raw_score is None
        else np.asarray(raw_score, dtype=float).reshape(-1)
    )
    if motion.shape != t.shape or score.shape != t.shape:
        raise InputError("decisions: t_s, motion and score must have the same length")
    if t.size > 1 and np.any(np.diff(t) < 0):
        raise InputError("decisions: t_s must be non-decreasing")

    events: list[Event] = []
    for label in ("major", "minor"):
        evs = motion_events(labels, label, cfg.merge_gap_s)
        events += score_events(t, motion, score, evs, label, cfg.grace_s)

    counted = counted_empty(labels, t, cfg.after_leave_s, cfg.skip_start_s)
    keys = distractor_key(labels, t)
    fas = [
        FalseAlarm(
            float(t[a]), float(t[b]), str(keys[a]),
            1 + math.floor((t[b] - t[a]) / cfg.fa_repeat_s + 1e-9),
        )
        for a, b in false_alarm_runs(motion, counted)
    ]
    hop = _hop_s(t, hop_s)
    by_key: dict[str, float] = {}
    for k in np.unique(keys[counted]):
        by_key[str(k)] = float(np.count_nonzero(counted & (keys == k))) * hop
    return RecordingResult(
        duration_s=float(labels.duration_s),
        events=events,
        false_alarms=fas,
        empty_s=float(np.count_nonzero(counted)) * hop,
        empty_s_by_key=by_key,
        alarm_s=float(np.count_nonzero(counted & motion)) * hop,
        t_s=t,
        fa_score=np.where(counted, score, -np.inf),
    )


# ----------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class EventStats:
    n_events: int
    n_detected: int
    recall: float  # nan without events
    latency_median_s: float  # over detected events; nan if none
    latency_p90_s: float

    @staticmethod
    def of(events: Sequence[Event]) -> EventStats:
        n = len(events)
        lat = np.array([e.latency_s for e in events if e.detected])
        return EventStats(
            n_events=n,
            n_detected=int(lat.size),
            recall=lat.size / n if n else math.nan,
            latency_median_s=float(np.median(lat)) if lat.size else math.nan,
            latency_p90_s=float(np.percentile(lat, 90)) if lat.size else math.nan,
        )


def range_bands(edges_m: Sequence[float]) -> list[tuple[str, float, float]]:
    """(name, lo, hi) distance bands (m) cut at `edges_m` (increasing): '< 2 m', '2-3 m', ..,
    '>= 4 m'. An event's band is that of its distance_m, the nearest it came to the device."""
    edges = [float(e) for e in edges_m]  # checked by EvalConfig
    if not edges:  # no edges: no bands (uspd evaluate --range-edges '')
        return []
    bounds = [0.0, *edges, math.inf]
    names = [f"< {edges[0]:g} m"]
    names += [f"{a:g}-{b:g} m" for a, b in itertools.pairwise(edges)]
    names += [f">= {edges[-1]:g} m"]
    return [(n, lo, hi) for n, lo, hi in zip(names, bounds[:-1], bounds[1:], strict=True)]


def stats_by_range(events: Sequence[Event], edges_m: Sequence[float]) -> dict[str, EventStats]:
    """EventStats of the events in each distance band (events without a distance left out)."""
    return {
        name: EventStats.of([e for e in events
                             if e.distance_m is not None and lo <= e.distance_m < hi])
        for name, lo, hi in range_bands(edges_m)
    }


@dataclass(frozen=True)
class DistractorStats:
    false_alarms: int
    empty_h: float
    fa_per_hour: float  # nan without scored time


@dataclass(frozen=True)
class OperatingPoint:
    """A threshold reaching a target major recall with the fewest false alarms."""

    target_recall: float
    threshold: float
    recall: float
    false_alarms: int
    fa_per_hour: float
    within_m: float | None = None  # recall of the major events nearer than this (m); None: all


@dataclass
class DetCurve:
    """Threshold sweep: motion = score >= threshold, same event and false-alarm logic.

    thresholds decreasing (the first is +inf: never motion); miss_rate (major) is
    non-increasing along them. fa_per_hour is the raw count at each threshold, which need
    not be monotone (a lower threshold can merge two runs into one); fa_per_hour_env is its
    lower envelope (the fewest FA/h any threshold with at most this miss rate achieves),
    non-decreasing, and what the plot and operating points use. event_distance_m: the nearest
    each major event came to the device (m; nan if unknown), for operating points of a range.
    """

    thresholds: NDArray[np.float64]
    miss_rate: NDArray[np.float64]
    fa_per_hour: NDArray[np.float64]
    fa_per_hour_env: NDArray[np.float64]
    fa_count: NDArray[np.int64]
    event_max: NDArray[np.float64] = field(repr=False)
    t_s: NDArray[np.float64] = field(repr=False)  # concatenated, recordings split by nan
    fa_score: NDArray[np.float64] = field(repr=False)
    empty_h: float = 0.0
    repeat_s: float = 10.0
    event_distance_m: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0),
                                                  repr=False)

    def false_alarms_at(self, thr: float) -> int:
        """False-alarm count of the whole corpus with motion = score >= thr."""
        return count_false_alarms(
            self.t_s, self.fa_score >= thr, np.ones(self.t_s.shape, bool), self.repeat_s
        )

    def _event_max(self, within_m: float | None) -> NDArray[np.float64]:
        """Maximum scores of the major events (of those nearer than within_m m, if given)."""
        if within_m is None:
            return self.event_max
        return self.event_max[self.event_distance_m < within_m]  # nan distance: left out

    def recall_at(self, thr: float, within_m: float | None = None) -> float:
        ev = self._event_max(within_m)
        return float(np.count_nonzero(ev >= thr)) / ev.size if ev.size else math.nan

    def _fa_h(self, n: int) -> float:
        return n / self.empty_h if self.empty_h > 0 else math.nan

    def operating_point(self, target_recall: float = 0.99,
                        within_m: float | None = None) -> OperatingPoint | None:
        """Threshold with major recall >= target_recall and the fewest FAs (None if there are
        no events or the target is unreachable). within_m (m): recall of the major events
        that came nearer than this alone (false alarms still count everywhere).

        Candidates: the highest threshold reaching the target (exact) and every lower
        threshold on the curve; ties go to the highest threshold.
        """
        ev = self._event_max(within_m)
        n = ev.size
        k = max(1, math.ceil(target_recall * n - 1e-9))
        if n == 0 or k > n:
            return None
        thr_hi = float(np.sort(ev)[::-1][k - 1])
        if not math.isfinite(thr_hi):
            return None
        best_thr, best_fa = thr_hi, self.false_alarms_at(thr_hi)
        if self.empty_h > 0:
            for thr, fa in zip(self.thresholds, self.fa_count, strict=True):
                if thr < thr_hi and fa < best_fa:
                    best_thr, best_fa = float(thr), fa
        return OperatingPoint(
            target_recall=float(target_recall),
            threshold=best_thr,
            recall=self.recall_at(best_thr, within_m),
            false_alarms=int(best_fa),
            fa_per_hour=self._fa_h(best_fa),
            within_m=within_m,
        )

    @staticmethod
    def build(
        results: Sequence[RecordingResult], empty_h: float, cfg: EvalConfig
    ) -> DetCurve:
        major = [e for r in results for e in r.events if e.label == "major"]
        ev = np.array([e.max_score for e in major])
        dist = np.array([np.nan if e.distance_m is None else e.distance_m for e in major])
        parts_t, parts_s = [], []
        for r in results:  # a -inf score between recordings breaks runs
            parts_t += [r.t_s, np.array([np.nan])]
            parts_s += [r.fa_score, np.array([-np.inf])]
        t = np.concatenate(parts_t) if parts_t else np.zeros(0)
        s = np.concatenate(parts_s) if parts_s else np.zeros(0)
        # every event's maximum score (where recall changes) plus up to det_max_points score
        # values evenly spaced in rank (where false alarms change); without the event scores a
        # detector whose scores crowd near 1 would get no threshold in its useful range
        cand = np.unique(s[np.isfinite(s)])
        if cand.size > cfg.det_max_points:
            idx = np.linspace(0, cand.size - 1, cfg.det_max_points).round().astype(int)
            cand = cand[idx]
        cand = np.unique(np.concatenate([ev[np.isfinite(ev)], cand]))
        thr = np.concatenate([[np.inf], cand[::-1]])
        curve = DetCurve(
            thr, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, np.int64), ev, t, s,
            float(empty_h), cfg.fa_repeat_s, dist.astype(np.float64),
        )
        curve.fa_count = false_alarm_counts(t, s, thr, cfg.fa_repeat_s)
        fa = curve.fa_count.astype(float)
        curve.fa_per_hour = fa / empty_h if empty_h > 0 else np.full(thr.shape, math.nan)
        curve.fa_per_hour_env = np.minimum.accumulate(curve.fa_per_hour[::-1])[::-1]
        curve.miss_rate = 1.0 - np.array([curve.recall_at(x) for x in thr])
        return curve


# ----------------------------------------------------------------------------- report


@dataclass
class Report:
    """Corpus-level figures of one detector (see docs/evaluation.md)."""

    name: str
    n_recordings: int
    duration_h: float
    empty_h: float
    major: EventStats
    minor: EventStats
    minor_near: EventStats
    major_by_range: dict[str, EventStats]  # major events by distance band (EvalConfig)
    false_alarms: int
    fa_per_hour: float
    alarm_fraction: float  # share of scored empty time with motion on
    by_distractor: dict[str, DistractorStats]
    det: DetCurve | None
    cfg: EvalConfig = field(default_factory=EvalConfig)

    def operating_point(self, target_recall: float = 0.99,
                        within_m: float | None = None) -> OperatingPoint | None:
        """FA/h at the score threshold giving target_recall of major events (headline); of
        the major events nearer than within_m (m) alone, if given."""
        if self.det is None:
            return None
        return self.det.operating_point(target_recall, within_m)

    def fa_per_hour_at(self, threshold: float) -> float:
        """False alarms per hour of scored empty time at a score threshold of the DET sweep
        (inf without a sweep or without scored empty time: undefined, not zero)."""
        if self.det is None or self.empty_h <= 0:
            return float("inf")
        return self.det.false_alarms_at(threshold) / self.empty_h

    def to_dict(self, target_recalls: Sequence[float] = (0.9, 0.95, 0.99)) -> dict[str, Any]:
        """JSON-able summary (nan -> None)."""

        def clean(x: Any) -> Any:
            if isinstance(x, float) and not math.isfinite(x):
                return None
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            return x

        def stats(s: EventStats) -> dict[str, Any]:
            return clean(s.__dict__.copy())

        ops = {}
        for r in target_recalls:
            op = self.operating_point(r)
            ops[f"{r:g}"] = clean(op.__dict__.copy()) if op else None
        ops_within = {}
        for d in self.cfg.within_m:
            for r in target_recalls:
                op = self.operating_point(r, d)
                ops_within[f"{r:g} within {d:g} m"] = clean(op.__dict__.copy()) if op else None
        return {
            "name": self.name,
            "n_recordings": self.n_recordings,
            "duration_h": self.duration_h,
            "empty_h": self.empty_h,
            "major": stats(self.major),
            "minor": stats(self.minor),
            "minor_near": stats(self.minor_near),
            "near_m": self.cfg.near_m,
            "major_by_range": {k: stats(v) for k, v in self.major_by_range.items()},
            "false_alarms": self.false_alarms,
            "fa_per_hour": clean(self.fa_per_hour),
            "alarm_fraction": clean(self.alarm_fraction),
            "by_distractor": {k: clean(v.__dict__.copy()) for k, v in self.by_distractor.items()},
            "operating_points": ops,
            "operating_points_within": ops_within,
            "protocol": self.cfg.__dict__.copy(),
        }

    def format_table(self, target_recall: float = 0.99) -> str:
        """Plain-text table of this report's figures."""
        return compare({self.name or "detector": self}, target_recall)


def evaluate_corpus(
    items: Iterable[tuple[DecisionsLike, Labels]],
    cfg: EvalConfig | None = None,
    name: str = "",
    hop_s: float | None = None,
    with_det: bool = True,
) -> Report:
    """Aggregate `evaluate_recording` over (decisions, labels) pairs into a Report."""
    cfg = cfg or EvalConfig()
    results = [evaluate_recording(d, lab, cfg, hop_s) for d, lab in items]
    return report_from_results(results, cfg, name, with_det)


def report_from_results(
    results: Sequence[RecordingResult], cfg: EvalConfig | None = None, name: str = "",
    with_det: bool = True,
) -> Report:
    """Corpus report from per-recording results (with_det=False skips the DET sweep)."""
    cfg = cfg or EvalConfig()
    events = [e for r in results for e in r.events]
    major = [e for e in events if e.label == "major"]
    minor = [e for e in events if e.label == "minor"]
    near = [e for e in minor if e.distance_m is not None and e.distance_m <= cfg.near_m]
    empty_h = sum(r.empty_s for r in results) / 3600.0
    fas = [f for r in results for f in r.false_alarms]
    keys = sorted({k for r in results for k in r.empty_s_by_key} | {f.distractor for f in fas})
    by: dict[str, DistractorStats] = {}
    for k in keys:
        h = sum(r.empty_s_by_key.get(k, 0.0) for r in results) / 3600.0
        n = sum(f.count for f in fas if f.distractor == k)
        by[k] = DistractorStats(n, h, n / h if h > 0 else math.nan)
    n_fa = sum(f.count for f in fas)
    alarm_h = sum(r.alarm_s for r in results) / 3600.0
    return Report(
        name=name,
        n_recordings=len(results),
        duration_h=sum(r.duration_s for r in results) / 3600.0,
        empty_h=empty_h,
        major=EventStats.of(major),
        minor=EventStats.of(minor),
        minor_near=EventStats.of(near),
        major_by_range=stats_by_range(major, cfg.range_edges_m),
        false_alarms=n_fa,
        fa_per_hour=n_fa / empty_h if empty_h > 0 else math.nan,
        alarm_fraction=alarm_h / empty_h if empty_h > 0 else math.nan,
        by_distractor=by,
        det=DetCurve.build(results, empty_h, cfg) if with_det else None,
        cfg=cfg,
    )


def _fmt(x: float, spec: str = ".3f") -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, spec)


def compare(reports: dict[str, Report], target_recall: float = 0.99) -> str:
    """Side-by-side text table of several detectors' reports (one column each)."""
    names = list(reports)
    first = next(iter(reports.values()), None)
    near_m = first.cfg.near_m if first else 2.0
    rows: list[tuple[str, list[str]]] = []

    def ev_rows(title: str, attr: str) -> None:
        st = [getattr(r, attr) for r in reports.values()]
        rows.append((f"{title} recall", [
            f"{_fmt(s.recall)} ({s.n_detected}/{s.n_events})" for s in st]))
        rows.append((f"{title} latency median (s)", [_fmt(s.latency_median_s, ".2f") for s in st]))
        rows.append((f"{title} latency p90 (s)", [_fmt(s.latency_p90_s, ".2f") for s in st]))

    rows.append(("recordings / hours", [
        f"{r.n_recordings} / {r.duration_h:.3f}" for r in reports.values()]))
    ev_rows("major", "major")
    ev_rows("minor", "minor")
    ev_rows(f"minor <= {near_m:g} m", "minor_near")
    bands = [k for k in first.major_by_range if first.major_by_range[k].n_events] if first else []
    for band in bands:  # the detection range: recall against the nearest distance reached
        cells = []
        for r in reports.values():
            s = r.major_by_range.get(band)
            cells.append("-" if s is None else f"{_fmt(s.recall)} ({s.n_detected}/{s.n_events})")
        rows.append((f"  major recall {band}", cells))
    rows.append(("scored empty hours", [f"{r.empty_h:.3f}" for r in reports.values()]))
    rows.append(("false alarms / hour", [
        f"{_fmt(r.fa_per_hour, '.2f')} ({r.false_alarms})" for r in reports.values()]))
    rows.append(("alarm time in empty room", [
        _fmt(r.alarm_fraction * 100, ".2f") + (" %" if math.isfinite(r.alarm_fraction) else "")
        for r in reports.values()]))
    keys = sorted({k for r in reports.values() for k in r.by_distractor})
    for k in keys:
        cells = []
        for r in reports.values():
            d = r.by_distractor.get(k)
            cells.append(
                "-" if d is None else f"{_fmt(d.fa_per_hour, '.2f')} ({d.false_alarms}/"
                f"{d.empty_h:.3f} h)"
            )
        rows.append((f"  FA/h with {k}", cells))
    for within in (None, *(first.cfg.within_m if first else ())):
        ops = [r.operating_point(target_recall, within) for r in reports.values()]
        where = "" if within is None else f" < {within:g} m"
        rows.append((f"FA/h @ {target_recall:.0%} major recall{where}", [
            "-" if op is None else f"{_fmt(op.fa_per_hour, '.2f')} (thr {op.threshold:.3g})"
            for op in ops]))
    w0 = max(len(r[0]) for r in rows)
    widths = [max(len(n), *(len(r[1][i]) for r in rows)) for i, n in enumerate(names)]
    lines = ["  ".join([" " * w0, *(n.rjust(w) for n, w in zip(names, widths, strict=True))])]
    for title, cells in rows:
        lines.append("  ".join(
            [title.ljust(w0), *(c.rjust(w) for c, w in zip(cells, widths, strict=True))]))
    return "\n".join(lines)


def plot_det(
    reports: dict[str, Report], path: str | Path, target_recall: float | None = 0.99
) -> Path:
    """DET curves (miss rate of major events vs FA/h, log-log) of several detectors -> PNG.

    Zero FA/h is drawn at half the resolution of the smallest corpus (0.5 / empty hours),
    zero miss rate at half of 1 / events; the floors are noted on the axes.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 4.5))
    fa_floor = min((0.5 / r.empty_h for r in reports.values() if r.empty_h > 0), default=0.1)
    miss_floor = min(
        (0.5 / r.major.n_events for r in reports.values() if r.major.n_events), default=1e-3
    )
    for name, r in reports.items():
        if r.det is None or r.det.thresholds.size == 0:
            continue
        x = np.maximum(r.det.fa_per_hour_env, fa_floor)
        y = np.maximum(r.det.miss_rate, miss_floor)
        (line,) = ax.step(x, y, where="post", label=name)
        if target_recall is not None:
            op = r.operating_point(target_recall)
            if op is not None and math.isfinite(op.fa_per_hour):
                ax.plot(max(op.fa_per_hour, fa_floor), max(1 - op.recall, miss_floor), "o",
                        color=line.get_color())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"false alarms per hour of empty room (floor {fa_floor:.2g} = none)")
    ax.set_ylabel(f"major-motion miss rate (floor {miss_floor:.2g} = none)")
    if target_recall is not None:
        ax.axhline(max(1 - target_recall, miss_floor), color="grey", lw=0.8, ls="--")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title("DET: threshold sweep over detector scores")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
