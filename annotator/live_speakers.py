"""Speakers of a live stream: online clustering of CAM++ embeddings against running centroids.

A batch run clusters all of a recording's embeddings at once (annotator.diarization). A live
stream must name the speaker of each utterance as it is written, so each utterance's embedding
goes to the nearest running centroid when it is close enough, else starts a new speaker. Ids
already written are never renamed; at the end, speakers whose centroids came to lie as close as
the batch clustering's merge threshold are merged in the final transcript (`merges`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from annotator.diarization.clustering import THRESHOLD

# Cosine similarity of one utterance's embedding to a speaker's centroid above which it is that
# speaker. Lower than the batch threshold between centroids (one utterance's embedding is
# noisier than a mean); chosen on the sample meeting and call, see docs/live.md.
JOIN_SIMILARITY = 0.55
# Centroids this similar are one speaker: the batch clustering's stopping distance (Euclidean
# between unit vectors) as a cosine similarity.
MERGE_SIMILARITY = 1 - THRESHOLD**2 / 2
# Speech shorter than this gives an embedding too noisy to start a speaker or move a centroid:
# it only takes the nearest existing speaker.
MIN_SECONDS = 0.8


@dataclass
class OnlineSpeakers:
    """Running speaker centroids; `assign` gives each new embedding a 0-based speaker index."""

    join: float = JOIN_SIMILARITY
    max_speakers: int | None = None
    sums: list[np.ndarray] = field(default_factory=list)  # sum of each speaker's embeddings
    counts: list[int] = field(default_factory=list)

    @property
    def centroids(self) -> np.ndarray:
        if not self.sums:
            return np.zeros((0, 192), np.float32)
        stacked = np.stack(self.sums)
        return stacked / np.linalg.norm(stacked, axis=1, keepdims=True).clip(1e-12)

    def assign(self, vector: np.ndarray, seconds: float) -> int:
        """The speaker of one utterance from its unit embedding and its length in seconds."""
        vector = np.asarray(vector, np.float64)
        if self.sums:
            similarity = self.centroids @ vector
            best = int(np.argmax(similarity))
            full = self.max_speakers is not None and len(self.sums) >= self.max_speakers
            if similarity[best] >= self.join or full or seconds < MIN_SECONDS:
                if seconds >= MIN_SECONDS:
                    self.sums[best] = self.sums[best] + vector
                    self.counts[best] += 1
                return best
        self.sums.append(vector.copy())
        self.counts.append(1)
        return len(self.sums) - 1

    def merges(self, similarity: float = MERGE_SIMILARITY) -> dict[int, int]:
        """Speakers to merge at the end: {later index: earlier index it is the same person as}.

        Each later speaker goes to the earliest speaker whose centroid is at least `similarity`
        to its own (chains resolve to the earliest)."""
        centroids = self.centroids
        merged: dict[int, int] = {}
        for later in range(1, len(centroids)):
            close = np.flatnonzero(centroids[:later] @ centroids[later] >= similarity)
            if close.size:
                target = int(close[0])
                merged[later] = merged.get(target, target)
        return merged
