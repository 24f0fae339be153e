"""An existing JSON transcript to any output format, without running a model
(`annotate convert t.json -o t.eaf`, and `annotate report`)."""

from __future__ import annotations

import json
from pathlib import Path

from annotator.export import format_for, writer_for
from annotator.export.media_link import media_beside
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


def convert(
    transcript_json: Path,
    output: Path,
    fmt: str | None = None,
    emotion_tags: bool = True,
    embed_media: bool = False,
    media: Path | None = None,
) -> Path:
    """Write the transcript in `transcript_json` to `output` in `fmt` (default: from the
    output's extension). `media`: the recording, if it moved since it was annotated; by default
    the recorded path, or the file of that name beside the JSON. ValueError: a bad transcript or
    format (one line); OSError: the files."""
    transcript_json, output = Path(transcript_json), Path(output)
    fmt = format_for(output, fmt)
    transcript = read_transcript(transcript_json)
    if media is None:
        media = media_beside(transcript, transcript_json)
    writer = writer_for(fmt, emotion_tags=emotion_tags, embed_media=embed_media, media=media)
    output.parent.mkdir(parents=True, exist_ok=True)
    writer.write(transcript, output)
    return output
