"""Repeat echo: the room's own past that best matches the present (a streaming DSP feature).

An oscillating fan sweeps its blades past the device once every 10-20 s and a fixed one never
changes: in both, the Doppler features of the last half second have been seen before, at some
lag of a few seconds. A person walking in or sitting down makes something new. `RepeatEcho`
finds, per hop t, the lag L* in [min_lag, max_lag] (hops, in steps of lag_step) whose window

    D_L(t) = sum_{w=0}^{W-1} mean_b |x[t-w, b] - x[t-w-L, b]|        (dB, W = window hops)

is smallest, and outputs x[t - L*, :], the velocity bins as they were one "period" ago. The
network sees them beside the features (`Arch.echo_min_lag_hops` > 0) and can tell a repeat
from news. A lag is used only once its whole window has a past (t >= L + W - 1); before any
lag is, the output is the floor (memory.FLOOR_DB, as for PeakHistory).

Cost per hop: n_lags * (n_bins subtract-abs-adds + 2 for a running window sum) operations and
no multiplications (`RepeatEcho.ops_per_hop`); this implementation sums the window directly
(W adds per lag) so that every hop's arithmetic is the same whatever the block size and
streaming output is bit-identical to whole-recording output.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from uspd.errors import ConfigError
from uspd.model.memory import FLOOR_DB, BinMemory

CHUNK_HOPS = 64  # hops per vectorised lag comparison (bounds its (hops, lags, bins) array)


def lags_of(min_lag: int, max_lag: int, step: int) -> NDArray[np.int64]:
    """Candidate lags (hops), ascending: min_lag, min_lag + step, ... <= max_lag."""
    return np.arange(min_lag, max_lag + 1, step, dtype=np.int64)


class RepeatEcho(BinMemory):
    """Streaming repeat echo of (n_hops, n_bins) dB features (explicit state, see module)."""

    def __init__(self, n_bins: int, min_lag: int, max_lag: int, lag_step: int, window: int):
        if not (1 <= min_lag <= max_lag) or lag_step < 1 or window < 1 or n_bins < 1:
            raise ConfigError("echo: need 1 <= min_lag <= max_lag, lag_step >= 1, window >= 1")
        self.n_bins, self.window = n_bins, window
        self.lags = lags_of(min_lag, max_lag, lag_step)
        self.max_lag = int(self.lags[-1])
        self.reset()

    @property
    def ops_per_hop(self) -> int:
        """Operations per hop on a DSP with a running window sum (no multiplications)."""
        return int(self.lags.size) * (self.n_bins + 2)

    def reset(self) -> None:
        self._past = np.full((self.max_lag, self.n_bins), FLOOR_DB)  # last max_lag hops of x
        self._dist = np.zeros((self.window - 1, self.lags.size))  # last W-1 rows of d
        self._hops = 0

    def _advance(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """x (n_hops >= 1, n_bins) dB -> echo (n_hops, n_bins) dB."""
        n = x.shape[0]
        p = self.max_lag
        ext = np.concatenate([self._past, x])
        d = np.empty((n, self.lags.size))
        now = p + np.arange(n)
        for a in range(0, n, CHUNK_HOPS):  # d[t, j] = mean over bins of |x[t] - x[t - lag_j]|
            t_ext = now[a:a + CHUNK_HOPS]
            lagged = ext[t_ext[:, None] - self.lags[None, :]]  # (hops, lags, bins)
            d[a:a + CHUNK_HOPS] = np.abs(ext[t_ext][:, None, :] - lagged).mean(axis=2)
        dd = np.concatenate([self._dist, d])
        total = dd[0:n].copy()
        for w in range(1, self.window):  # window sum, oldest first, the same order every hop
            total += dd[w:w + n]
        t = self._hops + np.arange(n)
        usable = t[:, None] >= self.lags[None, :] + self.window - 1
        total[~usable] = np.inf
        best = np.argmin(total, axis=1)
        rows = p + np.arange(n) - self.lags[best]
        out = ext[rows]
        out[~usable.any(axis=1)] = FLOOR_DB
        self._past = ext[-p:].copy()
        self._dist = dd[n:].copy()  # the last W-1 rows
        self._hops += n
        return out
