"""Kaldi-compatible log-mel filterbank features, computed in torch: what CAM++ was trained on."""

from __future__ import annotations

import numpy as np
import torch

from annotator.media import SAMPLE_RATE


def kaldi_fbank(samples: torch.Tensor, n_mels: int = 80) -> torch.Tensor:
    """Kaldi-compatible log-mel filterbank (25 ms Povey window, 10 ms hop, pre-emphasis 0.97,
    DC removal, power spectrum, no dither, snip edges): what CAM++ was trained on.

    `samples` is (batch, n) float; returns (batch, frames, n_mels).
    """
    length, shift, fft = 400, 160, 512
    frames = samples.unfold(-1, length, shift)  # (batch, frames, 400)
    frames = frames - frames.mean(-1, keepdim=True)
    previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
    frames = frames - 0.97 * previous
    window = torch.hann_window(
        length, periodic=False, dtype=samples.dtype, device=samples.device
    ).pow(0.85)
    power = torch.fft.rfft(frames * window, n=fft).abs().pow(2)[..., : fft // 2]
    energies = power @ _mel_banks(n_mels, fft).to(samples.device).T
    return energies.clamp_min(torch.finfo(samples.dtype).eps).log()


def _mel_banks(n_mels: int, fft: int) -> torch.Tensor:
    def mel(f: np.ndarray | float) -> np.ndarray:
        return 1127.0 * np.log(1.0 + np.asarray(f) / 700.0)

    low, high = mel(20.0), mel(SAMPLE_RATE / 2)
    delta = (high - low) / (n_mels + 1)
    bins = mel(np.arange(fft // 2) * SAMPLE_RATE / fft)[None, :]
    left = (low + np.arange(n_mels) * delta)[:, None]
    centre, right = left + delta, left + 2 * delta
    up, down = (bins - left) / (centre - left), (right - bins) / (right - centre)
    weights = np.where((bins > left) & (bins < right), np.minimum(up, down), 0.0)
    return torch.from_numpy(weights.astype(np.float32))
