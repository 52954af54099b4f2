"""Torch model vs numpy runtime: parity, streaming = batch, budget, loading, detector."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from blocks import in_random_blocks  # noqa: E402

from uspd.detect import Decisions, Detector  # noqa: E402
from uspd.dsp.frontend import FeatureBlock, FrontEndConfig  # noqa: E402
from uspd.errors import ConfigError, InputError, MissingComponentError  # noqa: E402
from uspd.model.net import (  # noqa: E402
    MAX_MACS_PER_S,
    MAX_PARAMS,
    DopplerTCN,
    count_budget,
    export_npz,
)
from uspd.model.runtime import (  # noqa: E402
    HISTORY_FLOOR_DB,
    Arch,
    ColdStart,
    NeuralConfig,
    NeuralDetector,
    PeakHistory,
    StreamingTCN,
    decision_scores,
    load_model,
    model_inputs,
    p_human,
    softmax,
)

FE = FrontEndConfig()


def random_model(seed=0, arch=None):
    torch.manual_seed(seed)
    m = DopplerTCN(arch).eval()
    rng = np.random.default_rng(seed)
    n = m.arch.n_inputs
    m.set_normalisation(rng.normal(-80, 5, n), rng.uniform(0.05, 0.2, n))
    return m


def random_feats(n, n_bins=40, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(-80, 12, (n, n_bins))
    x[n // 3: n // 3 + 20, 10:14] += 40  # a burst, so activations are not all near zero
    return x.astype(np.float32)


def weights_of(m):
    return {k: v.numpy() for k, v in m.state_dict().items()}


def block(x, t0=0):
    n = x.shape[0]
    return FeatureBlock(
        (t0 + np.arange(1, n + 1)) * FE.hop_s, x, np.repeat(x[:, None], 2, 1),
        np.full(n, -20.0),
    )


def test_budget():
    m = DopplerTCN()
    b = count_budget(m, FE.hop_s)
    assert b["params"] == m.arch.n_params() <= MAX_PARAMS
    assert b["macs_per_s"] <= MAX_MACS_PER_S
    # MACs counted by hand for the default shape: convs + head + normalisation
    a = m.arch
    by_hand = a.n_bins * a.channels * 3 + 4 * a.channels * a.channels * 3 + a.channels * 4
    assert b["macs_per_hop"] == by_hand + a.n_bins
    assert b["receptive_field_s"] >= 0.5 and b["receptive_field_s"] <= 1.5


HISTORY_ARCH = Arch(history_delay_hops=20, history_decay_db_per_hop=0.5)
ECHO_ARCH = Arch(history_delay_hops=20, history_decay_db_per_hop=0.5, echo_min_lag_hops=10,
                 echo_max_lag_hops=60, echo_lag_step_hops=5, echo_window_hops=4)
NULL_ARCH = Arch(history_delay_hops=20, history_decay_db_per_hop=0.5, null_inputs=True)


def test_budget_with_history():
    a = HISTORY_ARCH
    b = count_budget(DopplerTCN(a), FE.hop_s)
    convs = 2 * a.n_bins * a.channels * 3 + 4 * a.channels * a.channels * 3 + a.channels * 4
    assert b["macs_per_hop"] == convs + 2 * a.n_bins + 2 * a.n_bins  # + norm + add/max
    assert b["params"] == a.n_params() == DopplerTCN().arch.n_params() + a.n_bins * a.channels * 3
    assert b["params"] <= MAX_PARAMS and b["macs_per_s"] <= MAX_MACS_PER_S


def test_budget_with_history_and_echo():
    """The echo adds n_bins inputs to the first conv (weights + normalisation); its own
    subtract-abs-adds are counted apart, since the budget is of multiply-accumulates."""
    a = ECHO_ARCH
    b = count_budget(DopplerTCN(a), FE.hop_s)
    convs = 3 * a.n_bins * a.channels * 3 + 4 * a.channels * a.channels * 3 + a.channels * 4
    assert b["macs_per_hop"] == convs + 3 * a.n_bins + 2 * a.n_bins
    assert a.echo_ops_per_hop() == 11 * (a.n_bins + 2) and HISTORY_ARCH.echo_ops_per_hop() == 0
    assert b["echo_ops_per_hop"] == a.echo_ops_per_hop()


def test_peak_history_matches_its_formula_in_any_blocks():
    """out[t] = max_{s<=t} (x[s - D] - decay (t - s)), x before the stream = the floor."""
    rng = np.random.default_rng(4)
    x = rng.normal(-90, 10, (300, 6))
    x[120:125, 2] = -40.0  # a loud short event
    d, decay = 25, 0.2
    past = np.vstack([np.full((d, 6), HISTORY_FLOOR_DB), x])  # past[s + d] = x[s]
    ref = np.array([[max(past[s, b] - decay * (t - s) for s in range(t + 1)) for b in range(6)]
                    for t in range(300)])
    h = PeakHistory(6, d, decay)
    whole = h.process(x)
    assert np.allclose(whole, ref, atol=1e-9)
    # the event is absent until it is d hops old; its last hop then decays by `decay` per hop
    assert whole[120 + d - 1, 2] < -45 and whole[124 + d + 10, 2] == pytest.approx(-42.0)
    h.reset()
    assert np.array_equal(in_random_blocks(h.process, x, rng, [0, 1, 3, 26, 80]), whole)


def test_model_inputs_append_history_only_when_the_arch_has_one():
    x = random_feats(50)
    assert np.array_equal(model_inputs(Arch(), x), x)
    u = model_inputs(HISTORY_ARCH, x)
    assert u.shape == (50, 80) and np.array_equal(u[:, :40], x)
    assert np.all(u[:20, 40:] == np.float32(HISTORY_FLOOR_DB))  # nothing is 20 hops old yet
    e = model_inputs(ECHO_ARCH, x)
    assert e.shape == (50, 120) and np.array_equal(e[:, :80], u)
    assert np.array_equal(e[:, 80:], ECHO_ARCH.memories()[1].process(x).astype(np.float32))


def test_null_inputs_pass_through_and_the_history_reads_the_plain_features():
    x = random_feats(60, 80)  # doppler_db then null_db
    u = model_inputs(NULL_ARCH, x)
    assert NULL_ARCH.n_features == 80 and NULL_ARCH.n_inputs == 120 == u.shape[1]
    assert np.array_equal(u[:, :80], x)
    assert np.array_equal(u[:, 80:], model_inputs(HISTORY_ARCH, x[:, :40])[:, 40:])
    assert Arch.from_json(NULL_ARCH.to_json()) == NULL_ARCH


@pytest.mark.parametrize("arch", [None, Arch(n_bins=24, channels=8, kernel=2, dilations=(1, 3)),
                                  HISTORY_ARCH, ECHO_ARCH, NULL_ARCH])
def test_parity_torch_vs_numpy(arch):
    m = random_model(0, arch)
    x = random_feats(150, m.arch.n_features)
    with torch.no_grad():
        ref = m(torch.from_numpy(model_inputs(m.arch, x))[None]).numpy()[0]
    net = StreamingTCN(m.arch, weights_of(m))
    got = net.process(x)
    assert np.abs(got - ref).max() < 1e-5
    assert np.abs(ref).max() > 0.1  # a meaningful comparison, not zeros vs zeros


@pytest.mark.parametrize("arch", [None, HISTORY_ARCH, ECHO_ARCH, NULL_ARCH])
def test_streaming_any_chunking_identical(arch):
    m = random_model(2, arch)
    x = random_feats(120, m.arch.n_features)
    whole = StreamingTCN(m.arch, weights_of(m)).process(x)
    net = StreamingTCN(m.arch, weights_of(m))
    rng = np.random.default_rng(0)
    assert np.array_equal(in_random_blocks(net.process, x, rng, [0, 1, 2, 7, 30]), whole)
    net.reset()
    assert np.array_equal(net.process(x), whole)


def test_export_load_and_detector(tmp_path):
    m = random_model(3)
    manifest = {"feature": {k: getattr(FE, k) for k in
                            ("hop_s", "window_s", "max_speed_mps", "n_velocity_bins")},
                "classes": ["nothing", "non_human", "minor", "major"], "threshold": 0.4,
                "train": {"seed": 3}}
    path = export_npz(m, tmp_path / "m", manifest)
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["budget"]["params"] == m.arch.n_params() and meta["train"]["seed"] == 3
    bundle = load_model(path)
    x = random_feats(200)
    with torch.no_grad():
        probs = torch.softmax(m(torch.from_numpy(x)[None]), -1).numpy()[0]
    det = NeuralDetector(bundle)
    assert isinstance(det, Detector) and det.threshold == 0.4
    whole = det.process(block(x))
    assert isinstance(whole, Decisions) and len(whole) == 200
    warm = m.arch.receptive_field_hops  # warm-up: score 0, no motion
    assert np.all(whole.score[:warm] == 0) and not whole.motion[:warm].any()
    assert np.abs(whole.score[warm:] - p_human(probs)[warm:]).max() < 1e-5
    # hysteresis: on at >= 0.4; once on, stays on until 0.24 for off_s
    s = whole.score
    first_on = int(np.argmax(whole.motion)) if whole.motion.any() else None
    if first_on is not None:
        assert s[first_on] >= 0.4 and not whole.motion[:first_on].any()
    assert set(whole.kind[whole.motion]) <= {"minor", "major"}
    assert (whole.kind[~whole.motion] == "none").all()
    det.reset()
    parts = [det.process(block(x[a:b], a)) for a, b in ((0, 1), (1, 50), (50, 50), (50, 200))]
    assert np.array_equal(np.concatenate([p.score for p in parts]), whole.score)
    assert np.array_equal(np.concatenate([p.motion for p in parts]), whole.motion)
    assert np.array_equal(np.concatenate([p.t_s for p in parts]), whole.t_s)
    # with on_hops = 4 the score is p_human held for 4 hops, also across block edges
    held = NeuralDetector(bundle, NeuralConfig(on_hops=4))
    parts = [held.process(block(x[a:b], a)) for a, b in ((0, 60), (60, 61), (61, 63), (63, 63),
                                                        (63, 200))]
    got = np.concatenate([p.score for p in parts])
    want = np.lib.stride_tricks.sliding_window_view(np.r_[0, 0, 0, whole.score], 4).min(1)
    assert np.array_equal(got, want)


def test_hysteresis_logic(tmp_path):
    m = random_model(4)
    path = export_npz(m, tmp_path / "m", {"feature": {"hop_s": 0.025}, "threshold": 0.5})
    det = NeuralDetector(load_model(path), NeuralConfig(on_hops=2, off_s=0.05, off_ratio=0.5,
                                                         warm_up_hops=0))
    # drive the decision logic with known scores by replacing the network output
    scores = np.array([0.6, 0.2, 0.6, 0.6, 0.4, 0.3, 0.2, 0.2, 0.6])
    logits = np.stack([np.zeros_like(scores), np.zeros_like(scores),
                       np.log(scores / (1 - scores)) + np.log(2), np.full_like(scores, -50)], 1)

    class Fixed:
        def process(self, x):
            return logits[: x.shape[0]]

        def reset(self):
            pass

    det.net = Fixed()
    dec = det.process(block(np.zeros((scores.size, 40), np.float32)))
    # reported score: p_human held for on_hops = 2 hops (min of this hop and the one before;
    # before the stream, 0), the statistic the on-rule thresholds
    held = np.minimum(scores, np.concatenate([[0.0], scores[:-1]]))
    assert np.allclose(dec.score, held, atol=1e-9)
    raw = NeuralDetector(load_model(path), NeuralConfig(on_hops=2, off_s=0.05, off_ratio=0.5,
                                                        warm_up_hops=0, score_hops=1))
    raw.net = Fixed()
    assert np.allclose(raw.process(block(np.zeros((9, 40), np.float32))).score, scores)
    # on after 2 hops >= 0.5 (index 3); off after 2 hops < 0.25 (indices 6, 7)
    assert dec.motion.tolist() == [False, False, False, True, True, True, True, False, False]


def test_describe_names_the_decision_the_detector_runs(tmp_path):
    """The one-line description follows the manifest and any override of it."""
    path = export_npz(random_model(4), tmp_path / "m",
                      {"feature": {"hop_s": 0.025}, "threshold": 0.5,
                       "decision": {"threshold": 0.998, "on_hops": 6}})
    assert NeuralDetector(load_model(path)).describe() == "p_human >= 0.998 over 6 hops"
    det = NeuralDetector(load_model(path), NeuralConfig(
        slow_hops=80, slow_shift=2.0, release="fast", on_hops=8, context_s=1.5,
        context_threshold=0.9))
    assert det.describe() == ("slow 80 +2.0 release fast >= 0.998 over 8 hops, >= 0.9 within "
                              "1.5 s of motion")


def test_bad_inputs(tmp_path):
    m = random_model(5)
    path = export_npz(m, tmp_path / "m", {"feature": {"hop_s": 0.025, "n_velocity_bins": 40}})
    with pytest.raises(ConfigError):
        NeuralDetector(load_model(path), fe_cfg=FrontEndConfig(hop_s=0.05))
    # a manifest from before the music canceller existed means features without it
    with pytest.raises(ConfigError, match="music_canceller"):
        NeuralDetector(load_model(path), fe_cfg=FrontEndConfig(music_canceller=True))
    assert not NeuralDetector(load_model(path)).fe_cfg.music_canceller
    with_mc = export_npz(m, tmp_path / "mc", {"feature": {"hop_s": 0.025,
                                                          "music_canceller": True}})
    assert NeuralDetector(load_model(with_mc)).fe_cfg.music_canceller
    # ... and one from before the canceller's significance gate, an ungated canceller
    assert NeuralDetector(load_model(with_mc)).fe_cfg.music_canceller_gate == 0.0
    with pytest.raises(ConfigError, match="music_canceller_gate"):
        NeuralDetector(load_model(with_mc), fe_cfg=FrontEndConfig(music_canceller_gate=4.0))
    with pytest.raises(ConfigError, match="music_canceller"):
        NeuralDetector(load_model(with_mc), fe_cfg=FrontEndConfig(music_canceller=False))
    with pytest.raises(InputError):
        StreamingTCN(m.arch, weights_of(m)).process(np.zeros((3, 39)))
    w = weights_of(m)
    del w["head.bias"]
    with pytest.raises(InputError):
        StreamingTCN(m.arch, w)
    with pytest.raises(InputError):
        load_model(tmp_path / "missing.npz")
    with pytest.raises(MissingComponentError):
        NeuralDetector.from_builtin("no-such-model")


def test_softmax_rows_sum_to_one():
    p = softmax(np.array([[1000.0, 0, -1000, 3], [0, 0, 0, 0]]))
    assert np.allclose(p.sum(1), 1) and np.allclose(p[1], 0.25)


def test_context_makes_minor_motion_count_after_major():
    from uspd.model.runtime import DecisionLogic

    def logic():
        return DecisionLogic(threshold=0.9, on_hops=3, context_threshold=0.5,
                             context_hops=40, off_ratio=0.6, off_hops=4)

    quiet = [0.1] * 10
    # out of context: one strong hop is not enough, three in a row are
    assert not logic().process(np.array([*quiet, 0.95, *quiet])).any()
    assert logic().process(np.array(quiet + [0.95] * 3 + quiet)).any()
    # a weak (minor-like) hop fires only within the context period after motion
    weak = [0.6]
    seq = np.array(quiet + [0.95] * 3 + [0.1] * 20 + weak + [0.1] * 60 + weak + [0.1] * 5)
    m = logic().process(seq)
    i_first_weak, i_late_weak = 10 + 3 + 20, 10 + 3 + 20 + 1 + 60
    assert m[i_first_weak] and not m[i_late_weak]
    # streaming: identical in pieces
    lg = logic()
    parts = np.concatenate([lg.process(seq[:7]), lg.process(seq[7:50]), lg.process(seq[50:])])
    assert np.array_equal(parts, m)


def test_a_release_score_ends_motion_that_the_on_score_would_hold():
    # a slow score stays high for 30 hops after the walker's last strong hop; read for the
    # release too it holds motion on through them, while a fast release score ends it
    # off_hops after the last strong hop; switching on reads the on score either way
    from uspd.model.runtime import DecisionLogic

    def logic():
        return DecisionLogic(threshold=0.9, on_hops=3, context_threshold=0.9,
                             context_hops=0, off_ratio=0.6, off_hops=4)

    fast = np.r_[[0.1] * 10, [0.95] * 20, [0.1] * 60]
    slow = np.r_[[0.1] * 10, [0.95] * 50, [0.1] * 30]
    held = logic().process(slow)
    released = logic().process(slow, release=fast)
    assert np.flatnonzero(held)[[0, -1]].tolist() == [12, 62]  # off at the 4th low hop
    assert np.flatnonzero(released)[0] == 12
    # off at hop 33, the 4th of the fast score below 0.54; on again at hop 36, the 3rd of the
    # slow score still at 0.95, and off again 4 hops later: a slow score held above the
    # on-threshold flickers the output; one that falls under it no longer switches it on
    assert not released[33] and released[36] and not released[40] and not released[61:].any()
    assert released.sum() < held.sum()
    rng = np.random.default_rng(4)
    lg = logic()
    both = np.stack([slow, fast], axis=1)
    parts = in_random_blocks(lambda b: lg.process(b[:, 0], release=b[:, 1]), both, rng,
                             [0, 1, 3, 17])
    assert np.array_equal(parts, released)


def test_rearm_keeps_a_slow_score_from_switching_motion_straight_back_on():
    # the release example above: with rearm, after the fast score ends motion at hop 33 the on
    # rule reads the fast score until the slow one has been under the off level (0.54) once,
    # so the slow score's last 27 high hops switch nothing on. A new walker (fast score high
    # again) switches it on while the slow score is still high, reading the fast score
    from uspd.model.runtime import DecisionLogic

    def logic(rearm):
        return DecisionLogic(threshold=0.9, on_hops=3, context_threshold=0.9,
                             context_hops=0, off_ratio=0.6, off_hops=4, rearm=rearm)

    fast = np.r_[[0.1] * 10, [0.95] * 20, [0.1] * 60]
    slow = np.r_[[0.1] * 10, [0.95] * 50, [0.1] * 30]
    flicker = logic(False).process(slow, release=fast)
    once = logic(True).process(slow, release=fast)
    assert flicker[36] and np.flatnonzero(once).tolist() == list(range(12, 33))
    assert np.array_equal(logic(True).process(slow), logic(False).process(slow))  # no release
    walker = fast.copy()
    walker[45:50] = 0.95  # a second walker while the slow score is still high
    again = logic(True).process(slow, release=walker)
    # on at its 3rd hop, off at the 4th hop after it, and not on again while slow is high
    assert (np.flatnonzero(again[33:]) + 33).tolist() == list(range(47, 53))
    # after the slow score fell below the off level, it switches motion on again by itself
    slow2 = np.r_[slow, [0.95] * 10, [0.1] * 10]
    fast2 = np.r_[fast, [0.1] * 20]
    late = logic(True).process(slow2, release=fast2)
    assert late[92] and not late[91]
    rng = np.random.default_rng(6)
    lg = logic(True)
    both = np.stack([slow2, fast2], axis=1)
    parts = in_random_blocks(lambda b: lg.process(b[:, 0], release=b[:, 1]), both, rng,
                             [0, 1, 3, 17])
    assert np.array_equal(parts, late)


def test_quiet_blocks_skip_the_hop_loop_without_changing_a_decision():
    # the logic passes a block under both on-thresholds in one step; fed in random blocks
    # (most of them quiet) it must decide as one pass through the hop loop, context included
    from uspd.model.runtime import DecisionLogic

    rng = np.random.default_rng(8)
    n = 6000
    score = rng.uniform(0.0, 0.4, n)
    for start in rng.choice(n - 20, 25, replace=False):  # bursts, some of them weak
        score[start:start + rng.integers(1, 12)] = rng.choice([0.55, 0.95])

    def logic():
        return DecisionLogic(threshold=0.9, on_hops=3, context_threshold=0.5,
                             context_hops=200, off_ratio=0.6, off_hops=4)

    whole = logic().process(score)
    assert 0 < whole.sum() < n // 4
    lg = logic()
    assert np.array_equal(in_random_blocks(lg.process, score, rng, [0, 1, 5, 40, 300]), whole)
    # time spent in quiet blocks counts against the context: a weak hop 100 hops after
    # motion ends fires, one 300 hops after does not, however the quiet hops come
    seq = np.r_[[0.1] * 10, [0.95] * 5, [0.1] * 100, 0.55, [0.1] * 300, 0.55, [0.1] * 10]
    for size in (1, 50, seq.size):
        lg = logic()
        m = np.concatenate([lg.process(seq[i:i + size]) for i in range(0, seq.size, size)])
        assert m[115] and not m[416]


def test_cold_start_lowers_the_log_odds_of_the_first_hops_only():
    score = np.array([0.0, 0.5, 0.9, 1.0, 0.99, 0.7, 0.3])
    cold = ColdStart(hops=5, shift=2.0)
    got = cold.apply(score)
    logit = np.log(score[1:3] / (1 - score[1:3])) - 2.0
    assert np.allclose(got[1:3], 1 / (1 + np.exp(-logit)), rtol=0, atol=1e-15)
    assert got[0] == 0.0 and got[3] == 1.0 and got[4] < score[4]
    assert np.array_equal(got[5:], score[5:]) and np.array_equal(score[:2], [0.0, 0.5])
    # streaming: the hops' place in the stream, not in the block, says which are cold
    assert np.array_equal(np.concatenate([cold.apply(score[:3]), cold.apply(score[3:], 3)]),
                          got)
    assert cold.apply(score, 5) is score and ColdStart(5, 0.0).apply(score) is score
    for hops, shift in ((-1, 1.0), (3, -0.5), (3, float("nan"))):
        with pytest.raises(ConfigError, match="cold start"):
            ColdStart(hops, shift)


def test_a_manifest_cold_start_lowers_the_stream_start_as_the_batch_scores_do(tmp_path):
    """decision.cold_start_s / cold_start_shift: the first ceil(s / hop) hops' scores lowered
    by that many nats, the rest as without it, in any split of the stream, and the batch score
    (compare_models, the tuner) is the streaming one."""
    m = random_model(5)
    base = {"feature": {"hop_s": 0.025}, "threshold": 0.3}
    plain = NeuralDetector(load_model(export_npz(m, tmp_path / "plain", base)))
    x = random_feats(300)
    want = plain.process(block(x))
    path = export_npz(m, tmp_path / "cold", {**base, "decision": {
        "cold_start_s": 3.0, "cold_start_shift": 2.0}})
    bundle = load_model(path)
    assert bundle.cold_start == ColdStart(120, 2.0)
    det = NeuralDetector(bundle)
    assert det.describe().endswith(", cold start 3 s -2 nats")
    got = det.process(block(x))
    rf = m.arch.receptive_field_hops
    assert np.all(got.score[:rf] == 0) and want.score[rf:120].max() > 0
    assert np.allclose(got.score[:120], ColdStart(120, 2.0).apply(want.score)[:120])
    assert np.all(got.score[rf:120] < want.score[rf:120])
    assert np.array_equal(got.score[120:], want.score[120:])
    det.reset()
    parts = [det.process(block(x[a:b], a)) for a, b in ((0, 100), (100, 120), (120, 121),
                                                        (121, 300))]
    assert np.array_equal(np.concatenate([p.score for p in parts]), got.score)
    assert np.array_equal(np.concatenate([p.motion for p in parts]), got.motion)
    probs = softmax(bundle.network().process(x))
    batch = decision_scores(probs, bundle.warm_up_hops, path=det.path, cold=det.cold)
    assert np.array_equal(batch, got.score)
    off = NeuralDetector(bundle, NeuralConfig(cold_start=False))
    assert np.array_equal(off.process(block(x)).score, want.score)
    for bad in ({"cold_start_s": -1.0, "cold_start_shift": 2.0},
                {"cold_start_s": 3.0, "cold_start_shift": -2.0},
                {"cold_start_s": 3.0, "cold_start_shift": "2"},
                {"cold_start_s": True, "cold_start_shift": 2.0}):
        with pytest.raises(ConfigError, match="cold"):
            NeuralDetector(load_model(export_npz(m, tmp_path / "bad", {**base,
                                                                       "decision": bad})))


def test_a_manifest_warm_up_keeps_the_detector_silent_for_that_long(tmp_path):
    """decision.warm_up_s: score 0 and no motion for ceil(warm_up_s / hop) hops (never fewer
    than the receptive field), the rest as without it, in any split of the stream."""
    m = random_model(5)
    base = {"feature": {"hop_s": 0.025}, "threshold": 0.3}
    plain = NeuralDetector(load_model(export_npz(m, tmp_path / "plain", base)))
    x = random_feats(300)
    want = plain.process(block(x))
    warm = 167  # 4.175 s: a comb front end's 3.0 s to settle plus the 1.175 s receptive field
    long_path = export_npz(m, tmp_path / "long", {**base, "decision": {"warm_up_s": 4.175}})
    long = NeuralDetector(load_model(long_path))
    assert load_model(long_path).warm_up_hops == warm
    assert long.describe().endswith(", warm-up 4.175 s") and "warm-up" not in plain.describe()
    got = long.process(block(x))
    assert np.all(got.score[:warm] == 0) and not got.motion[:warm].any()
    assert np.array_equal(got.score[warm:], want.score[warm:])
    assert want.score[m.arch.receptive_field_hops:warm].max() > 0  # it did silence something
    long.reset()
    parts = [long.process(block(x[a:b], a)) for a, b in ((0, 100), (100, 167), (167, 168),
                                                         (168, 300))]
    assert np.array_equal(np.concatenate([p.score for p in parts]), got.score)
    assert np.array_equal(np.concatenate([p.motion for p in parts]), got.motion)
    short = export_npz(m, tmp_path / "short", {**base, "decision": {"warm_up_s": 0.1}})
    assert load_model(short).warm_up_hops == m.arch.receptive_field_hops
    for bad in (-1.0, "4 s", True):
        path = export_npz(m, tmp_path / "bad", {**base, "decision": {"warm_up_s": bad}})
        with pytest.raises(ConfigError, match="warm_up_s"):
            NeuralDetector(load_model(path))
