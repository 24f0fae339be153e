"""Subtitles: SRT and WebVTT, one cue per utterance (cues of overlapping speech overlap too)."""

from __future__ import annotations

import html

from annotator.transcript import Transcript, Utterance
from annotator.writer import Writer


def _cue_text(utterance: Utterance, emotion_tags: bool) -> str:
    """The cue's one line of text.

    A blank line ends a cue and "-->" starts a timing line in both subtitle formats, so neither
    may appear inside the text: line breaks become spaces and "-->" becomes "->". An utterance
    heard but with no words recognised keeps its cue as "…": a viewer sees that someone spoke
    (captions mark inaudible speech rather than hide it), and cues stay one per utterance.
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


def _in_order(transcript: Transcript) -> list[Utterance]:
    """Cues by start time: WebVTT requires it and SRT players expect it, while a transcript with
    overlapping speech need not list its utterances that way."""
    return sorted(transcript.utterances, key=lambda u: (u.start, u.end))


class SrtWriter(Writer):
    extension = "srt"

    def render(self, transcript: Transcript) -> str:
        cues = []
        for number, utterance in enumerate(_in_order(transcript), start=1):
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
        for utterance in _in_order(transcript):
            start, end = _cue_times(utterance)
            timing = f"{_timestamp(start, '.')} --> {_timestamp(end, '.')}"
            text = html.escape(_cue_text(utterance, self.emotion_tags), quote=False)
            if utterance.speaker:
                # WebVTT's voice span: players show (or style) the speaker's name.
                text = f"<v {html.escape(_speaker(transcript, utterance), quote=False)}>{text}"
            cues.append(f"{timing}\n{text}\n")
        return "\n".join(cues)
