"""The peak loss: each training window's highest human log-odds, down without a person, up
over a person's hops."""

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from test_train import synthetic_recording  # noqa: E402

from uspd.errors import ConfigError  # noqa: E402
from uspd.model.dataset import as_recording  # noqa: E402
from uspd.model.runtime import Arch  # noqa: E402
from uspd.model.train import TrainConfig, peak_loss, predict, train_model  # noqa: E402

ARCH = Arch(channels=8, dilations=(1, 2, 4))


def log_odds(z: np.ndarray) -> np.ndarray:
    e = np.exp(z)
    return np.log(e[..., 2:].sum(-1)) - np.log(e[..., :2].sum(-1))


def softplus(v: float) -> float:
    return float(np.log1p(np.exp(v)))


def test_peak_loss_is_softplus_of_each_windows_peak():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 6, 4))
    target = np.array([[0, 1, 0, 0, 1, 1],  # no person: its highest log-odds, pushed down
                       [0, 2, 3, 0, 0, 1],  # person at hops 1-2: their highest, pushed up
                       [3, 3, 3, 3, 3, 3]])
    lo = log_odds(z)
    want = np.mean([softplus(lo[0].max()), softplus(-lo[1, 1:3].max()),
                    softplus(-lo[2].max())])
    got = peak_loss(torch.tensor(z), torch.tensor(target))
    assert float(got) == pytest.approx(want, rel=1e-9)


def test_only_each_windows_peak_hop_gets_a_gradient():
    rng = np.random.default_rng(1)
    z = torch.tensor(rng.normal(size=(2, 8, 4)), requires_grad=True)
    target = torch.tensor([[0] * 8, [0, 0, 2, 2, 2, 0, 0, 0]])
    peak_loss(z, target).backward()
    touched = (z.grad.abs().sum(-1) > 0).numpy()
    lo = log_odds(z.detach().numpy())
    assert touched.sum(axis=1).tolist() == [1, 1]
    assert touched[0].argmax() == lo[0].argmax()
    assert touched[1].argmax() == 2 + lo[1, 2:5].argmax()
    # pushed the right way: an empty window's peak down, a person's peak up
    g = z.grad.numpy()
    h0, h1 = touched[0].argmax(), touched[1].argmax()
    assert g[0, h0, 2:].sum() > 0 > g[0, h0, :2].sum()
    assert g[1, h1, 2:].sum() < 0 < g[1, h1, :2].sum()


def test_training_with_it_lowers_the_peak_loss_on_unseen_recordings(tmp_path):
    """Fails if the option does not reach the optimiser: the same seed and data with the peak
    term give a lower peak loss on validation windows than without it."""
    rng = np.random.default_rng(7)
    train = [synthetic_recording(1200, rng) for _ in range(3)]
    val = [synthetic_recording(1200, rng) for _ in range(2)]
    base = TrainConfig(epochs=3, steps_per_epoch=20, batch=32, lr=5e-3, seed=1, arch=ARCH,
                       target_recall=0.9, progress=False, patience=10)
    losses = {}
    for name, w in (("plain", 0.0), ("peak", 5.0)):
        res = train_model(train, val, dataclasses.replace(base, name=name, peak_loss_weight=w),
                          tmp_path / name)
        assert res.manifest["train"]["config"]["peak_loss_weight"] == w
        out = []
        for x, y in val:
            z = predict(res.model, as_recording((x, y), 0.025).features)
            n = (len(y) // 16) * 16  # windows of 16 hops, as the training loss reads them
            out.append(float(peak_loss(torch.tensor(z[:n].reshape(-1, 16, 4)),
                                       torch.tensor(y[:n].reshape(-1, 16)))))
        losses[name] = float(np.mean(out))
    assert losses["peak"] < 0.9 * losses["plain"]


@pytest.mark.parametrize("bad", [-0.1, float("inf"), float("nan")])
def test_a_bad_peak_weight_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="peak_loss_weight"):
        TrainConfig(peak_loss_weight=bad).validate()
