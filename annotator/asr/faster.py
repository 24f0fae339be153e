"""faster-whisper (CTranslate2) as the ASR engine: the default, with Silero VAD and word times."""

from __future__ import annotations

from typing import Any

import numpy as np

from annotator.asr import pieces
from annotator.asr.budget import short_budget
from annotator.asr.errors import ModelLoadError
from annotator.asr.features import BlockFeatureExtractor
from annotator.asr.models import ModelRef
from annotator.asr.pieces import PieceResult
from annotator.asr.result import AsrResult
from annotator.media import Samples
from annotator.transcript import Word
from annotator.utterances import Segment


class FasterWhisperEngine:
    """faster-whisper with its Silero VAD filter and word timestamps."""

    def __init__(
        self,
        model: ModelRef,
        threads: int = 0,
        beam_size: int = 5,
        device: str = "cpu",
        piece_seconds: float = pieces.PIECE_SECONDS,
    ) -> None:
        from faster_whisper import WhisperModel

        if model.is_checkpoint:
            raise ModelLoadError(
                f"{model.path}: an openai-whisper checkpoint; use --engine openai-whisper"
            )
        self.ref = model
        self.name = f"faster-whisper/{model.label}"
        self.device = device
        reference = str(model.path) if model.path is not None else model.name
        try:
            self.model = WhisperModel(
                reference,
                device=device,
                # int8 on a CPU (fastest there); float16 on a GPU, where CTranslate2 computes in
                # half precision natively.
                compute_type="float16" if device == "cuda" else "int8",
                cpu_threads=threads,
                local_files_only=model.path is not None,
            )
        except Exception as error:  # the hub client raises many kinds; all mean "can't load"
            raise ModelLoadError(
                f"Whisper model {model.label!r} could not be loaded ({type(error).__name__}: "
                f"{error}); names other than tiny.en and base are downloaded, which needs a "
                "network"
            ) from error
        # The same log-mel computed in 30 s blocks: a piece's STFT is never held whole.
        self.model.feature_extractor = BlockFeatureExtractor.like(self.model.feature_extractor)
        self.is_multilingual = bool(self.model.model.is_multilingual)
        self.beam_size = beam_size
        self.piece_seconds = piece_seconds

    def bundled_model(self) -> Any | None:
        """This engine's WhisperModel when it is the bundled tiny.en (the voice model reads the
        same encoder, so it can share this one), else None."""
        return self.model if self.ref.is_bundled else None

    def transcribe(self, audio: Samples, language: str | None = None) -> AsrResult:
        """The recording in pieces of at most `piece_seconds` cut at silences (see pieces)."""
        return pieces.transcribe(audio, self.transcribe_piece, language, self.piece_seconds)

    def transcribe_region(self, audio: np.ndarray, language: str | None) -> list[Segment]:
        """A short stretch of speech (0.2-30 s) decoded on its own, times from its start.

        For speech another stage found (a diarizer's turn) where the main pass wrote no words:
        no VAD filter (the VAD is what dropped it) and no previous text (there is none, and a
        prompt would pull the decoder towards repeating it)."""
        found, _ = self.model.transcribe(
            np.ascontiguousarray(audio, dtype=np.float32),
            language=language if self.is_multilingual else "en",
            beam_size=self.beam_size,
            word_timestamps=True,
            vad_filter=False,
            condition_on_previous_text=False,
            max_new_tokens=short_budget(len(audio)),
        )
        return [_segment(s) for s in found]

    def transcribe_piece(
        self, audio: np.ndarray, language: str | None, context: list[int] | None
    ) -> PieceResult:
        """One piece (or a whole short recording), conditioned on the previous piece's tokens."""
        options: dict[str, Any] = dict(
            language=language if self.is_multilingual else "en",
            beam_size=self.beam_size,
            word_timestamps=True,
            vad_filter=True,
            vad_parameters={"min_silence_duration_ms": pieces.MIN_SILENCE_MS},
            # Measured on sample_meetings/meeting.mp4 (tiny.en): conditioning on the previous
            # text gives WER 0.07 against 0.13 without; whisper's own compression-ratio and
            # temperature fallbacks guard against the repetition loops it can cause.
            condition_on_previous_text=True,
        )
        budget = short_budget(len(audio))
        if budget is not None:  # a loop on a short clip stops where its speech must end
            options["max_new_tokens"] = budget
        if context:
            # The previous piece's tokens, as Whisper carries them from one window to the next.
            options["initial_prompt"] = context
        found, info = self.model.transcribe(audio, **options)
        found = list(found)
        segments = [_segment(s) for s in found]
        carried = pieces.carried_tokens(
            context or [], [(s.tokens, s.temperature or 0.0) for s in found]
        )
        return PieceResult(
            segments=segments,
            language=info.language,
            language_probability=round(float(info.language_probability), 4),
            context=carried,
        )


def _segment(found: Any) -> Segment:
    """A faster-whisper segment as the pipeline's Segment."""
    return Segment(
        start=float(found.start),
        end=float(found.end),
        text=found.text.strip(),
        words=tuple(
            Word(
                start=round(float(w.start), 3),
                end=round(float(w.end), 3),
                word=w.word,
                probability=round(float(w.probability), 4),
            )
            for w in (found.words or [])
        ),
    )
