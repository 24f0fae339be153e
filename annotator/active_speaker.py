"""Which face track speaks an utterance: the one whose mouth moves with the utterance's sound.

For every decoded frame inside the utterance each visible track has a mouth-motion value
(annotator/face_tracks.py: how much its lower face changed since the previous frame) and the
audio has a level change (how many dB the sound's level moved between the two frames' moments,
read LEAD later). A speaker's mouth opens and closes as the syllables start and stop; a
listener's moves on its own schedule (nodding, smiling, talking silently), so over an
utterance the speaker's motion correlates with the level changes and a listener's does not.
Both series have single-frame spikes cut and are smoothed over 3 frames. The track with the
highest Pearson correlation speaks when it clears MIN_CORRELATION and leads the next track by
MIN_MARGIN; otherwise no track clearly does (the speaker is off screen, or the faces are too
small or too still to tell) and none is chosen. Thresholds were chosen on the "dev" gallery
meetings of benchmarks/gallery_meetings.py and measured on its "test" ones (docs/faces.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from annotator.media import SAMPLE_RATE, Samples

MIN_SAMPLES = 8  # decoded frames a track needs inside the utterance to be scored
MIN_CORRELATION = 0.25
MIN_MARGIN = 0.05
# The mouth moves slightly before the sound it makes: the audio is read this much later.
LEAD = 0.04
SPREAD = 0.02  # seconds outside the two frames where the level is read (see energy_changes)
ENERGY_WINDOW = 0.03  # seconds of audio around each moment whose level is measured


@dataclass(frozen=True)
class MotionRow:
    """One decoded frame: the time since the previous one and each visible track's motion."""

    previous: float  # time of the previous decoded frame, seconds
    time: float
    motion: dict[int, float]  # track id -> lower-face change


@dataclass(frozen=True)
class Verdict:
    track: int | None  # the speaking track, None when none clearly speaks
    scores: dict[int, float] = field(default_factory=dict)  # track id -> correlation


def energy_changes(samples: Samples, rows: Sequence[MotionRow]) -> np.ndarray:
    """How much the sound's level (dB) changed across each row's two frames: from SPREAD before
    the earlier frame to SPREAD after the later one, both read LEAD later (the counterpart of
    the mouth's frame-to-frame change). The audio is read in one slice."""
    half = int(ENERGY_WINDOW * SAMPLE_RATE / 2)
    early = [r.previous + LEAD - SPREAD for r in rows]
    late = [r.time + LEAD + SPREAD for r in rows]
    first = max(0, int(min(early) * SAMPLE_RATE) - half)
    last = int(max(late) * SAMPLE_RATE) + half + 1
    audio = np.asarray(samples[first:last], dtype=np.float64)

    def level(t: float) -> float:
        centre = int(t * SAMPLE_RATE) - first
        piece = audio[max(0, centre - half) : max(0, centre + half)]
        return 10 * np.log10(float((piece**2).mean()) + 1e-8) if piece.size else -80.0

    return np.array([abs(level(b) - level(a)) for a, b in zip(early, late, strict=True)])


def correlation(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x - x.mean(), y - y.mean()
    norm = float(np.sqrt((x**2).sum() * (y**2).sum()))
    return float((x * y).sum() / norm) if norm > 0 else 0.0


def _robust(values: np.ndarray) -> np.ndarray:
    """Spikes cut to median + 3 MAD (a cut or a jolt is not speech), then a 3-frame moving
    average: syllables last several frames, single-frame flicker is noise."""
    median = float(np.median(values))
    spread = float(np.median(np.abs(values - median))) + 1e-6
    clipped = np.minimum(values, median + 3 * spread)
    return np.convolve(np.pad(clipped, 1, mode="edge"), np.ones(3) / 3, mode="valid")


def score_tracks(samples: Samples, rows: Sequence[MotionRow]) -> dict[int, float]:
    """Correlation of each track's mouth motion with the audio energy over the rows where it
    was visible; tracks seen in fewer than MIN_SAMPLES rows are not scored."""
    if not rows:
        return {}
    energy = energy_changes(samples, rows)
    tracks = sorted({t for row in rows for t in row.motion})
    scores: dict[int, float] = {}
    for track in tracks:
        kept = [i for i, row in enumerate(rows) if track in row.motion]
        if len(kept) < MIN_SAMPLES:
            continue
        motion = _robust(np.array([rows[i].motion[track] for i in kept]))
        sound = _robust(energy[kept])
        # Talkers differ in how far their mouth leads their sound: the best of three alignments.
        scores[track] = round(
            max(
                correlation(
                    motion[max(0, -k) : len(motion) - max(0, k)],
                    sound[max(0, k) :][: len(motion) - abs(k)],
                )
                for k in (-1, 0, 1)
            ),
            4,
        )
    return scores


def choose(scores: dict[int, float]) -> Verdict:
    """The clearly speaking track, or none."""
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    if not ranked:
        return Verdict(None, scores)
    best, value = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else -1.0
    if value >= MIN_CORRELATION and value - runner_up >= MIN_MARGIN:
        return Verdict(best, scores)
    return Verdict(None, scores)


class SpeakerEvidence:
    """Each diarized speaker's track scores so far, averaged over their utterances: one
    utterance's correlation is noisy (a listener's silent talking can match the sound for a
    second or two), the same face matching the same voice utterance after utterance is not."""

    def __init__(self) -> None:
        self._sums: dict[str, dict[int, list[float]]] = {}

    def add(self, speaker: str | None, scores: dict[int, float]) -> dict[int, float]:
        """Record this utterance's scores; the speaker's mean score of each track visible now
        (the utterance's own scores when the speaker is unknown)."""
        if speaker is None:
            return scores
        sums = self._sums.setdefault(speaker, {})
        for track, value in scores.items():
            total = sums.setdefault(track, [0.0, 0.0])
            total[0] += value
            total[1] += 1
        return {t: round(sums[t][0] / sums[t][1], 4) for t in scores}
