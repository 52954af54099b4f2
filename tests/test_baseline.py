"""Classic baseline detector on synthetic scenes: finds a walker, quiet on noise + static echo."""

import numpy as np

from uspd.baseline import BaselineDetector
from uspd.detect import StreamingPipeline
from uspd.dsp.frontend import FrontEnd, FrontEndConfig

C = 343.4


def scene(fs, f0, dur_s, walk=None, n_mics=2, echo_db=-45.0, noise_dbfs=-85.0, seed=0):
    """Carrier + static echoes + optional walker echo (path length walk(t) in m) + noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(fs * dur_s)) / fs
    x = np.zeros((t.size, n_mics))
    for m in range(n_mics):
        x[:, m] = 0.3 * np.cos(2 * np.pi * f0 * t + 0.5 * m)  # direct path
        x[:, m] += 0.05 * np.cos(2 * np.pi * f0 * (t - 3.1 / C) + m)  # static wall echo
        if walk is not None:
            amp = 0.3 * 10 ** (echo_db / 20)
            x[:, m] += amp * np.cos(2 * np.pi * f0 * (t - (walk(t) + 0.05 * m) / C))
    x += 10 ** (noise_dbfs / 20) * np.sqrt(2) * rng.standard_normal(x.shape)
    return x


def walker(t0_s, t1_s):
    """Round-trip path: still at 4 m, walking (1.2 m/s radial) between t0 and t1, still again."""

    def path(t):
        tt = np.clip(t, t0_s, t1_s) - t0_s
        return 2 * (2.0 + 0.6 * np.sin(2 * np.pi * tt / 3.0))  # radial speed up to 1.26 m/s

    return path


def run(x, fs, f0, n_mics):
    fe = FrontEnd(FrontEndConfig(), fs, n_mics, f0)
    det = BaselineDetector()
    return det.process(fe.process(x))


def test_detects_walker_48k():
    fs, f0 = 48000, 20000.0
    x = scene(fs, f0, 7.0, walk=walker(2.0, 4.5))
    d = run(x, fs, f0, 2)
    during = (d.t_s > 2.4) & (d.t_s < 4.5)
    before = d.t_s < 1.9
    after = d.t_s > 4.5 + 0.5 + 1.0 + 0.2  # echo decay (window, high-pass) + 1 s hold
    assert d.motion[during].mean() > 0.9
    assert not d.motion[before].any()
    assert not d.motion[after].any()  # the 1 s hold has expired
    assert set(d.kind[d.motion]) <= {"minor", "major"}
    assert d.score[during].mean() > 0.8 and d.score[before].max() < 0.5


def test_detects_walker_96k_four_mics():
    fs, f0 = 96000, 40000.0
    x = scene(fs, f0, 4.0, walk=walker(1.5, 3.5), n_mics=4, seed=3)
    d = run(x, fs, f0, 4)
    assert d.motion[(d.t_s > 1.8) & (d.t_s < 3.5)].mean() > 0.9
    assert not d.motion[d.t_s < 1.4].any()


def test_quiet_on_noise_and_static_echo():
    fs, f0 = 48000, 20000.0
    for seed in range(3):
        x = scene(fs, f0, 6.0, walk=None, seed=seed)
        d = run(x, fs, f0, 2)
        assert not d.motion.any()
        assert d.score.max() < 0.5


def test_pipeline_events_match_decisions():
    fs, f0 = 48000, 20000.0
    x = scene(fs, f0, 6.5, walk=walker(1.5, 3.5))
    pipe = StreamingPipeline(BaselineDetector(), fs, 2, f0)
    recs = pipe.process(x) + pipe.finish()
    events = [r for r in recs if "event" in r]
    assert [e["event"] for e in events] == ["motion_start", "motion_end"]
    assert 1.5 <= events[0]["t"] < 2.0
    assert 4.5 <= events[1]["t"] < 6.0  # stop + echo decay + 1 s hold
