"""benchmarks/spatial_probe.py: the whitened statistic against its definition on synthetic
array signals (the null it uses is uspd.dsp.clutter_null, tested in tests/dsp)."""

import numpy as np
import pytest

from benchmark_script import load_benchmark


def load_script():
    return load_benchmark("spatial_probe")


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
