"""A scene: everything the renderer needs, as frozen dataclasses with working defaults."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from uspd.errors import ConfigError
from uspd.sim.device import Device, Microphones, Speaker, check_schedule
from uspd.sim.environment import Environment
from uspd.sim.music import MusicConfig
from uspd.sim.room import FurniturePoint, Room
from uspd.sim.sources import MotionSource

__all__ = [
    "Device", "Emission", "Environment", "FurniturePoint", "Microphones", "MusicConfig", "Room",
    "Scene", "Speaker",
]


@dataclass(frozen=True)
class Emission:
    """The tone: carrier (Hz), level (dB SPL RMS at 1 m for the nominal loudspeaker unit),
    on/off schedule ((t_on, t_off) pairs, s; None = always on) with raised-cosine ramps."""

    carrier_hz: float = 40000.0
    level_db_spl: float = 85.0
    schedule: tuple[tuple[float, float], ...] | None = None
    ramp_s: float = 0.01

    def __post_init__(self) -> None:
        if not 0 < self.ramp_s <= 1.0:
            raise ConfigError("emission.ramp_s must be in (0, 1] s")
        if not 0 <= self.level_db_spl <= 130:
            raise ConfigError("emission.level_db_spl must be 0..130 dB SPL")
        check_schedule(self.schedule, self.ramp_s)


@dataclass(frozen=True)
class Scene:
    """A recording to render. baseband_decimation: fs / baseband rate (None = 16 at >= 88.2 kHz,
    else 10). music None = no music."""

    name: str = "scene"
    seed: int = 0
    fs_hz: int = 96000
    duration_s: float = 5.0
    room: Room = field(default_factory=Room)
    device: Device = field(default_factory=Device)
    emission: Emission = Emission()
    environment: Environment = field(default_factory=Environment)
    music: MusicConfig | None = None
    sources: tuple[MotionSource, ...] = ()
    baseband_decimation: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.duration_s <= 24 * 3600:
            raise ConfigError("duration_s must be in (0, 86400]")
        if self.fs_hz < 8000 or self.fs_hz > 384000:
            raise ConfigError(f"fs_hz {self.fs_hz} outside 8-384 kHz")
        for s in self.sources:
            if not isinstance(s, MotionSource):
                raise ConfigError(f"{s!r} is not a MotionSource")
        if not self.room.contains(self.device.position_m):
            raise ConfigError(f"device at {self.device.position_m} is outside the room")

    @classmethod
    def for_device(cls, device: Device, **kw) -> Scene:
        """A scene running the device at its own fs and carrier (keywords override fields)."""
        emission = kw.pop("emission", Emission())
        emission = replace(emission, carrier_hz=device.carrier_hz)
        return cls(device=device, fs_hz=kw.pop("fs_hz", device.fs_hz), emission=emission, **kw)

    @property
    def decimation(self) -> int:
        if self.baseband_decimation is not None:
            return self.baseband_decimation
        return 16 if self.fs_hz >= 88200 else 10
