"""Torch definition of the neural classifier (training only; inference uses runtime.py).

A causal dilated temporal CNN over feature hops, velocity bins as input channels (see
uspd.model.runtime for the exact equations, which this module must match). Default shape:
32 channels, kernel 3, dilations (1, 2, 4, 8, 8) -> receptive field 47 hops (1.175 s at the
25 ms hop), ~16.4k parameters, ~16.3k multiply-accumulates per hop (~0.65 M per second).
Optional history channels (runtime.PeakHistory) double the inputs; they are computed outside
the network (runtime.model_inputs), so training windows stay short.
Normalisation (per-bin offset and scale from training statistics) is a fixed buffer inside
the model, so it runs on raw dB features.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from uspd.model.runtime import FORMAT, Arch, manifest_path, npz_path

MAX_PARAMS = 50_000
MAX_MACS_PER_S = 1_000_000


class DopplerTCN(nn.Module):
    """forward(x (batch, n_hops, n_inputs) raw dB) -> logits (batch, n_hops, n_classes).

    x: runtime.model_inputs of the features (the features themselves unless the arch has
    history channels).

    Causal: output at hop t depends on hops t - receptive_field + 1 .. t only, with zero
    left padding per layer (the runtime's zero-initialised ring buffers).
    """

    def __init__(self, arch: Arch | None = None):
        super().__init__()
        self.arch = arch or Arch()
        a = self.arch
        self.register_buffer("norm_offset", torch.zeros(a.n_inputs))
        self.register_buffer("norm_scale", torch.ones(a.n_inputs))
        self.inp = nn.Conv1d(a.n_inputs, a.channels, a.kernel, dilation=a.dilations[0])
        self.blocks = nn.ModuleList(
            nn.Conv1d(a.channels, a.channels, a.kernel, dilation=d) for d in a.dilations[1:]
        )
        self.head = nn.Conv1d(a.channels, a.n_classes, 1)

    @classmethod
    def from_weights(cls, arch: Arch, weights: dict[str, np.ndarray]) -> DopplerTCN:
        """The torch model of exported (or dequantised) weights, in eval mode: the inverse of
        export_npz, e.g. for batch scoring of a runtime.ModelBundle."""
        model = cls(arch)
        model.load_state_dict({k: torch.as_tensor(np.asarray(v, np.float32))
                               for k, v in weights.items()})
        return model.eval()

    def set_normalisation(self, offset_db: np.ndarray, scale: np.ndarray) -> None:
        """Fixed per-bin affine: z = (x_db - offset_db) * scale."""
        self.norm_offset.copy_(torch.as_tensor(offset_db, dtype=torch.float32))
        self.norm_scale.copy_(torch.as_tensor(scale, dtype=torch.float32))

    def _conv(self, conv: nn.Conv1d, h: torch.Tensor) -> torch.Tensor:
        pad = (conv.kernel_size[0] - 1) * conv.dilation[0]
        return conv(F.pad(h, (pad, 0)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.arch.clip
        z = torch.clamp((x - self.norm_offset) * self.norm_scale, -c, c).transpose(1, 2)
        h = torch.relu(self._conv(self.inp, z))
        for blk in self.blocks:
            h = h + torch.relu(self._conv(blk, h))
        return self.head(h).transpose(1, 2)


def count_budget(model: DopplerTCN, hop_s: float = 0.025) -> dict[str, float]:
    """Parameters (counted from the torch tensors) and streaming MACs per hop / per second."""
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {
        "params": int(n_params),
        "macs_per_hop": int(model.arch.macs_per_hop()),
        "macs_per_s": float(model.arch.macs_per_s(hop_s)),
        "echo_ops_per_hop": int(model.arch.echo_ops_per_hop()),
        "receptive_field_hops": int(model.arch.receptive_field_hops),
        "receptive_field_s": float(model.arch.receptive_field_hops * hop_s),
    }


def export_npz(model: DopplerTCN, path: str | Path, manifest: dict[str, Any]) -> Path:
    """Write weights `<path>.npz` (float32, state_dict names) + manifest `<path>.json`.

    The manifest gets the format tag, architecture and budget added; pass feature config,
    classes, threshold, training seeds and metrics in `manifest`.
    """
    path = npz_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in
              model.state_dict().items()}
    np.savez(path, **arrays)
    hop_s = float(manifest.get("feature", {}).get("hop_s", 0.025))
    full = {"format": FORMAT, "arch": model.arch.to_json(), **manifest,
            "budget": count_budget(model, hop_s)}
    manifest_path(path).write_text(json.dumps(full, indent=1, default=_json_default))
    return path


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
