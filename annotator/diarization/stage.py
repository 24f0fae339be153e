"""The diarization stage: who speaks when, overlaps included, from the audio alone.

As the best open systems do it (pyannote's speaker diarization pipeline):
1. segmentation-3.0 gives local speaker activity (up to 3 speakers, 2 at once) in 10 s windows
   every `step` seconds;
2. each (window, local speaker) gets a CAM++ embedding of the frames where that speaker speaks
   alone (all its frames when it is never alone long enough);
3. agglomerative clustering of the embeddings gives the global speakers (threshold-calibrated
   count, or the one asked for); each window's local speakers go to distinct global speakers;
4. each global speaker's activity is averaged over the windows covering a frame, and at each
   frame the N most active speakers speak, N being the windows' mean count of local speakers
   there; runs of frames become turns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from annotator.diarization.campplus import SpeakerEmbedder, _Threads
from annotator.diarization.clustering import NO_LIMITS, DiarizationOptions, agglomerate, assign
from annotator.diarization.features import kaldi_fbank
from annotator.diarization.segmentation import (
    FRAME_CENTRE,
    FRAME_SAMPLES,
    FRAMES_PER_WINDOW,
    WINDOW_SAMPLES,
    PyanNet,
    Windows,
    load_segmentation,
    read_windows,
    segment,
    window_starts,
)
from annotator.media import SAMPLE_RATE, Samples

STEP = 2.5  # seconds between 10 s windows: each frame is seen by four windows
FRAME_STEP = FRAME_SAMPLES / SAMPLE_RATE  # 16.875 ms
FBANK_FRAMES = (WINDOW_SAMPLES - 400) // 160 + 1  # 10 ms filterbank frames of a window
# Added to the log-probability of the powerset classes with a speaker before the argmax.
SPEECH_BIAS = 0.0
# The number of voices at a frame is the windows' mean count rounded up from 0.5 - COUNT_BIAS.
COUNT_BIAS = 0.0
MIN_ALONE = 0.5  # seconds of a local speaker alone below which its overlapped frames count too
MIN_EMBED = 0.25  # seconds: a local speaker heard less than this in a window gets no embedding
# Seconds of a local speaker's speech embedded at most: CAM++'s cost grows with its input, and
# a few seconds of one voice already give a stable embedding.
MAX_EMBED = 3.0
EMBED_BATCH = 8  # embeddings of one length per forward pass
MIN_GAP = 0.0  # seconds: a pause of one speaker shorter than this is filled
MIN_TURN = 0.0  # seconds: shorter turns are dropped


@dataclass(frozen=True)
class Turn:
    """One speaker talking; turns of different speakers may overlap."""

    start: float
    end: float
    speaker: int  # 0-based, numbered by first appearance


@dataclass
class Diarization:
    turns: list[Turn]  # sorted by start
    num_speakers: int
    frame_step: float  # seconds per row of `activity`
    activity: np.ndarray  # (frames, num_speakers) float32 in [0, 1], frame i at i * frame_step

    def speaker_at(self, start: float, end: float) -> int | None:
        """The speaker most active over [start, end] (None: nobody speaks there)."""
        if self.num_speakers == 0:
            return None
        first = max(0, int(start / self.frame_step))
        last = max(first + 1, int(np.ceil(end / self.frame_step)))
        total = self.activity[first:last].sum(0)
        if total.size == 0 or total.max() <= 0:
            return None
        return int(np.argmax(total))


@dataclass
class _Local:
    """Embeddings of the (window, local speaker) pairs heard long enough."""

    window: np.ndarray  # (n,) window index
    speaker: np.ndarray  # (n,) local speaker 0-2
    vectors: np.ndarray  # (n, 192) unit embeddings


class Diarizer:
    """segmentation-3.0 + CAM++ + agglomerative clustering; load once, call per recording."""

    name = "pyannote segmentation-3.0 + CAM++ (agglomerative)"

    def __init__(
        self,
        segmentation: PyanNet,
        embedder: SpeakerEmbedder,
        threads: int = 0,
        device: str = "cpu",
        step: float = STEP,
    ):
        self.segmentation, self.embedder = segmentation, embedder
        self.threads, self.device, self.step = threads, device, step

    @classmethod
    def load(cls, threads: int = 0, device: str = "cpu") -> Diarizer:
        return cls(
            load_segmentation(device), SpeakerEmbedder.load(threads, device), threads, device
        )

    def __call__(self, samples: Samples, limits: DiarizationOptions = NO_LIMITS) -> Diarization:
        return self.global_speakers(*self.local_speakers(samples), limits)

    def local_speakers(self, samples: Samples) -> tuple[Windows, np.ndarray, _Local]:
        """Steps 1-2: the networks' work (nearly all of the time)."""
        with _Threads(self.threads):
            windows = segment(self.segmentation, samples, self.step, self.device)
            activity = windows.activity(SPEECH_BIAS)
            return windows, activity, self._embed(samples, windows, activity)

    def global_speakers(
        self,
        windows: Windows,
        activity: np.ndarray,
        local: _Local,
        limits: DiarizationOptions = NO_LIMITS,
    ) -> Diarization:
        """Steps 3-4: clustering and the timeline."""
        centroids = agglomerate(local.vectors, limits)
        speakers = np.full((len(activity), 3), -1, dtype=int)
        for w in np.unique(local.window):
            rows = np.flatnonzero(local.window == w)
            chosen = assign(local.vectors[rows] @ centroids.T)
            speakers[w, local.speaker[rows]] = chosen
        low, _ = limits.bounds(len(local.vectors))
        return _reconstruct(windows, activity, speakers, len(centroids), low)

    def _embed(self, samples: Samples, windows: Windows, activities: np.ndarray) -> _Local:
        """One CAM++ embedding per (window, local speaker) from the filterbank frames of the
        frames where it speaks (alone, when it is alone long enough), at most MAX_EMBED
        seconds of them: inputs of one length go through the network together."""
        keys: list[tuple[int, int]] = []
        vectors: list[np.ndarray] = []
        pending: dict[int, list[tuple[int, int, torch.Tensor]]] = {}

        def flush(length: int) -> None:
            batch = pending.pop(length)
            feats = torch.stack([f for _, _, f in batch])
            vectors.extend(self.embedder.embed_fbank(feats))
            keys.extend((w, k) for w, k, _ in batch)

        starts = window_starts(len(samples), windows.step)
        # Segmentation frame of each 10 ms filterbank frame (its 25 ms window's centre).
        to_segment = np.clip(
            np.round((np.arange(FBANK_FRAMES) * 160 + 200 - FRAME_CENTRE) / FRAME_SAMPLES),
            0,
            FRAMES_PER_WINDOW - 1,
        ).astype(int)
        min_alone = MIN_ALONE / FRAME_STEP
        min_embed = MIN_EMBED / FRAME_STEP
        most = int(MAX_EMBED * 100)  # filterbank frames
        for index, audio in read_windows(samples, starts):
            activity = activities[index]
            heard = activity.sum(0)
            if not (heard >= min_embed).any():
                continue
            alone = activity * (activity.sum(1, keepdims=True) == 1)
            with torch.inference_mode():
                feats = kaldi_fbank(torch.from_numpy(audio)[None].to(self.device))[0]
            for speaker in np.flatnonzero(heard >= min_embed):
                mask = alone[:, speaker] if alone[:, speaker].sum() >= min_alone else None
                if mask is None:
                    mask = activity[:, speaker]
                frames = np.flatnonzero(mask[to_segment])
                if len(frames) > most:  # the middle MAX_EMBED seconds of its speech
                    first = (len(frames) - most) // 2
                    frames = frames[first : first + most]
                pending.setdefault(len(frames), []).append((index, int(speaker), feats[frames]))
                if len(pending[len(frames)]) == EMBED_BATCH:
                    flush(len(frames))
        for length in list(pending):
            flush(length)
        if not keys:
            return _Local(np.zeros(0, int), np.zeros(0, int), np.zeros((0, 192), np.float32))
        order = sorted(range(len(keys)), key=keys.__getitem__)
        return _Local(
            np.array([keys[i][0] for i in order]),
            np.array([keys[i][1] for i in order]),
            np.stack([vectors[i] for i in order]),
        )


def _reconstruct(
    windows: Windows, activities: np.ndarray, speakers: np.ndarray, count: int, low: int = 0
) -> Diarization:
    """Frame-level activity of the global speakers, and their turns (of at least `low`
    speakers where that many were asked for and heard)."""
    frames = windows.frames
    total = np.zeros((frames, max(count, 1)), dtype=np.float32)
    covered = np.zeros(frames, dtype=np.float32)
    voices = np.zeros(frames, dtype=np.float32)
    for w, activity in enumerate(activities):
        first = windows.first_frame(w)
        n = max(0, min(FRAMES_PER_WINDOW, frames - first))
        covered[first : first + n] += 1
        voices[first : first + n] += activity[:n].sum(1)
        for local, k in enumerate(speakers[w]):
            if k >= 0:
                total[first : first + n, k] += activity[:n, local]
    covered = covered.clip(1)
    activity = (total / covered[:, None])[:, :count]
    speaking = np.floor(voices / covered + 0.5 + COUNT_BIAS).astype(int).clip(0, count)
    # At each frame the `speaking` most active speakers speak (and only those with activity).
    order = np.argsort(-activity, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(count)[None, :].repeat(frames, 0), axis=1)
    binary = (rank < speaking[:, None]) & (activity > 0)
    silent = np.flatnonzero(~binary.any(0))
    if count - len(silent) < low:
        # A speaker asked for but never among the most active: it speaks wherever a window
        # gives it a voice.
        binary[:, silent] = activity[:, silent] > 0
    turns = _turns(binary)
    # Speakers numbered by first appearance; speakers with no turn left are dropped.
    first_seen: dict[int, int] = {}
    for t in sorted(turns, key=lambda t: (t.start, t.speaker)):
        first_seen.setdefault(t.speaker, len(first_seen))
    order_kept = sorted(first_seen, key=first_seen.get)
    turns = sorted(
        (Turn(t.start, t.end, first_seen[t.speaker]) for t in turns),
        key=lambda t: (t.start, t.speaker),
    )
    activity = activity[:, order_kept] if order_kept else np.zeros((frames, 0), np.float32)
    return Diarization(turns, len(order_kept), FRAME_STEP, activity.astype(np.float32))


def _turns(binary: np.ndarray) -> list[Turn]:
    """Runs of frames per speaker as turns: pauses under MIN_GAP filled, turns under MIN_TURN
    dropped."""
    turns = []
    for k in range(binary.shape[1]):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], binary[:, k].astype(int), [0]])))
        runs: list[list[float]] = []
        for on, off in zip(edges[::2], edges[1::2], strict=True):
            start, end = on * FRAME_STEP, off * FRAME_STEP
            if runs and start - runs[-1][1] < MIN_GAP:
                runs[-1][1] = end
            else:
                runs.append([start, end])
        turns += [
            Turn(round(float(s), 3), round(float(e), 3), k) for s, e in runs if e - s >= MIN_TURN
        ]
    return turns
