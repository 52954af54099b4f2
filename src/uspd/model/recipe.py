"""The training recipe behind `uspd train --config FILE`: simulated data + TrainConfig.

Seed ranges keep the sets apart: training scenes use seeds from `data.seed`, hard-negative
mining candidates (`uspd mine`, [mine]) from `data.seed + MINE_OFFSET`, validation from
`data.seed + VAL_OFFSET`; the held-out test corpus (benchmarks/heldout_eval.py) uses seeds
from TEST_SEED0, which no recipe may reach.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from uspd.config import load_toml, override
from uspd.dsp.frontend import FrontEndConfig
from uspd.errors import ConfigError

TRAIN_LONG_OFFSET = 100_000  # long training recordings: data.seed + this
MINE_OFFSET = 200_000
VAL_OFFSET = 500_000
VAL_LONG_OFFSET = 10_000  # long validation recordings: data.seed + VAL_OFFSET + this
VAL_LONG_LAPTOP_FRACTION = 0.5  # of the long validation recordings (laptops false-alarm more)
TEST_SEED0 = 900_000_000

TRAIN_FAMILIES = {
    "walk-in": 10, "walk-through": 10, "seated-minor": 14, "far-walker": 6,
    "empty-quiet": 6, "empty-fan": 12, "empty-curtain-air": 10, "empty-music": 12,
    "empty-ultrasonic": 8, "music-and-person": 10, "fan-and-person": 10,
}  # fmt: skip


@dataclass(frozen=True)
class DataConfig:
    """What the simulator renders for training (counts of scenes, each duration_s long)."""

    train_random: int = 150
    train_named: dict = field(default_factory=lambda: dict(TRAIN_FAMILIES))
    val_random: int = 40
    val_named: dict = field(default_factory=lambda: {k: 3 for k in TRAIN_FAMILIES})
    duration_s: float = 30.0
    seed: int = 1000
    laptop_fraction: float = 0.3
    cache_dir: str = "runs/cache"
    workers: int = 2
    # long empty-room validation recordings (val_long_s each, half on the laptop device, seeds
    # after the validation scenes): enough empty time to resolve false alarms per hour when
    # selecting the checkpoint and tuning the decision logic
    val_long: dict = field(default_factory=dict)
    val_long_s: float = 120.0
    # long training recordings (train_long_s each, seeds from data.seed + TRAIN_LONG_OFFSET):
    # an oscillating fan sweeps once per 10-20 s, so only minutes of it show a network that
    # each sweep comes back (the repeat echo, the history)
    train_long: dict = field(default_factory=dict)
    train_long_s: float = 120.0
    hard_negatives: tuple[str, ...] = ()  # lists written by `uspd mine`, added to training
    hard_negative_weight: float = 3.0  # sampling weight of their windows (others: 1)
    # front-end settings (uspd.dsp.frontend.FrontEndConfig fields) the features are made
    # with, e.g. {clutter_null_rank = 2}; the model records them and its detector uses them
    front_end: dict = field(default_factory=dict)

    def fe_cfg(self) -> FrontEndConfig:
        """The front end of this recipe's features (a one-line error for a bad setting)."""
        known = {f.name for f in fields(FrontEndConfig)}
        unknown = sorted(set(self.front_end) - known)
        if unknown:
            raise ConfigError(f"data.front_end: unknown setting(s) {', '.join(unknown)}")
        try:
            cfg = FrontEndConfig(**self.front_end)
        except TypeError as exc:
            raise ConfigError(f"data.front_end: {exc}") from None
        cfg.validate()
        return cfg


MINE_FAMILIES = {
    "empty-fan": 240, "empty-curtain-air": 80, "empty-music": 80, "empty-ultrasonic": 40,
    "random": 160,
}  # fmt: skip


@dataclass(frozen=True)
class MineConfig:
    """What `uspd mine` renders and keeps: candidate scenes per family ("random" = the scene
    sampler) with seeds from data.seed + MINE_OFFSET, each data.duration_s long."""

    candidates: dict = field(default_factory=lambda: dict(MINE_FAMILIES))
    laptop_fraction: float = 0.5  # of the named candidates (laptops false-alarm more)
    threshold: float = 0.5  # keep scenes whose deployed score in empty time reaches this
    out: str = "runs/hard_negatives.json"


@dataclass(frozen=True)
class Recipe:
    data: DataConfig = field(default_factory=DataConfig)
    mine: MineConfig = field(default_factory=MineConfig)
    train: object = None  # uspd.model.train.TrainConfig (torch is imported lazily)
    out_dir: str = "runs/train"


SECTIONS = ("data", "train", "mine")
MAX_BASE_DEPTH = 8  # a chain of `base` recipes longer than this is taken for a cycle


def _merge(base: dict, child: dict) -> dict:
    """`child` over `base`, key by key within each section and within [train.arch]; any
    other value (an inline table such as data.train_named included) is replaced whole."""
    out = dict(base)
    for key, value in child.items():
        if key in SECTIONS and isinstance(value, dict):
            section = {**base.get(key, {}), **value}
            if key == "train" and isinstance(value.get("arch"), dict):
                section["arch"] = {**base.get(key, {}).get("arch", {}), **value["arch"]}
            out[key] = section
        else:
            out[key] = value
    return out


def recipe_table(path: str | Path, depth: int = 0) -> dict:
    """The TOML table at `path`, over the recipe its `base` key names (a path relative to
    this file), so that a variant recipe states only what it changes."""
    if depth > MAX_BASE_DEPTH:
        raise ConfigError(f"recipe {path}: more than {MAX_BASE_DEPTH} nested 'base' recipes "
                          "(a cycle?)")
    table = load_toml(path)
    base = table.pop("base", None)
    if base is None:
        return table
    return _merge(recipe_table(Path(path).parent / str(base), depth + 1), table)


def load_recipe(path: str | Path | None) -> Recipe:
    """Defaults overridden by a TOML file with [data], [train] (incl. [train.arch]) tables,
    itself over the recipe named by its `base` key, if any."""
    from uspd.model.train_config import TrainConfig

    table = recipe_table(path) if path else {}
    unknown = set(table) - {*SECTIONS, "out_dir"}
    if unknown:
        raise ConfigError(f"unknown configuration section(s): {', '.join(sorted(unknown))}")
    data = override(DataConfig(), table.get("data", {}), where="data.")
    train = override(TrainConfig(), table.get("train", {}), where="train.")
    mine = override(MineConfig(), table.get("mine", {}), where="mine.")
    if data.seed + VAL_OFFSET + VAL_LONG_OFFSET + 10_000 > TEST_SEED0:
        raise ConfigError("data.seed would reach the held-out test seeds")
    if data.train_random + sum(data.train_named.values()) > TRAIN_LONG_OFFSET:
        raise ConfigError("data.train_random + train_named would reach the long training seeds")
    if sum(data.train_long.values()) > MINE_OFFSET - TRAIN_LONG_OFFSET:
        raise ConfigError("data.train_long would reach the mining seeds")
    if data.val_random + sum(data.val_named.values()) > VAL_LONG_OFFSET:
        raise ConfigError("data.val_random + val_named would reach the long validation seeds")
    if sum(mine.candidates.values()) > VAL_OFFSET - MINE_OFFSET:
        raise ConfigError("mine.candidates would reach the validation seeds")
    if data.hard_negative_weight <= 0:
        raise ConfigError("data.hard_negative_weight must be > 0")
    data.fe_cfg()  # a bad front-end setting fails here, before any rendering
    train.validate()  # ... and a bad training or tuning setting
    return Recipe(data=data, mine=mine, train=train,
                  out_dir=str(table.get("out_dir", "runs/train")))


def recipe_dict(recipe: Recipe) -> dict:
    return {"data": asdict(recipe.data), "mine": asdict(recipe.mine), "out_dir": recipe.out_dir}
