"""Face-expression corpora: FER2013's npz and plain `<label>/*.png|jpg` folders.

Both readers return 48x48 gray uint8 faces (FER2013's format) with labels as indices into
FACE_LABELS, the seven project labels a face model can predict ("calm" has no face data), each
face aligned by `annotator.face_alignment.align_face` as the pipeline aligns its faces.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from annotator.emotion.face import FACE_SIDE
from annotator.face_alignment import align_face, small_face_landmarks
from annotator.schema import FACE_LABELS
from annotator.training.corpus_labels import FER2013_CLASSES, FER2013_TO_LABEL

# The face model's own classes, in project order without "calm".
FER2013_USAGES: tuple[str, ...] = ("Training", "PublicTest", "PrivateTest")
IMAGE_SUFFIXES: frozenset[str] = frozenset({".png", ".jpg", ".jpeg", ".bmp"})

# FER2013 class index -> FACE_LABELS index.
_FER_TO_FACE = np.array(
    [FACE_LABELS.index(FER2013_TO_LABEL[name]) for name in FER2013_CLASSES], dtype=np.int64
)


@dataclass
class FaceData:
    images: np.ndarray  # uint8 (N, 48, 48) gray
    labels: np.ndarray  # int64 (N,) indices into FACE_LABELS
    aligned: np.ndarray | None = None  # bool (N,): a face was found and aligned

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, n: int, seed: int = 0) -> FaceData:
        """A seeded random subset of n images (for tests and timing runs)."""
        if n >= len(self):
            return self
        order = np.random.default_rng(seed).permutation(len(self))[:n]
        aligned = None if self.aligned is None else self.aligned[order]
        return FaceData(self.images[order], self.labels[order], aligned)


def fer_to_face_labels(fer_labels: np.ndarray) -> np.ndarray:
    """FER2013 class indices (angry..neutral) -> FACE_LABELS indices."""
    return _FER_TO_FACE[np.asarray(fer_labels, dtype=np.int64)]


def label_name_to_face_index(name: str) -> int:
    """A folder name in either FER2013's or the project's vocabulary -> FACE_LABELS index."""
    key = name.strip().lower()
    key = FER2013_TO_LABEL.get(key, key)
    if key not in FACE_LABELS:
        raise ValueError(
            f"unknown face label {name!r}: use one of {FACE_LABELS} or {FER2013_CLASSES}"
        )
    return FACE_LABELS.index(key)


def load_fer2013(path: Path, usage: str) -> FaceData:
    """One split of FER2013's npz: usage = Training, PublicTest (validation) or PrivateTest."""
    if usage not in FER2013_USAGES:
        raise ValueError(f"usage must be one of {FER2013_USAGES}, not {usage!r}")
    with np.load(path) as npz:
        keep = npz["usage"] == usage
        images = npz["images"][keep].astype(np.uint8)
        labels = fer_to_face_labels(npz["labels"][keep])
    return FaceData(images, labels)


def load_image_folder(root: Path) -> FaceData:
    """`root/<label>/*.png|jpg`: faces framed like FER2013 (tight, any size), read gray and
    resized to 48x48. `load_face_data` then aligns them as it aligns FER2013."""
    images: list[np.ndarray] = []
    labels: list[int] = []
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        label = label_name_to_face_index(folder.name)
        for file in sorted(folder.iterdir()):
            if file.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            gray = cv2.imread(str(file), cv2.IMREAD_GRAYSCALE)
            if gray is None:
                raise ValueError(f"cannot read image {file}")
            if gray.shape != (FACE_SIDE, FACE_SIDE):
                gray = cv2.resize(gray, (FACE_SIDE, FACE_SIDE), interpolation=cv2.INTER_AREA)
            images.append(gray)
            labels.append(label)
    if not images:
        raise ValueError(f"no images under {root}/<label>/")
    return FaceData(np.stack(images), np.array(labels, dtype=np.int64))


def load_face_data(path: Path, usage: str = "PrivateTest", align: bool = True) -> FaceData:
    """An .npz (FER2013 layout, one usage split) or a `<label>/` image folder, aligned."""
    path = Path(path)
    if path.is_dir():
        data = load_image_folder(path)
    elif path.suffix == ".npz":
        data = load_fer2013(path, usage)
    else:
        raise ValueError(f"{path}: expected a FER2013 .npz or a folder of <label>/ images")
    return align_faces(data) if align else data


def align_faces(data: FaceData) -> FaceData:
    """Each face aligned to FER2013's template; a face YuNet does not find stays as it is
    (it is already framed like FER2013, only not corrected for tilt and size)."""
    images = data.images.copy()
    found = np.zeros(len(images), dtype=bool)
    for i, gray in enumerate(data.images):
        landmarks = small_face_landmarks(gray)
        if landmarks is not None:
            images[i] = align_face(gray, landmarks)
            found[i] = True
    return FaceData(images, data.labels, found)
