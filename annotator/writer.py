"""What every output format shares: the Writer interface and the atomic write under it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from annotator.transcript import Transcript


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it into place.

    A reader (or a crash) never sees a half-written output: the file is either the old one,
    absent, or complete.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    # mkstemp makes the file private (0600); an output should get the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(handle, 0o666 & ~umask)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Writer:
    extension: str

    def __init__(self, emotion_tags: bool = True) -> None:
        self.emotion_tags = emotion_tags

    def render(self, transcript: Transcript) -> str:
        raise NotImplementedError

    def write(self, transcript: Transcript, path: Path) -> None:
        atomic_write(path, self.render(transcript))
