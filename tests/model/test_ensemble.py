"""Ensembles: the runtime averages its members' class probabilities, streams in any block
size, matches torch, counts the budget of all members, and refuses what does not fit."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from blocks import in_random_blocks  # noqa: E402
from test_runtime import FE, HISTORY_ARCH, block, random_feats, random_model  # noqa: E402

from uspd.errors import InputError  # noqa: E402
from uspd.model.ensemble import join_models  # noqa: E402
from uspd.model.net import export_npz  # noqa: E402
from uspd.model.quantize import write_int8_model  # noqa: E402
from uspd.model.runtime import (  # noqa: E402
    Arch,
    NeuralDetector,
    StreamingTCN,
    load_model,
    model_inputs,
    p_human,
    softmax,
)

MANIFEST = {"feature": {"hop_s": FE.hop_s, "n_velocity_bins": 40},
            "classes": ["nothing", "non_human", "minor", "major"]}
SMALL = Arch(channels=8, dilations=(1, 2, 4))  # a shorter receptive field than the default


def members(tmp_path, archs=(None, HISTORY_ARCH, SMALL), thresholds=(0.3, 0.5, 0.7)):
    """Exported random models (seeds 0, 1, ...) and their torch modules."""
    paths, models = [], []
    for i, (arch, thr) in enumerate(zip(archs, thresholds, strict=True)):
        m = random_model(10 + i, arch)
        paths.append(export_npz(m, tmp_path / f"m{i}", {**MANIFEST, "threshold": thr}))
        models.append(m)
    return paths, models


def test_ensemble_scores_the_mean_of_its_members_probabilities(tmp_path):
    paths, models = members(tmp_path)
    bundle = load_model(join_models(paths, tmp_path / "ens"))
    x = random_feats(160)
    mean = np.mean([softmax(StreamingTCN(a, w).process(x)) for a, w in bundle.networks()],
                   axis=0)
    got = softmax(bundle.network().process(x))
    assert np.abs(got - mean).max() < 1e-12
    # the members are the exported networks, in order, and differ (a real average)
    with torch.no_grad():
        ref = [torch.softmax(m(torch.from_numpy(model_inputs(m.arch, x))[None]), -1).numpy()[0]
               for m in models]
    assert np.abs(got - np.mean(ref, axis=0)).max() < 1e-5
    assert np.abs(ref[0] - ref[1]).max() > 0.05
    assert bundle.threshold == pytest.approx(0.5)  # the members' mean until tuned


def test_ensemble_detector_is_block_size_invariant_and_warms_up_its_longest_member(tmp_path):
    paths, _ = members(tmp_path)
    bundle = load_model(join_models(paths, tmp_path / "ens"))
    assert bundle.receptive_field_hops == Arch().receptive_field_hops > \
        SMALL.receptive_field_hops
    x = random_feats(200)
    det = NeuralDetector(bundle)
    whole = det.process(block(x))
    warm = bundle.receptive_field_hops
    assert np.all(whole.score[:warm] == 0) and whole.score[warm:].max() > 0
    det.reset()
    rng = np.random.default_rng(3)
    t = np.arange(x.shape[0])
    got = in_random_blocks(lambda i: det.process(block(x[i], int(i[0]) if i.size else 0)).score,
                           t, rng, [0, 1, 2, 9, 40])
    assert np.array_equal(got, whole.score)
    net = bundle.network()
    logits = net.process(x)
    net.reset()
    assert np.array_equal(in_random_blocks(net.process, x, rng, [0, 1, 5, 33]), logits)


def test_ensemble_budget_is_its_members_together(tmp_path):
    paths, models = members(tmp_path)
    out = join_models(paths, tmp_path / "ens-v1.2", extra={"note": "x"})
    assert out.name == "ens-v1.2.npz" and out.with_suffix(".json").exists()  # a dot is kept
    meta = json.loads(out.with_suffix(".json").read_text())
    archs = [m.arch for m in models]
    assert meta["budget"]["params"] == sum(a.n_params() for a in archs)
    assert meta["budget"]["macs_per_hop"] == sum(a.macs_per_hop() for a in archs)
    assert meta["budget"]["receptive_field_hops"] == max(a.receptive_field_hops for a in archs)
    assert [m["source"] for m in meta["members"]] == ["m0.npz", "m1.npz", "m2.npz"]
    assert meta["note"] == "x" and meta["budget"]["members"] == 3


def test_int8_ensemble_scores_like_the_float_one(tmp_path):
    paths, _ = members(tmp_path)
    ens = join_models(paths, tmp_path / "ens")
    q = write_int8_model(ens, tmp_path / "ens8")
    x = random_feats(150)
    ref = p_human(softmax(load_model(ens).network().process(x)))
    got = p_human(softmax(load_model(q).network().process(x)))
    assert 0 < np.abs(got - ref).max() < 0.02


def test_join_and_load_refuse_what_is_not_an_ensemble(tmp_path):
    paths, _ = members(tmp_path)
    with pytest.raises(InputError, match="two or more"):
        join_models(paths[:1], tmp_path / "one")
    other = export_npz(random_model(20), tmp_path / "other",
                       {**MANIFEST, "feature": {"hop_s": 0.05, "n_velocity_bins": 40}})
    with pytest.raises(InputError, match="different feature"):
        join_models([paths[0], other], tmp_path / "bad")
    ens = join_models(paths[:2], tmp_path / "ens")
    with pytest.raises(InputError, match="ensemble already"):
        join_models([ens, paths[2]], tmp_path / "nested")
    # stored arrays that no member claims, or a member without its arrays
    with np.load(ens) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(ens.with_suffix(".json").read_text())
    np.savez(tmp_path / "stray.npz", **arrays, **{"members.2.inp.bias": np.zeros(32)})
    (tmp_path / "stray.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match="no member"):
        load_model(tmp_path / "stray.npz")
    (tmp_path / "short.json").write_text(json.dumps({**meta, "members": meta["members"] * 2}))
    np.savez(tmp_path / "short.npz", **arrays)
    with pytest.raises(InputError, match="missing array"):
        load_model(tmp_path / "short.npz")
