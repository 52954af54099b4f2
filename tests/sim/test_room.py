"""Shoebox image sources against explicit mirror constructions."""

from __future__ import annotations

import numpy as np
import pytest

from uspd.errors import ConfigError
from uspd.sim.room import FurniturePoint, Room, first_order_images, image_sources

DIMS = (5.0, 4.0, 2.6)
BETA = (0.9, 0.8, 0.7, 0.6, 0.5, 0.4)


def mirror(p: np.ndarray, surface: int) -> np.ndarray:
    q = p.copy()
    axis, far = divmod(surface, 2)
    q[axis] = 2 * DIMS[axis] - p[axis] if far else -p[axis]
    return q


def test_first_order_images_are_mirrors_with_their_coefficient() -> None:
    p = np.array([1.0, 1.5, 0.8])
    pos, gain = image_sources(p, DIMS, BETA, 1)
    assert pos.shape == (6, 3)
    for s in range(6):
        expected = mirror(p, s)
        k = np.argmin(np.linalg.norm(pos - expected, axis=1))
        np.testing.assert_allclose(pos[k], expected)
        assert gain[k] == pytest.approx(BETA[s])
    np.testing.assert_allclose(first_order_images(p, DIMS), [mirror(p, s) for s in range(6)])


def test_second_order_images_are_double_mirrors() -> None:
    p = np.array([1.0, 1.5, 0.8])
    pos, gain = image_sources(p, DIMS, BETA, 2)
    assert pos.shape == (24, 3)  # 6 first-order + 18 second-order images
    expected = {}
    for s1 in range(6):
        for s2 in range(6):
            if s1 // 2 == s2 // 2 and s1 == s2:
                continue  # reflecting twice in the same wall gives the source back
            q = mirror(mirror(p, s1), s2)
            expected[tuple(np.round(q, 9))] = BETA[s1] * BETA[s2]
    got = {tuple(np.round(q, 9)): g for q, g in zip(pos, gain, strict=True)}
    second = {k: v for k, v in got.items()
              if not any(np.allclose(k, mirror(p, s)) for s in range(6))}
    assert set(second) == set(expected)
    for k, v in expected.items():
        assert second[k] == pytest.approx(v)


def test_room_validation() -> None:
    with pytest.raises(ConfigError):
        Room(reflection=(0.9,) * 5)
    with pytest.raises(ConfigError):
        Room(reflection=(1.2,) * 6)
    with pytest.raises(ConfigError):
        Room(furniture=(FurniturePoint((9.0, 1.0, 1.0)),))
    assert Room.anechoic().image_order == 0
