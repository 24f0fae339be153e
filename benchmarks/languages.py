"""Languages: what `--whisper-model auto` costs on English and what it buys on other languages.

    python benchmarks/languages.py --threads 1 [--json out.json]

Measures, in one process (needs espeak-ng and the `[base]` extra; ../shared is optional):

1. Language identification on speech synthesized by espeak-ng (benchmarks/espeak_speech.py, three
   sentences per language): the detector `auto` uses (base, first 15 s of VAD speech, encoded
   without padding) against Whisper's standard padded 30 s window, with the CPU time of each.
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
from annotator.asr.language import first_speech, mean_word_probability  # noqa: E402
from annotator.media import decode_audio, probe  # noqa: E402
from benchmarks.espeak_speech import SENTENCES, synthesize  # noqa: E402

SHARED_MEDIA = ROOT.parent / "shared" / "media"


def timed(function):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def audio_of(path: Path):
    return decode_audio(probe(path)).samples[:]  # the whole recording as one array


def padded_detection(model, speech):
    """Whisper's standard: the first 30 s window, padded (as faster-whisper's detect_language)."""
    from faster_whisper.audio import pad_or_trim

    encoded = model.encode(pad_or_trim(model.feature_extractor(speech[: 30 * 16000])))
    token, probability = model.model.detect_language(encoded)[0][0]
    return token[2:-2], float(probability)


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
    args = parser.parse_args()
    report: dict = {"threads": args.threads}

    tiny, tiny_load, _ = timed(lambda: load_engine("faster-whisper", "tiny.en", args.threads))
    auto, auto_load, _ = timed(lambda: load_engine("faster-whisper", "auto", args.threads))
    report["load_seconds"] = {"tiny.en": round(tiny_load, 2), "auto": round(auto_load, 2)}
    print(f"load: tiny.en {tiny_load:.2f} s, auto (tiny.en + base) {auto_load:.2f} s")

    folder = Path(tempfile.mkdtemp(prefix="languages-"))
    clips = {language: synthesize(language, folder) for language in SENTENCES}

    print("\n1. language identification (espeak-ng, 3 sentences each)")
    print("| language | auto: detected | p | CPU s | padded 30 s: detected | p | CPU s |")
    print("|---|---|---:|---:|---|---:|---:|")
    rows = []
    for language, path in clips.items():
        audio = audio_of(path)
        detection, _, cpu = timed(lambda audio=audio: auto.detector.detect(audio))
        speech = first_speech(audio, 30.0)
        (padded, p_padded), _, cpu_padded = timed(
            lambda speech=speech: padded_detection(auto.detector.model, speech)
        )
        rows.append(
            dict(
                language=language,
                detected=detection.language,
                p=detection.probability,
                cpu=round(cpu, 3),
                padded=padded,
                p_padded=round(p_padded, 4),
                cpu_padded=round(cpu_padded, 3),
                seconds=round(len(audio) / 16000, 1),
            )
        )
        print(
            f"| {language} ({len(audio) / 16000:.0f} s) | {detection.language} | "
            f"{detection.probability:.2f} | {cpu:.2f} | {padded} | {p_padded:.2f} | "
            f"{cpu_padded:.2f} |"
        )
    right = sum(r["detected"] == r["language"] for r in rows)
    right_padded = sum(r["padded"] == r["language"] for r in rows)
    confident = [r for r in rows if r["p"] >= 0.5]
    print(
        f"correct: auto {right}/{len(rows)}, padded {right_padded}/{len(rows)}; "
        f"p >= 0.5: {len(confident)}, of which correct "
        f"{sum(r['detected'] == r['language'] for r in confident)}"
    )
    report["detection"] = rows

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
