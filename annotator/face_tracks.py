"""Link face detections across sampled frames into tracks, and measure each track's mouth motion.

A track is one face seen at about the same place and size from one detection frame to the next
(a gallery tile, a person at a table). Tracks keep their id for the whole recording, so the
transcript can say which face was read for each utterance and which face each speaker has.
Between detection frames a track keeps its last box; the mouth motion of a track in a frame is
how much the lower face's pixels changed since the previous decoded frame, inside that box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Detection(Protocol):
    """What tracking reads of a detection (annotator.faces.Detection, which imports this)."""

    x: float
    y: float
    width: float
    height: float
    confidence: float
    landmarks: tuple[float, ...]

    @property
    def side(self) -> float: ...

    @property
    def center(self) -> tuple[float, float]: ...


MIN_IOU = 0.3  # boxes overlapping less than this are different faces...
MAX_SIZE_RATIO = 1.6  # ...and so are boxes whose sides differ more than this
MOUTH_SIZE = (24, 12)  # the lower-face patch is compared at this size (width, height)


@dataclass
class Track:
    id: int
    box: Detection  # the latest detection
    last_seen: float  # time of the latest detection, seconds
    best_score: float = 0.0  # confidence x side of the best-framed detection so far
    thumbnail: np.ndarray | None = None  # its crop (BGR), for the report


def iou(a: Detection, b: Detection) -> float:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.x + a.width, b.x + b.width), min(a.y + a.height, b.y + b.height)
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def _similar(a: Detection, b: Detection) -> float:
    """How well two boxes match as the same face (0: not at all); IoU with a fallback for fast
    movers: centres closer than half a face side still match, scored below any real overlap."""
    ratio = max(a.side, b.side) / max(1e-6, min(a.side, b.side))
    if ratio > MAX_SIZE_RATIO:
        return 0.0
    overlap = iou(a, b)
    if overlap >= MIN_IOU:
        return overlap
    (ax, ay), (bx, by) = a.center, b.center
    near = ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 < 0.5 * max(a.side, b.side)
    return 0.01 if near else 0.0


class FaceTracker:
    """Assigns every detection a track id; a track lives for the whole recording."""

    def __init__(self) -> None:
        self.tracks: list[Track] = []

    def update(self, time: float, detections: Sequence[Detection]) -> list[int]:
        """Track ids for `detections` (one per detection, no id twice), greedy by best match."""
        pairs = sorted(
            (
                (score, t, d)
                for t, track in enumerate(self.tracks)
                for d, detection in enumerate(detections)
                if (score := _similar(track.box, detection)) > 0
            ),
            reverse=True,
        )
        ids: list[int | None] = [None] * len(detections)
        used: set[int] = set()
        for _, t, d in pairs:
            if t in used or ids[d] is not None:
                continue
            used.add(t)
            ids[d] = self.tracks[t].id
            self.tracks[t].box, self.tracks[t].last_seen = detections[d], time
        for d, detection in enumerate(detections):
            if ids[d] is None:
                ids[d] = len(self.tracks)
                self.tracks.append(Track(len(self.tracks), detection, time))
        return [i for i in ids if i is not None]

    def offer_thumbnail(self, track: int, detection: Detection, crop: np.ndarray) -> None:
        """Keep the crop if it is the track's best-framed face so far (large and sure)."""
        entry = self.tracks[track]
        score = detection.confidence * detection.side
        if score > entry.best_score:
            entry.best_score, entry.thumbnail = score, crop.copy()

    def live(self, time: float, within: float) -> list[Track]:
        """Tracks detected no longer than `within` seconds before `time`."""
        return [t for t in self.tracks if time - t.last_seen <= within]


def mouth_region(d: Detection, width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the lower face: around the mouth corners when the detector gave
    them, else the lower part of the box; clipped to the frame."""
    side = d.side
    if len(d.landmarks) >= 10:
        cx = (d.landmarks[6] + d.landmarks[8]) / 2
        cy = (d.landmarks[7] + d.landmarks[9]) / 2
    else:
        cx, cy = d.x + d.width / 2, d.y + d.height * 0.75
    x0, x1 = cx - 0.35 * side, cx + 0.35 * side
    y0, y1 = cy - 0.2 * side, cy + 0.25 * side
    return (
        int(max(0, x0)),
        int(max(0, y0)),
        int(min(width, max(x0 + 2, x1))),
        int(min(height, max(y0 + 2, y1))),
    )


def _patch(gray: np.ndarray, region: tuple[int, int, int, int]) -> np.ndarray:
    import cv2

    x0, y0, x1, y1 = region
    return cv2.resize(gray[y0:y1, x0:x1], MOUTH_SIZE, interpolation=cv2.INTER_AREA).astype(np.int16)


def mouth_motion(previous: np.ndarray, current: np.ndarray, d: Detection) -> float | None:
    """Mean absolute change of the lower-face patch between two gray frames (gray levels);
    None when the patch is off the frame."""
    height, width = current.shape[:2]
    x0, y0, x1, y1 = region = mouth_region(d, width, height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return float(np.abs(_patch(previous, region) - _patch(current, region)).mean())
