"""Link face detections across sampled frames into tracks, and measure each track's mouth motion.

A track is one face seen at about the same place and size from one detection frame to the next
(a gallery tile, a person at a table). Tracks keep their id for the whole recording, so the
transcript can say which face was read for each utterance and which face each speaker has.
Between detection frames a track keeps its last box; in every decoded frame the lower face
inside that box is described for annotator/active_speaker.py (its coarse shape and how it
changed since the previous frame).
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
PATCH_SIZE = (36, 24)  # the lower face is described at this size (width, height)
DCT_SHAPE = (4, 5)  # DCT coefficients kept (rows, columns): coarse shape, not texture
MOTION_SCALE = 25.5  # the pixel change on about the DCT coefficients' scale


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
    """(x0, y0, x1, y1) of the lower face: 0.9 x 0.6 face sides around the mouth corners when
    the detector gave them, else around the box's lower quarter; clipped to the frame."""
    side = d.side
    if len(d.landmarks) >= 10:
        cx = (d.landmarks[6] + d.landmarks[8]) / 2
        cy = (d.landmarks[7] + d.landmarks[9]) / 2
    else:
        cx, cy = d.x + d.width / 2, d.y + d.height * 0.75
    x0, x1 = cx - 0.45 * side, cx + 0.45 * side
    y0, y1 = cy - 0.3 * side, cy + 0.3 * side
    return int(max(0, x0)), int(max(0, y0)), int(min(width, x1)), int(min(height, y1))


def mouth_patch(gray: np.ndarray, d: Detection) -> np.ndarray | None:
    """The lower face as a PATCH_SIZE float patch (0..1); None when it is off the frame."""
    import cv2

    height, width = gray.shape[:2]
    x0, y0, x1, y1 = mouth_region(d, width, height)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    patch = cv2.resize(gray[y0:y1, x0:x1], PATCH_SIZE, interpolation=cv2.INTER_AREA)
    return patch.astype(np.float32) / 255.0


def _shape(patch: np.ndarray) -> np.ndarray:
    """The patch's lowest DCT_SHAPE 2-D DCT coefficients: the mouth's opening and shape,
    coarsely."""
    import cv2

    rows, columns = DCT_SHAPE
    return cv2.dct(patch)[:rows, :columns].ravel()


class LowerFaces:
    """Describes each track's lower face in consecutive gray frames: its coarse shape, how much
    that changed since the previous frame, and the mean pixel change around the mouth. The last
    frame's patch of each track is kept, so each frame's patch is cut and transformed once."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[float, np.ndarray, np.ndarray]] = {}  # time, patch, shape

    def describe(
        self,
        track: int,
        d: Detection,
        previous: tuple[float, np.ndarray],
        current: tuple[float, np.ndarray],
    ) -> np.ndarray | None:
        """Features of track `track` (box `d`) in `current` against `previous` ((time, gray
        frame) each); None when its lower face is off the frame."""
        now = mouth_patch(current[1], d)
        if now is None:
            return None
        shape_now = _shape(now)
        last = self._last.get(track)
        if last is not None and last[0] == previous[0]:
            before, shape_before = last[1], last[2]
        else:
            cut = mouth_patch(previous[1], d)
            if cut is None:
                return None
            before, shape_before = cut, _shape(cut)
        self._last[track] = (current[0], now, shape_now)
        motion = float(np.abs(now[4:20, 6:30] - before[4:20, 6:30]).mean()) * MOTION_SCALE
        return np.concatenate([shape_now, np.abs(shape_now - shape_before), [motion]])
