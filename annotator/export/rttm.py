"""RTTM: the speaker turns, one line each, in the columns diarization scorers read
(`SPEAKER <file id> 1 <onset> <duration> <NA> <NA> <speaker> <NA> <NA>`).

Written with pyannote.core (MIT), whose RTTM the scoring tools (pyannote.metrics, dscore) read.
The file id is the recording's stem. Columns are separated by spaces, so spaces in the stem or a
speaker's name become underscores; an utterance without a speaker is "unknown".
"""

from __future__ import annotations

from pathlib import Path

from annotator.export.tiers import one_line, speaker_label
from annotator.transcript import Transcript
from annotator.writer import Writer

MIN_DURATION = 0.001  # seconds: pyannote drops a turn of no length


def rttm_token(text: str, default: str) -> str:
    """`text` as one RTTM column: no whitespace, never empty."""
    return "_".join(one_line(text).split()) or default


def render_rttm(transcript: Transcript) -> str:
    from pyannote.core import Annotation, Segment

    annotation = Annotation(uri=rttm_token(Path(transcript.source.path).stem, "recording"))
    for u in transcript.utterances:
        label = rttm_token(speaker_label(transcript, u) or "", "unknown")
        # The utterance id as track: two turns with the same times stay two lines.
        annotation[Segment(u.start, max(u.end, u.start + MIN_DURATION)), u.id] = label
    return annotation.to_rttm()


class RttmWriter(Writer):
    extension = "rttm"

    def render(self, transcript: Transcript) -> str:
        return render_rttm(transcript)
