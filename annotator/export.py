"""Writers: one small class per output format, and an atomic write shared by all of them."""

from __future__ import annotations

import html
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from annotator.emotion.labels import LABELS
from annotator.transcript import Transcript, Utterance


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it into place.

    A reader (or a crash) never sees a half-written output: the file is either the old one,
    absent, or complete.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _cue_text(utterance: Utterance, emotion_tags: bool) -> str:
    """The cue's one line of text.

    A blank line ends a cue and "-->" starts a timing line in both subtitle formats, so neither
    may appear inside the text: line breaks become spaces and "-->" becomes "->".
    """
    text = " ".join(utterance.text.split()).replace("-->", "->") or "…"
    if emotion_tags and utterance.emotion is not None:
        text = f"[{utterance.emotion.label} {utterance.emotion.confidence:.2f}] {text}"
    return text


def _timestamp(seconds: float, separator: str) -> str:
    milliseconds = max(0, round(seconds * 1000))
    hours, milliseconds = divmod(milliseconds, 3_600_000)
    minutes, milliseconds = divmod(milliseconds, 60_000)
    secs, milliseconds = divmod(milliseconds, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{milliseconds:03d}"


def _cue_times(utterance: Utterance) -> tuple[float, float]:
    # Subtitle readers reject cues that end before they start or have no length.
    return utterance.start, max(utterance.end, utterance.start + 0.001)


class Writer:
    extension: str

    def __init__(self, emotion_tags: bool = True) -> None:
        self.emotion_tags = emotion_tags

    def render(self, transcript: Transcript) -> str:
        raise NotImplementedError

    def write(self, transcript: Transcript, path: Path) -> None:
        atomic_write(path, self.render(transcript))


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
            cues.append(f"{number}\n{timing}\n{_cue_text(utterance, self.emotion_tags)}\n")
        return "\n".join(cues)


class VttWriter(Writer):
    extension = "vtt"

    def render(self, transcript: Transcript) -> str:
        cues = ["WEBVTT\n"]
        for utterance in transcript.utterances:
            start, end = _cue_times(utterance)
            timing = f"{_timestamp(start, '.')} --> {_timestamp(end, '.')}"
            text = _cue_text(utterance, self.emotion_tags)
            cues.append(f"{timing}\n{html.escape(text, quote=False)}\n")
        return "\n".join(cues)


CSV_COLUMNS: list[str] = [
    "id",
    "start",
    "end",
    "text",
    "face_frames_sampled",
    "face_frames_with_face",
    "emotion",
    "emotion_confidence",
    *(f"score_{label}" for label in LABELS),
    *(
        column
        for side in ("audio", "face")
        for column in (
            f"{side}_emotion",
            f"{side}_confidence",
            *(f"{side}_score_{label}" for label in LABELS),
        )
    ),
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
            "text": u.text,
            "face_frames_sampled": u.face_frames.sampled if u.face_frames else 0,
            "face_frames_with_face": u.face_frames.with_face if u.face_frames else 0,
        }
        emotion = u.emotion
        row["emotion"] = emotion.label if emotion else None
        row["emotion_confidence"] = emotion.confidence if emotion else None
        for label in LABELS:
            row[f"score_{label}"] = emotion.scores.get(label) if emotion else None
        for side in ("audio", "face"):
            result = getattr(emotion, side) if emotion else None
            row[f"{side}_emotion"] = result.label if result else None
            row[f"{side}_confidence"] = result.confidence if result else None
            for label in LABELS:
                row[f"{side}_score_{label}"] = result.scores.get(label) if result else None
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
FORMATS = tuple(WRITERS)


def format_for(path: Path | None, requested: str | None = None) -> str:
    """The output format: the one asked for, else the output's extension, else JSON."""
    if requested:
        fmt = requested.lower().lstrip(".")
    elif path is None:
        fmt = "json"
    else:
        fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in WRITERS:
        raise ValueError(
            f"unsupported output format {fmt or '(none)'!r}; choose one of {', '.join(FORMATS)}"
        )
    return fmt


def writer_for(fmt: str, emotion_tags: bool = True) -> Writer:
    return WRITERS[fmt](emotion_tags=emotion_tags)
