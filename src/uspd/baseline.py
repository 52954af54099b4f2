"""Classic Doppler-sideband motion detector: the reference the neural model must beat.

In the spirit of SoundWave / doppler.js / laptop-sonar presence detectors, made as good as a
hand-tuned classic detector honestly gets:

1. Sideband power per mic and velocity bin (features are already re the carrier, so the
   emission level and device gain cancel), only for |v| in [min_speed, max_speed]: the dead
   zone around 0 m/s ignores static-echo leftovers and breathing.
2. A robust per-bin noise floor per mic: an exponential average of the power with each
   value clipped to `floor_clip_db` above the current floor (so bursts barely move it),
   falling faster (~1.5 s) than rising (~4 s), and nearly frozen while motion is on, so a
   long walk does not teach the floor to ignore it. A steady distractor with a fixed Doppler
   signature (a fan) is absorbed into the floor of its bins.
3. Excess power over the floor, summed over the band: snr_db = 10 log10(1 + excess / floor)
   per mic; mics are combined by the median (>= 3 mics) or the mean in dB (1-2 mics), so a
   glitch on one microphone cannot trigger alone.
4. Asymmetric smoothing (instant attack, ~0.15 s release), then hysteresis: on after
   `on_hops` hops above on_db, off after `off_s` below off_db.

Score: logistic in snr_db around on_db. Kind: "major" above major_db, else "minor".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from uspd.detect import Decisions
from uspd.dsp.features import velocity_axis_mps
from uspd.dsp.frontend import FeatureBlock, FrontEndConfig


@dataclass(frozen=True)
class BaselineConfig:
    min_speed_mps: float = 0.15  # dead zone half width (m/s)
    max_speed_mps: float = 3.0  # ignore bins beyond this (m/s)
    on_db: float = 8.0  # smoothed SNR (dB) needed to switch motion on
    off_db: float = 4.0  # motion switches off after off_s below this
    major_db: float = 20.0  # SNR above which motion is "major"
    on_hops: int = 2  # consecutive hops above on_db to switch on
    off_s: float = 1.0  # hold time (s) below off_db before switching off
    release_s: float = 0.15  # smoothing release time constant (s)
    floor_fall_s: float = 1.5  # noise floor time constant downwards (s)
    floor_rise_s: float = 4.0  # noise floor time constant upwards (s), motion off
    floor_on_s: float = 300.0  # floor time constant (both ways) while motion is on
    floor_clip_db: float = 6.0  # powers above floor + this count as floor + this
    floor_margin_db: float = 3.0  # excess counts power above floor + margin
    warmup_s: float = 0.3  # floor learning time at start; no detections meanwhile
    score_slope_db: float = 2.0  # logistic width of the score (dB)


def _alpha(tau_s: float, hop_s: float) -> float:
    return float(1.0 - np.exp(-hop_s / max(tau_s, 1e-9)))


class BaselineDetector:
    """Streaming classic detector over FeatureBlocks (explicit state, chunk invariant)."""

    name = "baseline"

    def __init__(self, cfg: BaselineConfig | None = None, fe_cfg: FrontEndConfig | None = None):
        self.cfg = cfg or BaselineConfig()
        self.fe_cfg = fe_cfg or FrontEndConfig()
        v = velocity_axis_mps(self.fe_cfg.max_speed_mps, self.fe_cfg.n_velocity_bins)
        self.band = (np.abs(v) >= self.cfg.min_speed_mps) & (
            np.abs(v) <= self.cfg.max_speed_mps
        )
        hop = self.fe_cfg.hop_s
        self._a_rel = _alpha(self.cfg.release_s, hop)
        self._a_fall = _alpha(self.cfg.floor_fall_s, hop)
        self._a_rise = _alpha(self.cfg.floor_rise_s, hop)
        self._a_on = _alpha(self.cfg.floor_on_s, hop)
        self._a_warm = _alpha(0.1, hop)
        self._clip = 10.0 ** (self.cfg.floor_clip_db / 10.0)
        self._margin = 10.0 ** (self.cfg.floor_margin_db / 10.0)
        self._off_hops = max(1, round(self.cfg.off_s / hop))
        self._warm_hops = max(1, round(self.cfg.warmup_s / hop))
        self.reset()

    def reset(self) -> None:
        self._floor: np.ndarray | None = None  # (n_mics, n_band), linear power re carrier
        self._smooth = 0.0
        self._motion = False
        self._above = 0
        self._below = 0
        self._n = 0

    def _snr_db(self, p: np.ndarray) -> float:
        """Combined SNR (dB) of one hop; p (n_mics, n_band) linear power re carrier."""
        assert self._floor is not None
        excess = np.maximum(p - self._floor * self._margin, 0.0).sum(axis=1)
        snr_mic = 10.0 * np.log10(1.0 + excess / self._floor.sum(axis=1))
        vals = sorted(snr_mic.tolist())
        m = len(vals)
        if m >= 3:  # median (np.median costs ~60 us per call)
            return vals[m // 2] if m % 2 else 0.5 * (vals[m // 2 - 1] + vals[m // 2])
        return sum(vals) / m

    def process(self, feats: FeatureBlock) -> Decisions:
        n = feats.n_hops
        score = np.zeros(n)
        motion = np.zeros(n, bool)
        kind = np.full(n, "none", dtype="<U5")
        c = self.cfg
        p_all = 10.0 ** (feats.per_mic_db[:, :, self.band].astype(np.float64) / 10.0)
        for i in range(n):
            p = p_all[i]
            if self._floor is None:
                self._floor = p.copy()
            snr = self._snr_db(p)
            # asymmetric smoothing: instant attack, exponential release
            if snr >= self._smooth:
                self._smooth = snr
            else:
                self._smooth += self._a_rel * (snr - self._smooth)
            # robust floor update (per mic and bin)
            target = np.minimum(p, self._floor * self._clip)
            if self._n < self._warm_hops:
                self._floor += self._a_warm * (target - self._floor)
            elif self._motion:
                self._floor += self._a_on * (target - self._floor)
            else:
                d = target - self._floor
                self._floor += np.where(d < 0, self._a_fall, self._a_rise) * d
            self._n += 1
            s = self._smooth
            if self._n <= self._warm_hops:
                self._motion = False
                self._above = self._below = 0
            elif not self._motion:
                self._above = self._above + 1 if s >= c.on_db else 0
                if self._above >= c.on_hops:
                    self._motion = True
                    self._below = 0
            else:
                self._below = self._below + 1 if s < c.off_db else 0
                if self._below >= self._off_hops:
                    self._motion = False
                    self._above = 0
            if self._n > self._warm_hops:
                z = (s - c.on_db) / c.score_slope_db
                score[i] = 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))
            motion[i] = self._motion
            if self._motion:
                kind[i] = "major" if s >= c.major_db else "minor"
        return Decisions(feats.t_end_s.copy(), score, motion, kind)
