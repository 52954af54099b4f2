"""The feature cache's key: it must change exactly when the item it names would."""

import hashlib
import json

import pytest

import uspd.sim.library as library
from uspd.dsp.frontend import FrontEndConfig
from uspd.model.simdata import CACHE_VERSION, SceneSpec


def version1_key(spec: SceneSpec, fe_cfg: FrontEndConfig) -> str:
    """The key as CACHE_VERSION 1 computed it, before any later scene setting, from the
    front end's repr as it was before the clutter-null (and periodic canceller) settings
    existed."""
    old_repr = repr(fe_cfg).replace(", clutter_null_rank=0, clutter_null_tau_s=10.0", "").replace(
        ", periodic_cancel=False, periodic_cancel_gate=0.5", "")
    text = json.dumps([CACHE_VERSION, spec.scene, spec.seed, spec.duration_s, spec.device,
                       old_repr])
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def test_u_turn_scenes_and_only_they_get_new_keys():
    # the key of a held-out recording's features as stored from stop 25 to stop 45
    # (runs/heldout_cache/far-sitter_900002024_echo_5c5248243b656966.npz); its person walks
    # back the way they came, and the side of that U-turn was fixed at stop 46
    fe_cfg = FrontEndConfig()
    far = SceneSpec("far-sitter", 900002024, 30.0, "echo")
    assert far.key(fe_cfg) != "5c5248243b656966"
    assert far.key(FrontEndConfig(clutter_null_rank=2)) != far.key(fe_cfg)
    people = [s for s in library.make_scene("far-sitter", seed=900002024, duration_s=30.0,
                                            device="echo").sources if s.kind == "person"]
    assert sum(p.u_turns for p in people) >= 1


def test_scenes_without_music_keep_their_version_1_key():
    fe_cfg = FrontEndConfig()
    for spec in (SceneSpec("empty-fan", 31, 30.0), SceneSpec("walk-in", 7, 20.0, "laptop")):
        assert spec.key(fe_cfg) == version1_key(spec, fe_cfg)


def test_music_volume_coupling_changes_the_key_of_music_scenes_only(monkeypatch):
    fe_cfg = FrontEndConfig()
    spec = SceneSpec("empty-music", 5, 30.0)
    coupled = spec.key(fe_cfg)
    assert coupled != version1_key(spec, fe_cfg)
    monkeypatch.setattr(library, "MUSIC_FULL_DRIVE_DB_SPL", None)
    assert spec.key(fe_cfg) == version1_key(spec, fe_cfg)
    monkeypatch.setattr(library, "MUSIC_FULL_DRIVE_DB_SPL", 90.0)
    assert spec.key(fe_cfg) not in (coupled, version1_key(spec, fe_cfg))


@pytest.mark.parametrize("name", ["empty-music", "music-and-person", "demo"])
def test_library_music_is_a_volume_below_full_drive(name):
    music = library.make_scene(name, seed=3, duration_s=30.0, device="echo").music
    assert music.full_drive_db_spl == library.MUSIC_FULL_DRIVE_DB_SPL
    assert 0.0 < music.drive_scale <= 1.0
    assert music.drive_scale == pytest.approx(
        10 ** ((music.level_db_spl - music.full_drive_db_spl) / 20))
