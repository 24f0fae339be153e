"""Speaker diarization: who speaks when, from the audio (see stage.py for the method).

Usage::

    diarizer = Diarizer.load(threads=2)
    result = diarizer(decode_audio(probe(path)).samples, DiarizationOptions())
    result.turns  # [Turn(start, end, speaker)], overlapping where two people talk at once
"""

from annotator.diarization.campplus import SpeakerEmbedder
from annotator.diarization.clustering import DiarizationOptions
from annotator.diarization.stage import Diarization, Diarizer, Turn
from annotator.diarization.words import diarize as diarize_words

__all__ = [
    "Diarization",
    "DiarizationOptions",
    "Diarizer",
    "SpeakerEmbedder",
    "Turn",
    "diarize_words",
]
