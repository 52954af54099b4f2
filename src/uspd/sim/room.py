"""Shoebox room: geometry, wall reflection coefficients at ultrasound, image sources.

Surfaces are indexed (x=0, x=Lx, y=0, y=Ly, z=0 floor, z=Lz ceiling). The image method
(Allen & Berkley 1979) gives the static room echoes of the loudspeaker to any order, and the
first-order images used for wall reflections of moving scatterers. Pressure reflection
coefficients at 20-40 kHz are high for hard surfaces (plaster, glass, wood: 0.8-0.95) and low
for soft ones (curtains, carpet: 0.2-0.5).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from uspd.errors import ConfigError

SURFACES = ("x0", "x1", "y0", "y1", "floor", "ceiling")


@dataclass(frozen=True)
class FurniturePoint:
    """A static point scatterer (table edge, chair, lamp): position (m), cross-section (m^2)."""

    position_m: tuple[float, float, float]
    sigma_m2: float = 0.05


@dataclass(frozen=True)
class Room:
    """Shoebox room. dims_m (Lx, Ly, Lz); reflection: pressure reflection coefficient per
    surface in SURFACES order (at the carrier); image_order: order of the static image sources
    (>= 2); furniture: static point scatterers."""

    dims_m: tuple[float, float, float] = (5.0, 4.0, 2.6)
    reflection: tuple[float, ...] = (0.85, 0.85, 0.8, 0.9, 0.4, 0.85)
    temperature_c: float = 21.0
    rel_humidity_pct: float = 45.0
    pressure_kpa: float = 101.325
    furniture: tuple[FurniturePoint, ...] = (
        FurniturePoint((1.2, 2.5, 0.75), 0.08),
        FurniturePoint((3.8, 1.0, 0.45), 0.15),
        FurniturePoint((4.6, 3.5, 1.0), 0.1),
        FurniturePoint((0.4, 0.5, 1.8), 0.05),
    )
    image_order: int = 2

    def __post_init__(self) -> None:
        if len(self.dims_m) != 3 or min(self.dims_m) <= 0.5:
            raise ConfigError(f"room dimensions must be 3 values > 0.5 m, got {self.dims_m}")
        if len(self.reflection) != 6 or not all(0.0 <= r < 1.0 for r in self.reflection):
            raise ConfigError("room.reflection needs 6 coefficients in [0, 1)")
        if not 0 <= self.image_order <= 6:
            raise ConfigError("room.image_order must be 0..6")
        if not -10.0 <= self.temperature_c <= 45.0 or not 0.0 <= self.rel_humidity_pct <= 100.0:
            raise ConfigError("room temperature -10..45 °C and humidity 0..100 % RH")
        for f in self.furniture:
            if not self.contains(f.position_m):
                raise ConfigError(f"furniture point {f.position_m} outside the room")

    @classmethod
    def anechoic(cls, dims_m: tuple[float, float, float] = (8.0, 8.0, 4.0)) -> Room:
        """No reflections and no furniture: direct path and moving echoes only (for tests)."""
        return cls(dims_m=dims_m, reflection=(0.0,) * 6, furniture=(), image_order=0)

    def contains(self, p: ArrayLike) -> bool:
        q = np.asarray(p, float)
        return bool(np.all(q >= 0) and np.all(q <= np.asarray(self.dims_m)))

    @property
    def diagonal_m(self) -> float:
        return float(np.linalg.norm(self.dims_m))


def image_sources(
    point_m: ArrayLike, dims_m: ArrayLike, reflection: ArrayLike, max_order: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Images of a point in a shoebox up to max_order reflections (order 0, the point, excluded).

    Per axis an image is x' = (1 - 2q) x + 2 n L (q in {0, 1}); it has |n - q| reflections on the
    wall at 0 and |n| on the wall at L. Returns positions (K, 3) m and gains (K,) = product of
    the reflection coefficients met.
    """
    p = np.asarray(point_m, float)
    dims = np.asarray(dims_m, float)
    beta = np.asarray(reflection, float).reshape(3, 2)
    per_axis = []
    for a in range(3):
        opts = []
        for n in range(-max_order, max_order + 1):
            for q in (0, 1):
                n0, n1 = abs(n - q), abs(n)
                if n0 + n1 <= max_order:
                    pos = (1 - 2 * q) * p[a] + 2 * n * dims[a]
                    opts.append((pos, n0 + n1, beta[a, 0] ** n0 * beta[a, 1] ** n1))
        per_axis.append(opts)
    pos_out, gain_out = [], []
    for ox, oy, oz in itertools.product(*per_axis):
        order = ox[1] + oy[1] + oz[1]
        if 0 < order <= max_order:
            pos_out.append((ox[0], oy[0], oz[0]))
            gain_out.append(ox[2] * oy[2] * oz[2])
    if not pos_out:
        return np.zeros((0, 3)), np.zeros(0)
    return np.asarray(pos_out), np.asarray(gain_out)


def first_order_images(point_m: ArrayLike, dims_m: ArrayLike) -> NDArray[np.float64]:
    """Mirror images of point(s) (..., 3) in the 6 surfaces, SURFACES order: (6, ..., 3)."""
    p = np.asarray(point_m, float)
    dims = np.asarray(dims_m, float)
    out = np.repeat(p[None], 6, axis=0)
    for a in range(3):
        out[2 * a, ..., a] = -p[..., a]
        out[2 * a + 1, ..., a] = 2 * dims[a] - p[..., a]
    return out
