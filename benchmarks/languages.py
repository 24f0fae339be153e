"""Languages: what `--whisper-model auto` costs on English and what it buys on other languages.

    python benchmarks/languages.py --threads 1 [--decisions-only] [--json out.json]

Measures, in one process (needs espeak-ng and the `[base]` extra; ../shared is optional):

1. Language decisions on real English recordings (the samples; with ../shared the AMI meeting
   excerpts, the call, JFK and the GRID commands) and on speech synthesized by espeak-ng
   (benchmarks/espeak_speech.py, one and three sentences per language): the decision `auto` makes
   (windows spread over the speech, aggregated, close calls decoded; annotator.asr.language)
   against a single guess on the first 15 s of speech (the method it replaced), with the CPU
   time of each and whether a decoding comparison was needed.
2. English speed: today's path (tiny.en) against `auto` (detect with base, then tiny.en) on
   sample_meetings/call.flac and meeting.mp4: load, transcribe wall and CPU, ratios.
3. tiny.en's mean word probability (the English-only fallback's signal) on real English
   recordings (samples, and ../shared media when present) and on the synthetic languages.
4. The synthetic German, Spanish and French transcribed by tiny.en and by `auto`: time and the
   first words (espeak-ng speech: not a measure of word error rate).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.runtime import set_runtime_environment  # noqa: E402

set_runtime_environment()  # the annotate command's process settings, before any library loads

from annotator.asr import load_engine  # noqa: E402
from annotator.asr.language import mean_word_probability, speech_windows  # noqa: E402
from annotator.media import decode_audio, probe  # noqa: E402
from benchmarks.espeak_speech import SENTENCES, synthesize  # noqa: E402

SHARED_MEDIA = ROOT.parent / "shared" / "media"


def timed(function):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def audio_of(path: Path):
    return decode_audio(probe(path)).samples[:]  # the whole recording as one array


def first_guess(detector, audio, seconds: float = 15.0) -> tuple[str | None, float]:
    """The method the decision replaced: one guess on the first `seconds` of VAD speech."""
    windows = speech_windows(audio, windows=1, seconds=seconds)
    if not windows:
        return None, 0.0
    probabilities = detector.probabilities(windows[0].samples)
    best = max(probabilities, key=probabilities.__getitem__)
    return best, probabilities[best]


def decision_recordings() -> list[Path]:
    """Real English recordings with a language decision to check."""
    found = [ROOT / "sample_meetings" / "call.flac", ROOT / "sample_meetings" / "meeting.mp4"]
    audio = SHARED_MEDIA / "audio"
    if audio.is_dir():
        found += sorted((audio / "ami-excerpts").glob("*.flac"))
        found += [audio / "pyannote-sample" / "sample.wav", audio / "jfk.flac"]
        found += sorted((SHARED_MEDIA / "grid").glob("*.mpg"))
    return [p for p in found if p.is_file()]


def english_recordings() -> list[Path]:
    found = [ROOT / "sample_meetings" / "call.flac", ROOT / "sample_meetings" / "meeting.mp4"]
    if SHARED_MEDIA.is_dir():
        for folder in ("audio", "grid", "crema-d", "ravdess-av"):
            found += sorted(
                p
                for p in (SHARED_MEDIA / folder).rglob("*")
                if p.is_file() and p.suffix.lower() in (".flac", ".wav", ".mpg", ".flv", ".mp4")
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--decisions-only", action="store_true", help="section 1 only")
    args = parser.parse_args()
    report: dict = {"threads": args.threads}

    tiny, tiny_load, _ = timed(lambda: load_engine("faster-whisper", "tiny.en", args.threads))
    auto, auto_load, _ = timed(lambda: load_engine("faster-whisper", "auto", args.threads))
    report["load_seconds"] = {"tiny.en": round(tiny_load, 2), "auto": round(auto_load, 2)}
    print(f"load: tiny.en {tiny_load:.2f} s, auto (tiny.en + base) {auto_load:.2f} s")

    folder = Path(tempfile.mkdtemp(prefix="languages-"))
    clips = {language: synthesize(language, folder) for language in SENTENCES}

    print("\n1. language decisions")
    print("| recording | truth | first 15 s: guess | p | decision | p | compared | CPU s |")
    print("|---|---|---|---:|---|---:|---|---:|")
    rows = []
    recordings = [(p, "en") for p in decision_recordings()]
    for language, path in clips.items():
        recordings.append((path, language))
        one = synthesize(language, folder / "one", sentences=1)
        recordings.append((one, language))
    for path, truth in recordings:
        audio = audio_of(path)
        first = first_guess(auto.detector, audio)
        detection, _, cpu = timed(lambda audio=audio: auto.detector.detect(audio))
        if detection is None:
            print(f"| {path.parent.name}/{path.name} | {truth} | too little speech |||||")
            continue
        compared = " ".join(
            f"{d.language}:{d.avg_logprob}" + ("" if d.accepted else "(loop)")
            for d in detection.comparison
        )
        rows.append(
            dict(
                recording=f"{path.parent.name}/{path.name}",
                truth=truth,
                first=first[0],
                p_first=first[1],
                decided=detection.language,
                p=detection.probability,
                compared=compared,
                cpu=round(cpu, 3),
            )
        )
        print(
            f"| {path.parent.name}/{path.name} | {truth} | {first[0]} | {first[1]:.2f} | "
            f"{detection.language} | {detection.probability:.2f} | {compared} | {cpu:.2f} |"
        )
    for kind, chosen in (("English", [r for r in rows if r["truth"] == "en"]), ("all", rows)):
        print(
            f"{kind}: first-15-s guess right {sum(r['first'] == r['truth'] for r in chosen)}"
            f"/{len(chosen)}, decision right {sum(r['decided'] == r['truth'] for r in chosen)}"
            f"/{len(chosen)}; compared {sum(bool(r['compared']) for r in chosen)}"
        )
    report["decisions"] = rows
    if args.decisions_only:
        if args.json:
            args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))
        return

    print("\n2. English: today's path (tiny.en) against auto")
    print("| recording | path | transcribe wall s | CPU s | language | model | CPU ratio |")
    print("|---|---|---:|---:|---|---|---:|")
    speed = []
    for path in (ROOT / "sample_meetings" / "call.flac", ROOT / "sample_meetings" / "meeting.mp4"):
        audio = audio_of(path)
        today, wall, cpu = timed(lambda audio=audio: tiny.transcribe(audio))
        chosen, wall_auto, cpu_auto = timed(lambda audio=audio: auto.transcribe(audio))
        same = [s.text for s in today.segments] == [s.text for s in chosen.segments]
        for name, result, w, c in (
            ("tiny.en", today, wall, cpu),
            ("auto", chosen, wall_auto, cpu_auto),
        ):
            print(
                f"| {path.name} | {name} | {w:.2f} | {c:.2f} | {result.language} | "
                f"{result.model or tiny.name} | {c / cpu:.2f} |"
            )
        speed.append(
            dict(
                recording=path.name,
                tiny_wall=round(wall, 2),
                tiny_cpu=round(cpu, 2),
                auto_wall=round(wall_auto, 2),
                auto_cpu=round(cpu_auto, 2),
                same_text=same,
                auto_model=chosen.model,
            )
        )
        print(f"  same text from both paths: {same}")
    report["english_speed"] = speed

    print("\n3. tiny.en's mean word probability")
    probabilities = []
    for path in english_recordings() + list(clips.values()):
        result = tiny.transcribe(audio_of(path))
        mean = mean_word_probability(result.segments)
        kind = "synthetic " + path.stem if path.parent == folder else "English"
        probabilities.append(dict(recording=path.name, kind=kind, mean=mean))
    english = [p["mean"] for p in probabilities if p["kind"] == "English" and p["mean"]]
    print(
        f"real English recordings: {len(english)}, mean word probability "
        f"{min(english):.2f}-{max(english):.2f}"
    )
    for p in probabilities:
        if p["kind"] != "English":
            print(f"  {p['kind']}: {p['mean']:.2f}" if p["mean"] else f"  {p['kind']}: no words")
    report["tiny_word_probability"] = probabilities

    print("\n4. synthetic German, Spanish, French: tiny.en against auto")
    print("| language | path | wall s | CPU s | language found | first words |")
    print("|---|---|---:|---:|---|---|")
    others = []
    for language in ("de", "es", "fr"):
        audio = audio_of(clips[language])
        for name, engine in (("tiny.en", tiny), ("auto", auto)):
            result, wall, cpu = timed(lambda engine=engine, audio=audio: engine.transcribe(audio))
            text = " ".join(s.text for s in result.segments)
            print(
                f"| {language} | {name} | {wall:.2f} | {cpu:.2f} | {result.language} | "
                f"{text[:60]} |"
            )
            others.append(
                dict(
                    language=language,
                    path=name,
                    wall=round(wall, 2),
                    cpu=round(cpu, 2),
                    found=result.language,
                    text=text,
                )
            )
    report["other_languages"] = others

    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
