"""Renderer: a `Scene` -> N-microphone recording with exact-phase echoes, in bounded memory.

Model (passband pressure p(t) = Re{x(t) exp(j 2 pi f0 t)}, x the complex envelope in Pa peak):
for every path from the loudspeaker to a microphone of length L(t),
    x_path(t) = p_1m * g(t) * e(t - L/c) * exp(-j 2 pi f0 L(t) / c(t)) * 10^(-alpha L / 20)
with e the emitted envelope (unit loudspeaker response, on/off gating, music distortion; see
`uspd.sim.music`), alpha the ISO 9613-1 absorption at f0 and g the geometric factor:
- direct path: (1 m) / r;
- static image sources of the shoebox up to `room.image_order`: product of reflection
  coefficients / image distance; furniture points: bistatic sonar sqrt(sigma / 4 pi) / (r1 r2);
  their length is perturbed by air currents and their phase follows the temperature (c(t));
- moving scatterers (`MotionSource.scatterers`): bistatic sonar (1 m) sqrt(sigma / 4 pi) / (r1 r2)
  for the direct geometry and for the 12 first-order wall reflections (image speaker, or image
  microphone, in each of the 6 surfaces, times that surface's reflection coefficient).
The Doppler shift is not imposed: it is the derivative of the exact phase.

Rates. Everything is computed at the baseband rate fb = fs / D (D = 16 at >= 88.2 kHz, 10
below: 6 kHz at 96 kHz, 4.8 / 4.41 kHz at 48 / 44.1 kHz), then interpolated to fs with a
polyphase FIR (Kaiser, 2 * 10 * D + 1 taps, cut-off 0.95 fb/2) and mixed up to f0 once; the
music below 2 kHz rides through the same interpolator. Static paths are evaluated on a coarse
grid (every 32 baseband samples, ~190 Hz) and interpolated. Moving scatterers are sampled on a
~400 Hz grid (every round(fb / 400) baseband samples); inside each interval the path length
(phase) is linear and the amplitude geometric, so the phasors follow y[r + 1] = y[r] w (one
complex multiply per path and sample, single precision for these echoes 40-80 dB below the
direct path). Phase error of the linear length: a dt^2 / 8 * 2 pi f0 / c, < 0.03 rad for
accelerations below 50 m/s^2 (a foot at heel strike) at 40 kHz. On moving paths the emitted
envelope (music modulation, gating ramps) is sampled on that grid too. A path whose
instantaneous Doppler |f0 dL/dt / c| exceeds 0.7 fb/2 is faded out (raised cosine, gone at
0.85 fb/2: 11 m/s at 40 kHz and 96 kHz, 17.5 m/s at 20 kHz and 48 kHz) instead of aliasing.

Determinism and blocks: every random quantity is drawn from `scene.seed` at set-up, or is a
closed-form function of absolute time, or is noise drawn per fixed frame of absolute samples; the
only recursive states (excursion filter, interpolation FIR history, envelope delay line) are
carried between blocks. So `render_blocks` yields the same samples for any block length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import signal

from uspd.errors import ConfigError
from uspd.labels import DistractorSpan, Labels, Segment
from uspd.physics import air_absorption_db_per_m, speed_of_sound_mps, spl_to_pressure_pa
from uspd.sim.device import gate
from uspd.sim.environment import SlowProcess, burst_envelope, draw_bursts, smooth_intervals
from uspd.sim.music import MusicSynth, envelope_factor, excursion_filter
from uspd.sim.room import first_order_images, image_sources
from uspd.sim.scene import Scene

COARSE = 32  # baseband samples per static-path grid step
CTRL_RATE_HZ = 400.0  # moving scatterers are sampled at about this rate
FIR_HALF = 10  # interpolation FIR half length in baseband samples
DOPPLER_PASS = 0.7  # fraction of baseband Nyquist where the Doppler fade starts
DOPPLER_STOP = 0.85  # ... and where the path is gone
_NOISE_FRAME = 4096
_TINY = 1e-30
_KEY_OFFSET = 1 << 20


@dataclass(frozen=True)
class Recording:
    """audio: float32 (n_samples, n_mics) in [-1, 1]; labels: ground truth."""

    audio: NDArray[np.float32]
    fs_hz: int
    labels: Labels


def doppler_weight(doppler_hz: NDArray, nyquist_hz: float) -> NDArray[np.float64]:
    """1 below DOPPLER_PASS * nyquist, raised-cosine fade to 0 at DOPPLER_STOP * nyquist."""
    x = (np.abs(doppler_hz) / nyquist_hz - DOPPLER_PASS) / (DOPPLER_STOP - DOPPLER_PASS)
    return 0.5 + 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def _cexp(log_mag: NDArray, phase: NDArray) -> NDArray[np.complex64]:
    """exp(log_mag + j phase) in single precision (SIMD exp, cos, sin); phase should be
    reduced to a few radians first. Used for echoes 40-80 dB below the direct path."""
    lm = np.maximum(log_mag, -80.0).astype(np.float32)
    ph = phase.astype(np.float32)
    mag = np.exp(lm)
    out = np.empty(np.broadcast_shapes(lm.shape, ph.shape), np.complex64)
    out.real = mag * np.cos(ph)
    out.imag = mag * np.sin(ph)
    return out


def _keyed_normal(seed: int, tag: int, start: int, stop: int, rows: int) -> NDArray:
    """Standard normal (rows, stop - start) for absolute sample indices [start, stop): drawn
    per fixed frame from (seed, tag, frame), so any split of the index range gives the same."""
    f0, f1 = start // _NOISE_FRAME, (stop - 1) // _NOISE_FRAME
    frames = [
        np.random.default_rng([seed, tag, k + _KEY_OFFSET]).standard_normal(
            (rows, _NOISE_FRAME), dtype=np.float32)
        for k in range(f0, f1 + 1)
    ]
    x = np.concatenate(frames, axis=1)
    a = start - f0 * _NOISE_FRAME
    return x[:, a : a + stop - start]


class _Renderer:
    def __init__(self, scene: Scene) -> None:
        self.scene = sc = scene
        dev, room, em, env = sc.device, sc.room, sc.emission, sc.environment
        self.fs = sc.fs_hz
        self.D = sc.decimation
        if self.D < 2:
            raise ConfigError("baseband_decimation must be >= 2")
        self.fb = self.fs / self.D
        self.f0 = f0 = em.carrier_hz
        half_band = 0.5 * self.fb
        if self.fb < 2000.0:
            raise ConfigError(f"baseband rate {self.fb:.0f} Hz too low (< 2 kHz)")
        if f0 + half_band >= 0.5 * self.fs or f0 - half_band <= 0:
            raise ConfigError(
                f"carrier {f0:.0f} Hz +- Doppler band {half_band:.0f} Hz does not fit in "
                f"0..{self.fs / 2:.0f} Hz (Nyquist at fs {self.fs} Hz)"
            )
        if sc.seed < 0:
            raise ConfigError("seed must be >= 0")
        self.n_mics = dev.n_mics
        self.carrier_table = None
        if float(f0).is_integer():
            period = self.fs // math.gcd(int(f0), self.fs)
            cyc = 2 * np.pi * np.mod(int(f0) * np.arange(period), self.fs) / self.fs
            self.carrier_table = np.stack([np.cos(cyc), np.sin(cyc)])
        self.n_total = round(sc.duration_s * self.fs)
        rngs = np.random.default_rng(sc.seed).spawn(6)
        self.unit = dev.speaker.unit_response(f0, rngs[0])
        self.unit_dir = self.unit / abs(self.unit)
        self.ctrl = max(4, round(self.fb / CTRL_RATE_HZ))
        self.mic_gain, mic_phase, self.mic_dc = dev.microphones.mismatch(self.n_mics, rngs[1])
        self.mic_rot = np.exp(1j * mic_phase)
        self.p1m = math.sqrt(2.0) * float(spl_to_pressure_pa(em.level_db_spl))
        self.t0_c = room.temperature_c
        self.c0 = float(speed_of_sound_mps(room.temperature_c, room.rel_humidity_pct))

        self.spk = spk = dev.speaker_position_m()
        self.mics = mics = dev.mic_positions_m()
        dims = np.asarray(room.dims_m, float)
        # static paths (n_mics, n_static): length, geometric amplitude
        imgs, gains = image_sources(spk, dims, room.reflection, room.image_order)
        keep = gains > 0
        imgs, gains = imgs[keep], gains[keep]
        lengths, amps = [], []
        for m in mics:
            ls = [np.linalg.norm(spk - m)]
            gs = [1.0 / ls[0]]
            d = np.linalg.norm(imgs - m, axis=1)
            ls += list(d)
            gs += list(gains / d)
            for f in room.furniture:
                r1 = np.linalg.norm(spk - f.position_m)
                r2 = np.linalg.norm(np.asarray(f.position_m) - m)
                ls.append(r1 + r2)
                gs.append(math.sqrt(f.sigma_m2 / (4 * math.pi)) / (r1 * r2))
            lengths.append(ls)
            amps.append(gs)
        self.static_l = np.asarray(lengths)
        self.static_g = np.asarray(amps)
        self.air = SlowProcess(np.ones(self.static_l.size), env.air_band_hz, rngs[2])
        self.temp_wander = SlowProcess(np.array([env.temp_wander_c]), (0.002, 0.03), rngs[2])
        self.bursts = draw_bursts(env, sc.duration_s, rngs[4])
        # moving-path geometry variants: (speaker (V,3), mics (V, n_mics, 3), gain (V,))
        refl = np.asarray(room.reflection, float)
        w = np.flatnonzero(refl > 0)
        spk_img = first_order_images(spk, dims)
        mic_img = first_order_images(mics, dims)
        self.var_spk = np.concatenate([spk[None], spk_img[w], np.repeat(spk[None], w.size, 0)])
        self.var_mic = np.concatenate([mics[None], np.repeat(mics[None], w.size, 0), mic_img[w]])
        self.var_gain = np.concatenate([[1.0], refl[w], refl[w]])
        # music
        self.music = None
        if sc.music is not None:
            self.music = MusicSynth(sc.music, sc.duration_s, rngs[3])
            self.exc_b, self.exc_a = excursion_filter(sc.music, self.fb)
            self.exc_zi = np.zeros(max(len(self.exc_a), len(self.exc_b)) - 1)
            self.music_p = math.sqrt(2.0) * float(spl_to_pressure_pa(sc.music.level_db_spl))
            d_music = np.linalg.norm(mics - spk, axis=1)
            self.music_gain = 1.0 / d_music
            self.music_delay = round(float(np.mean(d_music)) / self.c0 * self.fs)
        # interpolation FIR: length 2 D K + 1, delay D K samples = K baseband samples
        self.g = FIR_HALF
        self.h = self.D * signal.firwin(2 * self.D * FIR_HALF + 1, 0.95 / self.D,
                                        window=("kaiser", 8.6))
        # envelope delay line covering the longest path
        c_min = 0.97 * self.c0
        max_l = max(float(self.static_l.max()), 4.0 * room.diagonal_m + 1.0)
        self.env_hist = math.ceil(max_l / c_min * self.fb) + 4
        self.env_start = -(self.env_hist + 2 * FIR_HALF)
        self.env_buf = self._envelope(self.env_start, -2 * FIR_HALF)
        self.fir_hist = self._rows(-2 * FIR_HALF, 0)

    # ----------------------------------------------------------------- pieces
    def _times(self, i0: int, i1: int) -> NDArray:
        return (np.arange(i0, i1) + self.g) / self.fb

    def _temperature(self, t: NDArray) -> NDArray:
        env = self.scene.environment
        return self.t0_c + env.temp_drift_c_per_min * t / 60.0 + self.temp_wander(t)[0]

    def _speed(self, t: NDArray) -> NDArray:
        return speed_of_sound_mps(self._temperature(t), self.scene.room.rel_humidity_pct)

    def _alpha(self, t: NDArray) -> NDArray:
        room = self.scene.room
        return air_absorption_db_per_m(self.f0, self._temperature(t), room.rel_humidity_pct,
                                       room.pressure_kpa)

    def _envelope(self, i0: int, i1: int) -> NDArray[np.complex128]:
        """Emitted complex envelope (relative to p_1m) on baseband samples [i0, i1)."""
        t = self._times(i0, i1)
        em = self.scene.emission
        e = self.unit * gate(t, em.schedule, em.ramp_s).astype(complex)
        if self.music is not None:
            m = self.music.drive(t, part="low")
            self._m_low = m
            cone = m * self.scene.music.drive_scale  # the volume setting, if modelled
            x, self.exc_zi = signal.lfilter(self.exc_b, self.exc_a, cone, zi=self.exc_zi)
            e = e * envelope_factor(cone, x, self.scene.music, self.f0, self.c0)
        return e

    def _static(self, i0: int, i1: int, env_line: NDArray, line0: int) -> NDArray:
        """Sum of static paths (n_mics, B), relative to p_1m."""
        sc = self.scene
        k0 = (i0 + self.g) // COARSE
        k1 = (i1 - 1 + self.g) // COARSE + 2
        tc = np.arange(k0, k1) * COARSE / self.fb
        c = self._speed(tc)
        alpha = self._alpha(tc)
        env = sc.environment
        rms_mm = env.air_rms_mm_per_m + env.hvac_rms_mm_per_m * smooth_intervals(tc, env.hvac_on)
        dl = (self.air(tc) * rms_mm * 1e-3).reshape(*self.static_l.shape, -1)
        length = self.static_l[..., None] * (1.0 + dl)  # (n_mics, n_static, Kc)
        ph = np.exp(-2j * np.pi * self.f0 * length / c)
        ph *= self.static_g[..., None] * 10.0 ** (-alpha * length / 20.0)
        n_b = i1 - i0
        f = np.arange(COARSE) / COARSE
        off = i0 + self.g - k0 * COARSE

        def interp(x: NDArray) -> NDArray:  # (..., Kc) coarse grid -> (..., n_b)
            y = x[..., :-1, None] * (1.0 - f) + x[..., 1:, None] * f
            return y.reshape(*x.shape[:-1], -1)[..., off : off + n_b]

        # emitted envelope delayed by L0 / c0 (drift of the delay itself is < 1 us)
        seg = env_line[i0 - self.env_hist - line0 : i1 - line0]
        if np.all(seg == seg[0]):  # steady tone: interpolation commutes with the path sum
            return seg[0] * interp(ph.sum(axis=1))
        phasor = interp(ph.astype(np.complex64))  # static sum in single precision: < -130 dB
        delay = self.static_l / self.c0 * self.fb  # (n_mics, n_static) samples
        base = i0 - line0
        out = np.zeros((self.n_mics, n_b), np.complex64)
        env64 = env_line.astype(np.complex64)
        for m in range(self.n_mics):
            for k in range(delay.shape[1]):
                di = math.floor(delay[m, k])
                fr = delay[m, k] - di
                st = base - di - 1
                e = env64[st + 1 : st + 1 + n_b] * np.float32(1.0 - fr)
                e += env64[st : st + n_b] * np.float32(fr)
                e *= phasor[m, k]
                out[m] += e
        return out.astype(complex)

    def _moving(self, i0: int, i1: int, env_line: NDArray, line0: int) -> NDArray:
        """Sum of moving-scatterer paths (n_mics, B), relative to p_1m.

        Scatterers are sampled every `self.ctrl` baseband samples (~400 Hz); see the module
        doc for the interpolation inside each interval.
        """
        n_b = i1 - i0
        if not self.scene.sources:
            return np.zeros((self.n_mics, n_b), complex)
        ctrl = self.ctrl
        a0 = (i0 + self.g) // ctrl
        a1 = -(-(i1 + self.g) // ctrl)
        k0, k1 = a0 - 1, a1 + 2
        tq = np.arange(k0, k1) * ctrl / self.fb
        pos, sig = [], []
        for src in self.scene.sources:
            s = src.scatterers(tq)
            live = np.any(s.cross_section_m2 > 0, axis=1)
            pos.append(s.positions_m[live])
            sig.append(s.cross_section_m2[live])
        p = np.concatenate(pos)  # (P, K, 3)
        if p.shape[0] == 0:
            return np.zeros((self.n_mics, n_b), complex)
        sigma = np.concatenate(sig)
        c = self._speed(tq)
        alpha = self._alpha(tq)
        pt = np.moveaxis(p, -1, 0)  # (3, P, K)
        vs = self.var_spk.T[:, :, None, None]  # (3, V, 1, 1)
        vm = self.var_mic.transpose(2, 1, 0)[:, :, :, None, None]  # (3, M, V, 1, 1)
        r1 = np.sqrt(sum((pt[i][None] - vs[i]) ** 2 for i in range(3)))  # (V, P, K)
        r2 = np.sqrt(sum((pt[i][None, None] - vm[i]) ** 2 for i in range(3)))  # (M, V, P, K)
        length = r1[None] + r2
        fd = np.gradient(length, axis=-1) * (self.fb / ctrl) * self.f0 / c
        # log amplitude: reflection, sqrt(sigma / 4 pi) / (r1 r2), absorption, Doppler fade
        log_amp = (np.log(self.var_gain)[None, :, None, None]
                   + 0.5 * np.log(np.maximum(sigma, _TINY) / (4 * np.pi))
                   - np.log(r1)[None] - np.log(r2) - (alpha * np.log(10.0) / 20.0) * length
                   + np.log(np.maximum(doppler_weight(fd, 0.5 * self.fb), _TINY)))
        m = self.n_mics
        length = length.reshape(m, -1, length.shape[-1])  # (M, Q, K)
        log_amp = log_amp.reshape(length.shape)
        phase = length * (-2.0 * np.pi * self.f0 / c)
        # emitted envelope at t - L/c on the control grid, as log magnitude and phase (the
        # phase relative to the unit's, small: no wrapping between neighbours)
        seg = env_line[i0 - self.env_hist - line0 : i1 - line0]
        if not np.all(seg == seg[0]):
            rel = env_line / self.unit_dir
            lm_line = np.log(np.maximum(np.abs(rel), _TINY))
            ph_line = np.angle(rel)
            pos_e = (np.arange(k0, k1) * ctrl - self.g - line0) - length / c * self.fb
            jj = np.clip(np.floor(pos_e).astype(int), 0, env_line.size - 2)
            ff = pos_e - jj
            log_amp += lm_line[jj] * (1.0 - ff) + lm_line[jj + 1] * ff
            phase += ph_line[jj] * (1.0 - ff) + ph_line[jj + 1] * ff
        else:
            log_amp += math.log(max(abs(seg[0]), _TINY))
            phase += np.angle(seg[0] / self.unit_dir)
        phase += np.angle(self.unit_dir)
        j = slice(1, 1 + a1 - a0)
        jn = slice(2, 2 + a1 - a0)
        # inside a control interval the phase is linear and the amplitude geometric, so each
        # phasor is y_r = y_0 w^r: one complex multiply per path and sample, no transcendental
        y = _cexp(log_amp[..., j], np.mod(phase[..., j], 2 * np.pi))
        w = _cexp((log_amp[..., jn] - log_amp[..., j]) / ctrl,
                  (phase[..., jn] - phase[..., j]) / ctrl)
        out = np.empty((m, a1 - a0, ctrl), np.complex64)
        for r in range(ctrl):
            out[:, :, r] = y.sum(axis=1)
            if r + 1 < ctrl:
                y *= w
        off = i0 + self.g - a0 * ctrl
        return out.reshape(m, -1)[:, off : off + n_b].astype(complex)

    def _baseband(self, i0: int, i1: int) -> NDArray[np.complex128]:
        """Complex envelope (Pa, peak) at the mics, (n_mics, B), for baseband samples [i0, i1)."""
        new_env = self._envelope(i0, i1)
        self.env_buf = np.concatenate([self.env_buf, new_env])
        line0 = i1 - self.env_buf.size  # baseband index of env_buf[0]
        if self.env_buf.size > self.env_hist + (i1 - i0) + 2:
            cut = self.env_buf.size - (self.env_hist + (i1 - i0) + 2)
            self.env_buf = self.env_buf[cut:]
            line0 += cut
        x = self._static(i0, i1, self.env_buf, line0) + self._moving(i0, i1, self.env_buf, line0)
        x *= self.p1m
        sc, env = self.scene, self.scene.environment
        noise_rms = float(spl_to_pressure_pa(env.noise_db_spl))
        t = self._times(i0, i1)
        b_env = burst_envelope(t, self.bursts) if self.bursts else 0.0
        if noise_rms > 1e-9 or self.bursts:
            n1 = _keyed_normal(sc.seed, 1, i0 + _KEY_OFFSET, i1 + _KEY_OFFSET, 2 * self.n_mics)
            x += noise_rms * (n1[: self.n_mics] + 1j * n1[self.n_mics :])
            if self.bursts:
                n2 = _keyed_normal(sc.seed, 2, i0 + _KEY_OFFSET, i1 + _KEY_OFFSET,
                                   2 * self.n_mics)
                x += b_env * (n2[: self.n_mics] + 1j * n2[self.n_mics :])
        return x * self.mic_rot[:, None]

    def _rows(self, i0: int, i1: int) -> NDArray[np.float64]:
        """Rows to interpolate to fs: baseband real (n_mics), imaginary (n_mics), and the music
        below 2 kHz (1 row, drive units), for baseband samples [i0, i1)."""
        self._m_low = np.zeros(i1 - i0)
        bb = self._baseband(i0, i1)
        return np.concatenate([bb.real, bb.imag, self._m_low[None]])

    def block(self, n0: int, n1: int) -> NDArray[np.float32]:
        """Output samples [n0, n1) (n0 a multiple of D), float32 (n1 - n0, n_mics)."""
        D = self.D
        i0, i1 = n0 // D, -(-n1 // D)
        xh = np.concatenate([self.fir_hist, self._rows(i0, i1)], axis=1)
        self.fir_hist = xh[:, -2 * FIR_HALF :]
        m = self.n_mics
        y = signal.upfirdn(self.h, xh, up=D, axis=1)
        a = 2 * FIR_HALF * D
        y = y[:, a : a + (n1 - n0)]
        n = np.arange(n0, n1)
        if self.carrier_table is not None:  # integer carrier: exp(j w0 n) is periodic
            k = n % self.carrier_table.shape[1]
            cos, sin = self.carrier_table[0, k], self.carrier_table[1, k]
        else:
            cyc = np.mod(self.f0 * n / self.fs, 1.0) * (2 * np.pi)
            cos, sin = np.cos(cyc), np.sin(cyc)
        p = y[:m] * cos - y[m : 2 * m] * sin  # (n_mics, n)
        sc = self.scene
        if self.music is not None:  # audio-band music over the direct path
            t = (n - self.music_delay) / self.fs
            music = y[2 * m] + self.music.drive(t, n - self.music_delay, part="high")
            p += self.music_p * self.music_gain[:, None] * music
        mics = sc.device.microphones
        self_noise = float(spl_to_pressure_pa(mics.self_noise_db_spl))
        if self_noise > 1e-9:
            p += self_noise * _keyed_normal(sc.seed, 3, n0, n1, self.n_mics)
        return mics.digitise(p.T.copy(), self.mic_gain, self.mic_dc)


def render_blocks(scene: Scene, block_s: float = 1.0) -> Iterator[NDArray[np.float32]]:
    """Yield consecutive audio blocks (float32 (n, n_mics)) of about block_s seconds; their
    concatenation does not depend on block_s."""
    r = _Renderer(scene)
    step = max(1, round(block_s * r.fs / r.D)) * r.D
    for n0 in range(0, r.n_total, step):
        yield r.block(n0, min(n0 + step, r.n_total))


def scene_labels(scene: Scene) -> Labels:
    """Ground truth of a scene: motion segments and distractor spans (sources, music, HVAC air
    currents, ultrasonic bursts)."""
    try:
        from uspd.sim.truth import labels_for
    except ImportError:  # pragma: no cover - truth.py is written in parallel
        segs: list[Segment] = [Segment(0.0, scene.duration_s, "empty")]
        spans: list[DistractorSpan] = []
    else:
        segs, spans = labels_for(scene.sources, scene.device.position_m, scene.duration_s)
    spans = list(spans)
    dur = scene.duration_s
    if scene.music is not None:
        end = dur if scene.music.end_s is None else min(scene.music.end_s, dur)
        if scene.music.start_s < end:
            spans.append(DistractorSpan(scene.music.start_s, end, "music"))
    for a, b in scene.environment.hvac_on:
        if a < dur:
            spans.append(DistractorSpan(max(a, 0.0), min(b, dur), "air"))
    for b in draw_bursts(scene.environment, dur,
                         np.random.default_rng(scene.seed).spawn(6)[4]):
        spans.append(DistractorSpan(round(b.start_s, 6), round(b.start_s + b.duration_s, 6),
                                    "burst"))
    spans.sort(key=lambda s: (s.start, s.kind))
    return Labels(
        fs_hz=scene.fs_hz, carrier_hz=scene.emission.carrier_hz, duration_s=dur,
        n_mics=scene.device.n_mics, segments=tuple(segs), distractors=tuple(spans),
        scene=scene.name, seed=scene.seed,
        meta={"level_db_spl": scene.emission.level_db_spl,
              "temperature_c": scene.room.temperature_c,
              "music": scene.music is not None},
    )


def render(scene: Scene, block_s: float = 1.0) -> Recording:
    """Render a scene: audio float32 (n, n_mics) in [-1, 1] and its labels, deterministic from
    scene.seed."""
    audio = np.concatenate(list(render_blocks(scene, block_s)), axis=0)
    return Recording(audio, scene.fs_hz, scene_labels(scene))
