"""benchmarks/heldout_eval.py: the empty families' rate at the whole corpus's threshold."""

from types import SimpleNamespace

import numpy as np
import pytest

from benchmark_script import load_benchmark
from uspd.labels import Labels, Segment

HOP = 0.025


def load_script():
    return load_benchmark("heldout_eval")


def recording(scene, segments, bursts, duration=60.0):
    """Labels of `scene` and decisions whose score is `level` over each (start, end, level)."""
    t = np.round(np.arange(1, round(duration / HOP) + 1) * HOP, 6)
    score = np.zeros(t.size)
    for a, b, level in bursts:
        score[(t >= a) & (t <= b)] = level
    labels = Labels(fs_hz=48000, carrier_hz=20000.0, duration_s=duration, n_mics=1,
                    segments=tuple(Segment(a, b, lab) for a, b, lab in segments), scene=scene)
    return scene, {"x": SimpleNamespace(t_s=t, motion=score >= 0.5, score=score)}, labels


def test_empty_family_rate_counts_only_empty_families_above_the_threshold():
    mod = load_script()
    results = [
        # two alarms 30 s apart, both above 0.6
        recording("empty-fan", [(0, 60, "empty")], [(10, 11, 0.9), (40, 41, 0.8)]),
        # one below it
        recording("empty-music", [(0, 60, "empty")], [(20, 21, 0.5)]),
        # an alarm in a walk-in's empty time: a false alarm, but not of an empty family
        recording("walk-in", [(0, 20, "empty"), (20, 24, "major"), (24, 60, "still")],
                  [(5, 6, 0.95), (21, 23, 1.0)]),
    ]
    got = mod.empty_family_rates(results, ["x", "y"], {"x": 0.6, "y": None})
    assert set(got) == {"x"}  # no threshold: left out
    assert got["x"]["false_alarms"] == 2
    assert got["x"]["empty_h"] == pytest.approx(120 / 3600)
    assert got["x"]["fa_per_hour"] == pytest.approx(2 / (120 / 3600))
    # above both fan alarms: none left
    assert mod.empty_family_rates(results, ["x"], {"x": 0.95})["x"]["false_alarms"] == 0


LATER_CORPORA = list(load_script().CORPORA)[1:]  # every corpus after the held-out one


@pytest.mark.parametrize("seed0", LATER_CORPORA)
def test_later_corpora_are_the_same_suite_on_seeds_no_other_corpus_uses(seed0):
    mod = load_script()
    held, other = mod.jobs(6.5), mod.jobs(6.5, seed0)
    # the same families, durations and devices, in the same order
    assert [(f, d, dev) for f, _, d, dev in held] == [(f, d, dev) for f, _, d, dev in other]
    others = {j[1] for s0 in mod.CORPORA if s0 != seed0 for j in mod.jobs(6.5, s0)}
    seeds = {j[1] for j in other}
    assert len(seeds) == len(other) and not others & seeds
    assert min(seeds) == seed0


def test_every_corpus_constant_is_named():
    mod = load_script()
    constants = {v for k, v in vars(mod).items() if k.endswith("_SEED0")}
    assert constants == set(mod.CORPORA)


def test_seed0_below_the_test_seeds_is_a_one_line_error():
    mod = load_script()
    assert mod.check_seed0(mod.CONFIRM_SEED0) == mod.CONFIRM_SEED0
    with pytest.raises(SystemExit, match="at least 900000000"):
        mod.check_seed0(mod.TEST_SEED0 - 1)
    with pytest.raises(SystemExit, match="--pool must be at least"):
        mod.check_seed0(mod.TEST_SEED0 - 1, "--pool")


def test_one_rendering_caches_the_periodic_cancellers_features_beside_the_plain_ones(
        tmp_path, monkeypatch):
    """run_one with `also`: the comb's front end gets its own cache entry from the same
    rendering (the plain features unchanged, null_db without the fan), and a later call with
    both cached renders nothing and gives the same decisions."""
    from dataclasses import replace
    from pathlib import Path

    from uspd.dsp.frontend import FrontEndConfig

    mod = load_script()
    # a model trained without the comb, whose front end is the plain one
    mod.register_neural(str(Path(__file__).parents[1] / "docs" / "candidates" / "null2_seed1.npz"))
    plain = replace(FrontEndConfig(), clutter_null_rank=2)
    comb = mod.comb_switched(plain)
    assert comb.periodic_cancel and mod.comb_switched(comb) == plain  # either way round
    job = ("empty-fan", 999_999_999, 6.0, "echo")
    _, first, labels = mod.run_one(job, plain, str(tmp_path), also=(comb,))
    feats = {c: mod.read_cached(mod.cache_path(str(tmp_path), job, c))[0] for c in (plain, comb)}
    assert np.array_equal(feats[plain].doppler_db, feats[comb].doppler_db)
    late = feats[plain].t_end_s > 3.0
    # the fan repeats, so the comb takes power out of null_db's moving bins
    assert np.mean(feats[comb].null_db[late]) < np.mean(feats[plain].null_db[late]) - 3.0
    def no_render(*args, **kwargs):
        raise AssertionError("rendered although both front ends' features are cached")

    monkeypatch.setattr("uspd.sim.render.render", no_render)
    _, again, labels2 = mod.run_one(job, plain, str(tmp_path), also=(comb,))
    assert labels2 == labels
    for name in first:
        assert np.array_equal(again[name].score, first[name].score)
