"""Repeat veto: a burst of the decision score that starts on the beat of earlier bursts is a
machine, not a person.

An oscillating fan sweeps its blade flashes across the device once or twice per head period
(10-20 s), and each sweep looks to the network like a short motion; the network sees 1.5 s and
a decaying history, so it cannot know the same burst came 15 s and 30 s ago (stop 43: 13 of the
shipped model's 14 deployed false alarms on the thirteenth corpus, once per sweep in two laptop
fan rooms). A person's motions do not start on a fixed beat.

A burst starts where the score reaches `level` after at least `merge_s` below it. A burst that
starts within `tol_s` of where `chain` earlier burst starts, equally spaced by a period of
`min_period_s`-`max_period_s`, predict it (the last two start at t - P and t - 2P, say) is
vetoed: its score is capped at `cap` (below any threshold that matters) for as long as the
longest of those earlier bursts lasted, plus `margin_s`, at most `max_veto_s`. A burst that
outlasts that (a person who walks in on the beat) goes through. Nothing is vetoed until the
beat has been heard `chain` times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from uspd.errors import ConfigError


@dataclass(frozen=True)
class RepeatVetoConfig:
    """The veto's settings (seconds; level on the decision score, 0-1)."""

    level: float = 0.9
    min_period_s: float = 3.0
    max_period_s: float = 40.0
    tol_s: float = 0.4
    chain: int = 2
    merge_s: float = 0.5
    margin_s: float = 0.25
    max_veto_s: float = 3.0
    cap: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 < self.level < 1.0:
            raise ConfigError(f"repeat veto: level must lie in (0, 1), not {self.level}")
        if not 0.0 <= self.cap < self.level:
            raise ConfigError(f"repeat veto: cap must lie in [0, level), not {self.cap}")
        if not 0.0 < self.min_period_s < self.max_period_s or not math.isfinite(
                self.max_period_s):
            raise ConfigError("repeat veto: need 0 < min_period_s < max_period_s, not "
                              f"{self.min_period_s} and {self.max_period_s}")
        if self.chain < 2 or not all(x >= 0 for x in (self.tol_s, self.merge_s, self.margin_s,
                                                      self.max_veto_s)):
            raise ConfigError("repeat veto: need chain >= 2 and tol_s, merge_s, margin_s, "
                              "max_veto_s >= 0")

    @classmethod
    def from_json(cls, table: object, what: str = "repeat_veto") -> RepeatVetoConfig:
        """From a manifest's or recipe's table of these fields (any subset), or a one-line
        ConfigError saying what is wrong."""
        if not isinstance(table, dict):
            raise ConfigError(f"{what} must be a table of {', '.join(FIELDS)}, not {table!r}")
        unknown = set(table) - set(FIELDS)
        if unknown:
            raise ConfigError(f"{what}: unknown key(s) {', '.join(sorted(unknown))} (known: "
                              f"{', '.join(FIELDS)})")
        for key, value in table.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{what}.{key} must be a number, not {value!r}")
        if "chain" in table and table["chain"] != int(table["chain"]):
            raise ConfigError(f"{what}.chain must be a whole number, not {table['chain']!r}")
        return cls(**{k: int(v) if k == "chain" else float(v) for k, v in table.items()})

    def to_json(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in FIELDS}

    def label(self) -> str:
        """How reports name it, e.g. 'repeat veto >= 0.9 x2'."""
        return f"repeat veto >= {self.level:g} x{self.chain}"


FIELDS = tuple(f.name for f in fields(RepeatVetoConfig))


class RepeatVeto:
    """Streaming repeat veto over per-hop decision scores (state carried between calls).

    process(score) -> the score with vetoed hops capped at `cap`. Any split of a
    stream into blocks gives bit-identical output.
    """

    def __init__(self, cfg: RepeatVetoConfig, hop_s: float):
        if hop_s <= 0:
            raise ConfigError(f"repeat veto: hop must be > 0 s, not {hop_s}")
        self.cfg = cfg
        self._merge = round(cfg.merge_s / hop_s)
        self._tol = round(cfg.tol_s / hop_s)
        self._min_p, self._max_p = round(cfg.min_period_s / hop_s), round(cfg.max_period_s /
                                                                            hop_s)
        self._margin, self._max_veto = round(cfg.margin_s / hop_s), round(cfg.max_veto_s / hop_s)
        self._keep = cfg.chain * (self._max_p + self._tol)  # how far back a beat can start
        self.reset()

    def reset(self) -> None:
        self._hop = 0  # hops seen
        self._starts: list[int] = []  # burst starts (hop), oldest first ...
        self._ends: list[int] = []  # ... and the last hop of each at or above level
        self._veto_until = 0  # hops before this are capped

    def process(self, score: NDArray) -> NDArray[np.float64]:
        out = np.array(score, np.float64, copy=True)
        vetoes = [(self._hop, self._veto_until)]  # hop intervals to cap, the carried one first
        for i in np.flatnonzero(out >= self.cfg.level).tolist():
            g = self._hop + i
            if self._starts and g - self._ends[-1] <= self._merge:
                self._ends[-1] = g  # the same burst, or one that paused for under merge_s
                continue
            self._forget(g)
            span = self._beat_span(g)
            if span is not None:
                self._veto_until = max(self._veto_until, g + min(span + self._margin,
                                                                 self._max_veto))
                vetoes.append((g, self._veto_until))
            self._starts.append(g)
            self._ends.append(g)
        for a, b in vetoes:
            capped = out[max(a - self._hop, 0):max(b - self._hop, 0)]
            np.minimum(capped, self.cfg.cap, out=capped)
        self._hop += out.shape[0]
        return out

    def _forget(self, g: int) -> None:
        """Drop bursts too old to be on any beat that reaches hop g."""
        while self._starts and g - self._starts[0] > self._keep:
            self._starts.pop(0)
            self._ends.pop(0)

    def _beat_span(self, g: int) -> int | None:
        """If `chain` earlier starts fall on a beat ending at hop g (the latest of them at
        g - P, the one before at g - 2P, ...), the longest of those bursts (hops), else None."""
        starts, chain = self._starts, self.cfg.chain
        best = None
        for j in range(len(starts) - 1, -1, -1):
            period = g - starts[j]
            if period < self._min_p:
                continue
            if period > self._max_p:
                break
            beat = [j]
            for k in range(2, chain + 1):
                m = self._nearest(g - k * period, j)
                if m is None:
                    break
                beat.append(m)
            else:
                best = max(best or 0, *(self._ends[m] - starts[m] + 1 for m in beat))
        return best

    def _nearest(self, target: int, before: int) -> int | None:
        """Index of the burst start among the first `before` closest to hop target, if within
        tol_s."""
        starts = self._starts[:before]
        if not starts:
            return None
        m = int(np.argmin(np.abs(np.asarray(starts) - target)))
        return m if abs(starts[m] - target) <= self._tol else None


def repeat_vetoed(score: NDArray, cfg: RepeatVetoConfig, hop_s: float) -> NDArray[np.float64]:
    """A whole recording's scores through a fresh RepeatVeto."""
    return RepeatVeto(cfg, hop_s).process(score)


__all__ = ["RepeatVeto", "RepeatVetoConfig", "repeat_vetoed"]
