"""Every setting of a run, with its default, in one place: the CLI, the library API and the
training/evaluation commands all build an `Options`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.utterances import SplitRules

ENGINES = ("faster-whisper", "openai-whisper")
FUSIONS = ("late", "learned")


@dataclass(frozen=True)
class Options:
    engine: str = "faster-whisper"
    whisper_model: str = "tiny.en"
    language: str | None = None  # None: detect
    threads: int = 0  # CPU threads any stage may use; 0 = let the libraries choose
    split: SplitRules = field(default_factory=SplitRules)
    audio_padding: float = 0.1  # seconds added on each side of an utterance's audio slice
    face_fps: float = 2.0  # frames sampled per second of speech for face detection
    frame_width: int = 640  # sampled frames are scaled down to this width (crops come from it)
    detect_width: int = 320  # and further down to this width for detection only
    save_clips: Path | None = None
    emotion: bool = True  # False: transcript and clips only, no emotion models loaded
    speech_weights: Path | None = None  # None = the shipped weights
    face_weights: Path | None = None
    fusion: str = "late"  # "late" (calibrated late fusion) or "learned" (needs fusion_weights)
    fusion_weights: Path | None = None  # a head trained by `annotate train multimodal`
    single_speaker: bool = False  # standardise the voice per recording (one speaker per file)

    def check(self) -> None:
        """Raise ValueError with a one-line reason for settings that cannot work together."""
        if self.engine not in ENGINES:
            raise ValueError(f"--engine {self.engine}: choose one of {', '.join(ENGINES)}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"--fusion {self.fusion}: choose one of {', '.join(FUSIONS)}")
        if (self.fusion == "learned") != (self.fusion_weights is not None):
            raise ValueError("--fusion learned and --fusion-weights FILE go together")
        if self.fusion_weights is not None and not Path(self.fusion_weights).is_file():
            raise ValueError(f"{self.fusion_weights}: no such fusion weights file")
        if self.threads < 0:
            raise ValueError(f"--threads {self.threads}: must be 0 (automatic) or more")
        if self.face_fps <= 0:
            raise ValueError(f"--face-fps {self.face_fps}: must be above 0")
        if self.split.max_duration <= 0:
            raise ValueError(f"--max-utterance {self.split.max_duration}: must be above 0")

    def recorded(self) -> dict[str, Any]:
        """The settings that change a transcript, as the transcript's `options` records them."""
        return {
            "engine": self.engine,
            "whisper_model": self.whisper_model,
            "language": self.language,
            "max_utterance": self.split.max_duration,
            "face_fps": self.face_fps,
            "emotion": self.emotion,
            "fusion": self.fusion,
            "single_speaker": self.single_speaker,
            "device": "cpu",
        }


DEFAULTS = Options()
