"""benchmarks/spatial_probe.py: the adaptive null and the whitened statistic against their
definitions on synthetic array signals."""

import numpy as np
import pytest

from benchmark_script import load_benchmark


def load_script():
    return load_benchmark("spatial_probe")


def unit(v):
    return v / np.linalg.norm(v)


def test_null_removes_a_lasting_direction_and_keeps_the_rest_of_a_new_one():
    mod = load_script()
    rng = np.random.default_rng(0)
    m, hop, n_hops = 4, 50, 200
    s_clutter = unit(np.exp(1j * rng.uniform(0, 2 * np.pi, m)))
    s_person = unit(np.exp(1j * rng.uniform(0, 2 * np.pi, m)))
    n = hop * n_hops
    clutter = np.outer(s_clutter, rng.standard_normal(n) + 1j * rng.standard_normal(n))
    person = 0.01 * np.outer(s_person, rng.standard_normal(n) + 1j * rng.standard_normal(n))
    proj = mod.null_projectors(clutter + person, hop, tau_hops=50.0, k=1, warm_hops=20)
    assert np.allclose(proj[:20], np.eye(m))  # no null during the warm-up
    late = slice(100 * hop, n)
    out_c = mod_apply(proj, clutter, hop)[:, late]
    out_p = mod_apply(proj, person, hop)[:, late]
    kept = 1.0 - abs(np.vdot(s_clutter, s_person)) ** 2  # the part orthogonal to the null
    assert np.sum(abs(out_c) ** 2) / np.sum(abs(clutter[:, late]) ** 2) < 1e-4
    assert np.sum(abs(out_p) ** 2) / np.sum(abs(person[:, late]) ** 2) == pytest.approx(
        kept, rel=0.05)


def mod_apply(proj, x, hop):
    """Each hop's samples through its projector."""
    return np.concatenate([proj[h] @ x[:, h * hop:(h + 1) * hop]
                           for h in range(proj.shape[0])], axis=1)


def test_whitened_statistic_is_the_mic_count_on_its_own_clutter_and_large_on_a_newcomer():
    mod = load_script()
    rng = np.random.default_rng(1)
    m, n_hops, n_fft_bins = 4, 3000, 8
    a = rng.standard_normal((m, m)) + 1j * rng.standard_normal((m, m))
    r = a @ a.conj().T + 100 * np.outer(np.ones(m), np.ones(m))  # one strong direction
    chol = np.linalg.cholesky(r)
    z = chol @ (rng.standard_normal((n_hops, m, n_fft_bins))
                + 1j * rng.standard_normal((n_hops, m, n_fft_bins))) / np.sqrt(2)
    cov = np.einsum("hak,hbk->hab", z, z.conj())[:, None]  # one velocity bin
    stat = mod.whitened(cov, tau_hops=500.0, warm_hops=500, loading=0.0)[:, 0]
    # R is the running mean of C itself, so E tr(R^-1 C) = m
    assert np.mean(stat[1000:]) == pytest.approx(m, rel=0.05)
    # the same power from the clutter's weakest direction stands out, from its strongest not
    w, v = np.linalg.eigh(r)
    power = 10 * n_fft_bins * w[0]
    rise = {}
    for name, u in (("weak", v[:, 0]), ("strong", v[:, -1])):
        newcomer = cov.copy()
        newcomer[-1, 0] += power * np.outer(u, u.conj())
        rise[name] = mod.whitened(newcomer, 500.0, 500, loading=0.0)[-1, 0] - stat[-1]
    assert rise["weak"] == pytest.approx(10.0, rel=0.05)
    assert rise["strong"] < 1.0
    assert stat[-1] + rise["weak"] > np.percentile(stat[1000:], 99)
