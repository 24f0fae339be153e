"""Prosodic and voice-quality functionals of a clip, eGeMAPS-like, in plain NumPy.

Pitch, loudness, jitter, shimmer, harmonicity and spectral balance summarised over the clip. They
describe how a voice sounds rather than what the encoder learnt to transcribe, and they are what
the acoustic literature finds to carry arousal across languages and recording set-ups. openSMILE
computes the reference eGeMAPS set but its licence is non-commercial, so these are computed here
(25 ms frames every 10 ms; pitch from the normalised autocorrelation of each frame).
"""

from __future__ import annotations

import numpy as np

from annotator.media import SAMPLE_RATE

FRAME = 400  # 25 ms
HOP = 160  # 10 ms
F0_MIN, F0_MAX = 60.0, 500.0
# A frame is voiced when its normalised autocorrelation peak passes this (a common choice for
# clean-ish speech; noisy frames fall below it and are left out of the pitch statistics).
VOICING_THRESHOLD = 0.45

NAMES: tuple[str, ...] = (
    "voiced_fraction",
    "f0_mean_st",
    "f0_std_st",
    "f0_p20_st",
    "f0_p50_st",
    "f0_p80_st",
    "f0_range_st",
    "f0_slope_abs",
    "loudness_mean_db",
    "loudness_std_db",
    "loudness_p20_db",
    "loudness_p80_db",
    "loudness_range_db",
    "loudness_rise",
    "jitter",
    "shimmer_db",
    "hnr_db",
    "alpha_ratio_db",
    "hammarberg_db",
    "spectral_slope",
    "centroid_mean_hz",
    "centroid_std_hz",
    "flux_mean",
    "voiced_segments_per_s",
    "loudness_voiced_minus_unvoiced",
)


def _frames(audio: np.ndarray) -> np.ndarray:
    if audio.size < FRAME:
        audio = np.pad(audio, (0, FRAME - audio.size))
    count = 1 + (audio.size - FRAME) // HOP
    index = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    return audio[index]


def functionals(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """One 16 kHz mono clip -> len(NAMES) float32 numbers (0 where a statistic is undefined)."""
    audio = np.asarray(audio, dtype=np.float64).reshape(-1)
    frames = _frames(audio)
    frames = frames - frames.mean(axis=1, keepdims=True)
    energy = (frames**2).mean(axis=1)
    loudness = 10 * np.log10(energy + 1e-10)
    speech = loudness > loudness.max() - 40  # ignore near-silent frames (pauses, padding)

    # Normalised autocorrelation per frame, via the FFT: r(lag) / r(0).
    window = np.hanning(FRAME)
    spectrum = np.fft.rfft(frames * window, n=2 * FRAME, axis=1)
    power = np.abs(spectrum) ** 2
    autocorr = np.fft.irfft(power, axis=1)[:, :FRAME]
    window_corr = np.fft.irfft(np.abs(np.fft.rfft(window, n=2 * FRAME)) ** 2)[:FRAME]
    autocorr = autocorr / (autocorr[:, :1] + 1e-12) / (window_corr / window_corr[0] + 1e-3)
    low, high = int(sample_rate / F0_MAX), int(sample_rate / F0_MIN)
    lags = np.argmax(autocorr[:, low:high], axis=1) + low
    peak = autocorr[np.arange(len(lags)), lags].clip(0.0, 0.999)
    voiced = speech & (peak > VOICING_THRESHOLD)
    f0 = sample_rate / lags
    semitones = 12 * np.log2(f0 / 27.5)

    out = dict.fromkeys(NAMES, 0.0)
    out["voiced_fraction"] = float(voiced[speech].mean()) if speech.any() else 0.0
    if voiced.sum() >= 3:
        st = semitones[voiced]
        p20, p50, p80 = np.percentile(st, [20, 50, 80])
        out |= {
            "f0_mean_st": st.mean(),
            "f0_std_st": st.std(),
            "f0_p20_st": p20,
            "f0_p50_st": p50,
            "f0_p80_st": p80,
            "f0_range_st": p80 - p20,
        }
        # Consecutive voiced frames whose pitch moves < 3 semitones: an octave jump of the pitch
        # tracker is not jitter.
        pairs = voiced[1:] & voiced[:-1] & (np.abs(np.diff(semitones)) < 3)
        if pairs.any():
            out["f0_slope_abs"] = float(np.abs(np.diff(semitones)[pairs]).mean())
            periods = 1.0 / f0
            out["jitter"] = float(np.abs(np.diff(periods)[pairs]).mean() / periods[voiced].mean())
            out["shimmer_db"] = float(np.abs(np.diff(loudness)[pairs]).mean())
        hnr = 10 * np.log10(peak[voiced] / (1 - peak[voiced]))
        out["hnr_db"] = float(hnr.mean())
        out["loudness_voiced_minus_unvoiced"] = float(
            loudness[voiced].mean() - loudness[speech & ~voiced].mean()
            if (speech & ~voiced).any()
            else 0.0
        )
        starts = np.flatnonzero(voiced[1:] & ~voiced[:-1]).size + int(voiced[0])
        out["voiced_segments_per_s"] = starts / (len(voiced) * HOP / sample_rate)
    if speech.any():
        level = loudness[speech]
        p20, p80 = np.percentile(level, [20, 80])
        rises = np.diff(loudness)[speech[1:] & speech[:-1]]
        out |= {
            "loudness_mean_db": level.mean(),
            "loudness_std_db": level.std(),
            "loudness_p20_db": p20,
            "loudness_p80_db": p80,
            "loudness_range_db": p80 - p20,
            "loudness_rise": float(rises[rises > 0].mean()) if (rises > 0).any() else 0.0,
        }
        freqs = np.fft.rfftfreq(2 * FRAME, 1 / sample_rate)
        speech_power = power[speech] + 1e-12
        band = lambda lo, hi: (freqs >= lo) & (freqs < hi)  # noqa: E731
        low_energy = speech_power[:, band(50, 1000)].sum(axis=1)
        high_energy = speech_power[:, band(1000, 5000)].sum(axis=1)
        out["alpha_ratio_db"] = float(np.mean(10 * np.log10(high_energy / low_energy)))
        out["hammarberg_db"] = float(
            np.mean(
                10 * np.log10(speech_power[:, band(0, 2000)].max(axis=1))
                - 10 * np.log10(speech_power[:, band(2000, 5000)].max(axis=1))
            )
        )
        # Slope of the log spectrum (dB per kHz) over 0-5 kHz, averaged over speech frames.
        sel = band(0, 5000)
        x = freqs[sel] / 1000.0
        y = 10 * np.log10(speech_power[:, sel])
        xc = x - x.mean()
        out["spectral_slope"] = float(np.mean((y - y.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)))
        magnitude = np.sqrt(speech_power)
        centroid = (magnitude * freqs).sum(axis=1) / magnitude.sum(axis=1)
        out["centroid_mean_hz"] = float(centroid.mean())
        out["centroid_std_hz"] = float(centroid.std())
        normalised = magnitude / magnitude.sum(axis=1, keepdims=True)
        if len(normalised) > 1:
            out["flux_mean"] = float(np.abs(np.diff(normalised, axis=0)).sum(axis=1).mean())
    return np.array([out[name] for name in NAMES], dtype=np.float32)
