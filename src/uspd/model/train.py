"""Training core of the neural classifier (torch): windows -> AdamW -> FA/h-based selection.

Recipe (after openWakeWord / microWakeWord, scaled down):
- windows of `window_hops` hops ending at every `stride_hops`-th hop of each recording; the loss
  is cross-entropy on the last `out_hops` hops of each window (each of those sees a full
  receptive field);
- class-balanced sampling by the class of the window's last hop;
- augmentation that survives carrier referencing (noise floor, +-1 velocity bin, velocity
  mirror, short time masks);
- AdamW, gradient clipping, early stopping;
- optionally a peak loss (`peak_loss_weight`) on each window's worst hop: the highest human
  log-odds of a window without a person is pushed down, the highest over a person's hops up
  (the max-pooling loss of small-footprint keyword spotting), because false alarms and
  detections are both decided by peaks;
- optionally an exponential moving average of the weights (`ema_decay`), which is what is
  validated, selected and exported: the raw weights at a high learning rate jump from epoch to
  epoch, and the FA/h at 99 % recall with them (a few weak walkers decide it);
- checkpoint selection on the validation split by false alarms per hour at `target_recall` of
  major motion (uspd.evaluate on per-hop p_human), validation loss breaking ties;
- reproducible from `seed` (torch.manual_seed, numpy Generator, deterministic algorithms,
  2 threads).
Entry point: `train_model(train_items, val_items, cfg, out_dir) -> TrainResult`.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import importlib.metadata
import math
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from uspd.detect import Decisions
from uspd.dsp.frontend import FrontEndConfig
from uspd.errors import ConfigError, InputError
from uspd.evaluate import DetCurve, EvalConfig, OperatingPoint, evaluate_corpus
from uspd.model.dataset import (
    Recording,
    as_recording,
    augment,
    balanced_weights,
    gather,
    norm_stats,
    window_index,
)
from uspd.model.net import DopplerTCN, count_budget, export_npz
from uspd.model.runtime import (
    CLASSES,
    Arch,
    NeuralDetector,
    held_min,
    load_model,
    model_inputs,
    p_human,
    softmax,
)
from uspd.model.train_config import TrainConfig
from uspd.model.train_job import file_sha256
from uspd.model.tune import in_empty_family


@dataclass
class TrainResult:
    model_path: Path  # <out_dir>/<name>.npz (+ .json manifest beside it)
    manifest: dict[str, Any]
    history: list[dict[str, float]]
    best_epoch: int
    model: DopplerTCN


def predict(model: DopplerTCN, features: np.ndarray) -> np.ndarray:
    """Logits (n_hops, n_classes) of a whole recording's features (n_hops, n_bins) raw dB
    (causal, zero history; history channels added as the runtime adds them)."""
    with torch.no_grad():
        x = model_inputs(model.arch, features)
        return model(torch.from_numpy(x)[None]).numpy()[0]


def _inputs_key(arch: Arch) -> tuple:
    """What decides a network's inputs from the features (model_inputs) and their width."""
    return (arch.n_bins, arch.null_inputs, arch.history_delay_hops,
            arch.history_decay_db_per_hop, arch.echo_min_lag_hops, arch.echo_max_lag_hops,
            arch.echo_lag_step_hops, arch.echo_window_hops)


def load_teachers(paths: Sequence[str | Path], arch: Arch, window_hops: int,
                  out_hops: int, feature: dict[str, Any] | None = None) -> list[DopplerTCN]:
    """Every network of every teacher model (an ensemble gives all its members), in eval
    mode. Each must read the same inputs as `arch` from the front end `feature` (a
    FrontEndConfig's fields; None: not checked) and see a full receptive field on the
    `out_hops` hops a training window of `window_hops` scores (InputError otherwise)."""
    fe_cfg = FrontEndConfig(**feature) if feature else None
    nets = []
    for path in paths:
        bundle = load_model(path)  # InputError for a missing or bad file
        if fe_cfg is not None:
            try:  # the detector's own check that a model runs on a front end
                NeuralDetector(bundle, fe_cfg=fe_cfg)
            except ConfigError as exc:
                raise InputError(f"train: teacher {path}: {exc}") from None
        for a, w in bundle.networks():
            if _inputs_key(a) != _inputs_key(arch):
                raise InputError(f"train: teacher {path} reads other inputs than the network "
                                 "being trained (features, null inputs or memories differ)")
            if a.receptive_field_hops > window_hops - out_hops + 1:
                raise InputError(f"train: teacher {path} needs {a.receptive_field_hops} hops "
                                 f"of context; training windows give {window_hops - out_hops + 1}")
            nets.append(DopplerTCN.from_weights(a, w))
    return nets


def teacher_probabilities(teachers: Sequence[DopplerTCN], inputs: np.ndarray,
                          temperature: float) -> np.ndarray:
    """Mean over `teachers` of their class probabilities at `temperature`, per hop
    (n_hops, n_classes) float32, from one causal pass over a whole recording's network inputs
    (features with their memories, as training windows are cut from)."""
    with torch.no_grad():
        x = torch.from_numpy(inputs)[None]
        p = torch.stack([F.softmax(t(x)[0] / temperature, dim=-1) for t in teachers])
    return p.mean(dim=0).numpy().astype(np.float32)


def distill_loss(logits: torch.Tensor, p_teacher: torch.Tensor,
                 temperature: float) -> torch.Tensor:
    """KL(p_teacher || the network's class probabilities at `temperature`) per hop, averaged
    over hops, times temperature**2 (Hinton et al. 2015: keeps its gradient's scale as the
    temperature changes). logits and p_teacher (..., n_classes)."""
    n = logits.shape[-1]
    log_p = F.log_softmax(logits / temperature, dim=-1).reshape(-1, n)
    kl = F.kl_div(log_p, p_teacher.reshape(-1, n), reduction="batchmean")
    return kl * temperature**2


HUMAN_FROM = CLASSES.index("minor")  # CLASSES from here on are a person (minor, major)


def peak_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over windows of the loss on each window's peak human log-odds l (logits (n, hops,
    n_classes), target (n, hops) class indices): softplus(max l) = -log(1 - max p_human) for a
    window without person hops, softplus(-max l over its person hops) = -log(max p_human)
    for one with some. The gradient reaches only each window's peak hop."""
    # log p(minor or major) - log p(nothing or non-human) from the logits, unclipped and
    # differentiable (runtime.human_log_odds is the runtime's, from probabilities, clipped)
    lo = (torch.logsumexp(logits[..., HUMAN_FROM:], dim=-1)
          - torch.logsumexp(logits[..., :HUMAN_FROM], dim=-1))
    person = target >= HUMAN_FROM
    has_person = person.any(dim=1)
    empty_peak = lo.max(dim=1).values
    person_peak = lo.masked_fill(~person, -torch.inf).max(dim=1).values
    person_peak = torch.where(has_person, person_peak, torch.zeros_like(person_peak))
    per_window = torch.where(has_person, F.softplus(-person_peak), F.softplus(empty_peak))
    return per_window.mean()


def validate(
    model: DopplerTCN, recs: Sequence[Recording], target_recall: float,
    eval_cfg: EvalConfig | None = None, hold_hops: int = 1,
) -> dict[str, float]:
    """Validation loss, and FA/h, threshold and recall at target_recall of major motion, with
    p_human held over hold_hops hops as the score, zero during the warm-up hops (as the
    deployed detector reports it, and as the tuner scores it). empty_fa_per_hour: the false
    alarms at that threshold on the empty-family recordings alone, per hour of their empty
    time (inf if there are none)."""
    model.eval()
    warm_up = model.arch.receptive_field_hops
    items, empty_items, losses, n = [], [], 0.0, 0
    for r in recs:
        logits = predict(model, r.features)
        losses += float(F.cross_entropy(
            torch.from_numpy(logits), torch.from_numpy(r.targets), reduction="sum"))
        n += r.targets.size
        p_hum = p_human(softmax(logits))
        p_hum[:warm_up] = 0.0  # as NeuralDetector: no motion while the receptive field fills
        score = held_min(p_hum, hold_hops)
        items.append((Decisions(r.t_end_s, score, score >= 0.5), r.labels))
        if in_empty_family(r.labels):
            empty_items.append(items[-1])
    rep = evaluate_corpus(items, cfg=eval_cfg)
    op = rep.operating_point(target_recall)
    fa = op.fa_per_hour if op is not None else math.nan
    empty_fa = math.inf
    if op is not None and empty_items:
        empty_fa = evaluate_corpus(empty_items, cfg=eval_cfg).fa_per_hour_at(op.threshold)
    return {
        "val_loss": losses / max(n, 1),
        "fa_per_hour": fa if math.isfinite(fa) else math.inf,
        "empty_fa_per_hour": float(empty_fa),
        "op_threshold": op.threshold if op is not None else 0.5,
        "threshold": deployment_threshold(rep.det, op) if op is not None else 0.5,
        "major_recall": op.recall if op is not None else math.nan,
        "minor_recall_at_0.5": rep.minor.recall,
        "major_events": rep.major.n_events,
    }


def deployment_threshold(det: DetCurve | None, op: OperatingPoint) -> float:
    """Decision threshold with margin on both sides of the validation operating point.

    The operating point is the highest threshold reaching the target recall, i.e. it sits on
    the weakest validation event. Going down the DET grid from it while the false-alarm count
    stays at the operating point's, the returned threshold is the logit-space midpoint of that
    range: as far from missing the weakest event as from the next false alarm.
    """
    lo = op.threshold
    if det is not None:
        for thr, fa in zip(det.thresholds, det.fa_count, strict=True):
            if thr >= op.threshold:
                continue
            if fa > op.false_alarms:
                break
            lo = float(thr)

    def logit(p: float) -> float:
        p = min(max(p, 1e-6), 1 - 1e-6)
        return math.log(p / (1 - p))

    mid = 0.5 * (logit(op.threshold) + logit(lo))
    return float(min(max(1.0 / (1.0 + math.exp(-mid)), 0.01), 0.99))


def _selection_key(m: dict[str, float], scope: str = "all") -> tuple[float, ...]:
    """Fewest FA/h at the target recall on the scope's empty time, then on all of it, then the
    lowest validation loss."""
    if scope == "empty-families":
        return (m["empty_fa_per_hour"], m["fa_per_hour"], m["val_loss"])
    return (m["fa_per_hour"], m["val_loss"])


def train_model(
    train_items: Sequence[Any], val_items: Sequence[Any], cfg: TrainConfig | None = None,
    out_dir: str | Path = ".", weights: Sequence[float] | None = None,
) -> TrainResult:
    """Train, select the checkpoint with the fewest validation FA/h at target recall, export.

    Items: `Recording`s or tuples (features (n_hops, n_bins) raw dB, per-hop class targets
    [, t_end_s [, Labels]]); see uspd.model.dataset.as_recording. weights: optional sampling
    weight per training item (e.g. > 1 for mined hard negatives), on top of class balance.
    Writes <out_dir>/<cfg.name>.npz + .json (the runtime's format) and returns a TrainResult.
    """
    cfg = cfg or TrainConfig()
    cfg.validate()
    train = [as_recording(it, cfg.hop_s) for it in train_items]
    val = [as_recording(it, cfg.hop_s) for it in val_items]
    if not train or not val:
        raise InputError("train: need at least one training and one validation recording")
    for r in train + val:
        if r.features.shape[1] != cfg.arch.n_features:
            raise InputError(
                f"train: features have {r.features.shape[1]} columns, the network expects "
                f"{cfg.arch.n_features} (null_inputs needs data.front_end.clutter_null_rank "
                "> 0)"
            )
    # the network's inputs (features + history channels if any), computed once per recording
    train = [dataclasses.replace(r, features=model_inputs(cfg.arch, r.features)) for r in train]
    groups = cfg.arch.n_inputs // cfg.arch.n_bins
    win = cfg.windows()
    rec_i, end_i, cls = window_index(train, win, cfg.stride_hops)
    if rec_i.size == 0:
        raise InputError(f"train: no recording is at least {win} hops long")
    prob = balanced_weights(cls) * np.asarray(cfg.class_weight, float)[cls]
    if weights is not None:
        w = np.asarray(weights, float)
        if w.shape != (len(train),) or not np.all(w > 0):
            raise InputError("train: need one positive sampling weight per training item")
        prob *= w[rec_i]
    prob /= prob.sum()

    teachers = load_teachers(cfg.teachers, cfg.arch, win, cfg.out_hops, cfg.feature)

    prev_det = torch.are_deterministic_algorithms_enabled()
    prev_threads = torch.get_num_threads()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(cfg.threads)
    try:
        torch.manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        # distillation targets: the teachers' mean probabilities per hop of each training
        # recording, from one pass over it (full history), computed once; windows' inputs are
        # augmented afterwards, their targets (labels and these) are not
        soft: list[np.ndarray] = []
        if teachers:
            with Progress(TextColumn(f"teachers ({len(teachers)} networks)"), BarColumn(),
                          TimeElapsedColumn(), disable=not cfg.progress) as bar:
                for r in bar.track(train):
                    soft.append(teacher_probabilities(teachers, r.features,
                                                      cfg.distill_temperature))
        model = DopplerTCN(cfg.arch)
        model.set_normalisation(*norm_stats(train))
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema_decay),
                            use_buffers=True) if cfg.ema_decay else None
        scored = ema.module if ema is not None else model  # what is validated and exported
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=cfg.epochs * cfg.steps_per_epoch, eta_min=cfg.lr * 0.05)
        history: list[dict[str, float]] = []
        best: tuple[tuple[float, ...], int, dict, dict] | None = None
        progress = Progress(
            TextColumn("epoch {task.fields[epoch]}"), BarColumn(), TextColumn(
                "loss {task.fields[loss]:.3f}  val FA/h {task.fields[fa]}"),
            TimeElapsedColumn(), disable=not cfg.progress, transient=False,
        )
        with progress:
            task = progress.add_task("train", total=cfg.epochs * cfg.steps_per_epoch,
                                     epoch=0, loss=float("nan"), fa="-")
            for epoch in range(1, cfg.epochs + 1):
                model.train()
                run_loss = 0.0
                for _ in range(cfg.steps_per_epoch):
                    pick = rng.choice(rec_i.size, size=cfg.batch, p=prob)
                    x, y = gather(train, rec_i[pick], end_i[pick], win)
                    x = augment(x, rng, cfg.augment, protect_last=cfg.out_hops,
                                groups=groups)
                    logits = model(torch.from_numpy(x))[:, -cfg.out_hops:]
                    target = torch.from_numpy(y[:, -cfg.out_hops:])
                    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                           target.reshape(-1))
                    if soft:
                        p_t = np.stack([soft[a][b - cfg.out_hops + 1:b + 1] for a, b in zip(
                            rec_i[pick], end_i[pick], strict=True)])
                        loss = ((1 - cfg.distill_weight) * loss + cfg.distill_weight
                                * distill_loss(logits, torch.from_numpy(p_t),
                                               cfg.distill_temperature))
                    if cfg.peak_loss_weight:
                        loss = loss + cfg.peak_loss_weight * peak_loss(logits, target)
                    opt.zero_grad()
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                    opt.step()
                    sched.step()
                    if ema is not None:
                        ema.update_parameters(model)
                    run_loss += float(loss.detach())
                    progress.update(task, advance=1, epoch=epoch, loss=float(loss.detach()))
                metrics = {"epoch": epoch, "train_loss": run_loss / cfg.steps_per_epoch,
                           **validate(scored, val, cfg.target_recall,
                                       hold_hops=cfg.selection_hold_hops)}
                history.append(metrics)
                key = _selection_key(metrics, cfg.selection_scope)
                progress.update(task, fa=f"{key[0]:.2f}")
                if best is None or key < best[0]:
                    best = (key, epoch, copy.deepcopy(scored.state_dict()), metrics)
                elif epoch - best[1] >= cfg.patience:
                    break
        assert best is not None
        model.load_state_dict(best[2])
        model.eval()
    finally:
        torch.use_deterministic_algorithms(prev_det)
        torch.set_num_threads(prev_threads)

    val_m = best[3]
    threshold = float(val_m["threshold"])
    manifest = {
        "classes": list(CLASSES),
        "feature": {"hop_s": cfg.hop_s, "n_velocity_bins": cfg.arch.n_bins, **cfg.feature},
        "threshold": threshold,
        "train": {
            "seed": cfg.seed, "best_epoch": best[1], "epochs_run": len(history),
            "n_train_recordings": len(train), "n_val_recordings": len(val),
            "n_weighted_recordings": 0 if weights is None else int(
                np.count_nonzero(np.asarray(weights) != 1.0)),
            "n_train_hops": int(sum(r.targets.size for r in train)),
            "class_hops": np.bincount(
                np.concatenate([r.targets for r in train]), minlength=len(CLASSES)).tolist(),
            "config": _jsonable(dataclasses.asdict(cfg)),
            "teachers": [{"path": str(p), "sha256": file_sha256(p)} for p in cfg.teachers],
            # what a rerun must match to give these weights: the data, bit for bit, and the
            # libraries (stop 44 could not tell which of them differed from stop 37's run)
            "train_data_sha256": recordings_sha256(train),
            "val_data_sha256": recordings_sha256(val),
            "versions": library_versions(),
        },
        "metrics": {"val": val_m, "target_recall": cfg.target_recall},
        "history": history,  # per epoch: train loss and the validation metrics
    }
    manifest = _jsonable(manifest)
    path = export_npz(model, Path(out_dir) / cfg.name, manifest)
    manifest["budget"] = count_budget(model, cfg.hop_s)
    return TrainResult(path, manifest, history, best[1], model)


def recordings_sha256(recs: Sequence[Recording]) -> str:
    """Hex sha256 of the recordings' features and per-hop targets, in order: equal for two
    runs exactly when they trained (validated) on the same data."""
    h = hashlib.sha256()
    for r in recs:
        h.update(np.ascontiguousarray(r.features, np.float32).tobytes())
        h.update(np.ascontiguousarray(r.targets, np.int64).tobytes())
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries a training run's result depends on, the CPU,
    and the vector code numpy and torch chose on it (an AVX-512 and an AVX2 machine sum in
    different orders; docs/candidates/README.md, stop 48)."""
    out = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "torch", "uspd"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    out["cpu"] = cpu_model()
    out["numpy_simd"] = numpy_simd_target()
    torch = sys.modules.get("torch")
    if torch is not None:
        out["torch_simd"] = str(torch.backends.cpu.get_cpu_capability())
    return out


def cpu_model() -> str:
    """The CPU's model name (Linux /proc/cpuinfo), else what the platform says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def numpy_simd_target() -> str:
    """The most advanced of numpy's dispatch targets this process runs (e.g. X86_V3 = AVX2,
    AVX512_ICL), 'baseline' if none; 'unknown' if this numpy does not say (the lists are
    numpy's own, not public API)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:
        return "unknown"
    enabled = [t for t in __cpu_dispatch__ if __cpu_features__.get(t)]
    return enabled[-1] if enabled else "baseline"


def _jsonable(o: Any) -> Any:
    if isinstance(o, dict):
        return {k: _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o
