"""Speech recognition: Whisper engines behind one small interface.

- `models`: what a --whisper-model value names and where its files are (bundled tiny.en, the
  `[base]` extra, a folder, a checkpoint);
- `faster`: faster-whisper (CTranslate2), the default engine;
- `openai_whisper`: openai-whisper (PyTorch), the same weights converted by `convert`;
- `extra_models`: larger models shipped as pip packages, reassembled once into the cache;
- `language`: which language a recording is spoken in (multilingual Whisper's detection);
- `auto`: `--whisper-model auto`, tiny.en for English and base for other languages.
"""

from __future__ import annotations

from annotator.asr.errors import ModelLoadError
from annotator.asr.models import BUNDLED_MODEL, ModelRef, bundled_model_dir, resolve
from annotator.asr.result import AsrEngine, AsrResult, LanguageDetection
from annotator.options import ENGINES

__all__ = [
    "BUNDLED_MODEL",
    "ENGINES",
    "AsrEngine",
    "AsrResult",
    "LanguageDetection",
    "ModelLoadError",
    "ModelRef",
    "bundled_model_dir",
    "load_engine",
    "resolve",
]


def load_engine(engine: str, model: str, threads: int = 0, device: str = "cpu") -> AsrEngine:
    """The named engine with the named model, loaded on `device` ("cpu" or "cuda");
    ModelLoadError says why not."""
    if engine not in ENGINES:
        raise ModelLoadError(f"unknown Whisper engine {engine!r} (available: {', '.join(ENGINES)})")
    if model == "auto":  # a model per recording, chosen by its language
        from annotator.asr.auto import load_auto

        return load_auto(engine, threads, load_engine, device)
    ref = resolve(model)
    if engine == "faster-whisper":
        from annotator.asr.faster import FasterWhisperEngine

        return FasterWhisperEngine(ref, threads=threads, device=device)
    from annotator.asr.openai_whisper import OpenAIWhisperEngine  # torch only when chosen

    return OpenAIWhisperEngine(ref, threads=threads, device=device)
