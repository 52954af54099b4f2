"""The repeat veto: bursts of the decision score on the beat of earlier ones are capped, others
pass, in any blocks; the detector and the tuner read it from the manifest / recipe."""

from dataclasses import replace

import numpy as np
import pytest
from blocks import in_random_blocks

from uspd.dsp.frontend import FeatureBlock
from uspd.errors import ConfigError
from uspd.model.repeat import RepeatVeto, RepeatVetoConfig, repeat_vetoed
from uspd.model.runtime import (
    WEIGHTS_DIR,
    NeuralConfig,
    NeuralDetector,
    decision_scores,
    load_model,
    softmax,
)
from uspd.model.train_config import TrainConfig

HOP = 0.025


def bursts(starts_s, lengths_s, n_hops=6000, value=0.99):
    """Scores 0.1 with bursts of `value` at starts_s lasting lengths_s (s)."""
    s = np.full(n_hops, 0.1)
    for a, d in zip(starts_s, np.broadcast_to(lengths_s, len(starts_s)), strict=True):
        i = round(a / HOP)
        s[i:i + round(d / HOP)] = value
    return s


def burst_peaks(score, starts_s, length_s):
    return [score[round(a / HOP):round((a + length_s) / HOP)].max() for a in starts_s]


@pytest.mark.parametrize("chain", [2, 3])
def test_bursts_on_a_beat_are_capped_once_the_beat_has_been_heard_chain_times(chain):
    starts = [3.0 + 12.5 * k for k in range(8)]
    cfg = RepeatVetoConfig(level=0.9, chain=chain)
    out = repeat_vetoed(bursts(starts, 1.0), cfg, HOP)
    peaks = burst_peaks(out, starts, 1.0)
    assert peaks[:chain] == [0.99] * chain  # the beat is not known yet
    assert all(p == 0.0 for p in peaks[chain:])  # capped at 0
    assert np.array_equal(out[out > 0.0], bursts(starts, 1.0)[out > 0.0])  # nothing else


def test_two_sweeps_per_period_are_two_beats():
    # an oscillating fan seen at one side of its sweep: gaps alternate 4 s, 9 s (period 13 s)
    starts = sorted([2.0 + 13 * k for k in range(6)] + [6.0 + 13 * k for k in range(6)])
    out = repeat_vetoed(bursts(starts, 0.8), RepeatVetoConfig(level=0.9, chain=2), HOP)
    peaks = burst_peaks(out, starts, 0.8)
    assert peaks[:4] == [0.99] * 4
    assert all(p == 0.0 for p in peaks[4:])


def test_irregular_bursts_pass_untouched():
    # gaps 7.3, 11.9, 5.2, 9.8, 13.1, 6.6 s: no three starts equally spaced within 0.4 s
    starts = np.cumsum([2.0, 7.3, 11.9, 5.2, 9.8, 13.1, 6.6]).tolist()
    s = bursts(starts, 1.0)
    assert np.array_equal(repeat_vetoed(s, RepeatVetoConfig(level=0.9, chain=2), HOP), s)


def test_a_burst_longer_than_the_beats_goes_through_after_their_length():
    starts = [3.0 + 12.5 * k for k in range(4)]
    s = bursts(starts, [1.0, 1.0, 1.0, 6.0])  # someone walks in on the fourth beat
    cfg = RepeatVetoConfig(level=0.9, chain=2, margin_s=0.25)
    out = repeat_vetoed(s, cfg, HOP)
    i = round(starts[3] / HOP)
    vetoed = round((1.0 + 0.25) / HOP)  # the beats' 1 s bursts + the margin
    assert np.all(out[i:i + vetoed] == 0.0)
    assert np.all(out[i + vetoed:i + round(6.0 / HOP)] == 0.99)


def test_any_split_of_the_stream_gives_the_same_scores():
    rng = np.random.default_rng(3)
    starts = [3.0 + 10.0 * k + rng.normal(0, 0.1) for k in range(12)]
    s = np.maximum(bursts(starts, 0.9, n_hops=6000), rng.random(6000) ** 12)
    cfg = RepeatVetoConfig(level=0.9, chain=2)
    whole = repeat_vetoed(s, cfg, HOP)
    assert np.any(whole != s)
    veto = RepeatVeto(cfg, HOP)
    for sizes in ([1], [0, 7, 13], [400, 1000, 1]):
        veto.reset()
        assert np.array_equal(in_random_blocks(veto.process, s, rng, sizes), whole)


@pytest.mark.parametrize("bad", [{"lvl": 0.9}, {"level": 1.5}, {"chain": 1}, {"chain": 2.5},
                                 {"level": "high"}, {"min_period_s": 50.0}, {"tol_s": -1.0},
                                 {"cap": 0.95},
                                 [0.9]])
def test_bad_veto_settings_are_config_errors(bad):
    with pytest.raises(ConfigError):
        RepeatVetoConfig.from_json(bad)
    with pytest.raises(ConfigError):
        TrainConfig(repeat_veto=bad).validate()


def test_settings_round_trip_through_json():
    cfg = RepeatVetoConfig(level=0.95, chain=3, tol_s=0.3)
    assert RepeatVetoConfig.from_json(cfg.to_json()) == cfg
    assert TrainConfig(repeat_veto={"chain": 3}).veto_config() == RepeatVetoConfig(chain=3)


def test_detector_vetoes_as_its_manifest_says_in_any_blocks():
    bundle = load_model(WEIGHTS_DIR / "default.npz")
    # the shipped decision's other keys on p_human per hop (a slow path outlasts each burst)
    shipped = {k: v for k, v in bundle.manifest["decision"].items()
               if k not in ("evidence_hops", "slow_hops", "slow_shift", "release")}
    veto = {"level": 0.9, "chain": 2}
    bundle = replace(bundle, manifest={**bundle.manifest, "decision": {
        **shipped, "repeat_veto": veto, "threshold": 0.9, "on_hops": 2}})
    n = 3000
    g = np.where(bursts([3.0 + 11.0 * k for k in range(6)], 1.0, n) > 0.5, 8.0, -8.0)
    logits = np.stack([np.zeros(n), np.full(n, -50.0), np.full(n, -50.0), g], 1)

    class Fixed:
        def __init__(self):
            self.i = 0

        def process(self, x):
            self.i += x.shape[0]
            return logits[self.i - x.shape[0]:self.i]

        def reset(self):
            self.i = 0

    fe = NeuralDetector(bundle).fe_cfg
    n_null = bundle.arch.n_bins if bundle.arch.null_inputs else 0

    def block(a, b):
        x = np.zeros((b - a, fe.n_velocity_bins), np.float32)
        return FeatureBlock(np.arange(a + 1, b + 1) * fe.hop_s, x, np.repeat(x[:, None], 2, 1),
                            np.full(b - a, -20.0), x.copy() if n_null else None)

    runs = {}
    for name, cfg in (("veto", NeuralConfig()), ("off", NeuralConfig(repeat_veto=False))):
        det = NeuralDetector(bundle, cfg)
        det.net = Fixed()
        whole = det.process(block(0, n))
        assert ("repeat veto" in det.describe()) == (name == "veto")
        det.reset()
        parts = [det.process(block(a, b)) for a, b in ((0, 5), (5, 1234), (1234, n))]
        assert np.array_equal(np.concatenate([p.motion for p in parts]), whole.motion)
        assert np.array_equal(np.concatenate([p.score for p in parts]), whole.score)
        runs[name] = whole.motion
        # the batch score compare_models and the tuner read is the streaming one
        batch = decision_scores(softmax(logits), bundle.receptive_field_hops, path=det.path,
                                veto=det.veto)
        det.logic.reset()
        assert np.array_equal(det.logic.process(batch, det.path.release_scores(
            softmax(logits), bundle.receptive_field_hops)), whole.motion)

    def onsets(m):
        return np.flatnonzero(np.diff(m.astype(int)) == 1).size

    assert onsets(runs["off"]) == 6 and onsets(runs["veto"]) == 2  # bursts 3-6 vetoed
