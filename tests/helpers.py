"""Small helpers shared by the tests (imported as `helpers`; pytest puts tests/ on sys.path)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from annotator.media import ffmpeg_executable
from annotator.training.metrics import word_error_rate  # noqa: F401  (the tests' WER)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CREMA_D = SHARED / "media" / "crema-d"  # six acted CREMA-D video clips of one actor
SAMPLES = REPO / "sample_meetings"


def ffmpeg(*args: str) -> None:
    """Run the bundled ffmpeg to build a test input; fail loudly if it cannot."""
    subprocess.run(
        [ffmpeg_executable(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
    )


# Turns of sample_meetings/meeting.mp4 that tests cut out as short recordings of their own:
# (start, duration) around one speaker's sentence (see meeting.truth.json).
MEETING_TURNS = {
    "bin_blue": (0.0, 2.0),  # GRID bbaf2n, "bin blue at f two now"
    "bin_red": (4.3, 2.0),  # GRID brbk7n, "bin red by k seven now"
    "lay_blue": (9.2, 2.0),  # GRID lbax4n, "lay blue at x four now"
    "lay_blue_c": (18.1, 2.1),  # GRID lbbc2a, "lay blue by c two again"
    "lay_red": (23.2, 2.3),  # GRID lrwp9a, "lay red with p nine again"
    "jacket_happy": (11.8, 1.3),  # CREMA-D 1001, happy
    "jacket_angry": (26.1, 1.6),  # CREMA-D 1001, angry
}


def meeting_turn(name: str, folder: Path, suffix: str = ".mp4") -> Path:
    """One turn of the sample meeting as its own recording (video + audio), re-encoded so the
    cut is exact; real GRID/CREMA-D speech and faces without needing ../shared."""
    start, duration = MEETING_TURNS[name]
    path = folder / f"{name}{suffix}"
    ffmpeg("-ss", f"{start}", "-t", f"{duration}", "-i", str(SAMPLES / "meeting.mp4"), str(path))
    return path


def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> bool:
    """Poll `condition` until it is true or `timeout` seconds pass; whether it became true.

    Tests wait for what they need rather than sleeping a fixed time and hoping."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
