from dataclasses import dataclass, field

import pytest

from uspd.config import load_into, override
from uspd.errors import ConfigError


@dataclass(frozen=True)
class Inner:
    hop_s: float = 0.025
    bins: int = 40


@dataclass(frozen=True)
class Outer:
    name: str = "x"
    verbose: bool = False
    carriers_hz: tuple = (20e3, 40e3)
    inner: Inner = field(default_factory=Inner)


def test_override_fills_nested_and_coerces_int_to_float():
    cfg = override(Outer(), {"inner": {"hop_s": 1}, "carriers_hz": [1, 2]})
    assert cfg.inner.hop_s == 1.0 and isinstance(cfg.inner.hop_s, float)
    assert cfg.inner.bins == 40
    assert cfg.carriers_hz == (1, 2)


def test_unknown_key_is_an_error_naming_the_path():
    with pytest.raises(ConfigError, match=r"inner\.hopp_s"):
        override(Outer(), {"inner": {"hopp_s": 0.1}})


def test_wrong_type_is_an_error():
    with pytest.raises(ConfigError, match="verbose"):
        override(Outer(), {"verbose": "yes"})
    with pytest.raises(ConfigError, match="bins"):
        override(Outer(), {"inner": {"bins": "many"}})


def test_load_from_file(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('name = "room"\n[inner]\nbins = 32\n')
    cfg = load_into(Outer(), p)
    assert (cfg.name, cfg.inner.bins) == ("room", 32)
    with pytest.raises(ConfigError, match="no configuration file"):
        load_into(Outer(), tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_into(Outer(), bad)
