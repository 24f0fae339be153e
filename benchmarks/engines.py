"""Whisper engines and models against each other: word error rate, wall and CPU time.

    python benchmarks/engines.py --threads 1
    python benchmarks/engines.py --engines faster-whisper --models tiny.en base --json runs.json

Transcribes `sample_meetings/meeting.mp4` and `sample_meetings/call.flac` with every engine
(faster-whisper; openai-whisper when `meeting-annotator[openai]` is installed) and model
(tiny.en; base when `meeting-annotator[base]` is installed) and prints one table:

- WER against the recording's `.truth.json`, after lower-casing, dropping punctuation and
  spelling out digits (Whisper writes GRID's "k seven" as "K7"; the truth spells it);
- agreement: WER of each transcript against faster-whisper's with the same model;
- load time (openai-whisper converts the model into its cache the first time), then the wall and
  CPU seconds of `engine.transcribe` alone (audio decoded beforehand, once per recording);
- the ratios of wall and CPU time against faster-whisper tiny.en on the same recording.

Everything runs in this one process, one transcription at a time. The machine may be shared:
compare the ratios within one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

# Must be set before CTranslate2 or torch load: busy-waiting OpenMP threads distort CPU times
# on a shared machine (the CLI sets the same default).

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.runtime import set_runtime_environment  # noqa: E402

set_runtime_environment()  # the annotate command's process settings, before any library loads

from annotator.asr import ModelLoadError, load_engine  # noqa: E402
from annotator.media import decode_audio, probe  # noqa: E402
from annotator.training.metrics import word_error_rate  # noqa: E402

RECORDINGS = (ROOT / "sample_meetings" / "meeting.mp4", ROOT / "sample_meetings" / "call.flac")
ENGINES = ("faster-whisper", "openai-whisper")
MODELS = ("tiny.en", "base")
REFERENCE = ("faster-whisper", "tiny.en")  # the ratios' denominator


@dataclass
class Run:
    engine: str
    model: str
    recording: str
    duration: float
    load: float  # seconds to load the engine (once per engine and model)
    wall: float
    cpu: float
    wer: float  # against the truth
    agreement: float | None  # WER against faster-whisper with the same model
    text: str


def truth_text(recording: Path) -> str:
    truth = json.loads(recording.with_suffix(".truth.json").read_text())
    return " ".join(u["text"] for u in truth["utterances"])


def limit_threads(threads: int, engines: list[str]) -> None:
    """CTranslate2 takes its thread count per model (at load); torch's, which openai-whisper
    uses, is process-wide and set here."""
    if threads <= 0 or "openai-whisper" not in engines:
        return
    try:
        import torch
    except ImportError:  # then openai-whisper cannot load either, and is reported as skipped
        return
    torch.set_num_threads(threads)


def measure(engines: list[str], models: list[str], threads: int) -> tuple[list[Run], list[str]]:
    """Every engine and model on every recording; returns the runs and what was skipped."""
    audio = {r: decode_audio(probe(r)) for r in RECORDINGS}
    truths = {r: truth_text(r) for r in RECORDINGS}
    runs: list[Run] = []
    skipped: list[str] = []
    for model in models:
        for engine_name in engines:
            started = time.perf_counter()
            try:
                engine = load_engine(engine_name, model, threads)
            except ModelLoadError as error:
                skipped.append(f"{engine_name} {model}: {error}")
                continue
            load = time.perf_counter() - started
            for recording in RECORDINGS:
                samples = audio[recording].samples
                cpu_before, started = time.process_time(), time.perf_counter()
                result = engine.transcribe(samples)
                wall = time.perf_counter() - started
                cpu = time.process_time() - cpu_before
                text = " ".join(s.text for s in result.segments)
                baseline = next(
                    (
                        r.text
                        for r in runs
                        if (r.engine, r.model, r.recording)
                        == ("faster-whisper", model, recording.name)
                    ),
                    None,
                )
                run = Run(
                    engine=engine_name,
                    model=model,
                    recording=recording.name,
                    duration=round(audio[recording].duration, 2),
                    load=round(load, 2),
                    wall=round(wall, 2),
                    cpu=round(cpu, 2),
                    wer=round(word_error_rate(truths[recording], text), 3),
                    agreement=None
                    if baseline is None or engine_name == "faster-whisper"
                    else round(word_error_rate(baseline, text), 3),
                    text=text,
                )
                runs.append(run)
                print(
                    f"  {engine_name} {model} {recording.name}: wall {wall:.1f} s, "
                    f"CPU {cpu:.1f} s, WER {run.wer:.3f}",
                    file=sys.stderr,
                    flush=True,
                )
            del engine
    return runs, skipped


def render(runs: list[Run], skipped: list[str], threads: int) -> str:
    reference = {r.recording: r for r in runs if (r.engine, r.model) == REFERENCE}
    lines = [
        f"threads {threads}; times of `engine.transcribe` only; ratios against "
        f"{REFERENCE[0]} {REFERENCE[1]} on the same recording, this run",
        "",
        "| recording | engine | model | load | wall | CPU | WER vs truth "
        "| WER vs faster-whisper | wall ratio | CPU ratio |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(runs, key=lambda r: (r.recording, r.model != "tiny.en", r.model, r.engine)):
        base = reference.get(r.recording)
        wall_ratio = f"{r.wall / base.wall:.1f}x" if base else "-"
        cpu_ratio = f"{r.cpu / base.cpu:.1f}x" if base else "-"
        agreement = "-" if r.agreement is None else f"{r.agreement:.3f}"
        lines.append(
            f"| {r.recording} ({r.duration:.0f} s) | {r.engine} | {r.model} | {r.load:.1f} s "
            f"| {r.wall:.1f} s | {r.cpu:.1f} s | {r.wer:.3f} | {agreement} "
            f"| {wall_ratio} | {cpu_ratio} |"
        )
    lines += [f"skipped: {note}" for note in skipped]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads per engine (default 1: steadier on a shared machine; 0 = library "
        "default)",
    )
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument(
        "--models",
        nargs="+",
        default=list(MODELS),
        help="--whisper-model values (default: tiny.en base; base is skipped when "
        "meeting-annotator[base] is not installed)",
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the runs (with transcripts) as JSON"
    )
    args = parser.parse_args(argv)
    limit_threads(args.threads, args.engines)
    runs, skipped = measure(args.engines, args.models, args.threads)
    print(render(runs, skipped, args.threads))
    if args.json:
        report = {"threads": args.threads, "runs": [asdict(r) for r in runs], "skipped": skipped}
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
