"""Where an output finds its recording (the HTML report's player, an ELAN file's media
descriptor): its MIME type, its path as shown, and where a JSON transcript's recording went."""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from annotator.transcript import Transcript

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


def media_beside(transcript: Transcript, transcript_json: Path) -> Path | None:
    """The recording of a transcript read from `transcript_json`, if it must be looked up.

    A relative source path in the JSON was relative to the directory `annotate` ran in; when it
    does not exist from here, it is looked up next to the JSON file instead. None: use the
    recorded path as it is.
    """
    recorded = Path(transcript.source.path)
    if recorded.is_absolute() or recorded.exists():
        return None
    candidates = (transcript_json.parent / recorded, transcript_json.parent / recorded.name)
    return next((c for c in candidates if c.exists()), None)
