"""RepeatEcho against its formula, on periodic input, and in any block sizes."""

import numpy as np
import pytest
from blocks import in_random_blocks

from uspd.errors import ConfigError
from uspd.model.echo import FLOOR_DB, RepeatEcho, lags_of


def brute_force(x: np.ndarray, lags: np.ndarray, window: int) -> np.ndarray:
    """The module's formula with explicit loops: x[t - L*], L* = argmin_L D_L(t) over the lags
    whose whole window has a past (smallest lag on ties), the floor when there is none."""
    out = np.full_like(x, FLOOR_DB)
    for t in range(x.shape[0]):
        best, best_lag = np.inf, None
        for lag in lags:
            if t < lag + window - 1:
                continue
            dist = sum(np.mean(np.abs(x[t - w] - x[t - w - lag])) for w in range(window))
            if dist < best:
                best, best_lag = dist, lag
        if best_lag is not None:
            out[t] = x[t - best_lag]
    return out


def test_matches_its_formula_in_any_blocks():
    rng = np.random.default_rng(7)
    x = rng.normal(-80, 6, (160, 5))
    x[100:110] = x[40:50] + rng.normal(0, 0.1, (10, 5))  # a repeat 60 hops later
    echo = RepeatEcho(5, min_lag=10, max_lag=70, lag_step=5, window=4)
    whole = echo.process(x)
    assert np.array_equal(whole, brute_force(x, echo.lags, 4))
    assert np.array_equal(whole[105], x[45])  # the repeat finds its original
    echo.reset()
    assert np.array_equal(in_random_blocks(echo.process, x, rng, [0, 1, 2, 9, 40]), whole)


def test_a_periodic_room_is_its_own_echo_after_one_period():
    """A signal of period P (one of the lags) is reproduced exactly once P + W - 1 hops have
    passed; before any lag has a whole window of past the echo is the floor."""
    rng = np.random.default_rng(3)
    period, window = 64, 8
    x = np.tile(rng.normal(-70, 5, (period, 12)), (6, 1))
    echo = RepeatEcho(12, min_lag=16, max_lag=100, lag_step=4, window=window)
    out = echo.process(x)
    assert np.all(out[:16 + window - 1] == FLOOR_DB)
    assert np.array_equal(out[period + window - 1:], x[period + window - 1:])
    assert not np.array_equal(out[16 + window:period], x[16 + window:period])  # no repeat yet


def test_lags_and_bad_settings():
    assert lags_of(80, 960, 8)[[0, -1]].tolist() == [80, 960]
    assert RepeatEcho(40, 80, 960, 8, 20).ops_per_hop == 111 * 42
    for bad in ((0, 10, 1, 1), (10, 5, 1, 1), (1, 10, 0, 1), (1, 10, 1, 0)):
        with pytest.raises(ConfigError):
            RepeatEcho(4, *bad)
