"""Decision tuning on validation recordings scores what the deployed detector would do."""

from types import SimpleNamespace

import numpy as np

from uspd.labels import Labels, Segment
from uspd.model.dataset import Recording
from uspd.model.tune import tune_decision

HOP = 0.025
WARM_UP = 47


class ScriptedNetwork:
    """Logits: 'major' for the first `loud` hops (the zero start state of a real network can
    look like this), then 'nothing'."""

    def __init__(self, loud):
        self.loud = loud

    def process(self, x):
        logits = np.zeros((x.shape[0], 4))
        logits[: self.loud, 3] = 20.0
        logits[self.loud :, 0] = 20.0
        return logits


def bundle(loud):
    arch = SimpleNamespace(receptive_field_hops=WARM_UP)
    return SimpleNamespace(arch=arch, network=lambda: ScriptedNetwork(loud))


def empty_recording(n_hops=800):
    t = np.arange(1, n_hops + 1) * HOP
    labels = Labels(96000, 4e4, n_hops * HOP, 4, (Segment(0.0, n_hops * HOP, "empty"),))
    return Recording(np.zeros((n_hops, 40), np.float32), np.zeros(n_hops, np.int64), t, labels)


def test_start_state_within_warm_up_is_not_a_false_alarm():
    # the detector reports no motion during its warm-up, so tuning must not count it
    tuned = tune_decision(bundle(WARM_UP - 5), [empty_recording()])
    assert tuned.false_alarms == 0
    # past the warm-up the same scores are a false alarm for every setting
    tuned = tune_decision(bundle(WARM_UP + 20), [empty_recording()])
    assert tuned.false_alarms == 1
