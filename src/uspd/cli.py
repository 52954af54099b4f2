"""Thin command-line interface: parse options, call the library, print results.

Every UspdError becomes one line on stderr and its exit code; no tracebacks for user errors.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from uspd.config import float_list
from uspd.errors import ConfigError, UspdError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Ultrasonic motion and presence sensing.",
)


@app.callback()
def _root() -> None:
    """Ultrasonic motion and presence sensing: simulate, detect, evaluate, train, demo."""


def main() -> None:
    """Entry point: run the typer app and turn UspdError into a one-line message."""
    try:
        app()
    except UspdError as exc:
        typer.echo(f"uspd: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("uspd: interrupted", err=True)
        sys.exit(130)


@app.command()
def version() -> None:
    """Print the uspd version."""
    from uspd import __version__

    typer.echo(__version__)


def _one_line_warnings() -> None:
    """Warnings (clipping, partial frames) as one 'uspd: warning: ...' line on stderr."""
    warnings.formatwarning = lambda msg, *a, **k: f"uspd: warning: {msg}\n"


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), transient=False,
    )


@app.command()
def simulate(
    scene: Annotated[str, typer.Argument(help="Named scene (see --list) or 'random'.")] = "",
    output: Annotated[Path, typer.Option("-o", "--output", help="WAV file, or a directory "
                                         "with --corpus.")] = Path("out.wav"),
    seed: Annotated[int, typer.Option(help="Seed: the scene is a pure function of it.")] = 0,
    duration: Annotated[float, typer.Option(help="Duration (s).")] = 20.0,
    random_scene: Annotated[bool, typer.Option("--random", help="Draw a random scene.")] = False,
    corpus: Annotated[int, typer.Option(help="Render N scenes (seeds seed..seed+N-1) into "
                                        "the output directory with a manifest.")] = 0,
    device: Annotated[str, typer.Option(help="Device preset for named scenes: echo "
                                        "(96 kHz, 40 kHz tone) or laptop (48 kHz, 20 kHz).")]
    = "echo",
    workers: Annotated[int, typer.Option(help="Processes for --corpus (0 = all cores).")] = 0,
    force: Annotated[bool, typer.Option(help="Overwrite existing output.")] = False,
    list_scenes: Annotated[bool, typer.Option("--list", help="List named scenes.")] = False,
) -> None:
    """Render a simulated multichannel recording (PCM_16 WAV) and its labels (JSON)."""
    from uspd.sim.library import SCENES

    if list_scenes:
        for name, fn in SCENES.items():
            typer.echo(f"{name:20s} {(fn.__doc__ or '').strip().splitlines()[0]}")
        return
    name = "random" if random_scene else scene
    if corpus:
        _simulate_corpus(output, corpus, seed, duration, name or "random", workers, force)
        return
    if not name:
        raise ConfigError("name a scene (uspd simulate --list), or pass --random or --corpus N")
    from uspd.corpus import check_writable, write_recording
    from uspd.sim.library import make_scene
    from uspd.sim.render import render

    check_writable(output, force)
    check_writable(output.with_suffix(".json"), force)
    rec = render(make_scene(name, seed=seed, duration_s=duration, device=device))
    labels_path = write_recording(rec.audio, rec.fs_hz, rec.labels, output)
    typer.echo(
        f"wrote {output} ({rec.audio.shape[1]} mics, {rec.fs_hz} Hz, "
        f"{rec.labels.carrier_hz:g} Hz tone, {duration:g} s) and {labels_path}"
    )


def _simulate_corpus(out_dir: Path, n: int, seed: int, duration_s: float, scene: str,
                     workers: int, force: bool) -> None:
    from uspd.corpus import render_corpus

    with _progress() as bar:
        task = bar.add_task(f"rendering {n} scenes", total=n)
        manifest = render_corpus(
            out_dir, n, seed, duration_s, scene=None if scene == "random" else scene,
            workers=workers or None, force=force,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    typer.echo(f"wrote {n} scenes and {manifest}")


@app.command()
def plot(
    input_wav: Annotated[Path, typer.Argument(help="Recording (WAV/FLAC).")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="PNG (default: "
                                                "beside the input).")] = None,
    carrier: Annotated[str, typer.Option(help="'auto' or the carrier in Hz.")] = "auto",
    detector: Annotated[str, typer.Option(help="Also draw this detector's decisions "
                                          "('' for none).")] = "",
    force: Annotated[bool, typer.Option(help="Overwrite an existing PNG.")] = False,
) -> None:
    """Write a Doppler spectrogram PNG (±3 m/s), with labels from a JSON beside the WAV."""
    from uspd.audio.files import open_audio
    from uspd.corpus import check_writable
    from uspd.labels import Labels
    from uspd.plot import plot_run
    from uspd.runner import run_detectors

    _one_line_warnings()
    out = output or input_wav.with_suffix(".png")
    check_writable(out, force)
    names = [detector] if detector else []
    run = run_detectors(open_audio(input_wav), names, carrier=carrier, keep_features=True)
    labels_path = input_wav.with_suffix(".json")
    labels = Labels.load(labels_path) if labels_path.exists() else None
    title = f"{input_wav.name}: carrier {run.carrier_hz:.0f} Hz" + (
        f", {detector} detections" if detector else "")
    plot_run(run, out, labels=labels, detector=detector or None, title=title)
    typer.echo(f"wrote {out}")


# `uspd detect` / `uspd evaluate --threshold`: replaces the model's tuned strict on-threshold
NeuralThreshold = Annotated[float | None, typer.Option(
    help="Neural on-threshold for p_human, in (0, 1) (default: the model's tuned one); lower "
         "finds more and fires more.")]


@app.command()
def detect(
    input_path: Annotated[str, typer.Argument(metavar="INPUT",
                                              help="WAV/FLAC file, or - for raw PCM on stdin.")],
    carrier: Annotated[str, typer.Option(help="'auto' or the carrier in Hz.")] = "auto",
    detector: Annotated[str, typer.Option(help="Detector: neural (default) or baseline.")]
    = "neural",
    rate: Annotated[int, typer.Option(help="Sample rate of raw PCM on stdin (Hz).")] = 48000,
    channels: Annotated[int | None, typer.Option(help="Channels: required for stdin; for "
                                                 "files, checked against the file.")] = None,
    dtype: Annotated[str, typer.Option("--dtype", help="Raw PCM sample format: s16le, "
                                       "s32le or f32le.")] = "s16le",
    fmt: Annotated[str, typer.Option("--format", help="jsonl (default) or text.")] = "jsonl",
    allow_partial: Annotated[bool, typer.Option(help="Drop a trailing partial frame on stdin "
                                                "with a warning instead of failing.")] = False,
    model: Annotated[Path | None, typer.Option(help="Neural model .npz (default: the shipped "
                                               "one); the front end follows its manifest.")]
    = None,
    threshold: NeuralThreshold = None,
) -> None:
    """Stream motion decisions: one JSON line per hop and motion_start/motion_end events."""
    from uspd.audio.files import open_audio
    from uspd.audio.stdin import RawPcmSource
    from uspd.detect import detect_stream

    _one_line_warnings()
    if fmt not in ("jsonl", "text"):
        raise ConfigError(f"--format must be jsonl or text, not {fmt!r}")
    fe_cfg = _register_neural(model, [detector], threshold)
    if input_path == "-":
        if channels is None:
            raise ConfigError("raw PCM on stdin needs --channels (and --rate, --dtype)")
        source = RawPcmSource(sys.stdin.buffer, rate, channels, dtype,
                              allow_partial=allow_partial)
    else:
        source = open_audio(input_path, channels)
    out = sys.stdout
    for rec in detect_stream(source, detector_name=detector, carrier=carrier, cfg=fe_cfg):
        if fmt == "jsonl":
            out.write(json.dumps(rec) + "\n")
        elif "event" in rec:
            out.write(f"{rec['t']:9.3f} s  {rec['event']}\n")
        else:
            bar = "#" * round(rec["score"] * 20)
            flag = rec.get("kind", "motion") if rec["motion"] else ""
            out.write(f"{rec['t']:9.3f} s  {rec['score']:.2f} {bar:20s} {flag}\n")
        out.flush()


def _register_builtin_detectors() -> None:
    """Make 'neural' available when the shipped model is installed (it needs no torch)."""
    from uspd.model.train_job import register_builtin

    register_builtin()


def _register_neural(model: Path | None, detectors: list[str],
                     threshold: float | None = None):
    """'neural' from `model` (or the shipped one) if it is among `detectors`, with `threshold`
    as its on-threshold if given; the front-end settings it was trained with (None: the
    defaults)."""
    from uspd.model.train_job import register_neural

    if "neural" not in detectors:
        for option, value in (("--model", model), ("--threshold", threshold)):
            if value is not None:
                raise ConfigError(f"{option} is for the neural detector, which is not selected")
        return None
    return register_neural(model, threshold)


@app.command()
def evaluate(
    corpus: Annotated[Path, typer.Argument(help="Corpus directory (manifest.json), "
                                           "manifest, or one WAV with labels beside it.")],
    detector: Annotated[str, typer.Option(help="Comma-separated detectors, side by side.")]
    = "neural,baseline",
    carrier: Annotated[str, typer.Option(help="'auto' or the carrier in Hz.")] = "auto",
    det_png: Annotated[Path | None, typer.Option("--det", help="Write the DET curve PNG "
                                                 "here.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the reports as "
                                                  "JSON here.")] = None,
    target_recall: Annotated[float, typer.Option(help="Recall of the operating point.")]
    = 0.99,
    force: Annotated[bool, typer.Option(help="Overwrite existing outputs.")] = False,
    model: Annotated[Path | None, typer.Option(help="Neural model .npz (default: the shipped "
                                               "one); all detectors share the front end its "
                                               "manifest names.")] = None,
    range_edges: Annotated[str, typer.Option(help="Distance bands for major recall: edges in "
                                             "m, comma-separated ('' for none).")] = "2,3,4",
    within: Annotated[str, typer.Option(help="Also give FA/h at the target recall of the "
                                        "major events that came nearer than each of these "
                                        "distances (m, comma-separated): a detection "
                                        "range's operating point.")] = "",
    threshold: NeuralThreshold = None,
) -> None:
    """Score detectors on a labelled corpus: recall, latency, false alarms per hour, DET."""
    from uspd.audio.files import open_audio
    from uspd.corpus import check_writable, iter_corpus
    from uspd.evaluate import EvalConfig, compare, evaluate_corpus, plot_det
    from uspd.labels import Labels
    from uspd.runner import run_detectors

    _one_line_warnings()
    eval_cfg = EvalConfig(range_edges_m=float_list(range_edges, "--range-edges"),
                          within_m=float_list(within, "--within"))
    names = [d.strip() for d in detector.split(",") if d.strip()]
    fe_cfg = _register_neural(model, names, threshold)
    for path in (det_png, json_out):
        if path is not None:
            check_writable(path, force)
    items = list(iter_corpus(corpus))
    per_detector: dict[str, list] = {n: [] for n in names}
    with _progress() as bar:
        task = bar.add_task(f"evaluating {len(items)} recordings", total=len(items))
        for item in items:
            labels = Labels.load(item.labels)
            run = run_detectors(open_audio(item.wav), names, carrier=carrier, cfg=fe_cfg)
            for n in names:
                per_detector[n].append((run.decisions[n], labels))
            bar.advance(task)
    reports = {n: evaluate_corpus(pairs, eval_cfg, name=n) for n, pairs in per_detector.items()}
    typer.echo(compare(reports, target_recall=target_recall))
    if det_png is not None:
        plot_det(reports, det_png, target_recall=target_recall)
        typer.echo(f"wrote {det_png}")
    if json_out is not None:
        json_out.write_text(json.dumps({n: r.to_dict() for n, r in reports.items()}, indent=1))
        typer.echo(f"wrote {json_out}")


def ask(question: str) -> bool:
    """typer.confirm, except that no answer (stdin closed, as in a batch job) means no: after a
    long training run the result is kept in its output directory instead of aborting."""
    try:
        return typer.confirm(question)
    except typer.Abort:
        return False


@app.command()
def train(
    config: Annotated[Path | None, typer.Option(help="TOML recipe: [data], [train], "
                                                "[train.arch] tables override defaults.")]
    = None,
    out_dir: Annotated[Path | None, typer.Option("-o", "--out", help="Output directory "
                                                 "(default: the recipe's out_dir).")] = None,
    install: Annotated[bool, typer.Option(help="Also install the result as the shipped "
                                          "default model (asks before replacing).")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="With --install: replace the shipped "
                                      "model without asking.")] = False,
    render_only: Annotated[bool, typer.Option(help="Only render the recipe's scenes into its "
                                              "feature cache (a later run trains on them).")]
    = False,
) -> None:
    """Train the neural motion classifier on simulated data (needs torch: uspd[train])."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        from uspd.errors import MissingComponentError

        raise MissingComponentError(
            "training needs torch: pip install 'uspd[train]' (torch==2.13.0 works)") from exc
    from uspd.model.train_job import run_training

    res = run_training(config, out_dir, install=install, confirm=None if yes else ask,
                       echo=typer.echo, progress=_progress, render_only=render_only)
    typer.echo(f"wrote {res}")


@app.command()
def mine(
    config: Annotated[Path | None, typer.Option(help="TOML recipe; its [mine] table says "
                                                "which candidate scenes to render.")] = None,
    model: Annotated[Path | None, typer.Option(help="Model .npz to mine with (default: the "
                                               "shipped one).")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Hard-negative list to "
                                             "write (default: the recipe's mine.out).")]
    = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing list.")] = False,
) -> None:
    """Find simulated scenes the model false-alarms on (hard negatives for `uspd train`)."""
    from uspd.model.train_job import run_mining

    _one_line_warnings()
    path = run_mining(config, model, out, force=force, echo=typer.echo, progress=_progress)
    typer.echo(f"wrote {path}")


@app.command()
def tune(
    model: Annotated[Path, typer.Argument(help="Model .npz (its .json manifest beside it).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Model to write (.npz with the same "
                                      "weights, and its manifest with the new decision).")],
    config: Annotated[Path | None, typer.Option(help="TOML recipe whose validation set to "
                                                "tune on (the model's own recipe).")] = None,
    evidence_hops: Annotated[str | None, typer.Option(
        help="Evidence windows to try, in hops, comma-separated (e.g. 1,8,16,24,32; default: "
        "the recipe's [train] evidence_hops, else 1 = p_human per hop).")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing model.")] = False,
) -> None:
    """Tune a trained model's decision logic afresh on its recipe's validation set."""
    from uspd.model.train_job import run_tuning

    _one_line_warnings()
    windows = None
    if evidence_hops is not None:
        try:
            windows = tuple(int(w) for w in evidence_hops.split(","))
        except ValueError:
            raise ConfigError("--evidence-hops takes whole numbers of hops separated by "
                              f"commas, not {evidence_hops!r}") from None
    written = run_tuning(model, config, out, force=force, evidence_hops=windows,
                         echo=typer.echo, progress=_progress)
    typer.echo(f"wrote {written}")


@app.command()
def quantize(
    model: Annotated[Path, typer.Argument(help="Model .npz (its .json manifest beside it).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="int8 model to write (.npz, and "
                                      "its manifest beside it).")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing model.")] = False,
) -> None:
    """Write an int8 copy of a model (per-channel weight scales; 4x smaller weights)."""
    from uspd.corpus import check_writable
    from uspd.model.quantize import write_int8_model
    from uspd.model.runtime import manifest_path, npz_path

    target = npz_path(out)
    if target.resolve() == npz_path(model).resolve():
        raise ConfigError("--out must differ from the model it quantizes")
    for path in (target, manifest_path(target)):
        check_writable(path, force)
    written = write_int8_model(model, target)
    typer.echo(f"wrote {written} ({written.stat().st_size / 1024:.1f} kB, from "
               f"{npz_path(model).stat().st_size / 1024:.1f} kB)")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("-o", "--out", help="Where demo.png, demo.wav and "
                                          "demo.json go (replaced on each run).")]
    = Path("out/demo"),
    duration: Annotated[float, typer.Option(help="Length of the story (s).")] = 60.0,
    seed: Annotated[int, typer.Option(help="Scene seed.")] = 2026,
    device: Annotated[str, typer.Option(help="echo (96 kHz, 40 kHz) or laptop (48 kHz, "
                                        "20 kHz).")] = "echo",
) -> None:
    """The main job on the built-in simulated room: render, detect, compare with the truth."""
    from uspd.demo import run_demo

    _one_line_warnings()
    _register_builtin_detectors()
    with _progress() as bar:
        task = bar.add_task("rendering the simulated room", total=int(np.ceil(duration)))
        res = run_demo(out_dir, duration_s=duration, seed=seed, device=device,
                       on_block=lambda i, n: bar.update(task, completed=i))
    typer.echo(f"\nTimeline (truth vs detections, carrier {res.run.carrier_hz:.0f} Hz):")
    typer.echo(res.timeline)
    typer.echo("\nSummary:")
    typer.echo(res.summary)
    typer.echo(f"\nwrote {res.png} (Doppler spectrogram with detections and truth)")


if __name__ == "__main__":
    main()
