"""The training recipe behind `uspd train --config FILE`: simulated data + TrainConfig.

Seed ranges keep the sets apart: training scenes use seeds from `data.seed`, validation from
`data.seed + VAL_OFFSET`; the held-out test corpus (benchmarks/evaluate_model.py) uses seeds
from TEST_SEED0, which no recipe may reach.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from uspd.config import load_toml, override
from uspd.errors import ConfigError

VAL_OFFSET = 500_000
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


@dataclass(frozen=True)
class Recipe:
    data: DataConfig = field(default_factory=DataConfig)
    train: object = None  # uspd.model.train.TrainConfig (torch is imported lazily)
    out_dir: str = "runs/train"


def load_recipe(path: str | Path | None) -> Recipe:
    """Defaults overridden by a TOML file with [data], [train] (incl. [train.arch]) tables."""
    from uspd.model.train import TrainConfig

    table = load_toml(path) if path else {}
    unknown = set(table) - {"data", "train", "out_dir"}
    if unknown:
        raise ConfigError(f"unknown configuration section(s): {', '.join(sorted(unknown))}")
    data = override(DataConfig(), table.get("data", {}), where="data.")
    train = override(TrainConfig(), table.get("train", {}), where="train.")
    if data.seed + VAL_OFFSET + 10_000 > TEST_SEED0:
        raise ConfigError("data.seed would reach the held-out test seeds")
    return Recipe(data=data, train=train, out_dir=str(table.get("out_dir", "runs/train")))


def recipe_dict(recipe: Recipe) -> dict:
    return {"data": asdict(recipe.data), "out_dir": recipe.out_dir}
