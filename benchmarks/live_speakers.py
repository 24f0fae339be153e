"""How the live mode's online speaker clustering does at each join threshold.

Embeds each true utterance of the sample recordings (sample_meetings/meeting.mp4: GRID, CREMA-D
and RAVDESS clips, and call.flac: the pyannote sample call) with CAM++, feeds them in order to
`OnlineSpeakers` and reports, per threshold, how many speakers it found and the share of
utterances on the best one-to-one mapping of found to true speakers.

    python -m benchmarks.live_speakers
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from annotator.diarization import SpeakerEmbedder
from annotator.live_speakers import MIN_SECONDS, OnlineSpeakers
from annotator.media import decode_audio, probe

SAMPLES = Path(__file__).resolve().parents[1] / "sample_meetings"
RECORDINGS = {"meeting": "meeting.mp4", "call": "call.flac"}
THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def embedded(embedder: SpeakerEmbedder, name: str) -> tuple[list[str], np.ndarray, list[float]]:
    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
    audio = decode_audio(probe(SAMPLES / RECORDINGS[name]))
    spans = []
    for u in truth["utterances"]:
        start, end = u["start"], u["end"]
        if end - start < 0.5:  # as the live mode embeds short utterances
            middle = (start + end) / 2
            start, end = middle - 0.25, middle + 0.25
        spans.append((start, end))
    speakers = [u["speaker"] for u in truth["utterances"]]
    seconds = [u["end"] - u["start"] for u in truth["utterances"]]
    return speakers, embedder.embed(audio.samples, spans), seconds


def score(speakers: list[str], found: list[int]) -> float:
    ids = sorted(set(speakers))
    counts = np.zeros((len(ids), max(found) + 1))
    for true, got in zip(speakers, found, strict=True):
        counts[ids.index(true), got] += 1
    rows, columns = linear_sum_assignment(-counts)
    return float(counts[rows, columns].sum() / len(speakers))


def main() -> None:
    embedder = SpeakerEmbedder.load(threads=2)
    data = {name: embedded(embedder, name) for name in RECORDINGS}
    print(f"(utterances under {MIN_SECONDS} s only join an existing speaker)")
    for threshold in THRESHOLDS:
        parts = []
        for name, (speakers, vectors, seconds) in data.items():
            online = OnlineSpeakers(join=threshold)
            found = [online.assign(v, s) for v, s in zip(vectors, seconds, strict=True)]
            parts.append(
                f"{name}: {max(found) + 1} found / {len(set(speakers))} true, "
                f"mapped {score(speakers, found):.2f}"
            )
        print(f"join {threshold:.2f}  " + " | ".join(parts))


if __name__ == "__main__":
    main()
