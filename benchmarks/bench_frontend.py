"""Front-end and detection throughput on one core: x real time, time per hop, peak memory.

Usage: python benchmarks/bench_frontend.py [seconds] [repeats]
Each configuration runs with the music canceller on and off, with the clutter null of the
shipped model's front end (2 directions) on top of the canceller, and with the periodic
canceller before the null (the signal holds a fan-like echo repeating every 30 ms, so the
comb is applied, not only searched for).
(default 20 s of audio per configuration, best of 3 runs: the machine may be shared, and the
best run is the one least disturbed by other processes; the load average is printed)
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import itertools  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402

from uspd.baseline import BaselineDetector  # noqa: E402
from uspd.detect import StreamingPipeline  # noqa: E402
from uspd.dsp.frontend import FrontEnd, FrontEndConfig  # noqa: E402

# the front end with and without the music canceller, and with the clutter null (what each costs)
CONFIGS = {
    "canceller on ": FrontEndConfig(music_canceller=True),
    "canceller off": FrontEndConfig(music_canceller=False),
    "canceller + null 2": FrontEndConfig(music_canceller=True, clutter_null_rank=2),
    "canceller + comb + null 2": FrontEndConfig(music_canceller=True, clutter_null_rank=2,
                                                periodic_cancel=True),
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    py = platform.python_version()
    return f"{cpu}, {os.cpu_count()} cpus, Python {py}, numpy {np.__version__}"


def signal(fs: int, f0: float, dur_s: float, n_mics: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(int(fs * dur_s)) / fs
    path = 2 * (2.0 + 0.6 * np.sin(2 * np.pi * t / 3.0))
    x = 0.3 * np.cos(2 * np.pi * f0 * t)[:, None] + 0.002 * np.cos(
        2 * np.pi * f0 * (t - path / 343.4)
    )[:, None]
    # a fan-like echo from another direction than the speaker's (a phase step across the mics):
    # phase-modulated, repeating exactly every 30 ms (+-67 Hz of Doppler)
    fan = 2 * np.pi * f0 * t + 2.0 * np.sin(2 * np.pi * t / 0.03)
    x = x + 0.004 * np.cos(fan[:, None] + 0.9 * np.arange(n_mics)[None, :])
    x = x + 1e-4 * rng.standard_normal((t.size, n_mics))
    return x.astype(np.float32)


def run(process, x: np.ndarray, block: int) -> float:
    t0 = time.perf_counter()
    for i in range(0, x.shape[0], block):
        process(x[i:i + block])
    return time.perf_counter() - t0


def _pipeline(cfg: FrontEndConfig, fs: int, n_mics: int, f0: float) -> StreamingPipeline:
    return StreamingPipeline(BaselineDetector(fe_cfg=cfg), fs, n_mics, f0, cfg)


def best_of(make, x: np.ndarray, block: int, repeats: int) -> float:
    """Shortest wall time of `repeats` fresh streaming runs (each on a new object)."""
    return min(run(make().process, x, block) for _ in range(repeats))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seconds", nargs="?", type=float, default=20.0,
                    help="seconds of audio per configuration (default 20)")
    ap.add_argument("repeats", nargs="?", type=int, default=3,
                    help="runs per configuration, the best one reported (default 3)")
    args = ap.parse_args()
    dur, repeats = args.seconds, args.repeats
    if not (dur > 0 and repeats >= 1):
        ap.error(f"need seconds > 0 and repeats >= 1, not {dur} and {repeats}")
    print(f"machine: {machine()}")
    print(f"load average before: {os.getloadavg()[0]:.2f}; best of {repeats} runs")
    for fs, f0, n_mics in [(96000, 40000.0, 4), (48000, 20000.0, 2), (96000, 40000.0, 8)]:
        x = signal(fs, f0, dur, n_mics)
        for (label, cfg), block_s in itertools.product(CONFIGS.items(), (0.05, 0.5)):
            block = int(block_s * fs)
            fe = FrontEnd(cfg, fs, n_mics, f0)
            run(fe.process, x[: fs // 2], block)  # warm up
            el = best_of(partial(FrontEnd, cfg, fs, n_mics, f0), x, block, repeats)
            n_hops = x.shape[0] // fe.hop_in
            el_p = best_of(partial(_pipeline, cfg, fs, n_mics, f0), x, block, repeats)
            print(
                f"{fs / 1000:g} kHz / {f0 / 1000:g} kHz, {n_mics} mics, {block_s * 1000:g} ms "
                f"chunks, {label}: "
                f"front end {dur / el:7.0f}x real time ({1e6 * el / n_hops:6.0f} us/hop)"
                f" | front end + baseline {dur / el_p:6.0f}x ({1e6 * el_p / n_hops:6.0f} us/hop)"
            )
    # memory: peak Python allocations while streaming 10 s, and process max RSS
    fs, f0, n_mics = 96000, 40000.0, 4
    x = signal(fs, f0, 10.0, n_mics)
    pipe = StreamingPipeline(BaselineDetector(), fs, n_mics, f0)
    tracemalloc.start()
    run(pipe.process, x, int(0.05 * fs))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak traced allocation while streaming (96 kHz, 4 mics, 50 ms chunks): "
          f"{peak / 1e6:.2f} MB; process max RSS {rss_mb:.0f} MB (includes the test signals)")
    print("goal: >= 300x real time for 4 mics at 96 kHz / 40 kHz")


if __name__ == "__main__":
    main()
