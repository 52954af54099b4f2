"""Quadrature demodulation and decimation of a real passband signal to complex baseband.

The mixer and the anti-alias low-pass are fused into one complex band-pass FIR evaluated only at
the decimated output instants (polyphase form, one matrix product per block):

    bb[m] = exp(-j w0 n_m) * sum_k h[k] exp(+j w0 k) x[n_m - k],   n_m = (m + 1) D - 1

with w0 = 2 pi f0 / fs. The baseband is scaled so that a real tone A cos(w0 n + phi) becomes
A exp(j phi): |bb| is the tone's peak amplitude in full-scale units (1.0 = 0 dBFS sine).
The rotation exp(-j w0 n_m) is computed from the absolute sample index with exact rational
arithmetic, so the result does not depend on how the stream was cut into blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray
from scipy import signal

from uspd.errors import SignalError
from uspd.physics import monostatic_doppler_hz


@dataclass(frozen=True)
class DemodPlan:
    """Rates and filter of the demodulator (derived, not user configuration).

    decimation: input samples per baseband sample (D).
    hop_bb: baseband samples per hop; hop_in = hop_bb * D input samples.
    band_hz: one-sided Doppler band kept flat (Hz), covers +-max speed with margin.
    taps: low-pass prototype h (length K*D, DC gain 2).
    """

    fs_hz: int
    carrier_hz: float
    decimation: int
    hop_bb: int
    band_hz: float
    taps: NDArray[np.float64]

    @property
    def fs_bb_hz(self) -> float:
        return self.fs_hz / self.decimation

    @property
    def hop_in(self) -> int:
        return self.hop_bb * self.decimation

    @property
    def hop_s(self) -> float:
        return self.hop_in / self.fs_hz


def doppler_band_hz(carrier_hz: float, max_speed_mps: float, speed_mps: float) -> float:
    """One-sided Doppler band (Hz) the front end must keep: the shift at max speed, +5 %."""
    fd = float(np.max(np.abs(monostatic_doppler_hz(carrier_hz, [max_speed_mps, -max_speed_mps],
                                                   speed_mps))))
    return 1.05 * fd


def check_carrier_fits(fs_hz: float, carrier_hz: float, band_hz: float) -> None:
    """SignalError unless carrier +- Doppler band lies strictly inside (0, Nyquist)."""
    nyquist = fs_hz / 2.0
    if not (0.0 < carrier_hz - band_hz and carrier_hz + band_hz < nyquist):
        raise SignalError(
            f"sample rate {fs_hz:g} Hz is too low for a {carrier_hz:g} Hz carrier: carrier + "
            f"Doppler band needs up to {carrier_hz + band_hz:.0f} Hz but Nyquist is "
            f"{nyquist:g} Hz"
        )


def plan_demod(
    fs_hz: int,
    carrier_hz: float,
    hop_s: float,
    max_speed_mps: float,
    speed_mps: float,
    stop_db: float = 80.0,
) -> DemodPlan:
    """Choose decimation, hop and FIR for this rate/carrier.

    The baseband rate is at least 3x the Doppler band (pass edge B, stop edge fs_bb - B, so
    nothing aliases into +-B) and the decimation divides the hop when the hop is a whole
    number of input samples. The FIR is a Kaiser design with `stop_db` rejection at the stop
    edge. Why 80 dB is enough: the direct path (up to -6 dBFS) lands at 0 Hz and is removed by
    the static-echo high-pass, not by this filter; what the stop band must hold off is
    (a) its mirror at -2 f0 and loud audible sound (music at up to 0 dBFS), both >= 8 kHz
    from the carrier, where the Kaiser side lobes have decayed to <= -115 dB for an 80 dB
    design (a -6 dBFS tone then folds to <= -121 dBFS: within 8 dB of the 16-bit quantisation
    floor of a velocity bin, -129 dBFS, and well under real microphone self-noise), and
    (b) broadband noise, which folds D-1 times: at -80 dB that raises the in-band floor by
    < 0.001 dB. Only ultrasonic interferers 1.7-4 kHz from the carrier meet the 80-100 dB part
    of the response. Each 10 dB less saves about 1/9 of the demodulator's multiplications.
    """
    band = doppler_band_hz(carrier_hz, max_speed_mps, speed_mps)
    check_carrier_fits(fs_hz, carrier_hz, band)
    d_max = max(1, int(fs_hz // (3.0 * band)))
    hop_target = hop_s * fs_hz
    best: tuple[float, int, int] | None = None
    for d in range(d_max, max(1, d_max // 2) - 1, -1):
        hop_bb = max(1, round(hop_target / d))
        err = abs(hop_bb * d - hop_target)
        if best is None or err < best[0] - 1e-9:
            best = (err, d, hop_bb)
    assert best is not None
    _, dec, hop_bb = best
    fs_bb = fs_hz / dec
    width_hz = fs_bb - 2.0 * band
    n_taps, beta = signal.kaiserord(stop_db, width_hz / (fs_hz / 2.0))
    k_blocks = max(1, math.ceil(n_taps / dec))
    cutoff = (band + (fs_bb - band)) / 2.0
    taps = signal.firwin(k_blocks * dec, cutoff, window=("kaiser", beta), fs=fs_hz, scale=False)
    taps = 2.0 * taps / np.sum(taps)
    return DemodPlan(fs_hz, float(carrier_hz), dec, hop_bb, band, taps)


class Demodulator:
    """Streaming quadrature demodulator working in whole hops (hop_in input samples each).

    process(x): x (n_mics, n_hops * hop_in) float -> (n_mics, n_hops * hop_bb) complex128.
    process_frames(frames): the same from frames (n_hops, hop_bb, n_mics, D), the layout the
    front end builds straight from (n_samples, n_mics) audio.

    Polyphase form: each block of D input samples of every mic is multiplied by the (2K, D)
    matrix of the K block offsets q of the filter (real and imaginary rows), giving partial sums
    P[c, t, mic]; an output is the sum of one diagonal, bb[m] = sum_q P[q, m + q] (+ j P[K + q,
    m + q]). P is kept in a persistent buffer (column c, time t, mic) so that this diagonal sum
    is K additions of contiguous slabs, and its last K-1 time steps carry over to the next call.
    Every hop is one fixed-shape product (2K, D) @ (D, hop_bb * n_mics), and the mixer rotation
    is looked up by the exact (rational) carrier phase, so each output sample is computed
    identically whatever the number of hops per call (bit-identical chunk invariance).
    """

    def __init__(self, plan: DemodPlan, n_mics: int):
        self.plan = plan
        self.n_mics = n_mics
        dec = plan.decimation
        n_taps = plan.taps.size
        self.k_blocks = n_taps // dec
        w0 = 2.0 * np.pi * plan.carrier_hz / plan.fs_hz
        k = np.arange(n_taps)
        hb = plan.taps * np.exp(1j * w0 * k)  # complex band-pass, tap k applies to x[n - k]
        g_blocks = hb[::-1].reshape(self.k_blocks, dec)  # row q: block offset q
        self._gt = np.ascontiguousarray(np.concatenate([g_blocks.real, g_blocks.imag]))
        ratio = Fraction(plan.carrier_hz) / plan.fs_hz
        self._num, self._den = ratio.numerator, ratio.denominator
        self._n_rel = [(i + 1) * dec - 1 for i in range(plan.hop_bb)]  # output instants in a hop
        # the carrier phase at a hop start takes `period` distinct values: tabulate them
        step = (self._num * plan.hop_in) % self._den
        self._period = self._den // math.gcd(step, self._den)
        self._rot_table = (
            np.stack([self._rotation(h * plan.hop_in) for h in range(self._period)])
            if self._period <= 512 else None
        )
        self._cap = 0
        self._rot_cache: dict[tuple[int, int], NDArray[np.complex128]] = {}
        self.reset()

    def _rotation(self, n_start: int) -> NDArray[np.complex128]:
        """exp(-j w0 n) at the output instants of the hop starting at input sample n_start."""
        num, den = self._num, self._den
        frac = np.array([((n_start + n) * num % den) / den for n in self._n_rel])
        return np.exp(-2j * np.pi * frac)

    def reset(self) -> None:
        # P buffer (2K, K-1 + capacity, n_mics); zero history = silence before the stream
        kb = self.k_blocks
        self._p = np.zeros((2 * kb, kb - 1 + self._cap, self.n_mics))
        self._views: dict[int, tuple] = {}  # per hop count: views into the buffers
        self.n_in = 0  # absolute index of the next input sample

    def _reserve(self, n_out: int) -> None:
        if n_out <= self._cap:
            return
        kb = self.k_blocks
        p = np.zeros((2 * kb, kb - 1 + n_out, self.n_mics))
        p[:, :kb - 1] = self._p[:, :kb - 1]
        self._p, self._cap, self._views = p, n_out, {}
        self._acc = np.empty((2, n_out * self.n_mics))

    def _views_for(self, n_hops: int) -> tuple:
        """(product output, diagonal view, sums buffer (2, n_out * n_mics), its real and
        imaginary parts as (n_mics, n_out) views, history destination and source)."""
        views = self._views.get(n_hops)
        if views is None:
            kb, hop_bb, nm = self.k_blocks, self.plan.hop_bb, self.n_mics
            n_out = n_hops * hop_bb
            if len(self._views) >= 16:  # bounded: chunk sizes may vary without end
                self._views = {}
            self._reserve(n_out)
            p = self._p
            out = p[:, kb - 1:kb - 1 + n_out].reshape(2 * kb, n_hops, hop_bb * nm)
            s0, s1, s2 = p.strides
            diag = np.ndarray((2, kb, n_out * nm), np.float64, p, 0, (kb * s0, s0 + s1, s2))
            acc = self._acc[:, :n_out * nm]  # diagonal sums: real and imaginary parts
            views = (out.transpose(1, 0, 2), diag, acc, acc[0].reshape(n_out, nm).T,
                     acc[1].reshape(n_out, nm).T, p[:, :kb - 1], p[:, n_out:n_out + kb - 1])
            self._views[n_hops] = views
        return views

    def _rotations(self, h0: int, n_hops: int) -> NDArray[np.complex128]:
        """Mixer rotation (n_hops * hop_bb,) for hops h0 .. h0 + n_hops - 1."""
        if self._rot_table is None:
            return np.concatenate([self._rotation((h0 + h) * self.plan.hop_in)
                                   for h in range(n_hops)])
        key = (h0 % self._period, n_hops)
        rot = self._rot_cache.get(key)
        if rot is None:
            rot = self._rot_table[(h0 + np.arange(n_hops)) % self._period].reshape(-1)
            if len(self._rot_cache) < 64:
                self._rot_cache[key] = rot
        return rot

    def process(self, x: NDArray[np.floating]) -> NDArray[np.complex128]:
        plan = self.plan
        n_hops = x.shape[1] // plan.hop_in
        if n_hops * plan.hop_in != x.shape[1]:
            raise ValueError("Demodulator.process takes whole hops")
        frames = np.asarray(x, np.float64).reshape(self.n_mics, n_hops, plan.hop_bb,
                                                   plan.decimation)
        return self.process_frames(np.ascontiguousarray(frames.transpose(1, 2, 0, 3)))

    def process_frames(self, frames: NDArray[np.float64]) -> NDArray[np.complex128]:
        """frames (n_hops, hop_bb, n_mics, D) C-contiguous float64 -> (n_mics, n_out)."""
        plan = self.plan
        n_hops = frames.shape[0]
        if n_hops == 0:
            return np.zeros((self.n_mics, 0), np.complex128)
        out, diag, acc, acc_re, acc_im, hist_dst, hist_src = self._views_for(n_hops)
        blocks_t = frames.reshape(n_hops, -1, plan.decimation).transpose(0, 2, 1)
        np.matmul(self._gt, blocks_t, out=out)
        # bb[m] = sum_q P[q, m + q] (and P[K + q, m + q] for the imaginary part), added in q
        # order for every sample
        np.add.reduce(diag, axis=1, out=acc)
        hist_dst[...] = hist_src
        bb = np.empty((self.n_mics, n_hops * plan.hop_bb), np.complex128)
        bb.real = acc_re
        bb.imag = acc_im
        bb *= self._rotations(self.n_in // plan.hop_in, n_hops)
        self.n_in += n_hops * plan.hop_in
        return bb
