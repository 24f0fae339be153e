"""Tie the faces stage's tracks to the transcript: which face each utterance read and where,
and which face each diarized speaker has (with a small thumbnail for the report)."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Sequence

import numpy as np

from annotator.faces import UtteranceFaces
from annotator.transcript import Speaker, Utterance

THUMBNAIL_SIZE = 64  # pixels a side: a speaker list's picture, about 2 KB as JPEG


def mark_face_tracks(
    utterances: Sequence[Utterance], faces: Sequence[UtteranceFaces | None]
) -> None:
    """Record on each utterance's face verdict the track read and its box (video pixels)."""
    for utterance, found in zip(utterances, faces, strict=True):
        result = utterance.emotion.face if utterance.emotion else None
        if result is None or found is None or found.track is None:
            continue
        result.track = found.track
        result.box = list(found.box) if found.box else None


def speaker_track(tracks: Sequence[int | None]) -> int | None:
    """The track chosen most often among a speaker's utterances; None without a clear one
    (no utterance with a face, or a tie)."""
    counts = Counter(t for t in tracks if t is not None).most_common(2)
    if not counts or (len(counts) > 1 and counts[0][1] == counts[1][1]):
        return None
    return counts[0][0]


def thumbnail_uri(crop: np.ndarray) -> str:
    """A BGR face crop as a small JPEG data: URI."""
    import cv2

    small = cv2.resize(crop, (THUMBNAIL_SIZE, THUMBNAIL_SIZE), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise ValueError("could not encode a face thumbnail")
    return "data:image/jpeg;base64," + base64.b64encode(data.tobytes()).decode("ascii")


def attach_speaker_faces(
    speakers: Sequence[Speaker],
    utterances: Sequence[Utterance],
    faces: Sequence[UtteranceFaces | None],
    thumbnails: dict[int, np.ndarray],
) -> None:
    """Set each speaker's `face_track` (and `face_thumbnail` when the track has a picture)."""
    for speaker in speakers:
        chosen = [
            found.track
            for utterance, found in zip(utterances, faces, strict=True)
            if utterance.speaker == speaker.id and found is not None
        ]
        speaker.face_track = speaker_track(chosen)
        if speaker.face_track is not None and speaker.face_track in thumbnails:
            speaker.face_thumbnail = thumbnail_uri(thumbnails[speaker.face_track])
