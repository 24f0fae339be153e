"""`--save-clips`: write each utterance's audio slice and face crops for inspection."""

from __future__ import annotations

import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from annotator.faces import UtteranceFaces
from annotator.media import SAMPLE_RATE
from annotator.transcript import Utterance


def write_wav(path: Path, samples: np.ndarray) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(SAMPLE_RATE)
        file.writeframes(pcm.tobytes())


def save_clips(
    folder: Path,
    utterances: Sequence[Utterance],
    audio: Sequence[np.ndarray],
    faces: Sequence[UtteranceFaces | None],
) -> None:
    """folder/utt_0003.wav and folder/utt_0003_face_02.png (crop at 2 s into the recording)."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for utterance, samples, found in zip(utterances, audio, faces, strict=True):
        stem = f"utt_{utterance.id:04d}"
        write_wav(folder / f"{stem}.wav", samples)
        for number, face in enumerate(found.faces if found else []):
            if face.crop is not None:
                cv2.imwrite(str(folder / f"{stem}_face_{number:02d}.png"), face.crop)
            # What the face model saw: the face aligned to FER2013's framing.
            cv2.imwrite(str(folder / f"{stem}_face_{number:02d}_aligned.png"), face.aligned)
