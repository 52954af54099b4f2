"""Adaptive cancellation of the music distortion that the speaker null leaves behind.

Music played through the sensing loudspeaker modulates the tone (cone-excursion phase
modulation, drive nonlinearity; see `uspd.sim.music`). The spatial null (`uspd.dsp.speaker_null`)
removes what arrives with the loudspeaker's direct-path signature; what is left comes over
wall and furniture reflections and from the mismatch between the mics, and still fills the
Doppler band. Its cause, the music itself, is audible: every microphone records it in the
audio band. So the residual after the null is, to first order, a causal filter of the music
drive m(t) plus one of m(t)^2 (the phase modulation exp(j beta(t)) ~ 1 + j beta, with beta a
low-passed m; the drive nonlinearity 1 + 2 a2 m + 3 a3 m^2), with a different, slowly varying
complex filter on each mic.

The canceller estimates those filters by exponentially weighted least squares and subtracts
their output:

    reference u(n) = [r(n - k), r^2(n - k)], k = 0 .. n_taps - 1   (real, 2 n_taps values)
    y_out(n) = y(n) - W^T u(n)                                       (per mic, complex)
    W = (R + diag loading)^-1 P,  R = sum_n lambda^(N-n) u u^T,  P = sum_n lambda^(N-n) u y^T

where r is the mean of the mics' audio band at the baseband rate (the demodulator's low-pass
with no mixing, so it has the same delay as the baseband) and both reference columns pass the
same static-echo high-pass as y. R and P take in every hop; W is solved from them every
`solve_every` hops (counted from the start of the stream) and applied to the hops after, so the
output is causal, and each hop is processed by the same operations
whatever the chunking (bit-identical). A person's echo is uncorrelated with the music, so with
2 n_taps weights fitted over tau_s * fs_bb samples (thousands) the canceller removes only
~2 n_taps / (tau_s * fs_bb) of its power (< 0.2 dB).

Significance gate. Least squares on finite data always explains part of any signal: with K =
2 n_taps regressors unrelated to y, the fit explains on average K sum(w^2) / sum(w)^2 of y's
weighted power, about K / (2 N_eff) for exponential weights w (N_eff = sum(w), tau_s * fs_bb
once the memory is full). Applied to the following hops, such a chance fit cancels nothing and
adds its output, about that same fraction of the residual's power (-21 dB at the defaults), as
broadband error: without music a strong echo would lift every other velocity bin by 15-35 dB.
So each mic's weights are used only while they explain more than `gate` x K / N_eff of that
mic's weighted residual power (music after the null: typically well over half); otherwise that
mic passes unchanged. At gate = 4 that is 8x the chance mean, which a chance fit (chi^2 with
about K degrees of freedom) does not reach. Early in a stream N_eff is small and the gate
stays shut. gate = 0 applies every fit (the canceller before the gate existed).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray
from scipy import linalg
from threadpoolctl import ThreadpoolController

LOADING = 1e-3  # diagonal loading, relative to each regressor's own power
TINY = 1e-30  # absolute floor of the loading (silence: no music, no weights)
_BLAS: ThreadpoolController | None = None  # found once; limits BLAS threads around the loop


def _one_blas_thread():
    """Context with BLAS on one thread: the fits are ~100 x 100, where a multithreaded BLAS
    only adds overhead, and with one process per core (corpus rendering) it oversubscribes the
    cores and runs several times slower."""
    global _BLAS
    if _BLAS is None:
        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


class MusicCanceller:
    """Streaming LS canceller of the music-correlated baseband, whole hops at a time.

    process(y, u): y (n_mics, n) complex baseband after the null and the high-pass, u (n,)
    complex packing of the high-passed reference (real part r, imaginary part r^2), n a whole
    number of hops. Explicit state: the reference history, R, P and the current weights.
    """

    def __init__(self, fs_bb_hz: float, n_mics: int, hop_bb: int, n_taps: int = 40,
                 time_constant_s: float = 3.0, solve_every: int = 4, gate: float = 4.0):
        if n_taps < 1 or hop_bb < 1 or solve_every < 1:
            raise ValueError("music canceller: need n_taps, hop_bb and solve_every >= 1")
        if time_constant_s <= 0 or gate < 0:
            raise ValueError("music canceller: need time_constant_s > 0 and gate >= 0")
        self.gate = float(gate)
        self.n_mics = int(n_mics)
        self.hop_bb = int(hop_bb)
        self.n_taps = int(n_taps)
        self.solve_every = int(solve_every)
        self.forget = float(np.exp(-hop_bb / (time_constant_s * fs_bb_hz)))  # per hop
        self.reset()

    def reset(self) -> None:
        k, nm = 2 * self.n_taps, self.n_mics
        self._hist = np.zeros((2, self.n_taps - 1))  # last n_taps - 1 reference samples
        self._r = np.zeros((k, k))
        self._p = np.zeros((k, nm), np.complex128)
        self._e = np.zeros(nm)  # weighted residual energy per mic, sum lambda^(N-n) |y|^2
        self._n_eff = 0.0  # weighted sample count, sum lambda^(N-n)
        self._w = np.zeros((k, nm), np.complex128)
        self._n_hops = 0  # hops seen since the start of the stream

    def regressors(self, u: NDArray[np.complex128]) -> NDArray[np.float64]:
        """(n, 2 n_taps) rows [r(n), r(n-1), .., r^2(n), r^2(n-1), ..]; advances the history."""
        parts = np.concatenate([self._hist, np.stack([u.real, u.imag])], axis=1)
        win = sliding_window_view(parts, self.n_taps, axis=1)[:, :, ::-1]  # (2, n, n_taps)
        self._hist = parts[:, parts.shape[1] - (self.n_taps - 1):].copy()
        return np.ascontiguousarray(np.concatenate([win[0], win[1]], axis=1))

    def process(self, y: NDArray[np.complex128], u: NDArray[np.complex128]
                ) -> NDArray[np.complex128]:
        n = y.shape[-1]
        if n % self.hop_bb or u.shape != (n,):
            raise ValueError("music canceller: whole hops, and one reference sample per sample")
        if n == 0:
            return y
        a_all = self.regressors(u)
        out = np.empty_like(y)
        with _one_blas_thread():
            for h0 in range(0, n, self.hop_bb):
                a = np.ascontiguousarray(a_all[h0:h0 + self.hop_bb])
                yh = np.ascontiguousarray(y[:, h0:h0 + self.hop_bb].T)  # (hop_bb, n_mics)
                out[:, h0:h0 + self.hop_bb] = (yh - a @ self._w).T
                self._update(a, yh)
        return out

    def _update(self, a: NDArray[np.float64], yh: NDArray[np.complex128]) -> None:
        """Fold one hop into R and P; every solve_every hops, solve for the weights."""
        self._r *= self.forget
        self._r += a.T @ a
        self._p *= self.forget
        self._p += a.T @ yh
        if self.gate > 0:
            self._e *= self.forget
            self._e += np.einsum("ij,ij->j", yh.real, yh.real) + np.einsum(
                "ij,ij->j", yh.imag, yh.imag)
            self._n_eff = self.forget * self._n_eff + a.shape[0]
        self._n_hops += 1
        if self._n_hops % self.solve_every:
            return
        diag = np.diag(self._r)
        if not np.any(diag > TINY):  # no reference at all (digital silence): nothing to fit
            self._w[...] = 0.0
            return
        loaded = self._r + np.diag(LOADING * diag + TINY)
        try:
            self._w = linalg.cho_solve(linalg.cho_factor(loaded, check_finite=False), self._p,
                                       check_finite=False)
        except linalg.LinAlgError:  # pragma: no cover - the loading keeps R positive definite
            self._w[...] = 0.0
            return
        if self.gate > 0:
            self._w[:, ~self.significant()] = 0.0

    def significant(self) -> NDArray[np.bool_]:
        """(n_mics,) whether each mic's current fit explains more than gate x chance of its
        residual power (explained energy = Re sum_k conj(P_k) W_k, chance = K / N_eff)."""
        explained = np.einsum("km,km->m", self._p.conj(), self._w).real
        chance = self._w.shape[0] / max(self._n_eff, 1.0)
        return explained > self.gate * chance * self._e
