"""The emotion label set, as the emotion models name it: defined in annotator.schema (the
transcript's vocabulary) and re-exported here for the models that read it."""

from __future__ import annotations

from annotator.schema import FACE_LABELS, LABEL_INDEX, LABELS

__all__ = ["FACE_LABELS", "LABEL_INDEX", "LABELS"]
