"""Simple test targets: a point moving in a straight line at constant velocity."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from uspd.sim.sources import Scatterers


@dataclass(frozen=True)
class MovingPoint:
    """A point scatterer at start_m until t_start, moving at velocity_mps until t_end, then still.

    sigma_m2: acoustic cross-section (m^2; a torso ~0.1-0.3). A `MotionSource` of kind "target";
    active while moving.
    """

    start_m: tuple[float, float, float]
    velocity_mps: tuple[float, float, float] = (0.0, 0.0, 0.0)
    sigma_m2: float = 0.1
    t_start: float = 0.0
    t_end: float = math.inf
    kind: str = "target"

    def positions_m(self, t_s: NDArray) -> NDArray[np.float64]:
        """(n, 3) positions at t_s."""
        tau = np.clip(np.asarray(t_s, float), self.t_start, self.t_end) - self.t_start
        return np.asarray(self.start_m, float) + tau[:, None] * np.asarray(self.velocity_mps)

    def scatterers(self, t_s: NDArray) -> Scatterers:
        t = np.asarray(t_s, float)
        return Scatterers(self.positions_m(t)[None], np.full((1, t.size), self.sigma_m2),
                          ("point",))

    def active(self, t_s: NDArray) -> NDArray[np.bool_]:
        t = np.asarray(t_s, float)
        moving = np.any(np.asarray(self.velocity_mps) != 0)
        return (t >= self.t_start) & (t < self.t_end) & bool(moving)
