"""Contract between sources of motion (people, fans, curtains) and the renderer.

A source is a set of point scatterers whose positions and acoustic cross-sections are known at
any time. The renderer samples them on its baseband time grid and computes exact-phase echoes.
Positions are in room coordinates (m): origin at a floor corner, x/y along the walls, z up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Scatterers:
    """Point scatterers sampled at times t_s.

    positions_m: (n_points, n_times, 3) room coordinates, m.
    cross_section_m2: (n_points, n_times) acoustic scattering cross-section sigma, m^2
        (0 where the point is hidden or outside the room; the echo then vanishes).
    names: one name per point (e.g. "torso", "left_foot", "blade0").
    """

    positions_m: NDArray[np.float64]
    cross_section_m2: NDArray[np.float64]
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        n_points, n_times, three = self.positions_m.shape
        if three != 3 or self.cross_section_m2.shape != (n_points, n_times):
            raise ValueError("positions (n_points, n_times, 3) and sigma (n_points, n_times)")
        if len(self.names) != n_points:
            raise ValueError("one name per point")


@runtime_checkable
class MotionSource(Protocol):
    """Anything that moves and reflects sound: a person, a fan, a curtain.

    kind: "person" or a distractor kind ("fan", "curtain", ...).
    scatterers(t_s): positions and cross-sections at the given times (s, 1-D, increasing).
    active(t_s): bool per time, True while the source is in the room and doing its thing
        (a person inside the room; a fan running; a curtain swaying). Used for labels.
    """

    kind: str

    def scatterers(self, t_s: NDArray[np.float64]) -> Scatterers: ...

    def active(self, t_s: NDArray[np.float64]) -> NDArray[np.bool_]: ...
