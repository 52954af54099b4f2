"""Whole `uspd detect` pipeline speed, neural vs baseline, on a rendered 96 kHz / 4-mic scene
(one core): x real time and time per 25 ms hop, in 50 ms streaming chunks; then the shipped
network alone (history, echo if any, TCN; numpy) on the same 2-hop blocks, for the shipped
model and any others given.

    .venv/bin/python benchmarks/bench_detect.py [MODEL.npz ...]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core, before numpy is imported

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from uspd.audio import ArraySource  # noqa: E402
from uspd.detect import detect_stream  # noqa: E402
from uspd.model.runtime import load_model  # noqa: E402
from uspd.model.train_job import BUILTIN_NPZ, register_builtin  # noqa: E402
from uspd.sim.library import make_scene  # noqa: E402
from uspd.sim.render import render  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", help="more model .npz files to time the network of")
    models = ap.parse_args().models
    for path in models:
        if not Path(path).is_file():
            ap.error(f"no model file {path}")
    register_builtin()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.2f}; 1 thread; best of 3")
    for device in ("echo", "laptop"):
        rec = render(make_scene("walk-in", seed=5, duration_s=20.0, device=device))
        dur = rec.audio.shape[0] / rec.fs_hz
        row = []
        for name in ("baseline", "neural"):
            best = float("inf")
            for _ in range(3):
                t = time.perf_counter()
                n_hops = sum("score" in r for r in detect_stream(
                    ArraySource(rec.audio, rec.fs_hz), name, block_s=0.05))
                best = min(best, time.perf_counter() - t)
            row.append(f"{name}: {dur / best:6.0f}x real time ({best / n_hops * 1e6:5.0f} us/hop)")
        print(f"{device:6s} ({rec.fs_hz // 1000} kHz, {rec.audio.shape[1]} mics)  "
              + "  |  ".join(row))
    for path in (BUILTIN_NPZ, *models):
        network_alone(path)


def network_alone(path) -> None:
    """Time the model's network (inputs + TCN) in 2-hop blocks and print its budget."""
    bundle = load_model(path)
    net = bundle.network()
    feats = np.random.default_rng(0).normal(-60.0, 10.0, (4000, bundle.arch.n_features))
    best = float("inf")
    for _ in range(3):
        net.reset()
        t = time.perf_counter()
        for i in range(0, len(feats), 2):
            net.process(feats[i : i + 2])
        best = min(best, time.perf_counter() - t)
    archs = [arch for arch, _ in bundle.networks()]
    echo = sum(a.echo_ops_per_hop() for a in archs) / 0.025
    members = f" ({len(archs)} networks)" if len(archs) > 1 else ""
    print(f"network alone ({os.path.basename(str(path))}{members}): "
          f"{sum(a.n_params() for a in archs)} parameters, "
          f"{sum(a.macs_per_s(0.025) for a in archs) / 1e6:.2f} M MAC/s"
          + (f" + {echo / 1e6:.2f} M echo ops/s" if echo else "")
          + f", {best / len(feats) * 1e6:.0f} us/hop in 2-hop blocks")


if __name__ == "__main__":
    main()
