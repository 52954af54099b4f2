"""Long sessions with an oscillating fan beside the device: deployed false alarms per hour of
each model, room by room.

The held-out corpora's fan rooms last 120 s, so a room whose fan sweeps every 15 s holds eight
sweeps, and a decision that learns the beat (the repeat veto, uspd.model.repeat) can only act
from the fourth. A fan at home runs for hours. This renders `--rooms` empty rooms with an
oscillating fan (the `empty-fan` scene, drawn from seeds from --seed0 until that many
oscillate) for `--minutes` each, runs each model's streaming detector over the same features
and counts its alarms with the protocol's scorer. Seeds from 990000000 lie between the
held-out corpora's ranges and far above the training seeds.

    .venv/bin/python benchmarks/fan_session.py [MODEL.npz ...] [--rooms 8] [--minutes 5]
        [--device laptop] [--seed0 990000000]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

SEED0 = 990_000_000


def oscillating_fans(n_rooms: int, seed0: int, duration_s: float, device: str) -> list:
    """The first n_rooms `empty-fan` scenes from seed0 on whose fan oscillates."""
    from uspd.sim.library import make_scene

    found, seed = [], seed0
    while len(found) < n_rooms:
        scene = make_scene("empty-fan", seed=seed, duration_s=duration_s, device=device)
        fans = [s for s in scene.sources if getattr(s, "kind", "") == "fan"]
        if fans and fans[0].oscillate_deg:
            found.append((seed, scene, fans[0]))
        seed += 1
    return found


def alarms(detector, feats, labels) -> int:
    """False alarms of a fresh run of `detector` over the features (the room is empty)."""
    from uspd.evaluate import evaluate_recording

    detector.reset()
    return sum(fa.count for fa in evaluate_recording(detector.process(feats), labels).false_alarms)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", help="neural models (.npz; default: the shipped one)")
    ap.add_argument("--rooms", type=int, default=8)
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--device", default="laptop", choices=("laptop", "echo"))
    ap.add_argument("--seed0", type=int, default=SEED0)
    args = ap.parse_args()
    if args.rooms < 1 or args.minutes <= 0:
        ap.error("--rooms must be >= 1 and --minutes > 0")

    from uspd.audio import ArraySource
    from uspd.model.runtime import WEIGHTS_DIR, NeuralDetector
    from uspd.runner import run_detectors
    from uspd.sim.render import render

    paths = args.models or [str(WEIGHTS_DIR / "default.npz")]
    detectors = {p: NeuralDetector.from_file(p) for p in paths}
    fe_cfgs = {d.fe_cfg for d in detectors.values()}
    if len(fe_cfgs) > 1:
        ap.error("the models read different front ends; compare them one front end at a time")
    fe_cfg = fe_cfgs.pop()
    print(f"machine: {platform.machine()}, {args.rooms} rooms x {args.minutes:g} min, "
          f"{args.device}, seeds from {args.seed0}")
    for p, d in detectors.items():
        print(f"  {p}: {d.describe()}")
    t0 = time.perf_counter()
    total = dict.fromkeys(paths, 0)
    for seed, scene, fan in oscillating_fans(args.rooms, args.seed0, 60 * args.minutes,
                                             args.device):
        rec = render(scene)
        run = run_detectors(ArraySource(rec.audio, rec.fs_hz), [], cfg=fe_cfg,
                            keep_features=True)
        counts = {p: alarms(d, run.features, rec.labels) for p, d in detectors.items()}
        for p, n in counts.items():
            total[p] += n
        dist = float(np.linalg.norm(np.asarray(fan.hub_m) - np.asarray(scene.device.position_m)))
        print(f"seed {seed}: {fan.n_blades} blades {fan.rpm:.0f} rpm, sweeping "
              f"{fan.oscillate_deg:.0f} deg / {fan.oscillate_period_s:.1f} s, {dist:.1f} m: "
              + ", ".join(str(n) for n in counts.values()) + " alarms", flush=True)
    hours = args.rooms * args.minutes / 60
    print(f"\nin {hours:.2f} h of oscillating fan ({time.perf_counter() - t0:.0f} s):")
    for p, n in total.items():
        print(f"  {n:4d} alarms, {n / hours:6.2f} per hour: {p}")


if __name__ == "__main__":
    main()
