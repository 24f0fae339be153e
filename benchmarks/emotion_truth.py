"""Score a transcript's emotion labels against a ground-truth file, utterance by utterance.

    annotate sample_meetings/meeting.mp4 -o meeting.json
    python benchmarks/emotion_truth.py meeting.json sample_meetings/meeting.truth.json

Each true utterance is matched to the transcript utterance that overlaps it most (none: the
turn was missed, and counts as wrong); neutral and calm count as one (conversations do not tell
them apart). Prints one row per true utterance (truth, fused label, and each branch's label) and
the share right per branch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.training.metrics import emotion_agreement  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("transcript", type=Path)
    parser.add_argument("truth", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = emotion_agreement(
        json.loads(args.transcript.read_text()), json.loads(args.truth.read_text())
    )
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{'start':>6}  {'truth':9} {'fused':9} {'voice':9} {'face':9} {'text':9} text")
    for r in result["rows"]:
        labels = [r[k] or "-" for k in ("truth", "fused", "audio", "face", "text")]
        print(f"{r['start']:6.2f}  " + " ".join(f"{x:9}" for x in labels) + f" {r['words']}")
    for branch in ("fused", "audio", "face", "text"):
        hits, n = result[branch]
        print(f"{branch:6} {hits}/{n} right (neutral = calm)")


if __name__ == "__main__":
    main()
