"""Writers: one small class per output format (their base and atomic write: annotator.writer)."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path
from typing import Any

from annotator.emotion.labels import LABELS
from annotator.transcript import Transcript, Utterance
from annotator.writer import Writer


def _cue_text(utterance: Utterance, emotion_tags: bool) -> str:
    """The cue's one line of text.

    A blank line ends a cue and "-->" starts a timing line in both subtitle formats, so neither
    may appear inside the text: line breaks become spaces and "-->" becomes "->".
    """
    text = " ".join(utterance.text.split()).replace("-->", "->") or "…"
    if emotion_tags and utterance.emotion is not None:
        text = f"[{utterance.emotion.label} {utterance.emotion.confidence:.2f}] {text}"
    return text


def _speaker(transcript: Transcript, utterance: Utterance) -> str:
    """The speaker's name as one line of cue text, without the angle brackets that would read as
    markup (a name may contain anything a user typed)."""
    name = " ".join((transcript.speaker_name(utterance) or "").split())
    return name.replace("<", "").replace(">", "")


def _timestamp(seconds: float, separator: str) -> str:
    milliseconds = max(0, round(seconds * 1000))
    hours, milliseconds = divmod(milliseconds, 3_600_000)
    minutes, milliseconds = divmod(milliseconds, 60_000)
    secs, milliseconds = divmod(milliseconds, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{milliseconds:03d}"


def _cue_times(utterance: Utterance) -> tuple[float, float]:
    # Subtitle readers reject cues that end before they start or have no length.
    return utterance.start, max(utterance.end, utterance.start + 0.001)


class JsonWriter(Writer):
    extension = "json"

    def render(self, transcript: Transcript) -> str:
        return json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False) + "\n"


class SrtWriter(Writer):
    extension = "srt"

    def render(self, transcript: Transcript) -> str:
        cues = []
        for number, utterance in enumerate(transcript.utterances, start=1):
            start, end = _cue_times(utterance)
            timing = f"{_timestamp(start, ',')} --> {_timestamp(end, ',')}"
            text = _cue_text(utterance, self.emotion_tags)
            if utterance.speaker:
                text = f"[{_speaker(transcript, utterance)}] {text}"
            cues.append(f"{number}\n{timing}\n{text}\n")
        return "\n".join(cues)


class VttWriter(Writer):
    extension = "vtt"

    def render(self, transcript: Transcript) -> str:
        cues = ["WEBVTT\n"]
        for utterance in transcript.utterances:
            start, end = _cue_times(utterance)
            timing = f"{_timestamp(start, '.')} --> {_timestamp(end, '.')}"
            text = html.escape(_cue_text(utterance, self.emotion_tags), quote=False)
            if utterance.speaker:
                # WebVTT's voice span: players show (or style) the speaker's name.
                text = f"<v {html.escape(_speaker(transcript, utterance), quote=False)}>{text}"
            cues.append(f"{timing}\n{text}\n")
        return "\n".join(cues)


CSV_COLUMNS: list[str] = [
    "id",
    "start",
    "end",
    "speaker",
    "speaker_id",
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


WRITERS: dict[str, type[Writer]] = {
    cls.extension: cls for cls in (JsonWriter, CsvWriter, SrtWriter, VttWriter)
}
FORMATS = (*WRITERS, "html")  # html: the report (annotator.report), imported when asked for


def format_for(path: Path | None, requested: str | None = None) -> str:
    """The output format: the one asked for, else the output's extension, else JSON."""
    if requested:
        fmt = requested.lower().lstrip(".")
    elif path is None:
        fmt = "json"
    else:
        fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"unsupported output format {fmt or '(none)'!r}; choose one of {', '.join(FORMATS)}"
        )
    return fmt


def writer_for(fmt: str, emotion_tags: bool = True, embed_media: bool = False) -> Writer:
    if fmt == "html":
        from annotator.report import HtmlWriter  # Jinja2 and the templates only when asked

        return HtmlWriter(emotion_tags=emotion_tags, embed_media=embed_media)
    return WRITERS[fmt](emotion_tags=emotion_tags)
