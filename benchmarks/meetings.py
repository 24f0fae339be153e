"""Real meetings through the whole pipeline: who spoke when, as the transcript says it.

Runs `Annotator` (the same stages as `annotate`, emotion off: it does not change the turns) on
the AMI excerpts, the two-speaker call and the sample meeting, and scores the transcript's
utterances as speaker turns against the reference with pyannote.metrics: DER with a 0.25 s
collar, overlapping speech scored and skipped, the speakers found against the true count, the
language found, and the time of the speakers stage against transcription's.

    python benchmarks/meetings.py                      # every recording found
    python benchmarks/meetings.py --only trn00 call    # some recordings
    python benchmarks/meetings.py --no-diarizer        # Whisper's words only, one speaker
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared"
AMI = SHARED / "media" / "audio" / "ami-excerpts"
CALL = SHARED / "media" / "audio" / "pyannote-sample"
COLLAR = 0.25


@dataclass
class Case:
    name: str
    audio: Path
    turns: list[tuple[float, float, str]]
    scored: tuple[float, float] | None = None  # the UEM's region, when one is given


def rttm_turns(path: Path) -> dict[str, list[tuple[float, float, str]]]:
    turns: dict[str, list[tuple[float, float, str]]] = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            turns.setdefault(fields[1], []).append((start, start + duration, fields[7]))
    return turns


def cases() -> list[Case]:
    found = []
    if AMI.is_dir():
        regions = {}
        for line in (AMI / "train.uem").read_text().splitlines():
            uri, _, start, end = line.split()
            regions[uri] = (float(start), float(end))
        for uri, turns in sorted(rttm_turns(AMI / "train.rttm").items()):
            found.append(Case(uri, AMI / f"{uri}.flac", turns, regions.get(uri)))
    if CALL.is_dir():
        (turns,) = rttm_turns(CALL / "sample.rttm").values()
        found.append(Case("call", CALL / "sample.wav", turns))
    truth = REPO / "sample_meetings" / "meeting.truth.json"
    if truth.is_file():
        data = json.loads(truth.read_text())
        turns = [(u["start"], u["end"], str(u["speaker"])) for u in data["utterances"]]
        found.append(Case("meeting", REPO / "sample_meetings" / "meeting.mp4", turns))
    return found


def score(case: Case, hypothesis: list[tuple[float, float, str]]) -> tuple[float, float]:
    """DER with overlaps scored, and with overlapping speech left out."""
    from pyannote.core import Annotation, Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    def annotation(turns: list[tuple[float, float, str]]) -> Annotation:
        result = Annotation()
        for i, (start, end, speaker) in enumerate(turns):
            if end > start:
                result[Segment(start, end), i] = speaker
        return result

    reference, hyp = annotation(case.turns), annotation(hypothesis)
    end = max([e for _, e, _ in case.turns + hypothesis] + [1.0])
    uem = Timeline([Segment(*case.scored)] if case.scored else [Segment(0.0, end)])
    scored = DiarizationErrorRate(collar=COLLAR)(reference, hyp, uem=uem)
    skipped = DiarizationErrorRate(collar=COLLAR, skip_overlap=True)(reference, hyp, uem=uem)
    return float(scored), float(skipped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of recordings to run (trn00, call, ...)")
    parser.add_argument("--no-diarizer", action="store_true", help="Whisper's words only")
    args = parser.parse_args()

    from annotator.pipeline import Annotator, NoSpeechError, Options
    from annotator.runtime import set_runtime_environment

    set_runtime_environment()
    annotator = Annotator(Options(emotion=False, diarize=not args.no_diarizer))
    print(
        f"{'recording':10} {'DER':>6} {'DER-ov':>6} {'spk':>7} {'utt':>4} {'empty':>5} "
        f"{'lang':>4} {'spk/asr':>7}"
    )
    totals: dict[str, tuple[float, float, bool]] = {}
    for case in cases():
        if args.only and case.name not in args.only:
            continue
        started = time.perf_counter()
        try:
            result = annotator.annotate(case.audio)
        except NoSpeechError:
            der, skipped = score(case, [])
            print(f"{case.name:10} {der:6.1%} {skipped:6.1%}   no speech found")
            totals[case.name] = (der, skipped, False)
            continue
        transcript = result.transcript
        hypothesis = [(u.start, u.end, u.speaker or "one") for u in transcript.utterances]
        der, skipped = score(case, hypothesis)
        true_count = len({s for _, _, s in case.turns})
        found = len({s for _, _, s in hypothesis})
        empty = sum(not u.words for u in transcript.utterances)
        share = result.timings.get("speakers", 0.0) / max(result.timings["transcribe"], 1e-9)
        print(
            f"{case.name:10} {der:6.1%} {skipped:6.1%} {found:>3}/{true_count:<3} "
            f"{len(transcript.utterances):>4} {empty:>5} {transcript.language or '-':>4} "
            f"{share:7.2f}  ({time.perf_counter() - started:.0f} s)"
        )
        totals[case.name] = (der, skipped, found == true_count)
    ami = [value for name, value in totals.items() if name.startswith("trn")]
    if ami:
        print(
            f"AMI excerpts: mean DER {sum(v[0] for v in ami) / len(ami):.1%} (overlap skipped "
            f"{sum(v[1] for v in ami) / len(ami):.1%}), speaker count exact in "
            f"{sum(v[2] for v in ami)}/{len(ami)}"
        )


if __name__ == "__main__":
    main()
