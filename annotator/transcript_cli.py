"""`annotate report` and `annotate convert`: a saved JSON transcript in another form, without
running any model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from annotator.cli_common import EXIT_FAILED, EmbedMedia, app_for, fail_usage, stderr


def report(
    transcript: Annotated[Path, typer.Argument(help="A JSON transcript written by annotate.")],
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="The HTML file. Default: beside the transcript."),
    ] = None,
    media: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="The recording, if it moved since it was annotated."),
    ] = None,
    embed_media: EmbedMedia = False,
) -> None:
    """Render a JSON transcript as a self-contained HTML report, without rerunning any model."""
    from annotator.report import write_report

    if not transcript.is_file():
        raise fail_usage(f"{transcript}: no such file")
    target = output or transcript.with_suffix(".html")
    try:
        written = write_report(transcript, target, embed_media=embed_media, media=media)
    except (ValueError, KeyError, OSError) as error:  # not a transcript, media too large, ...
        stderr.print(f"annotate: error: {transcript}: {error}", markup=False)
        raise typer.Exit(EXIT_FAILED) from None
    stderr.print(f"wrote {written}", markup=False)


report_app = app_for(report)


def convert(
    transcript: Annotated[Path, typer.Argument(help="A JSON transcript written by annotate.")],
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output", "-o", help="The file to write. Default: beside the transcript (needs -f)."
        ),
    ] = None,
    format: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--format", "-f", help="As for annotate -f. Default: from -o."),
    ] = None,
    media: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="HTML, ELAN: the recording, if it moved since it was annotated."),
    ] = None,
    embed_media: EmbedMedia = False,
    emotion_tags: Annotated[
        bool, typer.Option(help="Show the emotion label in SRT, VTT and TXT lines.")
    ] = True,
) -> None:
    """Write a JSON transcript in another format (ELAN, Praat, RTTM, ...) without rerunning any
    model."""
    from annotator.export import extension_for, format_for
    from annotator.export.convert import convert as convert_file

    if not transcript.is_file():
        raise fail_usage(f"{transcript}: no such file")
    if output is None and format is None:
        raise fail_usage("say which format: -o FILE or -f FORMAT")
    try:
        fmt = format_for(output, format)
    except ValueError as error:
        raise fail_usage(f"{output or format}: {error}") from None
    target = output or transcript.with_suffix(f".{extension_for(fmt)}")
    if target.is_dir():
        target = target / transcript.with_suffix(f".{extension_for(fmt)}").name
    if target.resolve() == transcript.resolve():
        raise fail_usage(f"{target}: is the transcript itself; choose another output")
    try:
        written = convert_file(
            transcript, target, fmt, emotion_tags=emotion_tags, embed_media=embed_media, media=media
        )
    except (ValueError, OSError) as error:  # not a transcript, media too large, ...
        stderr.print(f"annotate: error: {transcript}: {error}", markup=False)
        raise typer.Exit(EXIT_FAILED) from None
    stderr.print(f"wrote {written}", markup=False)


convert_app = app_for(convert)
