"""Ensembles: several trained networks whose class probabilities the runtime averages.

Networks trained alike from different seeds make different mistakes on the rare empty-room
scenes that set the false-alarm rate (stop 26: one recipe's two seeds differ by 2.3x), and the
mean of their probabilities keeps only what they agree on. An ensemble is one model file: each
member's arrays under MEMBER_PREFIX, and a manifest listing the members' architectures, with
the budget summed over them (the issue's ≤ 50 k parameters and ≤ 1 M MAC/s are for the whole
detector). The decision logic of the ensemble is tuned afresh (uspd.model.tune), as the mean
of probabilities is not any member's score. Torch-free.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from uspd.errors import InputError
from uspd.model.runtime import FORMAT, MEMBER_PREFIX, Arch, load_model, manifest_path, npz_path


def ensemble_budget(archs: Sequence[Arch], hop_s: float) -> dict[str, float]:
    """The budget of networks run side by side: parameters, MACs and echo operations add up;
    the receptive field is the longest member's."""
    return {
        "params": sum(a.n_params() for a in archs),
        "macs_per_hop": sum(a.macs_per_hop() for a in archs),
        "macs_per_s": float(sum(a.macs_per_s(hop_s) for a in archs)),
        "echo_ops_per_hop": sum(a.echo_ops_per_hop() for a in archs),
        "receptive_field_hops": max(a.receptive_field_hops for a in archs),
        "receptive_field_s": max(a.receptive_field_hops for a in archs) * hop_s,
        "members": len(archs),
    }


def join_models(paths: Sequence[str | Path], out: str | Path,
                extra: dict[str, Any] | None = None) -> Path:
    """Write the ensemble of the single-network models at `paths` to `<out>.npz` + `.json`
    and return the .npz path. The members must share the classes and the front end they were
    trained on. The manifest's threshold is the members' mean until the ensemble is tuned;
    `extra` adds manifest keys."""
    if len(paths) < 2:
        raise InputError("an ensemble needs two or more models")
    bundles = [load_model(p) for p in paths]
    for p, b in zip(paths, bundles, strict=True):
        if b.members:
            raise InputError(f"{p} is an ensemble already; join its members instead")
    first = bundles[0].manifest
    for key in ("classes", "feature"):
        if any(b.manifest.get(key) != first.get(key) for b in bundles[1:]):
            raise InputError(f"cannot join models trained with different {key}")
    arrays = {MEMBER_PREFIX.format(i) + name: np.asarray(w, np.float32)
              for i, b in enumerate(bundles) for name, w in b.weights.items()}
    hop_s = float(first.get("feature", {}).get("hop_s", 0.025))
    members = [{"source": Path(p).name, "arch": b.arch.to_json(),
                "budget": b.manifest.get("budget"), "train": b.manifest.get("train"),
                "metrics": b.manifest.get("metrics")} for p, b in zip(paths, bundles,
                                                                     strict=True)]
    manifest = {"format": FORMAT, "classes": first.get("classes"),
                "feature": first.get("feature"),
                "threshold": float(np.mean([b.threshold for b in bundles])),
                "members": members, **(extra or {}),
                "budget": ensemble_budget([b.arch for b in bundles], hop_s)}
    out = npz_path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **arrays)
    manifest_path(out).write_text(json.dumps(manifest, indent=1))
    load_model(out)  # what was written loads
    return out


__all__ = ["ensemble_budget", "join_models"]
