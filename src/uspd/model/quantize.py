"""int8 weights for the neural classifier: 4x smaller files, the same numpy forward pass.

Each weight tensor (conv kernels, the head) is stored as symmetric int8 with one float32 scale
per output channel: q = round(w / s), s = max |w[o]| / 127, so the stored weight is within s / 2
of the original. Biases and the input normalisation stay float32 (they are a few hundred
numbers). The runtime dequantises at load time and computes in float64 as for float weights, so
the only accuracy cost is the rounding of the weights; benchmarks/heldout_eval.py --model
measures it. Why not int8 arithmetic: the network is 0.65 M MAC/s, far below what a DSP or one
laptop core does in float; the file size and a DSP's weight memory are what int8 buys.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from uspd.errors import InputError

SCALE_SUFFIX = "__scale"  # array `<name>__scale` holds the per-output-channel scales of `<name>`
QMAX = 127


def quantize_weights(weights: dict[str, NDArray]) -> dict[str, NDArray]:
    """Arrays to store: every '.weight' tensor as int8 plus its scales, the rest as float32."""
    out: dict[str, NDArray] = {}
    for name, w in weights.items():
        w = np.asarray(w, np.float32)
        if not name.endswith(".weight") or w.ndim < 2:
            out[name] = w
            continue
        peak = np.abs(w).reshape(w.shape[0], -1).max(axis=1)
        scale = np.where(peak > 0, peak / QMAX, 1.0).astype(np.float32)
        shaped = scale.reshape((-1,) + (1,) * (w.ndim - 1))
        out[name] = np.clip(np.rint(w / shaped), -QMAX, QMAX).astype(np.int8)
        out[name + SCALE_SUFFIX] = scale
    return out


def dequantize_weights(arrays: dict[str, NDArray]) -> dict[str, NDArray]:
    """Float weights from stored arrays (float files pass unchanged)."""
    out: dict[str, NDArray] = {}
    for name, a in arrays.items():
        if name.endswith(SCALE_SUFFIX):
            if name[: -len(SCALE_SUFFIX)] not in arrays:
                raise InputError(f"model weights: scales '{name}' without their tensor")
            continue
        if a.dtype == np.int8:
            scale = arrays.get(name + SCALE_SUFFIX)
            if scale is None or scale.shape != (a.shape[0],):
                raise InputError(f"model weights: int8 '{name}' needs {a.shape[0]} scales")
            a = a.astype(np.float32) * scale.reshape((-1,) + (1,) * (a.ndim - 1))
        out[name] = a
    return out


def write_int8_model(src_npz: str | Path, out_npz: str | Path) -> Path:
    """Write an int8 copy of the model at `src_npz` (and its manifest) to `out_npz`."""
    from uspd.model.runtime import load_model, manifest_path, npz_path

    bundle = load_model(src_npz)
    out = npz_path(out_npz)
    out.parent.mkdir(parents=True, exist_ok=True)
    stored = quantize_weights(bundle.weights)
    with out.open("wb") as f:
        np.savez_compressed(f, **stored)
    manifest = {**bundle.manifest, "weights_dtype": "int8",
                "quantized_from": Path(src_npz).name}
    manifest_path(out).write_text(json.dumps(manifest, indent=1))
    return out


__all__ = ["dequantize_weights", "quantize_weights", "write_int8_model"]
