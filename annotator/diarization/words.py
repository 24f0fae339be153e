"""Speakers from windows over Whisper's words (the method before the segmentation model).

Speech windows are taken where Whisper found words, each window gets a CAM++ embedding, the
embeddings are clustered into speakers (spectral clustering on a pruned cosine-affinity graph,
the number of speakers from the eigengap), and each word takes the speaker of the window centred
nearest to it. Speech without words is never heard: kept so the benchmark can compare it with
the segmentation-based `Diarizer` (see docs/diarization.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from annotator.diarization.campplus import SpeakerEmbedder
from annotator.diarization.clustering import NO_LIMITS, DiarizationOptions
from annotator.media import SAMPLE_RATE, Samples
from annotator.transcript import Word

WINDOW = 1.5  # seconds per embedding window: long enough for a stable voice print
HOP = 0.75  # seconds between windows: a speaker change is located to within half of this
REGION_GAP = 0.5  # words closer than this belong to one stretch of speech
MIN_WINDOW = 0.5  # a shorter stretch of speech is widened to this around its centre
MIN_SPEECH = 2.0  # seconds of speech below which everything is one speaker


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


def spectral_cluster(embeddings: np.ndarray, options: DiarizationOptions = NO_LIMITS) -> np.ndarray:
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
    """`spectral_cluster` for more than MAX_CLUSTERED windows: cluster an evenly spaced subset,
    then give every window the speaker whose mean voice (over the subset) it is most like."""
    subset = np.unique(np.linspace(0, len(embeddings) - 1, MAX_CLUSTERED).round().astype(int))
    labels = spectral_cluster(embeddings[subset], options)
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
    options: DiarizationOptions = NO_LIMITS,
) -> list[int]:
    """One speaker index per word (0-based, numbered in order of first appearance)."""
    if not words:
        return []
    duration = len(samples) / SAMPLE_RATE
    windows = speech_windows(words, duration)
    speech = sum(e - s for s, e in windows)
    if len(words) < 2 or speech < MIN_SPEECH or options.num_speakers == 1:
        return [0] * len(words)
    labels = spectral_cluster(embedder.embed(samples, windows), options)
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
