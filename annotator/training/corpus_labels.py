"""How the training corpora name emotions, mapped into the project's labels (annotator.schema).

Only training, evaluation and the sample-meeting composer read these.
"""

from __future__ import annotations

from annotator.schema import LABELS

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
