"""Every setting of a run, with its default, in one place: the CLI, the library API and the
training/evaluation commands all build an `Options`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.devices import DEVICES, Devices, cuda_available
from annotator.utterances import SplitRules

ENGINES = ("faster-whisper", "openai-whisper")
FUSIONS = ("late", "learned")
PRIORS = ("adaptive", "conversation", "acted")

# The language codes Whisper's tokenizer knows (faster-whisper and openai-whisper share them);
# a copy, because the libraries expose them only privately or on a loaded model.
WHISPER_LANGUAGES: frozenset[str] = frozenset(
    """af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw
    he hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne
    nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur
    uz vi yi yo zh yue""".split()
)


@dataclass(frozen=True)
class Options:
    engine: str = "faster-whisper"
    # "auto": the language of each recording's first speech picks tiny.en (English) or base.
    whisper_model: str = "auto"
    language: str | None = None  # None: detect
    # Where `language` came from: "command line", "ANNOTATOR_LANGUAGE" or a config file's path
    # (annotator.user_config); None when it was not set.
    language_from: str | None = None
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
    single_speaker: bool = False  # one speaker per file: no diarization, voice judged per file
    diarize: bool = True  # find who speaks each utterance
    num_speakers: int | None = None  # exactly this many speakers (None: count them)
    min_speakers: int = 1
    max_speakers: int | None = None
    speaker_names: tuple[str, ...] = ()  # names for SPEAKER_1, SPEAKER_2, ... in order
    text_emotion: bool = True  # the language branch (English transcripts only)
    prior: str = "adaptive"  # emotion prior: adaptive / conversation / acted (see fusion)
    # Where the models run: "cuda" (an NVIDIA GPU: faster-whisper in float16, the torch models
    # there too), "cpu", or "auto" (cuda when one is found). The pipeline records the one used.
    device: str = "auto"

    @property
    def one_speaker(self) -> bool:
        """The recording is said to have one speaker: nothing to diarize."""
        return self.single_speaker or 1 in (self.num_speakers, self.max_speakers)

    def check(self) -> None:
        """Raise ValueError with a one-line reason for settings that cannot work together."""
        if self.engine not in ENGINES:
            raise ValueError(f"--engine {self.engine}: choose one of {', '.join(ENGINES)}")
        if self.device not in DEVICES:
            raise ValueError(f"--device {self.device}: choose one of {', '.join(DEVICES)}")
        if self.device == "cuda" and not cuda_available():
            raise ValueError(
                "--device cuda: no CUDA GPU is available here (neither CTranslate2 nor torch "
                "finds one); use --device cpu or auto"
            )
        if self.fusion not in FUSIONS:
            raise ValueError(f"--fusion {self.fusion}: choose one of {', '.join(FUSIONS)}")
        if (self.fusion == "learned") != (self.fusion_weights is not None):
            raise ValueError("--fusion learned and --fusion-weights FILE go together")
        if self.fusion_weights is not None and not Path(self.fusion_weights).is_file():
            raise ValueError(f"{self.fusion_weights}: no such fusion weights file")
        if self.prior not in PRIORS:
            raise ValueError(f"--prior {self.prior}: choose one of {', '.join(PRIORS)}")
        if self.num_speakers is not None and self.num_speakers < 1:
            raise ValueError(f"--num-speakers {self.num_speakers}: must be 1 or more")
        if self.min_speakers < 1:
            raise ValueError(f"--min-speakers {self.min_speakers}: must be 1 or more")
        if self.max_speakers is not None and self.max_speakers < self.min_speakers:
            raise ValueError(
                f"--max-speakers {self.max_speakers} is below --min-speakers {self.min_speakers}"
            )
        asked = (
            self.speaker_names
            or self.num_speakers is not None
            or self.min_speakers != 1
            or self.max_speakers is not None
        )
        if asked and not self.diarize:
            raise ValueError(
                "speaker options (--num-speakers, --speaker-names, ...) need diarization, "
                "not --no-diarize"
            )
        if len(set(self.speaker_names)) != len(self.speaker_names):
            raise ValueError(f"--speaker-names {','.join(self.speaker_names)}: each name once")
        if self.language is not None:
            if self.language not in WHISPER_LANGUAGES:
                given = self.language_from in (None, "command line")
                origin = "" if given else f" (from {self.language_from})"
                raise ValueError(
                    f"--language {self.language}{origin}: not a language code Whisper knows "
                    "(lower-case ISO 639-1, e.g. en, de, fr)"
                )
        if self.single_speaker and (self.num_speakers or 1) != 1:
            raise ValueError("--single-speaker and --num-speakers above 1 contradict each other")
        if self.threads < 0:
            raise ValueError(f"--threads {self.threads}: must be 0 (automatic) or more")
        if self.face_fps <= 0:
            raise ValueError(f"--face-fps {self.face_fps}: must be above 0")
        if self.split.max_duration <= 0:
            raise ValueError(f"--max-utterance {self.split.max_duration}: must be above 0")

    def recorded(self, devices: Devices | None = None) -> dict[str, Any]:
        """The settings that change a transcript, as the transcript's `options` records them.

        `devices`: where the models actually ran (Devices.summary is recorded); without it, the
        `device` setting as it is.
        """
        return {
            "engine": self.engine,
            "whisper_model": self.whisper_model,
            "language": self.language,
            "language_from": self.language_from,
            "max_utterance": self.split.max_duration,
            "face_fps": self.face_fps,
            "emotion": self.emotion,
            "fusion": self.fusion,
            "single_speaker": self.single_speaker,
            "diarize": self.diarize and not self.single_speaker,
            "num_speakers": 1 if self.single_speaker else self.num_speakers,
            "min_speakers": self.min_speakers,
            "max_speakers": self.max_speakers,
            # A learned fusion head reads voice and face only: the words are not used.
            "text_emotion": self.emotion and self.text_emotion and self.fusion != "learned",
            "prior": self.prior,
            "device": devices.summary if devices is not None else self.device,
        }


DEFAULTS = Options()
