"""Hard-negative mining: find the rare simulated scenes a model false-alarms on.

The seed article's recipe for extremely low false-alarm rates: run the current detector over
far more data than one would label by hand, keep the rare stretches where it (nearly) fires
without a person, and train on them. Here the "large data" is the simulator: `uspd mine`
renders many candidate scenes (empty families with distractors, and random scenes) from a
seed range of their own, scores each with the deployed statistic (p_human held over the
on-rule's hops, uspd.model.runtime.NeuralDetector) on its scored-empty time (uspd.evaluate:
outside person events and their grace periods), and writes the scenes whose peak score reaches
a mining threshold to a JSON list. `uspd train` adds the listed scenes to the training set with
a larger sampling weight (data.hard_negatives, data.hard_negative_weight).

Candidate features are cached in the recipe's cache directory, so training re-reads them
instead of rendering again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from uspd.dsp.frontend import FeatureBlock
from uspd.errors import ConfigError, InputError
from uspd.evaluate import evaluate_recording
from uspd.model.dataset import Recording
from uspd.model.runtime import NeuralDetector
from uspd.model.simdata import SceneSpec

FORMAT = "uspd-hard-negatives/1"


@dataclass(frozen=True)
class MinedScene:
    """One candidate's result. peak_score: max deployed score over its scored-empty hops
    (-inf if it has none); false_alarms: count with the model's own decision logic."""

    spec: SceneSpec
    peak_score: float
    false_alarms: int
    empty_s: float


def score_candidate(detector: NeuralDetector, spec: SceneSpec, rec: Recording,
                    n_bins: int | None = None) -> MinedScene:
    """Run `detector` (reset first) over the feature recording `spec` made; score its empty
    time. n_bins: the plain Doppler columns of rec.features, the rest being the clutter
    null's (None: all plain)."""
    detector.reset()
    n = rec.features.shape[0]
    n_bins = rec.features.shape[1] if n_bins is None else n_bins
    block = FeatureBlock(  # the cache holds doppler_db, then null_db if the front end has it
        t_end_s=np.asarray(rec.t_end_s, float), doppler_db=rec.features[:, :n_bins],
        per_mic_db=np.zeros((n, 0, n_bins), np.float32), carrier_dbfs=np.zeros(n),
        null_db=rec.features[:, n_bins:] if rec.features.shape[1] > n_bins else None,
    )
    res = evaluate_recording(detector.process(block), rec.labels)
    peak = float(res.fa_score.max()) if res.fa_score.size else -np.inf
    return MinedScene(spec, peak, int(sum(fa.count for fa in res.false_alarms)), res.empty_s)


def mine(
    detector: NeuralDetector, specs: Sequence[SceneSpec], recs: Sequence[Recording]
) -> list[MinedScene]:
    """Score every candidate (specs[i] made recs[i]); highest peak score first."""
    if len(specs) != len(recs):
        raise InputError("mine: one recording per candidate scene")
    n_bins = detector.fe_cfg.n_velocity_bins  # plain columns; the clutter null's follow
    out = [score_candidate(detector, s, r, n_bins) for s, r in zip(specs, recs, strict=True)]
    return sorted(out, key=lambda m: -m.peak_score)


def write_hard_negatives(
    path: str | Path, mined: Sequence[MinedScene], threshold: float, about: dict
) -> list[MinedScene]:
    """Write the candidates with peak_score >= threshold to `path` (JSON); returns them.

    `about` (model, seeds, candidate counts) is stored alongside, with totals over all
    candidates, so the list documents how it was made.
    """
    kept = [m for m in mined if m.peak_score >= threshold]
    doc = {
        "format": FORMAT,
        "threshold": threshold,
        **about,
        "candidates": len(mined),
        "candidate_empty_h": sum(m.empty_s for m in mined) / 3600.0,
        "candidate_false_alarms": sum(m.false_alarms for m in mined),
        "scenes": [{**asdict(m.spec), "peak_score": round(m.peak_score, 4),
                    "false_alarms": m.false_alarms} for m in kept],
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(doc, indent=1) + "\n")
    return kept


def read_hard_negatives(path: str | Path, seed_range: tuple[int, int]) -> list[SceneSpec]:
    """The scene specs listed by `uspd mine` at `path`; every seed must lie in seed_range
    [lo, hi) (the recipe's training seeds), so that mined scenes never reach validation or
    the held-out test seeds."""
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(
            f"hard-negative list {path} not found (make it with `uspd mine`)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a JSON hard-negative list ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ConfigError(f"{path}: not a uspd hard-negative list (format {FORMAT!r})")
    specs = []
    for item in doc.get("scenes", []):
        try:
            spec = SceneSpec(str(item["scene"]), int(item["seed"]), float(item["duration_s"]),
                             str(item.get("device", "echo")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path}: bad scene entry {item!r}") from exc
        if not seed_range[0] <= spec.seed < seed_range[1]:
            raise ConfigError(f"{path}: seed {spec.seed} lies outside the training seeds "
                              f"[{seed_range[0]}, {seed_range[1]})")
        specs.append(spec)
    return specs


__all__ = ["MinedScene", "mine", "read_hard_negatives", "score_candidate",
           "write_hard_negatives"]
