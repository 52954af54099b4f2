"""Adaptive spatial null on lasting movers (a fan, music's residue): their directions removed.

A fan near the device, or the music distortion the speaker null leaves, keeps arriving from
the same few directions for minutes, while a person who walks in arrives from elsewhere and
moves. On the clutter-free baseband x(t) (n_mics complex samples per time) the spatial
covariance averaged over the last `tau_s`,

    R = <x x^H>  (first-order average, one update per hop),

is dominated by the lasting movers; its `rank` strongest eigenvectors U span their directions.
Each hop is projected onto their complement with the U of the hops before it,

    y = x - U (U^H x),

which keeps the part of a newcomer's echo orthogonal to U (on average (d - rank) / d of its
power, d the dimensions left by the speaker null). benchmarks/spatial_probe.py measured what
this does to the walkers the shipped model misses (docs/model_card.md, "Stop 29").

Limits: a person who stays the room's strongest mover for longer than tau_s is nulled too, so
the null's output is meant as features beside the plain ones, not instead of them; with too
few microphones there is no complement (rank 0: the input passes unchanged).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

WARM_S = 3.0  # the null is the identity for this long after a stream starts (s)


class ClutterNull:
    """Streaming projection of (n_mics, n) complex baseband, fed in whole hops of `hop_bb`
    samples, away from the `rank` strongest directions of its covariance over the previous
    hops (time constant `tau_s`); identity for the first `warm_s`. Explicit state; each hop's
    numbers do not depend on how many hops a call holds (bit-identical for any split)."""

    def __init__(self, hop_bb: int, hop_s: float, n_mics: int, rank: int, tau_s: float = 10.0,
                 warm_s: float = WARM_S):
        if hop_bb < 1 or hop_s <= 0 or tau_s <= 0 or warm_s < 0:
            raise ValueError("clutter null: need hop_bb >= 1, hop_s > 0, tau_s > 0, warm_s >= 0")
        if not 0 <= rank < n_mics:
            raise ValueError(f"clutter null: rank must lie in [0, {n_mics - 1}], not {rank}")
        self.hop_bb, self.n_mics, self.rank = int(hop_bb), int(n_mics), int(rank)
        self.alpha = 1.0 - float(np.exp(-hop_s / tau_s))  # per-hop update weight
        self.warm_hops = round(warm_s / hop_s)
        self.reset()

    def reset(self) -> None:
        self._cov = np.zeros((self.n_mics, self.n_mics), np.complex128)
        self._basis: NDArray[np.complex128] | None = None  # (n_mics, rank) for the next hop
        self._n_hops = 0

    def process(self, x: NDArray[np.complex128]) -> NDArray[np.complex128]:
        """x (n_mics, n_hops * hop_bb) -> the same projected (x itself when rank is 0)."""
        if self.rank == 0 or x.shape[-1] == 0:
            return x
        n_hops, rest = divmod(x.shape[-1], self.hop_bb)
        if rest or x.shape[0] != self.n_mics:
            raise ValueError(f"clutter null: expected ({self.n_mics}, k * {self.hop_bb}) "
                             f"samples, got {x.shape}")
        out = np.empty_like(x)
        for h in range(n_hops):
            seg = x[:, h * self.hop_bb:(h + 1) * self.hop_bb]
            if self._basis is None:
                out[:, h * self.hop_bb:(h + 1) * self.hop_bb] = seg
            else:
                u = self._basis
                out[:, h * self.hop_bb:(h + 1) * self.hop_bb] = seg - u @ (u.conj().T @ seg)
            self._update(seg)
        return out

    def _update(self, seg: NDArray[np.complex128]) -> None:
        """Fold one hop into the covariance; the basis for the next hop once warm."""
        c = seg @ seg.conj().T / seg.shape[1]
        if self._n_hops == 0:
            self._cov = c
        else:
            self._cov += self.alpha * (c - self._cov)
        self._n_hops += 1
        if self._n_hops >= max(1, self.warm_hops):
            self._basis = np.linalg.eigh(self._cov)[1][:, -self.rank:]
