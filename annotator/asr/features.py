"""Whisper's log-mel spectrogram computed a stretch at a time, with the same values.

faster-whisper's FeatureExtractor takes the STFT of everything it is given at once: for five
minutes of speech its frames, complex128 spectrum, complex64 copy and magnitudes peak near
50 MB a minute, while the log-mel it returns is 1.9 MB a minute (80 bands). Each STFT frame
depends only on its own 400 samples, so the frames are computed here in blocks and only the
log-mel is kept; the one whole-input step, clamping to 8 below the global maximum, runs once on
the result.
"""

from __future__ import annotations

import numpy as np
from faster_whisper.feature_extractor import FeatureExtractor

BLOCK_FRAMES = 3000  # 30 s of frames per block: a few MB of transient arrays


class BlockFeatureExtractor(FeatureExtractor):
    """FeatureExtractor whose __call__ returns the same log-mel with bounded memory."""

    @classmethod
    def like(cls, extractor: FeatureExtractor) -> BlockFeatureExtractor:
        """A copy of `extractor` (its settings and mel filters) that computes in blocks."""
        copy = cls.__new__(cls)
        copy.__dict__.update(extractor.__dict__)
        return copy

    def __call__(self, waveform: np.ndarray, padding=160, chunk_length=None):
        if chunk_length is not None:
            self.n_samples = chunk_length * self.sampling_rate
            self.nb_max_frames = self.n_samples // self.hop_length
        waveform = np.asarray(waveform, dtype=np.float32)
        half = self.n_fft // 2
        if len(waveform) + padding <= half:  # too short to reflect: the original copes or raises
            return super().__call__(waveform, padding=padding)
        signal = _Padded(waveform, padding, half)
        frames = 1 + (len(signal) - self.n_fft) // self.hop_length
        window = np.hanning(self.n_fft + 1)[:-1].astype("float32")
        kept = frames - 1  # the original drops the last frame
        log_spec = np.empty((self.mel_filters.shape[0], kept), dtype=np.float32)
        for first in range(0, kept, BLOCK_FRAMES):
            last = min(kept, first + BLOCK_FRAMES)
            samples = signal[first * self.hop_length : (last - 1) * self.hop_length + self.n_fft]
            stft = self.stft(
                samples, self.n_fft, self.hop_length, window=window, center=False,
                return_complex=True,
            ).astype("complex64")  # fmt: skip
            magnitudes = np.abs(stft) ** 2
            mel_spec = self.mel_filters @ magnitudes
            log_spec[:, first:last] = np.log10(np.clip(mel_spec, a_min=1e-10, a_max=None))
        np.maximum(log_spec, log_spec.max() - 8.0, out=log_spec)
        log_spec += 4.0
        log_spec /= 4.0
        return log_spec


class _Padded:
    """`waveform` followed by `padding` zeros, then reflect-padded by `half` on each side (as
    FeatureExtractor pads before its STFT), read by slices without building the whole copy."""

    def __init__(self, waveform: np.ndarray, padding: int, half: int) -> None:
        self.waveform, self.padding = waveform, padding
        inner = len(waveform) + padding
        # numpy's "reflect" mirrors around the edge sample without repeating it.
        self.head = self._inner(1, half + 1)[::-1]
        self.tail = self._inner(inner - half - 1, inner - 1)[::-1]
        self.half, self.inner = half, inner

    def __len__(self) -> int:
        return self.inner + 2 * self.half

    def _inner(self, start: int, stop: int) -> np.ndarray:
        """waveform + zeros, [start, stop)."""
        n = len(self.waveform)
        part = self.waveform[min(start, n) : min(stop, n)]
        zeros = max(0, stop - max(start, n))
        return np.concatenate([part, np.zeros(zeros, np.float32)]) if zeros else part

    def __getitem__(self, index: slice) -> np.ndarray:
        start, stop = index.start, index.stop
        half, inner = self.half, self.inner
        parts = []
        if start < half:
            parts.append(self.head[start : min(stop, half)])
        if stop > half and start < half + inner:
            parts.append(self._inner(max(start, half) - half, min(stop, half + inner) - half))
        if stop > half + inner:
            parts.append(self.tail[max(start, half + inner) - half - inner : stop - half - inner])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
