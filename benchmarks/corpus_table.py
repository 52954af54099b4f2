"""One table of the streaming runs of `heldout_eval.py`: a row per run, the corpora in order.

    PYTHONPATH=src python benchmarks/corpus_table.py [docs/*.json] [--target-recall 0.99]

Each run's JSON holds the whole evaluation; this prints what the issue's targets read from it
(markdown, for the README): major walkers found and minor motions within 2 m at the deployed
setting, deployed false alarms in the scored empty time, median latency, FA/h at the target
recall over all empty time and on the empty families alone, the latter again at the target
recall of the walkers within each --within distance the run measured, and the baseline's
FA/h over the model's at the target recall. Runs without a heldout_eval summary (other JSON
files given) are skipped with a note; no file is changed. The closing line counts the runs
that meet the issue's ≤ 0.1 FA/h on the empty families at the target recall.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from heldout_eval import CORPORA

EMPTY_FAMILIES_TARGET = 0.1  # FA/h, the target on the empty families


def corpus_name(seeds_from: int, scale: float) -> str:
    """'thirteenth (999975586+)'; a scale other than the suite's 6.5 is named too."""
    name = CORPORA.get(seeds_from, "seeds")
    return f"{name} ({seeds_from}+" + (f", scale {scale:g})" if scale != 6.5 else ")")


def model_name(run: dict) -> str:
    """The model path and, in runs since stop 43, its decision and the weights' hash."""
    text = run.get("model", "?")
    if "decision" in run:
        text += f": {run['decision']}"
    if "model_sha256" in run:
        text += f" (`{run['model_sha256'][:8]}…`)"
    return text


def row(run: dict, target: str) -> dict[str, object]:
    """The table's figures of one run; target: the operating point's key, e.g. '0.99'."""
    neural = run["overall"]["neural"]
    base = run["overall"].get("baseline", {}).get("operating_points", {}).get(target)
    at_target = neural["operating_points"].get(target)
    fams = run["empty_families_at_corpus_target_threshold"].get("neural")
    within = {d: w["neural"]["fa_per_hour"]
              for d, w in run.get("empty_families_at_target_threshold_within_m", {}).items()
              if "neural" in w}
    major = neural["major"]
    fa_all = at_target["fa_per_hour"] if at_target else None
    return {
        "corpus": corpus_name(run["seeds_from"], run["scale"]),
        "model": model_name(run),
        "walkers": f"{major['n_detected']}/{major['n_events']}",
        "minor_near": neural["minor_near"]["recall"],
        "false_alarms": neural["false_alarms"], "empty_h": neural["empty_h"],
        "latency_s": major["latency_median_s"],
        "fa_all": fa_all, "fa_families": fams["fa_per_hour"] if fams else None,
        "fa_within": within,
        "ratio": (base["fa_per_hour"] / fa_all if base and fa_all else None),
    }


def _fig(x: float | None, fmt: str = ".2f") -> str:
    return "–" if x is None else format(x, fmt)


def markdown(rows: list[dict], target_pct: str) -> str:
    """The rows as a markdown table."""
    head = ["corpus", "model and decision", "walkers found", "minor ≤ 2 m",
            "false alarms (empty h)", "latency", f"FA/h at {target_pct}: all / empty families",
            "empty families, walkers within", "baseline ÷ model"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        within = ", ".join(f"{d} m: {v:.2f}" for d, v in r["fa_within"].items()) or "–"
        ratio = "–" if r["ratio"] is None else f"{r['ratio']:.0f}x"  # None: no alarm at target
        cells = [r["corpus"], r["model"], r["walkers"], f"{100 * r['minor_near']:.1f} %",
                 f"{r['false_alarms']} ({r['empty_h']:.1f} h)", f"{r['latency_s']:.2f} s",
                 f"{_fig(r['fa_all'])} / **{_fig(r['fa_families'])}**", within, ratio]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load_runs(paths: list[Path]) -> tuple[list[dict], list[str]]:
    """The heldout_eval runs among `paths`, in corpus order, and a note per file skipped."""
    runs, skipped = [], []
    for path in paths:
        try:
            run = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            skipped.append(f"{path}: not readable JSON ({exc})")
            continue
        if not (isinstance(run, dict) and {"seeds_from", "overall", "scale"} <= run.keys()):
            skipped.append(f"{path}: not a heldout_eval.py run")
            continue
        if "empty_families_at_corpus_target_threshold" not in run:
            skipped.append(f"{path}: a heldout_eval.py run older than its empty-family "
                           "figures")
            continue
        runs.append(run)
    runs.sort(key=lambda r: (r["scale"], r["seeds_from"]))
    return runs, skipped


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="*", type=Path,
                    help="heldout_eval.py JSON outputs (default: docs/*.json)")
    ap.add_argument("--target-recall", default="0.99",
                    help="the operating point to read, as the runs name it")
    args = ap.parse_args()
    paths = args.runs or sorted(Path("docs").glob("*.json"))
    if not paths:
        sys.exit("error: no runs given and none in docs/")
    runs, skipped = load_runs(paths)
    for note in skipped:
        print(f"skipped {note}", file=sys.stderr)
    if not runs:
        sys.exit("error: none of the files is a heldout_eval.py run")
    target = args.target_recall
    if any(target not in r["overall"]["neural"].get("operating_points", {}) for r in runs):
        sys.exit(f"error: not every run measured the operating point {target} (see "
                 "heldout_eval.py --target-recall)")
    rows = [row(r, target) for r in runs]
    pct = f"{100 * float(target):g} %"
    print(markdown(rows, pct))
    met = [r for r in rows if r["fa_families"] is not None
           and r["fa_families"] <= EMPTY_FAMILIES_TARGET]
    print(f"\n{len(met)} of {len(rows)} runs at ≤ {EMPTY_FAMILIES_TARGET:g} FA/h on the empty "
          f"families at {pct} recall" + (
              f": {', '.join(r['corpus'] for r in met)}" if met else ""))


if __name__ == "__main__":
    main()
