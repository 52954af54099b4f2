"""benchmarks/corpus_table.py: a row per streaming run, read from heldout_eval's JSON."""

import json

import pytest

from benchmark_script import load_benchmark


def load_script():
    return load_benchmark("corpus_table")


def run_json(seeds_from, fa_all, fa_fams, base_fa=383.0, scale=6.5, **extra):
    """The parts of a heldout_eval.py JSON the table reads."""
    op = {"0.99": {"fa_per_hour": fa_all, "false_alarms": 7}}
    return {
        "seeds_from": seeds_from, "scale": scale, "model": "m.npz",
        "overall": {
            "neural": {"major": {"n_detected": 980, "n_events": 1000, "latency_median_s": 0.3},
                       "minor_near": {"recall": 0.955}, "false_alarms": 2, "empty_h": 31.9,
                       "operating_points": op},
            "baseline": {"operating_points": {"0.99": {"fa_per_hour": base_fa}}},
        },
        "empty_families_at_corpus_target_threshold": {"neural": {"fa_per_hour": fa_fams}},
        "empty_families_at_target_threshold_within_m": {"3": {"neural": {"fa_per_hour": 0.5}}},
        **extra,
    }


def test_a_row_reads_each_figure_from_its_own_place_in_the_run():
    mod = load_script()
    r = mod.row(run_json(999_975_586, 2.0, 0.25, base_fa=400.0,
                         decision="p_human >= 0.998 over 6 hops", model_sha256="ab" * 32), "0.99")
    assert r["corpus"] == "thirteenth (999975586+)"
    assert r["model"] == "m.npz: p_human >= 0.998 over 6 hops (`abababab…`)"
    assert r["walkers"] == "980/1000"
    assert (r["fa_all"], r["fa_families"]) == (2.0, 0.25)
    assert r["fa_within"] == {"3": 0.5}
    assert r["ratio"] == pytest.approx(200.0)
    # no alarm at the target: no ratio, rather than a division by zero
    assert mod.row(run_json(950_000_000, 0.0, 0.0), "0.99")["ratio"] is None


def test_runs_are_ordered_by_corpus_and_files_that_are_not_runs_are_skipped(tmp_path):
    mod = load_script()
    paths = []
    for name, payload in [("b", run_json(999_975_586, 1, 1)), ("a", run_json(950_000_000, 1, 1)),
                          ("c", {"hello": 1}), ("d", {"seeds_from": 1, "overall": {},
                                                      "scale": 1})]:
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(payload))
    broken = tmp_path / "e.json"
    broken.write_text("{")
    runs, skipped = mod.load_runs([*paths, broken])
    assert [r["seeds_from"] for r in runs] == [950_000_000, 999_975_586]
    assert len(skipped) == 3 and "older" in skipped[1] and "not readable" in skipped[2]


def test_the_table_has_a_line_per_run_and_marks_an_unknown_figure():
    mod = load_script()
    rows = [mod.row(run_json(900_000_000, 3.76, 1.10), "0.99"),
            mod.row(run_json(900_000_000, 0.0, 0.0, scale=2.0), "0.99")]
    text = mod.markdown(rows, "99 %").splitlines()
    assert len(text) == 2 + len(rows)
    assert "held-out (900000000+)" in text[2] and "3.76 / **1.10**" in text[2]
    assert "scale 2" in text[3] and "| – |" in text[3]
