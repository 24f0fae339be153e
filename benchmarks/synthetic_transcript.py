"""Made-up transcripts for the report's tests and load benchmark: real structure (speakers,
words, every branch's verdict), invented content."""

from __future__ import annotations

import random
from pathlib import Path

from annotator.schema import LABELS
from annotator.transcript import Emotion, EmotionResult, Source, Transcript, Utterance, Word


def result(label: str, confidence: float, low: bool = False, **extra) -> EmotionResult:
    rest = (1 - confidence) / (len(LABELS) - 1)
    scores = {name: round(confidence if name == label else rest, 4) for name in LABELS}
    return EmotionResult(label, confidence, scores, low_confidence=low, **extra)


def emotion(fused: str, confidence: float, voice: str, face: str | None, text: str | None):
    return Emotion(
        label=fused,
        confidence=confidence,
        scores=result(fused, confidence).scores,
        weights={"audio": 0.4, "face": 0.35, "text": 0.25},
        audio=result(voice, 0.7),
        face=result(face, 0.6, frames=8) if face else None,
        text=result(text, 0.55) if text else None,
    )


def words_for(text: str, start: float, end: float) -> list[Word]:
    tokens = text.split()
    step = (end - start) / len(tokens)
    return [
        Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), " " + token, 0.9)
        for i, token in enumerate(tokens)
    ]


def generated_transcript(count: int, media: Path, seed: int = 0) -> Transcript:
    """A long meeting: `count` utterances over two hours, four speakers, random emotions."""
    rng = random.Random(seed)
    duration = 7200.0
    utterances = []
    for i in range(count):
        start = i * duration / count
        end = start + rng.uniform(1.0, duration / count - 0.2)
        label = rng.choice(LABELS)
        text = " ".join(
            rng.choice(["we", "should", "ship", "the", "report", "today", "maybe"])
            for _ in range(rng.randint(4, 18))
        )
        utterances.append(
            Utterance(
                id=i,
                start=round(start, 2),
                end=round(end, 2),
                text=text,
                words=words_for(text, start, end),
                speaker=f"SPEAKER_{rng.randint(1, 4)}",
                emotion=emotion(
                    label,
                    rng.uniform(0.2, 0.9),
                    rng.choice(LABELS),
                    rng.choice(LABELS),
                    rng.choice(LABELS),
                ),
                sentiment={
                    "label": "neutral",
                    "score": 0.0,
                    "valence": rng.uniform(-1, 1),
                    "arousal": rng.uniform(-1, 1),
                },
            )
        )
    return Transcript(
        source=Source(path=str(media), duration=duration, audio=True, video=False),
        models={"asr": "generated"},
        utterances=utterances,
    )
