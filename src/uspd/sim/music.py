"""Music played through the sensing loudspeaker, and how it distorts the ultrasonic tone.

The synthetic music (kick, bass line, chords, hi-hats; tempo and key drawn from an rng) is a
closed-form function of absolute time, so any block of it can be evaluated on its own: blocks
join exactly. Its drive m(t) (1 = full drive) reaches the loudspeaker together with the tone.

Distortion of the tone (complex envelope e(t) of the emitted carrier):

(a) Cone-excursion phase modulation. The cone carries the tone-radiating surface back and forth
    by X(t) (m); the emitted path length changes by X, so e *= exp(j beta(t)),
    beta(t) = 2 pi f0 X(t) / c. X is the drive through the driver's mechanical response, a
    2nd-order low-pass at `driver_resonance_hz` (stiffness-controlled below, falling 12 dB/oct
    like a double integral above), scaled so that full drive below resonance gives
    `excursion_peak_mm`. 0.1 mm at 40 kHz: beta = 0.073 rad, sidebands J1/J0 = -28.7 dBc at full
    drive (-34.7 dBc at half drive); at 20 kHz the same excursion gives -34.7 dBc.
(b) Memoryless drive nonlinearity y = x + a2 x^2 + a3 x^3 on x = m(t) + A cos(w0 t). Expanding
    and keeping the terms near w0:
        a2 x^2 -> 2 a2 A m cos(w0 t)
        a3 x^3 -> 3 a3 A m^2 cos(w0 t) + (3/4) a3 A^3 cos(w0 t)
    (the other products sit at DC, in the audio band or at 2 w0 and 3 w0). The last term is a
    constant compression absorbed in the level calibration, so the envelope is multiplied by
    1 + 2 a2 m(t) + 3 a3 m(t)^2. A bass tone M cos(wb t) gives AM sidebands at f0 +- fb of
    a2 M (relative amplitude; a2 = 0.05, M = 0.5: -32 dBc) and at f0 +- 2 fb of 3/4 a3 M^2.
Only the music below the baseband Nyquist (kick, bass, chords: < 2 kHz) enters (a) and (b); the
hi-hats' products lie outside the simulated band around the carrier and are left out. The full
audio-band music (hi-hats up to fs/2) is added to the microphones by the renderer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import signal, special

from uspd.errors import ConfigError

_MAJOR_PROGRESSION = (0, 7, 9, 5)  # I V vi IV (semitones above the root)
_HAT_TABLE_LEN = 1 << 16


@dataclass(frozen=True)
class MusicConfig:
    """Music through the loudspeaker.

    level_db_spl: RMS SPL at 1 m of a full-drive sine (the music peaks near full drive).
    full_drive_db_spl: None (default): the music distorts the tone as at full drive whatever
        level_db_spl is, i.e. the level is the loudspeaker's sensitivity. A value (dB SPL at 1
        m, >= level_db_spl): level_db_spl is a volume setting on a loudspeaker whose full
        drive gives full_drive_db_spl, so the drive reaching the cone, and with it the
        excursion and the nonlinear products, is scaled by drive_scale (the audible music is
        level_db_spl either way). A real volume control works like this, and the scene
        library uses it (sim.library.MUSIC_FULL_DRIVE_DB_SPL, since stop 24).
    tone_hz: if set, play a pure tone of `tone_amplitude` drive instead of synthetic music (tests).
    tempo_bpm / root_hz: None = drawn from the rng (90-130 bpm, bass root 41-62 Hz).
    start_s / end_s: when the music plays (end None = to the end of the scene).
    """

    level_db_spl: float = 80.0
    full_drive_db_spl: float | None = None
    excursion_peak_mm: float = 0.1
    driver_resonance_hz: float = 150.0
    a2: float = 0.05
    a3: float = 0.02
    tone_hz: float | None = None
    tone_amplitude: float = 0.5
    tempo_bpm: float | None = None
    root_hz: float | None = None
    start_s: float = 0.0
    end_s: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.excursion_peak_mm <= 3.0:
            raise ConfigError("music.excursion_peak_mm must be 0..3 mm")
        if not 0.0 <= self.tone_amplitude <= 1.0:
            raise ConfigError("music.tone_amplitude must be 0..1 (full drive)")
        if abs(self.a2) > 0.5 or abs(self.a3) > 0.5:
            raise ConfigError("music nonlinearity |a2|, |a3| must be <= 0.5")
        if self.full_drive_db_spl is not None and self.level_db_spl > self.full_drive_db_spl:
            raise ConfigError("music.level_db_spl must not exceed music.full_drive_db_spl")

    @property
    def drive_scale(self) -> float:
        """Factor on the drive that reaches the cone: 10^((level - full) / 20), or 1."""
        if self.full_drive_db_spl is None:
            return 1.0
        return float(10 ** ((self.level_db_spl - self.full_drive_db_spl) / 20))


class MusicSynth:
    """Deterministic synthetic music from an rng: a list of note events evaluated in closed form.

    drive(t_s, sample_index, part): drive (1 = full) at times t_s (s); part "low" (kick, bass,
    chords: < 2 kHz), "high" (hi-hats: noise from a fixed table indexed by the integer sample
    index, so blocks join exactly) or "all".
    """

    def __init__(self, cfg: MusicConfig, duration_s: float, rng: np.random.Generator) -> None:
        self.cfg = cfg
        self.start_s = cfg.start_s
        self.end_s = duration_s if cfg.end_s is None else min(cfg.end_s, duration_s)
        self.tempo_bpm = cfg.tempo_bpm or float(rng.uniform(90.0, 130.0))
        self.root_hz = cfg.root_hz or float(41.2 * 2 ** (rng.integers(0, 8) / 12))
        hat = rng.standard_normal(_HAT_TABLE_LEN)
        b, a = signal.butter(4, 0.25, "highpass")  # hi-hat: noise above fs/8
        hat = signal.filtfilt(b, a, hat)
        self._hat = hat / np.std(hat)
        events = []  # (onset_s, length_s, kind, freq_hz, amp, table offset)
        if cfg.tone_hz is None:
            beat = 60.0 / self.tempo_bpm
            n_beats = int(np.ceil((self.end_s - self.start_s) / beat))
            for k in range(n_beats):
                t0 = self.start_s + k * beat
                bar, pos = divmod(k, 4)
                chord = self.root_hz * 2 ** (_MAJOR_PROGRESSION[bar % 4] / 12)
                if pos in (0, 2) or rng.random() < 0.15:
                    events.append((t0, 0.4, 0, 0.0, 0.6, 0))
                for h in (0, 1):
                    f = chord * (2.0 if (h and rng.random() < 0.3) else 1.0)
                    events.append((t0 + h * beat / 2, 0.45 * beat, 1, f, 0.3, 0))
                    events.append((t0 + h * beat / 2, 0.12, 3, 0.0, 0.08,
                                   int(rng.integers(_HAT_TABLE_LEN))))
                if pos == 0:
                    for semis in (0, 4, 7):  # major triad two octaves above the bass
                        events.append((t0, 4 * beat, 2, chord * 4 * 2 ** (semis / 12), 0.04, 0))
        ev = sorted(events)
        self._ev = ev
        self._onsets = np.array([e[0] for e in ev])
        self._max_len = max((e[1] for e in ev), default=0.0)

    def drive(self, t_s: NDArray, sample_index: NDArray | None = None,
              part: str = "all") -> NDArray[np.float64]:
        """Loudspeaker drive of the music at times t_s (s), 1-D increasing."""
        out = np.zeros(t_s.size)
        if t_s.size == 0 or t_s[-1] < self.start_s or t_s[0] >= self.end_s:
            return out
        cfg = self.cfg
        on = (t_s >= self.start_s) & (t_s < self.end_s)
        if cfg.tone_hz is not None:
            if part == "high":
                return out
            out[on] = cfg.tone_amplitude * np.sin(2 * np.pi * cfg.tone_hz * t_s[on])
            return out
        lo = np.searchsorted(self._onsets, t_s[0] - self._max_len)
        hi = np.searchsorted(self._onsets, t_s[-1], side="right")
        for t0, length, kind, f, amp, off in self._ev[lo:hi]:
            a = np.searchsorted(t_s, t0)
            b = np.searchsorted(t_s, t0 + length)
            if b <= a or (part != "all" and (kind == 3) != (part == "high")):
                continue
            tau = t_s[a:b] - t0
            if kind == 0:  # kick: pitch sweep 150 -> 50 Hz
                ph = 2 * np.pi * (50.0 * tau + 100.0 * 0.03 * (1 - np.exp(-tau / 0.03)))
                out[a:b] += amp * np.exp(-tau / 0.12) * np.sin(ph)
            elif kind == 1:  # bass: fundamental + 2nd harmonic, 5 ms attack, decay
                env = np.minimum(tau / 0.005, 1.0) * np.exp(-tau / 0.3)
                env *= np.clip((length - tau) / 0.01, 0.0, 1.0)
                w = 2 * np.pi * f * tau
                out[a:b] += amp * env * (np.sin(w) + 0.3 * np.sin(2 * w))
            elif kind == 2:  # chord note: 4 harmonics, slow attack and release
                env = np.minimum(tau / 0.02, 1.0) * np.clip((length - tau) / 0.05, 0.0, 1.0)
                w = 2 * np.pi * f * tau
                s1, c1 = np.sin(w), np.cos(w)
                s2, c2 = 2 * s1 * c1, 1 - 2 * s1 * s1
                s3 = s2 * c1 + c2 * s1
                out[a:b] += amp * env * (s1 + s2 / 2 + s3 / 3 + s2 * c2 / 2)  # 4 harmonics
            else:  # hi-hat: table noise indexed by absolute sample
                idx = (sample_index[a:b] + off) % _HAT_TABLE_LEN
                out[a:b] += amp * np.exp(-tau / 0.03) * self._hat[idx]
        return out * on


def excursion_filter(cfg: MusicConfig, rate_hz: float) -> tuple[NDArray, NDArray]:
    """(b, a) of the drive -> excursion (m) filter at rate_hz: 2nd-order low-pass at the driver
    resonance (Q 0.7), DC gain excursion_peak_mm / 1000."""
    wn = min(cfg.driver_resonance_hz / (rate_hz / 2), 0.99)
    b, a = signal.butter(2, wn)
    return b * cfg.excursion_peak_mm * 1e-3, a


def excursion_gain(cfg: MusicConfig, freq_hz: float, rate_hz: float) -> complex:
    """Complex excursion (m) per unit drive of a sine at freq_hz (for predictions)."""
    b, a = excursion_filter(cfg, rate_hz)
    _, h = signal.freqz(b, a, worN=[freq_hz], fs=rate_hz)
    return complex(h[0])


def envelope_factor(m: NDArray, x_m: NDArray, cfg: MusicConfig, carrier_hz: float,
                    speed_mps: float) -> NDArray[np.complex128]:
    """Multiplier of the emitted tone's complex envelope from drive m and excursion x_m (m)."""
    beta = 2 * np.pi * carrier_hz * x_m / speed_mps
    return (1.0 + 2 * cfg.a2 * m + 3 * cfg.a3 * m**2) * np.exp(1j * beta)


def predicted_sideband_dbc(
    beta_rad: float, drive_amplitude: float, a2: float, a3: float,
    excursion_phase_rad: float = 0.0, order: int = 1,
) -> tuple[float, float]:
    """Predicted (upper, lower) sideband levels (dBc) at f0 +- order * fb for a bass tone
    m = M cos(wb t) whose excursion is X0 cos(wb t + phi), beta_rad = 2 pi f0 X0 / c.

    The envelope (1 + 2 a2 m + 3 a3 m^2) exp(j beta cos(wb t + phi)) is a product of two Fourier
    series: AM coefficients {0: 1 + 3/2 a3 M^2, +-1: a2 M, +-2: 3/4 a3 M^2} and the Jacobi-Anger
    series j^n J_n(beta) e^{j n phi}; the sideband coefficients are their convolution.
    """
    mm = drive_amplitude
    am = {0: 1 + 1.5 * a3 * mm**2, 1: a2 * mm, -1: a2 * mm, 2: 0.75 * a3 * mm**2,
          -2: 0.75 * a3 * mm**2}
    n_max = 12

    def coef(k: int) -> complex:
        total = 0j
        for i, a in am.items():
            n = k - i
            if abs(n) <= n_max:
                bessel = special.jv(n, beta_rad)
                total += a * (1j**n) * bessel * np.exp(1j * n * excursion_phase_rad)
        return total

    c0 = abs(coef(0))
    return (20 * np.log10(abs(coef(order)) / c0), 20 * np.log10(abs(coef(-order)) / c0))
