"""Corpus readers: RAVDESS's and CREMA-D's file-name layouts and a plain CSV of labelled clips.

Every reader returns `SpeechClip` records (path, label, speaker); audio is decoded only when a
clip is used, by the same decoder the pipeline uses (`load_audio`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annotator.media import MEDIA_EXTENSIONS, decode_audio, probe
from annotator.schema import LABEL_INDEX
from annotator.training.corpus_labels import CREMA_D_CODES, RAVDESS_CODES

# RAVDESS modality codes: 01 audio-video, 02 video-only (no sound), 03 audio-only.
_MODALITY_WITH_AUDIO = {"01", "03"}
# Vocal channel codes: 01 speech, 02 song. Song is a different task (sung emotion); skip it.
_SPEECH = "01"


@dataclass(frozen=True)
class SpeechClip:
    path: Path
    label: str  # one of annotator.schema.LABELS
    speaker: str  # actor / speaker id; "" when unknown

    @property
    def label_index(self) -> int:
        return LABEL_INDEX[self.label]


@dataclass(frozen=True)
class RavdessName:
    modality: str
    vocal_channel: str
    emotion: str
    intensity: str
    statement: str
    repetition: str
    actor: str

    @property
    def label(self) -> str:
        return RAVDESS_CODES[self.emotion]

    @property
    def recording(self) -> tuple[str, ...]:
        """Identifies one take independent of modality (the AV file and its audio-only twin)."""
        fields = (self.emotion, self.intensity, self.statement, self.repetition, self.actor)
        return (self.vocal_channel, *fields)


def parse_ravdess_name(path: str | Path) -> RavdessName | None:
    """`MM-VV-EE-II-SS-RR-AA.ext` -> its fields; None when the name does not follow the layout."""
    parts = Path(path).stem.split("-")
    if len(parts) != 7 or not all(len(p) == 2 and p.isdigit() for p in parts):
        return None
    name = RavdessName(*parts)
    if name.emotion not in RAVDESS_CODES:
        return None
    return name


def read_ravdess(root: str | Path) -> list[SpeechClip]:
    """Every speech clip with audio under `root` (recursive), sorted by path.

    Video-only files and songs are skipped. When a take exists both as audio-video and audio-only
    (the full RAVDESS download), only the audio-only file is kept so that no take counts twice.
    """
    root = Path(root)
    chosen: dict[tuple[str, ...], tuple[Path, RavdessName]] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in MEDIA_EXTENSIONS or not path.is_file():
            continue
        name = parse_ravdess_name(path)
        if name is None or name.modality not in _MODALITY_WITH_AUDIO:
            continue
        if name.vocal_channel != _SPEECH:
            continue
        key = name.recording
        if key not in chosen or (name.modality == "03" and chosen[key][1].modality != "03"):
            chosen[key] = (path, name)
    clips = [SpeechClip(path, name.label, name.actor) for path, name in chosen.values()]
    return sorted(clips, key=lambda clip: str(clip.path))


def read_csv(csv_path: str | Path) -> list[SpeechClip]:
    """A CSV with columns `path,label` and optionally `speaker`; relative paths are taken from
    the CSV's own folder. Labels must be names from LABELS."""
    csv_path = Path(csv_path)
    clips = []
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"path", "label"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{csv_path}: missing column(s) {sorted(missing)}")
        for row_number, row in enumerate(reader, start=2):
            label = row["label"].strip().lower()
            if label not in LABEL_INDEX:
                raise ValueError(f"{csv_path}:{row_number}: unknown label {row['label']!r}")
            path = Path(row["path"].strip())
            if not path.is_absolute():
                path = csv_path.parent / path
            clips.append(SpeechClip(path, label, (row.get("speaker") or "").strip()))
    return clips


# EMOVO's file-name emotion codes (Italian): no calm.
EMOVO_CODES: dict[str, str] = {
    "dis": "disgust",
    "gio": "happy",
    "neu": "neutral",
    "pau": "fearful",
    "rab": "angry",
    "sor": "surprised",
    "tri": "sad",
}
_EMOVO = re.compile(r"^(dis|gio|neu|pau|rab|sor|tri)-([fm]\d)-\w+$")


def read_emovo(root: str | Path) -> list[SpeechClip]:
    """EMOVO (Costantini et al., LREC 2014): `EMO-SPEAKER-SENTENCE.ext` below `root`, sorted by
    path; the speaker is prefixed with the corpus (`emovo_f1`) so it never collides with a
    RAVDESS actor number."""
    clips = []
    for path in sorted(Path(root).rglob("*")):
        if path.suffix.lower() in MEDIA_EXTENSIONS and (match := _EMOVO.match(path.stem)):
            clips.append(SpeechClip(path, EMOVO_CODES[match.group(1)], f"emovo_{match.group(2)}"))
    return clips


def read_crema_d(root: str | Path) -> list[SpeechClip]:
    """CREMA-D-named clips (`1001_DFA_ANG_XX.flv`) below `root`, sorted by path."""
    clips = []
    for path in sorted(Path(root).rglob("*")):
        if path.suffix.lower() in MEDIA_EXTENSIONS and _CREMA_D.match(path.name):
            clip = label_from_name(path)
            if clip is not None:
                clips.append(clip)
    return clips


def corpus_kind(data: str | Path) -> str:
    """ "csv", "emovo", "crema-d" or "ravdess": which reader a path needs (by its files' names)."""
    data = Path(data)
    if data.is_file() and data.suffix.lower() == ".csv":
        return "csv"
    if not data.is_dir():
        raise FileNotFoundError(f"{data}: expected a corpus folder or a .csv file")
    for path in sorted(data.rglob("*")):
        if path.suffix.lower() not in MEDIA_EXTENSIONS:
            continue
        if _EMOVO.match(path.stem):
            return "emovo"
        if _CREMA_D.match(path.name):
            return "crema-d"
        if parse_ravdess_name(path) is not None:
            return "ravdess"
    return "ravdess"


def read_corpus(data: str | Path) -> list[SpeechClip]:
    """A `.csv` file -> read_csv; a folder of EMOVO, CREMA-D or RAVDESS names -> its reader."""
    kind = corpus_kind(data)
    if kind == "csv":
        return read_csv(data)
    if kind == "emovo":
        return read_emovo(data)
    if kind == "crema-d":
        return read_crema_d(data)
    return read_ravdess(data)


def load_audio(path: str | Path) -> np.ndarray:
    """Any audio/video file as 16 kHz mono float32, decoded exactly as the pipeline decodes a
    recording (ffmpeg, `annotator.media`), so a model sees the same samples in training and
    in use."""
    return decode_audio(probe(Path(path))).samples[:]  # a short clip, whole


_CREMA_D = re.compile(r"^(\d{4})_[A-Z]{3}_(ANG|DIS|FEA|HAP|NEU|SAD)_")


def label_from_name(path: Path) -> SpeechClip | None:
    """A labelled clip from a RAVDESS (`MM-VV-EE-II-SS-RR-AA`: speech with sound) or CREMA-D
    (`1001_DFA_ANG_XX`) file name; the speaker is prefixed with the corpus (`ravdess_01`)."""
    name = parse_ravdess_name(path)
    if name is not None:
        if name.modality in _MODALITY_WITH_AUDIO and name.vocal_channel == _SPEECH:
            return SpeechClip(path, name.label, f"ravdess_{name.actor}")
        return None
    if match := _CREMA_D.match(path.name):
        return SpeechClip(path, CREMA_D_CODES[match.group(2)], f"cremad_{match.group(1)}")
    return None


def read_labelled_clips(folders: Sequence[Path]) -> list[SpeechClip]:
    """Every RAVDESS- or CREMA-D-named recording below the folders, in path order."""
    clips = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix.lower() in MEDIA_EXTENSIONS and (clip := label_from_name(path)):
                clips.append(clip)
    return clips
