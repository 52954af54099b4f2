"""ClutterNull: removes a lasting direction, keeps the orthogonal part of a newcomer, waits
out its warm-up, and gives the same samples for any split into hops."""

import numpy as np
import pytest

from uspd.dsp.clutter_null import ClutterNull

HOP, HOP_S = 50, 0.025


def unit(v):
    return v / np.linalg.norm(v)


def scene(rng, m=4, n_hops=400):
    """A strong lasting source and a 40 dB weaker one, each from a fixed direction."""
    n = HOP * n_hops
    s_fan = unit(np.exp(1j * rng.uniform(0, 2 * np.pi, m)))
    s_person = unit(np.exp(1j * rng.uniform(0, 2 * np.pi, m)))
    fan = np.outer(s_fan, rng.standard_normal(n) + 1j * rng.standard_normal(n))
    person = 0.01 * np.outer(s_person, rng.standard_normal(n) + 1j * rng.standard_normal(n))
    return fan, person, s_fan, s_person


def reference_projectors(x, rank, tau_s, warm_s):
    """Per hop, I - U U^H from the definition: U the `rank` strongest eigenvectors of the
    first-order average (time constant tau_s) of the hop covariances before it."""
    m, n_hops = x.shape[0], x.shape[1] // HOP
    alpha = 1.0 - np.exp(-HOP_S / tau_s)
    out, cov = [], None
    for h in range(n_hops):
        if h < round(warm_s / HOP_S):
            out.append(np.eye(m))
        else:
            u = np.linalg.eigh(cov)[1][:, -rank:]
            out.append(np.eye(m) - u @ u.conj().T)
        seg = x[:, h * HOP:(h + 1) * HOP]
        c = seg @ seg.conj().T / HOP
        cov = c if cov is None else cov + alpha * (c - cov)
    return out


def through(projectors, x):
    return np.concatenate([p @ x[:, h * HOP:(h + 1) * HOP]
                           for h, p in enumerate(projectors)], axis=1)


def test_null_removes_the_lasting_direction_and_keeps_the_rest_of_a_newcomer():
    fan, person, s_fan, s_person = scene(np.random.default_rng(0))
    y = ClutterNull(HOP, HOP_S, 4, rank=1, tau_s=2.0, warm_s=1.0).process(fan + person)
    proj = reference_projectors(fan + person, 1, 2.0, 1.0)
    assert np.allclose(y, through(proj, fan + person), rtol=0, atol=1e-9)
    late = slice(200 * HOP, None)
    out_f, out_p = through(proj, fan)[:, late], through(proj, person)[:, late]
    assert np.sum(abs(out_f) ** 2) / np.sum(abs(fan[:, late]) ** 2) < 1e-4  # -40 dB
    kept = 1.0 - abs(np.vdot(s_fan, s_person)) ** 2  # the newcomer's part off the fan's line
    assert np.sum(abs(out_p) ** 2) / np.sum(abs(person[:, late]) ** 2) == pytest.approx(
        kept, rel=0.02)


def test_warm_up_passes_the_input_unchanged_then_the_null_starts():
    fan, person, _, _ = scene(np.random.default_rng(1))
    x = fan + person
    null = ClutterNull(HOP, HOP_S, 4, rank=1, tau_s=2.0, warm_s=1.0)
    y = null.process(x)
    warm = round(1.0 / HOP_S)
    assert np.array_equal(y[:, :warm * HOP], x[:, :warm * HOP])
    assert np.sum(abs(y[:, warm * HOP:(warm + 1) * HOP]) ** 2) < 0.01 * np.sum(
        abs(x[:, warm * HOP:(warm + 1) * HOP]) ** 2)


def test_bit_identical_for_any_split_into_hops():
    fan, person, _, _ = scene(np.random.default_rng(2), n_hops=300)
    x = fan + person
    whole = ClutterNull(HOP, HOP_S, 4, rank=2, tau_s=3.0, warm_s=0.5).process(x)
    rng = np.random.default_rng(3)
    null, parts, h = ClutterNull(HOP, HOP_S, 4, rank=2, tau_s=3.0, warm_s=0.5), [], 0
    while h < 300:
        k = int(rng.integers(0, 9))
        parts.append(null.process(x[:, h * HOP:min(300, h + k) * HOP]))
        h += k
    assert np.array_equal(np.concatenate(parts, axis=1), whole)


def test_rank_zero_is_the_identity_and_bad_settings_are_refused():
    x = np.ones((2, 3 * HOP), complex)
    assert ClutterNull(HOP, HOP_S, 2, rank=0).process(x) is x
    with pytest.raises(ValueError, match="rank"):
        ClutterNull(HOP, HOP_S, 2, rank=2)
    with pytest.raises(ValueError, match="samples"):
        ClutterNull(HOP, HOP_S, 2, rank=1).process(np.ones((2, HOP + 1), complex))
