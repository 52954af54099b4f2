"""Could the microphone array lift a far walker above a fan? Per-hop separability of a person
from a room's clutter, for the mean power over the mics and for two spatial statistics.

The held-out 99 % figures are set by the weakest ~1 % of walkers: far sitters 3-5 m away,
often beside a fan and with music (benchmarks/heldout_tail.py). The network sees the power
averaged over the microphones; the phase differences between them are not used. This probe
asks, before any training, whether they would help.

Each recording is rendered twice with the same seeds: as it is, and without its people (the
same fan, music and noise: the "bare" room). Both go through the deployed front end, and the
clutter-free baseband of every microphone is kept (`FrontEnd.baseband_tap`). Per hop and per
moving velocity bin (|v| > 0.15 m/s) three statistics are formed from the per-bin spatial
covariance C of the hop's windowed FFT (FFT bins whose centre falls in the velocity bin):
- power: tr C, the mean power over the mics (what the network's input holds, in dB);
- null k: tr C of the baseband after `uspd.dsp.clutter_null` removed the k strongest
  directions of its spatial covariance over the last `tau` s (each room through its own
  null): an adaptive null on whatever moves for long (a fan);
- whiten: tr(R^-1 C), with R the bin's own running average of C over `tau` s: the detector
  of a new source in clutter of known covariance.
- power k, beam k: C averaged over the hop and the k - 1 before it (time integration), then
  its trace (the mean power) or its largest eigenvalue (the best beam per bin: array gain
  against whatever is not coherent across the mics; stop 35).
With --no-speaker-null the front end keeps the loudspeaker's dimension, which a 2-mic device
can then give to a rank-1 clutter null.
Each is divided by its median over the bare room's hops per bin, and the maximum over the bins
is the hop's score. Separability = the share of the walkers' major hops whose score exceeds
the highest score of the bare room: what a per-hop detector that knew this room's clutter
could call human without a false alarm. It ignores what integrating over hops adds, so it
ranks statistics rather than bounding a network. The first 3 s are left out (warm-up).

    .venv/bin/python benchmarks/spatial_probe.py [FAMILY:SEED:DURATION:DEVICE ...] [--tau 10]
        [--no-speaker-null]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

# the weakest held-out walkers of the shipped model at 99 % recall (heldout_tail.py, stop 29)
# and, last, a walker near an oscillating fan for contrast
DEFAULT = ("far-sitter:900002024:30:echo", "far-sitter:900002030:30:echo",
           "random:900001797:30:echo", "far-sitter:900002027:30:echo",
           "random:900001835:30:laptop", "random:900001788:30:echo",
           "fan-and-person:900000771:20:echo")
MIN_SPEED_MPS = 0.15
WARM_UP_S = 3.0
INTEGRATE_HOPS = (1, 4, 8)  # hops averaged for the "power k" and "beam k" statistics


def clean_baseband(scene, fe_cfg, carrier_hz: float | None = None):
    """Render `scene` and run the front end: (front end, carrier Hz, clutter-free baseband
    (n_mics, n) complex at the baseband rate)."""
    from uspd.detect import resolve_carrier
    from uspd.dsp.frontend import FrontEnd
    from uspd.sim.render import render

    rec = render(scene)
    if carrier_hz is None:
        carrier_hz = resolve_carrier(rec.audio[: scene.fs_hz], scene.fs_hz, "auto", fe_cfg)
    fe = FrontEnd(fe_cfg, scene.fs_hz, rec.audio.shape[1], carrier_hz)
    parts: list[NDArray] = []
    fe.baseband_tap = lambda clean: parts.append(clean.copy())
    for i in range(0, rec.audio.shape[0], scene.fs_hz):
        fe.process(rec.audio[i:i + scene.fs_hz])
    return fe, carrier_hz, np.concatenate(parts, axis=1)


def bin_covariance(fe, x: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """(n_hops, n_bins, n_mics, n_mics): per velocity bin, the spatial covariance of the
    Hann-windowed FFT of the window ending at each hop (the front end's window and FFT size)."""
    an = fe._analyzer
    hop, wb = fe.plan.hop_bb, an.window_bb
    n_mics, n = x.shape
    n_hops = n // hop
    padded = np.concatenate([np.zeros((n_mics, wb - 1), complex), x], axis=1)
    idx = (np.arange(n_hops)[:, None] + 1) * hop - 1 + np.arange(wb)[None, :]
    spec = np.fft.fft(padded[:, idx] * an.win, an.nfft, axis=-1)  # (mics, hops, nfft)
    edges = np.linspace(-fe.cfg.max_speed_mps, fe.cfg.max_speed_mps,
                        fe.cfg.n_velocity_bins + 1)
    cov = np.zeros((n_hops, fe.cfg.n_velocity_bins, n_mics, n_mics), complex)
    for v in range(fe.cfg.n_velocity_bins):
        sel = (an.fft_velocity_mps >= edges[v]) & (an.fft_velocity_mps < edges[v + 1])
        s = spec[:, :, sel]
        cov[:, v] = np.einsum("ahk,bhk->hab", s, s.conj())
    return cov


def hop_average(cov: NDArray[np.complex128], k: int) -> NDArray[np.complex128]:
    """Each hop's covariance averaged with the k - 1 hops before it (causal; time integration
    over k hops, k x the hop of new data)."""
    if k <= 1:
        return cov
    c = np.cumsum(cov, axis=0)
    out = c.copy()
    out[k:] = c[k:] - c[:-k]
    return out / np.minimum(np.arange(1, cov.shape[0] + 1), k)[:, None, None, None]


def beam_power(cov: NDArray[np.complex128]) -> NDArray[np.float64]:
    """(n_hops, n_bins) the largest eigenvalue of each bin's covariance: the power of the best
    beam for that bin (array gain over the mics' mean power against noise that is not
    coherent across them)."""
    return np.linalg.eigvalsh(cov)[..., -1]


def whitened(cov: NDArray[np.complex128], tau_hops: float, warm_hops: int,
             loading: float = 1e-3) -> NDArray[np.float64]:
    """(n_hops, n_bins) tr(R^-1 C) with R each bin's running average of C over the previous
    hops (time constant tau_hops), diagonally loaded by `loading` x its mean eigenvalue."""
    n_hops, n_bins, m, _ = cov.shape
    alpha = 1.0 - np.exp(-1.0 / tau_hops)
    r = cov[0].copy()
    out = np.zeros((n_hops, n_bins))
    for h in range(n_hops):
        if h >= warm_hops:
            load = loading * np.trace(r, axis1=-2, axis2=-1).real / m
            inv = np.linalg.inv(r + load[:, None, None] * np.eye(m))
            out[h] = np.einsum("vab,vba->v", inv, cov[h]).real
        r += alpha * (cov[h] - r)
    return out


def separability(stat: NDArray, bare: NDArray, moving: NDArray, major: NDArray,
                 ok: NDArray) -> float:
    """Share of the major hops whose max-over-bins score tops the bare room's highest."""
    ref = np.median(bare[ok], axis=0)
    ref = np.where(ref > 0, ref, np.inf)
    top = (bare / ref)[ok][:, moving].max(axis=1).max()
    score = (stat / ref)[:, moving].max(axis=1)
    return float(np.mean(score[major & ok] > top))


def probe(spec: str, tau_s: float, speaker_null: bool = True) -> dict[str, float]:
    from uspd.dsp.clutter_null import ClutterNull
    from uspd.dsp.frontend import FrontEndConfig
    from uspd.sim.library import make_scene
    from uspd.sim.render import scene_labels

    family, seed, duration, device = spec.split(":")
    scene = make_scene(family, seed=int(seed), duration_s=float(duration), device=device)
    bare_scene = replace(scene, sources=tuple(s for s in scene.sources if s.kind != "person"))
    fe_cfg = FrontEndConfig(speaker_null=speaker_null)
    fe, carrier, x = clean_baseband(scene, fe_cfg)
    _, _, xb = clean_baseband(bare_scene, fe_cfg, carrier)
    n = min(x.shape[1], xb.shape[1])
    x, xb = x[:, :n], xb[:, :n]
    hop = fe.plan.hop_bb
    t = np.arange(1, n // hop + 1) * fe.hop_s
    major = np.zeros(t.size, bool)
    for seg in scene_labels(scene).segments:
        if seg.label == "major":
            major |= (t >= seg.start) & (t < seg.end)
    ok = t > WARM_UP_S
    moving = np.abs(fe.velocity_axis_mps) > MIN_SPEED_MPS
    warm, tau = round(WARM_UP_S / fe.hop_s), tau_s / fe.hop_s
    cov, cov_b = bin_covariance(fe, x), bin_covariance(fe, xb)
    row = {"mics": fe.n_mics, "major_hops": int((major & ok).sum())}

    def power(c: NDArray) -> NDArray:
        return np.einsum("hvaa->hv", c).real

    row["power"] = separability(power(cov), power(cov_b), moving, major, ok)
    for k in (1, 2):
        # the speaker null, when on, has already taken one dimension
        if k <= fe.n_mics - 1 - (1 if speaker_null else 0):
            # each room through its own null, as the device would run it (uspd.dsp.clutter_null)
            nulled = [bin_covariance(fe, ClutterNull(hop, fe.hop_s, fe.n_mics, k, tau_s,
                                                     WARM_UP_S).process(b)) for b in (x, xb)]
            row[f"null {k}"] = separability(power(nulled[0]), power(nulled[1]), moving,
                                            major, ok)
    for k in INTEGRATE_HOPS:
        ck, cbk = hop_average(cov, k), hop_average(cov_b, k)
        row[f"power {k}"] = separability(power(ck), power(cbk), moving, major, ok)
        if fe.n_mics >= 2:
            row[f"beam {k}"] = separability(beam_power(ck), beam_power(cbk), moving, major, ok)
    if fe.n_mics >= 2:
        row["whiten"] = separability(whitened(cov, tau, warm), whitened(cov_b, tau, warm),
                                     moving, major, ok)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("recordings", nargs="*", default=list(DEFAULT),
                    help="FAMILY:SEED:DURATION_S:DEVICE (default: the weakest held-out walkers)")
    ap.add_argument("--tau", type=float, default=10.0,
                    help="memory of the spatial covariance (s)")
    ap.add_argument("--no-speaker-null", action="store_true",
                    help="front end without the loudspeaker's null (its dimension then left to "
                    "the clutter null: on 2-mic devices a rank-1 null on the fan)")
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; covariance memory "
          f"{args.tau:g} s; speaker null {'off' if args.no_speaker_null else 'on'}; share of "
          "major hops above the bare room's highest score")
    cols = ["power", "null 1", "null 2", "whiten"] + [
        f"{name} {k}" for k in INTEGRATE_HOPS for name in ("power", "beam")]
    print(f"{'recording':36s}{'mics':>5s}{'hops':>6s}" + "".join(f"{c:>9s}" for c in cols))
    t0 = time.perf_counter()
    from uspd.errors import UspdError

    for spec in args.recordings:
        try:
            row = probe(spec, args.tau, not args.no_speaker_null)
        except (ValueError, UspdError) as exc:
            raise SystemExit(f"error: {spec}: {exc} (expected FAMILY:SEED:DURATION_S:DEVICE, "
                             "e.g. far-sitter:900002024:30:echo)") from None
        cells = "".join(f"{row[c]:9.2f}" if c in row else f"{'-':>9s}" for c in cols)
        print(f"{spec:36s}{row['mics']:5d}{row['major_hops']:6d}{cells}", flush=True)
    print(f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
