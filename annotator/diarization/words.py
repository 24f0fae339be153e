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
from annotator.diarization.clustering import NO_LIMITS, DiarizationOptions, spectral_cluster
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
