"""Streaming detection: FrontEnd -> Detector -> per-hop records and motion events.

Detectors follow a tiny streaming protocol (like pymicro-wakeword's process_streaming):
`process(FeatureBlock) -> Decisions` with explicit internal state, same output for any
chunking. Detectors are looked up by name in a registry so other packages (the neural model)
can add theirs with `register_detector`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from uspd.audio import AudioSource
from uspd.audio.checks import (
    check_clipping_head,
    check_finite,
    check_not_silent,
    warn_if_clipped,
)
from uspd.dsp.carrier import MIN_CARRIER_HZ, carrier_prominence_db, detect_carrier
from uspd.dsp.demod import check_carrier_fits, doppler_band_hz
from uspd.dsp.frontend import FeatureBlock, FrontEnd, FrontEndConfig
from uspd.errors import ConfigError, SignalError
from uspd.physics import speed_of_sound_mps

KINDS = ("none", "minor", "major")


@dataclass
class Decisions:
    """Per-hop detector output.

    t_s: (n,) hop end times (s); score: (n,) in [0, 1]; motion: (n,) bool;
    kind: (n,) str, one of "none" / "minor" / "major".
    """

    t_s: NDArray[np.float64]
    score: NDArray[np.float64]
    motion: NDArray[np.bool_]
    kind: NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, dtype="<U5"))

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


@runtime_checkable
class Detector(Protocol):
    """Turns feature blocks into per-hop decisions, keeping its own state between blocks."""

    name: str
    fe_cfg: FrontEndConfig  # the front end its features must come from

    def process(self, feats: FeatureBlock) -> Decisions: ...

    def reset(self) -> None: ...


DetectorFactory = Callable[[FrontEndConfig], Detector]


def _baseline_factory(fe_cfg: FrontEndConfig) -> Detector:
    from uspd.baseline import BaselineDetector

    return BaselineDetector(fe_cfg=fe_cfg)


DETECTORS: dict[str, DetectorFactory] = {"baseline": _baseline_factory}
# the front end a registered detector needs (a neural model's, from its manifest); detectors
# not listed run on any front end
FRONT_ENDS: dict[str, FrontEndConfig] = {}


def register_detector(name: str, factory: DetectorFactory,
                      fe_cfg: FrontEndConfig | None = None) -> None:
    """Make `make_detector(name)` build detectors with factory(front_end_config); fe_cfg is
    the front end they need (None: any), which runs without an explicit one then use."""
    DETECTORS[name] = factory
    if fe_cfg is None:
        FRONT_ENDS.pop(name, None)
    else:
        FRONT_ENDS[name] = fe_cfg


def front_end_for(names: Sequence[str]) -> FrontEndConfig:
    """The front end the named detectors share: the one those that need one need (they must
    agree), else the default. So a model trained on another front end (e.g. with the clutter
    null) is run on its own without every caller knowing."""
    needed = {repr(FRONT_ENDS[n]): FRONT_ENDS[n] for n in names if n in FRONT_ENDS}
    if len(needed) > 1:
        raise ConfigError(f"detectors {', '.join(n for n in names if n in FRONT_ENDS)} need "
                          "different front ends; run them separately")
    return next(iter(needed.values()), FrontEndConfig())


def make_detector(name: str, fe_cfg: FrontEndConfig | None = None) -> Detector:
    """A fresh detector by registry name (ConfigError listing the known names otherwise), on
    `fe_cfg` or else the front end it needs."""
    if name not in DETECTORS:
        raise ConfigError(f"unknown detector '{name}' (known: {', '.join(sorted(DETECTORS))})")
    return DETECTORS[name](fe_cfg or front_end_for([name]))


class StreamingPipeline:
    """FrontEnd + Detector + motion events, fed with audio chunks of any size.

    process(chunk) returns JSON-able records in time order: one per hop
    {"t": s, "score": 0..1, "motion": bool, "kind": str} and, when motion toggles,
    {"t": s, "event": "motion_start" | "motion_end"} right after that hop's record.
    t is the end (s) of the audio the hop used, counted from the first sample.
    """

    def __init__(
        self,
        detector: Detector,
        fs_hz: int,
        n_mics: int,
        carrier_hz: float,
        cfg: FrontEndConfig | None = None,
    ):
        self.frontend = FrontEnd(cfg or FrontEndConfig(), fs_hz, n_mics, carrier_hz)
        self.detector = detector
        self._motion = False
        self._last_t = 0.0

    def reset(self) -> None:
        self.frontend.reset()
        self.detector.reset()
        self._motion = False
        self._last_t = 0.0

    def process(self, chunk: NDArray) -> list[dict]:
        feats = self.frontend.process(chunk)
        if feats.n_hops == 0:
            return []
        dec = self.detector.process(feats)
        out: list[dict] = []
        for i in range(len(dec)):
            t = round(float(dec.t_s[i]), 6)
            motion = bool(dec.motion[i])
            out.append(
                {
                    "t": t,
                    "score": round(float(dec.score[i]), 4),
                    "motion": motion,
                    "kind": str(dec.kind[i]),
                }
            )
            if motion != self._motion:
                out.append({"t": t, "event": "motion_start" if motion else "motion_end"})
                self._motion = motion
            self._last_t = t
        return out

    def finish(self) -> list[dict]:
        """End of input: close an open motion span (motion_end at the last hop's time)."""
        if self._motion:
            self._motion = False
            return [{"t": self._last_t, "event": "motion_end"}]
        return []


def _check_head(head: NDArray, fs_hz: int) -> None:
    check_not_silent(head)
    check_clipping_head(head)


def resolve_carrier(
    head: NDArray, fs_hz: int, carrier: str | float, cfg: FrontEndConfig | None = None
) -> float:
    """Carrier (Hz): detected from the head ("auto") or the given value, verified present,
    with the Doppler band of `cfg` fitting below Nyquist (SignalError otherwise)."""
    cfg = cfg or FrontEndConfig()
    if fs_hz / 2.0 <= MIN_CARRIER_HZ:
        raise SignalError(
            f"sample rate {fs_hz} Hz is too low for ultrasonic sensing: it needs a carrier "
            f"above {MIN_CARRIER_HZ / 1000:g} kHz, i.e. at least 44.1 kHz sampling"
        )
    if isinstance(carrier, str):
        if carrier != "auto":
            try:
                carrier = float(carrier)
            except ValueError as exc:
                raise ConfigError(
                    f"carrier must be 'auto' or a frequency in Hz, not {carrier!r}"
                ) from exc
        else:
            found = detect_carrier(head, fs_hz)
            _check_fit(fs_hz, found, cfg)
            return found
    carrier_hz = float(carrier)
    _check_fit(fs_hz, carrier_hz, cfg)
    prom = carrier_prominence_db(head, fs_hz, carrier_hz)
    if prom < 10.0:
        raise SignalError(
            f"no carrier found at {carrier_hz:g} Hz in the input (only {prom:.1f} dB above the "
            "local floor): is the emitter on, and is the frequency right?"
        )
    return carrier_hz


def _check_fit(fs_hz: int, carrier_hz: float, cfg: FrontEndConfig) -> None:
    c = float(speed_of_sound_mps(cfg.temperature_c))
    check_carrier_fits(fs_hz, carrier_hz, doppler_band_hz(carrier_hz, cfg.max_speed_mps, c))


@dataclass
class CheckedStream:
    """An audio source whose head passed the input checks, with its carrier resolved.

    blocks yields float32 (n, n_channels) blocks from the first sample on (the buffered head
    first), checking each later block for NaN/Inf and warning once on clipping.
    """

    fs_hz: int
    n_channels: int
    carrier_hz: float
    blocks: Iterator[NDArray]


def checked_stream(
    source: AudioSource,
    carrier: str | float = "auto",
    cfg: FrontEndConfig | None = None,
    head_s: float = 0.5,
    block_s: float = 0.05,
) -> CheckedStream:
    """Buffer the first `head_s` seconds of `source`, check them (NaN/Inf, silence, clipping,
    rate) and find the carrier; raise UspdError subclasses for unusable input."""
    cfg = cfg or FrontEndConfig()
    fs = int(source.fs_hz)
    block_frames = max(1, round(block_s * fs))
    blocks = source.blocks(block_frames)
    head_parts: list[NDArray] = []
    n_head = 0
    t_read = 0.0
    for b in blocks:
        check_finite(b, t_read)
        t_read += b.shape[0] / fs
        head_parts.append(b)
        n_head += b.shape[0]
        if n_head >= head_s * fs:
            break
    head = (
        np.concatenate(head_parts)
        if head_parts
        else np.zeros((0, source.n_channels), np.float32)
    )
    _check_head(head, fs)
    carrier_hz = resolve_carrier(head, fs, carrier, cfg)

    def stream(t_read: float = t_read) -> Iterator[NDArray]:
        yield head
        warned = False
        for b in blocks:
            check_finite(b, t_read)
            if not warned:
                warned = warn_if_clipped(b, t_read)
            t_read += b.shape[0] / fs
            yield b

    return CheckedStream(fs, source.n_channels, carrier_hz, stream())


def detect_stream(
    source: AudioSource,
    detector_name: str = "baseline",
    carrier: str | float = "auto",
    cfg: FrontEndConfig | None = None,
    head_s: float = 0.5,
    block_s: float = 0.05,
    detector: Detector | None = None,
) -> Iterator[dict]:
    """Run detection over a source, yielding records as soon as each block is processed.

    Buffers the first `head_s` seconds to check the input (NaN/Inf, silence, clipping, rate)
    and find the carrier, then streams block by block. Raises UspdError subclasses for
    unusable input (see uspd.audio.checks). Memory stays flat on an endless stream.
    """
    if cfg is None:  # a detector object brings its own front end (e.g. a clutter-null model)
        cfg = detector.fe_cfg if detector is not None else front_end_for([detector_name])
    stream = checked_stream(source, carrier, cfg, head_s, block_s)
    det = detector if detector is not None else make_detector(detector_name, cfg)
    pipe = StreamingPipeline(det, stream.fs_hz, stream.n_channels, stream.carrier_hz, cfg)
    for b in stream.blocks:
        yield from pipe.process(b)
    yield from pipe.finish()
