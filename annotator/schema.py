"""The transcript's vocabulary: its schema version and the emotion labels every model maps into.

This is the bottom layer: the transcript model, the emotion models, the exporters and the
training code all read these names from here, and this module imports nothing of the project.
"""

from __future__ import annotations

SCHEMA = "annotator.transcript/1"

# RAVDESS's eight emotions, in the order of its file-name codes 01..08.
LABELS: tuple[str, ...] = (
    "neutral",
    "calm",
    "happy",
    "sad",
    "angry",
    "fearful",
    "disgust",
    "surprised",
)

# What a face model can predict: LABELS without "calm" (no face corpus has it).
FACE_LABELS: tuple[str, ...] = tuple(label for label in LABELS if label != "calm")

LABEL_INDEX: dict[str, int] = {label: i for i, label in enumerate(LABELS)}
