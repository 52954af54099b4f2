"""Glue for `uspd train`: render (cached) simulated features, train, export, optionally install
as the shipped default model. Torch is imported only inside run_training."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from uspd.dsp.frontend import FrontEndConfig
from uspd.model.simdata import SceneSpec, build_recordings, mixed_specs

if TYPE_CHECKING:
    from uspd.model.recipe import DataConfig
    from uspd.model.repeat import RepeatVetoConfig

BUILTIN_DIR = Path(__file__).parent / "weights"
BUILTIN_NPZ = BUILTIN_DIR / "default.npz"


def register_builtin() -> bool:
    """Register the 'neural' detector if the shipped weights exist; True if registered."""
    return register_neural() is not None


def register_neural(model: Path | None = None,
                    threshold: float | None = None) -> FrontEndConfig | None:
    """Register 'neural' with the model at `model` (default: the shipped one, if installed)
    and its tuned decision logic, or `threshold` as the strict on-threshold for p_human;
    returns the front-end settings it was trained with (None: no model, no 'neural')."""
    from uspd.detect import register_detector
    from uspd.model.runtime import NeuralConfig, NeuralDetector, load_model

    if model is None and not BUILTIN_NPZ.exists():
        return None
    bundle = load_model(BUILTIN_NPZ if model is None else model)
    cfg = NeuralConfig(threshold=threshold)
    fe_cfg = NeuralDetector(bundle, cfg).fe_cfg  # checks the threshold before any audio
    register_detector("neural", lambda fe: NeuralDetector(bundle, cfg, fe_cfg=fe), fe_cfg)
    return fe_cfg


def run_training(
    config: Path | None,
    out_dir: Path | None,
    install: bool = False,
    confirm: Callable[[str], bool] | None = None,
    echo: Callable[[str], None] = print,
    progress=None,
    render_only: bool = False,
) -> Path:
    """Run the recipe at `config` (defaults if None); returns the written .npz path, or with
    render_only the feature cache directory once every scene is rendered (no training)."""
    from uspd.model.mining import read_hard_negatives
    from uspd.model.recipe import (
        VAL_OFFSET,
        load_recipe,
        recipe_dict,
    )
    from uspd.model.runtime import load_model

    recipe = load_recipe(config)
    d = recipe.data
    out = Path(out_dir or recipe.out_dir)
    train_specs = training_specs(d)
    weights = [1.0] * len(train_specs)
    mined: list = []
    for path in d.hard_negatives:  # rounds of mining may list a scene more than once
        mined += [s for s in read_hard_negatives(path, (d.seed, d.seed + VAL_OFFSET))
                  if s not in mined and s not in train_specs]
    if mined:
        echo(f"adding {len(mined)} mined hard negatives from {', '.join(d.hard_negatives)} "
             f"(sampling weight {d.hard_negative_weight:g})")
        train_specs += mined
        weights += [d.hard_negative_weight] * len(mined)
    val_specs = validation_specs(d)
    train_recs = _simulate(train_specs, "training set", d, progress)
    val_recs = _simulate(val_specs, "validation set", d, progress)
    if render_only:
        echo(f"rendered {len(train_recs)} training and {len(val_recs)} validation scenes "
             f"into {d.cache_dir}")
        return Path(d.cache_dir)
    cfg = replace(recipe.train, feature=asdict(d.fe_cfg()))
    model_path = _train_members(cfg, train_recs, val_recs, out, weights, echo)
    manifest_path = model_path.with_suffix(".json")
    manifest = json.loads(manifest_path.read_text())
    manifest["data"] = recipe_dict(recipe)
    _tune_into(manifest, load_model(model_path), val_recs, cfg.selection_scope,
               cfg.evidence_hops, echo, cfg.tune_false_alarms, cfg.tune_min_major_recall,
               cfg.slow_paths, progress, cfg.slow_release, cfg.veto_config(),
               cfg.decision_start())
    manifest_path.write_text(json.dumps(manifest, indent=1))
    if install:
        if BUILTIN_NPZ.exists() and confirm is not None and not confirm(
                f"replace the shipped model {BUILTIN_NPZ}?"):
            echo("kept the shipped model")
        else:
            BUILTIN_DIR.mkdir(exist_ok=True)
            shutil.copyfile(model_path, BUILTIN_NPZ)
            shutil.copyfile(manifest_path, BUILTIN_NPZ.with_suffix(".json"))
            echo(f"installed as {BUILTIN_NPZ}")
    return model_path


def _tune_into(manifest: dict, bundle, val_recs, scope: str, evidence_hops: tuple[int, ...],
               echo: Callable[[str], None], max_false_alarms: int = 1,
               min_major_recall: float | None = None,
               slow_paths: tuple[tuple[int, float], ...] = (), progress=None,
               slow_release: str = "score",
               repeat_veto: RepeatVetoConfig | None = None,
               start: dict[str, float] | None = None) -> None:
    """Tune the decision logic of `bundle` on val_recs (trying these evidence windows and slow
    paths, the latter released as slow_release says, each through `repeat_veto` if given,
    within `max_false_alarms` on the validation empty time, or with the fewest false alarms
    at `min_major_recall`) into manifest["decision"], with a bar if `progress`; says what it
    chose, and warns when no setting met the budget (the floor). The decision keeps the
    start-up keys (runtime.STARTUP_KEYS) it had, with `start` (e.g. a recipe's cold start)
    over them, and is tuned with them in force."""
    from uspd.model.runtime import STARTUP_KEYS
    from uspd.model.tune import tune_decision

    kept = {k: v for k, v in manifest.get("decision", {}).items() if k in STARTUP_KEYS}
    kept.update(start or {})
    if kept:
        bundle = replace(bundle, manifest={**bundle.manifest, "decision": {
            **bundle.manifest.get("decision", {}), **kept}})

    def tune(step=None):
        return tune_decision(bundle, val_recs, max_false_alarms=max_false_alarms,
                             det_scope=scope, evidence_hops=evidence_hops,
                             min_major_recall=min_major_recall, slow_paths=slow_paths,
                             slow_release=slow_release, progress=step,
                             repeat_veto=repeat_veto)

    if progress is None:
        decision = tune()
    else:
        with progress() as bar:
            task = bar.add_task("tuning the decision (score paths searched)", total=None)
            decision = tune(lambda i, n: bar.update(task, completed=i, total=n))
    manifest["decision"] = {**decision.manifest(), **kept}
    echo(f"decision logic tuned on validation: {manifest['decision']}")
    if decision.false_alarms < 0 and min_major_recall is not None:
        echo(f"warning: no decision setting reaches a validation major recall of "
             f"{min_major_recall}; the model uses the loosest one (score >= "
             f"{decision.threshold} over {decision.on_hops} hops), whose figures were not "
             "measured")
    elif decision.false_alarms < 0:
        echo(f"warning: no decision setting keeps validation within {max_false_alarms} false "
             "alarm(s); the model "
             f"uses the strictest one (score >= {decision.threshold} over "
             f"{decision.on_hops} hops), whose recall was not measured")


def run_tuning(model: Path, config: Path | None, out: Path, force: bool = False,
               evidence_hops: tuple[int, ...] | None = None,
               echo: Callable[[str], None] = print, progress=None) -> Path:
    """`uspd tune`: tune the decision logic of `model` afresh on the validation set of the
    recipe at `config` (rendered into its cache if missing), trying `evidence_hops` (None:
    the recipe's [train] evidence_hops), and write the model with it to `out` (.npz with the
    weights unchanged, and its manifest); an existing file there only if `force`. Returns the
    .npz written."""
    from uspd.corpus import check_writable
    from uspd.errors import ConfigError
    from uspd.model.recipe import load_recipe
    from uspd.model.runtime import NeuralDetector, load_model, manifest_path, npz_path
    from uspd.model.tune import check_evidence_hops

    recipe = load_recipe(config)
    if evidence_hops is not None:
        evidence_hops = check_evidence_hops(evidence_hops, "--evidence-hops")
    source, target = npz_path(model), npz_path(out)
    if target.resolve() == source.resolve():
        raise ConfigError("--out must differ from the model it tunes")
    for path in (target, manifest_path(target)):
        check_writable(path, force)
    bundle = load_model(source)
    fe_cfg = NeuralDetector(bundle).fe_cfg  # the model's front end, whatever the recipe's
    val_recs = _simulate(validation_specs(recipe.data), "validation set", recipe.data,
                         progress, fe_cfg=fe_cfg)
    manifest = json.loads(manifest_path(source).read_text())
    windows = recipe.train.evidence_hops if evidence_hops is None else evidence_hops
    _tune_into(manifest, bundle, val_recs, recipe.train.selection_scope, windows, echo,
               recipe.train.tune_false_alarms, recipe.train.tune_min_major_recall,
               recipe.train.slow_paths, progress, recipe.train.slow_release,
               recipe.train.veto_config(), recipe.train.decision_start())
    manifest["decision_tuned_with"] = str(config) if config else "the default recipe"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    manifest_path(target).write_text(json.dumps(manifest, indent=1))
    return target


def _train_members(cfg, train_recs, val_recs, out: Path, weights: list[float],
                   echo: Callable[[str], None]) -> Path:
    """Train cfg.members networks (seeds cfg.seed, cfg.seed + 1, ...) and return the model
    file: the network's, or the ensemble of all of them (members beside it as
    <name>-member<i>.npz)."""
    from uspd.model.ensemble import join_models
    from uspd.model.train import train_model

    paths = []
    for i in range(cfg.members):
        member = cfg if cfg.members == 1 else replace(cfg, seed=cfg.seed + i,
                                                      name=f"{cfg.name}-member{i}")
        if cfg.members > 1:
            echo(f"member {i + 1} of {cfg.members} (seed {member.seed})")
        res = train_model(train_recs, val_recs, member, out, weights=weights)
        echo(f"best epoch {res.best_epoch}: validation {res.manifest['metrics']['val']}")
        paths.append(res.model_path)
    if cfg.members == 1:
        return paths[0]
    return join_models(paths, out / cfg.name, extra={"train": {"seed": cfg.seed,
                                                               "members": cfg.members}})


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes: how manifests and mined lists name the models they used."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def training_specs(data: DataConfig) -> list[SceneSpec]:
    """The training scenes of a recipe's data config (before mined hard negatives):
    train_random + train_named (duration_s each, seeds from data.seed), then train_long
    (train_long_s each, seeds from data.seed + TRAIN_LONG_OFFSET)."""
    from uspd.model.recipe import TRAIN_LONG_OFFSET

    short = mixed_specs(data.train_random, data.train_named, data.seed, data.duration_s,
                        data.laptop_fraction)
    long = mixed_specs(0, data.train_long, data.seed + TRAIN_LONG_OFFSET, data.train_long_s,
                       data.laptop_fraction)
    return short + long


def validation_specs(data: DataConfig) -> list[SceneSpec]:
    """The validation scenes of a recipe's data config: val_random + val_named (duration_s
    each, seeds from data.seed + VAL_OFFSET), then val_long (val_long_s each, seeds after)."""
    from uspd.model.recipe import VAL_LONG_LAPTOP_FRACTION, VAL_LONG_OFFSET, VAL_OFFSET

    short = mixed_specs(data.val_random, data.val_named, data.seed + VAL_OFFSET,
                        data.duration_s, data.laptop_fraction)
    long = mixed_specs(0, data.val_long, data.seed + VAL_OFFSET + VAL_LONG_OFFSET,
                       data.val_long_s, VAL_LONG_LAPTOP_FRACTION)
    return short + long


def _simulate(specs, what: str, data, progress=None, fe_cfg=None):
    """Cached feature recordings of `specs` (data: the recipe's DataConfig) on `fe_cfg` (else
    the recipe's front end), with a bar."""
    fe_cfg = fe_cfg or data.fe_cfg()
    if progress is None:
        return build_recordings(specs, data.cache_dir, fe_cfg, workers=data.workers)
    with progress() as bar:
        task = bar.add_task(f"simulating {what} ({len(specs)} scenes)", total=len(specs))
        return build_recordings(specs, data.cache_dir, fe_cfg, workers=data.workers,
                                progress=lambda i, n: bar.update(task, completed=i))


def run_mining(
    config: Path | None,
    model: Path | None,
    out: Path | None,
    force: bool = False,
    echo: Callable[[str], None] = print,
    progress=None,
) -> Path:
    """`uspd mine`: render the recipe's [mine] candidates (cached), score them with `model`
    (default: the shipped one) and write the hard negatives (an existing list only if
    `force`); returns the path written."""
    from uspd.corpus import check_writable
    from uspd.model.mining import mine, write_hard_negatives
    from uspd.model.recipe import MINE_OFFSET, load_recipe
    from uspd.model.runtime import NeuralDetector, load_model

    recipe = load_recipe(config)
    d, m = recipe.data, recipe.mine
    out = Path(out or m.out)
    check_writable(out, force)
    model_path = Path(model) if model else BUILTIN_NPZ
    detector = NeuralDetector(load_model(model_path))
    named = {k: v for k, v in m.candidates.items() if k != "random"}
    specs = mixed_specs(int(m.candidates.get("random", 0)), named, d.seed + MINE_OFFSET,
                        d.duration_s, m.laptop_fraction)
    # on the model's own front end (the recipe's may lack the null the model reads)
    recs = _simulate(specs, "mining candidates", d, progress, detector.fe_cfg)
    mined = mine(detector, specs, recs)
    # the shipped model by its place in the package, not this machine's path to it
    named_as = str(model_path) if model else "the shipped model (uspd/model/weights/default.npz)"
    about = {"model": named_as, "model_sha256": file_sha256(model_path),
             "seed0": d.seed + MINE_OFFSET,
             "duration_s": d.duration_s, "candidate_counts": m.candidates}
    kept = write_hard_negatives(out, mined, m.threshold, about)
    hours = sum(x.empty_s for x in mined) / 3600.0
    fas = sum(x.false_alarms for x in mined)
    echo(f"{len(mined)} candidates, {hours:.2f} h empty: {fas} false alarms with the model's "
         f"own decisions; {len(kept)} scenes reach score {m.threshold:g}")
    for x in kept[:10]:
        device = "-" if x.spec.scene == "random" else x.spec.device  # the sampler's choice
        echo(f"  {x.spec.scene:18s} seed {x.spec.seed} {device:6s} "
             f"peak {x.peak_score:.3f}  false alarms {x.false_alarms}")
    return out
