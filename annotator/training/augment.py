"""Training-only transformations that make studio clips sound like real recordings.

Acted corpora are recorded close to a good microphone in a quiet room; meetings, calls and
podcasts are not. Each augmented copy of a clip goes through a random chain: a gain change, a
synthetic room (half of the copies), and one channel: additive noise at 0-20 dB SNR, a
telephone band, or a low-bitrate codec (Opus, AMR-NB or MP3 at 8-16 kbit/s, through ffmpeg).
The draws come from a generator seeded per clip, so a copy is the same whatever else is drawn.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from annotator.media import SAMPLE_RATE, ffmpeg_executable

CHANNELS = ("noise", "telephone", "codec")
# (ffmpeg encoder, container suffix, sample rate, bit rates): what phones and VoIP send.
CODECS = (
    ("libopus", ".ogg", 16000, ("8k", "12k", "16k")),
    ("libopencore_amrnb", ".amr", 8000, ("7.95k", "12.2k")),
    ("libmp3lame", ".mp3", 16000, ("8k", "16k")),
)


def clip_rng(seed: int, index: int) -> np.random.Generator:
    """The generator for clip `index`: independent of how many draws other clips made."""
    return np.random.default_rng([seed, index])


def add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Coloured (1/f^a, a in [0, 1.5]) noise at `snr_db` below the clip's speech power."""
    n = audio.size
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    tilt = rng.uniform(0.0, 1.5)
    spectrum /= np.maximum(freqs, 50.0) ** (tilt / 2)
    noise = np.fft.irfft(spectrum, n)
    # Speech power: the mean over the louder half of the samples, so pauses do not lower it.
    power = np.mean(np.sort(audio**2)[n // 2 :]) if n else 0.0
    noise *= np.sqrt(power / (np.mean(noise**2) + 1e-12) / 10 ** (snr_db / 10))
    return (audio + noise).astype(np.float32)


def add_reverb(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A synthetic room: exponentially decaying noise tail (RT60 0.2-0.9 s) after a direct path."""
    rt60 = rng.uniform(0.2, 0.9)
    length = int(rt60 * SAMPLE_RATE)
    t = np.arange(length) / SAMPLE_RATE
    tail = rng.standard_normal(length) * np.exp(-6.9 * t / rt60)  # -60 dB at rt60
    tail[: int(0.003 * SAMPLE_RATE)] = 0.0  # first reflections arrive a few ms late
    impulse = np.concatenate([[1.0], tail * rng.uniform(0.05, 0.3)])
    from scipy.signal import fftconvolve

    wet = fftconvolve(audio, impulse)[: audio.size]
    peak = np.abs(wet).max() + 1e-9
    return (wet * (np.abs(audio).max() + 1e-9) / peak).astype(np.float32)


def telephone(audio: np.ndarray) -> np.ndarray:
    """Narrowband: 300-3400 Hz, through 8 kHz sampling."""
    from scipy.signal import butter, resample_poly, sosfilt

    sos = butter(4, [300, 3400], btype="bandpass", fs=SAMPLE_RATE, output="sos")
    narrow = resample_poly(sosfilt(sos, audio), 1, 2)
    return resample_poly(narrow, 2, 1)[: audio.size].astype(np.float32)


def codec(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Encode with a low-bitrate speech codec and decode back to 16 kHz (ffmpeg)."""
    encoder, suffix, rate, bitrates = CODECS[rng.integers(len(CODECS))]
    bitrate = bitrates[rng.integers(len(bitrates))]
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    ffmpeg = ffmpeg_executable()
    with tempfile.TemporaryDirectory() as folder:
        coded = Path(folder) / f"clip{suffix}"
        raw_in = ["-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0"]
        subprocess.run(
            [ffmpeg, "-v", "error", "-y", *raw_in, "-ar", str(rate), "-c:a", encoder]
            + ["-b:a", bitrate, str(coded)],
            input=pcm,
            check=True,
            capture_output=True,
        )
        decoded = subprocess.run(
            [ffmpeg, "-v", "error", "-i", str(coded), "-f", "s16le", "-ac", "1"]
            + ["-ar", str(SAMPLE_RATE), "pipe:1"],
            check=True,
            capture_output=True,
        ).stdout
    out = np.frombuffer(decoded, dtype="<i2").astype(np.float32) / 32768.0
    return out if out.size else audio


def realistic(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random recording chain: gain, maybe a room, then noise, telephone or codec."""
    audio = np.asarray(audio, dtype=np.float32) * np.float32(10 ** (rng.uniform(-12, 6) / 20))
    audio = np.clip(audio, -1.0, 1.0)
    if rng.random() < 0.5:
        audio = add_reverb(audio, rng)
    channel = CHANNELS[rng.integers(len(CHANNELS))]
    if channel == "noise":
        return add_noise(audio, rng.uniform(0.0, 20.0), rng)
    if channel == "telephone":
        return telephone(audio)
    return codec(audio, rng)


def augment_audio(audio: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """One training-only transformation of a clip.

    speed: Kaldi-style speed perturbation (resample by 10/9 or 10/11: tempo and pitch move
    together, like a slightly different voice); trim: cut leading/trailing silence, which
    RAVDESS clips have and VAD-cut meeting utterances mostly lack.
    """
    if kind == "speed":
        from scipy.signal import resample_poly

        up, down = (10, 9) if rng.random() < 0.5 else (10, 11)
        return resample_poly(audio, up, down).astype(np.float32)
    if kind == "trim":
        from annotator.emotion.audio import trim_silence

        return trim_silence(audio, top_db=30.0)
    if kind == "realistic":
        return realistic(audio, rng)
    raise ValueError(f"unknown augmentation {kind!r}")
