"""`annotate live SOURCE -o OUT` and `annotate watch FOLDER -o OUT`: arguments and exit codes.

The work is in annotator.live (a stream, utterance by utterance) and annotator.watch (a folder
that recordings land in).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from annotator.cli_common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, fail_usage, stderr
from annotator.options import DEFAULTS, Options
from annotator.user_config import chosen_language

INTERRUPTED_MESSAGE = "annotate: interrupted; what was annotated so far is written"


LIVE_EXAMPLES = """\b
Examples:
  ffmpeg -i rtsp://camera/stream -f matroska - | annotate live - -o talk.jsonl
  annotate live srt://0.0.0.0:9000?mode=listener -o captions.vtt
  annotate live recording.mkv --follow -o notes.srt   a file a recorder is still writing
Each utterance is appended to OUT as it is final; at the end (or Ctrl-C) the complete
transcript goes to --final (default: OUT with .json).
"""

WhisperModel = Annotated[
    str, typer.Option(help="As for annotate: auto, tiny.en, base, a folder or a model name.")
]
Language = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="Spoken language code (e.g. en). Default: from the first speech."),
]
Threads = Annotated[int, typer.Option(help="CPU threads any stage may use (0 = libraries).")]


def _options(
    whisper_model: str,
    language: str | None,
    threads: int,
    emotion: bool = True,
    diarize: bool = True,
    num_speakers: int | None = None,
    max_speakers: int | None = None,
    single_speaker: bool = False,
) -> Options:
    try:
        language, language_from = chosen_language(language)
    except ValueError as error:
        raise fail_usage(str(error)) from None
    options = Options(
        whisper_model=whisper_model,
        language=language,
        language_from=language_from,
        threads=threads,
        emotion=emotion,
        diarize=diarize,
        num_speakers=num_speakers,
        max_speakers=max_speakers,
        single_speaker=single_speaker,
    )
    try:
        options.check()
    except ValueError as error:
        raise fail_usage(str(error)) from None
    return options


def live(
    source: Annotated[
        str,
        typer.Argument(
            help="What ffmpeg reads: '-' (standard input), a URL (rtsp://, srt://, udp://), a "
            "capture device, or a file (--follow while it is still being written)."
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The live output: .jsonl, .srt or .vtt.")
    ],
    format: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--format", "-f", help="jsonl, srt or vtt. Default: from -o."),
    ] = None,
    final: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option(help="The complete transcript at the end, any annotate format (repeat)."),
    ] = None,
    follow: Annotated[
        bool, typer.Option(help="SOURCE is a file still growing: wait for more at its end.")
    ] = False,
    realtime: Annotated[
        bool, typer.Option(help="Read SOURCE at its own speed (ffmpeg -re), as if it were live.")
    ] = False,
    whisper_model: WhisperModel = DEFAULTS.whisper_model,
    language: Language = None,
    threads: Threads = DEFAULTS.threads,
    emotion: Annotated[bool, typer.Option(help="Tag emotions (voice + words).")] = True,
    emotion_tags: Annotated[
        bool, typer.Option(help="Show the emotion label in SRT and VTT lines.")
    ] = True,
    diarize: Annotated[bool, typer.Option(help="Tell speakers apart.")] = DEFAULTS.diarize,
    single_speaker: Annotated[
        bool, typer.Option(help="One speaker: no speaker clustering.")
    ] = False,
    max_speakers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="At most this many speakers."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No live view.")] = False,
) -> None:
    """Annotate a live stream utterance by utterance: speaker, emotion and words appended to
    OUT as each utterance is final."""
    from annotator.export import format_for, writer_for
    from annotator.live_output import LiveFile, live_format

    try:
        fmt = live_format(output, format)
    except ValueError as error:
        raise fail_usage(f"{output}: {error}") from None
    finals = list(final or [output.with_suffix(".json")])
    try:
        writers = [(path, writer_for(format_for(path))) for path in finals]
    except ValueError as error:
        raise fail_usage(f"--final: {error}") from None
    if any(path.resolve() == output.resolve() for path in finals):
        raise fail_usage(f"{output}: is also --final; choose another")
    if source != "-" and ":" not in source and not Path(source).exists():
        raise fail_usage(f"{source}: no such file (a stream? give its URL, or '-')")
    options = _options(
        whisper_model, language, threads, emotion, diarize, None, max_speakers, single_speaker
    )
    from annotator import worker
    from annotator.asr import ModelLoadError
    from annotator.live import run_live
    from annotator.log import install_command_line_handler

    install_command_line_handler(lambda line: stderr.print(line, markup=False))
    try:
        annotator = worker.load_annotator(options)
    except (ModelLoadError, ValueError) as error:
        raise fail_usage(str(error)) from None
    try:
        live_file = LiveFile(output, fmt, emotion_tags)
    except OSError as error:
        raise fail_usage(f"{output}: {error.strerror}") from None
    # The models are loaded: what arrives from now on is read at once (a benchmark waits for
    # this line before it starts a real-time stream).
    if not quiet:
        stderr.print(f"annotate: reading {source}", markup=False)
    view = None
    if not quiet and sys.stderr.isatty():
        from annotator.live_output import LiveView

        view = LiveView(stderr)

    def on_utterance(utterance) -> None:
        live_file.append(utterance)
        if view is not None:
            view.add(utterance)

    try:
        if view is not None:
            with view:
                result = run_live(annotator, source, on_utterance, follow, realtime, view.tick)
        else:
            result = run_live(annotator, source, on_utterance, follow, realtime)
    finally:
        live_file.close()
    code = EXIT_OK
    if result.problem:
        stderr.print(f"annotate: error: {source}: {result.problem}", markup=False)
        code = EXIT_FAILED
    for path, writer in writers:
        try:
            writer.write(result.transcript, path)
        except (ValueError, OSError) as error:  # a folder that went away, html without media
            stderr.print(f"annotate: error: {path}: {error}", markup=False)
            code = EXIT_FAILED
    if not quiet:
        stderr.print(
            f"{len(result.transcript.utterances)} utterances from {result.seconds:.1f} s of "
            f"stream in {result.elapsed:.1f} s; wrote {', '.join(map(str, finals))}",
            markup=False,
        )
    if result.interrupted:
        stderr.print(INTERRUPTED_MESSAGE, markup=False)
        code = EXIT_INTERRUPTED
    raise typer.Exit(code)


def watch(
    folder: Annotated[Path, typer.Argument(help="The folder recordings land in.")],
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Output folder. Default: FOLDER."),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="Any annotate format (default json).")
    ] = "json",
    settle: Annotated[
        float, typer.Option(help="Seconds a file must stay unchanged before it is annotated.")
    ] = 5.0,
    limit: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Stop after this many recordings (default: watch until Ctrl-C)."),
    ] = None,
    whisper_model: WhisperModel = DEFAULTS.whisper_model,
    language: Language = None,
    threads: Threads = DEFAULTS.threads,
    force: Annotated[bool, typer.Option(help="Redo outputs that are already up to date.")] = False,
) -> None:
    """Annotate every recording that lands in FOLDER once it stops growing (locks and resume as
    for a folder run)."""
    from annotator import batch
    from annotator.export import extension_for, format_for
    from annotator.runners import SetupError
    from annotator.runners.local import InProcessRunner
    from annotator.watch import watch as watch_folder
    from annotator.worker import WorkerSettings

    if not folder.is_dir():
        raise fail_usage(f"{folder}: no such folder")
    try:
        fmt = format_for(None, format)
    except ValueError as error:
        raise fail_usage(str(error)) from None
    options = _options(whisper_model, language, threads)
    runner = InProcessRunner(WorkerSettings(options, fmt))
    failed = False

    def on_result(result: batch.JobResult) -> None:
        nonlocal failed
        if result.status == batch.FAILED:
            failed = True
            stderr.print(f"annotate: error: {result.job.input}: {result.message}", markup=False)
        else:
            stderr.print(f"{result.job.input}: {result.status} -> {result.job.output}")

    def stop(results: list) -> bool:
        return limit is not None and len(results) >= limit

    stderr.print(f"watching {folder} (Ctrl-C to stop)", markup=False)
    try:
        watch_folder(
            folder,
            output or folder,
            extension_for(fmt),
            runner,
            settle,
            on_result=on_result,
            force=force,
            stop=stop,
        )
    except SetupError as error:
        raise fail_usage(str(error)) from None
    except KeyboardInterrupt:
        stderr.print(INTERRUPTED_MESSAGE, markup=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def _app(command) -> typer.Typer:
    app = typer.Typer(
        add_completion=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.command(epilog=LIVE_EXAMPLES if command is live else None)(command)
    return app


live_app = _app(live)
watch_app = _app(watch)
