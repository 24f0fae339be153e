"""Short non-English clips in one folder: what `--whisper-model auto` costs against tiny.en,
and where the time goes.

    python benchmarks/short_clips.py [--threads 0] [--source DIR] [--no-profile] [--fallbacks]
                                     [--json out.json]

Synthesizes a folder of short clips with espeak-ng (benchmarks/espeak_speech.py; by default 8 clips
of 2.5 s cut from the middle of sentences in Urdu, Hindi, German, Spanish, French and Russian),
then:

1. Runs `annotate FOLDER -o OUT` once per configuration in a fresh process (the default
   `auto`, and `--whisper-model tiny.en`), model loading included, as a user would: wall and
   CPU time (user + system of the process and its children) against the audio's duration.
   `--source DIR` runs another checkout's annotator (e.g. the main branch) for a before/after.
2. In this process (this checkout), per clip: the language evidence (aggregate, comparison)
   and the CPU time of detection and of transcription; with `--fallbacks`, base's
   transcription of every clip under several temperature-fallback schedules.

espeak-ng speech cut mid-sentence is hard audio for Whisper (many fallbacks, loops): a worst
case for cost, not a measure of recognition. The machine may be shared: compare the CPU times
and the ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.runtime import set_runtime_environment  # noqa: E402

set_runtime_environment()  # the annotate command's process settings, before any library loads

from annotator.media import SAMPLE_RATE, decode_audio, probe  # noqa: E402
from benchmarks.espeak_speech import ffmpeg, synthesize  # noqa: E402

# (language, sentence index): Urdu first, as in the talk-show clips this stands in for.
CLIPS = [("ur", 0), ("ur", 1), ("ur", 2), ("hi", 0), ("de", 1), ("es", 2), ("fr", 0), ("ru", 1)]


def make_clips(folder: Path, seconds: float) -> list[Path]:
    """Each clip: `seconds` from 0.3 s into the chosen sentence (mid-sentence at the end)."""
    sources = folder / "sources"
    clips = folder / "clips"
    clips.mkdir(parents=True)
    made = []
    for index, (language, sentence) in enumerate(CLIPS):
        spoken = synthesize(language, sources / str(index), sentences=sentence + 1)
        # synthesize() joins the sentences with 0.6 s gaps; the wanted one starts after the
        # others: find it from the durations of the earlier ones.
        offset = (
            duration(synthesize(language, sources / f"{index}-before", sentences=sentence))
            if sentence
            else 0.0
        )
        target = clips / f"{index}-{language}.flac"
        ffmpeg("-ss", f"{offset + 0.3:.2f}", "-i", str(spoken), "-t", str(seconds), str(target))
        made.append(target)
    return made


def duration(path: Path) -> float:
    return len(decode_audio(probe(path)).samples) / SAMPLE_RATE


def run_cli(folder: Path, out: Path, extra: list[str], source: Path, threads: int) -> dict:
    """One `annotate` run in a fresh process: wall and CPU (children's rusage) seconds."""
    env = dict(os.environ, PYTHONPATH=str(source))
    command = [sys.executable, "-m", "annotator.cli", str(folder), "-o", str(out), "-q"]
    command += ["--threads", str(threads), *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # cwd: `python -m` puts the working directory first on sys.path.
    run = subprocess.run(command, env=env, cwd=source, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    languages = {
        p.stem: json.loads(p.read_text()).get("language") for p in sorted(out.glob("*.json"))
    }
    return dict(wall=round(wall, 1), cpu=round(cpu, 1), exit=run.returncode, languages=languages)


def profile(clips: list[Path], threads: int) -> list[dict]:
    """Detection and transcription CPU seconds per clip, with this checkout's auto engine."""
    from annotator.asr import load_engine

    auto = load_engine("faster-whisper", "auto", threads)
    rows = []
    for path in clips:
        audio = decode_audio(probe(path)).samples[:]
        cpu = time.process_time()
        detection = auto.detector.detect(audio)
        detect = time.process_time() - cpu
        language = detection.language if detection else "en"
        engine = auto.english if language == "en" else auto.multilingual
        cpu = time.process_time()
        result = engine.transcribe(audio, language)
        transcribe = time.process_time() - cpu
        rows.append(
            dict(
                clip=path.stem,
                language=language,
                aggregate=list(detection.aggregate) if detection else [],
                compared=[(d.language, d.avg_logprob, d.accepted) for d in detection.comparison]
                if detection
                else [],
                detect_cpu=round(detect, 2),
                transcribe_cpu=round(transcribe, 2),
                text=" ".join(s.text for s in result.segments)[:60],
            )
        )
    return rows


FALLBACKS = {
    "default (0-1.0 by 0.2, best of 5)": {},
    "best of 2": dict(best_of=2),
    "temperatures 0, 0.4, 0.8": dict(temperature=[0.0, 0.4, 0.8]),
    "no fallback": dict(temperature=0.0),
}


def fallbacks(clips: list[Path], rows: list[dict], threads: int) -> dict[str, float]:
    """base's transcription of each clip in the language decided, under each fallback
    schedule (the engine's other settings): CPU seconds in all."""
    from annotator.asr.budget import short_budget
    from annotator.asr.faster import FasterWhisperEngine
    from annotator.asr.models import resolve
    from annotator.asr.pieces import MIN_SILENCE_MS

    model = FasterWhisperEngine(resolve("base"), threads=threads).model
    totals = dict.fromkeys(FALLBACKS, 0.0)
    for path, row in zip(clips, rows, strict=True):
        audio = decode_audio(probe(path)).samples[:]
        for name, extra in FALLBACKS.items():
            cpu = time.process_time()
            segments, _ = model.transcribe(
                audio,
                language=row["language"],
                beam_size=5,
                word_timestamps=True,
                vad_filter=True,
                vad_parameters={"min_silence_duration_ms": MIN_SILENCE_MS},
                condition_on_previous_text=True,
                max_new_tokens=short_budget(len(audio)),
                **extra,
            )
            list(segments)
            totals[name] += time.process_time() - cpu
    return {name: round(seconds, 1) for name, seconds in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=2.5)
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout to run annotate from")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-profile", action="store_true", help="only the annotate runs")
    parser.add_argument(
        "--fallbacks", action="store_true", help="also base's transcription per fallback schedule"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="short-clips-"))
    clips = make_clips(work, args.seconds)
    audio = sum(duration(c) for c in clips)
    print(f"{len(clips)} clips, {audio:.1f} s of audio, annotate from {args.source}\n")
    report: dict = {"clips": len(clips), "audio_seconds": round(audio, 1), "runs": {}}
    print("| configuration | wall s | CPU s | wall / audio | exit | languages |")
    print("|---|---:|---:|---:|---:|---|")
    for name, extra in (("auto (default)", []), ("tiny.en", ["--whisper-model", "tiny.en"])):
        out = work / name.split()[0]
        found = run_cli(clips[0].parent, out, extra, args.source, args.threads)
        report["runs"][name] = found
        languages = " ".join(f"{k}:{v}" for k, v in found["languages"].items())
        print(
            f"| {name} | {found['wall']} | {found['cpu']} | {found['wall'] / audio:.2f} | "
            f"{found['exit']} | {languages} |"
        )
    if args.no_profile:
        if args.json:
            args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))
        return
    print("\nper clip, this checkout (CPU s):")
    print(
        "| clip | language | aggregate | compared (lang, avg log-prob, kept) | detect | "
        "transcribe | text |"
    )
    print("|---|---|---|---|---:|---:|---|")
    rows = profile(clips, args.threads)
    for r in rows:
        top = " ".join(f"{c}:{p:.2f}" for c, p in r["aggregate"][:2])
        compared = " ".join(f"{c}:{lp}{'' if ok else '(loop)'}" for c, lp, ok in r["compared"])
        print(
            f"| {r['clip']} | {r['language']} | {top} | {compared} | {r['detect_cpu']} | "
            f"{r['transcribe_cpu']} | {r['text']} |"
        )
    print(
        f"total CPU: detection {sum(r['detect_cpu'] for r in rows):.1f} s, transcription "
        f"{sum(r['transcribe_cpu'] for r in rows):.1f} s"
    )
    report["profile"] = rows
    if args.fallbacks:
        report["fallbacks"] = fallbacks(clips, rows, args.threads)
        print("\nbase's transcription of the clips, CPU s in all, by fallback schedule:")
        for name, seconds in report["fallbacks"].items():
            print(f"  {name}: {seconds}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
