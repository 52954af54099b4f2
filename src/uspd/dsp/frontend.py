"""Streaming front end: audio (n_samples, n_mics) -> Doppler features per hop.

Pipeline per hop (all per mic, vectorised over mics):
  polyphase quadrature demodulation to complex baseband (uspd.dsp.demod)
  -> spatial null on the loudspeaker, >= 2 mics (uspd.dsp.speaker_null: music distortion)
  -> static-echo high-pass (uspd.dsp.clutter)
  -> adaptive music canceller driven by the mics' own audio band (uspd.dsp.music_cancel; on by
     default, FrontEndConfig.music_canceller)
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

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from uspd.dsp.clutter import ClutterFilter, clutter_cutoff_hz
from uspd.dsp.clutter_null import WARM_S as NULL_WARM_S
from uspd.dsp.clutter_null import ClutterNull
from uspd.dsp.demod import DemodPlan, Demodulator, plan_demod
from uspd.dsp.features import DB_FLOOR, DopplerAnalyzer, velocity_axis_mps
from uspd.dsp.music_cancel import MusicCanceller
from uspd.dsp.periodic_cancel import MEMORY_S as PERIODIC_MEMORY_S
from uspd.dsp.periodic_cancel import UPDATE_S as PERIODIC_UPDATE_S
from uspd.dsp.periodic_cancel import PeriodicCanceller
from uspd.dsp.speaker_null import SpeakerNull
from uspd.errors import ConfigError, InputError
from uspd.physics import speed_of_sound_mps

MAX_HOPS_PER_STEP = 64  # hops computed together at most (bounds memory for long chunks)


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
    stopband_db: float = 80.0  # demodulator anti-alias rejection (see plan_demod)
    db_floor: float = DB_FLOOR  # features never go below this (dB)
    speaker_null: bool = True  # project out the loudspeaker's spatial signature (>= 2 mics)
    speaker_null_tau_s: float = 0.5  # time constant of the signature estimate (s)
    music_canceller: bool = True  # subtract what the mics' audio band predicts (music)
    music_canceller_span_s: float = 0.025  # FIR length per reference term (r and r^2) (s)
    music_canceller_tau_s: float = 3.0  # memory of the least-squares fit (s)
    # apply a mic's fit only if it explains > gate x chance (K / N_eff) of its residual; 0: always
    music_canceller_gate: float = 4.0
    # > 0: also give null_db, the Doppler features after projecting out this many strongest
    # lasting directions (dsp.clutter_null; at most the mics' dimensions less one) (0: off)
    clutter_null_rank: int = 0
    clutter_null_tau_s: float = 10.0  # memory of the null's spatial covariance (s)
    # with the clutter null: comb out what repeats at a fan's blade period before it
    # (dsp.periodic_cancel), so null_db holds neither the lasting directions nor the fan
    periodic_cancel: bool = False
    periodic_cancel_gate: float = 0.5  # comb only where the best lag leaves < this share

    def key_repr(self) -> str:
        """repr without the settings added after the feature caches were keyed that are at
        their defaults: what the caches' keys hash, so existing caches stay valid."""
        later = {"clutter_null_rank": 0, "clutter_null_tau_s": 10.0, "periodic_cancel": False,
                 "periodic_cancel_gate": 0.5}
        parts = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                 if later.get(f.name, object()) != getattr(self, f.name)]
        return f"{type(self).__name__}({', '.join(parts)})"

    @property
    def settle_s(self) -> float:
        """Time (s) after a stream starts until every adaptive stage whose output the
        features carry has engaged: the clutter null is the identity for its first
        clutter_null.WARM_S, and the comb passes its input until it has MEMORY_S to find the
        lag on, then sets it at the next update (at most UPDATE_S later). 0 without them (the
        speaker null and music canceller adapt from the first hop)."""
        if self.clutter_null_rank == 0:
            return 0.0
        comb = PERIODIC_MEMORY_S + PERIODIC_UPDATE_S if self.periodic_cancel else 0.0
        return max(NULL_WARM_S, comb)

    def validate(self) -> None:
        if self.hop_s <= 0 or self.window_s <= 0 or self.window_s < self.hop_s:
            raise ConfigError("front end: need 0 < hop_s <= window_s")
        if self.max_speed_mps <= 0 or self.n_velocity_bins < 2:
            raise ConfigError("front end: need max_speed_mps > 0 and n_velocity_bins >= 2")
        if not 0 < self.clutter_cutoff_mps < self.max_speed_mps:
            raise ConfigError("front end: clutter_cutoff_mps must lie in (0, max_speed_mps)")
        if self.clutter_order < 1:
            raise ConfigError("front end: clutter_order must be >= 1")
        if self.speaker_null_tau_s <= 0:
            raise ConfigError("front end: speaker_null_tau_s must be > 0")
        if self.music_canceller_span_s <= 0 or self.music_canceller_tau_s <= 0:
            raise ConfigError("front end: music_canceller_span_s and _tau_s must be > 0")
        if self.music_canceller_gate < 0:
            raise ConfigError("front end: music_canceller_gate must be >= 0")
        if self.clutter_null_rank < 0 or self.clutter_null_tau_s <= 0:
            raise ConfigError("front end: need clutter_null_rank >= 0 and clutter_null_tau_s > 0")
        if self.periodic_cancel and self.clutter_null_rank == 0:
            raise ConfigError("front end: periodic_cancel feeds null_db, so it needs "
                              "clutter_null_rank >= 1")
        if not 0 < self.periodic_cancel_gate <= 1:
            raise ConfigError("front end: periodic_cancel_gate must lie in (0, 1]")


@dataclass
class FeatureBlock:
    """Features of the hops completed by one `process` call (possibly zero hops).

    t_end_s: (n_hops,) end time (s) of the audio each hop used.
    doppler_db: (n_hops, n_velocity_bins) float32, mean power over mics re carrier, dB.
    per_mic_db: (n_hops, n_mics, n_velocity_bins) float32, dB re each mic's carrier power.
    carrier_dbfs: (n_hops,) received carrier power (dBFS, 0 = full-scale sine), mean over mics.
    null_db: (n_hops, n_velocity_bins) float32 as doppler_db after the clutter null, or None
    when the front end has none (clutter_null_rank 0).
    """

    t_end_s: NDArray[np.float64]
    doppler_db: NDArray[np.float32]
    per_mic_db: NDArray[np.float32]
    carrier_dbfs: NDArray[np.float64]
    null_db: NDArray[np.float32] | None = None

    @property
    def n_hops(self) -> int:
        return int(self.t_end_s.shape[0])

    @staticmethod
    def concat(blocks: list[FeatureBlock], n_mics: int, n_bins: int,
               with_null: bool = False) -> FeatureBlock:
        """Join blocks in time order (empty list -> empty block with the right shapes; its
        null_db (0, n_bins) if with_null). null_db is kept if every block has one."""
        if not blocks:
            return FeatureBlock(
                np.zeros(0), np.zeros((0, n_bins), np.float32),
                np.zeros((0, n_mics, n_bins), np.float32), np.zeros(0),
                np.zeros((0, n_bins), np.float32) if with_null else None,
            )
        nulls = [b.null_db for b in blocks]
        return FeatureBlock(
            np.concatenate([b.t_end_s for b in blocks]),
            np.concatenate([b.doppler_db for b in blocks]),
            np.concatenate([b.per_mic_db for b in blocks]),
            np.concatenate([b.carrier_dbfs for b in blocks]),
            None if any(n is None for n in nulls) else np.concatenate(nulls),
        )


def stacked_features(feats: FeatureBlock) -> NDArray[np.float32]:
    """(n_hops, n_bins) doppler_db, or (n_hops, 2 n_bins) doppler_db then null_db when the
    block has the clutter null's: what the recipes' feature caches hold and networks read."""
    if feats.null_db is None:
        return np.asarray(feats.doppler_db, np.float32)
    return np.concatenate([feats.doppler_db, feats.null_db], axis=1).astype(np.float32)


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
        self._null = SpeakerNull(self.fs_bb_hz, self.n_mics, cfg.speaker_null_tau_s,
                                 enabled=cfg.speaker_null)
        self._music: MusicCanceller | None = None
        if cfg.music_canceller:
            # the mics' audio band at the baseband rate: the same low-pass with no mixing, so
            # it has the same delay as the baseband
            self._ref_demod = Demodulator(DemodPlan(
                self.fs_hz, 0.0, self.plan.decimation, self.plan.hop_bb, self.plan.band_hz,
                self.plan.taps), 1)
            self._ref_clutter = ClutterFilter(
                self.fs_bb_hz, self.clutter_cutoff_hz, 1, cfg.clutter_order
            )
            taps = max(1, round(cfg.music_canceller_span_s * self.fs_bb_hz))
            self._music = MusicCanceller(self.fs_bb_hz, self.n_mics, self.plan.hop_bb, taps,
                                         cfg.music_canceller_tau_s,
                                         gate=cfg.music_canceller_gate)
        window_bb = max(self.plan.hop_bb, round(cfg.window_s * self.fs_bb_hz))
        self._analyzer = DopplerAnalyzer(
            self.fs_bb_hz, window_bb, self.carrier_hz, cfg.max_speed_mps, cfg.n_velocity_bins,
            self.speed_mps, self.n_mics,
        )
        self._cnull: ClutterNull | None = None
        if cfg.clutter_null_rank > 0:
            # leave at least one dimension besides the speaker null's (none: null_db is the
            # plain features, so a 2-mic device still gives the same inputs)
            dims = self.n_mics - (1 if self._null.active else 0)
            rank = max(0, min(cfg.clutter_null_rank, dims - 1))
            self._cnull = ClutterNull(self.plan.hop_bb, self.hop_s, self.n_mics, rank,
                                      cfg.clutter_null_tau_s)
            self._comb: PeriodicCanceller | None = None
            if cfg.periodic_cancel:
                self._comb = PeriodicCanceller(self.fs_bb_hz, self.plan.hop_bb, self.n_mics,
                                               gate=cfg.periodic_cancel_gate)
            self._null_analyzer = DopplerAnalyzer(
                self.fs_bb_hz, window_bb, self.carrier_hz, cfg.max_speed_mps,
                cfg.n_velocity_bins, self.speed_mps, self.n_mics,
            )
        self._floor_lin = 10.0 ** (cfg.db_floor / 10.0)
        self._mean_w = np.full(self.n_mics, 1.0 / self.n_mics)
        # floors: features never below db_floor, carrier power never below 1e-20 (-200 dB)
        self._db_floors = np.append(np.full(cfg.n_velocity_bins, self._floor_lin), 1e-20)
        self._db_cache: dict[int, tuple] = {}
        self._frame_buf: NDArray[np.float64] | None = None
        self._hop_shape = (self.plan.hop_bb, self.plan.decimation, self.n_mics)
        # diagnostics: called with each call's clutter-free baseband (n_mics, n) complex, the
        # signal the Doppler spectra are taken of (benchmarks/spatial_probe.py); None: off
        self.baseband_tap: Callable[[NDArray[np.complex128]], None] | None = None
        self.reset()

    def reset(self) -> None:
        """Forget all state (start of a new stream)."""
        self._demod.reset()
        self._clutter.reset()
        self._null.reset()
        self._analyzer.reset()
        if self._cnull is not None:
            self._cnull.reset()
            self._null_analyzer.reset()
            if self._comb is not None:
                self._comb.reset()
        if self._music is not None:
            self._ref_demod.reset()
            self._ref_clutter.reset()
            self._music.reset()
        self._pending = np.zeros((self.hop_in, self.n_mics), np.float64)  # < 1 hop of input
        self._n_pending = 0
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
        hop, p = self.hop_in, self._n_pending
        n_new = (p + x.shape[0]) // hop
        if n_new == 0:
            self._pending[p:p + x.shape[0]] = x
            self._n_pending += x.shape[0]
            return FeatureBlock.concat([], self.n_mics, self.cfg.n_velocity_bins,
                                       self._cnull is not None)
        blocks, i = [], 0
        for h0 in range(0, n_new, MAX_HOPS_PER_STEP):  # bounded memory for long chunks
            n = min(MAX_HOPS_PER_STEP, n_new - h0)
            frames = self._frames(n)
            first = 0
            if p:  # complete the pending hop
                self._pending[p:] = x[:hop - p]
                frames[0] = self._pending.reshape(self._hop_shape).transpose(0, 2, 1)
                i, p, first = hop - p, 0, 1
            m = n - first
            if m:
                frames[first:] = x[i:i + m * hop].reshape((m, *self._hop_shape)).transpose(
                    0, 1, 3, 2)
                i += m * hop
            blocks.append(self._hops(frames, n))
        rest = x.shape[0] - i
        if rest:
            self._pending[:rest] = x[i:]
        self._n_pending = rest
        if len(blocks) == 1:
            return blocks[0]
        return FeatureBlock.concat(blocks, self.n_mics, self.cfg.n_velocity_bins,
                                   self._cnull is not None)

    def _frames(self, n: int) -> NDArray[np.float64]:
        """Reusable input frames buffer (n, hop_bb, n_mics, D) float64."""
        buf = self._frame_buf
        if buf is None or buf.shape[0] < n:
            buf = np.empty((n, self.plan.hop_bb, self.n_mics, self.plan.decimation))
            self._frame_buf = buf
        return buf[:n]

    def _hops(self, frames: NDArray, n_new: int) -> FeatureBlock:
        """frames (n_new, hop_bb, n_mics, D): whole hops of new audio."""
        raw = self._demod.process_frames(frames)
        # The FIR starts from zero history: hold its first fully primed output over the warm-up
        # samples and start the null and the high-pass in steady state on it.
        k0 = self._demod.k_blocks - 1
        priming = self._n_hops == 0 and k0 < self.plan.hop_bb
        if priming:
            raw[:, :k0] = raw[:, k0:k0 + 1]
            self._null.prime(raw[:, k0])
        raw_sq = np.square(raw.view(np.float64))
        nulled = self._null.process(raw)
        if priming:
            self._clutter.prime(nulled[:, k0])
        clean = self._clutter.process(nulled, copy=False)
        if self._music is not None:
            clean = self._cancel_music(frames, clean, k0 if priming else -1)
        if self.baseband_tap is not None:
            self.baseband_tap(clean)
        dop, car = self._analyzer.process(clean, raw_sq, self.plan.hop_bb)
        # dB re carrier in one buffer: rows = mics then their mean, columns = velocity bins
        # then the carrier power itself
        db, mic_rows, ratio, car_col, mean_row, comb, car_mean = self._db_views(n_new)
        np.divide(dop, np.maximum(car, 1e-30)[:, :, None], out=ratio)
        car_col[...] = car
        np.matmul(self._mean_w, mic_rows, out=mean_row)  # mean over mics, one product per hop
        np.maximum(db, self._db_floors, out=db)
        np.log10(db, out=db)
        db *= 10.0
        t_end = np.arange(self._n_hops + 1, self._n_hops + 1 + n_new) * self.hop_s
        self._n_hops += n_new
        return FeatureBlock(
            t_end, comb.astype(np.float32), ratio.astype(np.float32), car_mean.copy(),
            None if self._cnull is None else self._null_features(clean, raw_sq, car),
        )

    def _null_features(self, clean: NDArray, raw_sq: NDArray, car: NDArray) -> NDArray:
        """(n_hops, n_bins) float32 dB: as doppler_db, of the baseband after the periodic
        canceller (if on) and the clutter null (re the same carrier power)."""
        assert self._cnull is not None
        if self._comb is not None:
            clean = self._comb.process(clean)
        dop, _ = self._null_analyzer.process(self._cnull.process(clean), raw_sq,
                                             self.plan.hop_bb)
        ratio = dop / np.maximum(car, 1e-30)[:, :, None]
        mean = np.maximum(np.matmul(self._mean_w, ratio), self._floor_lin)
        return (10.0 * np.log10(mean)).astype(np.float32)

    def _cancel_music(self, frames: NDArray, clean: NDArray, k0: int) -> NDArray:
        """Music canceller on (n_mics, n) high-passed baseband; k0 >= 0: first hops, hold the
        reference's first primed sample over the FIR warm-up as for the baseband."""
        assert self._music is not None
        ref = self._ref_demod.process_frames(
            np.ascontiguousarray(frames.mean(axis=2, keepdims=True))).real
        if k0 >= 0:
            ref[:, :k0] = ref[:, k0:k0 + 1]
        packed = ref + 1j * np.square(ref)  # r and r^2 through one real high-pass
        if k0 >= 0:
            self._ref_clutter.prime(packed[:, k0])
        packed = self._ref_clutter.process(packed, copy=False)  # a fresh array: in place
        return self._music.process(clean, packed[0])

    def _db_views(self, n: int) -> tuple:
        """Reusable (n, n_mics + 1, n_bins + 1) dB buffer and its views, per hop count."""
        views = self._db_cache.get(n)
        if views is None:
            nm, nb = self.n_mics, self.cfg.n_velocity_bins
            db = np.empty((n, nm + 1, nb + 1))
            views = (db, db[:, :nm], db[:, :nm, :nb], db[:, :nm, nb], db[:, nm],
                     db[:, nm, :nb], db[:, nm, nb])
            if len(self._db_cache) < 16:
                self._db_cache[n] = views
        return views
