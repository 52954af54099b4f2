"""The decision's evidence window: log-odds of p_human, their mean over the last hops, and the
detector reading it as its manifest says (torch-free)."""

import itertools
from dataclasses import replace

import numpy as np
import pytest
from blocks import in_random_blocks

from uspd.dsp.frontend import FeatureBlock
from uspd.errors import ConfigError
from uspd.model.runtime import (
    EVIDENCE_CLIP,
    WEIGHTS_DIR,
    NeuralConfig,
    NeuralDetector,
    ScorePath,
    decision_scores,
    held_min,
    human_log_odds,
    load_model,
    mean_evidence,
    p_human,
    softmax,
)


def probs_with_log_odds(g):
    """Class probabilities whose human / other ratio is exp(g) (up to e^-50 terms)."""
    g = np.atleast_1d(np.asarray(g, float))
    logits = np.stack([np.zeros_like(g), np.full_like(g, -50.0), np.full_like(g, -50.0), g], 1)
    return softmax(logits)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_log_odds_stay_exact_where_p_human_rounds_to_one():
    g = np.array([-8.0, 0.0, 5.0, 9.5])
    assert np.allclose(human_log_odds(probs_with_log_odds(g)), g, atol=1e-9)
    # at a gap of 40, 1 - p_human is below float64's resolution: p_human is exactly 1 and
    # log(p / (1 - p)) would be inf; the sums of the classes still give the log-odds (clipped)
    far = probs_with_log_odds([40.0, -40.0])
    assert p_human(far)[0] == 1.0
    assert human_log_odds(far).tolist() == [EVIDENCE_CLIP, -EVIDENCE_CLIP]


def test_mean_evidence_is_the_sigmoid_of_the_window_mean_in_any_blocks():
    rng = np.random.default_rng(3)
    lo = np.clip(rng.normal(0, 6, 300), -EVIDENCE_CLIP, EVIDENCE_CLIP)
    k = 8
    padded = np.r_[np.full(k - 1, -EVIDENCE_CLIP), lo]
    want = np.array([sigmoid(padded[i:i + k].mean()) for i in range(lo.size)])
    whole = mean_evidence(lo, k)
    assert np.allclose(whole, want, rtol=0, atol=1e-12)
    state = {"before": np.full(k - 1, -EVIDENCE_CLIP)}

    def streamed(block):
        out = mean_evidence(block, k, before=state["before"])
        state["before"] = np.r_[state["before"], block][block.size:]
        return out

    assert np.array_equal(in_random_blocks(streamed, lo, rng, [0, 1, 2, 5, 40]), whole)
    # a steady stream of evidence g reads as p_human = sigmoid(g) once the window is full
    assert np.allclose(mean_evidence(np.full(20, 3.0), k)[k - 1:], sigmoid(3.0))


def test_one_hop_window_is_p_human_itself():
    probs = probs_with_log_odds(np.linspace(-12, 12, 50))
    got = decision_scores(probs.copy(), warm_up_hops=5)
    want = p_human(probs)
    want[:5] = 0.0
    assert np.array_equal(got, want)


class Fixed:
    """A network whose outputs are given logits, hop after hop."""

    def __init__(self, logits):
        self.logits, self.i = logits, 0

    def process(self, x):
        out = self.logits[self.i:self.i + x.shape[0]]
        self.i += x.shape[0]
        return out

    def reset(self):
        self.i = 0


@pytest.mark.parametrize("path", [{"evidence_hops": 6}, {"slow_hops": 6, "slow_shift": 1.5},
                                  {"slow_hops": 6, "slow_shift": 1.5, "release": "fast"},
                                  {"slow_hops": 6, "slow_shift": 1.5, "release": "fast-rearm"}])
def test_detector_reads_the_manifests_score_path_in_any_blocks(path):
    bundle = load_model(WEIGHTS_DIR / "default.npz")
    # the shipped decision's other keys, with the score path under test in place of its own
    shipped = {k: v for k, v in bundle.manifest["decision"].items()
               if k not in ("evidence_hops", "slow_hops", "slow_shift", "release")}
    manifest = {**bundle.manifest, "decision": {**shipped, **path, "on_hops": 2,
                                                "threshold": 0.9}}
    bundle = replace(bundle, manifest=manifest)
    rng = np.random.default_rng(5)
    n, warm = 400, 10
    g = np.where((np.arange(n) > 150) & (np.arange(n) < 260), rng.normal(4, 3, n),
                 rng.normal(-6, 4, n))
    logits = np.stack([np.zeros(n), np.full(n, -50.0), np.full(n, -50.0), g], 1)
    # the score path alone: the shipped cold start (tested in test_runtime) left out
    det = NeuralDetector(bundle, NeuralConfig(warm_up_hops=warm, cold_start=False))
    det.net = Fixed(logits)
    assert det.path.window == 6
    fe = det.fe_cfg
    n_null = bundle.arch.n_bins if bundle.arch.null_inputs else 0

    def blk(a, b):
        x = np.zeros((b - a, fe.n_velocity_bins), np.float32)
        return FeatureBlock(np.arange(a + 1, b + 1) * fe.hop_s, x,
                            np.repeat(x[:, None], 2, 1), np.full(b - a, -20.0),
                            x.copy() if n_null else None)

    whole = det.process(blk(0, n))
    lo = human_log_odds(softmax(logits))
    lo[:warm] = -EVIDENCE_CLIP
    evidence = mean_evidence(lo, 6, shift=path.get("slow_shift", 0.0))
    if "slow_hops" in path:  # the two-path score: the faster of p_human and the slow path
        evidence = np.maximum(evidence, p_human(softmax(logits)))
    evidence[:warm] = 0.0  # the warm-up reports 0
    assert np.array_equal(whole.score, held_min(evidence, 2))  # the reported, held score
    on = np.flatnonzero(whole.motion)
    assert on.size and np.all(evidence[on[0] - 1:on[0] + 1] >= 0.9)  # 2 hops above, first
    assert not np.any(held_min(evidence, 2)[:on[0]] >= 0.9)
    # the off rule reads p_human per hop with release "fast", else the path's own score
    fast = p_human(softmax(logits))
    fast[:warm] = 0.0
    for release, want_same in ((None, "release" not in path), (fast, "release" in path)):
        det.logic.reset()
        assert np.array_equal(det.logic.process(evidence, release), whole.motion) == want_same
    det.reset()
    edges = [0, 1, 7, 7, 160, 161, 300, n]
    parts = [det.process(blk(a, b)) for a, b in itertools.pairwise(edges)]
    assert np.array_equal(np.concatenate([p.score for p in parts]), whole.score)
    assert np.array_equal(np.concatenate([p.motion for p in parts]), whole.motion)


def test_slow_path_is_the_larger_of_p_human_and_the_shifted_window_in_any_blocks():
    rng = np.random.default_rng(11)
    probs = probs_with_log_odds(np.clip(rng.normal(-1, 5, 500), -30, 30))
    path = ScorePath(slow_hops=10, slow_shift=2.0)
    warm = 7
    lo = human_log_odds(probs)
    lo[:warm] = -EVIDENCE_CLIP
    padded = np.r_[np.full(9, -EVIDENCE_CLIP), lo]
    want = np.maximum(p_human(probs), [sigmoid(padded[i:i + 10].mean() + 2.0)
                                       for i in range(lo.size)])
    want[:warm] = 0.0
    whole = decision_scores(probs.copy(), warm, path=path)
    assert np.allclose(whole, want, rtol=0, atol=1e-12)
    assert np.all(whole >= np.where(np.arange(500) < warm, 0.0, p_human(probs)))
    state = {"before": path.initial_state(), "seen": 0}

    def streamed(block):
        out, state["before"] = path.scores(block.copy(), warm - state["seen"], state["before"])
        state["seen"] += block.shape[0]
        return out

    assert np.array_equal(in_random_blocks(streamed, probs, rng, [0, 1, 3, 9, 64]), whole)


@pytest.mark.parametrize("bad", [dict(slow_hops=1), dict(slow_hops=-2), dict(evidence_hops=0),
                                 dict(evidence_hops=4, slow_hops=8), dict(slow_shift=1.0),
                                 dict(slow_hops=8, slow_shift=float("inf")),
                                 dict(slow_hops=8, release="slow"), dict(release="fast"),
                                 dict(release="fast-rearm")])
def test_score_paths_that_cannot_be_run_are_config_errors(bad):
    with pytest.raises(ConfigError, match="decision"):
        ScorePath(**bad)
