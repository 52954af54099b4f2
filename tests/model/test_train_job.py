"""`uspd train` end to end on a tiny simulated corpus: scenes → front end → training → export."""

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from uspd.dsp.frontend import FrontEndConfig
from uspd.errors import ConfigError, InputError
from uspd.model.dataset import MAJOR, NOTHING
from uspd.model.mining import MinedScene, write_hard_negatives
from uspd.model.recipe import load_recipe
from uspd.model.runtime import load_model
from uspd.model.simdata import SceneSpec, build_recordings
from uspd.model.train_job import run_training


def test_simulated_features_carry_targets_from_the_labels(tmp_path):
    (rec,) = build_recordings([SceneSpec("walk-in", 7, 6.0)], tmp_path, workers=1)
    assert rec.features.shape == (rec.t_end_s.size, 40)
    # targets follow the labels at each hop end: nothing before the person enters, major after
    first_major = rec.t_end_s[np.argmax(rec.targets == MAJOR)]
    first_seg = next(s for s in rec.labels.segments if s.label == "major")
    assert first_seg.start <= first_major <= first_seg.start + 0.03
    assert np.all(rec.targets[rec.t_end_s < first_seg.start - 0.05] == NOTHING)
    # the cache returns the same arrays
    (again,) = build_recordings([SceneSpec("walk-in", 7, 6.0)], tmp_path, workers=1)
    np.testing.assert_array_equal(again.features, rec.features)


def test_tiny_training_run_writes_a_loadable_model(tmp_path):
    hard = tmp_path / "hn.json"
    write_hard_negatives(hard, [MinedScene(SceneSpec("empty-fan", 201_000, 5.0, "laptop"),
                                           0.9, 1, 5.0)], 0.5, {})
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(
        f'out_dir = "{tmp_path / "out"}"\n'
        "[data]\ntrain_random = 0\nval_random = 0\nduration_s = 5.0\nworkers = 1\n"
        f'cache_dir = "{tmp_path / "cache"}"\nhard_negatives = ["{hard}", "{hard}"]\n'
        'train_named = {walk-in = 2, empty-fan = 1}\nval_named = {walk-in = 1, empty-quiet = 1}\n'
        "[train]\nepochs = 2\nsteps_per_epoch = 5\nbatch = 8\nprogress = false\n"
    )
    said = []
    path = run_training(cfg, None, echo=said.append)
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert manifest["data"]["data"]["train_named"] == {"walk-in": 2, "empty-fan": 1}
    # the mined scene joins the training set with its own sampling weight
    assert manifest["train"]["n_train_recordings"] == 4
    assert manifest["train"]["n_weighted_recordings"] == 1
    assert any("1 mined hard negatives" in s for s in said)
    assert manifest["budget"]["params"] <= 50_000
    bundle = load_model(path)
    assert 0.0 < bundle.manifest["threshold"] <= 1.0


def test_members_train_with_seeds_of_their_own_and_ship_as_one_tuned_ensemble(tmp_path):
    cfg = tmp_path / "pair.toml"
    cfg.write_text(
        f'out_dir = "{tmp_path / "out"}"\n'
        "[data]\ntrain_random = 0\nval_random = 0\nduration_s = 5.0\nworkers = 1\n"
        f'cache_dir = "{tmp_path / "cache"}"\n'
        'train_named = {walk-in = 2, empty-fan = 1}\nval_named = {walk-in = 1, empty-quiet = 1}\n'
        "[train]\nepochs = 1\nsteps_per_epoch = 3\nbatch = 8\nprogress = false\nseed = 5\n"
        "members = 2\nname = \"pair\"\n[train.arch]\nchannels = 8\n"
    )
    said = []
    path = run_training(cfg, None, echo=said.append)
    assert path.name == "pair.npz"
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert [m["train"]["seed"] for m in manifest["members"]] == [5, 6]
    assert [m["source"] for m in manifest["members"]] == ["pair-member0.npz", "pair-member1.npz"]
    assert "decision" in manifest and manifest["data"]["data"]["val_named"]["walk-in"] == 1
    bundle = load_model(path)
    a, b = (w for _, w in bundle.networks())
    assert not np.array_equal(a["inp.weight"], b["inp.weight"])  # two seeds, two networks
    assert manifest["budget"]["params"] == 2 * bundle.arch.n_params()
    assert sum("member" in s for s in said) == 2


def test_recipe_rejects_unknown_keys_and_test_seeds(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[data]\ntrain_randoms = 3\n")
    with pytest.raises(ConfigError, match="train_randoms"):
        load_recipe(bad)
    bad.write_text("[data]\nseed = 900000000\n")
    with pytest.raises(ConfigError, match="held-out"):
        load_recipe(bad)
    bad.write_text("[evaluate]\nx = 1\n")
    with pytest.raises(ConfigError, match="evaluate"):
        load_recipe(bad)
    for front_end, match in (("{clutter_nul_rank = 2}", "clutter_nul_rank"),
                             ("{clutter_null_rank = -1}", "clutter_null_rank")):
        bad.write_text(f"[data]\nfront_end = {front_end}\n")
        with pytest.raises(ConfigError, match=match):
            load_recipe(bad)
    for windows in ("[0, 8]", "[]", "[1.5]", "8"):
        bad.write_text(f"[train]\nevidence_hops = {windows}\n")
        with pytest.raises(ConfigError, match="evidence_hops"):
            load_recipe(bad)
    bad.write_text("[train]\nevidence_hops = [1, 8, 16]\n")
    assert load_recipe(bad).train.evidence_hops == (1, 8, 16)
    for paths in ("[[1, 0.0]]", "[[48]]", "[48, 1.0]", '[[48, "1"]]'):
        bad.write_text(f"[train]\nslow_paths = {paths}\n")
        with pytest.raises(ConfigError, match="slow_paths"):
            load_recipe(bad)
    bad.write_text("[train]\nslow_paths = [[48, 1], [80, 2.5]]\n")
    assert load_recipe(bad).train.slow_paths == ((48, 1.0), (80, 2.5))
    bad.write_text('[train]\nslow_release = "slow"\n')
    with pytest.raises(ConfigError, match="slow_release"):
        load_recipe(bad)
    rel = Path(__file__).parents[2] / "configs/candidate_slow_rel_par.toml"
    assert load_recipe(rel).train.slow_release == "fast"
    bad.write_text("[train]\ntune_false_alarms = -1\n")
    with pytest.raises(ConfigError, match="tune_false_alarms"):
        load_recipe(bad)
    for floor in ("0.0", "1.2", '"high"'):
        bad.write_text(f"[train]\ntune_min_major_recall = {floor}\n")
        with pytest.raises(ConfigError, match="tune_min_major_recall"):
            load_recipe(bad)
    bad.write_text("[train]\ntune_min_major_recall = 0.9\n")
    assert load_recipe(bad).train.tune_min_major_recall == 0.9
    bad.write_text("[data]\nfront_end = {periodic_cancel = true}\n")  # no null to feed
    with pytest.raises(ConfigError, match="periodic_cancel"):
        load_recipe(bad)


def test_a_clutter_null_recipe_trains_a_model_whose_detector_runs_that_front_end(tmp_path):
    cfg = tmp_path / "null.toml"
    cfg.write_text(
        f'out_dir = "{tmp_path / "out"}"\n'
        "[data]\ntrain_random = 0\nval_random = 0\nduration_s = 5.0\nworkers = 1\n"
        f'cache_dir = "{tmp_path / "cache"}"\nfront_end = {{clutter_null_rank = 1}}\n'
        'train_named = {walk-in = 2, empty-fan = 1}\nval_named = {walk-in = 1, empty-quiet = 1}\n'
        "[train]\nepochs = 1\nsteps_per_epoch = 3\nbatch = 8\nprogress = false\n"
        "[train.arch]\nnull_inputs = true\n"
    )
    path = run_training(cfg, None, echo=lambda s: None)
    bundle = load_model(path)
    assert bundle.arch.null_inputs and bundle.manifest["feature"]["clutter_null_rank"] == 1
    from uspd.dsp.frontend import FrontEnd
    from uspd.model.runtime import NeuralDetector
    from uspd.sim.library import make_scene
    from uspd.sim.render import render

    det = NeuralDetector(bundle)
    assert det.fe_cfg.clutter_null_rank == 1
    rec = render(make_scene("walk-in", seed=77, duration_s=3.0))
    fe = FrontEnd(det.fe_cfg, rec.fs_hz, rec.audio.shape[1], rec.labels.carrier_hz)
    feats = fe.process(rec.audio)
    assert feats.null_db is not None
    assert det.process(feats).score.shape == (feats.n_hops,)
    plain = FrontEnd(FrontEndConfig(), rec.fs_hz, rec.audio.shape[1], rec.labels.carrier_hz)
    with pytest.raises(ConfigError, match="clutter null"):
        det.process(plain.process(rec.audio))
    # features without the null's columns are refused by training with a clear error
    cfg.write_text(cfg.read_text().replace("front_end = {clutter_null_rank = 1}\n", ""))
    with pytest.raises(InputError, match="null_inputs"):
        run_training(cfg, tmp_path / "out2", echo=lambda s: None)


def test_long_training_scenes_have_seeds_and_length_of_their_own(tmp_path):
    from uspd.model.recipe import MINE_OFFSET, TRAIN_LONG_OFFSET
    from uspd.model.train_job import training_specs

    cfg = tmp_path / "long.toml"
    cfg.write_text("[data]\nseed = 50\ntrain_random = 2\ntrain_named = {walk-in = 1}\n"
                   "train_long = {empty-fan = 2, far-sitter = 1}\ntrain_long_s = 90.0\n")
    specs = training_specs(load_recipe(cfg).data)
    assert [(s.scene, s.seed, s.duration_s) for s in specs] == [
        ("random", 50, 30.0), ("random", 51, 30.0), ("walk-in", 52, 30.0),
        ("empty-fan", 50 + TRAIN_LONG_OFFSET, 90.0), ("empty-fan", 51 + TRAIN_LONG_OFFSET, 90.0),
        ("far-sitter", 52 + TRAIN_LONG_OFFSET, 90.0)]
    cfg.write_text(f"[data]\ntrain_long = {{empty-fan = {MINE_OFFSET - TRAIN_LONG_OFFSET + 1}}}\n")
    with pytest.raises(ConfigError, match="mining seeds"):
        load_recipe(cfg)
    cfg.write_text(f"[data]\ntrain_random = {TRAIN_LONG_OFFSET + 1}\n")
    with pytest.raises(ConfigError, match="long training seeds"):
        load_recipe(cfg)


def test_a_recipe_over_its_base_changes_only_what_it_states(tmp_path):
    (tmp_path / "base.toml").write_text(
        'out_dir = "runs/a"\n[data]\ntrain_random = 7\ntrain_named = {walk-in = 2, '
        'empty-fan = 3}\n[train]\nseed = 0\nepochs = 5\n[train.arch]\nchannels = 16\n'
        'history_delay_hops = 60\n')
    (tmp_path / "sub").mkdir()
    child = tmp_path / "sub" / "child.toml"
    child.write_text('base = "../base.toml"\n[data]\ntrain_named = {walk-in = 4}\n'
                     '[train]\nseed = 1\n[train.arch]\nchannels = 8\n')
    base, r = load_recipe(tmp_path / "base.toml"), load_recipe(child)
    assert r.out_dir == "runs/a" and r.data.train_random == 7  # inherited
    assert r.data.train_named == {"walk-in": 4}  # an inline table is replaced whole
    assert (r.train.seed, r.train.epochs) == (1, 5)
    assert (r.train.arch.channels, r.train.arch.history_delay_hops) == (8, 60)
    assert base.train.seed == 0 and base.train.arch.channels == 16
    child.write_text('base = "child.toml"\n')  # itself
    with pytest.raises(ConfigError, match="cycle"):
        load_recipe(child)
    child.write_text('base = "missing.toml"\n')
    with pytest.raises(ConfigError, match=r"missing\.toml"):
        load_recipe(child)


CONFIGS = sorted((Path(__file__).parents[2] / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_every_shipped_recipe_loads_within_the_budget(path):
    """The recipes in configs/ parse, name existing hard-negative lists, and their networks fit
    the issue's budget (<= 50 k parameters, <= 1 M MAC per second of audio)."""
    from uspd.model.net import MAX_MACS_PER_S, MAX_PARAMS

    r = load_recipe(path)
    root = path.parents[1]
    assert all((root / hn).exists() for hn in r.data.hard_negatives)
    arch, n = r.train.arch, r.train.members  # an ensemble's members run side by side
    assert n * arch.n_params() <= MAX_PARAMS
    assert n * arch.macs_per_s(r.train.hop_s) <= MAX_MACS_PER_S
    if path.name == "history.toml":
        assert arch.history_delay_hops == 60 and arch.n_inputs == 2 * arch.n_bins
