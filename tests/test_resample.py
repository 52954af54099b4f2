"""Bootstrap of the operating point against the protocol's own figure on expanded corpora."""

from types import SimpleNamespace

import numpy as np
import pytest

from uspd.evaluate import EvalConfig, evaluate_recording, report_from_results
from uspd.labels import Labels, Segment
from uspd.resample import fa_per_hour_at_recall, stratified_weights, tally

HOP = 0.025
# every score value is a grid threshold, so a corpus and any resample of it share their
# operating points' candidates
CFG = EvalConfig(det_max_points=10**6)


def recording(rng: np.random.Generator, walker: bool):
    """20 s: empty, or empty - major walk - empty; scores are noise with bursts (a fan's
    alarms) and, during the walk, a bump of random height."""
    t = np.round(np.arange(1, 801) * HOP, 6)
    if walker:
        a = float(rng.uniform(2, 12))
        segs = [Segment(0, a, "empty"), Segment(a, a + 3, "major", 3.0),
                Segment(a + 3, 20, "empty")]
    else:
        segs = [Segment(0, 20, "empty")]
    lab = Labels(fs_hz=48000, carrier_hz=20000.0, duration_s=20.0, n_mics=1,
                 segments=tuple(segs), distractors=())
    score = rng.beta(1, 8, t.size)
    for c in rng.integers(0, t.size, rng.integers(0, 4)):
        score[c:c + 6] = rng.uniform(0.3, 1.0)
    if walker:
        m = (t >= a) & (t <= a + 3)
        score[m] = np.maximum(score[m], rng.uniform(0.2, 1.0))
    score = np.round(score, 3)  # ties between recordings, as real held scores have
    dec = SimpleNamespace(t_s=t, motion=score >= 0.5, score=score)
    return evaluate_recording(dec, lab, CFG)


@pytest.fixture(scope="module")
def corpus():
    rng = np.random.default_rng(7)
    results = [recording(rng, walker=i % 3 != 0) for i in range(60)]
    empty_family = np.array([i % 3 == 0 for i in range(60)])
    return results, empty_family


def protocol_figures(results, empty_family, recall):
    """(all empty, empty families) FA/h at `recall`, as compare_models.py computes them."""
    rep = report_from_results(results, CFG)
    op = rep.operating_point(recall)
    fam = report_from_results([r for r, e in zip(results, empty_family, strict=True) if e], CFG)
    return op.fa_per_hour, fam.fa_per_hour_at(op.threshold)


@pytest.mark.parametrize("recall", [0.8, 0.95, 0.99])
def test_drawing_every_recording_once_gives_the_protocols_figures(corpus, recall):
    results, fam = corpus
    t = tally(results, report_from_results(results, CFG).det.thresholds, CFG.fa_repeat_s)
    ones = np.ones((1, len(results)))
    want_all, want_fam = protocol_figures(results, fam, recall)
    assert want_all > 0  # the test would be empty otherwise
    assert fa_per_hour_at_recall(t, ones, recall)[0] == pytest.approx(want_all)
    assert fa_per_hour_at_recall(t, ones, recall, fam)[0] == pytest.approx(want_fam)


def test_a_resample_gives_the_figures_of_the_corpus_it_draws(corpus):
    # weights 0, 1, 2, 3: the protocol's figures on the corpus with each recording repeated
    # that many times (events, alarms and hours all counted that often)
    results, fam = corpus
    t = tally(results, report_from_results(results, CFG).det.thresholds, CFG.fa_repeat_s)
    rng = np.random.default_rng(3)
    w = rng.integers(0, 4, (5, len(results)))
    got_all = fa_per_hour_at_recall(t, w, 0.95)
    got_fam = fa_per_hour_at_recall(t, w, 0.95, fam)
    for b in range(w.shape[0]):
        drawn = [i for i in range(len(results)) for _ in range(w[b, i])]
        want = protocol_figures([results[i] for i in drawn], fam[drawn], 0.95)
        assert got_all[b] == pytest.approx(want[0])
        assert got_fam[b] == pytest.approx(want[1])


def test_no_events_drawn_is_nan_not_zero(corpus):
    results, fam = corpus
    t = tally(results, report_from_results(results, CFG).det.thresholds, CFG.fa_repeat_s)
    only_empty = fam.astype(int)[None, :]  # the walkers' recordings not drawn
    assert np.isnan(fa_per_hour_at_recall(t, only_empty, 0.99)[0])


def test_stratified_weights_keep_each_familys_count_and_repeat_from_the_seed():
    strata = ["a"] * 5 + ["b"] * 3 + ["c"]
    w = stratified_weights(strata, 200, np.random.default_rng(1))
    assert w.shape == (200, 9)
    assert (w[:, :5].sum(1) == 5).all() and (w[:, 5:8].sum(1) == 3).all()
    assert (w[:, 8] == 1).all()
    assert len({tuple(r) for r in w[:, :5]}) > 20  # resamples differ
    again = stratified_weights(strata, 200, np.random.default_rng(1))
    assert (w == again).all()
