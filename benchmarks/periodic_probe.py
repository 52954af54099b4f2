"""Would cancelling what repeats at a fan's blade period lift the far walkers above the fan?

A fan's echo repeats: every blade-flash period T = 60 / (n_blades rpm) the blades are back
where they were (and every rotation, if the blades differ), so its clutter-free baseband obeys
x(t) = x(t - T) and the comb y(t) = (x(t) - x(t - T)) / sqrt(2) removes it, flashes included,
whatever their Doppler spread. A person's echo does not repeat at T: the comb's power gain on
it is 2 sin^2(pi f T) at Doppler f, 1 on average, the same as on white noise. So the comb
should leave the walker-to-noise ratio alone and take the fan out.

The comb is the device's (`uspd.dsp.periodic_cancel.PeriodicCanceller`, streaming, causal):
every 0.5 s it finds T over the last `--memory` s of baseband (all mics) as the lag in 8-210 ms
(flash periods of 3-5 blades at 300-1500 rpm, or a rotation) that minimises
sum |x(t) - x(t - lag)|^2 / (2 sum |x|^2), to 1/16 sample; where that share is above `--gate`
nothing repeats and the baseband passes unchanged.

Scores are those of benchmarks/spatial_probe.py (per hop, the max over moving velocity bins
of the power divided by the bare room's median; separability = share of the walker's major
hops above the bare room's highest hop), each room through its own comb. Analysis only.

    .venv/bin/python benchmarks/periodic_probe.py [FAMILY:SEED:DURATION:DEVICE ...]
        [--memory 2] [--gate 0.5]

A room without a walker (an empty family) gets only the bare columns: the lag the comb locked
on, its residual share and the power it took out.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spatial_probe import (
    DEFAULT,
    MIN_SPEED_MPS,
    WARM_UP_S,
    bin_covariance,
    clean_baseband,
    separability,
)


def probe(spec: str, memory_s: float, gate: float) -> dict[str, float]:
    from uspd.dsp.clutter_null import ClutterNull
    from uspd.dsp.frontend import FrontEndConfig
    from uspd.dsp.periodic_cancel import PeriodicCanceller
    from uspd.sim.library import make_scene
    from uspd.sim.render import scene_labels

    family, seed, duration, device = spec.split(":")
    scene = make_scene(family, seed=int(seed), duration_s=float(duration), device=device)
    bare_scene = replace(scene, sources=tuple(s for s in scene.sources if s.kind != "person"))
    fe_cfg = FrontEndConfig()
    fe, carrier, x = clean_baseband(scene, fe_cfg)
    _, _, xb = clean_baseband(bare_scene, fe_cfg, carrier)
    hop, fs = fe.plan.hop_bb, fe.plan.fs_bb_hz
    n = min(x.shape[1], xb.shape[1]) // hop * hop
    x, xb = x[:, :n], xb[:, :n]
    t = np.arange(1, n // hop + 1) * fe.hop_s
    major = np.zeros(t.size, bool)
    for seg in scene_labels(scene).segments:
        if seg.label == "major":
            major |= (t >= seg.start) & (t < seg.end)
    ok = t > max(WARM_UP_S, memory_s)
    moving = np.abs(fe.velocity_axis_mps) > MIN_SPEED_MPS

    def power(sig: NDArray) -> NDArray:
        return np.einsum("hvaa->hv", bin_covariance(fe, sig)).real

    def comb(sig: NDArray) -> tuple[NDArray, PeriodicCanceller]:
        canceller = PeriodicCanceller(fs, hop, fe.n_mics, memory_s=memory_s, gate=gate)
        return canceller.process(sig), canceller

    yc, _ = comb(x)
    ybc, bare_comb = comb(xb)
    row: dict[str, float] = {"mics": fe.n_mics, "major_hops": int((major & ok).sum())}
    walker = bool((major & ok).any())  # an empty room has no share, only the bare columns
    if walker:
        row["power"] = separability(power(x), power(xb), moving, major, ok)
        row["comb"] = separability(power(yc), power(ybc), moving, major, ok)
    # the bare room at the end: the canceller's residual share and lag, and what it removed
    row["bare_share"] = bare_comb.share
    row["bare_lag_ms"] = 1e3 * bare_comb.lag_s if bare_comb.lag_s is not None else np.nan
    late = slice(int(max(WARM_UP_S, memory_s) * fs), None)
    row["bare_gain_db"] = float(10 * np.log10(np.sum(np.abs(xb[:, late]) ** 2)
                                              / np.sum(np.abs(ybc[:, late]) ** 2)))
    if walker and fe.n_mics >= 4:  # each room through its own two-direction null (10 s memory)
        for name, (room, bare) in (("null 2", (x, xb)), ("comb+null", (yc, ybc))):
            nulled = [ClutterNull(hop, fe.hop_s, fe.n_mics, 2, 10.0, WARM_UP_S).process(b)
                      for b in (room, bare)]
            row[name] = separability(power(nulled[0]), power(nulled[1]), moving, major, ok)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("recordings", nargs="*", default=list(DEFAULT),
                    help="FAMILY:SEED:DURATION_S:DEVICE (default: the weakest held-out walkers)")
    ap.add_argument("--memory", type=float, default=2.0, help="baseband the lag is found on (s)")
    ap.add_argument("--gate", type=float, default=0.5,
                    help="comb only where the best lag's residual share is below this")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; memory {args.memory:g} s, "
          f"gate {args.gate:g}; share of major hops above the bare room's highest score")
    cols = ["power", "comb", "null 2", "comb+null", "bare_share", "bare_lag_ms", "bare_gain_db"]
    print(f"{'recording':36s}{'mics':>5s}{'hops':>6s}" + "".join(f"{c:>13s}" for c in cols))
    t0 = time.perf_counter()
    for spec in args.recordings:
        row = probe(spec, args.memory, args.gate)
        cells = "".join(f"{row[c]:13.2f}" if c in row else f"{'-':>13s}" for c in cols)
        print(f"{spec:36s}{row['mics']:5d}{row['major_hops']:6d}{cells}", flush=True)
    print(f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
