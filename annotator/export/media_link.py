"""A linked recording as outputs describe it (the HTML report's player, an ELAN file's media
descriptor): its MIME type and its path as a reader would type it."""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

# Extensions that `mimetypes` does not know everywhere (it reads the system's tables).
_MIME_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
    ".mpg": "video/mpeg",
    ".mpeg": "video/mpeg",
    ".flv": "video/x-flv",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".wma": "audio/x-ms-wma",
}


def media_type(path: Path, video: bool) -> str:
    """The MIME type for a recording, from its extension (video/mp4 or audio/wav when unknown)."""
    known = _MIME_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    if known and known.split("/")[0] in ("audio", "video"):
        # An audio-only .mp4 or .webm still plays in a <video>, but the element decides the UI.
        return known
    return "video/mp4" if video else "audio/wav"


def shown_path(media: Path, output: Path) -> str:
    """The recording's path as a reader would type it, relative to the report when possible."""
    try:
        return os.path.relpath(os.path.abspath(media), os.path.abspath(output.parent))
    except ValueError:
        return str(media)
