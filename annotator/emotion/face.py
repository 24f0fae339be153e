"""Face-expression inference: aligned faces in, calibrated 8-label probabilities out.

The face contract (annotator/faces.py): each face is a 48x48 gray uint8 image, rotated, scaled
and shifted by `annotator.face_alignment.align_face` so that its YuNet landmarks sit where
FER2013's do. Training aligns FER2013's own images with the same function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from annotator.emotion.face_net import FaceNetConfig, build_network
from annotator.emotion.labels import FACE_LABELS, LABELS
from annotator.emotion.probability import log_softmax, softmax

DEFAULT_WEIGHTS = Path(__file__).parent / "weights" / "face_emotion.pt"
FACE_SIDE = 48  # FER2013's image side: the network's input side

# FACE_LABELS column -> LABELS column; "calm" stays 0, the face carries no evidence for it.
_TO_LABELS = np.array([LABELS.index(label) for label in FACE_LABELS], dtype=np.int64)
# Faces per forward pass (x2 with the mirror images). Activations dominate memory: at 256 the
# two networks peaked at +930 MB over the loaded model, at 32 at +110 MB, equally fast per face.
_BATCH = 32


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
    # How faces were framed in training; inference frames them the same way.
    alignment: str = "yunet-5-point-fer2013-template"
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
            # Weights from before alignment were trained on FER2013 as it comes.
            alignment=str(data.get("alignment", "none (FER2013 as is)")),
            temperature=float(data["temperature"]),
            training=dict(data.get("training", {})),
        )


def to_project_labels(probs: np.ndarray) -> np.ndarray:
    """(N, 7) probabilities over FACE_LABELS -> (N, 8) over LABELS with calm = 0."""
    out = np.zeros((len(probs), len(LABELS)), dtype=np.float32)
    out[:, _TO_LABELS] = probs
    return out


class FaceEmotionModel:
    """The trained network plus its preprocessing and temperature."""

    def __init__(self, net: nn.Module, meta: FaceModelMeta, name: str = "face-cnn-fer2013") -> None:
        self.net = net.eval()
        self.meta = meta
        self.name = name  # recorded in the transcript's "models" block
        self.device = "cpu"
        if tuple(meta.classes) != FACE_LABELS:
            raise ValueError(f"weights predict {meta.classes}, expected {FACE_LABELS}")

    @classmethod
    def load(cls, path: Path | None = None) -> FaceEmotionModel:
        """One network's file (training writes these; the tool loads `FaceEnsemble`)."""
        path = Path(path) if path is not None else DEFAULT_WEIGHTS
        if not path.exists():
            raise FileNotFoundError(f"face-emotion weights not found: {path}")
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if "members" in saved:
            raise ValueError(f"{path}: an ensemble of face networks, not one network")
        return cls.from_saved(saved, path.name)

    @classmethod
    def from_saved(cls, saved: dict, label: str) -> FaceEmotionModel:
        meta = FaceModelMeta.from_dict(saved["meta"])
        net = build_network(meta.net)
        # Weights may be stored as float16 to keep the package small; compute in float32.
        net.load_state_dict(
            {k: v.float() if v.is_floating_point() else v for k, v in saved["state_dict"].items()}
        )
        arch = meta.net.get("arch", "vgg")
        return cls(net, meta, name=f"face-{arch}-fer2013 ({label})")

    def to(self, device: str) -> FaceEmotionModel:
        """Run on `device` ("cpu" or "cuda"); returns self."""
        self.net.to(device)
        self.device = device
        return self

    def saved(self, half: bool = True) -> dict:
        state = {
            k: v.half() if half and v.is_floating_point() else v
            for k, v in self.net.state_dict().items()
        }
        return {"state_dict": state, "meta": self.meta.to_dict()}

    def save(self, path: Path, half: bool = True) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        torch.save(self.saved(half), path)

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
                x = torch.from_numpy(faces[start : start + _BATCH]).to(self.device)
                crops = [x[..., top : top + side, left : left + side] for top, left in views]
                batch = torch.cat(crops + [c.flip(-1) for c in crops])
                logits = self.net(batch).reshape(2 * len(views), len(x), -1).mean(dim=0)
                out[start : start + len(x)] = logits.cpu().numpy()
        return out

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated (N, 8) probabilities in LABELS order from (N, 7) logits."""
        return to_project_labels(softmax(logits, self.meta.temperature))


@dataclass
class EnsembleMeta:
    """How the members' outputs are combined; fitted on FER2013 PublicTest."""

    weights: tuple[float, ...]  # per member, on its own calibrated log-probabilities
    temperature: float = 1.0  # of the combined scores
    # Added to the combined scores before the temperature: a logit adjustment (-tau x log of
    # the training class frequencies) that lifts rare classes such as disgust, whose recall a
    # plain argmax leaves near zero.
    class_bias: tuple[float, ...] = (0.0,) * len(FACE_LABELS)
    training: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["weights"], data["class_bias"] = list(self.weights), list(self.class_bias)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> EnsembleMeta:
        return cls(
            weights=tuple(float(w) for w in data["weights"]),
            temperature=float(data["temperature"]),
            class_bias=tuple(float(b) for b in data["class_bias"]),
            training=dict(data.get("training", {})),
        )


class FaceEnsemble:
    """One or more face networks whose calibrated log-probabilities are averaged.

    The shipped model is a VGG-style `FaceNet` and a mini-XCEPTION: two networks of different
    design err on different faces, and the average is more accurate than either (see
    docs/face-emotion.md). A file holding one network loads as an ensemble of one, with the
    same probabilities as that network alone.
    """

    def __init__(self, members: Sequence[FaceEmotionModel], meta: EnsembleMeta) -> None:
        if len(members) != len(meta.weights):
            raise ValueError(f"{len(members)} face networks but {len(meta.weights)} weights")
        self.members = list(members)
        self.meta = meta
        self.name = " + ".join(member.name for member in self.members)

    @classmethod
    def load(cls, path: Path | None = None, device: str = "cpu") -> FaceEnsemble:
        """Default: the weights shipped in annotator/emotion/weights/."""
        path = Path(path) if path is not None else DEFAULT_WEIGHTS
        if not path.exists():
            raise FileNotFoundError(f"face-emotion weights not found: {path}")
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if "members" not in saved:
            single = FaceEmotionModel.from_saved(saved, path.name).to(device)
            return cls([single], EnsembleMeta((1.0,)))
        members = [
            FaceEmotionModel.from_saved(member, f"{path.name} #{i + 1}").to(device)
            for i, member in enumerate(saved["members"])
        ]
        return cls(members, EnsembleMeta.from_dict(saved["ensemble"]))

    def save(self, path: Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        members = [member.saved() for member in self.members]
        torch.save({"members": members, "ensemble": self.meta.to_dict()}, path)

    def member_scores(self, images: np.ndarray) -> list[np.ndarray]:
        """Each member's calibrated log-probabilities (N, 7) for (N, 1, 48, 48) faces."""
        scores = []
        for member in self.members:
            scores.append(log_softmax(member.logits(images), member.meta.temperature))
        return scores

    def combine(self, scores: Sequence[np.ndarray]) -> np.ndarray:
        """Members' log-probabilities -> the combined (N, 7) probabilities over FACE_LABELS."""
        combined = sum(w * s for w, s in zip(self.meta.weights, scores, strict=True))
        return softmax(combined + np.asarray(self.meta.class_bias), self.meta.temperature)

    def predict(self, faces: Sequence[np.ndarray]) -> np.ndarray:
        """Aligned uint8 gray faces (each 48x48) -> (N, 8) calibrated probabilities."""
        if len(faces) == 0:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        images = np.stack([np.asarray(face, dtype=np.float32) for face in faces])[:, None] / 255.0
        return to_project_labels(self.combine(self.member_scores(images)))


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
