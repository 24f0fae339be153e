"""YuNet face detection: libfacedetection (BSD-3-Clause, Shiqi Yu et al.) as the `yuface` wheel
ships it, called directly.

Why not `yuface.detect`: its extension allocates libfacedetection's 36 kB result buffer on every
call and never frees it. Detection runs on every sampled frame and again on every aligned face,
so an hour's meeting (about 14,000 calls) leaked about 500 MB. Here the buffer is a numpy array
that is freed with the call, and the library is the same file, with the same weights.
"""

from __future__ import annotations

import ctypes
from functools import cache
from pathlib import Path

import numpy as np

_BUFFER_BYTES = 0x9000  # libfacedetection's DETECT_BUFFER_SIZE
_SYMBOL = (
    "_Z14facedetect_cnnPhS_iii"  # facedetect_cnn(unsigned char*, unsigned char*, int, int, int)
)
_VALUES = 16  # per face: confidence (0-100), x, y, width, height, 5 (x, y) landmarks, 1 spare


@cache
def load_library() -> ctypes.CDLL:
    """libfacedetection from the yuface wheel (loaded once; raises if the wheel is missing)."""
    import yuface  # noqa: F401  (loads libfacedetection.so beside its own extension)

    path = Path(yuface.__file__).parent / "libfacedetection.so"
    library = ctypes.CDLL(str(path))
    function = getattr(library, _SYMBOL)
    function.restype = ctypes.POINTER(ctypes.c_int)
    function.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int]
    return library


def detect_faces(
    bgr: np.ndarray, min_confidence: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Faces in a BGR uint8 image: (confidences 0-100 (N,), boxes x, y, w, h (N, 4), landmarks
    (N, 10): right eye, left eye, nose tip, right and left mouth corner as x, y pairs), in the
    image's pixels, as `yuface.detect` returns them."""
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
