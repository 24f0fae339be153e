"""An existing JSON transcript to any output format, without running a model
(`annotate convert t.json -o t.eaf`, and `annotate report`)."""

from __future__ import annotations

from pathlib import Path

from annotator.export import format_for, writer_for
from annotator.export.inputs import media_beside, read_transcript


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
