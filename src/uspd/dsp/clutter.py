"""Static-echo (clutter) removal in complex baseband.

Walls and furniture return the carrier unshifted: in baseband they sit at 0 Hz, 30-60 dB above
a person's echo, and wander only with temperature (a few mHz). A Butterworth high-pass with a
cutoff of a few cm/s (converted to Hz for the carrier) removes them, and with them most of the
breathing-level micro-motion (mm/s). The same real filter acts on both Doppler signs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import signal

from uspd.physics import monostatic_doppler_hz

try:  # the Cython core of scipy.signal.sosfilt: same arithmetic without ~100 us of checks
    from scipy.signal._sosfilt import _sosfilt as _sosfilt_core
except ImportError:  # pragma: no cover - other scipy layouts
    _sosfilt_core = None


def clutter_cutoff_hz(cutoff_mps: float, carrier_hz: float, speed_mps: float) -> float:
    """High-pass cutoff (Hz) in baseband for a radial velocity cutoff (m/s)."""
    return float(monostatic_doppler_hz(carrier_hz, cutoff_mps, speed_mps))


class ClutterFilter:
    """Streaming high-pass on complex baseband (n_mics, n) with explicit state.

    The state is initialised on the first sample it sees to the steady state of a constant
    input, so a static echo present from the start produces no start-up transient.
    """

    def __init__(self, fs_bb_hz: float, cutoff_hz: float, n_mics: int, order: int = 4):
        if not 0.0 < cutoff_hz < fs_bb_hz / 2.0:
            raise ValueError("clutter cutoff must lie in (0, Nyquist) of the baseband")
        self.sos = signal.butter(order, cutoff_hz, btype="highpass", fs=fs_bb_hz, output="sos")
        self._sos_c = np.ascontiguousarray(self.sos, np.complex128)
        self._zi_unit = signal.sosfilt_zi(self.sos)  # (n_sections, 2), steady state for input 1
        self.n_mics = n_mics
        self.reset()

    def reset(self) -> None:
        self._zi: NDArray[np.complex128] | None = None  # (n_mics, n_sections, 2)

    def prime(self, first: NDArray[np.complex128]) -> None:
        """Set the state to the steady state of a constant input `first` (n_mics,)."""
        first = np.asarray(first, np.complex128)
        self._zi = np.ascontiguousarray(self._zi_unit[None, :, :] * first[:, None, None])

    def process(self, x: NDArray[np.complex128], copy: bool = True) -> NDArray[np.complex128]:
        """x (n_mics, n) complex baseband -> high-passed, state carried over.

        copy=False filters in place when x is already C-contiguous complex128.
        """
        if not copy and _sosfilt_core is not None and self._zi is not None:
            _sosfilt_core(self._sos_c, x, self._zi)  # raises unless C-contiguous complex128
            return x
        y = np.array(x, dtype=np.complex128, order="C", copy=True if copy else None)
        if y.shape[-1] == 0:
            return y
        if self._zi is None:
            self.prime(y[:, 0])
        assert self._zi is not None
        if _sosfilt_core is not None:
            _sosfilt_core(self._sos_c, y, self._zi)  # in place on y and zi
            return y
        out, zi = signal.sosfilt(self.sos, y, axis=-1, zi=self._zi.transpose(1, 0, 2))
        self._zi = np.ascontiguousarray(zi.transpose(1, 0, 2))
        return out
