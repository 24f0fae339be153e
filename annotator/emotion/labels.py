"""The project's emotion label set and the mappings from other corpora into it."""

from __future__ import annotations

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

# RAVDESS file names code the emotion as "01".."08".
RAVDESS_CODES: dict[str, str] = {f"{i + 1:02d}": label for i, label in enumerate(LABELS)}

# FER2013's seven classes in its own order; it has no "calm".
FER2013_CLASSES: tuple[str, ...] = (
    "angry",
    "disgust",
    "fear",
    "happy",
    "sad",
    "surprise",
    "neutral",
)
FER2013_TO_LABEL: dict[str, str] = {
    "angry": "angry",
    "disgust": "disgust",
    "fear": "fearful",
    "happy": "happy",
    "sad": "sad",
    "surprise": "surprised",
    "neutral": "neutral",
}

# CREMA-D's file-name emotion codes (no calm, no surprise).
CREMA_D_CODES: dict[str, str] = {
    "ANG": "angry",
    "DIS": "disgust",
    "FEA": "fearful",
    "HAP": "happy",
    "NEU": "neutral",
    "SAD": "sad",
}
