"""Tables: CSV (every field of every utterance, one row each) and TSV (WhisperX's columns, start
and end in integer milliseconds and the text, then speaker, emotion and overlap)."""

from __future__ import annotations

import io
from typing import Any

from annotator.emotion.labels import LABELS
from annotator.export.tiers import one_line, speaker_label
from annotator.transcript import Transcript
from annotator.writer import Writer

CSV_COLUMNS: list[str] = [
    "id",
    "start",
    "end",
    "speaker",
    "speaker_id",
    "overlap",
    "text",
    "face_frames_sampled",
    "face_frames_with_face",
    "emotion",
    "emotion_confidence",
    *(f"score_{label}" for label in LABELS),
    *(
        column
        for side in ("audio", "face", "text")
        for column in (
            f"{side}_emotion",
            f"{side}_confidence",
            *(f"{side}_score_{label}" for label in LABELS),
        )
    ),
    "audio_head",
    "text_sentiment",
    "sentiment",
    "sentiment_score",
]


def csv_rows(transcript: Transcript) -> list[dict[str, Any]]:
    """One flat row per utterance: times, text, face counts and every emotion score."""
    rows = []
    for u in transcript.utterances:
        row: dict[str, Any] = {
            "id": u.id,
            "start": u.start,
            "end": u.end,
            "speaker": transcript.speaker_name(u),
            "speaker_id": u.speaker,
            "overlap": u.overlap,
            "text": u.text,
            "face_frames_sampled": u.face_frames.sampled if u.face_frames else 0,
            "face_frames_with_face": u.face_frames.with_face if u.face_frames else 0,
        }
        emotion = u.emotion
        row["emotion"] = emotion.label if emotion else None
        row["emotion_confidence"] = emotion.confidence if emotion else None
        for label in LABELS:
            row[f"score_{label}"] = emotion.scores.get(label) if emotion else None
        for side in ("audio", "face", "text"):
            result = getattr(emotion, side) if emotion else None
            row[f"{side}_emotion"] = result.label if result else None
            row[f"{side}_confidence"] = result.confidence if result else None
            for label in LABELS:
                row[f"{side}_score_{label}"] = result.scores.get(label) if result else None
        row["audio_head"] = emotion.audio.head if emotion and emotion.audio else None
        text_sentiment = emotion.text.sentiment if emotion and emotion.text else None
        row["text_sentiment"] = text_sentiment["label"] if text_sentiment else None
        row["sentiment"] = u.sentiment.get("label") if u.sentiment else None
        row["sentiment_score"] = u.sentiment.get("score") if u.sentiment else None
        rows.append(row)
    return rows


class CsvWriter(Writer):
    extension = "csv"

    def render(self, transcript: Transcript) -> str:
        import pandas as pd

        buffer = io.StringIO()
        pd.DataFrame(csv_rows(transcript), columns=CSV_COLUMNS).to_csv(buffer, index=False)
        return buffer.getvalue()


TSV_COLUMNS = ["start", "end", "text", "speaker", "emotion", "emotion_confidence", "overlap"]


def _tsv_field(value: Any) -> str:
    # No quoting, as WhisperX writes it: a field holds no tab or line break (one_line), so
    # splitting lines on tabs reads it back; empty for a missing value.
    if value is None:
        return ""
    return one_line(str(value))


class TsvWriter(Writer):
    """WhisperX's TSV (start, end in integer milliseconds; text) with annotator's columns after
    it. Read it with `pandas.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE)`: text may start
    with a quote."""

    extension = "tsv"

    def render(self, transcript: Transcript) -> str:
        lines = ["\t".join(TSV_COLUMNS)]
        for u in transcript.utterances:
            emotion = u.emotion
            row = [
                round(1000 * u.start),
                round(1000 * u.end),
                one_line(u.text),
                speaker_label(transcript, u),
                emotion.label if emotion else None,
                emotion.confidence if emotion else None,
                u.overlap,
            ]
            lines.append("\t".join(_tsv_field(v) for v in row))
        return "\n".join(lines) + "\n"
