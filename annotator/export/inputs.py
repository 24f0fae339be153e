"""What a conversion starts from: a JSON transcript read back, and where its recording is now."""

from __future__ import annotations

import json
from pathlib import Path

from annotator.transcript import Transcript


def read_transcript(path: Path) -> Transcript:
    """The transcript in `path`; ValueError with one line saying what is wrong with it."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not a JSON transcript (not UTF-8 text)") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"not a JSON transcript ({error})") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON transcript (no object at the top level)")
    try:
        return Transcript.from_dict(data)
    except (KeyError, TypeError, AttributeError) as error:
        detail = f"no {error}" if isinstance(error, KeyError) else str(error)
        raise ValueError(f"not a complete transcript ({detail})") from None


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
