"""Decision tuning on validation recordings scores what the deployed detector would do."""

import json
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest

from uspd.errors import ConfigError
from uspd.labels import Labels, Segment
from uspd.model.dataset import Recording
from uspd.model.runtime import ColdStart
from uspd.model.train_config import TrainConfig
from uspd.model.train_job import _tune_into
from uspd.model.tune import (
    ON_HOPS,
    THRESHOLDS,
    empty_family_report,
    held_score_fa_per_hour,
    held_score_report,
    in_empty_family,
    tune_decision,
    weakest_major_events,
)

HOP = 0.025
WARM_UP = 47


class ScriptedNetwork:
    """Logits: 'major' for the first `loud` hops (the zero start state of a real network can
    look like this), then 'nothing'."""

    def __init__(self, loud):
        self.loud = loud

    def process(self, x):
        logits = np.zeros((x.shape[0], 4))
        logits[: self.loud, 3] = 20.0
        logits[self.loud :, 0] = 20.0
        return logits


def bundle(loud, cold=None):
    return SimpleNamespace(warm_up_hops=WARM_UP, cold_start=cold or ColdStart(),
                           network=lambda: ScriptedNetwork(loud))


def empty_recording(n_hops=800):
    t = np.arange(1, n_hops + 1) * HOP
    labels = Labels(96000, 4e4, n_hops * HOP, 4, (Segment(0.0, n_hops * HOP, "empty"),))
    return Recording(np.zeros((n_hops, 40), np.float32), np.zeros(n_hops, np.int64), t, labels)


def test_start_state_within_warm_up_is_not_a_false_alarm():
    # the detector reports no motion during its warm-up, so tuning must not count it
    tuned = tune_decision(bundle(WARM_UP - 5), [empty_recording()], evidence_hops=(1,))
    assert tuned.false_alarms == 0
    # past the warm-up the same scores are a false alarm for every setting
    tuned = tune_decision(bundle(WARM_UP + 20), [empty_recording()], evidence_hops=(1,))
    assert tuned.false_alarms == 1


@dataclass(frozen=True)
class ManifestBundle:
    """A bundle whose cold start comes from its manifest's decision, as ModelBundle's does."""

    loud: int
    manifest: dict

    warm_up_hops = WARM_UP

    @property
    def cold_start(self):
        d = self.manifest.get("decision", {})
        if "cold_start_s" not in d:
            return ColdStart()
        return ColdStart(round(d["cold_start_s"] / HOP), d["cold_start_shift"])

    def network(self):
        return ScriptedNetwork(self.loud)


def test_the_tuner_scores_with_the_cold_start_and_a_retune_keeps_it():
    # the start state's certain "major" (20 nats) past the warm-up is a false alarm for every
    # setting; a cold start over those hops lowering them by 40 nats leaves none
    loud, rec = WARM_UP + 20, empty_recording()
    assert tune_decision(bundle(loud), [rec], evidence_hops=(1,)).false_alarms == 1
    cold = bundle(loud, ColdStart(loud, 40.0))
    assert tune_decision(cold, [rec], evidence_hops=(1,)).false_alarms == 0
    want = tune_decision(cold, [rec], det_scope="all", evidence_hops=(1,))
    start = {"cold_start_s": loud * HOP, "cold_start_shift": 40.0}
    # a retune (uspd tune) rewrites the decision, keeps the start-up keys and scores with them
    manifest = {"decision": {"threshold": 0.5, "on_hops": 9, "warm_up_s": 1.0, **start}}
    _tune_into(manifest, ManifestBundle(loud, manifest), [rec], "all", (1,),
               echo=lambda text: None)
    assert manifest["decision"] == {**want.manifest(), "warm_up_s": 1.0, **start}
    # a recipe's cold start (uspd train / tune with [train] cold_start_s, _shift) likewise
    manifest = {"decision": {"threshold": 0.5}}
    _tune_into(manifest, ManifestBundle(loud, {}), [rec], "all", (1,), echo=lambda text: None,
               start=start)
    assert manifest["decision"] == {**want.manifest(), **start}
    assert want.false_alarms == 0 and want.manifest() != tune_decision(
        bundle(loud), [rec], det_scope="all", evidence_hops=(1,)).manifest()


def test_a_recipes_cold_start_is_checked_and_becomes_decision_keys():
    assert TrainConfig().decision_start() == {}
    assert TrainConfig(cold_start_s=3.0).decision_start() == {}  # no shift: none
    cfg = TrainConfig(cold_start_s=3.0, cold_start_shift=2.0)
    cfg.validate()
    assert cfg.decision_start() == {"cold_start_s": 3.0, "cold_start_shift": 2.0}
    for bad in ({"cold_start_s": -1.0}, {"cold_start_shift": -0.5},
                {"cold_start_shift": float("nan")}, {"cold_start_s": 4000.0}):
        with pytest.raises(ConfigError, match="cold_start"):
            TrainConfig(**bad).validate()


def test_no_setting_within_the_budget_falls_back_to_the_strictest_and_says_so():
    # certain "major" past the warm-up: a false alarm for every setting, so none meets a
    # budget of 0; the result is the strictest setting, marked unmeasured (false_alarms -1)
    tuned = tune_decision(bundle(WARM_UP + 20), [empty_recording()], max_false_alarms=0,
                           evidence_hops=(1,))
    assert tuned.false_alarms == -1 and np.isnan(tuned.major_recall)
    assert tuned.threshold == THRESHOLDS[-1] and tuned.on_hops == max(ON_HOPS)
    validation = json.loads(json.dumps(tuned.manifest(), allow_nan=False))["validation"]
    assert validation["major_recall"] is None and validation["false_alarms"] == -1


class ScoreNetwork:
    """Logits that give exactly p_human = p (per hop)."""

    def __init__(self, p):
        self.p = np.asarray(p, float)

    def process(self, x):
        p = self.p[: x.shape[0]]
        logits = np.full((p.size, 4), -50.0)
        logits[:, 0] = 0.0
        logits[:, 3] = np.log(p / (1.0 - p))
        return logits


def scored_recording(p, segs):
    """A network whose p_human is `p` per hop (no warm-up), and a recording labelled `segs`."""
    n = len(p)
    labels = Labels(96000, 4e4, n * HOP, 4, tuple(segs))
    rec = Recording(np.zeros((n, 40), np.float32), np.zeros(n, np.int64),
                    np.arange(1, n + 1) * HOP, labels)
    net = SimpleNamespace(warm_up_hops=0, cold_start=ColdStart(),
                          network=lambda: ScoreNetwork(np.asarray(p)))
    return net, rec


def test_off_rule_is_tuned_so_motion_ends_before_the_scored_empty_time():
    # a person walks for 5 s and leaves; p_human lingers at 0.7 for 1.4 s, then drops. With the
    # default off rule (below 0.6 x threshold <= 0.594 for 0.4 s) motion lasts to 6.8 s, past
    # the 1.5 s grace after leaving: a false alarm. The quicker rule (below 0.8 x threshold
    # for 0.2 s) ends it at 5.2 s once the threshold is >= 0.9.
    n = 800
    t = np.arange(1, n + 1) * HOP
    p = np.where(t <= 5.0, 0.999, np.where(t <= 6.4, 0.7, 0.001))
    net, rec = scored_recording(p, [Segment(0.0, 5.0, "major"), Segment(5.0, n * HOP, "empty")])
    tuned = tune_decision(net, [rec], max_false_alarms=0)
    assert tuned.false_alarms == 0 and tuned.major_recall == 1.0
    assert (tuned.off_ratio, tuned.off_s) == (0.8, 0.2) and tuned.threshold >= 0.9


def faint_walkers_and_flickers():
    """10 clear walkers (p 0.999 for 2 s), 2 faint ones (0.975 for 2 s) and one brief one
    (0.999 for 3 hops); after each, 6 s of empty room, the first two with a 3-hop flicker at
    0.978."""
    p, segs, t0 = [], [], 0.0
    for i, (level, n_on) in enumerate([(0.999, 80)] * 10 + [(0.975, 80)] * 2 + [(0.999, 3)]):
        p += [level] * n_on
        segs.append(Segment(t0, t0 + n_on * HOP, "major"))
        t0 += n_on * HOP
        p += [0.01] * 120 + [0.978 if i < 2 else 0.01] * 3 + [0.01] * 117
        segs.append(Segment(t0, t0 + 240 * HOP, "empty"))
        t0 += 240 * HOP
    return scored_recording(p, segs)


def test_a_recall_floor_takes_the_fewest_false_alarms_that_reach_it():
    # faint_walkers_and_flickers per hop (hold 1 from stage 0): within one false alarm the
    # budget finds 11 of 13 walkers (the clear ones, above the flickers at 0.978); a floor of
    # 12/13 must go down to the faint walkers' 0.975, under both flickers (2 false alarms); a
    # floor of 10/13 takes the fewest false alarms, none, at the highest recall with none
    net, rec = faint_walkers_and_flickers()
    budget = tune_decision(net, [rec], max_false_alarms=1, det_recall=1.0, evidence_hops=(1,))
    assert budget.major_recall == 11 / 13 and budget.false_alarms <= 1
    assert budget.min_major_recall is None
    assert "min_major_recall" not in budget.manifest()["validation"]
    parity = tune_decision(net, [rec], det_recall=1.0, evidence_hops=(1,),
                           min_major_recall=12 / 13)
    assert parity.major_recall >= 12 / 13 and parity.false_alarms == 2
    assert parity.threshold <= 0.975
    assert parity.manifest()["validation"]["min_major_recall"] == 12 / 13
    low = tune_decision(net, [rec], det_recall=1.0, evidence_hops=(1,), min_major_recall=0.75)
    assert low.false_alarms == 0 and low.major_recall == 11 / 13
    # a floor no setting reaches: the loosest setting, its figures marked unmeasured
    net, rec = scored_recording([0.01] * 400, [Segment(0.0, 2.0, "major"),
                                               Segment(2.0, 10.0, "empty")])
    none = tune_decision(net, [rec], evidence_hops=(1,), min_major_recall=1.0)
    assert none.false_alarms == -1 and none.threshold == THRESHOLDS[0]
    assert none.on_hops == ON_HOPS[0]
    for bad in (0.0, 1.5, True, "0.9"):
        with pytest.raises(ConfigError, match="min_major_recall"):
            tune_decision(net, [rec], min_major_recall=bad)


def test_hold_is_chosen_by_the_held_score_at_the_target_recall():
    # 10 clear walkers (p 0.999 for 2 s), 2 faint ones (0.975 for 2 s) and one brief one (0.999
    # for 3 hops); after each, 6 s of empty room, two of them with a 3-hop flicker at 0.978. A
    # hold of 4+ hops never sees the brief walker, so reaching every walker with it costs a
    # threshold at the background (a false alarm in each of the 13 empty stretches); holds of
    # 1-2 reach all at 0.975 with the 2 flickers as false alarms. At its own operating point
    # (<= 1 false alarm) the long hold finds more walkers (the faint ones, under the
    # flickers), which is what the tuner without stage 0 picks.
    net, rec = faint_walkers_and_flickers()
    tuned = tune_decision(net, [rec], det_recall=1.0, evidence_hops=(1,))
    det = tuned.det_fa_per_hour
    assert tuned.on_hops == 1 and det[1] == det[2] < det[4] / 5
    assert tuned.false_alarms <= 1 and tuned.major_recall == 11 / 13
    old = tune_decision(net, [rec], det_recall=None)
    assert old.on_hops >= 4 and old.major_recall == 12 / 13 and old.det_fa_per_hour is None


def test_thresholds_above_0999_keep_the_hold_of_stage_0():
    # walkers at p 0.99995 and a distractor sustained at 0.9992 in the empty room: only a
    # threshold above 0.999 separates them, so a grid ending at 0.999 meets the false-alarm
    # budget with no hold at all and falls back to its strictest setting
    p, segs, t0 = [], [], 0.0
    for _ in range(4):
        p += [0.99995] * 80
        segs.append(Segment(t0, t0 + 80 * HOP, "major"))
        t0 += 80 * HOP
        p += [0.01] * 100 + [0.9992] * 40 + [0.01] * 100
        segs.append(Segment(t0, t0 + 240 * HOP, "empty"))
        t0 += 240 * HOP
    net, rec = scored_recording(p, segs)
    tuned = tune_decision(net, [rec], max_false_alarms=0)
    assert tuned.false_alarms == 0 and tuned.major_recall == 1.0
    assert 0.999 < tuned.threshold < 0.99995
    assert tuned.on_hops == min(tuned.det_fa_per_hour, key=lambda k: (tuned.det_fa_per_hour[k], k))


def test_weakest_major_events_rank_by_the_held_peak_within_the_grace():
    n = 400  # 10 s
    t = np.arange(1, n + 1) * HOP
    segs = (Segment(0.0, 2.0, "empty"), Segment(2.0, 3.0, "major"), Segment(3.0, 6.0, "empty"),
            Segment(6.0, 7.0, "major"), Segment(7.0, 10.0, "empty"))
    rec = Recording(np.zeros((n, 40), np.float32), np.zeros(n, np.int64), t,
                    Labels(96000, 4e4, n * HOP, 4, segs))
    score = np.zeros(n)  # hop i ends at (i + 1) HOP
    score[88:92] = 0.9  # 4 hops at 2.2-2.3 s: held over 4 hops still 0.9
    score[248:250] = 0.99  # 2 hops at 6.2 s: held over 4 hops it never counts
    score[288:292] = 0.6  # 4 hops at 7.2-7.3 s, within 0.5 s after the second event
    score[320:340] = 1.0  # 8-8.5 s, after the grace: no event's peak
    rows = weakest_major_events([rec], [score], hold=4)
    assert [(round(p, 6), ev.start) for p, _, ev in rows] == [(0.6, 6.0), (0.9, 2.0)]
    rows = weakest_major_events([rec], [score], hold=1)
    assert [(round(p, 6), ev.start) for p, _, ev in rows] == [(0.9, 2.0), (0.99, 6.0)]


def test_weakest_major_events_are_the_events_the_report_counts():
    # two major segments 0.2 s apart form one event; a walk starting 0.2 s before the
    # recording's end is too late to judge: the list and the report's recall both count 1
    n = 400  # 10 s
    t = np.arange(1, n + 1) * HOP
    segs = (Segment(0.0, 2.0, "empty"), Segment(2.0, 3.0, "major"), Segment(3.0, 3.2, "minor"),
            Segment(3.2, 4.0, "major"), Segment(4.0, 9.8, "empty"), Segment(9.8, 10.0, "major"))
    rec = Recording(np.zeros((n, 40), np.float32), np.zeros(n, np.int64), t,
                    Labels(96000, 4e4, n * HOP, 4, segs))
    score = np.zeros(n)
    score[140:150] = 0.7  # 3.5-3.75 s: inside the merged event's second part
    rows = weakest_major_events([rec], [score], hold=2)
    assert [(round(p, 6), ev.start, ev.end) for p, _, ev in rows] == [(0.7, 2.0, 4.0)]
    assert held_score_report([rec], [score], hold=2).major.n_events == len(rows)


def test_empty_family_scope_counts_false_alarms_in_empty_room_recordings_only():
    # a random scene: a walker (p 0.99 for 2 s), then a flicker at 0.995 in the empty room;
    # an empty-fan scene: one flicker at 0.995. At 100 % recall (threshold <= 0.99) each is a
    # false alarm; the empty-family figure counts only the fan's, per hour of the fan scene
    def rec(scene, p, segs):
        n = len(p)
        labels = Labels(96000, 4e4, n * HOP, 4, tuple(segs), scene=scene)
        return Recording(np.zeros((n, 40), np.float32), np.zeros(n, np.int64),
                         np.arange(1, n + 1) * HOP, labels), np.asarray(p)

    walk = [0.99] * 80 + [0.01] * 150 + [0.995] * 10 + [0.01] * 160
    a = rec("random", walk, [Segment(0.0, 2.0, "major"), Segment(2.0, 10.0, "empty")])
    b = rec("empty-fan", [0.01] * 200 + [0.995] * 10 + [0.01] * 190,
            [Segment(0.0, 10.0, "empty")])
    recs, scores = [a[0], b[0]], [a[1], b[1]]
    assert [in_empty_family(r.labels) for r in recs] == [False, True]
    h_a = held_score_report([a[0]], [a[1]], 1).empty_h
    h_b = held_score_report([b[0]], [b[1]], 1).empty_h
    assert h_a < h_b  # the random scene's 1.5 s after the walker leaves is not scored
    fa_all = held_score_fa_per_hour(recs, scores, 1, 1.0)
    fa_empty = held_score_fa_per_hour(recs, scores, 1, 1.0, "empty-families")
    assert fa_all == pytest.approx(2 / (h_a + h_b))
    assert fa_empty == pytest.approx(1 / h_b)
    fam = empty_family_report(recs, scores, 1)
    assert fam.empty_h == pytest.approx(h_b) and fam.fa_per_hour_at(0.99) == fa_empty
    # without empty-family recordings the figure is undefined, not zero
    assert held_score_fa_per_hour(recs[:1], scores[:1], 1, 1.0, "empty-families") == np.inf
    with pytest.raises(ConfigError, match="selection scope"):
        held_score_fa_per_hour(recs, scores, 1, 1.0, "empty")


def test_evidence_window_is_chosen_by_the_deployed_decision():
    # faint_walkers_and_flickers again: with an 8-hop evidence window the two 3-hop flickers
    # (0.978) average away under the faint walkers' steady 0.975, so the deployed decision
    # finds both faint walkers with no false alarm (and the 3-hop walker, within the context
    # the walker before it opens); per hop p_human misses one walker or more
    net, rec = faint_walkers_and_flickers()
    per_hop = tune_decision(net, [rec], max_false_alarms=0, evidence_hops=(1,))
    tuned = tune_decision(net, [rec], max_false_alarms=0, evidence_hops=(1, 8))
    assert per_hop.evidence_hops == 1 and per_hop.major_recall <= 11 / 13
    assert tuned.evidence_hops == 8
    assert tuned.major_recall == 1.0 and tuned.false_alarms == 0
    assert set(tuned.det_fa_by_evidence) == {1, 8}
    assert tuned.manifest()["evidence_hops"] == 8


def test_a_slow_path_is_chosen_where_it_lifts_steady_walkers_over_flickers():
    # faint_walkers_and_flickers: the faint walkers' steady 0.975 lies under the flickers'
    # 0.978 per hop. A slow path over 8 hops shifted +1 nat reads the faint walkers at
    # sigmoid(logit(0.975) + 1) = 0.9906, and a 3-hop flicker in the room's 0.01 at about 0.39,
    # so the two-path score max(p_human, slow) finds all 13 walkers with no false alarm; with
    # no shift it reads them at 0.975 again, and does no better than p_human alone
    net, rec = faint_walkers_and_flickers()
    per_hop = tune_decision(net, [rec], max_false_alarms=0, det_recall=1.0)
    tuned = tune_decision(net, [rec], max_false_alarms=0, det_recall=1.0,
                          slow_paths=((8, 0.0), (8, 1.0)))
    assert per_hop.major_recall < 1.0 and per_hop.slow_hops == 0
    assert (tuned.slow_hops, tuned.slow_shift) == (8, 1.0)
    assert tuned.major_recall == 1.0 and tuned.false_alarms == 0
    assert 0.978 < tuned.threshold <= 0.9906
    man = tuned.manifest()
    assert (man["slow_hops"], man["slow_shift"], man["evidence_hops"]) == (8, 1.0, 1)
    assert set(man["validation"]["held_score_fa_per_hour_by_path"]) == {
        "p_human", "slow 8 +0.0", "slow 8 +1.0"}
    assert "slow_hops" not in per_hop.manifest()  # manifests without a slow path keep their form
    for bad in ([(1, 0.0)], [(8,)], [(8, float("nan"))], [(True, 1.0)], "8,1"):
        with pytest.raises(ConfigError, match="slow_paths"):
            tune_decision(net, [rec], slow_paths=bad)


def test_progress_counts_the_score_paths_searched():
    net, rec = faint_walkers_and_flickers()
    calls = []
    tune_decision(net, [rec], det_recall=1.0, slow_paths=((8, 1.0),),
                  progress=lambda i, n: calls.append((i, n)))
    assert calls == [(1, 2), (2, 2)]


def test_a_slow_path_released_on_the_fast_path_drops_its_hold_after_walkers():
    # faint_walkers_and_flickers with each walker's score lingering at 0.7 for 2 s after it
    # leaves (past the 1.5 s grace). The slow path (8 hops, +1 nat) finds the faint walkers
    # (module test above) but reads the linger at sigmoid(logit(0.7) + 1) = 0.864, above any
    # off level of a threshold in (0.978, 0.9906] (0.8 x 0.99 = 0.792), so it holds motion
    # into the scored empty time after every walker; p_human per hop (0.7) falls below it.
    # Released on the fast path, the slow path finds all 13 with no false alarm; released on
    # its own score it cannot have both
    net, rec = faint_walkers_and_flickers()
    p = net.network().p.copy()
    walking = np.zeros(p.size, bool)
    for seg in (g for g in rec.labels.segments if g.label == "major"):
        walking[round(seg.start / HOP):round(seg.end / HOP)] = True
    after = np.flatnonzero(walking[:-1] & ~walking[1:]) + 1  # first hop after each walker
    for i in after:
        p[i:i + 80] = 0.7
    net, rec = scored_recording(p, rec.labels.segments)
    kw = dict(max_false_alarms=0, det_recall=1.0, slow_paths=((8, 1.0),))
    held = tune_decision(net, [rec], **kw)
    released = tune_decision(net, [rec], slow_release="fast", **kw)
    assert held.major_recall < 1.0
    assert (released.slow_hops, released.slow_shift, released.release) == (8, 1.0, "fast")
    assert released.major_recall == 1.0 and released.false_alarms == 0
    assert released.manifest()["release"] == "fast" and "release" not in held.manifest()
    assert released.path.label() == "slow 8 +1.0 release fast"
    rearmed = tune_decision(net, [rec], slow_release="fast-rearm", **kw)
    assert rearmed.manifest()["release"] == "fast-rearm" and rearmed.path.rearms
    assert rearmed.major_recall == 1.0 and rearmed.false_alarms == 0
    with pytest.raises(ConfigError, match="release"):
        tune_decision(net, [rec], slow_release="slow", **kw)


def test_a_repeat_veto_is_tuned_through_and_written_into_the_decision():
    # 10 walkers (p 0.999 for 2 s) at irregular gaps, then 90 s of empty room with a fan that
    # flashes to 0.999 for 0.5 s every 10 s (9 bursts): no threshold tells them apart, so
    # within 2 false alarms nothing finds a walker. Through a repeat veto that waits for two
    # beats, only the first two bursts fire, and every walker is found
    from uspd.model.repeat import RepeatVetoConfig

    p, segs, t0 = [], [], 0.0
    for gap_s in (6.3, 8.9, 5.1, 12.9, 7.4, 9.6, 6.8, 12.3, 5.9, 7.7):  # no 3 on a beat
        p += [0.999] * 80
        segs.append(Segment(t0, t0 + 2.0, "major"))
        p += [0.01] * round(gap_s / HOP)
        segs.append(Segment(t0 + 2.0, t0 + 2.0 + gap_s, "empty"))
        t0 += 2.0 + gap_s
    fan = np.full(3600, 0.01)
    for k in range(9):
        fan[200 + 400 * k:220 + 400 * k] = 0.999
    p += fan.tolist()
    segs.append(Segment(t0, t0 + 90.0, "empty"))
    net, rec = scored_recording(p, segs)
    plain = tune_decision(net, [rec], max_false_alarms=2, det_recall=1.0)
    veto = RepeatVetoConfig(level=0.9, chain=2)
    tuned = tune_decision(net, [rec], max_false_alarms=2, det_recall=1.0, repeat_veto=veto)
    assert plain.false_alarms < 0 or plain.major_recall == 0.0
    assert tuned.major_recall == 1.0 and tuned.false_alarms == 2
    assert tuned.manifest()["repeat_veto"] == veto.to_json()
    assert "repeat_veto" not in plain.manifest()
