"""Which face track speaks: the one whose mouth predicts the speaker's sound.

Every decoded frame (up to 25 a second) gives each visible track a description of its lower
face (annotator/face_tracks.py: the lowest 2-D DCT coefficients of a 36x24 patch around the
mouth, how much they changed since the previous frame, and the patch's pixel change) and the
audio a level (dB over 40 ms). A speaker's lower face opens, closes and changes shape with their
syllables, so a linear model can predict the loudness of their voice from their own face a few
frames either side; a listener's face, however much it moves, predicts nothing about someone
else's voice.

The model is fitted per speaker and per track, with no training data: ridge regression from
the track's features (lagged -3..+3 frames) to the level, fitted on some of the speaker's
utterances and scored on the others (cross-validation, so a track is rewarded only for
predicting sound it was not fitted to). The speaker's face is the track with the best
held-out correlation when it reaches MIN_SCORE; below that no track clearly speaks (the speaker
is off screen, or diarization merged two voices) and the face branch says nothing. A single
utterance with no diarized speaker is cross-validated over its own one-second blocks, which is
weaker (docs/faces.md). The settings were chosen on the "dev" gallery meetings of
benchmarks/gallery_meetings.py and measured on its "test" ones.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from annotator.media import SAMPLE_RATE, Samples

MIN_FRAMES = 8  # decoded frames a track needs inside an utterance to be scored there
MIN_SCORE = 0.35  # held-out correlation of predicted and real level that says "this face speaks"
LAGS = range(-3, 4)  # frames of the face either side of the sound (mouths lead, and talkers differ)
RIDGE = 1.0  # ridge penalty, relative to the features' mean variance
LEVEL_WINDOW = 0.04  # seconds of audio around each frame whose level is the target
BLOCK_FRAMES = 25  # one utterance alone is cross-validated in blocks of about this many frames
FOLDS = 4  # a speaker's utterances are split into at most this many folds
# A speaker's face is decided once they have READY utterances (earlier ones wait for it), on
# their POOL most recent ones: enough to fit on, and memory that does not grow with the meeting.
READY = 6
POOL = 16
REFIT = 4
# A speaker's face, once found, is kept by a refit that still ranks it first with at least this
# score: the pool forgets old utterances, and one noisy batch should not undo a face that
# predicted the voice before.
KEEP_SCORE = 0.2


@dataclass
class UtteranceMotion:
    """One utterance's evidence: the sound's level at each decoded frame, and for each track
    seen in enough of them its features on the frames where it was visible."""

    levels: np.ndarray  # (frames,)
    features: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # track -> (indices into levels, its features on those frames, float32: lagged when scored)


@dataclass(frozen=True)
class Verdict:
    track: int | None  # the speaking track, None when none clearly speaks
    scores: dict[int, float] = field(default_factory=dict)  # track id -> held-out correlation


def levels_at(samples: Samples, times: Sequence[float]) -> np.ndarray:
    """The sound's level (dB) over LEVEL_WINDOW around each time."""
    half = int(LEVEL_WINDOW * SAMPLE_RATE / 2)
    first = max(0, int(min(times) * SAMPLE_RATE) - half)
    last = int(max(times) * SAMPLE_RATE) + half + 1
    audio = np.asarray(samples[first:last], dtype=np.float64)
    out = np.full(len(times), -80.0)
    for i, t in enumerate(times):
        centre = int(t * SAMPLE_RATE) - first
        piece = audio[max(0, centre - half) : max(0, centre + half)]
        if piece.size:
            out[i] = 10 * np.log10(float((piece**2).mean()) + 1e-8)
    return out


def lagged(rows: np.ndarray) -> np.ndarray:
    """Each row beside its neighbours LAGS frames away (edges repeat the first or last row)."""
    reach = max(abs(k) for k in LAGS)
    padded = np.pad(rows, ((reach, reach), (0, 0)), mode="edge")
    return np.hstack([padded[reach - k : reach - k + len(rows)] for k in LAGS])


def utterance_motion(
    samples: Samples, times: Sequence[float], features: dict[int, list[tuple[int, np.ndarray]]]
) -> UtteranceMotion:
    """Evidence from an utterance's decoded frames: `features` maps a track to (frame index,
    per-frame features) for the frames it was visible in; tracks seen in fewer than
    MIN_FRAMES frames are left out."""
    evidence = UtteranceMotion(levels_at(samples, times) if times else np.zeros(0))
    for track, rows in features.items():
        if len(rows) >= MIN_FRAMES:
            indices = np.array([i for i, _ in rows])
            evidence.features[track] = (indices, np.array([f for _, f in rows], np.float32))
    return evidence


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x - x.mean(), y - y.mean()
    norm = float(np.sqrt((x**2).sum() * (y**2).sum()))
    return float((x * y).sum() / norm) if norm > 0 else 0.0


@dataclass(frozen=True)
class Model:
    """A ridge regression from a track's lagged features to the sound's level."""

    mean: np.ndarray
    weights: np.ndarray

    def correlation(self, features: np.ndarray, levels: np.ndarray) -> float:
        """How well it predicts `levels` from `features` (one utterance's, not lagged yet)."""
        return _correlation(
            (lagged(features.astype(np.float64)) - self.mean) @ self.weights, levels
        )


_Stats = tuple[np.ndarray, np.ndarray, np.ndarray, float, int]  # x'x, x'y, sum x, sum y, n


def _fit(stats: _Stats) -> Model:
    xx, xy, sx, sy, n = stats
    mean_x, mean_y = sx / n, sy / n
    covariance = xx / n - np.outer(mean_x, mean_x)
    target = xy / n - mean_x * mean_y
    penalty = RIDGE * max(float(np.diag(covariance).mean()), 1e-12)
    return Model(mean_x, np.linalg.solve(covariance + penalty * np.eye(len(covariance)), target))


def _held_out(folds: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[list[np.ndarray], Model]:
    """Each fold's predictions by a model fitted on all the other folds, and the model fitted
    on them all (for utterances still to come)."""
    stats = [(x.T @ x, x.T @ y, x.sum(axis=0), y.sum(), len(y)) for x, y in folds]
    total = tuple(sum(s[i] for s in stats) for i in range(5))
    predictions = []
    for (x, _), own in zip(folds, stats, strict=True):
        model = _fit(tuple(t - o for t, o in zip(total, own, strict=True)))  # type: ignore[arg-type]
        predictions.append((x - model.mean) @ model.weights)
    return predictions, _fit(total)  # type: ignore[arg-type]


def _blocks(x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    count = max(2, round(len(y) / BLOCK_FRAMES))
    edges = np.linspace(0, len(y), count + 1).astype(int)
    return [(x[a:b], y[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]


@dataclass
class Scores:
    """One speaker's (or one utterance's) evidence scored: per track the held-out correlation
    over all of it, per utterance each track's held-out correlation there, and per track the
    model fitted on all of it."""

    pooled: dict[int, float]
    own: list[dict[int, float]]
    models: dict[int, Model]


def score_tracks(utterances: Sequence[UtteranceMotion]) -> Scores:
    """Cross-validated scores of every track over one speaker's utterances (one utterance
    alone: over its blocks of about a second)."""
    scores = Scores({}, [{} for _ in utterances], {})
    for track in sorted({t for u in utterances for t in u.features}):
        present = [i for i, u in enumerate(utterances) if track in u.features]
        data = {}
        for i in present:
            indices, features = utterances[i].features[track]
            data[i] = (lagged(features.astype(np.float64)), utterances[i].levels[indices])
        if len(present) == 1:
            predictions, scores.models[track] = _held_out(_blocks(*data[present[0]]))
            value = round(_correlation(np.concatenate(predictions), data[present[0]][1]), 4)
            scores.pooled[track] = scores.own[present[0]][track] = value
            continue
        # Whole utterances per fold: neighbouring frames are alike, so splitting an utterance
        # between fitting and scoring would flatter every track.
        count = min(FOLDS, len(present))
        groups = [present[k::count] for k in range(count)]
        folds = [
            (np.vstack([data[i][0] for i in group]), np.concatenate([data[i][1] for i in group]))
            for group in groups
        ]
        predictions, scores.models[track] = _held_out(folds)
        truths = np.concatenate([y for _, y in folds])
        scores.pooled[track] = round(_correlation(np.concatenate(predictions), truths), 4)
        for group, predicted in zip(groups, predictions, strict=True):
            edges = np.cumsum([0] + [len(data[i][1]) for i in group])
            for i, a, b in zip(group, edges[:-1], edges[1:], strict=True):
                scores.own[i][track] = round(_correlation(predicted[a:b], data[i][1]), 4)
    return scores


def choose(scores: dict[int, float]) -> Verdict:
    """The clearly speaking track, or none."""
    if not scores:
        return Verdict(None, scores)
    best = max(scores, key=scores.__getitem__)
    return Verdict(best if scores[best] >= MIN_SCORE else None, scores)


@dataclass(frozen=True)
class Decision:
    index: int  # the utterance's index
    track: int | None  # the face it reads, None for none
    scores: dict[int, float]  # the speaker's held-out correlation of each track visible there


class SpeakerFaces:
    """Decides each utterance's face from its diarized speaker's utterances together.

    One utterance's evidence is a second or two of frames, and a listener's silent talking can
    match the sound that long; the same face predicting the same voice over many utterances is
    the speaker's. Utterances wait until their speaker has READY of them (or the recording
    ends), and are then decided on the speaker's POOL latest; later ones are decided as they
    come, by the models of the last fit (refitted every REFIT utterances). An utterance reads the
    speaker's face only when that face is visible in it and predicts its own sound better than
    chance (a diarization that merged two voices does not make one face speak for both).
    Utterances without a speaker are decided alone.
    """

    def __init__(self) -> None:
        self._pools: dict[str, deque[tuple[int, UtteranceMotion]]] = {}
        self._waiting: dict[str, list[int]] = {}
        self._fits: dict[str, tuple[Verdict, dict[int, Model]]] = {}
        self._since_fit: dict[str, int] = {}

    def add(self, index: int, speaker: str | None, evidence: UtteranceMotion) -> list[Decision]:
        """Take an utterance's evidence; the decisions it makes possible (maybe none yet)."""
        if speaker is None:
            pooled = score_tracks([evidence]).pooled
            return [Decision(index, choose(pooled).track, pooled)]
        pool = self._pools.setdefault(speaker, deque(maxlen=POOL))
        pool.append((index, evidence))
        self._waiting.setdefault(speaker, []).append(index)
        self._since_fit[speaker] = self._since_fit.get(speaker, 0) + 1
        if len(pool) < READY:
            return []
        if speaker not in self._fits or self._since_fit[speaker] >= REFIT:
            return self._decide(speaker)
        # Between fits: the last fit's models never saw this utterance, so their correlation
        # with its sound is held out too.
        verdict, models = self._fits[speaker]
        self._waiting.pop(speaker)
        own = {
            track: models[track].correlation(features, evidence.levels[indices])
            for track, (indices, features) in evidence.features.items()
            if track in models
        }
        return [self._decision(index, verdict, own)]

    def finish(self) -> list[Decision]:
        """Decide every utterance still waiting (the recording has ended)."""
        return [d for speaker in list(self._waiting) for d in self._decide(speaker)]

    def _decide(self, speaker: str) -> list[Decision]:
        pool = self._pools[speaker]
        positions = {index: k for k, (index, _) in enumerate(pool)}
        scores = score_tracks([evidence for _, evidence in pool])
        verdict = choose(scores.pooled)
        if verdict.track is None and speaker in self._fits:
            kept = self._fits[speaker][0].track
            pooled = scores.pooled
            if (
                kept in pooled
                and pooled[kept] >= KEEP_SCORE
                and pooled[kept] == max(pooled.values())
            ):
                verdict = Verdict(kept, pooled)
        self._fits[speaker], self._since_fit[speaker] = (verdict, scores.models), 0
        waiting = self._waiting.pop(speaker, [])
        return [self._decision(i, verdict, scores.own[positions[i]]) for i in waiting]

    @staticmethod
    def _decision(index: int, verdict: Verdict, own: dict[int, float]) -> Decision:
        track = verdict.track
        reads = track if track is not None and own.get(track, -1.0) >= 0 else None
        return Decision(index, reads, {t: verdict.scores[t] for t in own if t in verdict.scores})
