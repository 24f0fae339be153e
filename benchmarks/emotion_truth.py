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
from pathlib import Path

SAME = {"calm": "neutral"}


def _overlap(a: dict, b: dict) -> float:
    return max(0.0, min(a["end"], b["end"]) - max(a["start"], b["start"]))


def score(transcript: dict, truth: dict) -> dict:
    rows = []
    for true in truth["utterances"]:
        if true.get("emotion") is None:
            continue
        best = max(transcript["utterances"], key=lambda u: _overlap(u, true), default=None)
        if best is not None and _overlap(best, true) <= 0:
            best = None  # no utterance covers this turn: it counts as missed
        emotion = (best or {}).get("emotion") or {}
        row = {"start": true["start"], "words": true["text"], "truth": true["emotion"]}
        row["fused"] = emotion.get("label")
        for branch in ("audio", "face", "text"):
            row[branch] = (emotion.get(branch) or {}).get("label")
        rows.append(row)

    def right(branch: str) -> tuple[int, int]:
        # The fused label is judged on every true turn (a missed turn is wrong); a branch only
        # where it had something to say.
        judged = rows if branch == "fused" else [r for r in rows if r[branch] is not None]
        hits = sum(
            SAME.get(r[branch], r[branch]) == SAME.get(r["truth"], r["truth"]) for r in judged
        )
        return hits, len(judged)

    return {"rows": rows, **{b: right(b) for b in ("fused", "audio", "face", "text")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("transcript", type=Path)
    parser.add_argument("truth", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = score(json.loads(args.transcript.read_text()), json.loads(args.truth.read_text()))
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
