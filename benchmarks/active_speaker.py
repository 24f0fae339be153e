"""Is the face read for each utterance the speaker's? Measured on composed gallery meetings.

    python benchmarks/gallery_meetings.py --set test --out /tmp/gallery
    python benchmarks/active_speaker.py /tmp/gallery/test-*.mp4 [--motion-fps 25]
        [--no-speakers] [--dump scores.json]

Runs the faces stage (today's settings, the meeting's audio given) over each meeting's truth
turns (NAME.truth.json beside it, from benchmarks/gallery_meetings.py), with the truth's
speaker of each turn as the diarization (as if diarization were perfect; `--no-speakers`: every
turn decided on its own), and counts, per meeting and over all:
- on screen: turns whose speaker has a tile; "right" when the chosen face's box centre lies in
  the speaker's tile, "wrong" when in another tile, "none" when no face was chosen;
- off screen: turns whose speaker has no tile; "none" is right there.
Also prints the stage's wall time per meeting. `--dump` writes every turn's track scores and
which track is the speaker's, for choosing the thresholds in annotator/active_speaker.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator import media  # noqa: E402
from annotator.faces import FaceDetector, scan_faces  # noqa: E402
from annotator.options import Options  # noqa: E402


def inside(box, tile) -> bool:
    if box is None or tile is None:
        return False
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return tile[0] <= cx < tile[0] + tile[2] and tile[1] <= cy < tile[1] + tile[3]


def tally(counts: dict[str, int], box, tile) -> None:
    """Count one turn: on screen (its speaker's tile) right, wrong or none; off screen (no
    tile), whether no face was read."""
    if tile is None:
        counts["off"] += 1
        counts["none_off"] += box is None
    else:
        counts["on"] += 1
        kind = "none_on" if box is None else "right" if inside(box, tile) else "wrong"
        counts[kind] += 1


def evaluate(path: Path, detector: FaceDetector, motion_fps: float, with_speakers: bool):
    truth = json.loads(path.with_suffix(".truth.json").read_text())
    turns = truth["utterances"]
    options = Options()
    info = media.probe(path)
    audio = media.decode_audio(info)
    started = time.perf_counter()
    scan = scan_faces(
        info,
        [(u["start"], u["end"]) for u in turns],
        detector,
        options.face_fps,
        options.frame_width,
        audio=audio.samples,
        motion_fps=motion_fps,
        speakers=[u["speaker"] for u in turns] if with_speakers else None,
    )
    seconds = time.perf_counter() - started
    counts = dict.fromkeys(("on", "right", "wrong", "none_on", "off", "none_off"), 0)
    dump = []
    for turn, found in zip(turns, scan.utterances, strict=True):
        box = found.box if found else None
        tally(counts, box, turn["box"])
        speaker_track = next((t for t, b in scan.boxes.items() if inside(b, turn["box"])), None)
        scores = found.scores if found and found.scores else {}
        dump.append(
            {
                "meeting": path.stem,
                "duration": turn["end"] - turn["start"],
                "truth": speaker_track,
                "scores": {str(k): v for k, v in scores.items()},
            }
        )
    return counts, seconds, dump


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("meetings", nargs="+", type=Path)
    parser.add_argument("--motion-fps", type=float, default=25.0)
    parser.add_argument("--no-speakers", action="store_true", help="decide each turn alone")
    parser.add_argument("--dump", type=Path)
    args = parser.parse_args(argv)
    options = Options()
    detector = FaceDetector(detect_width=options.detect_width)
    total = dict.fromkeys(("on", "right", "wrong", "none_on", "off", "none_off"), 0)
    dumps = []
    print("meeting              on-screen right/wrong/none   off-screen none   stage s")
    for path in args.meetings:
        counts, seconds, dump = evaluate(path, detector, args.motion_fps, not args.no_speakers)
        dumps += dump
        for key, value in counts.items():
            total[key] += value
        print(
            f"{path.stem:20s} {counts['right']:3d}/{counts['wrong']:3d}/{counts['none_on']:3d}"
            f" of {counts['on']:3d}         {counts['none_off']:3d} of {counts['off']:3d}"
            f"       {seconds:6.1f}"
        )
    on, off = max(1, total["on"]), max(1, total["off"])
    print(
        f"all: speaker's face chosen {total['right']}/{total['on']} "
        f"({100 * total['right'] / on:.1f}%), wrong face {total['wrong']}, no face "
        f"{total['none_on']}; off screen: no face {total['none_off']}/{total['off']} "
        f"({100 * total['none_off'] / off:.1f}%)"
    )
    if args.dump:
        args.dump.write_text(json.dumps(dumps, indent=1) + "\n")


if __name__ == "__main__":
    main()
