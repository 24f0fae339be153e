"""Face-expression labels on the sample meeting's utterances, per face model, against the truth.

    python benchmarks/face_meeting.py [--weights A.pt B.pt ...] [--without-audio]
        [RECORDING [TRUTH]]

The faces stage runs once with today's settings over the truth's utterance spans; each face
model (default: the shipped one) labels every utterance from its frames (combined as the
pipeline combines them). Prints one row per utterance (source clip, true emotion, each model's
label) and, per model, how many utterances it labels right and how many of the neutral ones it
calls neutral.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.runtime import set_runtime_environment  # noqa: E402

set_runtime_environment()  # the annotate command's process settings, before any library loads

from annotator import media  # noqa: E402
from annotator.emotion.face import DEFAULT_WEIGHTS, FaceEnsemble  # noqa: E402
from annotator.faces import FaceDetector, speaker_faces  # noqa: E402
from annotator.options import Options  # noqa: E402
from benchmarks.face_stage import labels  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = ROOT / "sample_meetings" / "meeting.mp4"
    parser.add_argument("recording", nargs="?", type=Path, default=default)
    parser.add_argument("truth", nargs="?", type=Path)
    parser.add_argument("--weights", type=Path, nargs="+", default=[DEFAULT_WEIGHTS])
    parser.add_argument(
        "--without-audio", action="store_true", help="the largest face in every utterance"
    )
    args = parser.parse_args(argv)
    truth = json.loads((args.truth or args.recording.with_suffix(".truth.json")).read_text())
    utterances = truth["utterances"]
    options = Options()
    info = media.probe(args.recording)
    faces = speaker_faces(
        info,
        [(u["start"], u["end"]) for u in utterances],
        FaceDetector(detect_width=options.detect_width),
        options.face_fps,
        options.frame_width,
        # As the pipeline runs it: the audio lets the stage pick the face that speaks.
        audio=None if args.without_audio else media.decode_audio(info).samples,
    )
    columns = {path.name: labels(FaceEnsemble.load(path), faces) for path in args.weights}
    print("| # | source | truth | " + " | ".join(columns) + " |")
    print("|---:|---|---|" + "---|" * len(columns))
    for i, u in enumerate(utterances):
        cells = " | ".join(str(names[i] or "—") for names in columns.values())
        print(f"| {i} | {u['source']} | {u['emotion'] or '—'} | {cells} |")
    neutral = [i for i, u in enumerate(utterances) if u["emotion"] == "neutral"]
    judged = [i for i, u in enumerate(utterances) if u["emotion"]]
    print()
    for name, names in columns.items():
        right = sum(names[i] == utterances[i]["emotion"] for i in judged)
        calm = sum(names[i] == "neutral" for i in neutral)
        print(
            f"- {name}: {right}/{len(judged)} utterances right; "
            f"{calm}/{len(neutral)} neutral utterances read as neutral"
        )


if __name__ == "__main__":
    main()
