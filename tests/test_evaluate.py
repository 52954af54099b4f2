"""Evaluation protocol against hand-computed ground truth on small synthetic label sets."""

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

from uspd.errors import ConfigError, InputError
from uspd.evaluate import (
    NO_DISTRACTOR,
    DetCurve,
    EvalConfig,
    compare,
    count_false_alarms,
    counted_empty,
    distractor_key,
    evaluate_corpus,
    evaluate_recording,
    false_alarm_counts,
    false_alarm_runs,
    plot_det,
)
from uspd.labels import DistractorSpan, Labels, Segment

HOP = 0.025


def make_labels(segs, distractors=(), duration=None):
    segments = tuple(Segment(a, b, lab, d) for a, b, lab, *rest in segs for d in [
        rest[0] if rest else None])
    return Labels(
        fs_hz=48000, carrier_hz=20000.0, duration_s=duration or segs[-1][1], n_mics=1,
        segments=segments,
        distractors=tuple(DistractorSpan(a, b, k) for a, b, k in distractors),
    )


def times(duration):
    n = round(duration / HOP)
    return np.round(np.arange(1, n + 1) * HOP, 6)


def decisions(t, on_intervals=(), score=None):
    """motion True for t in any closed [a, b]; score defaults to motion as 0/1."""
    motion = np.zeros(t.size, bool)
    for a, b in on_intervals:
        motion |= (t >= a - 1e-9) & (t <= b + 1e-9)
    s = motion.astype(float) if score is None else score
    return SimpleNamespace(t_s=t, motion=motion, score=s)


def test_hit_window_end_plus_grace():
    lab = make_labels([(0, 2, "empty"), (2, 4, "major"), (4, 10, "still")])
    t = times(10)
    hit = evaluate_recording(decisions(t, [(4.4, 4.4)]), lab)
    late = evaluate_recording(decisions(t, [(4.6, 4.6)]), lab)
    (ev_hit,) = hit.events
    (ev_late,) = late.events
    assert ev_hit.detected and ev_hit.latency_s == pytest.approx(2.4)
    assert not ev_late.detected and math.isnan(ev_late.latency_s)
    # motion in still time is neither a hit nor a false alarm
    assert hit.false_alarms == [] and late.false_alarms == []


def test_events_cut_by_the_recording_end_count_only_with_grace_left():
    # a walk starting 20 ms before the last decision (as in the eleventh corpus's random
    # 999904252) is left out; one starting grace_s before it is scored, hit or miss
    t = times(10)
    cut = make_labels([(0, 9.98, "empty"), (9.98, 10, "major")])
    assert evaluate_recording(decisions(t), cut).events == []
    assert evaluate_recording(decisions(t, [(10, 10)]), cut).events == []
    kept = make_labels([(0, 9.5, "empty"), (9.5, 10, "major")])
    (missed,) = evaluate_recording(decisions(t), kept).events
    (hit,) = evaluate_recording(decisions(t, [(10, 10)]), kept).events
    assert not missed.detected and hit.detected and hit.latency_s == pytest.approx(0.5)
    # one hop later is already too late to be scored
    late = make_labels([(0, 9.5 + HOP, "empty"), (9.5 + HOP, 10, "major")])
    assert evaluate_recording(decisions(t), late).events == []


def test_latency_median_and_p90():
    lab = make_labels([
        (0, 2, "empty"), (2, 4, "major"), (4, 6, "still"), (6, 8, "major"),
        (8, 10, "still"), (10, 12, "major"), (12, 20, "still"), (20, 22, "major"),
        (22, 30, "still"),
    ])
    t = times(30)
    dec = decisions(t, [(2.1, 3.0), (6.3, 6.5), (11.0, 11.0)])  # 4th event missed
    rep = evaluate_corpus([(dec, lab)])
    assert rep.major.n_events == 4 and rep.major.n_detected == 3
    assert rep.major.recall == pytest.approx(0.75)
    lat = np.array([0.1, 0.3, 1.0])
    assert rep.major.latency_median_s == pytest.approx(0.3)
    # p90 of three values by linear interpolation: 0.3 + 0.8 * (1.0 - 0.3)
    assert rep.major.latency_p90_s == pytest.approx(0.3 + 0.8 * 0.7)
    assert rep.major.latency_p90_s == pytest.approx(np.percentile(lat, 90))


def test_minor_recall_all_and_near():
    lab = make_labels([
        (0, 1, "still"), (1, 2, "minor", 1.0), (2, 3, "still"), (3, 4, "minor", 3.0),
        (4, 5, "still"), (5, 6, "minor", 1.5), (6, 8, "still"),
    ])
    t = times(8)
    dec = decisions(t, [(1.2, 1.3), (3.5, 3.6)])  # near 1.0 m hit, far hit, near 1.5 m missed
    rep = evaluate_corpus([(dec, lab)])
    assert (rep.minor.n_events, rep.minor.n_detected) == (3, 2)
    assert (rep.minor_near.n_events, rep.minor_near.n_detected) == (2, 1)
    assert rep.minor_near.recall == pytest.approx(0.5)
    assert rep.major.n_events == 0 and math.isnan(rep.major.recall)


def test_major_recall_by_distance_band():
    # walkers at 1.2, 2.0 (the edge goes up), 3.5 and 4.0 m and one with no distance;
    # hits: the 1.2 m, the 3.5 m and the undistanced one
    lab = make_labels([
        (0, 1, "empty"), (1, 2, "major", 1.2), (2, 3, "still"), (3, 4, "major", 2.0),
        (4, 5, "still"), (5, 6, "major", 3.5), (6, 7, "still"), (7, 8, "major", 4.0),
        (8, 9, "still"), (9, 10, "major"), (10, 12, "still"),
    ])
    t = times(12)
    dec = decisions(t, [(1.5, 1.5), (5.5, 5.5), (9.5, 9.5)])
    rep = evaluate_corpus([(dec, lab)])
    got = {k: (s.n_events, s.n_detected) for k, s in rep.major_by_range.items()}
    assert got == {"< 2 m": (1, 1), "2-3 m": (1, 0), "3-4 m": (1, 1), ">= 4 m": (1, 0)}
    assert (rep.major.n_events, rep.major.n_detected) == (5, 3)  # the overall figure: all
    wide = evaluate_corpus([(dec, lab)], EvalConfig(range_edges_m=(3.0,)))
    assert {k: s.recall for k, s in wide.major_by_range.items()} == {"< 3 m": 0.5,
                                                                     ">= 3 m": 0.5}
    assert "major recall 2-3 m" in compare({"x": rep})
    assert json.loads(json.dumps(rep.to_dict()))["major_by_range"]["3-4 m"]["n_detected"] == 1
    with pytest.raises(ConfigError, match="increasing"):
        EvalConfig(range_edges_m=(3.0, 2.0))


def test_short_gaps_merge_into_one_event():
    lab = make_labels([(0, 1, "empty"), (1, 2, "major"), (2, 2.2, "still"), (2.2, 3, "major"),
                       (3, 6, "still"), (6, 7, "major"), (7, 9, "still")])
    t = times(9)
    res = evaluate_recording(decisions(t, [(2.5, 2.5)]), lab)
    majors = [e for e in res.events if e.label == "major"]
    assert [(e.start, e.end) for e in majors] == [(1, 3), (6, 7)]
    assert majors[0].detected and majors[0].latency_s == pytest.approx(1.5)
    res0 = evaluate_recording(decisions(t, [(2.5, 2.5)]), lab, EvalConfig(merge_gap_s=0.0))
    assert len([e for e in res0.events if e.label == "major"]) == 3


def test_run_of_motion_in_empty_time_is_one_false_alarm():
    lab = make_labels([(0, 36, "empty")])
    t = times(36)
    five = 10 * HOP + np.arange(5) * HOP  # five consecutive decisions
    rep = evaluate_corpus([(decisions(t, [(five[0], five[-1])]), lab)])
    assert rep.false_alarms == 1
    # two runs separated by a single quiet decision: two false alarms
    rep2 = evaluate_corpus([(decisions(t, [(1.0, 1.1), (1.15, 1.3)]), lab)])
    assert rep2.false_alarms == 2
    # FA/h = count / scored empty hours = 2 / (1440 decisions * 25 ms) = 2 / 0.01 h
    assert rep2.empty_h == pytest.approx(36 / 3600)
    assert rep2.fa_per_hour == pytest.approx(200.0)


def test_after_leave_exclusion():
    lab = make_labels([(0, 2, "empty"), (2, 4, "major"), (4, 10, "empty")])
    t = times(10)
    counted = counted_empty(lab, t, 1.5)
    assert not counted[(t >= 4.0) & (t < 5.5 - 1e-9)].any()
    assert counted[(t >= 5.5) & (t <= 10)].all()
    assert counted[t < 2].all()
    # motion held from the event until 1.45 s after the leave: no false alarm
    assert evaluate_corpus([(decisions(t, [(2.1, 5.45)]), lab)]).false_alarms == 0
    # held until 6.0 s: the part after 5.5 s is one false alarm
    rep = evaluate_corpus([(decisions(t, [(2.1, 6.0)]), lab)])
    assert rep.false_alarms == 1 and rep.major.recall == 1.0
    # scored empty time: [0, 2) and [5.5, 10] -> 79 + 181 decisions of 25 ms
    n_counted = np.count_nonzero(counted)
    assert n_counted == 79 + 181
    assert rep.empty_h == pytest.approx(n_counted * HOP / 3600)


def test_skip_start_leaves_the_cold_start_unscored_and_scores_events_as_always():
    # empty 0-8 s, a walker 8-10 s, empty to 30 s; alarms at 2 s (start-up), 5.9-6.5 s
    # (across the boundary) and 20 s
    lab = make_labels([(0, 8, "empty"), (8, 10, "major"), (10, 30, "empty")])
    t = times(30)
    dec = decisions(t, [(2.0, 2.2), (5.9, 6.5), (8.3, 9.0), (20.0, 20.1)])
    full = evaluate_corpus([(dec, lab)])
    cfg = EvalConfig(skip_start_s=6.0)
    steady = evaluate_corpus([(dec, lab)], cfg)
    assert full.false_alarms == 3
    # the 2 s alarm is gone; the one still on at 6 s counts from there (as after a leave)
    assert steady.false_alarms == 2
    assert full.major.recall == steady.major.recall == 1.0
    assert full.major.latency_median_s == steady.major.latency_median_s
    # 6 s less empty time: decisions at 0.025 ... 5.975 s (239 of them) are not scored
    assert (full.empty_h - steady.empty_h) * 3600 == pytest.approx(239 * HOP)
    counted = counted_empty(lab, t, 1.5, 6.0)
    assert not counted[t < 6.0].any() and counted[(t >= 6.0) & (t < 8.0)].all()
    with pytest.raises(ConfigError, match="skip_start_s"):
        EvalConfig(skip_start_s=-1.0)


def test_false_alarms_by_distractor():
    lab = make_labels([(0, 36, "empty")], distractors=[(0, 18, "fan"), (10, 12, "curtain")])
    t = times(36)
    dec = decisions(t, [(5, 5.2), (11, 11.1), (20, 21), (25, 25)])
    rep = evaluate_corpus([(dec, lab)])
    by = rep.by_distractor
    assert by["fan"].false_alarms == 1 and by["curtain+fan"].false_alarms == 1
    assert by["none"].false_alarms == 2
    tol = 1.5 * HOP / 3600
    assert by["fan"].empty_h == pytest.approx(16 / 3600, abs=tol)
    assert by["curtain+fan"].empty_h == pytest.approx(2 / 3600, abs=tol)
    assert by["none"].empty_h == pytest.approx(18 / 3600, abs=tol)
    assert sum(d.empty_h for d in by.values()) == pytest.approx(rep.empty_h)
    assert by["none"].fa_per_hour == pytest.approx(2 / by["none"].empty_h)


def test_det_curve_monotone_and_exact():
    rng = np.random.default_rng(3)
    segs, start = [], 0.0
    for i in range(12):
        segs.append((start, start + 6.0, "empty"))
        segs.append((start + 6.0, start + 8.0, "major" if i % 3 else "minor", 1.0))
        start += 8.0
    segs.append((start, start + 6.0, "empty"))
    lab = make_labels(segs)
    t = times(lab.duration_s)
    lbl = np.array([lab.label_at(x) for x in t])
    score = np.clip(rng.normal(0.3, 0.15, t.size) + 0.35 * (lbl == "major"), 0, 1)

    def run(thr):
        dec = SimpleNamespace(t_s=t, motion=score >= thr, score=score)
        return evaluate_corpus([(dec, lab)], with_det=False)

    rep = evaluate_corpus([(SimpleNamespace(t_s=t, motion=score >= 0.5, score=score), lab)])
    det = rep.det
    assert np.all(np.diff(det.thresholds) < 0)
    assert np.all(np.diff(det.miss_rate) <= 1e-12)
    assert np.all(np.diff(det.fa_per_hour_env) >= -1e-9)
    assert np.all(det.fa_per_hour_env <= det.fa_per_hour + 1e-9)
    assert det.miss_rate[0] == 1.0 and det.fa_per_hour[0] == 0.0
    assert det.miss_rate[-1] == 0.0
    # each point of the sweep equals re-running the protocol with motion = score >= thr
    for i in (5, 50, 120, det.thresholds.size - 1):
        r = run(det.thresholds[i])
        assert det.fa_count[i] == r.false_alarms
        assert det.miss_rate[i] == pytest.approx(1.0 - r.major.recall)
    op = rep.operating_point(0.99)
    r = run(op.threshold)
    assert op.recall >= 0.99 and r.major.recall >= 0.99
    assert op.false_alarms == r.false_alarms and op.fa_per_hour == pytest.approx(r.fa_per_hour)
    # the highest threshold reaching the target does no better, and anything above misses
    thr_hi = np.sort(det.event_max)[0]
    assert run(thr_hi).false_alarms >= op.false_alarms
    assert run(thr_hi + 1e-9).major.recall < 0.99


def test_operating_point_within_a_range():
    # ten near walkers (1 m, score 0.9), two far ones (4.5 m, 0.4), one without a distance
    # (0.3); three brief 0.5 spikes in the empty time. 99 % of all walkers needs a threshold
    # at 0.3 and takes all three spikes; 99 % of those within 3 m is met at 0.9 with none.
    segs, start, spikes, event_score = [], 0.0, [], []
    walkers = [(1.0, 0.9)] * 10 + [(4.5, 0.4)] * 2 + [(None, 0.3)]
    for i, (dist, sc) in enumerate(walkers):
        segs.append((start, start + 10.0, "empty"))
        if i < 3:
            spikes.append(start + 5.0)
        segs.append((start + 10.0, start + 12.0, "major", dist))
        event_score.append((start + 10.0, start + 12.0, sc))
        start += 12.0
    segs.append((start, start + 10.0, "empty"))
    lab = make_labels(segs)
    t = times(lab.duration_s)
    score = np.full(t.size, 0.1)
    for a, b, sc in event_score:
        score[(t >= a) & (t < b)] = sc
    for a in spikes:
        score[(t >= a) & (t < a + 0.1)] = 0.5
    dec = SimpleNamespace(t_s=t, motion=score >= 0.5, score=score)
    rep = evaluate_corpus([(dec, lab)], EvalConfig(within_m=(3.0, 5.0)))
    every = rep.operating_point(0.99)
    assert (every.threshold, every.false_alarms, every.within_m) == (0.3, 3, None)
    near = rep.operating_point(0.99, within_m=3.0)
    assert (near.threshold, near.false_alarms, near.recall, near.within_m) == (0.9, 0, 1.0, 3.0)
    # within 5 m the far walkers count again (the one without a distance never does)
    assert rep.operating_point(0.99, within_m=5.0).threshold == 0.4
    assert rep.det.recall_at(0.9) == pytest.approx(10 / 13)
    assert rep.det.recall_at(0.9, within_m=5.0) == pytest.approx(10 / 12)
    table = compare({"x": rep})
    assert "FA/h @ 99% major recall < 3 m" in table and "< 5 m" in table
    ops = json.loads(json.dumps(rep.to_dict()))["operating_points_within"]
    assert ops["0.99 within 3 m"]["false_alarms"] == 0
    assert ops["0.99 within 5 m"]["false_alarms"] == 3
    assert rep.operating_point(0.99, within_m=0.5) is None  # nobody came that near
    with pytest.raises(ConfigError, match="within"):
        EvalConfig(within_m=(3.0, 2.0))


def test_det_curve_resolves_scores_crowded_near_one():
    # a confident detector: events score 1 - 1e-4 .. 1 - 1e-3, empty time mostly ~0 with a few
    # hops up to 0.99; the perfect point (no miss, no false alarm) must be on the curve even
    # though the rank-spaced grid of hop scores has no value in (0.99, 1)
    segs, start = [], 0.0
    for _ in range(10):
        segs += [(start, start + 20.0, "empty"), (start + 20.0, start + 22.0, "major", 1.0)]
        start += 22.0
    lab = make_labels(segs)
    t = times(lab.duration_s)
    rng = np.random.default_rng(5)
    score = rng.uniform(0.0, 1e-3, t.size)
    score[rng.choice(t.size, 30, replace=False)] = 0.99
    major = np.array([lab.label_at(x) == "major" for x in t])
    score[major] = 1.0 - rng.uniform(1e-4, 1e-3, major.sum())
    det = evaluate_corpus([(SimpleNamespace(t_s=t, motion=major, score=score), lab)]).det
    perfect = (det.miss_rate == 0.0) & (det.fa_count == 0)
    assert perfect.any()


def test_stuck_output_keeps_counting():
    lab = make_labels([(0, 36, "empty")])
    t = times(36)
    rep = evaluate_corpus([(decisions(t, [(0, 36)]), lab)])
    # one run from 0.025 s to 36 s: 1 + floor(35.975 / 10) false alarms
    assert rep.false_alarms == 4
    assert rep.alarm_fraction == pytest.approx(1.0)
    short = evaluate_corpus([(decisions(t, [(1, 10.99)]), lab)], cfg=EvalConfig(fa_repeat_s=5))
    assert short.false_alarms == 2


def test_false_alarm_runs_helper():
    m = np.array([0, 1, 1, 1, 0, 1, 1, 0, 1], bool)
    c = np.array([1, 1, 1, 0, 1, 1, 1, 1, 1], bool)
    assert false_alarm_runs(m, c) == [(1, 2), (5, 6), (8, 8)]
    curve = DetCurve.build([], 0.0, EvalConfig())
    assert curve.operating_point(0.9) is None


def test_report_outputs(tmp_path):
    lab = make_labels([(0, 2, "empty"), (2, 4, "major", 1.2), (4, 10, "empty")],
                      distractors=[(6, 10, "fan")])
    t = times(10)
    a = evaluate_corpus([(decisions(t, [(2.2, 3.0), (7.0, 7.1)]), lab)], name="baseline")
    b = evaluate_corpus([(decisions(t, [(2.1, 3.0)]), lab)], name="neural")
    d = a.to_dict()
    json.dumps(d)
    assert d["major"]["recall"] == 1.0 and d["false_alarms"] == 1
    assert d["minor"]["recall"] is None
    table = compare({"baseline": a, "neural": b})
    assert "baseline" in table and "neural" in table and "false alarms / hour" in table
    assert "FA/h with fan" in table
    assert a.format_table().splitlines()[0].strip() == "baseline"
    png = plot_det({"baseline": a, "neural": b}, tmp_path / "det.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_decisions():
    lab = make_labels([(0, 2, "empty")])
    with pytest.raises(InputError):
        evaluate_recording(SimpleNamespace(t_s=np.arange(3.0), motion=np.zeros(2, bool),
                                           score=np.zeros(3)), lab)
    with pytest.raises(InputError):
        evaluate_recording(SimpleNamespace(t_s=np.array([1.0, 0.5]), motion=np.zeros(2, bool),
                                           score=np.zeros(2)), lab)


def test_distractor_key_names_the_kinds_active_at_each_decision():
    # overlapping spans, two of one kind, one that never covers a decision; each decision's
    # key is the sorted set of kinds whose [start, end) holds it, checked one by one
    spans = (DistractorSpan(1.0, 5.0, "fan"), DistractorSpan(3.0, 8.0, "music"),
             DistractorSpan(4.0, 4.5, "fan"), DistractorSpan(6.0, 6.01, "curtain"),
             DistractorSpan(9.0, 9.0, "ultrasonic"))
    labels = Labels(96000, 4e4, 10.0, 4, (Segment(0.0, 10.0, "empty"),), spans)
    t = np.arange(1, 401) * 0.025
    want = []
    for ti in t:
        kinds = sorted({d.kind for d in spans if d.start <= ti < d.end})
        want.append("+".join(kinds) or NO_DISTRACTOR)
    assert distractor_key(labels, t).tolist() == want
    assert {"fan", "fan+music", "music", "none"} <= set(want)
    bare = Labels(96000, 4e4, 10.0, 4, (Segment(0.0, 10.0, "empty"),))
    assert distractor_key(bare, t).tolist() == [NO_DISTRACTOR] * t.size


def test_false_alarm_counts_of_all_thresholds_equal_the_count_at_each():
    # scores with ties, unscored hops (-inf) and recording breaks (nan time, -inf score),
    # runs long enough to repeat (repeat 1 s at 0.025 s hops): the one-pass count must give
    # count_false_alarms' figure at every threshold, in any order of thresholds
    rng = np.random.default_rng(4)
    parts_t, parts_s = [], []
    for n in (700, 1, 300, 1200):
        s = np.round(rng.uniform(0, 1, n), 2)
        s[rng.uniform(size=n) < 0.1] = -np.inf
        s[100:160 if n > 160 else 0] = 0.995  # a long run above most thresholds
        parts_t += [np.arange(1, n + 1) * 0.025, [np.nan]]
        parts_s += [s, [-np.inf]]
    t, s = np.concatenate(parts_t), np.concatenate(parts_s)
    thr = np.r_[np.inf, rng.permutation(np.unique(s[np.isfinite(s)])), 0.9951, -1.0]
    want = [count_false_alarms(t, s >= x, np.ones(t.shape, bool), 1.0) for x in thr]
    got = false_alarm_counts(t, s, thr, 1.0)
    assert got.tolist() == want
    assert max(want) > 100 and want[0] == 0
