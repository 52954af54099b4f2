"""Glue for `uspd train`: render (cached) simulated features, train, export, optionally install
as the shipped default model. Torch is imported only inside run_training."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

from uspd.dsp.frontend import FrontEndConfig

BUILTIN_DIR = Path(__file__).parent / "weights"
BUILTIN_NPZ = BUILTIN_DIR / "default.npz"


def register_builtin() -> bool:
    """Register the 'neural' detector if the shipped weights exist; True if registered."""
    if not BUILTIN_NPZ.exists():
        return False
    from uspd.detect import register_detector
    from uspd.model.runtime import neural_factory

    register_detector("neural", neural_factory)
    return True


def run_training(
    config: Path | None,
    out_dir: Path | None,
    install: bool = False,
    confirm: Callable[[str], bool] | None = None,
    echo: Callable[[str], None] = print,
    progress=None,
) -> Path:
    """Run the recipe at `config` (defaults if None); returns the written .npz path."""
    from uspd.model.recipe import VAL_OFFSET, load_recipe, recipe_dict
    from uspd.model.runtime import load_model
    from uspd.model.simdata import build_recordings, mixed_specs
    from uspd.model.train import train_model
    from uspd.model.tune import tune_decision

    recipe = load_recipe(config)
    d = recipe.data
    out = Path(out_dir or recipe.out_dir)
    train_specs = mixed_specs(d.train_random, d.train_named, d.seed, d.duration_s,
                              d.laptop_fraction)
    val_specs = mixed_specs(d.val_random, d.val_named, d.seed + VAL_OFFSET, d.duration_s,
                            d.laptop_fraction)

    def build(specs, what):
        if progress is None:
            return build_recordings(specs, d.cache_dir, workers=d.workers)
        with progress() as bar:
            task = bar.add_task(f"simulating {what} ({len(specs)} scenes)", total=len(specs))
            return build_recordings(specs, d.cache_dir, workers=d.workers,
                                    progress=lambda i, n: bar.update(task, completed=i))

    train_recs = build(train_specs, "training set")
    val_recs = build(val_specs, "validation set")
    cfg = replace(recipe.train, feature=asdict(FrontEndConfig()))
    res = train_model(train_recs, val_recs, cfg, out)
    manifest_path = res.model_path.with_suffix(".json")
    manifest = json.loads(manifest_path.read_text())
    manifest["data"] = recipe_dict(recipe)
    manifest["budget"] = res.manifest.get("budget")
    manifest["decision"] = tune_decision(load_model(res.model_path), val_recs).manifest()
    manifest_path.write_text(json.dumps(manifest, indent=1))
    echo(f"best epoch {res.best_epoch}: validation {res.manifest['metrics']['val']}")
    echo(f"decision logic tuned on validation: {manifest['decision']}")
    if install:
        if BUILTIN_NPZ.exists() and confirm is not None and not confirm(
                f"replace the shipped model {BUILTIN_NPZ}?"):
            echo("kept the shipped model")
        else:
            BUILTIN_DIR.mkdir(exist_ok=True)
            shutil.copyfile(res.model_path, BUILTIN_NPZ)
            shutil.copyfile(manifest_path, BUILTIN_NPZ.with_suffix(".json"))
            echo(f"installed as {BUILTIN_NPZ}")
    return res.model_path
