"""Align a face to FER2013's framing from its five YuNet landmarks.

The face-expression model learnt FER2013's 48x48 faces, which are loosely aligned: the eyes sit
near the same place but a face may be tilted, larger or smaller. Both the training images and
the pipeline's faces go through `align_face`, which rotates, scales and shifts a face so that
its landmarks land on `TEMPLATE`, FER2013's average landmark positions. One function for both
sides means the network sees at run time exactly the framing it was trained on.

Landmarks are YuNet's five points (right eye, left eye, nose tip, right and left mouth corner;
"right" is the person's right, the left one in the image), as (x, y) rows in the pixel-centre
convention (pixel k covers [k - 0.5, k + 0.5]).
"""

from __future__ import annotations

import numpy as np

ALIGNED_SIDE = 48  # FER2013's side

# FER2013's mean landmark positions in its 48x48 images, made left-right symmetric about the
# image centre (23.5) because training flips faces and inference averages a face with its mirror.
# Measured with YuNet on the Training split upscaled 2x (cubic), where a face was found (97 % of
# the 35,887 images): `python benchmarks/face_alignment.py template`.
TEMPLATE = np.array(
    [
        [14.32, 17.70],  # right eye
        [32.68, 17.70],  # left eye
        [23.50, 28.46],  # nose tip
        [15.78, 35.90],  # right mouth corner
        [31.22, 35.90],  # left mouth corner
    ],
    dtype=np.float64,
)

# A face shrunk by more than this is warped at twice the output side and then shrunk with area
# averaging: a single bilinear warp aliases when it shrinks much (pipeline faces are shrunk about
# 2.5x). Faces at about their final size (FER2013's own) are warped once, which blurs them less.
_DIRECT_MIN_SCALE = 0.75
_OVERSAMPLE = 2


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 rotation + uniform scale + shift that maps `source` points closest to `target`.

    Least squares over all points (Umeyama 1991 without reflection): five points average out
    the detector's jitter on any single landmark better than the two eyes alone.
    """
    source = np.asarray(source, dtype=np.float64).reshape(-1, 2)
    target = np.asarray(target, dtype=np.float64).reshape(-1, 2)
    source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
    s, t = source - source_mean, target - target_mean
    variance = (s**2).sum()
    if variance <= 1e-12:
        raise ValueError("landmarks are all at one point")
    # For 2-D similarity the least-squares solution has a closed form: a = cos * scale,
    # b = sin * scale, from the dot and cross products of the centred point sets.
    a = (s * t).sum() / variance
    b = (s[:, 0] * t[:, 1] - s[:, 1] * t[:, 0]).sum() / variance
    rotation = np.array([[a, -b], [b, a]])
    shift = target_mean - rotation @ source_mean
    return np.hstack([rotation, shift[:, None]])


def align_face(image: np.ndarray, landmarks: np.ndarray, side: int = ALIGNED_SIDE) -> np.ndarray:
    """A face from `image` (gray or BGR, uint8) as a side x side gray uint8 image, its five
    `landmarks` ((5, 2) or 10 values, in `image`'s pixel coordinates) moved onto TEMPLATE."""
    import cv2

    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    matrix = similarity_transform(landmarks, TEMPLATE * (side / ALIGNED_SIDE))
    scale = float(np.hypot(matrix[0, 0], matrix[1, 0]))
    factor = 1 if scale >= _DIRECT_MIN_SCALE else _OVERSAMPLE
    warp_side = side * factor
    # TEMPLATE is in 48-pixel coordinates; pixel centres scale as (x + 0.5) * f - 0.5.
    target = (TEMPLATE + 0.5) * (warp_side / ALIGNED_SIDE) - 0.5
    matrix = similarity_transform(landmarks, target)
    warped = cv2.warpAffine(
        gray,
        matrix,
        (warp_side, warp_side),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    if factor == 1:
        return warped
    return cv2.resize(warped, (side, side), interpolation=cv2.INTER_AREA)


# FER2013's faces are too small for YuNet as they are; at twice the side it finds 97 % of them.
_DETECT_UPSCALE = 2


def small_face_landmarks(gray: np.ndarray, min_confidence: float = 0.5) -> np.ndarray | None:
    """YuNet's five landmarks ((5, 2), this image's pixel coordinates) of the most confident
    face in a small gray image such as FER2013's, or None where no face is found.

    TEMPLATE was measured with this function, so it is the one that decides where a face's
    landmarks are, in training and in the pipeline alike.
    """
    import cv2

    from annotator.yunet import detect_faces

    side = gray.shape[0] * _DETECT_UPSCALE
    big = cv2.resize(gray, (side, side), interpolation=cv2.INTER_CUBIC)
    confidences, _, points = detect_faces(cv2.cvtColor(big, cv2.COLOR_GRAY2BGR), min_confidence)
    if len(confidences) == 0:
        return None
    best = points[int(np.argmax(confidences))].astype(np.float64).reshape(5, 2)
    return (best + 0.5) / _DETECT_UPSCALE - 0.5


def align_video_face(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """`align_face` for a face in a video frame (or a crop of one), with landmarks that YuNet
    found at the frame's resolution.

    YuNet places landmarks a little differently on a sharp, large face than on a 48x48 one (on
    96 faces from the shared clips, eyes 0.6 px lower and the eyes 1.2 px closer together, a
    5-7 % difference in scale). So the face is aligned once with the frame's landmarks, its
    landmarks are found again on that 48x48 face as training finds them on FER2013, and the
    face is aligned a second time, from `image`, with those (mapped back to `image`).
    """
    coarse = align_face(image, landmarks)
    found = small_face_landmarks(coarse)
    if found is None:
        return coarse
    forward = similarity_transform(landmarks, TEMPLATE)
    inverse = np.linalg.inv(np.vstack([forward, [0.0, 0.0, 1.0]]))[:2]
    refined = found @ inverse[:, :2].T + inverse[:, 2]
    return align_face(image, refined)


def landmarks_in_crop(
    landmarks: np.ndarray, origin: tuple[float, float], scale: float
) -> np.ndarray:
    """Frame landmarks -> the coordinates of a crop whose top-left pixel is frame pixel
    `origin` and that was resized by `scale` (crop pixels per frame pixel)."""
    points = np.asarray(landmarks, dtype=np.float64).reshape(-1, 2)
    return (points - np.asarray(origin, dtype=np.float64) + 0.5) * scale - 0.5
