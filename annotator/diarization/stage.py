"""The diarization stage: who speaks when, overlaps included, from the audio alone.

After pyannote's speaker diarization pipeline, with CAM++ embeddings and spectral clustering:
1. segmentation-3.0 gives local speaker activity (up to 3 speakers, 2 at once) in 10 s windows
   every `step` seconds;
2. each run of a local speaker (its speech in one window, split at pauses of RUN_GAP) gets a
   CAM++ embedding of the frames where it speaks alone (all its frames when it is never alone
   long enough);
3. the embeddings are clustered into the global speakers (the count from the eigengap, or the
   one asked for); runs of one window that overlap in time go to distinct speakers;
4. each global speaker's activity is averaged over the windows covering a frame, and at each
   frame the N most active speakers speak, N being the windows' mean count of local speakers
   there; runs of frames become turns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from annotator.diarization.campplus import SpeakerEmbedder, _Threads
from annotator.diarization.clustering import (
    NO_LIMITS,
    DiarizationOptions,
    assign,
    speaker_centroids,
)
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

STEP = 5.0  # seconds between 10 s windows: each frame is seen by two windows
FRAME_STEP = FRAME_SAMPLES / SAMPLE_RATE  # 16.875 ms
FBANK_FRAMES = (WINDOW_SAMPLES - 400) // 160 + 1  # 10 ms filterbank frames of a window
# Added to the log-probability of the powerset classes with a speaker before the argmax.
SPEECH_BIAS = 0.0
# The number of voices at a frame is the windows' mean count rounded up from 0.5 - COUNT_BIAS.
COUNT_BIAS = 0.0
MIN_ALONE = 0.5  # seconds of a local speaker alone below which its overlapped frames count too
MIN_EMBED = 0.25  # seconds: a local speaker heard less than this in a window gets no embedding
# How the runs' embeddings become speakers: "spectral" (the eigengap counts them) or
# "agglomerative" (a distance threshold does); see docs/diarization.md for both measured.
CLUSTERING = "spectral"
# Seconds of a local speaker's speech embedded at most: CAM++'s cost grows with its input, and
# a few seconds of one voice already give a stable embedding.
MAX_EMBED = 3.0
EMBED_BATCH = 8  # embeddings of one length per forward pass
MIN_CLUSTERED = 0.5  # seconds: shorter runs do not take part in finding the speakers
# A local speaker's pause at least this long starts a new run, embedded and assigned on its
# own: in a 10 s window the segmentation may give two people who never overlap one slot.
RUN_GAP = 0.5
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
    """Embeddings of the runs of local speakers heard long enough: a run is a local speaker's
    stretch of speech within one window (pauses under RUN_GAP bridged)."""

    window: np.ndarray  # (n,) window index
    speaker: np.ndarray  # (n,) local speaker 0-2
    first: np.ndarray  # (n,) the run's first frame in the window
    last: np.ndarray  # (n,) the frame after its last
    vectors: np.ndarray  # (n, 192) unit embeddings


class Diarizer:
    """segmentation-3.0 + CAM++ + clustering; load once, call per recording."""

    name = "pyannote segmentation-3.0 + CAM++"

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
        # Speakers are found among the runs long enough for a steady voice print; shorter
        # runs (a word, a laugh) then join the nearest of them.
        long = (local.last - local.first) * FRAME_STEP >= MIN_CLUSTERED
        train = local.vectors[long] if long.sum() >= 2 else local.vectors
        centroids = speaker_centroids(train, limits, CLUSTERING)
        speakers = np.argmax(local.vectors @ centroids.T, axis=1) if len(centroids) else []
        for group in _simultaneous(local):
            # Runs of different local speakers at the same time are different people.
            speakers[group] = assign(local.vectors[group] @ centroids.T)
        low, _ = limits.bounds(len(local.vectors))
        return _reconstruct(windows, activity, local, np.asarray(speakers), len(centroids), low)

    def _embed(self, samples: Samples, windows: Windows, activities: np.ndarray) -> _Local:
        """One CAM++ embedding per (window, local speaker) from the filterbank frames of the
        frames where it speaks (alone, when it is alone long enough), at most MAX_EMBED
        seconds of them: inputs of one length go through the network together."""
        keys: list[tuple[int, int, int, int]] = []
        vectors: list[np.ndarray] = []
        pending: dict[int, list[tuple[tuple[int, int, int, int], torch.Tensor]]] = {}

        def flush(length: int) -> None:
            batch = pending.pop(length)
            vectors.extend(self.embedder.embed_fbank(torch.stack([f for _, f in batch])))
            keys.extend(key for key, _ in batch)

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
            if not (activity.sum(0) >= min_embed).any():
                continue
            alone = activity * (activity.sum(1, keepdims=True) == 1)
            with torch.inference_mode():
                feats = kaldi_fbank(torch.from_numpy(audio)[None].to(self.device))[0]
            for speaker in range(activity.shape[1]):
                for first, last in _runs(activity[:, speaker], RUN_GAP / FRAME_STEP):
                    span = np.zeros(len(activity), dtype=bool)
                    span[first:last] = True
                    heard = activity[:, speaker] * span
                    if heard.sum() < min_embed:
                        continue
                    clean = alone[:, speaker] * span
                    mask = clean if clean.sum() >= min_alone else heard
                    frames = np.flatnonzero(mask[to_segment])
                    # The middle of the run, at most MAX_EMBED seconds, cut to a multiple of
                    # 0.25 s: few distinct input lengths let oneDNN reuse its kernels and
                    # let runs share a forward pass.
                    keep = min(most, max(len(frames) // 25 * 25, min(len(frames), 25)))
                    start = (len(frames) - keep) // 2
                    frames = frames[start : start + keep]
                    key = (index, int(speaker), first, last)
                    pending.setdefault(len(frames), []).append((key, feats[frames]))
                    if len(pending[len(frames)]) == EMBED_BATCH:
                        flush(len(frames))
        for length in list(pending):
            flush(length)
        if not keys:
            empty = np.zeros(0, int)
            return _Local(empty, empty, empty, empty, np.zeros((0, 192), np.float32))
        order = sorted(range(len(keys)), key=keys.__getitem__)
        columns = [np.array([keys[i][c] for i in order]) for c in range(4)]
        return _Local(*columns, np.stack([vectors[i] for i in order]))


def _runs(active: np.ndarray, gap: float) -> list[tuple[int, int]]:
    """(first, last + 1) of the runs of 1s in `active`, pauses shorter than `gap` bridged."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], active.astype(int), [0]])))
    runs: list[list[int]] = []
    for on, off in zip(edges[::2], edges[1::2], strict=True):
        if runs and on - runs[-1][1] < gap:
            runs[-1][1] = int(off)
        else:
            runs.append([int(on), int(off)])
    return [(a, b) for a, b in runs]


def _simultaneous(local: _Local) -> list[np.ndarray]:
    """Groups (row indexes) of runs of different local speakers of one window that overlap in
    time, each group connected by such overlaps."""
    groups = []
    for w in np.unique(local.window):
        rows = list(np.flatnonzero(local.window == w))
        while rows:
            group, frontier = [rows.pop(0)], 0
            while frontier < len(group):
                a = group[frontier]
                for b in list(rows):
                    if local.speaker[a] != local.speaker[b] and (
                        min(local.last[a], local.last[b]) > max(local.first[a], local.first[b])
                    ):
                        group.append(b)
                        rows.remove(b)
                frontier += 1
            if len(group) > 1:
                groups.append(np.array(group))
    return groups


def _reconstruct(
    windows: Windows,
    activities: np.ndarray,
    local: _Local,
    speakers: np.ndarray,
    count: int,
    low: int = 0,
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
    for w, speaker, a, b, k in zip(
        local.window, local.speaker, local.first, local.last, speakers, strict=True
    ):
        first = windows.first_frame(w)
        b = max(a, min(b, frames - first))
        total[first + a : first + b, k] += activities[w, a:b, speaker]
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
