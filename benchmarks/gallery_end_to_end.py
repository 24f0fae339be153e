"""Gallery meetings through the whole pipeline: who spoke when, and whose face was read.

    python benchmarks/gallery_meetings.py --set test --duration 180 --out /tmp/gallery-180
    python benchmarks/gallery_end_to_end.py /tmp/gallery-180/test-*.mp4

Runs `Annotator`'s stages as `annotate` runs them (emotion off: it does not change the faces
chosen) on each composed meeting (NAME.truth.json beside it) and prints:
- the speakers found against the true count, and DER (pyannote.metrics, 0.25 s collar) of the
  transcript's utterances as speaker turns;
- the face read per utterance, against the truth turn it overlaps most: "right" when the face's
  box centre lies in that speaker's tile, "wrong" in another tile, "none" without a face; for
  a speaker off screen, no face is right;
- faces as a witness for diarization: DER again after merging diarized speakers whose
  utterances read the same face track (two voice clusters, one face: one person split in two).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.active_speaker import tally  # noqa: E402
from benchmarks.meetings import Case, score  # noqa: E402


def der(truth: list[tuple[float, float, str]], found: list[tuple[float, float, str]]) -> float:
    """DER with overlapping speech scored (benchmarks/meetings.py's scoring)."""
    return score(Case("gallery", Path(), truth), found)[0]


def merged_by_face(speakers: list[str], tracks: list[int | None]) -> list[str]:
    """Each utterance's speaker after merging speakers whose utterances read the same face
    (each speaker's face: the track most of their utterances read)."""
    from annotator.face_speakers import speaker_track

    pairs = list(zip(speakers, tracks, strict=True))
    face_of = {s: speaker_track([t for s2, t in pairs if s2 == s]) for s in speakers}
    owner: dict[int, str] = {}
    renamed = {}
    for speaker in sorted(set(speakers)):
        face = face_of[speaker]
        renamed[speaker] = owner.setdefault(face, speaker) if face is not None else speaker
    return [renamed[s] for s in speakers]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("meetings", nargs="+", type=Path)
    args = parser.parse_args(argv)

    from annotator.pipeline import Annotator, Options
    from annotator.runtime import set_runtime_environment

    set_runtime_environment()
    annotator = Annotator(Options(emotion=False))
    total = dict.fromkeys(("on", "right", "wrong", "none_on", "off", "none_off"), 0)
    print("meeting            speakers   DER    DER merged by face   faces right/wrong/none  off")
    for path in args.meetings:
        truth = json.loads(path.with_suffix(".truth.json").read_text())
        turns = truth["utterances"]
        info, audio = annotator.decode(path)
        asr = annotator.transcribe(audio)
        utterances = annotator.utterances(audio, asr, annotator.diarize(audio))
        scan = annotator.faces(info, audio, utterances)
        counts = dict.fromkeys(total, 0)
        for utterance, found in zip(utterances, scan.utterances, strict=True):
            overlap = [
                (min(utterance.end, t["end"]) - max(utterance.start, t["start"]), t) for t in turns
            ]
            share, turn = max(overlap, key=lambda item: item[0])
            if share <= 0:
                continue  # not speech in the truth (a stray utterance)
            tally(counts, found.box if found else None, turn["box"])
        for key, value in counts.items():
            total[key] += value
        reference = [(t["start"], t["end"], t["speaker"]) for t in turns]
        speakers = [u.speaker or "one" for u in utterances]
        tracks = [f.track if f else None for f in scan.utterances]
        merged = merged_by_face(speakers, tracks)
        found = [(u.start, u.end, s) for u, s in zip(utterances, speakers, strict=True)]
        after = [(u.start, u.end, s) for u, s in zip(utterances, merged, strict=True)]
        print(
            f"{path.stem:18s} {len(set(speakers)):>3}/{len({s for *_, s in reference}):<3}"
            f"   {der(reference, found):6.1%}   {der(reference, after):6.1%} "
            f"({len(set(merged))} speakers)    "
            f"{counts['right']:3d}/{counts['wrong']:3d}/{counts['none_on']:3d} of {counts['on']:3d}"
            f"   {counts['none_off']}/{counts['off']}",
            flush=True,
        )
    on, off = max(1, total["on"]), max(1, total["off"])
    print(
        f"all: speaker's face {total['right']}/{total['on']} ({100 * total['right'] / on:.1f}%), "
        f"wrong {total['wrong']}, none {total['none_on']}; off screen no face "
        f"{total['none_off']}/{total['off']} ({100 * total['none_off'] / off:.1f}%)"
    )


if __name__ == "__main__":
    main()
