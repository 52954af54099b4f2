"""Renderer speed: x real time for 4 mics at 96 kHz / 40 kHz, a walking person plus music,
in a room with order-2 static images and furniture, on one core.

    .venv/bin/python benchmarks/bench_render.py [duration_s]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core, before numpy is imported

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from uspd.sim.render import render_blocks  # noqa: E402
from uspd.sim.scene import Device, Environment, MusicConfig, Scene  # noqa: E402
from uspd.sim.targets import MovingPoint  # noqa: E402


def person_load(duration_s: float) -> tuple:
    """A walking person (people.py) or, without it, 12 moving points."""
    try:
        from uspd.sim.people import Enter, Leave, Person, WalkTo

        return (Person([Enter((0.0, 3.2), t_s=0.0), WalkTo((4.0, 1.5)), WalkTo((0.5, 2.5)),
                        Leave()], rng=np.random.default_rng(1)),)
    except ImportError:
        rng = np.random.default_rng(1)
        return tuple(MovingPoint(tuple(rng.uniform([1, 1, 0.1], [4, 3.5, 1.8])),
                                 tuple(rng.normal(0, 1.0, 3)), 0.05, 0.0, duration_s)
                     for _ in range(12))


def bench(label: str, scene: Scene) -> float:
    t = time.perf_counter()
    n = sum(b.shape[0] for b in render_blocks(scene))
    wall = time.perf_counter() - t
    speed = n / scene.fs_hz / wall
    print(f"{label:<44s} {scene.duration_s:5.1f} s audio in {wall:6.2f} s  -> {speed:6.1f}x RT")
    return speed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("duration_s", nargs="?", type=float, default=20.0,
                    help="seconds of audio per scene (default 20)")
    duration = ap.parse_args().duration_s
    if not duration > 0:
        ap.error(f"duration_s must be > 0, not {duration}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, numpy {np.__version__}, 1 thread")
    echo = Device.echo_like()
    people = person_load(duration)
    base = dict(duration_s=duration, environment=Environment(hvac_on=((0.0, duration),)))
    bench("96k/40k 4 mics, empty room", Scene.for_device(echo, **base))
    bench("96k/40k 4 mics, person", Scene.for_device(echo, sources=people, **base))
    bench("96k/40k 4 mics, person + music (goal >= 20x)",
          Scene.for_device(echo, sources=people, music=MusicConfig(), **base))
    bench("48k/20k 2 mics (laptop), person + music",
          Scene.for_device(Device.laptop(), sources=people, music=MusicConfig(), **base))


if __name__ == "__main__":
    main()
