"""Global speakers from local speakers' embeddings: agglomerative clustering with a distance
threshold (the count of speakers is where merging stops), then each window's local speakers
assigned to distinct global speakers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_SPEAKERS = 15
# Centroid-linkage merging stops at this Euclidean distance between unit embeddings (cosine
# similarity 1 - d^2 / 2). Calibrated on CAM++ embeddings, see docs/diarization.md.
THRESHOLD = 0.7
# A cluster holding fewer embeddings than this (and less than MIN_SHARE of them) is not a
# participant of its own: its embeddings join the nearest larger cluster.
MIN_CLUSTER = 2
# At most this many embeddings go through the O(n^2) linkage; past it an even subsample is
# clustered and every embedding then takes the nearest centroid.
MAX_CLUSTERED = 3000


@dataclass(frozen=True)
class DiarizationOptions:
    num_speakers: int | None = None  # exactly this many (overrides the others)
    min_speakers: int = 1
    max_speakers: int | None = None

    def bounds(self, n: int) -> tuple[int, int]:
        """The allowed range of speaker counts for `n` embeddings."""
        if n == 0:
            return 0, 0
        if self.num_speakers is not None:
            k = max(1, min(self.num_speakers, n))
            return k, k
        low = max(1, min(self.min_speakers, n))
        return low, max(low, min(self.max_speakers or MAX_SPEAKERS, n))


NO_LIMITS = DiarizationOptions()  # count the speakers


def centroids_of(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unit mean embedding of each label 0..labels.max()."""
    c = np.stack([embeddings[labels == k].mean(0) for k in range(int(labels.max()) + 1)])
    return c / np.linalg.norm(c, axis=1, keepdims=True).clip(1e-12)


def agglomerate(
    embeddings: np.ndarray,
    options: DiarizationOptions = NO_LIMITS,
    threshold: float | None = None,
    min_cluster: int | None = None,
) -> np.ndarray:
    """Unit centroids (k, dim) of the speakers among unit `embeddings` (n, dim).

    Centroid-linkage agglomerative clustering (as pyannote's speaker diarization does): merge
    the two closest clusters until the closest pair is `threshold` apart. Clusters smaller than
    `min_cluster` are absorbed by their nearest larger one; a count outside the options'
    bounds is replaced by the nearest allowed count, cut from the same dendrogram."""
    from scipy.cluster.hierarchy import fcluster, linkage

    threshold = THRESHOLD if threshold is None else threshold
    min_cluster = MIN_CLUSTER if min_cluster is None else min_cluster
    n = len(embeddings)
    low, high = options.bounds(n)
    if n == 0:
        return np.zeros((0, embeddings.shape[1] if embeddings.ndim == 2 else 192), np.float32)
    if n == 1 or high == 1:
        return centroids_of(embeddings, np.zeros(n, dtype=int))
    if n > MAX_CLUSTERED:
        subset = np.unique(np.linspace(0, n - 1, MAX_CLUSTERED).round().astype(int))
        return agglomerate(embeddings[subset], options, threshold, min_cluster)
    tree = linkage(embeddings.astype(np.float64), method="centroid", metric="euclidean")
    if low == high:
        labels = fcluster(tree, low, criterion="maxclust") - 1
        return centroids_of(embeddings, _dense(labels))
    labels = _dense(fcluster(tree, threshold, criterion="distance") - 1)
    sizes = np.bincount(labels)
    large = np.flatnonzero(sizes >= min(min_cluster, sizes.max()))
    k = int(np.clip(len(large), low, high))
    if k != len(large):
        labels = _dense(fcluster(tree, k, criterion="maxclust") - 1)
        return centroids_of(embeddings, labels)
    centroids = centroids_of(embeddings, labels)[large]
    # Small clusters' embeddings join the nearest large cluster.
    return centroids_of(embeddings, np.argmax(embeddings @ centroids.T, axis=1))


def _dense(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..k-1 without gaps."""
    return np.unique(labels, return_inverse=True)[1].reshape(-1)


def assign(similarity: np.ndarray) -> np.ndarray:
    """Global speaker for each local speaker of one window: (local, global) similarities ->
    (local,) indexes, distinct where there are enough global speakers (two voices heard at
    once in one window are two people), by the best total similarity (Hungarian)."""
    from scipy.optimize import linear_sum_assignment

    local, found = similarity.shape
    out = np.argmax(similarity, axis=1)
    if local <= found:
        rows, cols = linear_sum_assignment(-similarity)
        out[rows] = cols
    return out
