"""Plain text: one readable line per utterance, `[00:01:02] SPEAKER_1 (neutral): text`."""

from __future__ import annotations

from annotator.export.tiers import speaker_label, utterance_text
from annotator.transcript import Transcript, Utterance
from annotator.writer import Writer


def clock(seconds: float) -> str:
    """hh:mm:ss, the second the utterance starts in."""
    total = max(0, int(seconds))
    return f"{total // 3600:02d}:{total // 60 % 60:02d}:{total % 60:02d}"


def text_line(transcript: Transcript, u: Utterance, emotion_tags: bool = True) -> str:
    """The utterance's line. The parenthesis holds the fused label (unless turned off) and
    "overlap" when another speaker talks at the same time; parts that are absent are left out."""
    notes = []
    if emotion_tags and u.emotion is not None:
        notes.append(u.emotion.label)
    if u.overlap:
        notes.append("overlap")
    who = speaker_label(transcript, u) or ""
    head = " ".join(part for part in (who, f"({', '.join(notes)})" if notes else "") if part)
    when = f"[{clock(u.start)}]"
    return f"{when} {head}: {utterance_text(u)}" if head else f"{when} {utterance_text(u)}"


class TxtWriter(Writer):
    extension = "txt"

    def render(self, transcript: Transcript) -> str:
        return "".join(
            text_line(transcript, u, self.emotion_tags) + "\n" for u in transcript.utterances
        )
