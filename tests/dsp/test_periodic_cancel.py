"""PeriodicCanceller: finds a repeat's period to a fraction of a sample, removes the repeat
down to the noise, passes a tone with the comb's power gain 2 sin^2(pi f T), leaves what does
not repeat (and its warm-up) untouched, gives the same samples for any split into hops, and in
rendered fan rooms finds the blade-flash period 60 / (n_blades rpm)."""

import numpy as np
import pytest

from uspd.dsp.frontend import FrontEnd, FrontEndConfig
from uspd.dsp.periodic_cancel import PeriodicCanceller, comb_power_gain, find_lag, sinc_taps
from uspd.errors import ConfigError
from uspd.sim.library import make_scene
from uspd.sim.render import render

FS, HOP, MICS = 2400.0, 60, 3
PERIOD_S = 0.0367706  # 88.25 samples: not a whole number


def repeating(rng, dur_s, period_s=PERIOD_S, band_hz=700.0):
    """(MICS, n) complex baseband that repeats exactly every period_s: random harmonics of
    1 / period_s within +-band_hz, different at each mic. Mean power 1 per mic."""
    f0 = 1.0 / period_s
    ks = np.arange(-int(band_hz / f0), int(band_hz / f0) + 1)
    t = np.arange(int(dur_s * FS)) / FS
    a = (rng.standard_normal((MICS, ks.size)) + 1j * rng.standard_normal((MICS, ks.size)))
    a /= np.sqrt(np.sum(np.abs(a) ** 2, axis=1, keepdims=True))
    return a @ np.exp(2j * np.pi * np.outer(ks * f0, t)), t


def noise(rng, shape, power):
    return np.sqrt(power / 2) * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))


def power(x):
    return float(np.mean(np.abs(x) ** 2))


def test_interpolating_taps_delay_a_band_limited_signal_by_a_fraction_of_a_sample():
    f = 0.3  # cycles per sample, inside the baseband's +-1/3
    n = np.arange(200)
    for frac in (0.0, 0.25, 0.6):
        w = sinc_taps(frac)
        got = sum(wk * np.exp(2j * np.pi * f * (n - k))
                  for wk, k in zip(w, range(-7, 9), strict=True))
        assert np.allclose(got, np.exp(2j * np.pi * f * (n - frac)), atol=2e-3)


def test_repeat_removed_to_the_noise_and_its_period_found():
    rng = np.random.default_rng(0)
    fan, _ = repeating(rng, 12.0)
    floor = noise(rng, fan.shape, 1e-4)  # 40 dB under the repeat
    comb = PeriodicCanceller(FS, HOP, MICS)
    y = comb.process(fan + floor)
    assert comb.lag_s == pytest.approx(PERIOD_S, abs=0.5 / 16 / FS)
    late = slice(int(3 * FS), None)
    # the scaled comb keeps white noise's power, so what is left is the noise
    assert 10 * np.log10(power(y[:, late]) / power(floor[:, late])) == pytest.approx(0, abs=0.5)
    lag, share = find_lag(fan[:, :4800], int(0.008 * FS), int(0.21 * FS))
    assert share < 1e-3 and lag / FS == pytest.approx(PERIOD_S, abs=0.5 / 16 / FS)


@pytest.mark.parametrize("f_hz", [-310.0, 47.0, 150.0, 420.0])
def test_a_tone_passes_with_the_combs_power_gain(f_hz):
    rng = np.random.default_rng(1)
    fan, t = repeating(rng, 8.0)
    tone = 0.03 * np.exp(2j * np.pi * f_hz * t)[None, :].repeat(MICS, axis=0)
    comb = PeriodicCanceller(FS, HOP, MICS)
    y = comb.process(fan + tone)
    late = slice(int(3 * FS), None)
    # the tone's amplitude in the output, by projecting on it (the fan's lines are elsewhere)
    amp = np.abs(np.mean(y[:, late] * np.exp(-2j * np.pi * f_hz * t[late]), axis=1))
    gain = np.mean(amp**2) / 0.03**2
    assert gain == pytest.approx(comb_power_gain(f_hz, comb.lag_s), rel=0.03, abs=0.01)


def test_what_does_not_repeat_and_the_warm_up_pass_unchanged():
    rng = np.random.default_rng(2)
    x = noise(rng, (MICS, int(6 * FS)), 1.0)
    comb = PeriodicCanceller(FS, HOP, MICS)
    assert np.array_equal(comb.process(x), x)
    assert comb.lag_s is None and comb.share > 0.9
    fan, _ = repeating(rng, 6.0)
    comb = PeriodicCanceller(FS, HOP, MICS, memory_s=2.0)
    y = comb.process(fan)
    warm = int(2.0 * FS) // HOP * HOP
    assert np.array_equal(y[:, :warm], fan[:, :warm])
    assert power(y[:, warm + HOP * 20:]) < 1e-4


def test_bit_identical_for_any_split_into_hops():
    rng = np.random.default_rng(3)
    fan, _ = repeating(rng, 8.0)
    x = fan + noise(rng, fan.shape, 1e-3)
    whole = PeriodicCanceller(FS, HOP, MICS, update_s=0.3).process(x)
    comb, parts, h = PeriodicCanceller(FS, HOP, MICS, update_s=0.3), [], 0
    n_hops = x.shape[1] // HOP
    while h < n_hops:
        k = int(rng.integers(0, 23))
        parts.append(comb.process(x[:, h * HOP:min(n_hops, h + k) * HOP]))
        h += k
    assert np.array_equal(np.concatenate(parts, axis=1), whole)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="samples"):
        PeriodicCanceller(FS, HOP, MICS).process(np.ones((MICS, HOP + 1), complex))
    with pytest.raises(ValueError, match="lags"):
        PeriodicCanceller(FS, HOP, MICS, lag_range_s=(0.001, 0.004))
    with pytest.raises(ConfigError, match="periodic_cancel"):
        FrontEnd(FrontEndConfig(periodic_cancel=True), 48000, 2, 20000.0)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_library_fan_found_at_its_blade_period_and_taken_out_of_null_db(seed):
    """The scene library's empty-fan rooms (random blades, speed, oscillation; air currents
    and self-noise) on the echo-like device: the front end's comb locks on the blade-flash
    period 60 / (n_blades rpm) (or a multiple) and null_db's moving bins lose power, while
    doppler_db is unchanged."""
    scene = make_scene("empty-fan", seed=seed, duration_s=6.0, device="echo")
    (fan,) = (s for s in scene.sources if s.kind == "fan")
    rec = render(scene)
    carrier = scene.emission.carrier_hz
    fe = FrontEnd(FrontEndConfig(clutter_null_rank=1, periodic_cancel=True), rec.fs_hz,
                  rec.audio.shape[1], carrier)
    feats = fe.process(rec.audio)
    lag_s = fe._comb.lag_s
    flash_s = 60.0 / (fan.n_blades * fan.rpm)
    assert lag_s is not None
    assert lag_s / flash_s == pytest.approx(round(lag_s / flash_s), abs=0.01)
    plain = FrontEnd(FrontEndConfig(clutter_null_rank=1), rec.fs_hz, rec.audio.shape[1],
                     carrier).process(rec.audio)
    late = feats.t_end_s > 3.5
    moving = np.abs(fe.velocity_axis_mps) > 0.3
    lin = lambda db: np.mean(10 ** (db[late][:, moving] / 10))  # noqa: E731
    assert np.array_equal(feats.doppler_db, plain.doppler_db)
    assert 10 * np.log10(lin(plain.null_db) / lin(feats.null_db)) > 3
