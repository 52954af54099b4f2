"""Spatial null on the loudspeaker: removes the direct sound, and the music distortion it carries.

Music played through the sensing loudspeaker modulates the emitted tone (cone excursion, drive
nonlinearity; see `uspd.sim.music`), which spreads sidebands right across the Doppler band.
They arrive mostly over the direct path, which is 20-40 dB stronger than any wall echo, so at
the microphone array they share one fixed spatial signature s (complex gain per mic): the
received baseband is x(t) ~ s e(t) + echoes, with e(t) the (modulated) emitted envelope.

A person's echo comes from elsewhere, with a different phase pattern across the mics. Projecting
every baseband sample onto the complement of s,

    y(t) = x(t) - s (s^H x(t)) / (s^H s),

removes s e(t) whatever e(t) does, and keeps the part of each echo orthogonal to s (on average
(n_mics - 1) / n_mics of its power for an echo with random phases across the mics). s is tracked
as a first-order low-pass of x (time constant `time_constant_s`): the direct path is static,
and a person's echo is far too weak to pull it.

Limits: with one microphone there is no complement (the null is bypassed); with two mics placed
symmetrically about the loudspeaker, an echo from the symmetry plane has the speaker's signature
and is nulled too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import signal


class SpeakerNull:
    """Streaming projection of (n_mics, n) complex baseband onto the complement of the static
    spatial signature; explicit state, bit-identical for any split of the input."""

    def __init__(self, fs_bb_hz: float, n_mics: int, time_constant_s: float = 0.5,
                 enabled: bool = True):
        if time_constant_s <= 0:
            raise ValueError("speaker null: time_constant_s must be > 0")
        self.n_mics = int(n_mics)
        self.active = enabled and self.n_mics >= 2
        alpha = 1.0 - float(np.exp(-1.0 / (time_constant_s * fs_bb_hz)))
        self._b = np.array([alpha])
        self._a = np.array([1.0, alpha - 1.0])
        self.reset()

    def reset(self) -> None:
        self._zi: NDArray[np.complex128] | None = None  # (n_mics, 1) low-pass state

    def prime(self, first: NDArray[np.complex128]) -> None:
        """Start the signature estimate at `first` (n_mics,) (steady state for a constant)."""
        first = np.asarray(first, np.complex128)
        self._zi = (first * (1.0 - self._b[0]))[:, None]

    def signature(self, x: NDArray[np.complex128]) -> NDArray[np.complex128]:
        """Running low-pass of x (n_mics, n): the spatial signature at every sample; advances
        the state."""
        if self._zi is None:
            self.prime(x[:, 0])
        s, self._zi = signal.lfilter(self._b, self._a, x, axis=-1, zi=self._zi)
        return s

    def process(self, x: NDArray[np.complex128]) -> NDArray[np.complex128]:
        """x (n_mics, n) complex baseband -> the same with the loudspeaker's signature removed
        (x itself, untouched, when the null is bypassed)."""
        if not self.active or x.shape[-1] == 0:
            return x
        s = self.signature(x)
        s_conj = s.conj()
        power = np.einsum("mn,mn->n", s_conj, s).real
        along = np.einsum("mn,mn->n", s_conj, x) / np.maximum(power, 1e-300)
        return x - s * along
