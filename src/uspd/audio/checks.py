"""Pure checks on audio blocks: each failure is one SignalError with an actionable message.

Decisions (documented in the README by the lead):
- NaN/Inf anywhere -> SignalError (float input only; integer PCM cannot hold them).
- Silence: an all-zero head -> SignalError "input is silent".
- Clipping: if more than `CLIP_FRACTION_ERROR` of the head's samples sit at full scale the
  Doppler features would be dominated by clipping products -> SignalError; sporadic clipping
  later in a stream only warns (ClippingWarning, once per source) because detection still works.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray

from uspd.errors import InputError, SignalError

FULL_SCALE = 0.999  # |x| at or above this counts as clipped (float full scale = 1.0)
CLIP_FRACTION_ERROR = 0.01  # fraction of clipped samples in the head that makes it unusable
CLIP_RUN = 4  # consecutive full-scale samples on one channel = clipping (not a peak)


class ClippingWarning(UserWarning):
    """Part of the input is clipped; detection continues."""


def check_finite(block: NDArray, where_s: float = 0.0) -> None:
    """SignalError if the block holds NaN or Inf (where_s: block start time, for the message)."""
    if not np.all(np.isfinite(block)):
        bad = np.argwhere(~np.isfinite(block))[0]
        raise SignalError(
            f"input contains NaN/Inf (first at sample {int(bad[0])} of the block starting at "
            f"{where_s:.3f} s, channel {int(bad[-1]) if block.ndim > 1 else 0})"
        )


def check_not_silent(head: NDArray) -> None:
    """SignalError if the head is all zeros (nothing recorded, muted mic, wrong device)."""
    if head.size == 0:
        raise SignalError("input is empty")
    if not np.any(head):
        raise SignalError("input is silent (all samples are zero): check the microphone/device")


def clipped_fraction(block: NDArray) -> float:
    """Fraction of samples inside runs of >= CLIP_RUN consecutive full-scale samples."""
    x = np.asarray(block)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[0] < CLIP_RUN:
        return 0.0
    hit = np.abs(x) >= FULL_SCALE
    if not np.any(hit):
        return 0.0
    # a sample belongs to a run if some window of CLIP_RUN samples containing it is all hits
    c = np.cumsum(np.concatenate([np.zeros((1, x.shape[1]), int), hit.astype(int)]), axis=0)
    full = (c[CLIP_RUN:] - c[:-CLIP_RUN]) == CLIP_RUN  # window starting at i is all clipped
    in_run = np.zeros_like(hit)
    for k in range(CLIP_RUN):
        in_run[k:k + full.shape[0]] |= full
    return float(np.mean(in_run))


def check_clipping_head(head: NDArray) -> None:
    """SignalError if the head is clipped for more than CLIP_FRACTION_ERROR of its samples."""
    frac = clipped_fraction(head)
    if frac > CLIP_FRACTION_ERROR:
        raise SignalError(
            f"input is clipped ({100 * frac:.1f} % of samples at full scale in the first "
            "second): lower the input gain or the emission level"
        )


def warn_if_clipped(block: NDArray, where_s: float) -> bool:
    """Warn (ClippingWarning) if the block holds sustained clipping; returns True if so."""
    frac = clipped_fraction(block)
    if frac > 0.0:
        warnings.warn(
            f"input clipped near {where_s:.2f} s ({100 * frac:.1f} % of the block); "
            "detections there are less reliable",
            ClippingWarning,
            stacklevel=2,
        )
        return True
    return False


def check_channels(actual: int, expected: int | None, what: str) -> None:
    """InputError if the user declared a channel count the input does not have."""
    if expected is not None and actual != expected:
        raise InputError(
            f"{what} has {actual} channel(s) but --channels says {expected}"
        )
