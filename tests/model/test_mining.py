"""Hard-negative mining: which scenes are kept, what is written, what training may read."""

import json

import numpy as np
import pytest

from uspd.detect import Decisions
from uspd.dsp.frontend import FrontEndConfig
from uspd.errors import ConfigError
from uspd.labels import Labels, Segment
from uspd.model.dataset import Recording
from uspd.model.mining import (
    mine,
    read_hard_negatives,
    score_candidate,
    write_hard_negatives,
)
from uspd.model.simdata import SceneSpec

HOP = 0.025


class ColumnDetector:
    """Stand-in for NeuralDetector: score = feature column 0, motion where score >= 0.65."""

    def __init__(self):
        self.resets = 0
        self.fe_cfg = FrontEndConfig(n_velocity_bins=3)  # recording() has 3 columns

    def reset(self):
        self.resets += 1

    def process(self, block):
        score = block.doppler_db[:, 0].astype(float)
        return Decisions(block.t_end_s, score, score >= 0.65)


def recording(spikes, duration_s=20.0):
    """A person walks 8-12 s; `spikes` = [(t0, t1, score)] written into feature column 0."""
    t = np.arange(1, round(duration_s / HOP) + 1) * HOP
    x = np.zeros((t.size, 3), np.float32)
    for t0, t1, value in spikes:
        x[(t >= t0) & (t < t1), 0] = value
    labels = Labels(96000, 4e4, duration_s, 4, (
        Segment(0.0, 8.0, "empty"), Segment(8.0, 12.0, "major", 1.0),
        Segment(12.0, duration_s, "empty")))
    return Recording(x, np.zeros(t.size, np.int64), t, labels)


def test_peak_and_false_alarms_count_only_scored_empty_time():
    rec = recording([(3.0, 3.1, 0.8),  # empty room: a false alarm
                     (9.0, 11.0, 0.95),  # during the walk: not a false alarm
                     (12.2, 12.4, 0.9),  # just after the person left: not scored
                     (16.0, 16.5, 0.6)])  # empty, below the motion threshold
    det = ColumnDetector()
    m = score_candidate(det, SceneSpec("x", 1, 20.0), rec)
    assert det.resets == 1
    assert m.peak_score == pytest.approx(0.8)
    assert m.false_alarms == 1
    assert 20.0 - 4.0 - 1.5 - 0.1 < m.empty_s < 20.0 - 4.0


def test_mine_sorts_by_peak_and_write_keeps_those_over_threshold(tmp_path):
    specs = [SceneSpec("empty-fan", 200_000 + i, 20.0, "laptop") for i in range(3)]
    recs = [recording([(2.0, 2.5, v)]) for v in (0.3, 0.9, 0.55)]
    mined = mine(ColumnDetector(), specs, recs)
    assert [m.spec.seed for m in mined] == [200_001, 200_002, 200_000]
    path = tmp_path / "hn.json"
    kept = write_hard_negatives(path, mined, 0.5, {"model": "m.npz"})
    assert [m.spec.seed for m in kept] == [200_001, 200_002]
    doc = json.loads(path.read_text())
    assert doc["candidates"] == 3 and doc["candidate_false_alarms"] == 1
    assert [s["seed"] for s in doc["scenes"]] == [200_001, 200_002]
    specs_back = read_hard_negatives(path, (1000, 501_000))
    assert specs_back == [specs[1], specs[2]]


def test_training_refuses_mined_seeds_outside_its_range_and_foreign_files(tmp_path):
    path = tmp_path / "hn.json"
    mined = mine(ColumnDetector(), [SceneSpec("empty-fan", 900_000_001, 20.0)],
                 [recording([(2.0, 2.5, 0.9)])])
    write_hard_negatives(path, mined, 0.5, {})
    with pytest.raises(ConfigError, match="outside the training seeds"):
        read_hard_negatives(path, (1000, 501_000))
    path.write_text('{"scenes": []}')
    with pytest.raises(ConfigError, match="not a uspd hard-negative list"):
        read_hard_negatives(path, (1000, 501_000))
    with pytest.raises(ConfigError, match="uspd mine"):
        read_hard_negatives(tmp_path / "missing.json", (1000, 501_000))
