"""int8 weights: each weight within half a step of the original, and the same network."""

import numpy as np
import pytest

from uspd.errors import InputError
from uspd.model.quantize import (
    SCALE_SUFFIX,
    dequantize_weights,
    quantize_weights,
    write_int8_model,
)
from uspd.model.runtime import load_model, p_human, softmax
from uspd.model.train_job import BUILTIN_NPZ


def test_roundtrip_is_within_half_a_step_per_output_channel():
    rng = np.random.default_rng(0)
    w = {"inp.weight": rng.normal(0, 0.3, (8, 5, 3)).astype(np.float32),
         "inp.bias": rng.normal(0, 1, 8).astype(np.float32),
         "head.weight": np.zeros((4, 8, 1), np.float32)}  # an all-zero tensor: scale 1
    w["inp.weight"][2] *= 50.0  # one loud channel must not coarsen the others
    q = quantize_weights(w)
    assert q["inp.weight"].dtype == np.int8 and q["inp.bias"].dtype == np.float32
    back = dequantize_weights(q)
    assert set(back) == set(w)
    step = q["inp.weight" + SCALE_SUFFIX][:, None, None]
    assert np.all(np.abs(back["inp.weight"] - w["inp.weight"]) <= 0.5 * step * (1 + 1e-6))
    assert step[0, 0, 0] < step[2, 0, 0] / 10
    assert np.array_equal(back["inp.bias"], w["inp.bias"])
    assert not back["head.weight"].any()


def test_int8_needs_its_scales():
    q = quantize_weights({"inp.weight": np.ones((2, 2, 2), np.float32)})
    with pytest.raises(InputError, match="scales"):
        dequantize_weights({"inp.weight": q["inp.weight"]})
    with pytest.raises(InputError, match="without"):
        dequantize_weights({"inp.weight" + SCALE_SUFFIX: q["inp.weight" + SCALE_SUFFIX]})


def test_shipped_model_in_int8_is_smaller_and_scores_alike(tmp_path):
    out = write_int8_model(BUILTIN_NPZ, tmp_path / "int8")
    assert out.stat().st_size < BUILTIN_NPZ.stat().st_size / 2.5
    f32, i8 = load_model(BUILTIN_NPZ), load_model(out)
    assert i8.manifest["weights_dtype"] == "int8"
    assert i8.feature_config() == f32.feature_config()
    assert i8.manifest["decision"] == f32.manifest["decision"]
    x = np.random.default_rng(1).uniform(-115, -50, (200, f32.arch.n_features))
    p = [p_human(softmax(b.network().process(x))) for b in (f32, i8)]
    assert 0 < np.abs(p[0] - p[1]).max() < 0.05
