"""Local speaker activity: pyannote's segmentation-3.0 network over 10 s windows.

The network (PyanNet: SincNet front end, 4-layer biLSTM, two linear layers, a 7-class powerset
classifier) and its powerset decoding are written here in plain torch after pyannote.audio
(Hervé Bredin, CNRS, MIT License): models/segmentation/PyanNet.py, models/blocks/sincnet.py,
utils/powerset.py, and asteroid-filterbanks' ParamSincFB (MIT) for the learned sinc filters.
The weights are pyannote/segmentation-3.0 (MIT), see annotator/weights/README.md.

For each 10 s window the network says, every 16.9 ms, which of at most 3 local speakers speak
(at most 2 at once): the 7 powerset classes are {}, {0}, {1}, {2}, {0,1}, {0,2}, {1,2}. Local
speaker 0 of one window has nothing to do with local speaker 0 of the next; the clustering
links them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from annotator.diarization.weights import WEIGHTS, load_state
from annotator.media import SAMPLE_RATE, Samples

SEGMENTATION_WEIGHTS = WEIGHTS / "pyannote_segmentation_3.0.pt"
SEGMENTATION_SHA256 = "3acad475f06274ae61773bf629686d190b36962a659360d0faa860c8f95965a0"
WINDOW_SAMPLES = 10 * SAMPLE_RATE  # the model was trained on 10 s chunks
FRAME_SAMPLES = 270  # SincNet stride 10, then three max-pools of 3: one output frame per 270
FRAMES_PER_WINDOW = 589  # output frames of a 10 s window
# Receptive field of one output frame: 991 samples, centred 495 samples after its first.
FRAME_CENTRE = 495
LOCAL_SPEAKERS = 3
MAX_AT_ONCE = 2
BATCH = 8  # windows per forward pass


def powerset_mapping(speakers: int = LOCAL_SPEAKERS, at_once: int = MAX_AT_ONCE) -> torch.Tensor:
    """(classes, speakers) 0/1 matrix: which speakers each powerset class has, ordered by set
    size then lexicographically, as the model was trained."""
    sets = [c for size in range(at_once + 1) for c in combinations(range(speakers), size)]
    mapping = torch.zeros(len(sets), speakers)
    for row, members in enumerate(sets):
        mapping[row, list(members)] = 1.0
    return mapping


def powerset_to_multilabel(log_probs: torch.Tensor, soft: bool = False) -> torch.Tensor:
    """(..., 7) powerset log-probabilities -> (..., 3) speaker activity.

    Hard: the most likely class's speakers are 1. Soft: each speaker's probability (the sum of
    the probabilities of the classes that include it)."""
    mapping = powerset_mapping().to(log_probs.device)
    if soft:
        return log_probs.exp() @ mapping
    best = F.one_hot(log_probs.argmax(-1), mapping.shape[0]).to(mapping.dtype)
    return best @ mapping


class SincFilters(nn.Module):
    """Learned band-pass sinc filters (40 cosine + 40 sine), as asteroid's ParamSincFB."""

    def __init__(self, filters: int = 80, kernel: int = 251):
        super().__init__()
        half = kernel // 2
        self.min_low_hz, self.min_band_hz = 50.0, 50.0
        self.low_hz_ = nn.Parameter(torch.zeros(filters // 2, 1))
        self.band_hz_ = nn.Parameter(torch.zeros(filters // 2, 1))
        self.register_buffer("window_", torch.zeros(half))
        self.register_buffer("n_", torch.zeros(1, half))

    def forward(self) -> torch.Tensor:
        low = self.min_low_hz + self.low_hz_.abs()
        high = (low + self.min_band_hz + self.band_hz_.abs()).clamp(
            self.min_low_hz, SAMPLE_RATE / 2
        )
        band = (high - low)[:, 0]
        ft_low, ft_high = low @ self.n_, high @ self.n_
        cos_left = (ft_high.sin() - ft_low.sin()) / (self.n_ / 2) * self.window_
        cos = torch.cat([cos_left, 2 * band[:, None], cos_left.flip(1)], dim=1)
        sin_left = (ft_low.cos() - ft_high.cos()) / (self.n_ / 2) * self.window_
        sin = torch.cat([sin_left, torch.zeros_like(band[:, None]), -sin_left.flip(1)], dim=1)
        both = torch.cat([cos / (2 * band[:, None]), sin / (2 * band[:, None])], dim=0)
        return both.unsqueeze(1)


class SincConv(nn.Module):
    def __init__(self, stride: int = 10):
        super().__init__()
        self.stride = stride
        self.filterbank = SincFilters()

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        return F.conv1d(waveforms, self.filterbank(), stride=self.stride)


class SincNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.wav_norm1d = nn.InstanceNorm1d(1, affine=True)
        self.conv1d = nn.ModuleList([SincConv(), nn.Conv1d(80, 60, 5), nn.Conv1d(60, 60, 5)])
        self.norm1d = nn.ModuleList([nn.InstanceNorm1d(c, affine=True) for c in (80, 60, 60)])

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        out = self.wav_norm1d(waveforms)
        for index, (conv, norm) in enumerate(zip(self.conv1d, self.norm1d, strict=True)):
            out = conv(out)
            if index == 0:  # rectified sinc responses, as upstream pyannote.audio does
                out = out.abs()
            out = F.leaky_relu(norm(F.max_pool1d(out, 3, stride=3)))
        return out


class PyanNet(nn.Module):
    """(batch, 1, samples) 16 kHz audio -> (batch, frames, 7) powerset log-probabilities."""

    def __init__(self):
        super().__init__()
        self.sincnet = SincNet()
        self.lstm = nn.LSTM(60, 128, num_layers=4, bidirectional=True, batch_first=True)
        self.linear = nn.ModuleList([nn.Linear(256, 128), nn.Linear(128, 128)])
        self.classifier = nn.Linear(128, 7)

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.sincnet(waveforms).transpose(1, 2))
        for linear in self.linear:
            out = F.leaky_relu(linear(out))
        return F.log_softmax(self.classifier(out), dim=-1)


def load_segmentation(device: str = "cpu") -> PyanNet:
    net = PyanNet()
    net.load_state_dict(load_state(SEGMENTATION_WEIGHTS, SEGMENTATION_SHA256))
    return net.eval().to(device)


@dataclass
class Windows:
    """The segmentation of every window over a recording."""

    step: int  # samples between window starts, a multiple of FRAME_SAMPLES
    log_probs: np.ndarray  # (windows, FRAMES_PER_WINDOW, 7) float16 powerset log-probabilities
    frames: int  # frames of the recording (FRAME_SAMPLES each)

    def first_frame(self, window: int) -> int:
        return window * self.step // FRAME_SAMPLES

    def activity(self, speech_bias: float = 0.0) -> np.ndarray:
        """(windows, FRAMES_PER_WINDOW, 3) uint8 hard local speaker activity: the most likely
        powerset class after adding `speech_bias` to the log-probability of every class with
        a speaker (0: the model's own decision; > 0: quiet speech counts sooner)."""
        biased = torch.from_numpy(self.log_probs.astype(np.float32))
        biased[..., 1:] += speech_bias
        return powerset_to_multilabel(biased).numpy().astype(np.uint8)


def window_starts(total: int, step: int) -> list[int]:
    """Start samples of windows `step` apart covering `total` samples (the last one padded)."""
    count = 1 if total <= WINDOW_SAMPLES else math.ceil((total - WINDOW_SAMPLES) / step) + 1
    return [i * step for i in range(count)]


def read_windows(samples: Samples, starts: list[int]) -> Iterator[tuple[int, np.ndarray]]:
    """(index, 10 s of audio) for each window, zero-padded past the end; read one at a time so
    an hour-long recording is never held whole."""
    total = len(samples)
    for index, start in enumerate(starts):
        piece = np.asarray(samples[start : min(start + WINDOW_SAMPLES, total)], dtype=np.float32)
        if len(piece) < WINDOW_SAMPLES:
            piece = np.pad(piece, (0, WINDOW_SAMPLES - len(piece)))
        yield index, piece


def segment(net: PyanNet, samples: Samples, step_seconds: float, device: str = "cpu") -> Windows:
    """The segmentation of windows `step_seconds` apart over the recording."""
    step = max(1, round(step_seconds * SAMPLE_RATE / FRAME_SAMPLES)) * FRAME_SAMPLES
    starts = window_starts(len(samples), step)
    classes = len(powerset_mapping())
    log_probs = np.zeros((len(starts), FRAMES_PER_WINDOW, classes), dtype=np.float16)
    batch: list[np.ndarray] = []
    indexes: list[int] = []

    def run() -> None:
        audio = torch.from_numpy(np.stack(batch)).unsqueeze(1).to(device)
        log_probs[indexes] = net(audio)[:, :FRAMES_PER_WINDOW].cpu().numpy()
        batch.clear()
        indexes.clear()

    with torch.inference_mode():
        for index, piece in read_windows(samples, starts):
            batch.append(piece)
            indexes.append(index)
            if len(batch) == BATCH:
                run()
        if batch:
            run()
    frames = math.ceil(len(samples) / FRAME_SAMPLES)
    return Windows(step, log_probs, frames)
