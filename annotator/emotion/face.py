"""Face-expression inference: pipeline face crops in, calibrated 8-label probabilities out.

The crop contract (annotator/faces.py): a square BGR crop centred on the detected face box, side
1.5 x max(box w, h), resized to 128x128. FER2013's faces are aligned much tighter, so
`preprocess` keeps only a central part of the crop (CROP_FRACTION of its side, measured against
FER2013 images on CREMA-D and GRID frames) before scaling it to 48x48 gray.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from annotator.emotion.face_net import FaceNet, FaceNetConfig
from annotator.emotion.labels import FACE_LABELS, LABELS
from annotator.emotion.probability import softmax

DEFAULT_WEIGHTS = Path(__file__).parent / "weights" / "face_emotion.pt"
FACE_SIDE = 48  # FER2013's image side: the network's input side

# Part of the 1.5x-margin crop that matches FER2013's alignment: the central CROP_FRACTION of
# the side, its centre CROP_CENTER_Y of the way down (faces in FER2013 sit a little low: the
# crop keeps the chin and drops most of the forehead). See the measurement in the weights' notes.
CROP_FRACTION = 0.64
CROP_CENTER_Y = 0.5

# FACE_LABELS column -> LABELS column; "calm" stays 0, the face carries no evidence for it.
_TO_LABELS = np.array([LABELS.index(label) for label in FACE_LABELS], dtype=np.int64)
_BATCH = 256


@dataclass
class FaceModelMeta:
    """What travels with the weights: enough to rebuild, preprocess and calibrate."""

    net: dict = field(default_factory=lambda: FaceNetConfig().to_dict())
    classes: tuple[str, ...] = FACE_LABELS  # the network's output order
    input_side: int = FACE_SIDE
    # The side the network was trained on (random crops of the 48x48 face). It must see the
    # same side at test time: measured on FER2013 validation after one epoch, the full 48x48
    # image gave 18% accuracy where the central 44x44 crop gave 43% (zero padding at the
    # borders and a 3x3 instead of 2x2 final map change every activation).
    net_side: int = 44
    test_crops: int = 1  # 1: the centre crop; 5: centre + four corners (each with its mirror)
    crop_fraction: float = CROP_FRACTION
    crop_center_y: float = CROP_CENTER_Y
    temperature: float = 1.0  # fitted on FER2013 PublicTest logits (flip-averaged)
    training: dict = field(default_factory=dict)  # data, seed, epochs, scores, license note

    def to_dict(self) -> dict:
        data = asdict(self)
        data["classes"] = list(self.classes)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> FaceModelMeta:
        return cls(
            net=dict(data["net"]),
            classes=tuple(data["classes"]),
            input_side=int(data["input_side"]),
            net_side=int(data.get("net_side", 44)),
            test_crops=int(data.get("test_crops", 1)),
            crop_fraction=float(data["crop_fraction"]),
            crop_center_y=float(data["crop_center_y"]),
            temperature=float(data["temperature"]),
            training=dict(data.get("training", {})),
        )


def preprocess(
    crop_bgr: np.ndarray,
    crop_fraction: float = CROP_FRACTION,
    center_y: float = CROP_CENTER_Y,
    side: int = FACE_SIDE,
) -> np.ndarray:
    """A pipeline crop (BGR or gray, any square size) -> float32 (1, side, side) gray in [0, 1]."""
    image = np.asarray(crop_bgr)
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    h, w = image.shape[:2]
    size = max(1, round(min(h, w) * crop_fraction))
    top = int(np.clip(round(h * center_y - size / 2), 0, h - size))
    left = (w - size) // 2
    face = image[top : top + size, left : left + size]
    # INTER_AREA: the crop is shrunk ~2x, and area averaging avoids aliasing there.
    face = cv2.resize(face, (side, side), interpolation=cv2.INTER_AREA)
    return (face.astype(np.float32) / 255.0)[None]


def to_project_labels(probs: np.ndarray) -> np.ndarray:
    """(N, 7) probabilities over FACE_LABELS -> (N, 8) over LABELS with calm = 0."""
    out = np.zeros((len(probs), len(LABELS)), dtype=np.float32)
    out[:, _TO_LABELS] = probs
    return out


class FaceEmotionModel:
    """The trained network plus its preprocessing and temperature."""

    def __init__(self, net: FaceNet, meta: FaceModelMeta, name: str = "face-cnn-fer2013") -> None:
        self.net = net.eval()
        self.meta = meta
        self.name = name  # recorded in the transcript's "models" block
        if tuple(meta.classes) != FACE_LABELS:
            raise ValueError(f"weights predict {meta.classes}, expected {FACE_LABELS}")

    @classmethod
    def load(cls, path: Path | None = None) -> FaceEmotionModel:
        """Default: the weights shipped in annotator/emotion/weights/."""
        path = Path(path) if path is not None else DEFAULT_WEIGHTS
        if not path.exists():
            raise FileNotFoundError(f"face-emotion weights not found: {path}")
        saved = torch.load(path, map_location="cpu", weights_only=True)
        meta = FaceModelMeta.from_dict(saved["meta"])
        net = FaceNet(FaceNetConfig.from_dict(meta.net))
        # Weights may be stored as float16 to keep the package small; compute in float32.
        net.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in saved["state_dict"].items()}
        )
        return cls(net, meta, name=f"face-cnn-fer2013 ({path.name})")

    def save(self, path: Path, half: bool = True) -> None:
        state = {
            k: v.half() if half and v.is_floating_point() else v
            for k, v in self.net.state_dict().items()
        }
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        torch.save({"state_dict": state, "meta": self.meta.to_dict()}, path)

    def preprocess(self, crop_bgr: np.ndarray) -> np.ndarray:
        return preprocess(
            crop_bgr, self.meta.crop_fraction, self.meta.crop_center_y, self.meta.input_side
        )

    def logits(self, faces: np.ndarray) -> np.ndarray:
        """(N, 1, 48, 48) float faces in [0, 1] -> (N, 7) uncalibrated logits.

        Test-time augmentation: the logits of the net_side crop(s) and of their mirror images
        are averaged (expressions are close to symmetric, and averaging views smooths noise).
        """
        faces = np.ascontiguousarray(faces, dtype=np.float32)
        views = _crop_offsets(faces.shape[-1], self.meta.net_side, self.meta.test_crops)
        side = self.meta.net_side
        out = np.zeros((len(faces), len(FACE_LABELS)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(faces), _BATCH):
                x = torch.from_numpy(faces[start : start + _BATCH])
                crops = [x[..., top : top + side, left : left + side] for top, left in views]
                batch = torch.cat(crops + [c.flip(-1) for c in crops])
                logits = self.net(batch).reshape(2 * len(views), len(x), -1).mean(dim=0)
                out[start : start + len(x)] = logits.numpy()
        return out

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated (N, 8) probabilities in LABELS order from (N, 7) logits."""
        return to_project_labels(softmax(logits, self.meta.temperature))

    def predict_aligned(self, gray: np.ndarray) -> np.ndarray:
        """FER2013-aligned uint8 gray faces (N, 48, 48) -> (N, 8) probabilities."""
        faces = np.asarray(gray, dtype=np.float32)[:, None] / 255.0
        return self.probabilities(self.logits(faces))

    def predict(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Pipeline crops (128x128 BGR) -> (N, 8) calibrated probabilities, rows sum to 1."""
        if len(crops) == 0:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        faces = np.stack([self.preprocess(crop) for crop in crops])
        return self.probabilities(self.logits(faces))


def _crop_offsets(side: int, crop: int, n: int) -> list[tuple[int, int]]:
    """(top, left) of the centre crop, then of the four corner crops when n == 5."""
    centre = (side - crop) // 2
    if n == 1:
        return [(centre, centre)]
    if n == 5:
        far = side - crop
        return [(centre, centre), (0, 0), (0, far), (far, 0), (far, far)]
    raise ValueError(f"test_crops must be 1 or 5, not {n}")


def combine_frames(probs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-frame (N, 8) probabilities + per-frame weights (N,) -> one (8,) distribution.

    A weighted mean of the probabilities (weight = detection confidence x face size, as the
    pipeline passes it). Chosen over a weighted mean of log-probabilities because a single bad
    frame (blur, a turned head) then cannot veto a class that every other frame supports; see
    docs/face-emotion.md. Zero total weight falls back to equal weights.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) == 0:
        raise ValueError("combine_frames needs at least one frame of probabilities")
    w = np.clip(np.asarray(weights, dtype=np.float64).reshape(-1), 0.0, None)
    if len(w) != len(probs):
        raise ValueError(f"{len(w)} weights for {len(probs)} frames")
    if w.sum() <= 0:
        w = np.ones_like(w)
    combined = (w[:, None] * probs).sum(axis=0) / w.sum()
    return (combined / combined.sum()).astype(np.float32)
