"""Simulated corpora on disk: N scenes rendered in parallel processes, plus a manifest.

Layout of a corpus directory:
    manifest.json            {"version": 1, "items": [{"wav": "scene_0000.wav", "json": ...,
                              "scene": ..., "seed": ..., "duration_s": ...}, ...], ...}
    scene_0000.wav / .json   multichannel PCM_16 audio and its labels (uspd.labels format)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from uspd.errors import InputError, OutputExistsError
from uspd.labels import Labels


@dataclass(frozen=True)
class CorpusItem:
    """One recording of a corpus: audio path and labels path."""

    wav: Path
    labels: Path


def check_writable(path: Path, force: bool) -> None:
    """Refuse to overwrite a file the user has unless `force`."""
    if path.exists() and not force:
        raise OutputExistsError(f"{path} exists; pass --force to overwrite it")


def write_recording(audio: np.ndarray, fs_hz: int, labels: Labels, wav_path: Path) -> Path:
    """Write audio (n, n_mics) float in [-1, 1] as PCM_16 WAV and labels beside it (.json)."""
    wav_path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(wav_path), audio, fs_hz, subtype="PCM_16")
    json_path = wav_path.with_suffix(".json")
    labels.save(json_path)
    return json_path


def _render_one(job: tuple[int, int, float, str | None, str]) -> dict:
    """Worker: render scene `index` (random from `seed`, or a named scene) and write it."""
    from uspd.sim.library import make_scene
    from uspd.sim.render import render

    index, seed, duration_s, name, out_dir = job
    scene = make_scene(name or "random", seed=seed, duration_s=duration_s)
    rec = render(scene)
    wav = Path(out_dir) / f"scene_{index:04d}.wav"
    write_recording(rec.audio, rec.fs_hz, rec.labels, wav)
    return {
        "wav": wav.name,
        "json": wav.with_suffix(".json").name,
        "scene": rec.labels.scene,
        "seed": seed,
        "duration_s": rec.labels.duration_s,
        "fs_hz": rec.fs_hz,
        "carrier_hz": rec.labels.carrier_hz,
    }


def render_corpus(
    out_dir: Path,
    n_scenes: int,
    seed: int,
    duration_s: float,
    scene: str | None = None,
    workers: int | None = None,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Render `n_scenes` scenes (seeds seed, seed+1, ...) into out_dir and write manifest.json.

    Runs in `workers` processes (default: all cores). `progress(done, total)` is called as
    scenes finish. Returns the manifest path.
    """
    out_dir = Path(out_dir)
    manifest = out_dir / "manifest.json"
    check_writable(manifest, force)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(i, seed + i, duration_s, scene, str(out_dir)) for i in range(n_scenes)]
    workers = workers or max(1, os.cpu_count() or 1)
    items: list[dict] = [{}] * n_scenes
    if workers == 1:
        for done, job in enumerate(jobs, 1):
            items[job[0]] = _render_one(job)
            if progress:
                progress(done, n_scenes)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(_render_one, job): job[0] for job in jobs}
            for done, fut in enumerate(as_completed(futures), 1):
                items[futures[fut]] = fut.result()
                if progress:
                    progress(done, n_scenes)
    manifest.write_text(
        json.dumps(
            {"version": 1, "seed": seed, "n_scenes": n_scenes, "scene": scene or "random",
             "items": items},
            indent=1,
        )
    )
    return manifest


def iter_corpus(path: Path) -> Iterator[CorpusItem]:
    """Recordings of a corpus: a directory with manifest.json, a manifest, or a single WAV."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() in (".wav", ".flac"):
        yield CorpusItem(path, path.with_suffix(".json"))
        return
    manifest = path / "manifest.json" if path.is_dir() else path
    if not manifest.exists():
        if path.is_dir():  # a plain folder of recordings with labels beside them
            wavs = sorted(p for p in path.iterdir() if p.suffix.lower() in (".wav", ".flac"))
            if not wavs:
                raise InputError(f"{path} holds no manifest.json and no WAV/FLAC files")
            for wav in wavs:
                yield CorpusItem(wav, wav.with_suffix(".json"))
            return
        raise InputError(f"no corpus at {path}")
    try:
        data = json.loads(manifest.read_text())
        for item in data["items"]:
            yield CorpusItem(manifest.parent / item["wav"], manifest.parent / item["json"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"cannot read corpus manifest {manifest}: {exc}") from exc
