"""Distillation: the network learns a teacher ensemble's class probabilities."""

import dataclasses
import hashlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from test_train import synthetic_recording  # noqa: E402

from uspd.dsp.frontend import FrontEndConfig  # noqa: E402
from uspd.errors import ConfigError, InputError  # noqa: E402
from uspd.model.dataset import as_recording  # noqa: E402
from uspd.model.net import DopplerTCN  # noqa: E402
from uspd.model.runtime import Arch, model_inputs, softmax  # noqa: E402
from uspd.model.train import (  # noqa: E402
    TrainConfig,
    distill_loss,
    load_teachers,
    predict,
    teacher_probabilities,
    train_model,
)

ARCH = Arch(channels=8, dilations=(1, 2, 4))


def test_distill_loss_is_the_tempered_kl_to_the_teachers_probabilities():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 5, 4))
    p_t = softmax(rng.normal(size=(3, 5, 4)))
    temp = 2.0
    log_q = np.log(softmax(z / temp))
    want = temp**2 * np.sum(p_t * (np.log(p_t) - log_q)) / 15  # mean over the 15 hops
    got = distill_loss(torch.tensor(z), torch.tensor(p_t), temp)
    assert float(got) == pytest.approx(want, rel=1e-9)
    # nothing to learn from a teacher that already agrees
    same = torch.tensor(softmax(z / temp))
    assert float(distill_loss(torch.tensor(z), same, temp)) == pytest.approx(0, abs=1e-12)


def test_teacher_probabilities_average_the_members_at_the_temperature():
    rng = np.random.default_rng(1)
    nets = [DopplerTCN(ARCH) for _ in range(2)]
    x = synthetic_recording(200, rng)[0]
    got = teacher_probabilities(nets, model_inputs(ARCH, x), 3.0)
    want = np.mean([softmax(predict(n, x) / 3.0) for n in nets], axis=0)
    assert got.shape == (200, 4) and np.abs(got - want).max() < 1e-5
    assert np.allclose(got.sum(axis=1), 1, atol=1e-5)


def test_a_student_on_scrambled_labels_learns_the_teacher(tmp_path):
    """Labels shuffled in time carry no information; with distill_weight 1 the student
    follows the teacher anyway, with 0 it does not."""
    rng = np.random.default_rng(5)
    train = [synthetic_recording(1200, rng) for _ in range(3)]
    val = [synthetic_recording(1200, rng) for _ in range(2)]
    base = TrainConfig(epochs=4, steps_per_epoch=20, batch=32, lr=5e-3, seed=1, arch=ARCH,
                       target_recall=0.9, progress=False)
    teacher = train_model(train, val, dataclasses.replace(base, name="teacher"),
                          tmp_path / "t")
    scrambled = [(x, rng.permutation(y)) for x, y in train]
    cfgs = {
        "hard": dataclasses.replace(base, name="hard"),
        "soft": dataclasses.replace(base, name="soft", teachers=(str(teacher.model_path),),
                                    distill_weight=1.0),
    }
    x = as_recording(val[0], 0.025).features
    want = softmax(predict(teacher.model, x)).argmax(axis=1)
    agree = {}
    for name, cfg in cfgs.items():
        res = train_model(scrambled, val, cfg, tmp_path / name)
        student = res.model
        agree[name] = float(np.mean(softmax(predict(student, x)).argmax(axis=1) == want))
    assert agree["soft"] > 0.8 and agree["soft"] > agree["hard"] + 0.2
    # the manifest names the teacher by path and content
    sha = hashlib.sha256(teacher.model_path.read_bytes()).hexdigest()
    assert res.manifest["train"]["teachers"] == [{"path": str(teacher.model_path),
                                                  "sha256": sha}]


def test_teachers_must_read_the_same_inputs_and_fit_the_window(tmp_path):
    rng = np.random.default_rng(2)
    data = [synthetic_recording(300, rng) for _ in range(2)]
    fe = dataclasses.asdict(FrontEndConfig())
    cfg = TrainConfig(epochs=1, steps_per_epoch=2, batch=8, progress=False, arch=ARCH,
                      feature=fe)  # recorded in the manifest, as uspd train records it
    path = train_model(data[:1], data[1:], cfg, tmp_path).model_path
    assert len(load_teachers([path], ARCH, cfg.windows(), cfg.out_hops)) == 1
    with pytest.raises(InputError, match="other inputs"):
        load_teachers([path], dataclasses.replace(ARCH, history_delay_hops=40),
                      cfg.windows(), cfg.out_hops)
    with pytest.raises(InputError, match="hops of context"):
        load_teachers([path], ARCH, cfg.out_hops + 2, cfg.out_hops)
    with pytest.raises(InputError):
        load_teachers([tmp_path / "missing.npz"], ARCH, cfg.windows(), cfg.out_hops)
    # trained on the default front end: a recipe on another one cannot use it
    assert len(load_teachers([path], ARCH, cfg.windows(), cfg.out_hops, fe)) == 1
    with pytest.raises(InputError, match="window_s"):
        load_teachers([path], ARCH, cfg.windows(), cfg.out_hops, {**fe, "window_s": 0.05})


@pytest.mark.parametrize("change", [{"teachers": ("a.npz",)}, {"distill_weight": 0.5},
                                    {"teachers": ("a.npz",), "distill_weight": 1.5},
                                    {"teachers": ("a.npz",), "distill_weight": 0.5,
                                     "distill_temperature": 0.0},
                                    {"teachers": ("missing.npz",), "distill_weight": 0.5}])
def test_bad_distillation_settings_are_config_errors(change):
    with pytest.raises(ConfigError, match=r"distill|teacher"):
        dataclasses.replace(TrainConfig(), **change).validate()
