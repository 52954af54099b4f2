"""The command line as a user meets it: outputs, streaming, and one-line errors with exit codes."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from uspd.labels import Labels

CLI = [sys.executable, "-m", "uspd.cli"]
ENV = {**os.environ, "PYTHONWARNINGS": "default"}


def run(*args, stdin=None, cwd=None):
    return subprocess.run([*CLI, *map(str, args)], input=stdin, capture_output=True,
                          cwd=cwd, env=ENV, timeout=300)


def phone_recording(fs=44100, f0=20000.0, dur_s=4.0, walk=(1.5, 3.0), seed=0):
    """A mono near-ultrasound recording as a phone would make it: a 20 kHz tone, its strong
    direct path, a person's echo approaching at ~1 m/s during `walk`, room noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(fs * dur_s)) / fs
    tt = np.clip(t, *walk) - walk[0]
    path_m = 2 * (3.0 - 1.0 * tt)
    c = 343.4
    x = 0.4 * np.cos(2 * np.pi * f0 * t)
    x += 0.4 * 10 ** (-50 / 20) * np.cos(2 * np.pi * f0 * (t - path_m / c))
    x += 3e-4 * rng.standard_normal(t.size)
    return x.astype(np.float32)


def assert_one_line_error(res, code):
    err = res.stderr.decode()
    assert res.returncode == code, err
    assert "Traceback" not in err
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("uspd: error:"), err


def test_simulate_writes_wav_and_labels_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "w.wav"
    res = run("simulate", "walk-in", "--duration", "3", "--seed", "2", "-o", out)
    assert res.returncode == 0, res.stderr.decode()
    info = sf.info(out)
    assert (info.samplerate, info.channels, info.subtype) == (96000, 4, "PCM_16")
    assert info.frames == 3 * 96000
    labels = Labels.load(out.with_suffix(".json"))
    assert labels.duration_s == pytest.approx(3.0)
    before = out.read_bytes()
    again = run("simulate", "walk-in", "--duration", "3", "-o", out)
    assert_one_line_error(again, 2)
    assert "--force" in again.stderr.decode()
    assert out.read_bytes() == before


def test_detect_finds_the_walker_in_a_phone_recording(tmp_path):
    wav = tmp_path / "phone.wav"
    sf.write(wav, phone_recording(), 44100, subtype="PCM_16")
    res = run("detect", wav, "--detector", "baseline")
    assert res.returncode == 0, res.stderr.decode()
    recs = [json.loads(ln) for ln in res.stdout.decode().splitlines()]
    hops = [r for r in recs if "score" in r]
    assert all(0.0 <= r["score"] <= 1.0 for r in hops)
    starts = [r["t"] for r in recs if r.get("event") == "motion_start"]
    assert starts and 1.5 <= starts[0] <= 2.0
    assert not any(r["motion"] for r in hops if r["t"] < 1.4)


def test_detect_streams_raw_pcm_while_stdin_is_open():
    pcm = (phone_recording() * 32767).astype("<i2").tobytes()
    proc = subprocess.Popen(
        [*CLI, "detect", "-", "--rate", "44100", "--channels", "1", "--detector", "baseline"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
    )
    half = len(pcm) // 2 // 2 * 2
    proc.stdin.write(pcm[:half])
    proc.stdin.flush()
    first = proc.stdout.readline()  # arrives before stdin is closed: the output streams
    assert json.loads(first)["t"] > 0
    proc.stdin.write(pcm[half:])
    proc.stdin.close()
    rest = proc.stdout.read().decode().splitlines()
    assert proc.wait(timeout=120) == 0
    assert json.loads(rest[-1])["t"] == pytest.approx(4.0, abs=0.06)


@pytest.mark.parametrize(
    ("case", "code", "needle"),
    [
        ("missing", 3, "no such file"),
        ("truncated", 3, "truncated"),
        ("garbage", 3, ""),
        ("low_rate", 4, "too low"),
        ("silence", 4, "silen"),
        ("no_carrier", 4, "carrier"),
        ("wrong_channels", 3, "channel"),
    ],
)
def test_bad_input_gives_one_line_and_exit_code(tmp_path, case, code, needle):
    wav = tmp_path / f"{case}.wav"
    args = ["detect", wav, "--detector", "baseline"]
    rng = np.random.default_rng(1)
    if case == "truncated":
        sf.write(wav, phone_recording(), 44100, subtype="PCM_16")
        data = wav.read_bytes()
        wav.write_bytes(data[: len(data) // 2])
    elif case == "garbage":
        wav.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 10)
    elif case == "low_rate":
        sf.write(wav, rng.standard_normal(16000).astype(np.float32) * 0.1, 16000)
    elif case == "silence":
        sf.write(wav, np.zeros(44100, np.float32), 44100)
    elif case == "no_carrier":
        sf.write(wav, rng.standard_normal(44100).astype(np.float32) * 0.1, 44100)
    elif case == "wrong_channels":
        sf.write(wav, phone_recording(), 44100)
        args += ["--channels", "2"]
    res = run(*args)
    assert_one_line_error(res, code)
    assert needle.lower() in res.stderr.decode().lower()


def test_nan_in_float_stdin_is_a_signal_error():
    x = phone_recording()
    x[30000] = np.nan
    res = run("detect", "-", "--rate", "44100", "--channels", "1", "--dtype", "f32le",
              "--detector", "baseline", stdin=x.astype("<f4").tobytes())
    assert_one_line_error(res, 4)
    assert "nan" in res.stderr.decode().lower()


def test_stdin_ending_mid_frame_is_an_input_error():
    pcm = (phone_recording() * 32767).astype("<i2").tobytes()
    res = run("detect", "-", "--rate", "44100", "--channels", "1", "--detector", "baseline",
              stdin=pcm + b"\x01")
    assert_one_line_error(res, 3)


def test_unknown_detector_and_scene_are_config_errors(tmp_path):
    wav = tmp_path / "p.wav"
    sf.write(wav, phone_recording(), 44100)
    assert_one_line_error(run("detect", wav, "--detector", "psychic"), 2)
    assert_one_line_error(run("simulate", "moon-walk", "-o", tmp_path / "x.wav"), 2)


def test_plot_writes_png(tmp_path):
    wav = tmp_path / "p.wav"
    sf.write(wav, phone_recording(), 44100)
    res = run("plot", wav, "--detector", "baseline")
    assert res.returncode == 0, res.stderr.decode()
    png = wav.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert_one_line_error(run("plot", wav), 2)  # exists: not overwritten without --force


def test_evaluate_scores_a_corpus(tmp_path: Path):
    res = run("simulate", "--corpus", "2", "--duration", "4", "--workers", "1", "-o",
              tmp_path / "c", "--seed", "11")
    assert res.returncode == 0, res.stderr.decode()
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert len(manifest["items"]) == 2
    out = tmp_path / "r.json"
    res = run("evaluate", tmp_path / "c", "--detector", "baseline", "--json", out,
              "--det", tmp_path / "det.png", "--within", "3")
    assert res.returncode == 0, res.stderr.decode()
    assert "major recall < 3 m" in res.stdout.decode()
    report = json.loads(out.read_text())["baseline"]
    assert report["n_recordings"] == 2
    assert list(report["major_by_range"]) == ["< 2 m", "2-3 m", "3-4 m", ">= 4 m"]
    assert "0.99 within 3 m" in report["operating_points_within"]
    for option in ("--range-edges", "--within"):
        for bad in ("2,x", "3,2"):  # refused before any recording is read
            assert_one_line_error(run("evaluate", tmp_path / "c", option, bad), 2)


def test_mine_writes_a_hard_negative_list_and_refuses_to_overwrite(tmp_path):
    cfg = tmp_path / "mine.toml"
    out = tmp_path / "hn.json"
    cfg.write_text(f'[data]\nduration_s = 3.0\nworkers = 1\ncache_dir = "{tmp_path / "c"}"\n'
                   f'[mine]\ncandidates = {{empty-fan = 2}}\nthreshold = 0.0\nout = "{out}"\n')
    res = run("mine", "--config", cfg)
    assert res.returncode == 0, res.stderr.decode()
    doc = json.loads(out.read_text())
    assert doc["candidates"] == 2 and len(doc["scenes"]) == 2  # threshold 0 keeps both
    assert all(200_000 <= s["seed"] - 1000 < 500_000 for s in doc["scenes"])
    # the shipped model is named by its place in the package, not by this machine's path
    from uspd.model.train_job import BUILTIN_NPZ
    assert doc["model"].startswith("the shipped model") and str(BUILTIN_NPZ) not in doc["model"]
    assert doc["model_sha256"] == hashlib.sha256(BUILTIN_NPZ.read_bytes()).hexdigest()
    before = out.read_bytes()
    assert_one_line_error(run("mine", "--config", cfg), 2)
    assert out.read_bytes() == before
    cfg.write_text("[mine]\ncandidate = {empty-fan = 2}\n")
    assert_one_line_error(run("mine", "--config", cfg, "-o", tmp_path / "x.json"), 2)


def test_quantize_writes_an_int8_model_and_never_overwrites(tmp_path):
    from uspd.model.train_job import BUILTIN_NPZ

    out = tmp_path / "int8.npz"
    res = run("quantize", BUILTIN_NPZ, "-o", out)
    assert res.returncode == 0, res.stderr.decode()
    assert out.exists() and out.with_suffix(".json").exists()
    before = out.read_bytes()
    assert_one_line_error(run("quantize", BUILTIN_NPZ, "-o", out), 2)  # exists
    assert out.read_bytes() == before
    assert_one_line_error(run("quantize", out, "-o", out, "--force"), 2)  # onto itself
    assert_one_line_error(run("quantize", tmp_path / "nope.npz", "-o", tmp_path / "x"), 3)


def test_tune_rewrites_only_the_decision_and_never_overwrites(tmp_path):
    from uspd.model.train_job import BUILTIN_NPZ

    cfg = tmp_path / "tiny.toml"
    cfg.write_text(f'[data]\nval_random = 0\nduration_s = 5.0\nworkers = 1\n'
                   f'cache_dir = "{tmp_path / "c"}"\n'
                   'val_named = {walk-in = 1, empty-fan = 1}\nval_long = {}\n')
    out = tmp_path / "tuned.npz"
    res = run("tune", BUILTIN_NPZ, "--config", cfg, "-o", out, "--evidence-hops", "1,8")
    assert res.returncode == 0, res.stderr.decode()
    assert out.read_bytes() == BUILTIN_NPZ.read_bytes()  # the same weights
    new = json.loads(out.with_suffix(".json").read_text())
    old = json.loads(BUILTIN_NPZ.with_suffix(".json").read_text())
    kept = {k: v for k, v in old.items() if k != "decision_tuned_with"}
    assert {k: v for k, v in new.items() if k != "decision_tuned_with"} == {**kept, "decision":
                                                                              new["decision"]}
    assert new["decision"]["evidence_hops"] in (1, 8) and new["decision_tuned_with"] == str(cfg)
    assert set(new["decision"]["validation"]["held_score_fa_per_hour_by_evidence_hops"]) == {
        "1", "8"}
    before = out.with_suffix(".json").read_bytes()
    assert_one_line_error(run("tune", BUILTIN_NPZ, "--config", cfg, "-o", out), 2)  # exists
    assert out.with_suffix(".json").read_bytes() == before
    assert_one_line_error(run("tune", out, "--config", cfg, "-o", out, "--force"), 2)
    for windows in ("1,x", "0,8"):
        assert_one_line_error(run("tune", BUILTIN_NPZ, "--config", cfg, "-o",
                                  tmp_path / "y.npz", "--evidence-hops", windows), 2)
    assert_one_line_error(run("tune", tmp_path / "nope.npz", "--config", cfg, "-o",
                              tmp_path / "x.npz"), 3)


def test_detect_takes_a_model_and_runs_the_front_end_it_names(tmp_path):
    # a model trained on another front end (here: without the music canceller) runs with the
    # front end its manifest names; with the default front end it would be refused
    import shutil

    from uspd.model.train_job import BUILTIN_NPZ

    other = tmp_path / "other.npz"
    shutil.copyfile(BUILTIN_NPZ, other)
    manifest = json.loads(BUILTIN_NPZ.with_suffix(".json").read_text())
    manifest["feature"]["music_canceller"] = False
    other.with_suffix(".json").write_text(json.dumps(manifest))
    wav = tmp_path / "phone.wav"
    sf.write(wav, phone_recording(), 44100, subtype="PCM_16")
    res = run("detect", wav, "--model", other)
    assert res.returncode == 0, res.stderr.decode()
    assert any("score" in json.loads(ln) for ln in res.stdout.decode().splitlines())
    assert_one_line_error(run("detect", wav, "--model", tmp_path / "missing.npz"), 3)
    assert_one_line_error(run("detect", wav, "--model", other, "--detector", "baseline"), 2)


@pytest.mark.parametrize(("answer", "expected"), [("y\n", True), ("n\n", False), ("", False)])
def test_install_question_takes_no_answer_as_no(monkeypatch, answer, expected):
    import io

    from uspd.cli import ask

    monkeypatch.setattr(sys, "stdin", io.StringIO(answer))
    assert ask("replace the shipped model?") is expected


def test_threshold_trades_detections_for_false_alarms_without_changing_scores(tmp_path):
    # the decision logic is monotone in its on-threshold: a lower one keeps every motion hop
    # of the tuned one (it switches on no later and off no sooner) and the scores are the same
    wav = tmp_path / "phone.wav"
    sf.write(wav, phone_recording(), 44100, subtype="PCM_16")

    def hops(*extra):
        res = run("detect", wav, *extra)
        assert res.returncode == 0, res.stderr.decode()
        return [r for r in map(json.loads, res.stdout.decode().splitlines()) if "score" in r]

    tuned, low = hops(), hops("--threshold", "0.3")
    assert [r["score"] for r in tuned] == [r["score"] for r in low]
    assert all(b["motion"] for a, b in zip(tuned, low, strict=True) if a["motion"])
    assert any(r["motion"] for r in low if 1.5 <= r["t"] <= 3.5)
    assert sum(r["motion"] for r in low) >= sum(r["motion"] for r in tuned)
    for bad in ("1.5", "0", "nan"):
        assert_one_line_error(run("detect", wav, "--threshold", bad), 2)
    assert_one_line_error(run("detect", wav, "--threshold", "0.5", "--detector", "baseline"), 2)
    assert_one_line_error(run("evaluate", wav, "--detector", "baseline", "--threshold", "0.5"),
                          2)
