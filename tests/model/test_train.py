"""Training core: targets from labels, windows, augmentation, a smoke training run."""

import dataclasses
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from uspd.errors import InputError  # noqa: E402
from uspd.labels import DistractorSpan, Labels, Segment  # noqa: E402
from uspd.model.dataset import (  # noqa: E402
    MAJOR,
    MINOR,
    NON_HUMAN,
    NOTHING,
    AugmentConfig,
    as_recording,
    augment,
    balanced_weights,
    labels_from_targets,
    per_hop_targets,
    window_index,
)
from uspd.model.net import DopplerTCN  # noqa: E402
from uspd.model.runtime import (  # noqa: E402
    Arch,
    NeuralDetector,
    StreamingTCN,
    load_model,
    model_inputs,
)
from uspd.model.train import TrainConfig, train_model, validate  # noqa: E402

HOP = 0.025
V = np.linspace(-3, 3, 40)


def synthetic_recording(n_hops, rng):
    """Noise floor with walker blobs (major), weak slow blobs (minor) and fan lines."""
    x = -95.0 + 3.0 * rng.standard_normal((n_hops, V.size))
    y = np.zeros(n_hops, np.int64)
    t = np.arange(n_hops) * HOP
    i = int(rng.integers(20, 60))
    while i < n_hops - 80:
        kind = rng.choice(["major", "minor", "fan"])
        n = int(rng.integers(40, 120))
        seg = slice(i, min(i + n, n_hops))
        if kind == "major":
            v = rng.choice([-1, 1]) * (0.8 + 0.5 * np.sin(2 * np.pi * t[seg] / 1.1))
            x[seg] += 35 * np.exp(-0.5 * ((V[None] - v[:, None]) / 0.3) ** 2)
            y[seg] = MAJOR
        elif kind == "minor":
            v = 0.35 * np.sin(2 * np.pi * t[seg] / 0.7)
            x[seg] += 14 * np.exp(-0.5 * ((V[None] - v[:, None]) / 0.15) ** 2)
            y[seg] = MINOR
        else:
            x[seg, [5, 34]] += 25 + 2 * rng.standard_normal((seg.stop - seg.start, 2))
            y[seg] = NON_HUMAN
        i = seg.stop + int(rng.integers(40, 120))
    return x.astype(np.float32), y


def test_per_hop_targets_and_back():
    lab = Labels(48000, 2e4, 6.0, 1, (
        Segment(0, 1, "empty"), Segment(1, 2, "major", 1.0), Segment(2, 3, "still"),
        Segment(3, 4, "minor", 0.8), Segment(4, 6, "empty")),
        (DistractorSpan(0.5, 1.5, "fan"), DistractorSpan(2.5, 5.0, "curtain")))
    t = np.arange(1, 241) * HOP
    y = per_hop_targets(lab, t)
    expect = np.full(t.size, NOTHING)
    expect[(t >= 0.5) & (t < 1.5)] = NON_HUMAN
    expect[(t >= 2.5) & (t < 5.0)] = NON_HUMAN
    expect[(t >= 1) & (t < 2)] = MAJOR
    expect[(t >= 3) & (t < 4)] = MINOR
    assert np.array_equal(y, expect)
    assert np.array_equal(per_hop_targets(lab, t, distractors=()), np.where(
        expect == NON_HUMAN, NOTHING, expect))
    back = labels_from_targets(t, y, HOP)
    assert np.array_equal(per_hop_targets(back, t), y)


def test_windows_balance_and_augment():
    rng = np.random.default_rng(0)
    recs = [as_recording(synthetic_recording(400, rng), HOP) for _ in range(2)]
    rec, end, cls = window_index(recs, 50, 4)
    assert end.min() == 49 and (end < 400).all()
    assert np.array_equal(cls, [recs[a].targets[b] for a, b in zip(rec, end, strict=True)])
    p = balanced_weights(cls)
    present = np.unique(cls)
    mass = np.array([p[cls == c].sum() for c in present])
    assert np.allclose(mass, 1 / present.size)
    x = np.stack([recs[0].features[:50]] * 3)
    a = augment(x, np.random.default_rng(1), AugmentConfig(p_floor=1, floor_db=(-80, -80),
                                                           p_jitter=0, p_flip=0, p_mask=0))
    assert (a >= x - 1e-4).all() and (a >= -80 - 1e-4).all()  # noise floor only adds power
    f = augment(x, np.random.default_rng(1), AugmentConfig(p_floor=0, p_jitter=0, p_flip=1,
                                                           p_mask=0))
    assert np.array_equal(f, x[:, :, ::-1])
    m = augment(x, np.random.default_rng(2), AugmentConfig(
        p_floor=0, p_jitter=0, p_flip=0, p_mask=1, max_mask_hops=4), protect_last=16)
    assert np.array_equal(m[:, -16:], x[:, -16:]) and not np.array_equal(m, x)
    # features + a second group (their history): mirror and shift act on both alike, time
    # masks on the features only
    xh = np.concatenate([x, x - 10.0], axis=2)
    f2 = augment(xh, np.random.default_rng(1), AugmentConfig(p_floor=0, p_jitter=0, p_flip=1,
                                                             p_mask=0), groups=2)
    assert np.array_equal(f2, np.concatenate([x[:, :, ::-1], x[:, :, ::-1] - 10.0], axis=2))
    m2 = augment(xh, np.random.default_rng(2), AugmentConfig(
        p_floor=0, p_jitter=0, p_flip=0, p_mask=1, max_mask_hops=4), protect_last=16, groups=2)
    assert np.array_equal(m2[:, :, 40:], xh[:, :, 40:]) and np.array_equal(m2[:, :, :40], m)
    with pytest.raises(InputError):
        augment(xh[:, :, :79], np.random.default_rng(0), AugmentConfig(), groups=2)
    with pytest.raises(InputError):
        as_recording((np.zeros((10, 40)), np.zeros(9)))


@pytest.mark.parametrize("history_hops", [0, 40])
def test_smoke_training_loss_falls_and_runtime_matches(tmp_path, history_hops):
    rng = np.random.default_rng(7)
    train = [synthetic_recording(1200, rng) for _ in range(3)]
    val = [synthetic_recording(1200, rng) for _ in range(2)]
    arch = Arch(channels=16, dilations=(1, 2, 4, 8), history_delay_hops=history_hops,
                history_decay_db_per_hop=0.05)
    cfg = TrainConfig(epochs=3, steps_per_epoch=20, batch=32, lr=5e-3, seed=1, arch=arch,
                      target_recall=0.9, progress=False, name="smoke")
    res = train_model(train, val, cfg, tmp_path)
    # untrained reference with the same normalisation
    torch.manual_seed(0)
    fresh = DopplerTCN(arch)
    fresh.load_state_dict({k: v for k, v in res.model.state_dict().items()
                           if k.startswith("norm")}, strict=False)
    val_recs = [as_recording(v, HOP) for v in val]
    before = validate(fresh, val_recs, 0.9)["val_loss"]
    after = validate(res.model, val_recs, 0.9)
    assert after["val_loss"] < 0.5 * before
    assert res.history[-1]["train_loss"] < res.history[0]["train_loss"]
    assert after["major_events"] > 0 and after["major_recall"] >= 0.9
    best = res.history[res.best_epoch - 1]
    assert best["fa_per_hour"] == min(h["fa_per_hour"] for h in res.history)
    # the exported numpy runtime reproduces torch
    bundle = load_model(res.model_path)
    meta = json.loads(res.model_path.with_suffix(".json").read_text())
    assert meta["train"]["seed"] == 1 and meta["threshold"] == pytest.approx(res.manifest[
        "threshold"])
    x = val_recs[0].features
    with torch.no_grad():
        ref = res.model(torch.from_numpy(model_inputs(arch, x))[None]).numpy()[0]
    assert bundle.arch == arch
    got = StreamingTCN(bundle.arch, bundle.weights).process(x)
    assert np.abs(got - ref).max() < 1e-4
    det = NeuralDetector(bundle)
    assert 0 < det.threshold < 1


def test_training_is_reproducible(tmp_path):
    rng = np.random.default_rng(3)
    data = [synthetic_recording(300, rng) for _ in range(2)]
    cfg = TrainConfig(epochs=1, steps_per_epoch=4, batch=8, seed=5, progress=False,
                      arch=Arch(channels=8, dilations=(1, 2)))
    a = train_model(data[:1], data[1:], cfg, tmp_path / "a")
    b = train_model(data[:1], data[1:], cfg, tmp_path / "b")
    for k, v in a.model.state_dict().items():
        assert torch.equal(v, b.model.state_dict()[k])
    # the manifest names the data and libraries a rerun must match
    ta, tb = a.manifest["train"], b.manifest["train"]
    assert ta["train_data_sha256"] == tb["train_data_sha256"] != ta["val_data_sha256"]
    assert ta["versions"]["torch"] == torch.__version__
    # and the vector code the libraries chose on this CPU (what differed between stop 44's
    # machine and stop 48's)
    assert ta["versions"]["torch_simd"] == str(torch.backends.cpu.get_cpu_capability())
    from numpy._core._multiarray_umath import __cpu_dispatch__

    assert ta["versions"]["numpy_simd"] in ("baseline", *__cpu_dispatch__)
    other = train_model(data[1:], data[:1], cfg, tmp_path / "c").manifest["train"]
    assert other["train_data_sha256"] == ta["val_data_sha256"]


def test_ema_exports_the_moving_average_of_the_raw_trajectory(tmp_path):
    """Two steps with decay d export d * w1 + (1 - d) * w2, where w1, w2 are the raw weights
    after each step (w1 from a one-step run: the first step's learning rate is the same)."""
    rng = np.random.default_rng(4)
    data = [synthetic_recording(300, rng) for _ in range(2)]
    base = dict(epochs=1, batch=8, seed=2, progress=False,
                arch=Arch(channels=8, dilations=(1, 2)))
    w1 = train_model(data[:1], data[1:], TrainConfig(steps_per_epoch=1, **base),
                     tmp_path / "w1").model.state_dict()
    w2 = train_model(data[:1], data[1:], TrainConfig(steps_per_epoch=2, **base),
                     tmp_path / "w2").model.state_dict()
    res = train_model(data[:1], data[1:], TrainConfig(steps_per_epoch=2, ema_decay=0.75,
                                                      **base), tmp_path / "ema")
    ema = res.model.state_dict()
    for k in w1:
        assert torch.allclose(ema[k], 0.75 * w1[k] + 0.25 * w2[k], atol=1e-6), k
    assert any(not torch.equal(ema[k], w2[k]) for k in w1)
    # the recorded validation figures are those of the exported (averaged) weights
    val = [as_recording(data[1], HOP)]
    assert validate(res.model, val, 0.99)["val_loss"] == pytest.approx(
        res.history[0]["val_loss"])
    with pytest.raises(Exception, match="ema_decay"):
        TrainConfig(ema_decay=1.0).validate()


def test_selection_scores_like_the_tuner_and_the_detector(tmp_path):
    """validate() (checkpoint selection) measures the deployed score: a walker-like blob in
    the warm-up hops of an empty recording is no false alarm, as for the tuner."""
    from uspd.model.runtime import p_human, softmax
    from uspd.model.tune import held_score_fa_per_hour

    rng = np.random.default_rng(11)
    train = [synthetic_recording(1200, rng) for _ in range(3)]
    val = [synthetic_recording(1200, rng) for _ in range(2)]
    arch = Arch(channels=16, dilations=(1, 2, 4, 8))
    res = train_model(train, val, TrainConfig(
        epochs=2, steps_per_epoch=20, batch=32, lr=5e-3, seed=1, arch=arch, progress=False),
        tmp_path)
    x, _ = synthetic_recording(400, rng)
    x[:] = -95.0 + 3.0 * rng.standard_normal(x.shape)
    v = 0.9 * np.sin(2 * np.pi * np.arange(16) * HOP / 1.1)
    x[2:18] += 35 * np.exp(-0.5 * ((V[None] - v[:, None]) / 0.3) ** 2)  # inside the warm-up
    recs = [as_recording(r, HOP) for r in val] + [as_recording((x, np.zeros(400, np.int64)), HOP)]
    # the empty recording as an empty-family scene: the figure on those alone, as the tuner's
    recs[-1] = dataclasses.replace(recs[-1], labels=dataclasses.replace(
        recs[-1].labels, scene="empty-fan"))
    bundle = load_model(res.model_path)
    scores = []
    for r in recs:
        sc = p_human(softmax(bundle.network().process(r.features)))
        sc[:arch.receptive_field_hops] = 0.0
        scores.append(sc)
    for hold in (1, 3):
        got = validate(res.model, recs, 0.9, hold_hops=hold)
        assert got["fa_per_hour"] == pytest.approx(
            held_score_fa_per_hour(recs, scores, hold, 0.9), rel=1e-6)
        assert got["empty_fa_per_hour"] == pytest.approx(
            held_score_fa_per_hour(recs, scores, hold, 0.9, "empty-families"), rel=1e-6)
    assert validate(res.model, recs[:-1], 0.9)["empty_fa_per_hour"] == np.inf


def test_deployment_threshold_has_margin():
    from types import SimpleNamespace

    from uspd.evaluate import evaluate_corpus
    from uspd.model.train import deployment_threshold

    lab = Labels(48000, 2e4, 20.0, 1, (
        Segment(0, 5, "empty"), Segment(5, 7, "major"), Segment(7, 12, "empty"),
        Segment(12, 14, "major"), Segment(14, 20, "empty")))
    t = np.arange(1, 801) * HOP
    rng = np.random.default_rng(0)
    score = rng.uniform(0.0, 0.3, t.size)
    score[(t >= 5.5) & (t < 6)] = 0.9
    score[(t >= 12.5) & (t < 13)] = 0.95
    rep = evaluate_corpus([(SimpleNamespace(t_s=t, motion=score > 0.5, score=score), lab)])
    op = rep.operating_point(0.99)
    assert op.threshold == pytest.approx(0.9) and op.false_alarms == 0
    thr = deployment_threshold(rep.det, op)
    assert score[score < 0.5].max() < thr < op.threshold
    assert rep.det.false_alarms_at(thr) == 0


def test_selection_scope_orders_checkpoints_by_the_empty_family_figure():
    from uspd.errors import ConfigError
    from uspd.model.train import _selection_key

    # epoch a: fewer false alarms overall, more of them in the empty families; epoch b: the
    # reverse. "all" keeps a, "empty-families" keeps b; equal figures fall to the other one,
    # then to the loss
    a = {"fa_per_hour": 20.0, "empty_fa_per_hour": 15.0, "val_loss": 0.2}
    b = {"fa_per_hour": 30.0, "empty_fa_per_hour": 6.0, "val_loss": 0.3}
    assert min([a, b], key=_selection_key) is a
    assert min([a, b], key=lambda m: _selection_key(m, "empty-families")) is b
    c = {**b, "fa_per_hour": 25.0, "val_loss": 0.9}
    assert min([b, c], key=lambda m: _selection_key(m, "empty-families")) is c
    with pytest.raises(ConfigError, match="selection_scope"):
        TrainConfig(selection_scope="empty").validate()
