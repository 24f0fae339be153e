"""The `annotate` command: arguments, progress, summary and exit codes; the work is elsewhere.

Heavy libraries (faster-whisper, torch, OpenCV, pandas) are imported only once a command needs
them, so `annotate --help` answers at once.
"""

from __future__ import annotations

import signal
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from annotator.cli_common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    INTERRUPTED_MESSAGE,
    EmbedMedia,
    fail_usage,
    stderr,
)
from annotator.devices import DEVICES
from annotator.options import DEFAULTS, ENGINES, FUSIONS, PRIORS, Options
from annotator.user_config import chosen_language
from annotator.utterances import SplitRules

# Choices as Enums: Typer then lists them in --help and rejects others as usage errors (exit 2).
Engine = Enum("Engine", {name: name for name in ENGINES}, type=str)
Fusion = Enum("Fusion", {name: name for name in FUSIONS}, type=str)
Prior = Enum("Prior", {name: name for name in PRIORS}, type=str)
Device = Enum("Device", {name: name for name in DEVICES}, type=str)
DEFAULT_ENGINE, DEFAULT_FUSION = Engine(DEFAULTS.engine), Fusion(DEFAULTS.fusion)
DEFAULT_PRIOR, DEFAULT_DEVICE = Prior(DEFAULTS.prior), Device(DEFAULTS.device)


# "\b" keeps click from re-wrapping the paragraph that follows it.
EXAMPLES = """\b
Examples:
  annotate meeting.mp4                      writes meeting.json next to the input
  annotate meeting.mp4 -o meeting.srt       format from the extension (json csv tsv txt srt
                                            vtt html eaf TextGrid rttm)
  annotate recordings/ -o out/ -f csv       every recording below recordings/, resumable
  annotate call.wav --save-clips clips/     also keep each utterance's audio and face crops
  annotate meeting.mp4 -o meeting.html      an HTML report: player, transcript, timeline
  annotate report meeting.json -o r.html    the report of an existing JSON transcript
  annotate convert meeting.json -o m.eaf    an existing JSON transcript in another format
  annotate train audio --data ravdess/ -o speech.npz     retrain a model (see annotate train --help)
  annotate evaluate audio --data ravdess/                measure a model speaker-independently

Exit codes: 0 all done, 1 some inputs failed, 2 usage error, 130 interrupted.
"""


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
        typer.Option(
            "--format",
            "-f",
            help="json, csv, tsv, txt, srt, vtt, html, eaf (ELAN), textgrid (Praat) or rttm. "
            "Default: from -o, else json.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Redo outputs that are already up to date.")] = False,
    whisper_model: Annotated[
        str,
        typer.Option(
            help="'auto' (identify each recording's language: tiny.en for English, base for "
            "others), 'tiny.en' (bundled, offline, English only), 'base' (bundled, offline, "
            "multilingual), a local model folder or .pt checkpoint, or a "
            "faster-whisper model name (downloaded: needs a network)."
        ),
    ] = DEFAULTS.whisper_model,
    engine: Annotated[Engine, typer.Option(help="Whisper engine.")] = DEFAULT_ENGINE,
    language: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Spoken language code (e.g. en). Default: $ANNOTATOR_LANGUAGE, else language "
            "in ~/.config/annotator/config.toml, else detect."
        ),
    ] = None,
    threads: Annotated[
        int, typer.Option(help="CPU threads any stage may use (0 = the libraries choose).")
    ] = DEFAULTS.threads,
    device: Annotated[
        Device,
        typer.Option(
            help="Where the models run: 'cuda' (an NVIDIA GPU; Whisper in float16), 'cpu', or "
            "'auto' (cuda when a GPU is found)."
        ),
    ] = DEFAULT_DEVICE,
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
        bool, typer.Option(help="Show the emotion label in SRT, VTT and TXT lines.")
    ] = True,
    embed_media: EmbedMedia = False,
    single_speaker: Annotated[
        bool,
        typer.Option(
            help="The recording has one speaker: no diarization, and the voice is judged "
            "relative to that speaker's own average."
        ),
    ] = DEFAULTS.single_speaker,
    diarize: Annotated[
        bool,
        typer.Option(help="Find who speaks each utterance. --no-diarize: no speakers."),
    ] = DEFAULTS.diarize,
    num_speakers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Exactly this many speakers. Default: count them."),
    ] = DEFAULTS.num_speakers,
    min_speakers: Annotated[
        int, typer.Option(help="At least this many speakers.")
    ] = DEFAULTS.min_speakers,
    max_speakers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="At most this many speakers."),
    ] = DEFAULTS.max_speakers,
    speaker_names: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Comma-separated names for SPEAKER_1, SPEAKER_2, ... (in order of first "
            "appearance)."
        ),
    ] = None,
    text_emotion: Annotated[
        bool,
        typer.Option(help="Read emotion from the words too (English transcripts)."),
    ] = DEFAULTS.text_emotion,
    prior: Annotated[
        Prior,
        typer.Option(
            help="Emotion prior: 'adaptive' (conversational, re-estimated per recording), "
            "'conversation' (fixed, mostly neutral) or 'acted' (balanced, as in acted corpora)."
        ),
    ] = DEFAULT_PRIOR,
    fusion: Annotated[
        Fusion,
        typer.Option(help="'late' (calibrated late fusion) or 'learned' (needs --fusion-weights)."),
    ] = DEFAULT_FUSION,
    fusion_weights: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Learned fusion head from `annotate train multimodal`."),
    ] = None,
    ray_address: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--ray",
            help="Run a folder on a Ray cluster: its address (ray://head:10001, auto) or "
            "'local' (a Ray runtime on this machine). Inputs and outputs must be on storage "
            "every node sees. Needs pip install 'meeting-annotator[ray]'.",
            metavar="ADDRESS",
        ),
    ] = None,
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--jobs",
            "-j",
            help="Recordings annotated at once, each worker loading the models once: worker "
            "processes here, or Ray workers with --ray. Default: 1 here; with --ray one per "
            "CPU of the cluster (--threads CPUs each).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print problems.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks for failures.")] = False,
) -> None:
    """Transcribe recordings into utterances with word timings, the speaker's face and emotion."""
    from annotator import batch
    from annotator.export import extension_for, format_for

    if not input.exists():
        raise fail_usage(f"{input}: no such file or folder")
    # The library's warnings (annotator.log) on stderr; a recording's own come with its result.
    from annotator.log import install_command_line_handler, warn

    install_command_line_handler(lambda line: stderr.print(line, markup=False))
    try:
        language, language_from = chosen_language(language)
    except ValueError as error:
        raise fail_usage(str(error)) from None
    options = Options(
        engine=engine.value,
        whisper_model=whisper_model,
        language=language,
        language_from=language_from,
        threads=threads,
        device=device.value,
        face_fps=face_fps,
        split=SplitRules(max_duration=max_utterance),
        save_clips=save_clips,
        emotion=emotion,
        single_speaker=single_speaker,
        diarize=diarize,
        num_speakers=num_speakers,
        min_speakers=min_speakers,
        max_speakers=max_speakers,
        speaker_names=tuple(n.strip() for n in (speaker_names or "").split(",") if n.strip()),
        text_emotion=text_emotion,
        prior=prior.value,
        fusion=fusion.value,
        fusion_weights=fusion_weights,
    )
    try:
        options.check()
    except ValueError as error:
        raise fail_usage(str(error)) from None
    if workers is not None and workers < 1:
        raise fail_usage(f"--jobs {workers}: must be 1 or more")
    if ray_address is not None:
        from annotator.runners import SetupError
        from annotator.runners.ray_cluster import require_ray

        try:
            require_ray()
        except SetupError as error:
            raise fail_usage(str(error)) from None
    if input.is_dir():
        files, problems = batch.discover(input)
        for problem in problems:
            warn("annotator.batch", problem)
        if not files:
            raise fail_usage(f"{input}: no audio or video files found in this folder")
        try:
            fmt = format_for(None, format)
        except ValueError as error:
            raise fail_usage(str(error)) from None
        jobs = batch.plan_jobs(files, input, output or input, extension_for(fmt))
    else:
        default = input.with_suffix(f".{extension_for(format or 'json')}")
        target = output or default
        if target.is_dir():
            target = target / default.name
        try:
            fmt = format_for(target, format)
        except ValueError as error:
            raise fail_usage(f"{target}: {error}") from None
        jobs = [batch.Job(input=input, output=target)]
    # Before any model loads: a bad input or an unwritable output fails in about a second.
    from annotator.preflight import first_problem

    output_folder = (output or input) if input.is_dir() else None
    if found := first_problem(jobs, output_folder, save_clips, force):
        stderr.print(f"annotate: error: {found[0]}: {found[1]}", markup=False)
        raise typer.Exit(EXIT_FAILED)

    try:
        code = _run_jobs(
            jobs,
            fmt=fmt,
            options=options,
            force=force,
            emotion_tags=emotion_tags,
            embed_media=embed_media,
            quiet=quiet,
            debug=debug,
            ray_address=ray_address,
            workers=workers,
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
    embed_media: bool,
    quiet: bool,
    debug: bool,
    ray_address: str | None = None,
    workers: int | None = None,
) -> int:
    """Run the jobs (annotator.runners picks who does the work) with a progress bar, print
    warnings, failures and a summary; return the exit code."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from annotator import batch
    from annotator.runners import SetupError, make_runner, run_batch
    from annotator.worker import WorkerSettings

    settings = WorkerSettings(options, fmt, emotion_tags=emotion_tags, embed_media=embed_media)
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

    def on_status(line: str) -> None:
        progress.update(task, stage=line)

    def on_result(result: batch.JobResult) -> None:
        progress.advance(task)
        for warning in result.done.warnings if result.done else ():
            progress.console.print(
                f"annotate: warning: {result.job.input}: {warning}", markup=False
            )
        if result.status == batch.FAILED:
            progress.console.print(
                f"annotate: error: {result.job.input}: {result.message}", markup=False
            )
            if debug and result.error is not None:
                traceback.print_exception(result.error)

    try:
        runner = make_runner(settings, workers, ray_address)
        with progress:
            results = run_batch(jobs, runner, force, on_result, on_status)
    except SetupError as error:
        # Models that cannot load, a cluster that cannot be reached: said once, a usage error.
        stderr.print(f"annotate: error: {error}", markup=False)
        return EXIT_USAGE

    if not quiet:
        from rich.console import Console

        from annotator.batch_table import summary_line, summary_table

        Console(highlight=False).print(summary_table(results))
        stderr.print(summary_line(results), markup=False)
    return EXIT_FAILED if any(r.status == batch.FAILED for r in results) else EXIT_OK


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
    # Before the native libraries load (annotator/runtime.py says why each).
    from annotator.runtime import set_runtime_environment

    set_runtime_environment()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if args and args[0] in ("train", "evaluate"):
            from annotator.commands import evaluate_app, train_app

            app = train_app if args[0] == "train" else evaluate_app
            app(args[1:], prog_name=f"annotate {args[0]}")
        elif args and args[0] in ("report", "convert") and not Path(args[0]).exists():
            from annotator.transcript_cli import convert_app, report_app

            app = report_app if args[0] == "report" else convert_app
            app(args[1:], prog_name=f"annotate {args[0]}")
        elif args and args[0] in ("live", "watch") and not Path(args[0]).exists():
            from annotator.live_cli import live_app, watch_app

            app = live_app if args[0] == "live" else watch_app
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
