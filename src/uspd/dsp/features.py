"""Doppler spectra on a fixed radial-velocity axis (carrier independent).

One Hann-windowed FFT per hop over the last `window_s` of clutter-free baseband; the power of
each (zero-padded) FFT bin is spread over the velocity bins its frequency interval overlaps, so
a tone's total power lands on the velocity axis whatever the carrier. Powers are normalised so
that a complex tone of amplitude a contributes a**2 in total (then divided by the received
carrier power by the caller).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import signal

from uspd.physics import doppler_to_velocity_mps, monostatic_doppler_hz

DB_FLOOR = -120.0


def velocity_axis_mps(max_speed_mps: float, n_bins: int) -> NDArray[np.float64]:
    """Bin centres (m/s), evenly spaced over [-max, +max]; positive = approaching."""
    return np.linspace(-max_speed_mps, max_speed_mps, n_bins)


def velocity_edges_mps(max_speed_mps: float, n_bins: int) -> NDArray[np.float64]:
    """n_bins + 1 bin edges (m/s): centres +- half the spacing."""
    centres = velocity_axis_mps(max_speed_mps, n_bins)
    half = (centres[1] - centres[0]) / 2.0 if n_bins > 1 else max_speed_mps
    return np.concatenate([centres - half, centres[-1:] + half])


def velocity_mapping(
    fs_bb_hz: float, nfft: int, carrier_hz: float, edges_mps: NDArray, speed_mps: float
) -> NDArray[np.float64]:
    """(nfft, n_bins) weights: overlap fraction of each FFT bin's Hz interval with each bin."""
    df = fs_bb_hz / nfft
    f = np.fft.fftfreq(nfft, 1.0 / fs_bb_hz)
    lo, hi = f - df / 2.0, f + df / 2.0
    edges_hz = monostatic_doppler_hz(carrier_hz, edges_mps, speed_mps)
    ov = np.clip(
        np.minimum(hi[:, None], edges_hz[None, 1:]) - np.maximum(lo[:, None], edges_hz[None, :-1]),
        0.0,
        None,
    )
    return ov / df


class DopplerAnalyzer:
    """Per-hop Doppler power spectrum of the last window of baseband, mapped to velocity.

    process(clean, raw_sq, hop_bb): clutter-free baseband and raw squared baseband of the
    newest whole hops. Returns (doppler_pow (n_hops, n_mics, n_bins), carrier_pow (n_hops,
    n_mics)), both Hann**2-weighted mean powers over the window (same estimator, so their
    ratio is gain independent). Buffers and their views are kept between calls.
    """

    def __init__(
        self,
        fs_bb_hz: float,
        window_bb: int,
        carrier_hz: float,
        max_speed_mps: float,
        n_bins: int,
        speed_mps: float,
        n_mics: int,
        min_fft_bins_per_velocity_bin: int = 3,
    ):
        self.window_bb = window_bb
        self.n_mics = n_mics
        edges = velocity_edges_mps(max_speed_mps, n_bins)
        bin_hz = float(np.min(np.diff(monostatic_doppler_hz(carrier_hz, edges, speed_mps))))
        need = max(window_bb, int(np.ceil(min_fft_bins_per_velocity_bin * fs_bb_hz / bin_hz)))
        self.nfft = 1 << int(np.ceil(np.log2(need)))
        self.win = signal.get_window("hann", window_bb, fftbins=True)
        w2 = self.win**2
        self._w2n = w2 / np.sum(w2)
        scale = 1.0 / (self.nfft * np.sum(w2))
        # Mapping FFT power to velocity bins (the overlap weights of `velocity_mapping`,
        # computed cheaply): the window is modulated by (-1)^n (exact), which
        # puts frequency (j - nfft/2) df in FFT bin j, so the band is one contiguous run of bins.
        # An edge at frequency F = (i + frac - nfft/2 - 1/2) df cuts bin i, frac of it below F;
        # with power spread evenly over each bin this is exactly the overlap weighting.
        self._win_mod = (self.win * np.where(np.arange(window_bb) % 2 == 0, 1.0, -1.0)).astype(
            np.complex128)  # complex: no casting in the product with the baseband
        u = monostatic_doppler_hz(carrier_hz, edges, speed_mps) * self.nfft / fs_bb_hz
        u = u + self.nfft / 2 + 0.5
        i_e = np.floor(u).astype(int)  # bin holding each edge, frac of it lies below the edge
        frac = u - i_e
        if i_e.min() < 0 or i_e.max() > self.nfft - 1 or np.any(np.diff(i_e) < 1):
            raise ValueError("velocity axis does not fit the baseband FFT")
        # velocity bin v = (1 - frac_v) pw[i_v] + pw[i_v + 1] + ... + frac_(v+1) pw[i_(v+1)]:
        # one gather of the (re, im) parts of those bins (edge bins twice), weighted, squared
        # and summed per segment
        idx: list[int] = []
        wts: list[float] = []
        seg: list[int] = []
        for v in range(n_bins):
            seg.append(len(idx))
            for j in range(int(i_e[v]), int(i_e[v + 1]) + 1):
                w = 1.0 if i_e[v] < j < i_e[v + 1] else (1.0 - frac[v] if j == i_e[v] else
                                                           frac[v + 1])
                idx += [2 * j, 2 * j + 1]
                wts += [w, w]
        self._gather = np.array(idx)
        self._gather_w = np.sqrt(np.array(wts) * scale)  # applied before squaring
        self._seg = np.array(seg)
        self._n_bins = n_bins
        self._cap = 0
        self._fft_in = np.zeros((0, n_mics, self.nfft), np.complex128)
        self._fft_out = np.empty_like(self._fft_in)
        self._ext = np.empty((0, n_mics, self._gather.size))
        # velocity of each FFT bin (diagnostics)
        self.fft_velocity_mps = doppler_to_velocity_mps(
            np.fft.fftfreq(self.nfft, 1.0 / fs_bb_hz), carrier_hz, speed_mps
        )
        self.reset()

    def reset(self) -> None:
        # last window_bb - 1 samples of clean baseband and raw power (zeros = silence), then
        # room for the newest samples
        self._clean = np.zeros((self.n_mics, self.window_bb - 1 + self._cap), np.complex128)
        self._rpow = np.zeros((self.n_mics, self.window_bb - 1 + self._cap), np.float64)
        self._views: dict[tuple[int, int], tuple] = {}

    def _reserve(self, n: int, n_hops: int) -> None:
        if n > self._cap:
            keep = self.window_bb - 1
            clean = np.zeros((self.n_mics, keep + n), np.complex128)
            rpow = np.zeros((self.n_mics, keep + n), np.float64)
            clean[:, :keep] = self._clean[:, :keep]
            rpow[:, :keep] = self._rpow[:, :keep]
            self._clean, self._rpow, self._cap = clean, rpow, n
            self._views = {}
        if n_hops > self._fft_in.shape[0]:
            self._fft_in = np.zeros((n_hops, self.n_mics, self.nfft), np.complex128)
            self._fft_out = np.empty_like(self._fft_in)
            self._ext = np.empty((n_hops, self.n_mics, self._gather.size))  # gathered bins
            self._views = {}
        if len(self._views) >= 16:  # bounded: chunk sizes may vary without end
            self._views = {}

    def process(
        self, clean: NDArray[np.complex128], raw_sq: NDArray[np.float64], hop_bb: int
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """clean: (n_mics, n_hops * hop_bb) newest clutter-free baseband; raw_sq: (n_mics,
        2 n) the same samples' raw (unfiltered) baseband squared, re**2 and im**2 interleaved
        (the float view of the complex samples, squared).

        Returns doppler power (n_hops, n_mics, n_bins) and carrier power (n_hops, n_mics) of
        the windows ending at each hop end. Every hop's numbers come from fixed-shape
        operations (one FFT row and one running sum per mic and hop, one (n_mics, window) @
        (window,) product per hop), so they do not depend on how many hops one call holds.
        """
        n = clean.shape[1]
        n_hops = n // hop_bb
        views = self._views.get((n, hop_bb))
        if views is None:
            views = self._views_for(n, hop_bb)
        (c_new, p_new, frames, pframes, fft_in, fft_out, ext, c_dst, c_src, p_dst,
         p_src) = views
        c_new[...] = clean
        np.add(raw_sq[:, 0::2], raw_sq[:, 1::2], out=p_new)  # |bb|**2
        if n_hops == 0:
            doppler, carrier = np.zeros((0, self.n_mics, self._n_bins)), np.zeros((0, self.n_mics))
        else:
            np.multiply(frames, self._win_mod, out=fft_in)  # zero padded beyond the window
            spec = np.fft.fft(fft_out[1], axis=-1, out=fft_out[0])
            np.take(spec.view(np.float64), self._gather, axis=-1, out=ext)
            ext *= self._gather_w
            np.square(ext, out=ext)
            doppler = np.add.reduceat(ext, self._seg, axis=-1)
            carrier = np.matmul(pframes, self._w2n)
        c_dst[...] = c_src
        p_dst[...] = p_src
        return doppler, carrier

    def _views_for(self, n: int, hop_bb: int) -> tuple:
        """Views into the buffers for calls of n new samples (cached per size)."""
        n_hops = n // hop_bb
        wb = self.window_bb
        self._reserve(n, n_hops)
        c_all, p_all = self._clean, self._rpow
        # window ending at the end of hop h starts at (h + 1) * hop_bb - 1 of the buffer
        frames = _windows(c_all, hop_bb - 1, hop_bb, n_hops, wb)  # (n_hops, n_mics, wb)
        pframes = _windows(p_all, hop_bb - 1, hop_bb, n_hops, wb)
        views = (
            c_all[:, wb - 1:wb - 1 + n], p_all[:, wb - 1:wb - 1 + n], frames, pframes,
            self._fft_in[:n_hops, :, :wb], (self._fft_out[:n_hops], self._fft_in[:n_hops]),
            self._ext[:n_hops],
            c_all[:, :wb - 1], c_all[:, n:n + wb - 1], p_all[:, :wb - 1], p_all[:, n:n + wb - 1],
        )
        self._views[(n, hop_bb)] = views
        return views


def _windows(a: NDArray, start: int, step: int, n: int, length: int) -> NDArray:
    """Read-only view (n, a.shape[0], length) of windows a[:, start + i step : ... + length].

    a must have a contiguous last axis (rows may be padded)."""
    s0, s1 = a.strides
    return np.ndarray((n, a.shape[0], length), a.dtype, a, start * s1,
                      (step * s1, s0, s1))
