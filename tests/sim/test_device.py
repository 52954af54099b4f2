"""Loudspeaker unit spread, gating ramps, mic geometry."""

from __future__ import annotations

import numpy as np
import pytest

from uspd.errors import ConfigError
from uspd.sim.device import Device, Speaker, gate, ring_array
from uspd.sim.scene import Emission


def test_nominal_unit_has_unit_response_and_units_spread() -> None:
    rng = np.random.default_rng(0)
    exact = Speaker(resonance_sd_frac=0.0, q_sd_frac=0.0, gain_sd_db=0.0)
    assert exact.unit_response(40000.0, rng) == pytest.approx(1.0)
    spk = Speaker(gain_sd_db=0.0)  # spread from the resonance alone
    gains = [abs(spk.unit_response(40000.0, rng)) for _ in range(200)]
    db = 20 * np.log10(gains)
    assert 0.3 < np.std(db) < 6.0  # a 5 % resonance spread at Q 3 moves 40 kHz by dB
    assert np.max(db) <= 20 * np.log10(1 / abs(spk.response(40000.0, 38000.0, 3.0))) + 1e-9


def test_gate_raised_cosine_ramps() -> None:
    t = np.array([0.0, 0.1, 0.105, 0.11, 0.5, 0.895, 0.9, 1.0])
    g = gate(t, ((0.1, 0.9),), 0.01)
    np.testing.assert_allclose(g, [0, 0, 0.5, 1, 1, 0.5, 0, 0], atol=1e-12)
    assert np.all(gate(t, None, 0.01) == 1.0)
    with pytest.raises(ConfigError):
        Emission(schedule=((0.5, 0.505),))  # shorter than two ramps
    with pytest.raises(ConfigError):
        Emission(schedule=((0.5, 1.0), (0.2, 0.4)))  # not increasing


def test_mic_geometry_in_room_coordinates() -> None:
    dev = Device.echo_like((2.0, 1.0, 0.8))
    mics = dev.mic_positions_m()
    np.testing.assert_allclose(np.linalg.norm(mics - [2.0, 1.0, 0.8], axis=1), 0.035)
    assert len(ring_array(6, 0.05)) == 6
    assert np.linalg.norm(dev.speaker_position_m() - [2.0, 1.0, 0.755]) < 1e-12
