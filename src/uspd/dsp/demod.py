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
    stop_db: float = 100.0,
) -> DemodPlan:
    """Choose decimation, hop and FIR for this rate/carrier.

    The baseband rate is at least 3x the Doppler band (pass edge B, stop edge fs_bb - B, so
    nothing aliases into +-B) and the decimation divides the hop when the hop is a whole
    number of input samples. The FIR is a Kaiser design with `stop_db` stop-band rejection
    (the direct path is 40-60 dB above the echoes and its image at -2 f0 must vanish).
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
    The per-block dot products are done by one fixed-shape matrix product per hop and mic
    (a stacked matmul), and the polyphase partial sums of the last K-1 blocks are kept as
    state, so every output sample is computed identically whatever the number of hops per call.
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
        g = hb[::-1]  # g[j] applies to x[n - N + 1 + j]
        g_blocks = g.reshape(self.k_blocks, dec).T  # (D, K): column q for block offset q
        self._g_real = np.ascontiguousarray(np.concatenate([g_blocks.real, g_blocks.imag], 1))
        # rotation exp(-j w0 n_end) of the output instants of one hop, relative to hop start
        n_rel = (np.arange(plan.hop_bb) + 1) * dec - 1
        self._rot_rel = np.exp(-1j * w0 * n_rel)
        self._f0_over_fs = Fraction(plan.carrier_hz) / plan.fs_hz
        self.reset()

    def reset(self) -> None:
        # partial sums P[t, (re q, im q)] of the last K-1 blocks (zero history = silence)
        self._p_hist = np.zeros((self.n_mics, self.k_blocks - 1, 2 * self.k_blocks))
        self.n_in = 0  # absolute index of the next input sample

    def process(self, x: NDArray[np.float64]) -> NDArray[np.complex128]:
        plan = self.plan
        dec, kb, hop_bb = plan.decimation, self.k_blocks, plan.hop_bb
        n_hops = x.shape[1] // plan.hop_in
        if n_hops * plan.hop_in != x.shape[1]:
            raise ValueError("Demodulator.process takes whole hops")
        if n_hops == 0:
            return np.zeros((self.n_mics, 0), np.complex128)
        n_out = n_hops * hop_bb
        blocks = np.ascontiguousarray(x, np.float64).reshape(self.n_mics, n_hops, hop_bb, dec)
        p_new = np.matmul(blocks, self._g_real)  # one (hop_bb, D) @ (D, 2K) per mic and hop
        p_all = np.concatenate([self._p_hist, p_new.reshape(self.n_mics, n_out, 2 * kb)], 1)
        self._p_hist = p_all[:, n_out:].copy()
        # bb[m] = sum_q P[m + q, q]: a strided diagonal view, summed over q
        s0, s1, s2 = p_all.strides
        diag = np.lib.stride_tricks.as_strided(
            p_all, shape=(self.n_mics, n_out, 2, kb), strides=(s0, s1, kb * s2, s1 + s2),
            writeable=False,
        )
        acc = diag.sum(axis=-1)  # (n_mics, n_out, 2): real, imaginary
        rot0 = np.empty(n_hops, np.complex128)
        for h in range(n_hops):
            frac = (self._f0_over_fs * (self.n_in + h * plan.hop_in)) % 1
            rot0[h] = np.exp(-2j * np.pi * float(frac))
        self.n_in += n_hops * plan.hop_in
        rot = (rot0[:, None] * self._rot_rel[None, :]).reshape(-1)
        return (acc[..., 0] + 1j * acc[..., 1]) * rot
