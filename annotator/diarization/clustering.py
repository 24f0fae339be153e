"""Speakers from embeddings: spectral clustering (the count from the eigengap) or agglomerative
clustering with a distance threshold (the count is where merging stops); and the assignment of
one window's simultaneous voices to distinct speakers."""

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


def speaker_centroids(
    embeddings: np.ndarray, options: DiarizationOptions = NO_LIMITS, method: str = "spectral"
) -> np.ndarray:
    """Unit centroids (speakers, dim) of the speakers among unit `embeddings`."""
    if method == "agglomerative":
        return agglomerate(embeddings, options)
    if len(embeddings) == 0:
        return np.zeros((0, embeddings.shape[1] if embeddings.ndim == 2 else 192), np.float32)
    return centroids_of(embeddings, spectral_cluster(embeddings, options))


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


# ---------------------------------------------------------------- spectral clustering


PRUNE = 0.2  # share of each window's most similar windows kept in the affinity graph
MINOR_SHARE = 0.05  # a cluster with fewer of the windows than this is not a participant
ONE_VOICE = 0.8  # clusters whose mean embeddings are this alike (cosine) are one person
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
MAX_SPECTRAL = 1200


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
    centroids = _unit_centroids(embeddings, labels, major)
    out = labels.copy()
    for index in np.flatnonzero(~np.isin(labels, major)):
        out[index] = major[int(np.argmax(centroids @ embeddings[index]))]
    return out


def _unit_centroids(embeddings: np.ndarray, labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    c = np.stack([embeddings[labels == i].mean(0) for i in ids])
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def _merge_alike(embeddings: np.ndarray, labels: np.ndarray, low: int) -> np.ndarray:
    """Merge clusters whose mean voices are nearly the same (e.g. one speaker's calm and loud
    lines split apart), most alike first, never below `low` clusters."""
    labels = labels.copy()
    while len(ids := np.unique(labels)) > low:
        sim = _unit_centroids(embeddings, labels, ids) @ _unit_centroids(embeddings, labels, ids).T
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
    c = _unit_centroids(embeddings, halves, ids)
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
    if n > MAX_SPECTRAL:
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
    """`spectral_cluster` for more than MAX_SPECTRAL embeddings: cluster an evenly spaced subset,
    then give every window the speaker whose mean voice (over the subset) it is most like."""
    subset = np.unique(np.linspace(0, len(embeddings) - 1, MAX_SPECTRAL).round().astype(int))
    labels = spectral_cluster(embeddings[subset], options)
    ids = np.unique(labels)
    centroids = _unit_centroids(embeddings[subset], labels, ids)
    assigned = ids[np.argmax(embeddings @ centroids.T, axis=1)]
    _, first = np.unique(assigned, return_index=True)
    renumber = {assigned[i]: rank for rank, i in enumerate(sorted(first))}
    return np.array([renumber[x] for x in assigned], dtype=int)
