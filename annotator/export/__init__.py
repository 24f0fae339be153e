"""Output formats: one writer class per format, one module per family of formats (their base and
atomic write: annotator.writer). `format_for` picks a format, `writer_for` makes its writer.

Heavy or optional libraries (pandas, pympi-ling, pyannote.core, Jinja2) load only when their
format is written.
"""

from __future__ import annotations

from pathlib import Path

from annotator.export.elan import EafWriter
from annotator.export.jsonfile import JsonWriter
from annotator.export.praat import TextGridWriter
from annotator.export.rttm import RttmWriter
from annotator.export.subtitles import SrtWriter, VttWriter, _cue_text  # noqa: F401
from annotator.export.tables import CSV_COLUMNS, CsvWriter, TsvWriter, csv_rows  # noqa: F401
from annotator.export.text import TxtWriter
from annotator.writer import Writer

# Keyed by format name: the extension in lower case (format_for compares case-insensitively).
WRITERS: dict[str, type[Writer]] = {
    cls.extension.lower(): cls
    for cls in (
        JsonWriter,
        CsvWriter,
        TsvWriter,
        SrtWriter,
        VttWriter,
        TxtWriter,
        EafWriter,
        TextGridWriter,
        RttmWriter,
    )
}
FORMATS = (*WRITERS, "html")  # html: the report (annotator.report), imported when asked for

__all__ = ["FORMATS", "WRITERS", "Writer", "extension_for", "format_for", "writer_for"]


def format_for(path: Path | str | None, requested: str | None = None) -> str:
    """The output format: the one asked for, else the output's extension, else JSON."""
    if requested:
        fmt = requested.lower().lstrip(".")
    elif path is None:
        fmt = "json"
    else:
        fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"unsupported output format {fmt or '(none)'!r}; choose one of {', '.join(FORMATS)}"
        )
    return fmt


def extension_for(fmt: str) -> str:
    """The extension an output of `fmt` gets (Praat's "TextGrid"); `fmt` itself if unknown."""
    writer = WRITERS.get(fmt.lower().lstrip("."))
    return writer.extension if writer else fmt.lower().lstrip(".")


def writer_for(
    fmt: str, emotion_tags: bool = True, embed_media: bool = False, media: Path | None = None
) -> Writer:
    """The writer of `fmt`. `media`: the recording, for the formats that link it (html, eaf),
    if it is not at the transcript's source path."""
    if fmt == "html":
        from annotator.report import HtmlWriter  # Jinja2 and the templates only when asked

        return HtmlWriter(emotion_tags=emotion_tags, embed_media=embed_media, media=media)
    if fmt == "eaf":
        return EafWriter(emotion_tags=emotion_tags, media=media)
    return WRITERS[fmt](emotion_tags=emotion_tags)
