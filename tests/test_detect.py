"""Streaming pipeline and detect_stream: chunk invariance, record format, registry."""

import io
import json
from dataclasses import fields, replace

import numpy as np
import pytest

from uspd.audio import ArraySource
from uspd.audio.stdin import RawPcmSource
from uspd.baseline import BaselineDetector
from uspd.detect import (
    DETECTORS,
    Decisions,
    Detector,
    StreamingPipeline,
    detect_stream,
    make_detector,
    register_detector,
)
from uspd.dsp.frontend import FrontEndConfig
from uspd.errors import ConfigError

C = 343.4


def walker_scene(fs, f0, dur_s, t0, t1, n_mics=2, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(fs * dur_s)) / fs
    tt = np.clip(t, t0, t1) - t0
    path = 2 * (2.0 + 0.6 * np.sin(2 * np.pi * tt / 3.0))
    x = np.zeros((t.size, n_mics))
    for m in range(n_mics):
        x[:, m] = 0.3 * np.cos(2 * np.pi * f0 * t + m)
        x[:, m] += 0.3 * 10 ** (-45 / 20) * np.cos(2 * np.pi * f0 * (t - (path + 0.03 * m) / C))
    return (x + 1e-4 * rng.standard_normal(x.shape)).astype(np.float32)


def test_pipeline_chunk_invariance():
    fs, f0 = 48000, 20000.0
    x = walker_scene(fs, f0, 3.0, 1.0, 2.2)
    ref_pipe = StreamingPipeline(BaselineDetector(), fs, 2, f0)
    ref = ref_pipe.process(x) + ref_pipe.finish()
    rng = np.random.default_rng(5)
    pipe = StreamingPipeline(BaselineDetector(), fs, 2, f0)
    got, i = [], 0
    while i < x.shape[0]:
        n = int(rng.choice([0, 1, 17, 480, 1200, 5000, 20000]))
        got += pipe.process(x[i:i + n])
        i += n
    got += pipe.finish()
    assert got == ref
    assert any(r.get("event") == "motion_start" for r in ref)


def test_records_are_json_lines_in_time_order():
    fs, f0 = 48000, 20000.0
    recs = list(detect_stream(ArraySource(walker_scene(fs, f0, 3.0, 1.0, 2.0), fs)))
    times = [r["t"] for r in recs]
    assert times == sorted(times)
    for r in recs:
        json.dumps(r)
        if "event" in r:
            assert r["event"] in ("motion_start", "motion_end")
        else:
            assert set(r) == {"t", "score", "motion", "kind"}
            assert 0.0 <= r["score"] <= 1.0 and r["kind"] in ("none", "minor", "major")
    hops = [r for r in recs if "event" not in r]
    assert len(hops) == int(3.0 / 0.025)
    assert hops[0]["t"] == pytest.approx(0.025)
    events = [r["event"] for r in recs if "event" in r]
    assert events == ["motion_start", "motion_end"]  # closed by finish at EOF at the latest


def test_detect_stream_yields_before_input_ends():
    """Records for the head appear before the source has been read to the end."""
    fs, f0 = 96000, 40000.0
    x = walker_scene(fs, f0, 2.0, 0.5, 1.5, n_mics=1)
    stream = io.BytesIO((x * 32767).astype("<i2").tobytes())
    src = RawPcmSource(stream, fs, 1)
    it = detect_stream(src, carrier="auto")
    first = next(it)
    assert "t" in first
    assert stream.tell() < len(stream.getvalue())
    rest = list(it)
    assert len([r for r in [first, *rest] if "event" not in r]) == 80


def test_given_carrier_same_as_auto():
    fs, f0 = 48000, 20000.0
    x = walker_scene(fs, f0, 2.0, 0.8, 1.6)
    a = list(detect_stream(ArraySource(x, fs), carrier=f0))
    b = list(detect_stream(ArraySource(x, fs), carrier="auto"))
    assert [r.get("motion") for r in a] == [r.get("motion") for r in b]


def test_registry():
    assert isinstance(make_detector("baseline"), Detector)
    with pytest.raises(ConfigError, match="unknown detector"):
        make_detector("nope")

    class Always:
        name = "always"
        fe_cfg = FrontEndConfig()

        def process(self, feats):
            n = feats.n_hops
            return Decisions(feats.t_end_s, np.ones(n), np.ones(n, bool), np.full(n, "major"))

        def reset(self):
            pass

    register_detector("always", lambda fe_cfg: Always())
    try:
        fs = 48000
        recs = list(detect_stream(ArraySource(walker_scene(fs, 20000.0, 1.0, 0, 0), fs),
                                  detector_name="always"))
        assert recs[1] == {"t": 0.025, "event": "motion_start"}
        assert recs[-1] == {"t": 1.0, "event": "motion_end"}
    finally:
        DETECTORS.pop("always")


def test_detectors_on_stored_features_decide_as_streaming():
    # benchmarks/heldout_eval.py re-runs detectors on cached features: that must give what the
    # streaming run gave (front end in 0.5 s blocks, detectors fed block by block)
    from uspd.model.train_job import register_builtin
    from uspd.runner import detect_features, run_detectors

    names = ["baseline", "neural"] if register_builtin() else ["baseline"]
    x = walker_scene(48000, 20000.0, 4.0, 1.5, 3.0)
    run = run_detectors(ArraySource(x, 48000), names, keep_features=True)
    again = detect_features(run.features, names)
    for name in names:
        for field in ("t_s", "score", "motion", "kind"):
            assert np.array_equal(getattr(run.decisions[name], field),
                                  getattr(again[name], field)), (name, field)
    assert run.decisions["baseline"].motion.any()


def test_a_model_on_another_front_end_runs_on_its_own_without_the_caller_naming_it(
        monkeypatch):
    # a model trained with the clutter null (a kept candidate) registered as "neural": runs
    # without an explicit front end use its front end; the baseline beside it decides as it
    # does on the default front end (the null adds features and changes none)
    from pathlib import Path

    from uspd.detect import FRONT_ENDS, front_end_for
    from uspd.dsp.frontend import FrontEndConfig
    from uspd.model.train_job import register_neural
    from uspd.runner import run_detectors

    monkeypatch.setitem(DETECTORS, "neural", DETECTORS.get("neural"))  # restored afterwards
    monkeypatch.setitem(FRONT_ENDS, "neural", FRONT_ENDS.get("neural"))
    model = Path(__file__).parents[1] / "docs" / "candidates" / "null2_seed1.npz"
    fe_cfg = register_neural(model)
    assert fe_cfg.clutter_null_rank == 2 and front_end_for(["baseline", "neural"]) == fe_cfg
    assert front_end_for(["baseline"]) == FrontEndConfig()
    x = walker_scene(96000, 40000.0, 4.0, 1.5, 3.0, n_mics=4)
    run = run_detectors(ArraySource(x, 96000), ["baseline", "neural"], keep_features=True)
    assert run.features.null_db is not None
    plain = run_detectors(ArraySource(x, 96000), ["baseline"])
    for field in ("score", "motion"):
        assert np.array_equal(getattr(run.decisions["baseline"], field),
                              getattr(plain.decisions["baseline"], field))
    # two detectors that need different front ends cannot share one
    register_detector("other", DETECTORS["baseline"], FrontEndConfig(clutter_null_rank=1))
    try:
        with pytest.raises(ConfigError, match="different front ends"):
            front_end_for(["neural", "other"])
    finally:
        DETECTORS.pop("other")
        FRONT_ENDS.pop("other")


def test_a_model_without_null_inputs_decides_alike_on_a_front_end_with_the_null():
    # heldout_eval.py --clutter-null-rank: one render serves models with and without the null
    from dataclasses import replace
    from pathlib import Path

    from uspd.dsp.frontend import FrontEnd
    from uspd.model.runtime import NeuralDetector, load_model

    bundle = load_model(Path(__file__).parents[1] / "docs" / "candidates" / "coupled.npz")
    assert not bundle.arch.null_inputs
    with_null = replace(NeuralDetector(bundle).fe_cfg, clutter_null_rank=2)
    x = walker_scene(96000, 40000.0, 3.0, 1.5, 2.5, n_mics=4)
    decisions = []
    for cfg in (NeuralDetector(bundle).fe_cfg, with_null):
        feats = FrontEnd(cfg, 96000, 4, 40000.0).process(x)
        decisions.append(NeuralDetector(bundle, fe_cfg=cfg).process(feats))
    assert feats.null_db is not None
    for field in ("score", "motion", "kind"):
        assert np.array_equal(getattr(decisions[0], field), getattr(decisions[1], field))


def test_a_model_trained_on_the_periodic_canceller_runs_it_and_refuses_a_front_end_without():
    # the stop-37 candidate: its manifest's periodic_cancel must reach the detector's front end
    # (null_db without it is another input than the one it was trained on)
    from dataclasses import replace
    from pathlib import Path

    from uspd.model.runtime import NeuralDetector, load_model
    from uspd.model.train_job import BUILTIN_NPZ

    candidates = Path(__file__).parents[1] / "docs" / "candidates"
    bundle = load_model(candidates / "comb.npz")
    assert bundle.manifest["feature"]["periodic_cancel"] is True
    det = NeuralDetector(bundle)
    assert det.fe_cfg.periodic_cancel and det.fe_cfg.clutter_null_rank == 2
    with pytest.raises(ConfigError, match="periodic_cancel"):
        NeuralDetector(bundle, fe_cfg=replace(det.fe_cfg, periodic_cancel=False))
    # the shipped model (since stop 43, the comb's network) runs it by itself; a model trained
    # before the canceller existed keeps a front end without it
    assert NeuralDetector(load_model(BUILTIN_NPZ)).fe_cfg.periodic_cancel
    assert not NeuralDetector(load_model(candidates / "null2_seed1.npz")).fe_cfg.periodic_cancel



@pytest.mark.parametrize("key", [f.name for f in fields(FrontEndConfig)
                                 if f.name != "n_velocity_bins"])  # set by the input width
def test_every_front_end_setting_of_a_manifest_reaches_the_detector_and_is_enforced(key):
    # a model trained with any front-end setting off its default runs on that setting, and a
    # front end that differs there is refused (a ConfigError naming the setting)
    from uspd.model.runtime import NeuralDetector, load_model
    from uspd.model.train_job import BUILTIN_NPZ

    bundle = load_model(BUILTIN_NPZ)
    shipped = NeuralDetector(bundle).fe_cfg
    value = getattr(shipped, key)
    off = not value if isinstance(value, bool) else value + 1 if isinstance(value, int) \
        else value * 1.5
    trained = replace(bundle, manifest={**bundle.manifest,
                                        "feature": {**bundle.manifest["feature"], key: off}})
    assert getattr(NeuralDetector(trained).fe_cfg, key) == off
    with pytest.raises(ConfigError, match=key):
        NeuralDetector(trained, fe_cfg=shipped)
