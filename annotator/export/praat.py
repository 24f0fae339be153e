"""Praat TextGrid: per speaker an interval tier with the utterances' text, one with the fused
emotion, and one with the words when word timings exist.

Written with pympi-ling (MIT) as a UTF-8 text TextGrid (Praat reads it as is); times in seconds,
and the gaps between utterances filled with empty intervals as Praat expects.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from annotator.export.tiers import emotion_values, speaker_tiers, unique
from annotator.transcript import Transcript
from annotator.writer import Writer

MICROSECONDS = 1_000_000  # ticks of the layout: pympi writes six decimals of a second


def render_textgrid(transcript: Transcript) -> str:
    from pympi.Praat import TextGrid

    speakers = speaker_tiers(transcript, MICROSECONDS)
    rows = [row for s in speakers for row in (*s.utterances, *s.words)]
    last = max((span.end for row in rows for span in row.spans), default=0) / MICROSECONDS
    # Praat refuses a TextGrid that ends where it starts.
    grid = TextGrid(xmin=0, xmax=max(transcript.source.duration or 0.0, last, 0.001))
    used: set[str] = set()
    # check=False below: the layout already keeps a tier's intervals apart, and pympi's check
    # compares every pair (minutes for an hour's words).
    for speaker in speakers:
        for row in speaker.utterances:
            text = grid.add_tier(_quoted(unique(row.name, used)))
            labels = [emotion_values(span.utterance)["emotion"] for span in row.spans]
            emotion = None
            if any(labels):
                emotion = grid.add_tier(_quoted(unique(f"{row.name} emotion", used)))
            for span, label in zip(row.spans, labels, strict=True):
                start, end = span.start / MICROSECONDS, span.end / MICROSECONDS
                text.add_interval(start, end, span.text, check=False)
                if emotion is not None and label:
                    emotion.add_interval(start, end, label, check=False)
        for row in speaker.words:
            words = grid.add_tier(_quoted(unique(row.name, used)))
            for span in row.spans:
                start, end = span.start / MICROSECONDS, span.end / MICROSECONDS
                words.add_interval(start, end, span.text, check=False)
    # pympi writes files only; a temporary one keeps the output's write atomic (Writer.write).
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "transcript.TextGrid"
        grid.to_file(path, codec="utf-8", mode="normal")
        return path.read_text(encoding="utf-8")


def _quoted(name: str) -> str:
    """A tier name as a Praat string's inside: pympi doubles the quotes of interval texts (as
    Praat does) but writes tier names as they are."""
    return name.replace('"', '""')


class TextGridWriter(Writer):
    extension = "TextGrid"  # Praat's own spelling; the format's name is "textgrid"

    def render(self, transcript: Transcript) -> str:
        return render_textgrid(transcript)
