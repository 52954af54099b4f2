"""Feature corpora from the simulator: scenes → audio → streaming front end → per-hop targets.

Rendering dominates the cost (~10x real time per core for 96 kHz / 4 mics), so each item is
cached as a small .npz (features are ~6 kB per second of audio) keyed by what made it. Uses the
same FrontEnd as `uspd detect`, with the carrier found the same way, so training sees exactly
what deployment sees.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from uspd.dsp.frontend import FeatureBlock, FrontEnd, FrontEndConfig, stacked_features
from uspd.labels import Labels
from uspd.model.dataset import Recording, per_hop_targets

CACHE_VERSION = 1  # bump when the simulator or front end changes what an item contains


@dataclass(frozen=True)
class SceneSpec:
    """One simulated recording: a named scene (or "random"), its seed and length (s)."""

    scene: str
    seed: int
    duration_s: float
    device: str = "echo"

    def key(self, fe_cfg: FrontEndConfig) -> str:
        """Cache key of the item: everything that decides it. Scene settings added since
        CACHE_VERSION 1 enter only for the scenes that use them, so such a change renders
        again only the scenes it alters (and the others' keys stay what they were)."""
        parts = [CACHE_VERSION, self.scene, self.seed, self.duration_s, self.device,
                 fe_cfg.key_repr(), *self._later_settings()]
        return hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:16]

    def _later_settings(self) -> list[list]:
        """[name, value] of each post-version-1 scene setting this scene uses."""
        from uspd.sim.library import make_scene

        scene = make_scene(self.scene, seed=self.seed, duration_s=self.duration_s,
                           device=self.device)
        out = []
        if scene.music is not None and scene.music.full_drive_db_spl is not None:
            out.append(["music.full_drive_db_spl", scene.music.full_drive_db_spl])
        # stop 46: a U-turn's side no longer follows arctan2's last bit (sim.people._turn)
        if any(getattr(src, "u_turns", 0) for src in scene.sources):
            out.append(["person.u_turn", "clockwise"])
        return out


def features_of_scene(spec: SceneSpec, fe_cfg: FrontEndConfig) -> Recording:
    """Render `spec` block by block through a FrontEnd; per-hop targets from its labels."""
    from uspd.detect import resolve_carrier
    from uspd.sim.library import make_scene
    from uspd.sim.render import render_blocks, scene_labels

    scene = make_scene(spec.scene, seed=spec.seed, duration_s=spec.duration_s,
                       device=spec.device)
    fe: FrontEnd | None = None
    parts = []
    for block in render_blocks(scene, block_s=1.0):
        if fe is None:  # the carrier as deployment finds it, from the first second
            carrier = resolve_carrier(block, scene.fs_hz, "auto", fe_cfg)
            fe = FrontEnd(fe_cfg, scene.fs_hz, block.shape[1], carrier)
        parts.append(fe.process(block))
    feats = FeatureBlock.concat([p for p in parts if p.n_hops], fe.n_mics,
                                fe_cfg.n_velocity_bins, fe_cfg.clutter_null_rank > 0)
    t_end = feats.t_end_s
    x = stacked_features(feats)
    labels = scene_labels(scene)
    return Recording(x, per_hop_targets(labels, t_end), t_end, labels)


def _cached(job: tuple[SceneSpec, FrontEndConfig, str]) -> Recording:
    spec, fe_cfg, cache_dir = job
    path = Path(cache_dir) / f"{spec.scene}_{spec.seed}_{spec.key(fe_cfg)}.npz"
    if path.exists():
        with np.load(path) as z:
            labels = Labels.from_json(json.loads(str(z["labels"])))
            return Recording(z["x"], z["y"], z["t"], labels)
    rec = features_of_scene(spec, fe_cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, x=rec.features, y=rec.targets, t=rec.t_end_s,
                        labels=json.dumps(rec.labels.to_json()))
    os.replace(tmp, path)
    return rec


def build_recordings(
    specs: Sequence[SceneSpec],
    cache_dir: str | Path,
    fe_cfg: FrontEndConfig | None = None,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> list[Recording]:
    """Feature recordings for every spec, in order; rendered in `workers` processes, cached."""
    fe_cfg = fe_cfg or FrontEndConfig()
    jobs = [(s, fe_cfg, str(cache_dir)) for s in specs]
    out: list[Recording] = []
    if workers <= 1:
        for i, job in enumerate(jobs, 1):
            out.append(_cached(job))
            if progress:
                progress(i, len(jobs))
        return out
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for i, rec in enumerate(pool.map(_cached, jobs, chunksize=1), 1):
            out.append(rec)
            if progress:
                progress(i, len(jobs))
    return out


def mixed_specs(n_random: int, named: dict[str, int], seed0: int, duration_s: float,
                laptop_fraction: float = 0.3) -> list[SceneSpec]:
    """`n_random` sampler scenes plus `named[name]` copies of each named family, with seeds
    seed0, seed0+1, ... (disjoint ranges keep train / validation / test apart); a fraction of
    the named scenes run on the laptop device (48 kHz, 20 kHz carrier)."""
    specs = [SceneSpec("random", seed0 + i, duration_s) for i in range(n_random)]
    k = n_random
    for name, count in named.items():
        for j in range(count):
            device = "laptop" if (j % 10) < laptop_fraction * 10 else "echo"
            specs.append(SceneSpec(name, seed0 + k, duration_s, device))
            k += 1
    return specs
