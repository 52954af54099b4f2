"""Comb on what repeats: removes a fan's echo, which comes back every blade period.

A fan's blades are back where they were every flash period T = 60 / (n_blades rpm) s (every
rotation, 60 / rpm, if the blades differ), so the fan's part of the clutter-free baseband
obeys x(t) = x(t - T), its blade flashes included, however wide their Doppler spread. The comb

    y(t) = (x(t) - x(t - T)) / sqrt(2)

removes it exactly. A walker's echo does not repeat at T: a Doppler line at f passes with
power gain 2 sin^2(pi f T) (`comb_power_gain`), 1 on average over f, as white noise does, so
the walker-to-noise ratio is kept on average while the fan goes (benchmarks/periodic_probe.py:
a fan 1.4 m from the device, 18 dB above a far sitter's echo, loses 17.5 dB).

T is found from the signal: every `update_s` the lag in `lag_range_s` that minimises

    sum |x(t) - x(t - lag)|^2 / (2 sum |x|^2)  (the residual share, all mics, last `memory_s`)

from the autocorrelation at whole lags (one FFT), refined to 1/16 sample around the best few by
band-limited interpolation (the baseband is oversampled 3x, so its autocorrelation is smooth
between samples); of lags within `MULTIPLE_SLACK` of the best, the shortest (T, not 2T). The
comb uses the lag found before each stretch of hops (causal) and a fractional delay
(Kaiser-windowed sinc, `HALF_TAPS` each side). Where the best residual share is above `gate`
nothing repeats enough (no fan, or a walker louder than it) and the input passes unchanged; so
does everything before `memory_s` of input has been seen.

Limits: one lag at a time (of two fans, the louder); a fan whose speed drifts faster than
`update_s` leaves a residue; a walker who happens to be the strongest periodic thing (a pure
Doppler tone repeats at 1/f) could be combbed, which is why the gate asks for a residual share
well below a walker's (0.8-0.95 in the probe) and why the comb's output is meant as features
beside the plain ones.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

HALF_TAPS = 8  # fractional-delay taps on each side
KAISER_BETA = 6.0  # window of the interpolating sinc (side lobes ~ -60 dB)
N_FRACTIONS = 16  # lag resolution of the refinement: 1 / N_FRACTIONS sample
N_CANDIDATES = 8  # whole-lag local minima refined
MULTIPLE_SLACK = 0.02  # residual share within which the shortest lag is taken


def comb_power_gain(f_hz: NDArray | float, lag_s: float) -> NDArray | float:
    """Power gain of y = (x(t) - x(t - lag)) / sqrt(2) on a tone at f Hz: 2 sin^2(pi f lag)."""
    return 2.0 * np.sin(np.pi * np.asarray(f_hz) * lag_s) ** 2


def sinc_taps(frac: float) -> NDArray[np.float64]:
    """2 HALF_TAPS weights w_k, k = -HALF_TAPS + 1 .. HALF_TAPS, with sum_k w_k x[n - k] ~=
    x(n - frac) for 0 <= frac < 1 (band-limited interpolation; DC gain exactly 1)."""
    d = np.arange(-HALF_TAPS + 1, HALF_TAPS + 1) - frac
    w = np.sinc(d) * _kaiser_at(d)
    return w / np.sum(w)


def _kaiser_at(d: NDArray[np.float64]) -> NDArray[np.float64]:
    """Kaiser window of half-width HALF_TAPS evaluated at offsets d (continuous)."""
    r = np.clip(d / HALF_TAPS, -1.0, 1.0)
    return np.i0(KAISER_BETA * np.sqrt(1.0 - r * r)) / np.i0(KAISER_BETA)


_TAPS = np.array([sinc_taps(j / N_FRACTIONS) for j in range(N_FRACTIONS)])  # (fractions, taps)


def unbiased_autocorr(seg: NDArray[np.complex128], n_lags: int) -> NDArray[np.float64]:
    """Re r(lag), lag = 0 .. n_lags - 1, of seg (n_mics, n) summed over mics, each lag's sum
    scaled to n products (it has n - lag), by one zero-padded FFT."""
    n = seg.shape[1]
    nfft = 1 << int(np.ceil(np.log2(2 * n)))
    power = np.sum(np.abs(np.fft.fft(seg, nfft, axis=1)) ** 2, axis=0)
    return np.fft.ifft(power)[:n_lags].real / (n - np.arange(n_lags)) * n


def find_lag(seg: NDArray[np.complex128], lo: int, hi: int) -> tuple[float, float]:
    """(lag in samples, its residual share): the best lag of seg in [lo, hi], to
    1 / N_FRACTIONS sample."""
    top = hi + HALF_TAPS + 1
    r = unbiased_autocorr(seg, top)
    share = 1.0 - r / max(r[0], 1e-300)
    whole = share[lo:hi + 1]
    inner = np.flatnonzero((whole[1:-1] <= whole[:-2]) & (whole[1:-1] <= whole[2:])) + 1
    cands = inner[np.argsort(whole[inner])[:N_CANDIDATES]] if inner.size else np.array(
        [int(np.argmin(whole))])
    found = [(float(lo + np.argmin(whole)), float(np.min(whole)))]
    for c in cands:
        for base in (lo + c - 1, lo + c):
            # r at base + frac = sum_k taps_k r[base + k] (the sinc is even), every frac at once
            vals = 1.0 - _TAPS @ r[base - HALF_TAPS + 1:base + HALF_TAPS + 1] / max(r[0], 1e-300)
            j = int(np.argmin(vals))
            found.append((base + j / N_FRACTIONS, float(vals[j])))
    # a repeat at T repeats at 2T, 3T...: of the lags about as good as the best, the shortest
    # (a longer one could be chosen for also cancelling part of a walker)
    best = min(share for _, share in found)
    return min((lag, share) for lag, share in found if share <= best + MULTIPLE_SLACK)


MEMORY_S = 2.0  # input the lag is found on; the comb passes everything before it (s)
UPDATE_S = 0.5  # the lag is found again this often (s)


class PeriodicCanceller:
    """Streaming comb on (n_mics, n) complex baseband at fs_bb_hz, fed in whole hops of hop_bb
    samples (see the module doc). Explicit state; each hop's output does not depend on how
    many hops a call holds (bit-identical for any split). `lag_s` / `share`: the lag in use
    (None: passing) and the residual share it was found with, for diagnostics."""

    def __init__(self, fs_bb_hz: float, hop_bb: int, n_mics: int,
                 lag_range_s: tuple[float, float] = (0.008, 0.21),
                 memory_s: float = MEMORY_S, update_s: float = UPDATE_S, gate: float = 0.5):
        lo, hi = (int(np.ceil(lag_range_s[0] * fs_bb_hz)), int(np.floor(lag_range_s[1]
                                                                          * fs_bb_hz)))
        if hop_bb < 1 or n_mics < 1 or update_s <= 0 or not 0 < gate <= 1:
            raise ValueError("periodic canceller: need hop_bb, n_mics >= 1, update_s > 0 and "
                             "0 < gate <= 1")
        lo = max(lo, HALF_TAPS + 1)  # the interpolator needs HALF_TAPS samples after t - lag
        if hi < lo + 2:
            raise ValueError(f"periodic canceller: lags {lag_range_s} s at {fs_bb_hz:g} Hz give "
                             f"{lo}-{hi} samples; need at least 3 whole lags from {lo}")
        self.fs_bb_hz, self.hop_bb, self.n_mics = float(fs_bb_hz), int(hop_bb), int(n_mics)
        self.lo, self.hi, self.gate = lo, hi, float(gate)
        self.memory = max(round(memory_s * fs_bb_hz), 4 * hi)
        self.update_hops = max(1, round(update_s * fs_bb_hz / hop_bb))
        self._keep = self.memory + hi + HALF_TAPS
        self.reset()

    def reset(self) -> None:
        self._buf = np.zeros((self.n_mics, 0), np.complex128)
        self._seen = 0
        self._n_hops = 0
        self._taps: NDArray[np.float64] | None = None
        self._whole = 0
        self.lag_s: float | None = None
        self.share = 1.0

    def _update(self, hist: NDArray[np.complex128], end: int) -> None:
        """Find the lag on the memory ending at hist[:, end] and set the comb (or none)."""
        self._taps, self.lag_s = None, None
        if self._seen < self.memory:
            return
        lag, self.share = find_lag(hist[:, end - self.memory:end], self.lo, self.hi)
        if self.share <= self.gate:
            self._whole = int(np.floor(lag))
            self._taps = _TAPS[round((lag - self._whole) * N_FRACTIONS)]
            self.lag_s = lag / self.fs_bb_hz

    def process(self, x: NDArray[np.complex128]) -> NDArray[np.complex128]:
        """x (n_mics, n_hops * hop_bb) -> the same with the repeating part removed."""
        n_hops, rest = divmod(x.shape[-1], self.hop_bb)
        if rest or x.ndim != 2 or x.shape[0] != self.n_mics:
            raise ValueError(f"periodic canceller: expected ({self.n_mics}, k * {self.hop_bb}) "
                             f"samples, got {x.shape}")
        hist = np.concatenate([self._buf, x], axis=1)
        off = self._buf.shape[1]
        out = x.copy()
        h = 0
        while h < n_hops:
            if self._n_hops % self.update_hops == 0:
                self._update(hist, off + h * self.hop_bb)
            run = min(n_hops - h, self.update_hops - self._n_hops % self.update_hops)
            s, e = off + h * self.hop_bb, off + (h + run) * self.hop_bb
            self._seen += run * self.hop_bb
            if self._taps is not None:
                est = np.zeros((self.n_mics, e - s), np.complex128)
                for i, w in enumerate(self._taps):  # fixed order: same sums for any split
                    k = i - HALF_TAPS + 1
                    a = s - self._whole - k
                    est += w * hist[:, a:a + e - s]
                out[:, s - off:e - off] = (hist[:, s:e] - est) * np.sqrt(0.5)
            h += run
            self._n_hops += run
        self._buf = hist[:, max(0, hist.shape[1] - self._keep):]
        return out
