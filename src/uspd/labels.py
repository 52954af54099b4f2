"""Ground-truth labels of a recording: the one format shared by the simulator and evaluation.

JSON on disk (`<name>.json` beside `<name>.wav`):
{
  "version": 1, "fs_hz": 96000, "carrier_hz": 40000.0, "duration_s": 60.0, "n_mics": 4,
  "resolution_s": 0.01, "scene": "walk-in", "seed": 7,
  "segments": [{"start": 0.0, "end": 3.2, "label": "empty"},
               {"start": 3.2, "end": 7.9, "label": "major", "distance_m": 1.4}, ...],
  "distractors": [{"start": 0.0, "end": 60.0, "kind": "fan"}, ...],
  "meta": {...free-form scene parameters...}
}
Segments tile [0, duration) without gaps; label is one of LABELS. distance_m (optional) is the
smallest distance (m) from the device to the moving body part during the segment.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from uspd.errors import InputError

LABELS = ("empty", "still", "minor", "major")


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    label: str
    distance_m: float | None = None


@dataclass(frozen=True)
class DistractorSpan:
    start: float
    end: float
    kind: str


@dataclass(frozen=True)
class Labels:
    fs_hz: int
    carrier_hz: float
    duration_s: float
    n_mics: int
    segments: tuple[Segment, ...]
    distractors: tuple[DistractorSpan, ...] = ()
    resolution_s: float = 0.01
    scene: str = ""
    seed: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def label_at(self, t_s: float) -> str:
        """Label in force at time t_s (s)."""
        for seg in self.segments:
            if seg.start <= t_s < seg.end:
                return seg.label
        return self.segments[-1].label if self.segments else "empty"

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["version"] = 1
        d["segments"] = [
            {k: v for k, v in asdict(s).items() if v is not None} for s in self.segments
        ]
        return d

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1))

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Labels:
        try:
            return cls(
                fs_hz=int(d["fs_hz"]),
                carrier_hz=float(d["carrier_hz"]),
                duration_s=float(d["duration_s"]),
                n_mics=int(d["n_mics"]),
                segments=tuple(Segment(**s) for s in d["segments"]),
                distractors=tuple(DistractorSpan(**s) for s in d.get("distractors", [])),
                resolution_s=float(d.get("resolution_s", 0.01)),
                scene=str(d.get("scene", "")),
                seed=d.get("seed"),
                meta=dict(d.get("meta", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"labels are not in the uspd format: {exc}") from exc

    @classmethod
    def load(cls, path: str | Path) -> Labels:
        try:
            data = json.loads(Path(path).read_text())
        except FileNotFoundError as exc:
            raise InputError(f"no labels file at {path}") from exc
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read labels {path}: {exc}") from exc
        return cls.from_json(data)
