"""Torch-free runtime of the neural classifier: numpy streaming forward pass + detector.

The network (see uspd.model.net for the torch definition) is a causal dilated temporal CNN over
feature hops with the velocity bins as channels:

    u = [x_db, history(x_db), echo(x_db)]  (memories optional)     x_db (n_bins,) raw dB
    z = clip((u - norm_offset) * norm_scale, -clip, clip)
    h = relu(conv_0(z))                                              kernel k, dilation d_0
    h = h + relu(conv_i(h))          for i = 1 .. len(dilations)-1   residual blocks
    logits = head(h)                                                  1x1, n_classes

history (optional, `Arch.history_delay_hops` > 0) is a slow memory of the room: per velocity
bin the loudest the features have been, excluding the last history_delay_hops hops, discounted
by history_decay_db_per_hop per hop of age (`PeakHistory`). An oscillating fan sweeps its blades
past the device every 10-20 s and each sweep alone looks like a person sitting down; with the
history the network sees that the same Doppler signature was there seconds ago.
echo (optional, `Arch.echo_min_lag_hops` > 0): the velocity bins at the lag whose last hops best
match the present (`uspd.model.echo.RepeatEcho`), the room as it was one fan sweep ago.

Each causal conv needs the last (k - 1) * d inputs of its layer: the streaming state is one ring
buffer per layer. Every hop is computed by the same fixed-shape operations whatever the block
size, so feeding hops one at a time or in blocks gives bit-identical outputs. Zero history at
the start is the same left zero-padding the torch model uses on a whole sequence.

Weights: `<name>.npz` (arrays named as the torch state_dict, float32, or int8 with per-channel
scales: uspd.model.quantize) + `<name>.json` manifest with the architecture, feature config,
class names, decision threshold, training seeds and metrics.
This module never imports torch.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from uspd.detect import Decisions
from uspd.dsp.frontend import FeatureBlock, FrontEndConfig, stacked_features
from uspd.errors import ConfigError, InputError, MissingComponentError
from uspd.model.echo import RepeatEcho, lags_of
from uspd.model.memory import FLOOR_DB, BinMemory, with_memories
from uspd.model.quantize import dequantize_weights
from uspd.model.repeat import RepeatVeto, RepeatVetoConfig

CLASSES = ("nothing", "non_human", "minor", "major")
FORMAT = "uspd-neural-v1"
WEIGHTS_DIR = Path(__file__).parent / "weights"
# every front-end setting a manifest records reaches the detector's front end and is checked
# against one given to it: derived from the dataclass, so a setting added later cannot be
# left out (stop 37 found periodic_cancel missing from a hand-kept list)
FEATURE_KEYS = tuple(f.name for f in fields(FrontEndConfig))
DEFAULT_OFF_RATIO, DEFAULT_OFF_S = 0.6, 0.4  # off rule of manifests that do not set one
# manifest decision keys about a stream's start (ModelBundle.warm_up_hops, .cold_start): not
# chosen by the tuner, which scores with them, so a retune keeps them
STARTUP_KEYS = ("warm_up_s", "cold_start_s", "cold_start_shift")
RELEASES = ("score", "fast", "fast-rearm")  # what the off rule may read (ScorePath.release)
# front-end settings that models from before the setting existed were trained with
FEATURE_LEGACY = {"music_canceller": False, "music_canceller_gate": 0.0,
                  "clutter_null_rank": 0, "clutter_null_tau_s": 10.0,
                  "periodic_cancel": False, "periodic_cancel_gate": 0.5}
# settings that only shape null_db: a model without null inputs runs on any of them (the null
# leaves the plain features bit-identical), so one render with the null serves both kinds
NULL_ONLY_KEYS = ("clutter_null_rank", "clutter_null_tau_s", "periodic_cancel",
                  "periodic_cancel_gate")


@dataclass(frozen=True)
class Arch:
    """Network shape; everything the runtime and the MAC/parameter count need."""

    n_bins: int = 40
    channels: int = 32
    kernel: int = 3
    dilations: tuple[int, ...] = (1, 2, 4, 8, 8)
    n_classes: int = len(CLASSES)
    clip: float = 6.0  # normalised features are clipped to +-clip
    history_delay_hops: int = 0  # > 0: add PeakHistory channels (n_bins more inputs)
    history_decay_db_per_hop: float = 0.0  # their discount with age (dB per hop)
    echo_min_lag_hops: int = 0  # > 0: add RepeatEcho channels (n_bins more inputs)
    echo_max_lag_hops: int = 0  # the longest lag the echo looks back (hops)
    echo_lag_step_hops: int = 1  # spacing of the lags tried (hops)
    echo_window_hops: int = 1  # hops matched per lag
    # True: the features are doppler_db then the clutter null's null_db (n_bins more inputs;
    # the front end needs clutter_null_rank > 0); the memories read doppler_db alone
    null_inputs: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"type": "tcn", **{k: getattr(self, k) for k in self.__dataclass_fields__}}

    @staticmethod
    def from_json(d: dict[str, Any]) -> Arch:
        try:
            return Arch(
                n_bins=int(d["n_bins"]), channels=int(d["channels"]), kernel=int(d["kernel"]),
                dilations=tuple(int(x) for x in d["dilations"]), n_classes=int(d["n_classes"]),
                clip=float(d.get("clip", 6.0)),
                history_delay_hops=int(d.get("history_delay_hops", 0)),
                history_decay_db_per_hop=float(d.get("history_decay_db_per_hop", 0.0)),
                echo_min_lag_hops=int(d.get("echo_min_lag_hops", 0)),
                echo_max_lag_hops=int(d.get("echo_max_lag_hops", 0)),
                echo_lag_step_hops=int(d.get("echo_lag_step_hops", 1)),
                echo_window_hops=int(d.get("echo_window_hops", 1)),
                null_inputs=bool(d.get("null_inputs", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"model manifest: bad architecture: {exc}") from exc

    @property
    def n_features(self) -> int:
        """Columns of the features the network reads: the velocity bins, then the null's."""
        return self.n_bins * (1 + self.null_inputs)

    @property
    def n_inputs(self) -> int:
        """Input channels of the first conv: the features, plus the velocity bins' history
        and repeat echo if on."""
        return self.n_features + self.n_bins * (
            (self.history_delay_hops > 0) + (self.echo_min_lag_hops > 0))

    def memories(self) -> list[BinMemory]:
        """Fresh streaming memories of this arch, in input order: PeakHistory, RepeatEcho."""
        out: list[BinMemory] = []
        if self.history_delay_hops > 0:
            out.append(PeakHistory(self.n_bins, self.history_delay_hops,
                                   self.history_decay_db_per_hop))
        if self.echo_min_lag_hops > 0:
            out.append(RepeatEcho(self.n_bins, self.echo_min_lag_hops, self.echo_max_lag_hops,
                                  self.echo_lag_step_hops, self.echo_window_hops))
        return out

    def echo_ops_per_hop(self) -> int:
        """The repeat echo's subtract-abs-adds per hop (0 without one; RepeatEcho.ops_per_hop):
        no multiplications, so they are reported beside macs_per_hop, not in it."""
        if self.echo_min_lag_hops <= 0:
            return 0
        lags = lags_of(self.echo_min_lag_hops, self.echo_max_lag_hops, self.echo_lag_step_hops)
        return int(lags.size) * (self.n_bins + 2)

    @property
    def receptive_field_hops(self) -> int:
        """Hops of input each output depends on (including the current one)."""
        return 1 + (self.kernel - 1) * sum(self.dilations)

    def layer_shapes(self) -> list[tuple[int, int, int]]:
        """(c_in, c_out, kernel) of each conv, head last."""
        c, k = self.channels, self.kernel
        shapes = [(self.n_inputs, c, k)] + [(c, c, k)] * (len(self.dilations) - 1)
        return [*shapes, (c, self.n_classes, 1)]

    def n_params(self) -> int:
        """Trainable parameters (weights + biases; the normalisation is fixed, not counted)."""
        return sum(ci * co * k + co for ci, co, k in self.layer_shapes())

    def macs_per_hop(self) -> int:
        """Multiply-accumulates per hop in streaming (one output per layer per hop), the
        input normalisation and the history's add + max per bin included."""
        history = 2 * self.n_bins if self.history_delay_hops > 0 else 0
        return sum(ci * co * k for ci, co, k in self.layer_shapes()) + self.n_inputs + history

    def macs_per_s(self, hop_s: float) -> float:
        return self.macs_per_hop() / hop_s


def softmax(logits: NDArray) -> NDArray[np.float64]:
    """Softmax over the last axis (float64)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def p_human(probs: NDArray) -> NDArray[np.float64]:
    """p(minor) + p(major) from class probabilities (..., n_classes) in CLASSES order."""
    return probs[..., CLASSES.index("minor")] + probs[..., CLASSES.index("major")]


# A hop's evidence (log-odds of p_human) counts at most this much either way in an evidence
# window (p_human 0.99995): one saturated hop must not outweigh a window of doubt. Warm-up
# hops (score 0) count as -EVIDENCE_CLIP.
EVIDENCE_CLIP = 10.0


def human_log_odds(probs: NDArray) -> NDArray[np.float64]:
    """log(p_human / (1 - p_human)) per hop from class probabilities (..., n_classes), clipped
    to +-EVIDENCE_CLIP; from the sums of the classes, so it stays exact near p_human = 1."""
    human = p_human(probs)
    other = probs[..., CLASSES.index("nothing")] + probs[..., CLASSES.index("non_human")]
    with np.errstate(divide="ignore"):
        lo = np.log(human) - np.log(other)
    return np.clip(lo, -EVIDENCE_CLIP, EVIDENCE_CLIP)


def mean_evidence(log_odds: NDArray, hops: int, before: NDArray | None = None,
                  shift: float = 0.0) -> NDArray[np.float64]:
    """sigmoid(mean of log_odds over the last `hops` hops + shift), per hop: the p_human a
    steady stream of that evidence would have (shift, in nats, trusts it more or less). A
    walker's weak but steady hops add up; a fan's short bursts are averaged away. before: the
    hops - 1 values preceding log_odds (default -EVIDENCE_CLIP, the warm-up). Each window is
    summed on its own, so any split of a stream gives bit-identical output."""
    if log_odds.size == 0:
        return np.zeros(0)
    before = np.full(hops - 1, -EVIDENCE_CLIP) if before is None else before
    windows = sliding_window_view(np.concatenate([before, log_odds]), hops)
    return 1.0 / (1.0 + np.exp(-(windows.mean(axis=1) + shift)))


@dataclass(frozen=True)
class ScorePath:
    """What the decision logic reads per hop (the manifest's decision keys of those names).

    evidence_hops > 1: mean_evidence over that many hops instead of p_human. slow_hops > 1:
    the two-path score max(p_human, mean_evidence over slow_hops hops + slow_shift nats): a
    strong hop fires as fast as p_human alone, a far walker's weak but steady hops fire on the
    slow path, a fan's short strong bursts average away in it. Not both (ConfigError).
    release "fast" (with a window): the off rule reads p_human per hop instead of that score,
    so a window may switch motion on but does not hold it on after a walker has gone (stop 41:
    every deployed false alarm of the slow path began 1.5 s after a walker left). "fast-rearm":
    as "fast", and after motion ends the on rule too reads p_human until the path's own score
    has fallen below the off level (DecisionLogic rearm): a 2 s slow path still high from the
    walker who left otherwise switches motion straight on again (stop 42).
    """

    evidence_hops: int = 1
    slow_hops: int = 0  # 0: no slow path
    slow_shift: float = 0.0  # nats added to the slow path's mean log-odds
    release: str = "score"  # what the off rule reads: "score" (this path's) or "fast" /
    # "fast-rearm" (p_human)

    def __post_init__(self) -> None:
        if self.release not in RELEASES:
            raise ConfigError(f"decision: release must be one of {', '.join(RELEASES)}, not "
                              f"{self.release!r}")
        if self.release != "score" and self.window == 1:
            raise ConfigError(f'decision: release "{self.release}" needs an evidence window or '
                              "a slow path (p_human per hop is already the fast path)")
        if self.evidence_hops < 1 or self.slow_hops < 0 or self.slow_hops == 1:
            raise ConfigError(f"decision: need evidence_hops >= 1 and slow_hops 0 (none) or "
                              f">= 2, not {self.evidence_hops} and {self.slow_hops}")
        if self.evidence_hops > 1 and self.slow_hops:
            raise ConfigError("decision: an evidence window and a slow path do not combine")
        if not math.isfinite(self.slow_shift) or (self.slow_shift and not self.slow_hops):
            raise ConfigError(f"decision: slow_shift must be finite, and 0 without a slow "
                              f"path, not {self.slow_shift}")

    @property
    def window(self) -> int:
        """Hops of log-odds the path keeps (1: none)."""
        return max(self.evidence_hops, self.slow_hops, 1)

    def label(self) -> str:
        """How reports name it: 'p_human', 'evidence 8', 'slow 48 +1.0' (+ ' release fast' or
        ' release fast-rearm')."""
        if self.slow_hops:
            name = f"slow {self.slow_hops} {self.slow_shift:+.1f}"
        else:
            name = f"evidence {self.evidence_hops}" if self.evidence_hops > 1 else "p_human"
        return name + (f" release {self.release}" if self.release != "score" else "")

    @property
    def rearms(self) -> bool:
        """Whether the decision reads the fast path to switch on until this path has fallen
        below the off level after motion ended (DecisionLogic rearm)."""
        return self.release == "fast-rearm"

    def initial_state(self) -> NDArray[np.float64]:
        """The log-odds before a stream (the warm-up's)."""
        return np.full(self.window - 1, -EVIDENCE_CLIP)

    def scores(self, probs: NDArray, warm_hops: int, before: NDArray
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per-hop scores of the next hops' class probabilities, the first warm_hops of them
        warm-up (score 0, -EVIDENCE_CLIP in a window); before: the state (initial_state, then
        what this returned). Returns the scores and the new state; any split of a stream gives
        bit-identical scores."""
        if self.window == 1:
            return _warm(p_human(probs), warm_hops), before
        score, before = evidence_scores(probs, warm_hops, before, self.slow_shift)
        if self.slow_hops:
            score = np.maximum(_warm(p_human(probs), warm_hops), score)
        return score, before

    def release_scores(self, probs: NDArray, warm_hops: int) -> NDArray[np.float64] | None:
        """The per-hop score the off rule reads in place of `scores` (release "fast" or
        "fast-rearm": p_human, 0 during the warm-up), or None (it reads `scores`). Stateless:
        any split of a stream gives the same."""
        return _warm(p_human(probs), warm_hops) if self.release != "score" else None


def _warm(score: NDArray, warm_hops: int) -> NDArray[np.float64]:
    """score with its first warm_hops set to 0 (the warm-up), in place."""
    score[:max(warm_hops, 0)] = 0.0
    return score


@dataclass(frozen=True)
class ColdStart:
    """Start-up caution: over a stream's first `hops` hops the decision score's log-odds are
    lowered by `shift` nats, sigmoid(logit(score) - shift), so the detector asks for more
    evidence while its adaptive front end (the periodic canceller, the clutter null) has not
    engaged and a fan's echo still reaches the network (FrontEndConfig.settle_s). Unlike a
    longer warm-up it stays able to fire: a walker who is there from the start still counts.
    hops 0 or shift 0: none."""

    hops: int = 0
    shift: float = 0.0  # nats, >= 0

    def __post_init__(self) -> None:
        if self.hops < 0 or not math.isfinite(self.shift) or self.shift < 0:
            raise ConfigError(f"decision: the cold start needs hops >= 0 and a shift of "
                              f"finite nats >= 0, not {self.hops} and {self.shift}")

    @property
    def active(self) -> bool:
        return self.hops > 0 and self.shift > 0

    def apply(self, score: NDArray, first_hop: int = 0) -> NDArray[np.float64]:
        """`score` of the stream's hops first_hop, first_hop + 1, ... with those before
        `hops` lowered (a copy if any is; 0 stays 0, 1 stays 1). Per hop, so any split of a
        stream gives bit-identical output."""
        n = min(max(self.hops - first_hop, 0), score.shape[0])
        if n == 0 or not self.active:
            return score
        out = np.array(score, np.float64)
        s = out[:n]
        out[:n] = s / (s + (1.0 - s) * math.exp(self.shift))
        return out

    def label(self, hop_s: float) -> str:
        """How reports name it at `hop_s` (s), e.g. 'cold start 3 s -2 nats'."""
        return f"cold start {self.hops * hop_s:g} s -{self.shift:g} nats"


def decision_scores(probs: NDArray, warm_up_hops: int, evidence_hops: int = 1,
                    path: ScorePath | None = None, veto: RepeatVeto | None = None,
                    cold: ColdStart | None = None) -> NDArray[np.float64]:
    """Per-hop score the decision logic of a whole recording reads, as NeuralDetector makes
    it while streaming: p_human (0 during the warm-up), or with evidence_hops > 1 its
    mean_evidence over that many hops, or what `path` (in place of evidence_hops) reads;
    then through `veto` (reset first), if given, then lowered by `cold` over the start."""
    path = path or ScorePath(evidence_hops)
    score = path.scores(probs, warm_up_hops, path.initial_state())[0]
    if veto is not None:
        veto.reset()
        score = veto.process(score)
    return score if cold is None else cold.apply(score)


def evidence_scores(probs: NDArray, warm_hops: int, before: NDArray, shift: float = 0.0
                    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """mean_evidence (+ shift nats) of the hops' log-odds over a window of before.size + 1
    hops, the first warm_hops of them warm-up (-EVIDENCE_CLIP in the window, score 0 out,
    whatever the window); before: the log-odds of the hops - 1 hops before. Returns the scores
    and the new `before` (the streaming state)."""
    lo = human_log_odds(probs)
    warm = max(warm_hops, 0)
    lo[:warm] = -EVIDENCE_CLIP
    score = mean_evidence(lo, before.size + 1, before, shift)
    score[:warm] = 0.0
    return score, np.concatenate([before, lo])[lo.size:]


HISTORY_FLOOR_DB = FLOOR_DB  # the history before the stream has any (the front end's dB floor)


class PeakHistory(BinMemory):
    """Streaming peak hold of delayed features, discounted with age (explicit state).

    out[t] = max over s <= t of (x[s - delay] - decay * (t - s)), x before the stream =
    HISTORY_FLOOR_DB; all in dB per velocity bin. Computed as a running maximum M of
    x[s - delay] + decay * s (then out = M - decay * t) on the global hop index, so any block
    size gives bit-identical output.
    """

    def __init__(self, n_bins: int, delay_hops: int, decay_db_per_hop: float):
        if delay_hops < 1 or decay_db_per_hop < 0:
            raise ConfigError("history: need delay_hops >= 1 and decay_db_per_hop >= 0")
        self.n_bins, self.delay, self.decay = n_bins, delay_hops, decay_db_per_hop
        self.reset()

    def reset(self) -> None:
        self._pending = np.full((self.delay, self.n_bins), HISTORY_FLOOR_DB)  # last `delay` x
        self._peak = np.full(self.n_bins, -np.inf)  # M before the next hop
        self._hops = 0

    def _advance(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """x (n_hops >= 1, n_bins) dB -> history (n_hops, n_bins) dB."""
        n = x.shape[0]
        both = np.concatenate([self._pending, x])
        delayed, self._pending = both[:n], both[n:]
        age = self.decay * np.arange(self._hops, self._hops + n, dtype=np.float64)[:, None]
        peak = np.maximum.accumulate(np.vstack([self._peak, delayed + age]), axis=0)[1:]
        self._peak = peak[-1].copy()
        self._hops += n
        return peak - age


def model_inputs(arch: Arch, x: NDArray) -> NDArray[np.float32]:
    """The network's input for a whole recording from the start of its stream: features
    (n_hops, n_bins) raw dB, with their PeakHistory and RepeatEcho appended when the arch has
    them."""
    return with_memories(x, arch.memories())


class StreamingTCN:
    """Numpy forward pass with explicit ring-buffer state.

    process(x (n_hops, n_bins) raw dB) -> logits (n_hops, n_classes) float64.
    """

    def __init__(self, arch: Arch, weights: dict[str, NDArray]):
        self.arch = arch
        get = _getter(weights)
        self.offset = get("norm_offset", (arch.n_inputs,))
        self.scale = get("norm_scale", (arch.n_inputs,))
        self.memories = arch.memories()
        self.layers: list[tuple[NDArray, NDArray, int]] = []  # (W (c_out, k*c_in), b, dilation)
        names = ["inp"] + [f"blocks.{i}" for i in range(len(arch.dilations) - 1)]
        for name, (ci, co, k), d in zip(
            names, arch.layer_shapes()[:-1], arch.dilations, strict=True
        ):
            w = get(f"{name}.weight", (co, ci, k))
            # tap-major columns: W2[o, tap * c_in + i] = w[o, i, tap]
            self.layers.append((np.ascontiguousarray(w.transpose(0, 2, 1).reshape(co, k * ci)),
                                get(f"{name}.bias", (co,)), d))
        self.head_w = get("head.weight", (arch.n_classes, arch.channels, 1))[:, :, 0].copy()
        self.head_b = get("head.bias", (arch.n_classes,))
        self.reset()

    def reset(self) -> None:
        """Zero history (start of a stream)."""
        k = self.arch.kernel
        # per layer a doubled ring of length 2 L, L = (k - 1) d + 1: every input is written at
        # i and i + L, so the k taps of the current hop are one strided slice, no wrap-around
        self._bufs = [
            np.zeros((2 * ((k - 1) * d + 1), w.shape[1] // k)) for w, _, d in self.layers
        ]
        self._pos = 0  # hops seen
        for memory in self.memories:
            memory.reset()

    def inputs(self, x: NDArray) -> NDArray[np.float64]:
        """The network's inputs (n_hops, n_inputs) of the next hops x (n_hops, n_features)
        raw dB,
        advancing the memories, as model_inputs gives them to training. The memories are
        block-size invariant, so whole blocks go through at once."""
        if not self.memories:
            return np.asarray(x, np.float64)
        return with_memories(x, self.memories).astype(np.float64)

    def step(self, x: NDArray) -> NDArray[np.float64]:
        """One hop: x (n_bins,) raw dB -> logits (n_classes,)."""
        return self._forward(self.inputs(np.asarray(x)[None])[0])

    def _forward(self, u: NDArray) -> NDArray[np.float64]:
        """One hop of the convs from its inputs u (n_inputs,) -> logits (n_classes,)."""
        c = self.arch.clip
        span = self.arch.kernel - 1
        h = np.clip((u - self.offset) * self.scale, -c, c)
        for i, (w, b, d) in enumerate(self.layers):
            buf = self._bufs[i]
            n_ring = buf.shape[0] // 2
            j = self._pos % n_ring
            buf[j] = h
            buf[j + n_ring] = h
            top = j + n_ring
            y = np.maximum(w @ buf[top - span * d: top + 1: d].reshape(-1) + b, 0.0)
            h = y if i == 0 else h + y
        self._pos += 1
        return self.head_w @ h + self.head_b

    def process(self, x: NDArray) -> NDArray[np.float64]:
        """x (n_hops, n_features) raw dB (n_hops may be 0) -> logits (n_hops, n_classes)."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.arch.n_features:
            raise InputError(
                f"model expects features (n, {self.arch.n_features}), got {tuple(x.shape)}"
            )
        out = np.zeros((x.shape[0], self.arch.n_classes))
        u = self.inputs(x)
        for i in range(x.shape[0]):
            out[i] = self._forward(u[i])
        return out


def _getter(weights: dict[str, NDArray]):
    def get(name: str, shape: tuple[int, ...]) -> NDArray[np.float64]:
        if name not in weights:
            raise InputError(f"model weights: missing array '{name}'")
        a = np.asarray(weights[name], dtype=np.float64)
        if a.shape != shape:
            raise InputError(f"model weights: '{name}' has shape {a.shape}, expected {shape}")
        return a

    return get


class StreamingEnsemble:
    """Several StreamingTCNs on the same features, their class probabilities averaged
    (explicit state: the members' ring buffers and memories).

    process(x (n_hops, n_bins) raw dB) -> log of the mean class probabilities (n_hops,
    n_classes): logits whose softmax is that mean, so the detector treats it as one network.
    """

    def __init__(self, nets: list[StreamingTCN]):
        self.nets = nets

    def reset(self) -> None:
        for net in self.nets:
            net.reset()

    def process(self, x: NDArray) -> NDArray[np.float64]:
        probs = np.mean([softmax(net.process(x)) for net in self.nets], axis=0)
        return np.log(np.maximum(probs, np.finfo(np.float64).tiny))


MEMBER_PREFIX = "members.{}."  # an ensemble's arrays: member i's state_dict names after this


@dataclass(frozen=True)
class ModelBundle:
    """Loaded weights + manifest: one network, or an ensemble whose members' class
    probabilities are averaged (manifest "members"; arrays named MEMBER_PREFIX + name)."""

    arch: Arch  # the network's; of an ensemble, its first member's
    weights: dict[str, NDArray]  # as stored (an ensemble's under their members' prefixes)
    manifest: dict[str, Any]
    members: tuple[tuple[Arch, dict[str, NDArray]], ...] = ()  # an ensemble's (arch, weights)

    @property
    def threshold(self) -> float:
        return float(self.manifest.get("threshold", 0.5))

    def feature_config(self) -> dict[str, Any]:
        return dict(self.manifest.get("feature", {}))

    def networks(self) -> tuple[tuple[Arch, dict[str, NDArray]], ...]:
        """(arch, weights) of each network: an ensemble's members, else the one network."""
        return self.members or ((self.arch, self.weights),)

    @property
    def receptive_field_hops(self) -> int:
        """Hops until every network's output depends on real features only."""
        return max(arch.receptive_field_hops for arch, _ in self.networks())

    @property
    def warm_up_hops(self) -> int:
        """Hops at the start of a stream reported as score 0, no motion (the warm-up): the
        receptive field, or the manifest decision's `warm_up_s` (s, at the manifest's feature
        hop) if that is longer, e.g. so that the network reads only features from after the
        adaptive front end engaged (FrontEndConfig.settle_s)."""
        warm_up = self._decision_hops("warm_up_s")
        return self.receptive_field_hops if warm_up is None else max(
            self.receptive_field_hops, warm_up)

    @property
    def cold_start(self) -> ColdStart:
        """The manifest decision's start-up caution (ColdStart): `cold_start_s` (s, at the
        manifest's feature hop) and `cold_start_shift` (nats); none if either is absent."""
        hops = self._decision_hops("cold_start_s")
        shift = self.manifest.get("decision", {}).get("cold_start_shift")
        if hops is None or shift is None:
            return ColdStart()
        if isinstance(shift, bool) or not isinstance(shift, (int, float)):
            raise ConfigError(f"model decision: cold_start_shift must be nats >= 0, not "
                              f"{shift!r}")
        return ColdStart(hops, float(shift))

    def _decision_hops(self, key: str) -> int | None:
        """The manifest decision's `key`, seconds in [0, 3600), as hops at the manifest's
        feature hop (rounded up); None if absent."""
        hop_s = float(self.feature_config().get("hop_s", FrontEndConfig.hop_s))
        seconds = self.manifest.get("decision", {}).get(key)
        if seconds is None:
            return None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not (
                0.0 <= seconds < 3600.0):
            raise ConfigError(f"model decision: {key} must be seconds in [0, 3600), not "
                              f"{seconds!r}")
        return int(np.ceil(seconds / hop_s - 1e-9))

    def network(self) -> StreamingTCN | StreamingEnsemble:
        if not self.members:
            return StreamingTCN(self.arch, self.weights)
        return StreamingEnsemble([StreamingTCN(a, w) for a, w in self.members])


def npz_path(path: str | Path) -> Path:
    """A model's weights file: `path` with .npz appended unless it ends so (a name with a dot,
    like `pair-v2.1`, keeps it)."""
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def manifest_path(npz_path: str | Path) -> Path:
    return Path(npz_path).with_suffix(".json")


def load_model(npz_path: str | Path, json_path: str | Path | None = None) -> ModelBundle:
    """Read `<name>.npz` and its manifest (default `<name>.json` beside it)."""
    npz_path = Path(npz_path)
    json_path = Path(json_path) if json_path else manifest_path(npz_path)
    try:
        with np.load(npz_path, allow_pickle=False) as z:
            weights = dequantize_weights({k: z[k] for k in z.files})
        manifest = json.loads(json_path.read_text())
    except FileNotFoundError as exc:
        raise InputError(f"no model file at {exc.filename}") from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read model {npz_path}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise InputError(f"{json_path}: not a uspd model manifest (format {FORMAT!r})")
    if "members" not in manifest:
        arch = Arch.from_json(manifest.get("arch", {}))
        StreamingTCN(arch, weights)  # validates names and shapes
        return ModelBundle(arch, weights, manifest)
    members = split_members(manifest["members"], weights)
    return ModelBundle(members[0][0], weights, manifest, members)


def split_members(members: Any, weights: dict[str, NDArray]
                  ) -> tuple[tuple[Arch, dict[str, NDArray]], ...]:
    """An ensemble's (arch, weights) per member from its manifest's "members" list (each with
    an "arch") and its stored arrays (MEMBER_PREFIX per member), checked as a model is."""
    if not isinstance(members, list) or len(members) < 2:
        raise InputError("model manifest: an ensemble's 'members' must list two or more")
    out, claimed = [], set()
    for i, member in enumerate(members):
        prefix = MEMBER_PREFIX.format(i)
        w = {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}
        claimed |= {prefix + k for k in w}
        arch = Arch.from_json(member.get("arch", {}) if isinstance(member, dict) else {})
        StreamingTCN(arch, w)  # validates names and shapes
        out.append((arch, w))
    if len({arch.n_bins for arch, _ in out}) > 1:
        raise InputError("model manifest: the ensemble's members take different velocity bins")
    if set(weights) - claimed:
        raise InputError(f"model weights: arrays of no member: {sorted(set(weights) - claimed)}")
    return tuple(out)


@dataclass(frozen=True)
class NeuralConfig:
    """Decision logic on p_human = p(minor) + p(major), with context-dependent sensitivity.

    Out of context (nobody seen moving for context_s), motion switches on after `on_hops`
    consecutive hops with p_human >= threshold: strict, so that fans, curtains and music do not
    fire. Within context_s (s) of the last motion the detector is sensitive: one hop at
    p_human >= context_threshold suffices, so a seated person's hand motions keep presence
    alive (the seed article's major/minor scheme). None = the manifest's "decision" values.
    """

    threshold: float | None = None  # switch on at p_human >= this (None: the manifest's)
    off_ratio: float | None = None  # switch off below (current on-threshold) * off_ratio ...
    off_s: float | None = None  # ... held for this long (s) (None: the manifest's, or 0.6 / 0.4)
    on_hops: int | None = None  # consecutive hops above threshold to switch on (default 1)
    context_s: float | None = None  # sensitive period after motion (s); 0 = no context
    context_threshold: float | None = None  # on-threshold within the context period
    warm_up_hops: int | None = None  # first hops reported as score 0 (None: receptive field)
    score_hops: int | None = None  # reported score: min p_human over this many hops (None:
    # on_hops, the statistic the strict rule thresholds; 1: raw per-hop p_human)
    evidence_hops: int | None = None  # the decision reads mean_evidence over this many hops
    # instead of the per-hop p_human (None: the manifest's, else 1 = p_human itself)
    slow_hops: int | None = None  # ... or max(p_human, a slow path over this many hops) ...
    slow_shift: float | None = None  # ... shifted by this many nats (ScorePath; None: the
    # manifest's, else 0 = no slow path)
    release: str | None = None  # what the off rule reads: RELEASES (ScorePath; None:
    # the manifest's, else "score")
    repeat_veto: bool | None = None  # False: no repeat veto (uspd.model.repeat), whatever
    # the manifest says; None: the manifest's, if any
    cold_start: bool | None = None  # False: no start-up caution (ColdStart), whatever the
    # manifest says; None: the manifest's, if any


class DecisionLogic:
    """Streaming motion decisions from p_human scores (state carried between calls).

    thresholds/hops as in NeuralConfig: strict (threshold, on_hops) out of context, sensitive
    (context_threshold, one hop) within context_hops of the last motion; switch off after
    off_hops below on-threshold * off_ratio. rearm: after motion ends, the on rule reads the
    release score (process) until the score has been below that off level once, so a slow
    score still high from the motion just ended cannot switch it straight on again.
    """

    def __init__(self, threshold: float, on_hops: int, context_threshold: float,
                 context_hops: int, off_ratio: float, off_hops: int, rearm: bool = False):
        self.threshold, self.on_hops = threshold, on_hops
        self.context_threshold, self.context_hops = context_threshold, context_hops
        self.off_ratio, self.off_hops = off_ratio, off_hops
        self.rearm = rearm
        self.reset()

    def reset(self) -> None:
        self.motion = False
        self._above = 0
        self._below = 0
        self._since_motion = 1 << 30  # hops since motion was last on
        self._armed = True  # the on rule reads `score` (rearm: not since motion last ended,
        # until the score has been below the off level)

    def process(self, score: NDArray, release: NDArray | None = None) -> NDArray[np.bool_]:
        """Motion per hop of `score`. release: the per-hop score the off rule reads in place
        of `score` (e.g. the fast path of a two-path score, so that a slow path may switch
        motion on but does not hold it on), and with rearm the on rule too, until `score` has
        been below the off level after motion ended; None: `score`."""
        out = np.zeros(score.shape[0], bool)
        if (not self.motion and self._armed and score.size
                and score.max() < min(self.threshold, self.context_threshold)):
            # quiet block (most of an empty room): nothing can switch on; only time passes
            self._above = 0
            self._since_motion += score.size
            return out
        rel = (score if release is None else release).tolist()
        for i, s in enumerate(score.tolist()):
            in_context = self._since_motion <= self.context_hops
            on_thr = self.context_threshold if in_context else self.threshold
            if not self.motion:
                self._armed = self._armed or s < on_thr * self.off_ratio
                on_score = s if self._armed else rel[i]
                self._above = self._above + 1 if on_score >= on_thr else 0
                if self._above >= (1 if in_context else self.on_hops):
                    self.motion, self._below = True, 0
            else:
                self._below = self._below + 1 if rel[i] < on_thr * self.off_ratio else 0
                if self._below >= self.off_hops:
                    self.motion, self._above, self._armed = False, 0, not self.rearm
            self._since_motion = 0 if self.motion else self._since_motion + 1
            out[i] = self.motion
        return out


class NeuralDetector:
    """Streaming detector (uspd.detect protocol) running the numpy network on FeatureBlocks.

    The decision reads p_human per hop, or with `evidence_hops` > 1 (the manifest's decision)
    mean_evidence: p_human of the mean log-odds over that many hops, or with `slow_hops` the
    two-path score (ScorePath); with `release` "fast" its off rule reads p_human per hop (and
    with "fast-rearm" its on rule too, after motion ends; DecisionLogic rearm).
    score = that, sustained: its minimum over the last `score_hops` hops (default on_hops),
    i.e. the statistic the strict on-rule compares with its threshold, so that a threshold
    sweep over the score (DET curve) sweeps the detector's own rule rather than single-hop
    flicker. With the manifest's `repeat_veto` the score first goes through a RepeatVeto
    (uspd.model.repeat: bursts on the beat of earlier ones, an oscillating fan's sweeps, are
    set to 0). motion with hysteresis (see NeuralConfig); kind = "major" or "minor" by the
    larger class probability while motion is on, else "none".
    The first receptive-field hops of a stream (1.175 s), or the manifest decision's
    `warm_up_s` if longer, are warm-up: score 0, no motion. With the manifest's cold start
    (ColdStart: `cold_start_s`, `cold_start_shift`) the score of the stream's first seconds is
    lowered, after the veto and before the decision logic reads it.
    Output is identical for any split of the feature stream into blocks.
    """

    name = "neural"

    def __init__(
        self,
        bundle: ModelBundle,
        cfg: NeuralConfig | None = None,
        fe_cfg: FrontEndConfig | None = None,
    ):
        self.bundle = bundle
        self.cfg = cfg or NeuralConfig()
        feat = {**FEATURE_LEGACY, **bundle.feature_config()}
        self.fe_cfg = fe_cfg or FrontEndConfig(**{k: feat[k] for k in FEATURE_KEYS if k in feat})
        for key in FEATURE_KEYS:
            if key in NULL_ONLY_KEYS and not bundle.arch.null_inputs:
                continue
            if key in feat and not math.isclose(
                float(getattr(self.fe_cfg, key)), float(feat[key]), rel_tol=1e-6
            ):
                raise ConfigError(
                    f"neural model was trained with front-end {key}={feat[key]}, "
                    f"but the front end uses {getattr(self.fe_cfg, key)}"
                )
        if self.fe_cfg.n_velocity_bins != bundle.arch.n_bins:
            raise ConfigError(
                f"neural model needs {bundle.arch.n_bins} velocity bins, "
                f"front end gives {self.fe_cfg.n_velocity_bins}"
            )
        decision = dict(bundle.manifest.get("decision", {}))

        def pick(name: str, default: float) -> float:
            value = getattr(self.cfg, name)
            return float(value if value is not None else decision.get(name, default))

        self.threshold = pick("threshold", bundle.threshold)
        self.context_threshold = pick("context_threshold", self.threshold)
        for thr in (self.threshold, self.context_threshold):
            if not 0.0 < thr < 1.0:
                raise ConfigError(f"neural thresholds must lie in (0, 1), not {thr}")
        release = self.cfg.release if self.cfg.release is not None else decision.get(
            "release", "score")
        self.path = ScorePath(int(pick("evidence_hops", 1)), int(pick("slow_hops", 0)),
                              pick("slow_shift", 0.0), release)
        self.logic = DecisionLogic(
            threshold=self.threshold,
            on_hops=max(1, int(pick("on_hops", 1))),
            context_threshold=self.context_threshold,
            context_hops=max(0, round(pick("context_s", 0.0) / self.fe_cfg.hop_s)),
            off_ratio=pick("off_ratio", DEFAULT_OFF_RATIO),
            off_hops=max(1, round(pick("off_s", DEFAULT_OFF_S) / self.fe_cfg.hop_s)),
            rearm=self.path.rearms,
        )
        score_hops = self.cfg.score_hops
        self.score_hops = self.logic.on_hops if score_hops is None else int(score_hops)
        veto = decision.get("repeat_veto") if self.cfg.repeat_veto is not False else None
        self.veto = None if veto is None else RepeatVeto(
            RepeatVetoConfig.from_json(veto, "decision: repeat_veto"), self.fe_cfg.hop_s)
        if self.score_hops < 1:
            raise ConfigError(f"neural score_hops must be >= 1, not {self.score_hops}")
        self.evidence_hops = self.path.evidence_hops
        self.warm_up_hops = (bundle.warm_up_hops if self.cfg.warm_up_hops is None
                             else self.cfg.warm_up_hops)
        self.cold = bundle.cold_start if self.cfg.cold_start is not False else ColdStart()
        self.net = bundle.network()
        self.reset()

    @classmethod
    def from_file(cls, npz_path: str | Path, **kw: Any) -> NeuralDetector:
        return cls(load_model(npz_path), **kw)

    @classmethod
    def from_builtin(cls, name: str = "default", **kw: Any) -> NeuralDetector:
        """The model shipped in uspd/model/weights/<name>.npz + .json."""
        path = WEIGHTS_DIR / f"{name}.npz"
        if not path.exists():
            raise MissingComponentError(
                f"no built-in neural model '{name}' (expected {path}); train one with "
                "`uspd train` or use the baseline detector"
            )
        return cls(load_model(path), **kw)

    def describe(self) -> str:
        """The decision in one line, as reports name it: the score path, its on rule and, if
        set, the sensitive rule after motion, e.g. 'slow 80 +2.0 release fast >= 0.999 over
        8 hops'."""
        logic = self.logic
        text = f"{self.path.label()} >= {logic.threshold:g} over {logic.on_hops} hops"
        if logic.context_hops:
            text += (f", >= {logic.context_threshold:g} within "
                     f"{logic.context_hops * self.fe_cfg.hop_s:g} s of motion")
        if self.veto is not None:
            text += f", {self.veto.cfg.label()}"
        if self.warm_up_hops > self.bundle.receptive_field_hops:
            text += f", warm-up {self.warm_up_hops * self.fe_cfg.hop_s:g} s"
        if self.cold.active:
            text += f", {self.cold.label(self.fe_cfg.hop_s)}"
        return text

    def reset(self) -> None:
        self.net.reset()
        self.logic.reset()
        if self.veto is not None:
            self.veto.reset()
        self._hops_seen = 0
        self._recent = np.zeros(self.score_hops - 1)  # last p_human values (warm-up: 0)
        self._evidence = self.path.initial_state()  # the last log-odds the path keeps

    def process(self, feats: FeatureBlock) -> Decisions:
        if self.bundle.arch.null_inputs and feats.null_db is None:
            raise ConfigError("this neural model reads the clutter null's features; run it "
                              "on the front end its manifest names")
        logits = self.net.process(stacked_features(feats) if self.bundle.arch.null_inputs
                                  else feats.doppler_db)
        probs = softmax(logits)
        # warm-up: until the receptive field is filled with real features, the network sees
        # its zero start state; report no motion (score 0) rather than guess
        first_hop = self._hops_seen
        warm = self.warm_up_hops - first_hop
        self._hops_seen += probs.shape[0]
        score, self._evidence = self.path.scores(probs, warm, self._evidence)
        if self.veto is not None:
            score = self.veto.process(score)
        score = self.cold.apply(score, first_hop)
        motion = self.logic.process(score, self.path.release_scores(probs, warm))
        score = self._sustained(score)
        i_minor, i_major = CLASSES.index("minor"), CLASSES.index("major")
        kind = np.where(probs[:, i_major] >= probs[:, i_minor], "major", "minor")
        kind = np.where(motion, kind, "none").astype("<U5")
        return Decisions(np.asarray(feats.t_end_s, float).copy(), score, motion, kind)

    def _sustained(self, p: NDArray) -> NDArray[np.float64]:
        """Running minimum of p_human over score_hops hops (state: the last score_hops-1)."""
        held = held_min(p, self.score_hops, before=self._recent)
        self._recent = np.concatenate([self._recent, p])[p.size:]
        return held


def held_min(p: NDArray, hops: int, before: NDArray | None = None) -> NDArray[np.float64]:
    """p held over `hops` hops: out[i] = min(p[i - hops + 1 .. i]). before: the hops - 1
    values preceding p (default 0, the warm-up score)."""
    if p.size == 0:  # an empty block of hops
        return np.zeros(0)
    before = np.zeros(hops - 1) if before is None else before
    return sliding_window_view(np.concatenate([before, p]), hops).min(axis=1)
