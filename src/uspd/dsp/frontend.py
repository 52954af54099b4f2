"""Streaming front end: audio (n_samples, n_mics) -> Doppler features per hop.

Pipeline per hop (all per mic, vectorised over mics):
  polyphase quadrature demodulation to complex baseband (uspd.dsp.demod)
  -> static-echo high-pass (uspd.dsp.clutter)
  -> Hann FFT over the last window_s, power mapped onto a fixed velocity axis (uspd.dsp.features)
  -> divided by the received carrier power, in dB (floored at -120 dB).

Chunk invariance: input is buffered and processed in fixed blocks of exactly one hop, with the
mixer phase derived from the absolute sample index, so every hop is computed by the same
operations on the same numbers whatever the chunking: output is bit-identical.
The hop is a whole number of baseband samples; where hop_s * fs is not a whole multiple of the
decimation (e.g. 44.1 kHz) the effective hop (`FrontEnd.hop_s`) differs slightly from the
configured one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from uspd.dsp.clutter import ClutterFilter, clutter_cutoff_hz
from uspd.dsp.demod import Demodulator, plan_demod
from uspd.dsp.features import DB_FLOOR, DopplerAnalyzer, velocity_axis_mps
from uspd.errors import ConfigError, InputError
from uspd.physics import speed_of_sound_mps


@dataclass(frozen=True)
class FrontEndConfig:
    """Front-end settings; defaults work for 48 kHz/20 kHz and 96 kHz/40 kHz devices."""

    hop_s: float = 0.025  # decision/feature hop (s)
    window_s: float = 0.1  # analysis window (s)
    max_speed_mps: float = 3.0  # velocity axis spans [-max, +max]
    n_velocity_bins: int = 40  # bin centres evenly spaced over [-max, +max]
    clutter_cutoff_mps: float = 0.05  # static-echo high-pass cutoff (radial m/s)
    clutter_order: int = 4  # Butterworth order of the static-echo high-pass
    temperature_c: float = 20.0  # air temperature for c in the Hz -> m/s mapping
    stopband_db: float = 100.0  # demodulator anti-alias rejection
    db_floor: float = DB_FLOOR  # features never go below this (dB)

    def validate(self) -> None:
        if self.hop_s <= 0 or self.window_s <= 0 or self.window_s < self.hop_s:
            raise ConfigError("front end: need 0 < hop_s <= window_s")
        if self.max_speed_mps <= 0 or self.n_velocity_bins < 2:
            raise ConfigError("front end: need max_speed_mps > 0 and n_velocity_bins >= 2")
        if not 0 < self.clutter_cutoff_mps < self.max_speed_mps:
            raise ConfigError("front end: clutter_cutoff_mps must lie in (0, max_speed_mps)")
        if self.clutter_order < 1:
            raise ConfigError("front end: clutter_order must be >= 1")


@dataclass
class FeatureBlock:
    """Features of the hops completed by one `process` call (possibly zero hops).

    t_end_s: (n_hops,) end time (s) of the audio each hop used.
    doppler_db: (n_hops, n_velocity_bins) float32, mean power over mics re carrier, dB.
    per_mic_db: (n_hops, n_mics, n_velocity_bins) float32, dB re each mic's carrier power.
    carrier_dbfs: (n_hops,) received carrier power (dBFS, 0 = full-scale sine), mean over mics.
    """

    t_end_s: NDArray[np.float64]
    doppler_db: NDArray[np.float32]
    per_mic_db: NDArray[np.float32]
    carrier_dbfs: NDArray[np.float64]

    @property
    def n_hops(self) -> int:
        return int(self.t_end_s.shape[0])

    @staticmethod
    def concat(blocks: list[FeatureBlock], n_mics: int, n_bins: int) -> FeatureBlock:
        """Join blocks in time order (empty list -> empty block with the right shapes)."""
        if not blocks:
            return FeatureBlock(
                np.zeros(0), np.zeros((0, n_bins), np.float32),
                np.zeros((0, n_mics, n_bins), np.float32), np.zeros(0),
            )
        return FeatureBlock(
            np.concatenate([b.t_end_s for b in blocks]),
            np.concatenate([b.doppler_db for b in blocks]),
            np.concatenate([b.per_mic_db for b in blocks]),
            np.concatenate([b.carrier_dbfs for b in blocks]),
        )


class FrontEnd:
    """Streaming Doppler front end for one device (fixed rate, mic count and carrier)."""

    def __init__(self, cfg: FrontEndConfig, fs_hz: int, n_mics: int, carrier_hz: float):
        cfg.validate()
        if n_mics < 1:
            raise ConfigError("front end: need at least one microphone channel")
        if int(fs_hz) != fs_hz or fs_hz <= 0:
            raise ConfigError(f"front end: sample rate must be a positive integer, not {fs_hz}")
        self.cfg = cfg
        self.fs_hz = int(fs_hz)
        self.n_mics = int(n_mics)
        self.carrier_hz = float(carrier_hz)
        self.speed_mps = float(speed_of_sound_mps(cfg.temperature_c))
        self.plan = plan_demod(
            self.fs_hz, self.carrier_hz, cfg.hop_s, cfg.max_speed_mps, self.speed_mps,
            cfg.stopband_db,
        )
        self.velocity_axis_mps = velocity_axis_mps(cfg.max_speed_mps, cfg.n_velocity_bins)
        self.hop_in = self.plan.hop_in
        self.hop_s = self.plan.hop_s
        self.fs_bb_hz = self.plan.fs_bb_hz
        self._demod = Demodulator(self.plan, self.n_mics)
        self.clutter_cutoff_hz = clutter_cutoff_hz(
            cfg.clutter_cutoff_mps, self.carrier_hz, self.speed_mps
        )
        self._clutter = ClutterFilter(
            self.fs_bb_hz, self.clutter_cutoff_hz, self.n_mics, cfg.clutter_order
        )
        window_bb = max(self.plan.hop_bb, round(cfg.window_s * self.fs_bb_hz))
        self._analyzer = DopplerAnalyzer(
            self.fs_bb_hz, window_bb, self.carrier_hz, cfg.max_speed_mps, cfg.n_velocity_bins,
            self.speed_mps, self.n_mics,
        )
        self.reset()

    def reset(self) -> None:
        """Forget all state (start of a new stream)."""
        self._demod.reset()
        self._clutter.reset()
        self._analyzer.reset()
        self._pending = np.zeros((0, self.n_mics), np.float64)
        self._n_hops = 0

    @property
    def latency_s(self) -> float:
        """Group delay of the demodulator FIR (s): how far the features lag t_end_s."""
        return (self.plan.taps.size - 1) / 2.0 / self.fs_hz

    def process(self, chunk: NDArray) -> FeatureBlock:
        """Consume chunk (n_samples, n_mics) float (any length, also 0); features of new hops."""
        x = np.asarray(chunk)
        if x.ndim == 1 and self.n_mics == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.n_mics:
            raise InputError(
                f"front end expects audio of shape (n, {self.n_mics}), got {tuple(x.shape)}"
            )
        buf = np.concatenate([self._pending, x.astype(np.float64, copy=False)], axis=0)
        n_new = buf.shape[0] // self.hop_in
        self._pending = buf[n_new * self.hop_in:].copy()
        if n_new == 0:
            return FeatureBlock.concat([], self.n_mics, self.cfg.n_velocity_bins)
        return self._hops(buf[: n_new * self.hop_in].T, n_new)

    def _hops(self, x: NDArray, n_new: int) -> FeatureBlock:
        """x (n_mics, n_new * hop_in): whole hops of new audio."""
        raw = self._demod.process(x)
        if self._n_hops == 0:
            # The FIR starts from zero history: hold its first fully primed output over the
            # warm-up samples and start the high-pass in steady state on it.
            k0 = self._demod.k_blocks - 1
            if k0 < self.plan.hop_bb:
                raw[:, :k0] = raw[:, k0:k0 + 1]
                self._clutter.prime(raw[:, k0])
        clean = self._clutter.process(raw)
        dop, car = self._analyzer.process(clean, raw, self.plan.hop_bb)
        floor_lin = 10.0 ** (self.cfg.db_floor / 10.0)
        ratio = dop / np.maximum(car, 1e-30)[:, :, None]  # (hops, mics, bins)
        per_mic = 10.0 * np.log10(np.maximum(ratio, floor_lin))
        comb = 10.0 * np.log10(np.maximum(np.mean(ratio, axis=1), floor_lin))
        car_db = 10.0 * np.log10(np.maximum(np.mean(car, axis=1), 1e-20))
        hop_idx = self._n_hops + 1 + np.arange(n_new)
        self._n_hops += n_new
        t_end = hop_idx * self.hop_in / self.fs_hz
        return FeatureBlock(t_end, comb.astype(np.float32), per_mic.astype(np.float32), car_db)
