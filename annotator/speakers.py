"""Compatibility names for the pipeline: the diarization code lives in annotator.diarization."""

from annotator.diarization import DiarizationOptions, SpeakerEmbedder
from annotator.diarization import diarize_words as diarize

__all__ = ["DiarizationOptions", "SpeakerEmbedder", "diarize"]
