"""The transcript model: plain dataclasses and their JSON form, with a schema version.

The JSON names are a contract other tools read (see DESIGN.md); extend freely, rename only with
a schema bump.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from annotator.schema import LABELS, SCHEMA


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass
class FaceFrames:
    sampled: int
    with_face: int


@dataclass
class EmotionResult:
    """One model's (or the fusion's) verdict: the top label, its probability and all scores."""

    label: str
    confidence: float
    scores: dict[str, float]
    frames: int | None = None  # face side only: how many frames contributed
    low_confidence: bool = False  # e.g. an utterance too short to judge reliably
    weights: dict[str, float] | None = None  # fusion only: the weight each modality got
    head: str | None = None  # voice only: "default" or "speaker-normalised"
    sentiment: dict[str, Any] | None = None  # text only: {"label", "scores"} of its own head
    track: int | None = None  # face only: the face track read (its id in this recording)
    box: list[int] | None = None  # face only: that face's [x, y, width, height], video pixels

    @classmethod
    def from_scores(cls, scores: Any, **extra: Any) -> EmotionResult:
        """Build from a probability vector in LABELS order."""
        values = [float(v) for v in scores]
        best = max(range(len(values)), key=values.__getitem__)
        return cls(
            label=LABELS[best],
            confidence=round(values[best], 4),
            scores={label: round(v, 4) for label, v in zip(LABELS, values, strict=True)},
            **extra,
        )


@dataclass
class Emotion:
    """The fused emotion of an utterance with each modality's own result beside it."""

    label: str
    confidence: float
    scores: dict[str, float]
    weights: dict[str, float] = field(default_factory=dict)
    audio: EmotionResult | None = None
    face: EmotionResult | None = None
    text: EmotionResult | None = None


@dataclass
class Utterance:
    id: int
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    face_frames: FaceFrames | None = None
    speaker: str | None = None  # "SPEAKER_1", ... (its name: Transcript.speakers); None: not asked
    overlap: bool = False  # another speaker talks during part of this utterance
    emotion: Emotion | None = None
    sentiment: dict[str, Any] | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Speaker:
    """One diarized speaker of a recording, with what they said and how."""

    id: str  # "SPEAKER_1", numbered in order of first appearance
    name: str | None = None  # given by the user (--speaker-names)
    speaking_time: float = 0.0  # seconds
    utterances: int = 0
    emotions: dict[str, float] = field(default_factory=dict)  # share of speaking time per label
    face_track: int | None = None  # the face track that speaks most in their utterances
    # That track's best-framed face, a small JPEG as a data: URI (the report shows it).
    face_thumbnail: str | None = None


@dataclass
class Source:
    path: str
    duration: float
    audio: bool
    video: bool
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Transcript:
    source: Source
    models: dict[str, str]
    utterances: list[Utterance]
    language: str | None = None
    # How `language` was found: {"method": "detected" | "forced" | "assumed" | "unidentified",
    # "probability": detector's probability or None, "model": the detector or None}.
    language_detection: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    speakers: list[Speaker] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)  # the settings that change results
    labels: list[str] = field(default_factory=lambda: list(LABELS))
    schema: str = SCHEMA

    def speaker_name(self, utterance: Utterance) -> str | None:
        """The speaker as a reader should see them: the name given for its id, else the id."""
        if utterance.speaker is None:
            return None
        named = {s.id: s.name for s in self.speakers if s.name}
        return named.get(utterance.speaker, utterance.speaker)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        ordered = {"schema": data.pop("schema")}
        ordered.update(data)
        return ordered

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"unsupported transcript schema {data.get('schema')!r}")
        return cls(
            source=Source(**data["source"]),
            models=dict(data["models"]),
            utterances=[_utterance_from_dict(u) for u in data["utterances"]],
            language=data.get("language"),
            language_detection=data.get("language_detection"),
            summary=data.get("summary"),
            speakers=[Speaker(**s) for s in data.get("speakers", [])],
            options=dict(data.get("options", {})),
            labels=list(data.get("labels", LABELS)),
        )


def _emotion_result(data: dict[str, Any] | None) -> EmotionResult | None:
    return EmotionResult(**data) if data else None


def _utterance_from_dict(data: dict[str, Any]) -> Utterance:
    emotion = data.get("emotion")
    if emotion:
        emotion = dict(emotion)
        emotion["audio"] = _emotion_result(emotion.get("audio"))
        emotion["face"] = _emotion_result(emotion.get("face"))
        emotion["text"] = _emotion_result(emotion.get("text"))
        emotion = Emotion(**emotion)
    face_frames = data.get("face_frames")
    return Utterance(
        id=data["id"],
        start=data["start"],
        end=data["end"],
        text=data["text"],
        words=[Word(**w) for w in data.get("words", [])],
        face_frames=FaceFrames(**face_frames) if face_frames else None,
        speaker=data.get("speaker"),
        overlap=bool(data.get("overlap", False)),
        emotion=emotion,
        sentiment=data.get("sentiment"),
    )
