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
        [--device laptop] [--seed0 990000000] [--seeds S,S,...] [--threshold 0.8]

--seeds renders those `empty-fan` seeds instead (say, the rooms a corpus found firing, at
length); --threshold runs every model's decision at that on-threshold instead of its own (a
held-out corpus's 99 % threshold lies near 0.8-0.93).
"""

from __future__ import annotations

import argparse
import platform
import time

SEED0 = 990_000_000


def oscillating_fans(n_rooms: int, seed0: int, duration_s: float, device: str,
                     seeds: list[int] | None = None) -> list:
    """(seed, scene, fan) of the first n_rooms `empty-fan` scenes from seed0 on whose fan
    oscillates, or of `seeds`, whatever their fan does."""
    from uspd.sim.library import make_scene

    def room(seed: int) -> tuple:
        scene = make_scene("empty-fan", seed=seed, duration_s=duration_s, device=device)
        fans = [s for s in scene.sources if getattr(s, "kind", "") == "fan"]
        return seed, scene, fans[0] if fans else None

    if seeds:
        return [room(s) for s in seeds]
    found, seed = [], seed0
    while len(found) < n_rooms:
        seed, scene, fan = room(seed)
        if fan is not None and fan.oscillate_deg:
            found.append((seed, scene, fan))
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
    ap.add_argument("--seeds", help="comma-separated empty-fan seeds to render instead")
    ap.add_argument("--threshold", type=float,
                    help="every model's on-threshold (default: each model's own)")
    args = ap.parse_args()
    try:
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else None
    except ValueError:
        ap.error(f"--seeds: expected whole numbers separated by commas, not {args.seeds!r}")
    if args.threshold is not None and not 0 < args.threshold < 1:
        ap.error("--threshold must lie in (0, 1)")
    if args.rooms < 1 or args.minutes <= 0:
        ap.error("--rooms must be >= 1 and --minutes > 0")

    from heldout_tail import describe
    from uspd.audio import ArraySource
    from uspd.model.runtime import WEIGHTS_DIR, NeuralConfig, NeuralDetector
    from uspd.runner import run_detectors
    from uspd.sim.render import render

    paths = args.models or [str(WEIGHTS_DIR / "default.npz")]
    cfg = NeuralConfig(threshold=args.threshold, context_threshold=args.threshold)
    detectors = {p: NeuralDetector.from_file(p, cfg=cfg) for p in paths}
    fe_cfgs = {d.fe_cfg for d in detectors.values()}
    if len(fe_cfgs) > 1:
        ap.error("the models read different front ends; compare them one front end at a time")
    fe_cfg = fe_cfgs.pop()
    where = f"seeds {args.seeds}" if seeds else f"{args.rooms} rooms, seeds from {args.seed0}"
    print(f"machine: {platform.machine()}, {where}, {args.minutes:g} min each, {args.device}"
          + (f", threshold {args.threshold:g}" if args.threshold else ""))
    for p, d in detectors.items():
        print(f"  {p}: {d.describe()}")
    t0 = time.perf_counter()
    total = dict.fromkeys(paths, 0)
    rooms = oscillating_fans(args.rooms, args.seed0, 60 * args.minutes, args.device, seeds)
    for seed, scene, _ in rooms:
        rec = render(scene)
        run = run_detectors(ArraySource(rec.audio, rec.fs_hz), [], cfg=fe_cfg,
                            keep_features=True)
        counts = {p: alarms(d, run.features, rec.labels) for p, d in detectors.items()}
        for p, n in counts.items():
            total[p] += n
        print(f"seed {seed}: {describe('empty-fan', seed, 60 * args.minutes, args.device)}: "
              + ", ".join(str(n) for n in counts.values()) + " alarms", flush=True)
    hours = len(rooms) * args.minutes / 60
    print(f"\nin {hours:.2f} h of oscillating fan ({time.perf_counter() - t0:.0f} s):")
    for p, n in total.items():
        print(f"  {n:4d} alarms, {n / hours:6.2f} per hour: {p}")


if __name__ == "__main__":
    main()
